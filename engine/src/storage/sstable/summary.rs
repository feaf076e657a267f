//! The sparse summary (`Summary.db`), pure part: the first position of every index page
//! and where that page is. It is kept in memory; a point read binary-searches it for the
//! one page that can hold a position.
//!
//! ```text
//! payload = varint n ‖ (i64 token ‖ bytes key ‖ u64 page_offset ‖ u32 page_frame_len)*n
//! ```

use crate::model::mutation::PartitionPosition;

use super::format::MAX_PARTITION_KEY_BYTES;
use super::wire::{put_bytes, put_i64, put_u32, put_u64, put_varint, DecodeError, WireReader};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryEntry {
    /// The first position in the page.
    pub first: PartitionPosition,
    pub page_offset: u64,
    pub page_frame_len: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    entries: Vec<SummaryEntry>,
}

impl Summary {
    pub fn push(&mut self, entry: SummaryEntry) {
        debug_assert!(self.entries.last().is_none_or(|e| e.first < entry.first));
        self.entries.push(entry);
    }

    pub fn entries(&self) -> &[SummaryEntry] {
        &self.entries
    }

    /// The page that holds `position` if any page does: the last one starting at or before it.
    pub fn page_for(&self, position: &PartitionPosition) -> Option<&SummaryEntry> {
        let after = self.entries.partition_point(|e| e.first <= *position);
        after.checked_sub(1).map(|i| &self.entries[i])
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        put_varint(out, self.entries.len() as u64);
        for e in &self.entries {
            put_i64(out, e.first.token);
            put_bytes(out, &e.first.key);
            put_u64(out, e.page_offset);
            put_u32(out, e.page_frame_len);
        }
    }

    /// Decodes a summary, checking that pages are in order and lie inside the index file
    /// (`index_len` bytes) one after another.
    pub fn decode(payload: &[u8], index_len: u64) -> Result<Summary, DecodeError> {
        let mut r = WireReader::new(payload);
        let n = r.count("summary entry count")?;
        let mut entries: Vec<SummaryEntry> = Vec::with_capacity(n);
        for _ in 0..n {
            let at = r.position();
            let first = PartitionPosition {
                token: r.i64("summary token")?,
                key: r.owned_bytes(MAX_PARTITION_KEY_BYTES, "summary key")?,
            };
            let page_offset = r.u64("summary page offset")?;
            let page_frame_len = r.u32("summary page frame length")?;
            let in_order = entries
                .last()
                .is_none_or(|e| e.first < first && e.page_offset + u64::from(e.page_frame_len) == page_offset);
            let end = page_offset.checked_add(u64::from(page_frame_len));
            if !in_order || end.is_none_or(|end| end > index_len) {
                return Err(DecodeError::new(at, "summary entry out of order or outside the index"));
            }
            entries.push(SummaryEntry { first, page_offset, page_frame_len });
        }
        r.finish("summary")?;
        Ok(Summary { entries })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn pos(token: i64) -> PartitionPosition {
        PartitionPosition { token, key: Bytes::from_static(b"k") }
    }

    fn summary() -> Summary {
        let mut s = Summary::default();
        for (i, t) in [10, 20, 30].into_iter().enumerate() {
            s.push(SummaryEntry { first: pos(t), page_offset: 8 + 100 * i as u64, page_frame_len: 100 });
        }
        s
    }

    #[test]
    fn finds_the_page_of_a_position() {
        let s = summary();
        assert_eq!(s.page_for(&pos(5)), None);
        assert_eq!(s.page_for(&pos(10)).unwrap().first, pos(10));
        assert_eq!(s.page_for(&pos(25)).unwrap().first, pos(20));
        assert_eq!(s.page_for(&pos(99)).unwrap().first, pos(30));
    }

    #[test]
    fn round_trips_and_checks_bounds() {
        let s = summary();
        let mut out = Vec::new();
        s.encode(&mut out);
        assert_eq!(Summary::decode(&out, 308).unwrap(), s);
        assert!(Summary::decode(&out, 307).is_err());
        assert!(Summary::decode(&out[..out.len() - 1], 308).is_err());
    }
}
