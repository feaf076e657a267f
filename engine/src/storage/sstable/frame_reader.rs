//! Sequential reads of block frames from a DMA file: buffered positional reads (one exact
//! read for a frame of known length, large read-ahead for scans), each frame CRC-checked
//! and decompressed by `block.rs`. A frame that runs past the file's end is corrupt.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use glommio::io::DmaFile;

use super::block::{decode_block, frame_len, FRAME_HEADER_BYTES};
use super::component_file::read_exact_at;
use super::error::SstableError;

pub struct FrameReader {
    file: Rc<DmaFile>,
    path: PathBuf,
    /// File offset of `buf[0]`.
    buf_start: u64,
    buf: Vec<u8>,
    /// Index in `buf` of the next frame.
    consumed: usize,
    /// Where the frames end (the file's length).
    end: u64,
    /// Bytes to fetch by the next read (the first read may be exact).
    next_read_bytes: usize,
    read_ahead_bytes: usize,
    max_payload: usize,
    /// Bytes read from the file so far (what a bandwidth limit is charged).
    bytes_read: u64,
}

impl FrameReader {
    /// Frames from `start` to `end`; the first read fetches `first_read_bytes`, later ones
    /// `read_ahead_bytes` (both at least what the next frame needs).
    pub fn new(
        file: Rc<DmaFile>,
        path: &Path,
        start: u64,
        end: u64,
        first_read_bytes: usize,
        read_ahead_bytes: usize,
        max_payload: usize,
    ) -> FrameReader {
        FrameReader {
            file,
            path: path.to_path_buf(),
            buf_start: start,
            buf: Vec::new(),
            consumed: 0,
            end,
            next_read_bytes: first_read_bytes,
            read_ahead_bytes,
            max_payload,
            bytes_read: 0,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes read from the file so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// File offset of the next frame.
    pub fn offset(&self) -> u64 {
        self.buf_start + self.consumed as u64
    }

    /// The next frame's offset and payload; `None` at the end of the file.
    pub async fn next_block(&mut self) -> Result<Option<(u64, Vec<u8>)>, SstableError> {
        loop {
            let offset = self.offset();
            if offset >= self.end {
                return Ok(None);
            }
            let available = &self.buf[self.consumed..];
            let needed = match frame_len(available, self.max_payload) {
                Err(e) => return Err(SstableError::decode(&self.path, offset, e)),
                Ok(Some(len)) if available.len() >= len => {
                    let (payload, len) = decode_block(&available[..len], self.max_payload)
                        .map_err(|e| SstableError::decode(&self.path, offset, e))?;
                    self.consumed += len;
                    return Ok(Some((offset, payload)));
                }
                Ok(Some(len)) => len,
                Ok(None) => FRAME_HEADER_BYTES,
            };
            self.fill(needed).await?;
        }
    }

    /// Reads until at least `needed` unconsumed bytes are buffered.
    async fn fill(&mut self, needed: usize) -> Result<(), SstableError> {
        self.buf.drain(..self.consumed);
        self.buf_start += self.consumed as u64;
        self.consumed = 0;
        let missing = needed.saturating_sub(self.buf.len());
        let read_from = self.buf_start + self.buf.len() as u64;
        let left = self.end.saturating_sub(read_from);
        if (missing as u64) > left {
            return Err(SstableError::corrupt(
                &self.path,
                self.buf_start,
                format!("block frame of {needed} bytes runs past the end of the file (truncated)"),
            ));
        }
        let want = (missing.max(self.next_read_bytes) as u64).min(left) as usize;
        self.next_read_bytes = self.read_ahead_bytes;
        let bytes = read_exact_at(&self.file, &self.path, read_from, want).await?;
        self.bytes_read += bytes.len() as u64;
        self.buf.extend_from_slice(&bytes);
        Ok(())
    }
}
