//! Frame layer of protocol v3/v4 (spec §2): the 9-byte header, flags, opcodes, and
//! encoding a response frame around a body.
//!
//! Header layout: `version(1) flags(1) stream(2, signed BE) opcode(1) length(4, BE)`.
//! The top bit of `version` is the direction (set on responses).
//!
//! Reading is two steps so "incomplete" is never an error: [`parse_header`] returns
//! `None` until 9 bytes are buffered; then the caller checks [`FrameHeader::check`]
//! (body size limit) and waits for `body_len` more bytes, and [`frame_body`] undoes
//! compression. Version negotiation is the engine's job ([`is_supported_version`]).
//!
//! Writing: [`encode_frame_with`] writes the header with a zero length, lets the
//! caller write the body in place, then patches the length — no copy of an
//! uncompressed body. Optional response prefixes (tracing id when `FLAG_TRACING` is set,
//! warnings when `FLAG_WARNING` is set) are part of the body: the caller writes them
//! first with [`crate::wire::write_uuid`] / [`crate::wire::write_string_list`].

use bytes::Bytes;

use crate::compression::Compression;
use crate::error::ProtocolError;

/// Size of a v3/v4 frame header.
pub const FRAME_HEADER_BYTES: usize = 9;
/// Default limit on a frame body (Cassandra's `native_transport_max_frame_size`).
pub const DEFAULT_MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// The body is compressed with the negotiated algorithm.
pub const FLAG_COMPRESSION: u8 = 0x01;
/// Request: trace this query. Response: the body starts with a tracing session `[uuid]`.
pub const FLAG_TRACING: u8 = 0x02;
/// The body starts with a custom payload `[bytes map]` (v4).
pub const FLAG_CUSTOM_PAYLOAD: u8 = 0x04;
/// Response: the body starts with a `[string list]` of warnings (v4).
pub const FLAG_WARNING: u8 = 0x08;
/// The frame uses a beta protocol version.
pub const FLAG_BETA: u8 = 0x10;

/// Direction bit in the version byte: set on responses.
pub const RESPONSE_DIRECTION_BIT: u8 = 0x80;
/// Lowest protocol version this crate speaks.
pub const MIN_SUPPORTED_VERSION: u8 = 3;
/// Highest protocol version this crate speaks.
pub const MAX_SUPPORTED_VERSION: u8 = 4;
/// Stream id on which the server pushes EVENT messages.
pub const EVENT_STREAM_ID: i16 = -1;

/// Offset of the 4-byte body length inside the header.
const LENGTH_OFFSET: usize = 5;

/// The message type of a frame (spec §2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Opcode {
    Error = 0x00,
    Startup = 0x01,
    Ready = 0x02,
    Authenticate = 0x03,
    Options = 0x05,
    Supported = 0x06,
    Query = 0x07,
    Result = 0x08,
    Prepare = 0x09,
    Execute = 0x0A,
    Register = 0x0B,
    Event = 0x0C,
    Batch = 0x0D,
    AuthChallenge = 0x0E,
    AuthResponse = 0x0F,
    AuthSuccess = 0x10,
}

impl Opcode {
    /// True for the opcodes a client may send.
    pub fn is_request(self) -> bool {
        matches!(
            self,
            Opcode::Startup
                | Opcode::Options
                | Opcode::Query
                | Opcode::Prepare
                | Opcode::Execute
                | Opcode::Register
                | Opcode::Batch
                | Opcode::AuthResponse
        )
    }
}

impl TryFrom<u8> for Opcode {
    type Error = ProtocolError;

    fn try_from(raw: u8) -> Result<Self, ProtocolError> {
        Ok(match raw {
            0x00 => Opcode::Error,
            0x01 => Opcode::Startup,
            0x02 => Opcode::Ready,
            0x03 => Opcode::Authenticate,
            0x05 => Opcode::Options,
            0x06 => Opcode::Supported,
            0x07 => Opcode::Query,
            0x08 => Opcode::Result,
            0x09 => Opcode::Prepare,
            0x0A => Opcode::Execute,
            0x0B => Opcode::Register,
            0x0C => Opcode::Event,
            0x0D => Opcode::Batch,
            0x0E => Opcode::AuthChallenge,
            0x0F => Opcode::AuthResponse,
            0x10 => Opcode::AuthSuccess,
            other => return Err(ProtocolError::UnknownOpcode(other)),
        })
    }
}

/// A decoded frame header. Fields are raw so that even a frame with an unknown opcode or
/// an unsupported version can be answered on its own stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Protocol version without the direction bit.
    pub version: u8,
    /// True when the direction bit is set (a response).
    pub is_response: bool,
    pub flags: u8,
    pub stream: i16,
    /// The raw opcode; convert with `Opcode::try_from`.
    pub opcode: u8,
    /// Length of the body that follows the header.
    pub body_len: u32,
}

impl FrameHeader {
    /// Checks the declared body length against `max_body_bytes`. Call before buffering
    /// the body, so a hostile length is refused before any allocation.
    pub fn check(&self, max_body_bytes: usize) -> Result<(), ProtocolError> {
        let declared = self.body_len as usize;
        if declared > max_body_bytes {
            return Err(ProtocolError::BodyTooLarge { declared, max: max_body_bytes });
        }
        Ok(())
    }

    /// Whether a flag bit is set.
    pub fn has_flag(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Total frame size (header + body).
    pub fn frame_len(&self) -> usize {
        FRAME_HEADER_BYTES + self.body_len as usize
    }
}

/// Parses the 9-byte header at the start of `buf`; `None` when fewer than 9 bytes are
/// available (incomplete, not an error).
pub fn parse_header(buf: &[u8]) -> Option<FrameHeader> {
    let header: &[u8; FRAME_HEADER_BYTES] = buf.first_chunk()?;
    let [v, flags, s0, s1, opcode, l0, l1, l2, l3] = *header;
    Some(FrameHeader {
        version: v & !RESPONSE_DIRECTION_BIT,
        is_response: v & RESPONSE_DIRECTION_BIT != 0,
        flags,
        stream: i16::from_be_bytes([s0, s1]),
        opcode,
        body_len: u32::from_be_bytes([l0, l1, l2, l3]),
    })
}

/// Whether this crate can speak protocol version `v` (3 or 4).
pub fn is_supported_version(v: u8) -> bool {
    (MIN_SUPPORTED_VERSION..=MAX_SUPPORTED_VERSION).contains(&v)
}

/// Returns the plain body of a received frame: decompresses it when `FLAG_COMPRESSION`
/// is set (refusing output above `max_body_bytes`), else returns it unchanged.
pub fn frame_body(
    header: &FrameHeader,
    body: Bytes,
    compression: Option<Compression>,
    max_body_bytes: usize,
) -> Result<Bytes, ProtocolError> {
    if !header.has_flag(FLAG_COMPRESSION) {
        return Ok(body);
    }
    let algorithm = compression.ok_or(ProtocolError::CompressionNotNegotiated)?;
    algorithm.decompress(&body, max_body_bytes).map(Bytes::from)
}

/// Appends a complete response frame carrying `body` (uncompressed) to `out`.
pub fn encode_frame(out: &mut Vec<u8>, version: u8, flags: u8, stream: i16, opcode: Opcode, body: &[u8]) {
    encode_frame_with(out, version, flags, stream, opcode, None, |b| b.extend_from_slice(body));
}

/// Appends a response frame to `out`, letting `write_body` append the body.
///
/// Without compression the body is written in place after the header and the length
/// is patched afterwards. With compression the body is written to a scratch buffer,
/// compressed into `out`, and `FLAG_COMPRESSION` is set.
pub fn encode_frame_with(
    out: &mut Vec<u8>,
    version: u8,
    flags: u8,
    stream: i16,
    opcode: Opcode,
    compression: Option<Compression>,
    write_body: impl FnOnce(&mut Vec<u8>),
) {
    let start = out.len();
    let flags = match compression {
        Some(_) => flags | FLAG_COMPRESSION,
        None => flags & !FLAG_COMPRESSION,
    };
    out.push(version | RESPONSE_DIRECTION_BIT);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.push(opcode as u8);
    out.extend_from_slice(&0u32.to_be_bytes());
    let body_start = out.len();
    match compression {
        None => write_body(out),
        Some(algorithm) => {
            let mut plain = Vec::new();
            write_body(&mut plain);
            algorithm.compress(&plain, out);
        }
    }
    // Bodies are bounded by the frame limit, far below 4 GiB.
    let body_len = u32::try_from(out.len() - body_start).unwrap_or(u32::MAX);
    let at = start + LENGTH_OFFSET;
    if let Some(slot) = out.get_mut(at..at + 4) {
        slot.copy_from_slice(&body_len.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_needs_nine_bytes() {
        assert_eq!(parse_header(&[4, 0, 0, 1, 7, 0, 0, 0]), None);
    }

    #[test]
    fn parses_request_header() {
        let h = parse_header(&[0x04, 0x02, 0xFF, 0xFF, 0x07, 0, 0, 1, 0, 0xEE]).unwrap();
        assert_eq!(
            h,
            FrameHeader { version: 4, is_response: false, flags: FLAG_TRACING, stream: -1, opcode: 7, body_len: 256 }
        );
        assert_eq!(h.frame_len(), 265);
        assert!(h.check(256).is_ok());
        assert!(matches!(h.check(255), Err(ProtocolError::BodyTooLarge { declared: 256, max: 255 })));
    }

    #[test]
    fn versions() {
        assert!(!is_supported_version(2));
        assert!(is_supported_version(3));
        assert!(is_supported_version(4));
        assert!(!is_supported_version(5));
    }

    #[test]
    fn opcode_round_trip() {
        for raw in 0..=0xFFu8 {
            match Opcode::try_from(raw) {
                Ok(op) => assert_eq!(op as u8, raw),
                Err(e) => assert_eq!(e, ProtocolError::UnknownOpcode(raw)),
            }
        }
        assert!(Opcode::try_from(0x04).is_err());
        assert!(Opcode::Query.is_request());
        assert!(!Opcode::Result.is_request());
    }

    #[test]
    fn encodes_response_frame() {
        let mut out = vec![0xAB];
        encode_frame(&mut out, 4, 0, 3, Opcode::Ready, &[]);
        assert_eq!(out, [0xAB, 0x84, 0, 0, 3, 0x02, 0, 0, 0, 0]);

        let mut out = Vec::new();
        encode_frame(&mut out, 3, 0, -1, Opcode::Event, b"abc");
        let h = parse_header(&out).unwrap();
        assert!(h.is_response);
        assert_eq!((h.version, h.stream, h.opcode, h.body_len), (3, -1, 0x0C, 3));
        assert_eq!(&out[9..], b"abc");
    }

    #[test]
    fn compressed_frame_round_trips() {
        let body: Vec<u8> = (0..5000u32).map(|i| (i % 13) as u8).collect();
        for c in Compression::ALL {
            let mut out = Vec::new();
            encode_frame_with(&mut out, 4, 0, 9, Opcode::Result, Some(c), |b| b.extend_from_slice(&body));
            let h = parse_header(&out).unwrap();
            assert!(h.has_flag(FLAG_COMPRESSION));
            assert_eq!(h.frame_len(), out.len());
            let raw = Bytes::copy_from_slice(&out[FRAME_HEADER_BYTES..]);
            let plain = frame_body(&h, raw.clone(), Some(c), DEFAULT_MAX_FRAME_BYTES).unwrap();
            assert_eq!(plain, body);
            assert_eq!(
                frame_body(&h, raw, None, DEFAULT_MAX_FRAME_BYTES),
                Err(ProtocolError::CompressionNotNegotiated)
            );
        }
    }

    #[test]
    fn uncompressed_body_passes_through() {
        let h = parse_header(&[4, 0, 0, 1, 7, 0, 0, 0, 2]).unwrap();
        let body = Bytes::from_static(b"hi");
        assert_eq!(frame_body(&h, body.clone(), None, 10).unwrap(), body);
    }
}
