//! Cassandra's variable-length integers (`VIntCoding`), used by the `duration` type.
//!
//! Unsigned: the number of leading 1 bits of the first byte is the number of extra
//! bytes; the rest of the first byte and the extra bytes hold the value big-endian.
//! Signed values are zigzag-encoded first.

use super::value_error::ValueError;

/// Longest encoding of a 64-bit vint: a 0xFF marker byte plus 8 value bytes.
pub const MAX_VINT_BYTES: usize = 9;

/// Number of bytes `v` takes as an unsigned vint.
pub fn unsigned_vint_size(v: u64) -> usize {
    let magnitude = (v | 1).leading_zeros() as usize;
    (639 - magnitude * 9) >> 6
}

/// Appends `v` as an unsigned vint.
pub fn write_unsigned_vint(out: &mut Vec<u8>, v: u64) {
    let size = unsigned_vint_size(v);
    let be = v.to_be_bytes();
    if size >= MAX_VINT_BYTES {
        out.push(0xFF);
        out.extend_from_slice(&be);
        return;
    }
    let extra = (size - 1) as u32;
    let start = out.len();
    out.extend_from_slice(be.get(be.len() - size..).unwrap_or_default());
    if let Some(first) = out.get_mut(start) {
        *first |= !0xFFu8.checked_shr(extra).unwrap_or(0);
    }
}

/// Appends `v` as a signed (zigzag) vint.
pub fn write_vint(out: &mut Vec<u8>, v: i64) {
    write_unsigned_vint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Reads an unsigned vint from the front of `buf`, advancing it.
pub fn read_unsigned_vint(buf: &mut &[u8]) -> Result<u64, ValueError> {
    let (&first, rest) = buf.split_first().ok_or(ValueError::DurationTruncated)?;
    let extra = first.leading_ones() as usize;
    let body = rest.get(..extra).ok_or(ValueError::DurationTruncated)?;
    let mut value = u64::from(first & 0xFFu8.checked_shr(extra as u32).unwrap_or(0));
    for &b in body {
        value = (value << 8) | u64::from(b);
    }
    *buf = rest.get(extra..).unwrap_or_default();
    Ok(value)
}

/// Reads a signed (zigzag) vint from the front of `buf`, advancing it.
pub fn read_vint(buf: &mut &[u8]) -> Result<i64, ValueError> {
    let v = read_unsigned_vint(buf)?;
    Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_encodings() {
        let enc = |v: i64| {
            let mut out = Vec::new();
            write_vint(&mut out, v);
            out
        };
        assert_eq!(enc(0), [0x00]);
        assert_eq!(enc(-1), [0x01]);
        assert_eq!(enc(1), [0x02]);
        assert_eq!(enc(63), [0x7E]);
        assert_eq!(enc(64), [0x80, 0x80]);
        assert_eq!(enc(i64::MAX).len(), 9);
        assert_eq!(enc(i64::MAX)[0], 0xFF);
    }

    #[test]
    fn truncated_is_an_error() {
        let mut buf: &[u8] = &[0xC0, 0x01];
        assert_eq!(read_vint(&mut buf), Err(ValueError::DurationTruncated));
        let mut empty: &[u8] = &[];
        assert!(read_vint(&mut empty).is_err());
    }

    proptest! {
        #[test]
        fn round_trip(v in any::<i64>()) {
            let mut out = Vec::new();
            write_vint(&mut out, v);
            prop_assert_eq!(out.len(), unsigned_vint_size(((v << 1) ^ (v >> 63)) as u64));
            let mut buf = out.as_slice();
            prop_assert_eq!(read_vint(&mut buf).unwrap(), v);
            prop_assert!(buf.is_empty());
        }
    }
}
