//! Commitlog entry framing: `len:u32 crc:u32 payload[len]`, where `crc` is the CRC32C of
//! the length bytes and the payload. A zero length ends a segment (preallocated space is
//! zeros); a length past the end or a CRC mismatch is a torn or corrupt tail.

use bytes::BufMut;

pub const ENTRY_HEADER_BYTES: usize = 8;

fn checksum(len: u32, payload: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&len.to_be_bytes()), payload)
}

/// Appends a framed entry.
pub fn frame(payload: &[u8], out: &mut Vec<u8>) {
    let len = u32::try_from(payload.len()).expect("entries are bounded by the segment size");
    debug_assert!(len > 0, "empty entries would read as the end of the segment");
    out.put_u32(len);
    out.put_u32(checksum(len, payload));
    out.put_slice(payload);
}

#[derive(Debug, PartialEq, Eq)]
pub enum EntryRead<'a> {
    /// An intact entry and the offset of the next one.
    Entry { payload: &'a [u8], next: usize },
    /// No more entries (zeros or end of buffer).
    End,
    /// A torn or corrupt entry at this offset: replay stops here.
    Corrupt { reason: &'static str },
}

pub fn read_entry(buf: &[u8], at: usize) -> EntryRead<'_> {
    let Some(header) = buf.get(at..at + ENTRY_HEADER_BYTES) else {
        return EntryRead::End;
    };
    let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    let crc = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    if len == 0 {
        return if crc == 0 { EntryRead::End } else { EntryRead::Corrupt { reason: "zero length with a checksum" } };
    }
    let start = at + ENTRY_HEADER_BYTES;
    let Some(payload) = buf.get(start..start + len as usize) else {
        return EntryRead::Corrupt { reason: "entry runs past the end of the segment" };
    };
    if checksum(len, payload) != crc {
        return EntryRead::Corrupt { reason: "checksum mismatch" };
    }
    EntryRead::Entry { payload, next: start + len as usize }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_read_back_and_zeros_end() {
        let mut buf = Vec::new();
        frame(b"one", &mut buf);
        frame(b"two!", &mut buf);
        buf.extend_from_slice(&[0; 16]);
        let EntryRead::Entry { payload, next } = read_entry(&buf, 0) else { panic!() };
        assert_eq!(payload, b"one");
        let EntryRead::Entry { payload, next } = read_entry(&buf, next) else { panic!() };
        assert_eq!(payload, b"two!");
        assert_eq!(read_entry(&buf, next), EntryRead::End);
    }

    #[test]
    fn torn_and_flipped_entries_are_detected() {
        let mut buf = Vec::new();
        frame(b"payload", &mut buf);
        assert!(matches!(read_entry(&buf[..buf.len() - 1], 0), EntryRead::Corrupt { .. }));
        let mut flipped = buf.clone();
        flipped[10] ^= 0x01;
        assert!(matches!(read_entry(&flipped, 0), EntryRead::Corrupt { .. }));
    }
}
