//! Commitlog segment files: names and the header.
//!
//! A segment is `CommitLog-<generation>-<shard>-<number>.log`, preallocated to the segment
//! size. The generation grows by one at every start of the node, so segments of earlier runs
//! (which are replayed and then deleted) never collide with new ones. The file starts with
//! a header, then framed entries (`entry.rs`); the rest is zeros, or — in a recycled file —
//! entries of its earlier incarnations, whose tags end the segment.
//!
//! ```text
//! header := magic[8] = "PCORECL1"  format_version:u32  shard:u32  generation:u64  number:u64  crc32c:u32
//! ```

use std::path::{Path, PathBuf};

pub const SEGMENT_MAGIC: [u8; 8] = *b"PCORECL1";
/// Version 2: entries carry the segment's tag (recycled files). Version 1 is still read.
pub const FORMAT_VERSION: u32 = 2;
const FORMAT_VERSION_MIN: u32 = 1;
pub const HEADER_BYTES: usize = 8 + 4 + 4 + 8 + 8 + 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SegmentName {
    pub generation: u64,
    pub shard: u32,
    pub number: u64,
}

/// Why a segment's header is not the one its file name calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("segment shorter than its header")]
    Short,
    #[error("not a commitlog segment (bad magic)")]
    BadMagic,
    #[error("header checksum mismatch")]
    Checksum,
    #[error("header does not match the file name or format version")]
    Mismatch,
}

impl SegmentName {
    pub fn file_name(&self) -> String {
        format!("CommitLog-{}-{}-{}.log", self.generation, self.shard, self.number)
    }

    pub fn path_in(&self, dir: &Path) -> PathBuf {
        dir.join(self.file_name())
    }

    pub fn parse(file_name: &str) -> Option<SegmentName> {
        let rest = file_name.strip_prefix("CommitLog-")?.strip_suffix(".log")?;
        let mut parts = rest.split('-');
        let name = SegmentName {
            generation: parts.next()?.parse().ok()?,
            shard: parts.next()?.parse().ok()?,
            number: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(name)
    }

    pub fn header(&self) -> [u8; HEADER_BYTES] {
        self.header_of_version(FORMAT_VERSION)
    }

    fn header_of_version(&self, version: u32) -> [u8; HEADER_BYTES] {
        let mut h = [0u8; HEADER_BYTES];
        h[..8].copy_from_slice(&SEGMENT_MAGIC);
        h[8..12].copy_from_slice(&version.to_be_bytes());
        h[12..16].copy_from_slice(&self.shard.to_be_bytes());
        h[16..24].copy_from_slice(&self.generation.to_be_bytes());
        h[24..32].copy_from_slice(&self.number.to_be_bytes());
        let crc = crc32c::crc32c(&h[..32]);
        h[32..36].copy_from_slice(&crc.to_be_bytes());
        h
    }

    /// Checks a segment's header against its name; returns its format version.
    pub fn check_header(&self, bytes: &[u8]) -> Result<u32, HeaderError> {
        let h = bytes.get(..HEADER_BYTES).ok_or(HeaderError::Short)?;
        if h[..8] != SEGMENT_MAGIC {
            return Err(HeaderError::BadMagic);
        }
        if crc32c::crc32c(&h[..32]).to_be_bytes() != h[32..36] {
            return Err(HeaderError::Checksum);
        }
        let version = u32::from_be_bytes([h[8], h[9], h[10], h[11]]);
        if !(FORMAT_VERSION_MIN..=FORMAT_VERSION).contains(&version) || h != self.header_of_version(version) {
            return Err(HeaderError::Mismatch);
        }
        Ok(version)
    }
}

impl SegmentName {
    /// Whether a file under this name was never written as this segment: its header is
    /// all zeros (a zero-filled reserve file) or another segment's intact header (a reused
    /// file). Such a file was made ready ahead and holds nothing of this segment.
    pub fn is_unwritten(&self, bytes: &[u8]) -> bool {
        let Some(h) = bytes.get(..HEADER_BYTES) else { return bytes.iter().all(|b| *b == 0) };
        if h.iter().all(|b| *b == 0) {
            return true;
        }
        let intact = h[..8] == SEGMENT_MAGIC && crc32c::crc32c(&h[..32]).to_be_bytes() == h[32..36];
        intact && h[12..32] != self.header()[12..32]
    }
}

/// A free segment file kept for reuse: `Recycled-<generation>-<shard>-<number>.log`.
/// Replay ignores such files; start-up deletes those of earlier runs.
pub fn recycled_file_name(name: &SegmentName) -> String {
    format!("Recycled-{}-{}-{}.log", name.generation, name.shard, name.number)
}

pub fn is_recycled_file_name(file_name: &str) -> bool {
    file_name.starts_with("Recycled-") && file_name.ends_with(".log")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let n = SegmentName { generation: 3, shard: 1, number: 17 };
        assert_eq!(SegmentName::parse(&n.file_name()), Some(n));
        assert_eq!(SegmentName::parse("CommitLog-1-2.log"), None);
        assert_eq!(SegmentName::parse("other"), None);
    }

    #[test]
    fn header_checks() {
        let n = SegmentName { generation: 3, shard: 1, number: 17 };
        assert!(n.check_header(&n.header()).is_ok());
        let mut bad = n.header();
        bad[20] ^= 1;
        assert!(n.check_header(&bad).is_err());
        let other = SegmentName { number: 18, ..n };
        assert!(other.check_header(&n.header()).is_err());
        // Made ready ahead but never written: zeros, or a reused file's old header.
        assert!(n.is_unwritten(&[0u8; 4096]));
        assert!(other.is_unwritten(&n.header()));
        assert!(!n.is_unwritten(&n.header()));
        assert!(!n.is_unwritten(&bad), "a damaged header is not taken for an unwritten one");
    }
}
