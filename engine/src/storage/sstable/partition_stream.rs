//! Partition entries out of `Data.db`'s block stream: the uncompressed bytes of
//! consecutive data blocks form one stream of `u32 len ‖ body` entries (see
//! `row_codec.rs`); an entry may span blocks. Used by point reads (starting inside a block)
//! and by scans (starting at the first block).

use crate::model::mutation::PartitionPosition;
use crate::storage::partition::Partition;

use super::error::SstableError;
use super::frame_reader::FrameReader;
use super::row_codec::{decode_partition_entry, entry_body_len, ENTRY_LEN_BYTES};

pub struct PartitionStream {
    frames: FrameReader,
    /// Uncompressed bytes not yet decoded; `pending[consumed..]` is live.
    pending: Vec<u8>,
    consumed: usize,
    /// File offset of the block holding `pending[consumed]`, for error reports.
    entry_block_offset: u64,
    /// File offset of the block loaded last.
    last_block_offset: u64,
}

impl PartitionStream {
    pub fn new(frames: FrameReader) -> PartitionStream {
        let entry_block_offset = frames.offset();
        PartitionStream {
            frames,
            pending: Vec::new(),
            consumed: 0,
            entry_block_offset,
            last_block_offset: entry_block_offset,
        }
    }

    /// Bytes read from the file so far.
    pub fn bytes_read(&self) -> u64 {
        self.frames.bytes_read()
    }

    /// Loads the first block and skips `offset_in_block` bytes of it (point reads).
    pub async fn seek_in_first_block(&mut self, offset_in_block: usize) -> Result<(), SstableError> {
        let offset = self.frames.offset();
        let loaded = self.load_block().await?;
        if !loaded || offset_in_block >= self.pending.len() {
            return Err(SstableError::corrupt(
                self.frames.path(),
                offset,
                format!("index points {offset_in_block} bytes into a block of {} bytes", self.pending.len()),
            ));
        }
        self.consumed = offset_in_block;
        Ok(())
    }

    /// Appends the next block's payload; false at the end of the file.
    async fn load_block(&mut self) -> Result<bool, SstableError> {
        let Some((offset, payload)) = self.frames.next_block().await? else {
            return Ok(false);
        };
        if self.consumed == self.pending.len() {
            self.entry_block_offset = offset;
        }
        // Compact once per block, not once per partition.
        self.pending.drain(..self.consumed);
        self.consumed = 0;
        self.pending.extend_from_slice(&payload);
        self.last_block_offset = offset;
        Ok(true)
    }

    /// Makes at least `n` live bytes available; false if the file ends first.
    async fn ensure(&mut self, n: usize) -> Result<bool, SstableError> {
        while self.pending.len() - self.consumed < n {
            if !self.load_block().await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The next partition, `None` at a clean end of the data.
    pub async fn next_partition(&mut self) -> Result<Option<(PartitionPosition, Partition)>, SstableError> {
        if !self.ensure(1).await? {
            return Ok(None);
        }
        let at = self.entry_block_offset;
        if !self.ensure(ENTRY_LEN_BYTES).await? {
            return Err(self.truncated(at));
        }
        let len = entry_body_len(&self.pending[self.consumed..])
            .map_err(|e| SstableError::decode(self.frames.path(), at, e))?
            .unwrap_or(0);
        if !self.ensure(ENTRY_LEN_BYTES + len).await? {
            return Err(self.truncated(at));
        }
        let start = self.consumed + ENTRY_LEN_BYTES;
        let body = &self.pending[start..start + len];
        let decoded = decode_partition_entry(body).map_err(|e| {
            SstableError::corrupt(
                self.frames.path(),
                at,
                format!("partition entry at byte {} of the block stream: {}", e.offset, e.reason),
            )
        })?;
        self.consumed = start + len;
        // The entry ended inside the block loaded last, so the next one starts there.
        self.entry_block_offset = self.last_block_offset;
        Ok(Some(decoded))
    }

    fn truncated(&self, at: u64) -> SstableError {
        SstableError::corrupt(self.frames.path(), at, "data ends inside a partition entry (truncated)")
    }
}
