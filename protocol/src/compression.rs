//! Frame body compression negotiated in STARTUP (spec §5): `lz4` and `snappy`.
//!
//! * lz4 (v4 layout): a 4-byte big-endian uncompressed length, then one lz4 *block*.
//! * snappy: a raw snappy block (`snap::raw`), whose own header carries the length.
//!
//! Decompression never allocates more than the caller's `max_len`, whatever length the
//! (hostile) input declares, and refuses declared lengths that the compressed size
//! cannot possibly expand to.

use crate::error::ProtocolError;

/// Bytes of the big-endian uncompressed-length prefix of an lz4 body.
const LZ4_LENGTH_PREFIX_BYTES: usize = 4;

/// An lz4 block cannot expand more than ~255x (each extra length byte adds 255 bytes
/// of match), so a declared length above this ratio is a lie and is refused before
/// allocating.
const LZ4_MAX_EXPANSION_RATIO: usize = 256;

/// Slack added to the ratio bound for tiny inputs (literal-only blocks, headers).
const LZ4_EXPANSION_SLACK_BYTES: usize = 64;

/// A compression algorithm a connection may negotiate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    Lz4,
    Snappy,
}

impl Compression {
    /// Every algorithm this crate implements, for the SUPPORTED message.
    pub const ALL: [Compression; 2] = [Compression::Lz4, Compression::Snappy];

    /// Parses the STARTUP `COMPRESSION` value (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("lz4") {
            Some(Compression::Lz4)
        } else if name.eq_ignore_ascii_case("snappy") {
            Some(Compression::Snappy)
        } else {
            None
        }
    }

    /// The name as advertised in SUPPORTED.
    pub fn name(&self) -> &'static str {
        match self {
            Compression::Lz4 => "lz4",
            Compression::Snappy => "snappy",
        }
    }

    /// Appends the compressed form of `body` to `out`.
    pub fn compress(&self, body: &[u8], out: &mut Vec<u8>) {
        match self {
            Compression::Lz4 => {
                // A body never exceeds the frame limit (far below 4 GiB); saturate
                // rather than panic if a caller ever breaks that.
                let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(&lz4_flex::block::compress(body));
            }
            Compression::Snappy => {
                let start = out.len();
                out.resize(start + snap::raw::max_compress_len(body.len()), 0);
                let written = out.get_mut(start..).map(|dst| snap::raw::Encoder::new().compress(body, dst));
                match written {
                    Some(Ok(n)) => out.truncate(start + n),
                    // Only possible for inputs above snappy's 4 GiB limit.
                    _ => out.truncate(start),
                }
            }
        }
    }

    /// Decompresses `body`, refusing anything that would expand beyond `max_len` bytes.
    pub fn decompress(&self, body: &[u8], max_len: usize) -> Result<Vec<u8>, ProtocolError> {
        match self {
            Compression::Lz4 => decompress_lz4(body, max_len),
            Compression::Snappy => decompress_snappy(body, max_len),
        }
    }
}

fn decompress_lz4(body: &[u8], max_len: usize) -> Result<Vec<u8>, ProtocolError> {
    let (prefix, block) = match body.split_first_chunk::<LZ4_LENGTH_PREFIX_BYTES>() {
        Some(parts) => parts,
        None => {
            return Err(ProtocolError::BadCompression(format!(
                "lz4 body of {} bytes is shorter than its 4-byte length prefix",
                body.len()
            )))
        }
    };
    let declared = u32::from_be_bytes(*prefix) as usize;
    if declared > max_len {
        return Err(ProtocolError::BodyTooLarge { declared, max: max_len });
    }
    let possible = block.len().saturating_mul(LZ4_MAX_EXPANSION_RATIO).saturating_add(LZ4_EXPANSION_SLACK_BYTES);
    if declared > possible {
        return Err(ProtocolError::BadCompression(format!(
            "lz4 declares {declared} uncompressed bytes, impossible from {} compressed bytes",
            block.len()
        )));
    }
    let out =
        lz4_flex::block::decompress(block, declared).map_err(|e| ProtocolError::BadCompression(format!("lz4: {e}")))?;
    if out.len() != declared {
        return Err(ProtocolError::BadCompression(format!("lz4 declared {declared} bytes but produced {}", out.len())));
    }
    Ok(out)
}

fn decompress_snappy(body: &[u8], max_len: usize) -> Result<Vec<u8>, ProtocolError> {
    let declared =
        snap::raw::decompress_len(body).map_err(|e| ProtocolError::BadCompression(format!("snappy: {e}")))?;
    if declared > max_len {
        return Err(ProtocolError::BodyTooLarge { declared, max: max_len });
    }
    snap::raw::Decoder::new().decompress_vec(body).map_err(|e| ProtocolError::BadCompression(format!("snappy: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1 << 20;

    fn sample() -> Vec<u8> {
        (0..10_000u32).flat_map(|i| (i % 97).to_le_bytes()).collect()
    }

    #[test]
    fn names_are_case_insensitive() {
        assert_eq!(Compression::from_name("LZ4"), Some(Compression::Lz4));
        assert_eq!(Compression::from_name("Snappy"), Some(Compression::Snappy));
        assert_eq!(Compression::from_name("zstd"), None);
        assert_eq!(Compression::Lz4.name(), "lz4");
    }

    #[test]
    fn round_trips() {
        for c in Compression::ALL {
            for body in [Vec::new(), b"x".to_vec(), sample()] {
                let mut out = vec![0xAA];
                c.compress(&body, &mut out);
                assert_eq!(out[0], 0xAA, "compress appends");
                assert_eq!(c.decompress(&out[1..], MAX).unwrap(), body, "{c:?}");
            }
        }
    }

    #[test]
    fn lz4_has_big_endian_length_prefix() {
        let mut out = Vec::new();
        Compression::Lz4.compress(&[7u8; 300], &mut out);
        assert_eq!(&out[..4], &300u32.to_be_bytes());
    }

    #[test]
    fn hostile_declared_length_is_refused() {
        // lz4: declares 4 GiB - 1.
        let mut body = u32::MAX.to_be_bytes().to_vec();
        body.extend_from_slice(&[0x10, b'a']);
        assert!(matches!(Compression::Lz4.decompress(&body, MAX), Err(ProtocolError::BodyTooLarge { .. })));
        // lz4: within max but impossible from 2 compressed bytes.
        let mut body = (MAX as u32).to_be_bytes().to_vec();
        body.extend_from_slice(&[0x10, b'a']);
        assert!(matches!(Compression::Lz4.decompress(&body, MAX), Err(ProtocolError::BadCompression(_))));
        // snappy: a varint length of 2^32-1.
        let body = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00];
        assert!(Compression::Snappy.decompress(&body, MAX).is_err());
    }

    #[test]
    fn output_above_max_is_refused() {
        for c in Compression::ALL {
            let mut out = Vec::new();
            c.compress(&sample(), &mut out);
            assert!(c.decompress(&out, 100).is_err(), "{c:?}");
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for c in Compression::ALL {
            for body in [&[][..], &[1, 2], &[0, 0, 0, 5, 0xFF, 0xFF, 0xFF]] {
                assert!(c.decompress(body, MAX).is_err(), "{c:?} {body:?}");
            }
        }
    }
}
