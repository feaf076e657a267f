//! The internode frame: a fixed 24-byte header and a postcard payload.
//!
//! ```text
//! offset size
//!      0    4  length: bytes after this field (header rest + payload), big-endian
//!      4    4  crc32c of every byte after this field (offset 8 to the end)
//!      8    1  format version (FRAME_FORMAT_VERSION)
//!      9    1  kind (FrameKind)
//!     10    2  verb number (0 in handshake frames)
//!     12    8  request id (the response carries its request's id)
//!     20    4  timeout in ms (requests; 0 otherwise)
//!     24    …  payload (postcard)
//! ```
//!
//! Decoding is a pipeline stage over a byte buffer: "not enough bytes yet" is
//! `Ok(None)`, not an error. The declared length is checked against the connection's limit
//! before the body is waited for, so a hostile length never allocates. A frame that fails a
//! check cannot be skipped safely (its length may be the corrupted part): the connection
//! carrying it is closed.

use bytes::{Buf, Bytes, BytesMut};
use serde::Serialize;

use super::payload::{self, PayloadError};

/// The frame layout this node writes and the only one it reads.
pub const FRAME_FORMAT_VERSION: u8 = 1;
/// Bytes before the payload.
pub const FRAME_HEADER_BYTES: usize = 24;
/// Bytes of the length field, which the length does not count.
const LENGTH_FIELD_BYTES: usize = 4;
/// Offset of the first byte the checksum covers.
const CHECKSUMMED_FROM: usize = 8;

/// What a frame is.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// A request expecting a response with the same request id.
    Request = 0,
    /// A handler's successful result.
    Response = 1,
    /// A `RemoteError`: the handler failed, or the request could not be handled.
    ErrorResponse = 2,
    /// A request that gets no response.
    OneWay = 3,
    /// The client's first frame on a connection (`handshake::Hello`).
    Handshake = 4,
    /// The server's answer to it (`handshake::HelloReply`).
    HandshakeReply = 5,
}

impl TryFrom<u8> for FrameKind {
    type Error = FrameError;

    fn try_from(value: u8) -> Result<FrameKind, FrameError> {
        Ok(match value {
            0 => FrameKind::Request,
            1 => FrameKind::Response,
            2 => FrameKind::ErrorResponse,
            3 => FrameKind::OneWay,
            4 => FrameKind::Handshake,
            5 => FrameKind::HandshakeReply,
            other => return Err(FrameError::UnknownKind(other)),
        })
    }
}

/// The header fields a sender chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    pub kind: FrameKind,
    pub verb: u16,
    pub request_id: u64,
    pub timeout_ms: u32,
}

/// A decoded, checksum-verified frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub header: FrameHeader,
    pub payload: Bytes,
}

/// Why bytes are not a frame. Every one of these closes the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("frame of {frame_bytes} bytes is over the connection's limit of {max_bytes} bytes")]
    TooLarge { frame_bytes: usize, max_bytes: usize },
    #[error("frame length {0} is shorter than a frame header")]
    TooShort(usize),
    #[error("frame checksum mismatch (stored {stored:#010x}, computed {computed:#010x})")]
    Checksum { stored: u32, computed: u32 },
    #[error("unsupported frame format version {0} (this node reads version {FRAME_FORMAT_VERSION})")]
    UnsupportedVersion(u8),
    #[error("unknown frame kind {0}")]
    UnknownKind(u8),
}

/// Why a frame could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FrameEncodeError {
    #[error("cannot encode the payload: {0}")]
    Payload(#[from] PayloadError),
    #[error("frame of {frame_bytes} bytes is over the connection's limit of {max_bytes} bytes")]
    TooLarge { frame_bytes: usize, max_bytes: usize },
}

/// Encodes a frame whose payload is `value` in postcard.
pub fn encode<T: Serialize + ?Sized>(
    header: FrameHeader,
    value: &T,
    max_frame_bytes: usize,
) -> Result<Vec<u8>, FrameEncodeError> {
    encode_with(header, max_frame_bytes, |out| payload::encode_into(value, out))
}

/// Encodes a frame whose payload `write_payload` appends.
pub fn encode_with(
    header: FrameHeader,
    max_frame_bytes: usize,
    write_payload: impl FnOnce(&mut Vec<u8>) -> Result<(), PayloadError>,
) -> Result<Vec<u8>, FrameEncodeError> {
    let mut out = Vec::with_capacity(FRAME_HEADER_BYTES + 64);
    write_header_placeholder(&mut out, header);
    write_payload(&mut out)?;
    seal(out, max_frame_bytes)
}

/// Encodes a frame around an already encoded payload.
pub fn encode_raw(header: FrameHeader, payload: &[u8], max_frame_bytes: usize) -> Result<Vec<u8>, FrameEncodeError> {
    encode_with(header, max_frame_bytes, |out| {
        out.extend_from_slice(payload);
        Ok(())
    })
}

fn write_header_placeholder(out: &mut Vec<u8>, header: FrameHeader) {
    out.extend_from_slice(&[0; CHECKSUMMED_FROM]); // length and crc, filled by `seal`
    out.push(FRAME_FORMAT_VERSION);
    out.push(header.kind as u8);
    out.extend_from_slice(&header.verb.to_be_bytes());
    out.extend_from_slice(&header.request_id.to_be_bytes());
    out.extend_from_slice(&header.timeout_ms.to_be_bytes());
}

/// Fills in the length and checksum once the payload is written.
fn seal(mut out: Vec<u8>, max_frame_bytes: usize) -> Result<Vec<u8>, FrameEncodeError> {
    if out.len() > max_frame_bytes || out.len() > u32::MAX as usize {
        return Err(FrameEncodeError::TooLarge { frame_bytes: out.len(), max_bytes: max_frame_bytes });
    }
    let length = (out.len() - LENGTH_FIELD_BYTES) as u32;
    let crc = crc32c::crc32c(&out[CHECKSUMMED_FROM..]);
    out[0..4].copy_from_slice(&length.to_be_bytes());
    out[4..8].copy_from_slice(&crc.to_be_bytes());
    Ok(out)
}

/// The whole frame's size as declared by its length field, once 4 bytes are there.
fn declared_frame_bytes(buf: &[u8]) -> Option<usize> {
    let length = u32::from_be_bytes(buf.get(..LENGTH_FIELD_BYTES)?.try_into().ok()?);
    Some(LENGTH_FIELD_BYTES + length as usize)
}

/// Cuts the next frame off the front of `buf`: `Ok(None)` until it is complete. The
/// declared size is checked as soon as the length field is in.
pub fn decode(buf: &mut BytesMut, max_frame_bytes: usize) -> Result<Option<Frame>, FrameError> {
    let Some(frame_bytes) = declared_frame_bytes(buf) else {
        return Ok(None);
    };
    if frame_bytes > max_frame_bytes {
        return Err(FrameError::TooLarge { frame_bytes, max_bytes: max_frame_bytes });
    }
    if frame_bytes < FRAME_HEADER_BYTES {
        return Err(FrameError::TooShort(frame_bytes - LENGTH_FIELD_BYTES));
    }
    if buf.len() < frame_bytes {
        return Ok(None);
    }
    let mut frame = buf.split_to(frame_bytes).freeze();
    let stored = u32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let computed = crc32c::crc32c(&frame[CHECKSUMMED_FROM..]);
    if stored != computed {
        return Err(FrameError::Checksum { stored, computed });
    }
    frame.advance(CHECKSUMMED_FROM);
    let version = frame.get_u8();
    if version != FRAME_FORMAT_VERSION {
        return Err(FrameError::UnsupportedVersion(version));
    }
    let kind = FrameKind::try_from(frame.get_u8())?;
    let header = FrameHeader { kind, verb: frame.get_u16(), request_id: frame.get_u64(), timeout_ms: frame.get_u32() };
    Ok(Some(Frame { header, payload: frame }))
}

/// How many more bytes the frame at the front of `buf` needs (for read sizing), if known.
pub fn missing_bytes(buf: &[u8]) -> Option<usize> {
    declared_frame_bytes(buf).map(|total| total.saturating_sub(buf.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1024;

    fn request(id: u64) -> FrameHeader {
        FrameHeader { kind: FrameKind::Request, verb: 7, request_id: id, timeout_ms: 1500 }
    }

    #[test]
    fn a_frame_round_trips_with_its_header_and_payload() {
        let bytes = encode(request(42), &("hello", 7u32), MAX).unwrap();
        assert_eq!(&bytes[8..10], &[FRAME_FORMAT_VERSION, FrameKind::Request as u8]);
        let mut buf = BytesMut::from(&bytes[..]);
        let frame = decode(&mut buf, MAX).unwrap().unwrap();
        assert!(buf.is_empty());
        assert_eq!(frame.header, request(42));
        let value: (String, u32) = payload::decode(&frame.payload).unwrap();
        assert_eq!(value, ("hello".to_string(), 7));
    }

    #[test]
    fn frames_are_cut_one_by_one_from_a_stream() {
        let mut buf = BytesMut::new();
        for id in 0..3u64 {
            buf.extend_from_slice(&encode(request(id), &id, MAX).unwrap());
        }
        for id in 0..3u64 {
            assert_eq!(decode(&mut buf, MAX).unwrap().unwrap().header.request_id, id);
        }
        assert_eq!(decode(&mut buf, MAX).unwrap(), None);
    }

    #[test]
    fn a_truncated_frame_is_incomplete_not_an_error() {
        let bytes = encode(request(1), &vec![9u8; 100], MAX).unwrap();
        for cut in 0..bytes.len() {
            let mut buf = BytesMut::from(&bytes[..cut]);
            assert_eq!(decode(&mut buf, MAX).unwrap(), None, "cut at {cut}");
            assert_eq!(buf.len(), cut, "nothing consumed");
            if cut >= 4 {
                assert_eq!(missing_bytes(&buf), Some(bytes.len() - cut));
            }
        }
    }

    #[test]
    fn any_flipped_bit_after_the_length_is_caught() {
        let bytes = encode(request(3), &"payload", MAX).unwrap();
        for byte in 4..bytes.len() {
            let mut corrupt = bytes.clone();
            corrupt[byte] ^= 0x10;
            let result = decode(&mut BytesMut::from(&corrupt[..]), MAX);
            assert!(matches!(result, Err(FrameError::Checksum { .. })), "byte {byte}: {result:?}");
        }
    }

    #[test]
    fn an_oversized_length_is_refused_before_the_body_arrives() {
        let mut buf = BytesMut::from(&(u32::MAX - 3).to_be_bytes()[..]);
        assert_eq!(
            decode(&mut buf, MAX),
            Err(FrameError::TooLarge { frame_bytes: u32::MAX as usize + 1, max_bytes: MAX })
        );
        let too_big = encode(request(1), &vec![0u8; MAX], usize::MAX).unwrap();
        assert!(matches!(decode(&mut BytesMut::from(&too_big[..8]), MAX), Err(FrameError::TooLarge { .. })));
        assert!(matches!(encode(request(1), &vec![0u8; MAX], MAX), Err(FrameEncodeError::TooLarge { .. })));
    }

    #[test]
    fn a_length_shorter_than_the_header_is_refused() {
        let mut buf = BytesMut::from(&3u32.to_be_bytes()[..]);
        assert_eq!(decode(&mut buf, MAX), Err(FrameError::TooShort(3)));
    }

    /// Rewrites header byte `at` and fixes the checksum, as a peer of another version would.
    fn with_byte(bytes: &[u8], at: usize, value: u8) -> BytesMut {
        let mut changed = bytes.to_vec();
        changed[at] = value;
        let crc = crc32c::crc32c(&changed[CHECKSUMMED_FROM..]);
        changed[4..8].copy_from_slice(&crc.to_be_bytes());
        BytesMut::from(&changed[..])
    }

    #[test]
    fn an_unknown_format_version_or_kind_is_refused() {
        let bytes = encode(request(1), &(), MAX).unwrap();
        assert_eq!(decode(&mut with_byte(&bytes, 8, 2), MAX), Err(FrameError::UnsupportedVersion(2)));
        assert_eq!(decode(&mut with_byte(&bytes, 9, 77), MAX), Err(FrameError::UnknownKind(77)));
    }

    #[test]
    fn an_empty_payload_is_a_header_alone() {
        let bytes = encode_raw(request(5), &[], MAX).unwrap();
        assert_eq!(bytes.len(), FRAME_HEADER_BYTES);
        let frame = decode(&mut BytesMut::from(&bytes[..]), MAX).unwrap().unwrap();
        assert!(frame.payload.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let mut buf = BytesMut::from(&bytes[..]);
            let _ = decode(&mut buf, MAX);
        }

        #[test]
        fn any_header_round_trips(kind in 0u8..6, verb: u16, id: u64, timeout: u32, body in proptest::collection::vec(proptest::num::u8::ANY, 0..100)) {
            let header = FrameHeader { kind: FrameKind::try_from(kind).unwrap(), verb, request_id: id, timeout_ms: timeout };
            let bytes = encode_raw(header, &body, MAX).unwrap();
            let frame = decode(&mut BytesMut::from(&bytes[..]), MAX).unwrap().unwrap();
            proptest::prop_assert_eq!(frame.header, header);
            proptest::prop_assert_eq!(&frame.payload[..], &body[..]);
        }
    }
}
