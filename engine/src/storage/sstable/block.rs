//! Block framing, pure: a payload is optionally lz4-compressed and framed as
//!
//! ```text
//! u32 LE stored_len ‖ u32 LE uncompressed_len ‖ u8 compression ‖ stored[stored_len] ‖ u32 LE crc32c
//! ```
//!
//! where the CRC32C covers every byte before it (header and stored payload), so a flipped
//! bit anywhere in the frame, including its lengths, is detected. Data blocks, index pages
//! and the in-memory components (summary, filter, statistics) all use this framing.

use super::format::Compression;
use super::wire::{put_u32, put_u8, DecodeError, WireReader};

/// `stored_len ‖ uncompressed_len ‖ compression`.
pub const FRAME_HEADER_BYTES: usize = 9;
/// The trailing CRC32C.
pub const FRAME_TRAILER_BYTES: usize = 4;
/// Header and trailer together.
pub const FRAME_OVERHEAD_BYTES: usize = FRAME_HEADER_BYTES + FRAME_TRAILER_BYTES;

const COMPRESSION_NONE: u8 = 0;
const COMPRESSION_LZ4: u8 = 1;

/// The largest frame of a payload of at most `max_payload` bytes: the stored bytes never
/// exceed the payload, because compression is only kept when it makes the block smaller.
pub const fn max_frame_bytes(max_payload: usize) -> usize {
    max_payload + FRAME_OVERHEAD_BYTES
}

/// Appends the frame of `payload` to `out`; returns the frame's length.
pub fn encode_block(payload: &[u8], compression: Compression, out: &mut Vec<u8>) -> usize {
    let compressed = match compression {
        Compression::Lz4 => Some(lz4_flex::block::compress(payload)).filter(|c| c.len() < payload.len()),
        Compression::None => None,
    };
    let (kind, stored) = match &compressed {
        Some(c) => (COMPRESSION_LZ4, &c[..]),
        None => (COMPRESSION_NONE, payload),
    };
    let start = out.len();
    put_u32(out, stored.len() as u32);
    put_u32(out, payload.len() as u32);
    put_u8(out, kind);
    out.extend_from_slice(stored);
    let crc = crc32c::crc32c(&out[start..]);
    put_u32(out, crc);
    out.len() - start
}

/// The total frame length announced by a frame header (`None` while fewer than
/// [`FRAME_HEADER_BYTES`] are available), refusing payloads above `max_payload`.
pub fn frame_len(header: &[u8], max_payload: usize) -> Result<Option<usize>, DecodeError> {
    if header.len() < FRAME_HEADER_BYTES {
        return Ok(None);
    }
    let mut r = WireReader::new(header);
    let stored = r.u32("block stored length")? as usize;
    if stored > max_payload {
        return Err(DecodeError::new(0, format!("block stored length {stored} exceeds the bound {max_payload}")));
    }
    Ok(Some(stored + FRAME_OVERHEAD_BYTES))
}

/// Decodes the frame at the start of `bytes`: checks the CRC, decompresses, and returns
/// the payload and the frame's length.
pub fn decode_block(bytes: &[u8], max_payload: usize) -> Result<(Vec<u8>, usize), DecodeError> {
    let Some(len) = frame_len(bytes, max_payload)? else {
        return Err(DecodeError::new(0, format!("truncated block header ({} bytes)", bytes.len())));
    };
    if bytes.len() < len {
        return Err(DecodeError::new(0, format!("truncated block: frame of {len} bytes, {} present", bytes.len())));
    }
    let frame = &bytes[..len];
    let (body, trailer) = frame.split_at(len - FRAME_TRAILER_BYTES);
    let stored_crc = WireReader::new(trailer).u32("block crc")?;
    let crc = crc32c::crc32c(body);
    if crc != stored_crc {
        return Err(DecodeError::new(
            0,
            format!("block checksum mismatch: stored {stored_crc:#010x}, computed {crc:#010x}"),
        ));
    }
    let mut r = WireReader::new(body);
    let stored_len = r.u32("block stored length")? as usize;
    let uncompressed_len = r.u32("block uncompressed length")? as usize;
    let kind = r.u8("block compression")?;
    let stored = r.take(stored_len, "block payload")?;
    if uncompressed_len > max_payload {
        return Err(DecodeError::new(
            4,
            format!("block uncompressed length {uncompressed_len} exceeds the bound {max_payload}"),
        ));
    }
    let payload = match kind {
        COMPRESSION_NONE if stored_len == uncompressed_len => stored.to_vec(),
        COMPRESSION_NONE => {
            return Err(DecodeError::new(0, "uncompressed block with differing lengths"));
        }
        COMPRESSION_LZ4 => {
            let mut out = vec![0u8; uncompressed_len];
            match lz4_flex::block::decompress_into(stored, &mut out) {
                Ok(n) if n == uncompressed_len => out,
                Ok(n) => {
                    return Err(DecodeError::new(
                        FRAME_HEADER_BYTES,
                        format!("lz4 block decompressed to {n} bytes, header says {uncompressed_len}"),
                    ));
                }
                Err(e) => {
                    return Err(DecodeError::new(FRAME_HEADER_BYTES, format!("lz4 block: {e}")));
                }
            }
        }
        other => {
            return Err(DecodeError::new(8, format!("unknown block compression {other}")));
        }
    };
    Ok((payload, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(payload: &[u8], c: Compression) -> Vec<u8> {
        let mut out = Vec::new();
        let n = encode_block(payload, c, &mut out);
        assert_eq!(n, out.len());
        out
    }

    #[test]
    fn compressible_payloads_are_compressed() {
        let payload = vec![7u8; 10_000];
        let f = frame(&payload, Compression::Lz4);
        assert!(f.len() < 1_000);
        assert_eq!(decode_block(&f, 10_000).unwrap(), (payload, f.len()));
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let payload: Vec<u8> = (0..300u32).map(|i| (i % 7) as u8).collect();
        for c in [Compression::None, Compression::Lz4] {
            let f = frame(&payload, c);
            for bit in 0..f.len() * 8 {
                let mut g = f.clone();
                g[bit / 8] ^= 1 << (bit % 8);
                assert!(decode_block(&g, 1 << 20).is_err(), "bit {bit} of {c:?}");
            }
        }
    }

    #[test]
    fn truncation_and_bounds_are_errors() {
        let f = frame(b"hello world", Compression::None);
        for n in 0..f.len() {
            assert!(decode_block(&f[..n], 100).is_err());
        }
        assert!(decode_block(&f, 5).is_err());
    }

    proptest! {
        #[test]
        fn round_trip(payload in proptest::collection::vec(any::<u8>(), 0..5000), lz4 in any::<bool>()) {
            let c = if lz4 { Compression::Lz4 } else { Compression::None };
            let mut f = frame(&payload, c);
            prop_assert!(f.len() <= max_frame_bytes(payload.len()));
            f.extend_from_slice(b"next");
            let (p, n) = decode_block(&f, payload.len()).unwrap();
            prop_assert_eq!(p, payload);
            prop_assert_eq!(n, f.len() - 4);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_block(&bytes, 1 << 16);
        }
    }
}
