//! Primitive encodings shared by every SSTable component: little-endian fixed-width
//! integers, LEB128 varints and varint-length-prefixed byte strings, and a checked
//! [`WireReader`] that never reads past its slice (all lengths on disk are untrusted).

use bytes::Bytes;

/// The longest LEB128 encoding of a `u64`.
pub const VARINT_MAX_BYTES: usize = 10;

/// Why a byte range does not decode, at which offset relative to the range's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub offset: usize,
    pub reason: String,
}

impl DecodeError {
    pub fn new(offset: usize, reason: impl Into<String>) -> DecodeError {
        DecodeError { offset, reason: reason.into() }
    }
}

pub fn put_u8(out: &mut Vec<u8>, v: u8) {
    out.push(v);
}

pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub fn put_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_le_bytes());
}

pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// `varint length ‖ bytes`.
pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// A cursor over untrusted bytes: every read is bounds-checked and reports its offset.
pub struct WireReader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> WireReader<'a> {
    pub fn new(buf: &'a [u8]) -> WireReader<'a> {
        WireReader { buf, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn error(&self, reason: impl Into<String>) -> DecodeError {
        DecodeError::new(self.pos, reason)
    }

    pub fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        if len > self.remaining() {
            return Err(self.error(format!("{what}: needs {len} bytes, only {} left", self.remaining())));
        }
        let slice = &self.buf[self.pos..self.pos + len];
        self.pos += len;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], DecodeError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub fn u16(&mut self, what: &str) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub fn u64(&mut self, what: &str) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    pub fn i64(&mut self, what: &str) -> Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(self.array(what)?))
    }

    pub fn varint(&mut self, what: &str) -> Result<u64, DecodeError> {
        let start = self.pos;
        let mut v = 0u64;
        for i in 0..VARINT_MAX_BYTES {
            let b = self.u8(what)?;
            if i == VARINT_MAX_BYTES - 1 && b > 1 {
                break;
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError::new(start, format!("{what}: varint overflows u64")))
    }

    /// A varint that must not exceed `max` (a count or a length).
    pub fn bounded_varint(&mut self, max: usize, what: &str) -> Result<usize, DecodeError> {
        let start = self.pos;
        let v = self.varint(what)?;
        if v > max as u64 {
            return Err(DecodeError::new(start, format!("{what}: {v} exceeds the bound {max}")));
        }
        Ok(v as usize)
    }

    /// A count of items that each take at least one byte: bounded by the bytes left, so a
    /// corrupt count can never make the decoder allocate more than the input's size.
    pub fn count(&mut self, what: &str) -> Result<usize, DecodeError> {
        let left = self.remaining();
        self.bounded_varint(left, what)
    }

    /// `varint length ‖ bytes`, at most `max_len` bytes.
    pub fn bytes(&mut self, max_len: usize, what: &str) -> Result<&'a [u8], DecodeError> {
        let len = self.bounded_varint(max_len, what)?;
        self.take(len, what)
    }

    pub fn owned_bytes(&mut self, max_len: usize, what: &str) -> Result<Bytes, DecodeError> {
        Ok(Bytes::copy_from_slice(self.bytes(max_len, what)?))
    }

    /// Fails unless every byte was consumed.
    pub fn finish(&self, what: &str) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.error(format!("{what}: {} trailing bytes", self.remaining())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_reject_overflow() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let mut r = WireReader::new(&out);
            assert_eq!(r.varint("v").unwrap(), v);
            assert!(r.is_empty());
        }
        let overflow = [0xffu8; 10];
        assert!(WireReader::new(&overflow).varint("v").is_err());
        assert!(WireReader::new(&[0x80]).varint("v").is_err());
    }

    #[test]
    fn reads_past_the_end_are_errors() {
        let mut r = WireReader::new(&[5, 1, 2]);
        assert!(r.bytes(100, "b").is_err());
        let mut r = WireReader::new(&[2, 1, 2]);
        assert!(r.bytes(1, "b").is_err());
        let mut r = WireReader::new(&[1, 2]);
        assert!(r.u32("x").is_err());
    }
}
