//! The partition index (`Index.db`), pure part: one entry per partition, grouped into
//! pages of at most [`SUMMARY_INTERVAL_ENTRIES`] entries (or about
//! [`INDEX_PAGE_TARGET_BYTES`]). Each page is one block frame (see `block.rs`), so a point
//! read fetches exactly one page with one DMA read and checks its CRC.
//!
//! ```text
//! page  = varint n ‖ entry*n                       (strictly increasing positions)
//! entry = i64 token ‖ bytes key ‖ u64 block_offset ‖ u32 block_frame_len ‖ u32 offset_in_block
//! ```

use crate::model::mutation::PartitionPosition;

use super::format::{INDEX_PAGE_TARGET_BYTES, MAX_PARTITION_KEY_BYTES, SUMMARY_INTERVAL_ENTRIES};
use super::wire::{put_bytes, put_i64, put_u32, put_u64, put_varint, DecodeError, WireReader};

/// Where a partition's entry starts in `Data.db`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub position: PartitionPosition,
    /// File offset of the frame of the data block the partition starts in.
    pub block_offset: u64,
    /// That frame's length, so the first block is fetched with one exact read.
    pub block_frame_len: u32,
    /// Offset of the partition's entry within the block's uncompressed bytes.
    pub offset_in_block: u32,
}

/// Accumulates the entries of one page.
#[derive(Debug, Default)]
pub struct IndexPageBuilder {
    entries: Vec<u8>,
    count: usize,
    first: Option<PartitionPosition>,
}

impl IndexPageBuilder {
    pub fn push(&mut self, entry: &IndexEntry) {
        if self.first.is_none() {
            self.first = Some(entry.position.clone());
        }
        put_i64(&mut self.entries, entry.position.token);
        put_bytes(&mut self.entries, &entry.position.key);
        put_u64(&mut self.entries, entry.block_offset);
        put_u32(&mut self.entries, entry.block_frame_len);
        put_u32(&mut self.entries, entry.offset_in_block);
        self.count += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether the page should be closed before another entry is added.
    pub fn is_full(&self) -> bool {
        self.count >= SUMMARY_INTERVAL_ENTRIES || self.entries.len() >= INDEX_PAGE_TARGET_BYTES
    }

    /// The page's payload and its first position; the builder is empty again.
    pub fn take(&mut self) -> Option<(Vec<u8>, PartitionPosition)> {
        let first = self.first.take()?;
        let mut payload = Vec::with_capacity(self.entries.len() + 3);
        put_varint(&mut payload, self.count as u64);
        payload.append(&mut self.entries);
        self.count = 0;
        Some((payload, first))
    }
}

/// Decodes a page, checking that positions strictly increase.
pub fn decode_page(payload: &[u8]) -> Result<Vec<IndexEntry>, DecodeError> {
    let mut r = WireReader::new(payload);
    let n = r.count("index entry count")?;
    let mut entries: Vec<IndexEntry> = Vec::with_capacity(n);
    for _ in 0..n {
        let at = r.position();
        let position = PartitionPosition {
            token: r.i64("index token")?,
            key: r.owned_bytes(MAX_PARTITION_KEY_BYTES, "index key")?,
        };
        if entries.last().is_some_and(|e| e.position >= position) {
            return Err(DecodeError::new(at, "index entries are not in increasing order"));
        }
        entries.push(IndexEntry {
            position,
            block_offset: r.u64("index block offset")?,
            block_frame_len: r.u32("index block frame length")?,
            offset_in_block: r.u32("index offset in block")?,
        });
    }
    r.finish("index page")?;
    if entries.is_empty() {
        return Err(DecodeError::new(0, "empty index page"));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn entry(token: i64, key: &'static [u8]) -> IndexEntry {
        IndexEntry {
            position: PartitionPosition { token, key: Bytes::from_static(key) },
            block_offset: 8 + token as u64,
            block_frame_len: 100,
            offset_in_block: 7,
        }
    }

    #[test]
    fn pages_round_trip_and_fill_up() {
        let mut b = IndexPageBuilder::default();
        assert!(b.take().is_none());
        let entries: Vec<_> = (0..SUMMARY_INTERVAL_ENTRIES as i64).map(|t| entry(t, b"k")).collect();
        for e in &entries {
            assert!(!b.is_full());
            b.push(e);
        }
        assert!(b.is_full());
        let (payload, first) = b.take().unwrap();
        assert_eq!(first, entries[0].position);
        assert!(b.is_empty());
        assert_eq!(decode_page(&payload).unwrap(), entries);
        for n in 0..payload.len() {
            assert!(decode_page(&payload[..n]).is_err());
        }
    }

    #[test]
    fn out_of_order_pages_are_corrupt() {
        let mut b = IndexPageBuilder::default();
        b.push(&entry(5, b"b"));
        b.push(&entry(5, b"a"));
        let (payload, _) = b.take().unwrap();
        assert!(decode_page(&payload).is_err());
    }
}
