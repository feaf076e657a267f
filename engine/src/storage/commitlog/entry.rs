//! Commitlog entry framing.
//!
//! Format 2 (written now): `len:u32 tag:u32 crc:u32 payload[len]`, where `tag` is the low
//! 32 bits of the segment's number and `crc` the CRC32C of length, tag and payload. A
//! segment file may be a recycled one whose old entries follow the new data: their tag
//! (an earlier number of the same run) differs, so they read as the end of the segment,
//! never as entries. Format 1 (older segments, replay only): `len:u32 crc:u32 payload`
//! with the CRC of length and payload, on a zero-filled preallocated file.
//!
//! In both, a zero length ends a segment; a length past the end or a CRC mismatch is a
//! torn or corrupt tail.

use bytes::BufMut;

/// Header bytes of a format-2 entry (the largest).
pub const ENTRY_HEADER_BYTES: usize = 12;
const V1_HEADER_BYTES: usize = 8;

/// How a segment frames its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryFormat {
    V1,
    /// With the tag of the segment (its number's low 32 bits).
    V2 {
        tag: u32,
    },
}

/// The tag format-2 entries of segment `number` carry.
pub fn segment_tag(number: u64) -> u32 {
    number as u32
}

fn checksum_v1(len: u32, payload: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&len.to_be_bytes()), payload)
}

fn checksum_v2(len: u32, tag: u32, payload: &[u8]) -> u32 {
    let mut head = [0u8; 8];
    head[..4].copy_from_slice(&len.to_be_bytes());
    head[4..].copy_from_slice(&tag.to_be_bytes());
    crc32c::crc32c_append(crc32c::crc32c(&head), payload)
}

/// Appends a format-2 entry of the segment with `tag`.
pub fn frame(payload: &[u8], tag: u32, out: &mut Vec<u8>) {
    let len = u32::try_from(payload.len()).expect("entries are bounded by the segment size");
    debug_assert!(len > 0, "empty entries would read as the end of the segment");
    out.put_u32(len);
    out.put_u32(tag);
    out.put_u32(checksum_v2(len, tag, payload));
    out.put_slice(payload);
}

#[derive(Debug, PartialEq, Eq)]
pub enum EntryRead<'a> {
    /// An intact entry and the offset of the next one.
    Entry { payload: &'a [u8], next: usize },
    /// No more entries (zeros, the end of the buffer, or an older incarnation's entries).
    End,
    /// A torn or corrupt entry at this offset: replay stops here.
    Corrupt { reason: &'static str },
}

pub fn read_entry(buf: &[u8], at: usize, format: EntryFormat) -> EntryRead<'_> {
    let header_bytes = match format {
        EntryFormat::V1 => V1_HEADER_BYTES,
        EntryFormat::V2 { .. } => ENTRY_HEADER_BYTES,
    };
    let Some(header) = buf.get(at..at + header_bytes) else {
        return EntryRead::End;
    };
    let word = |i: usize| u32::from_be_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let len = word(0);
    if len == 0 {
        return if header.iter().all(|&b| b == 0) {
            EntryRead::End
        } else {
            EntryRead::Corrupt { reason: "zero length with a checksum" }
        };
    }
    if let EntryFormat::V2 { tag } = format {
        if word(4) != tag {
            return EntryRead::End;
        }
    }
    let start = at + header_bytes;
    let Some(payload) = buf.get(start..start + len as usize) else {
        return EntryRead::Corrupt { reason: "entry runs past the end of the segment" };
    };
    let intact = match format {
        EntryFormat::V1 => checksum_v1(len, payload) == word(4),
        EntryFormat::V2 { tag } => checksum_v2(len, tag, payload) == word(8),
    };
    if !intact {
        return EntryRead::Corrupt { reason: "checksum mismatch" };
    }
    EntryRead::Entry { payload, next: start + len as usize }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: EntryFormat = EntryFormat::V2 { tag: 7 };

    #[test]
    fn frames_read_back_and_zeros_end() {
        let mut buf = Vec::new();
        frame(b"one", 7, &mut buf);
        frame(b"two!", 7, &mut buf);
        buf.extend_from_slice(&[0; 16]);
        let EntryRead::Entry { payload, next } = read_entry(&buf, 0, TAG) else { panic!() };
        assert_eq!(payload, b"one");
        let EntryRead::Entry { payload, next } = read_entry(&buf, next, TAG) else { panic!() };
        assert_eq!(payload, b"two!");
        assert_eq!(read_entry(&buf, next, TAG), EntryRead::End);
    }

    #[test]
    fn an_older_incarnations_entries_end_the_segment() {
        let mut buf = Vec::new();
        frame(b"new", 7, &mut buf);
        let end = buf.len();
        frame(b"stale but intact", 6, &mut buf);
        let EntryRead::Entry { next, .. } = read_entry(&buf, 0, TAG) else { panic!() };
        assert_eq!(next, end);
        assert_eq!(read_entry(&buf, next, TAG), EntryRead::End);
    }

    #[test]
    fn torn_and_flipped_entries_are_detected() {
        let mut buf = Vec::new();
        frame(b"payload", 7, &mut buf);
        assert!(matches!(read_entry(&buf[..buf.len() - 1], 0, TAG), EntryRead::Corrupt { .. }));
        let mut flipped = buf.clone();
        flipped[14] ^= 0x01;
        assert!(matches!(read_entry(&flipped, 0, TAG), EntryRead::Corrupt { .. }));
    }

    #[test]
    fn format_one_entries_still_read() {
        let payload = b"old";
        let mut buf = Vec::new();
        buf.put_u32(3);
        buf.put_u32(checksum_v1(3, payload));
        buf.put_slice(payload);
        let EntryRead::Entry { payload: read, .. } = read_entry(&buf, 0, EntryFormat::V1) else { panic!() };
        assert_eq!(read, payload);
    }
}
