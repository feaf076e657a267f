//! Protocol-level errors: CQL error codes (spec §9) and [`ProtocolError`], the typed
//! failure of decoding anything a client sent.
//!
//! Error codes are exposed as associated constants on the newtype [`ErrorCode`]
//! (`ErrorCode::SYNTAX_ERROR`), so an engine error can carry "which CQL code" without
//! a stringly-typed integer. Every [`ProtocolError`] maps to `ErrorCode::PROTOCOL_ERROR`
//! and its `Display` text is the message sent to the client.

use thiserror::Error;

/// A CQL error code as written in the `[int]` at the start of an ERROR body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub u32);

impl ErrorCode {
    /// Something unexpected happened on the server (a bug).
    pub const SERVER_ERROR: ErrorCode = ErrorCode(0x0000);
    /// The client violated the protocol (bad frame, unsupported version...).
    pub const PROTOCOL_ERROR: ErrorCode = ErrorCode(0x000A);
    /// Authentication was required and failed.
    pub const AUTH_ERROR: ErrorCode = ErrorCode(0x0100);
    /// Not enough replicas alive: body `<cl><required><alive>`.
    pub const UNAVAILABLE: ErrorCode = ErrorCode(0x1000);
    /// The request cannot be processed because the coordinator is overloaded.
    pub const OVERLOADED: ErrorCode = ErrorCode(0x1001);
    /// The coordinator is bootstrapping.
    pub const IS_BOOTSTRAPPING: ErrorCode = ErrorCode(0x1002);
    /// A TRUNCATE failed.
    pub const TRUNCATE_ERROR: ErrorCode = ErrorCode(0x1003);
    /// Write timeout: body `<cl><received><blockfor><writeType>`.
    pub const WRITE_TIMEOUT: ErrorCode = ErrorCode(0x1100);
    /// Read timeout: body `<cl><received><blockfor><data_present>`.
    pub const READ_TIMEOUT: ErrorCode = ErrorCode(0x1200);
    /// Read failure (v4): body `<cl><received><blockfor><numfailures><data_present>`.
    pub const READ_FAILURE: ErrorCode = ErrorCode(0x1300);
    /// A user-defined function failed: body `<keyspace><function><arg_types>`.
    pub const FUNCTION_FAILURE: ErrorCode = ErrorCode(0x1400);
    /// Write failure (v4): body `<cl><received><blockfor><numfailures><write_type>`.
    pub const WRITE_FAILURE: ErrorCode = ErrorCode(0x1500);
    /// The query has a syntax error.
    pub const SYNTAX_ERROR: ErrorCode = ErrorCode(0x2000);
    /// The logged-in user lacks a permission.
    pub const UNAUTHORIZED: ErrorCode = ErrorCode(0x2100);
    /// The query is syntactically correct but invalid.
    pub const INVALID: ErrorCode = ErrorCode(0x2200);
    /// The query is invalid because of a configuration issue.
    pub const CONFIG_ERROR: ErrorCode = ErrorCode(0x2300);
    /// The keyspace or table already exists: body `<ks><table>`.
    pub const ALREADY_EXISTS: ErrorCode = ErrorCode(0x2400);
    /// The prepared statement id is unknown: body `<id>`.
    pub const UNPREPARED: ErrorCode = ErrorCode(0x2500);
}

/// Why bytes received from a client could not be decoded. The `Display` text is what
/// the client reads in the ERROR message, so it says what is wrong and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtocolError {
    /// The message ended before a field could be read.
    #[error("not enough bytes to read {what}: needed {needed}, {remaining} remaining")]
    Truncated { what: &'static str, needed: usize, remaining: usize },
    /// A `[string]` or `[long string]` is not valid UTF-8.
    #[error("invalid UTF-8 in {what}")]
    InvalidUtf8 { what: &'static str },
    /// A length prefix is negative where the spec does not allow it.
    #[error("invalid negative length {len} for {what}")]
    NegativeLength { what: &'static str, len: i64 },
    /// A field holds a value the spec does not allow.
    #[error("invalid {what}: {detail}")]
    BadValue { what: &'static str, detail: String },
    /// The opcode is not one the protocol defines.
    #[error("unknown opcode 0x{0:02X}")]
    UnknownOpcode(u8),
    /// The opcode exists but is not something a client may send.
    #[error("opcode 0x{0:02X} is not a request")]
    NotARequest(u8),
    /// The frame version is not 3 or 4. The text contains the lowercase phrase
    /// "unsupported protocol version", which drivers look for before downgrading.
    #[error("Invalid or unsupported protocol version ({0}); supported versions are (3/v3, 4/v4)")]
    UnsupportedVersion(u8),
    /// The frame header declares a body above the configured maximum.
    #[error("request body too large: {declared} bytes declared, maximum is {max} bytes")]
    BodyTooLarge { declared: usize, max: usize },
    /// The compressed body is malformed or decompresses to something unexpected.
    #[error("cannot decompress frame body: {0}")]
    BadCompression(String),
    /// A compressed frame arrived but no compression was negotiated in STARTUP.
    #[error("received a compressed frame but no compression was negotiated in STARTUP")]
    CompressionNotNegotiated,
    /// A count exceeds a protocol limit.
    #[error("too many {what}: {count}, the maximum is {max}")]
    LimitExceeded { what: &'static str, count: usize, max: usize },
    /// A type description nests deeper than the supported limit.
    #[error("type nesting deeper than {max} levels")]
    NestingTooDeep { max: usize },
}

impl ProtocolError {
    /// The CQL error code to answer with: always `PROTOCOL_ERROR`.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::PROTOCOL_ERROR
    }

    pub(crate) fn truncated(what: &'static str, needed: usize, remaining: usize) -> Self {
        ProtocolError::Truncated { what, needed, remaining }
    }

    pub(crate) fn bad_value(what: &'static str, detail: impl Into<String>) -> Self {
        ProtocolError::BadValue { what, detail: detail.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_version_message_is_recognised_by_drivers() {
        let msg = ProtocolError::UnsupportedVersion(5).to_string();
        assert!(msg.to_lowercase().contains("unsupported protocol version"));
        assert!(msg.contains("(5)"));
    }

    #[test]
    fn every_protocol_error_is_a_protocol_error_code() {
        assert_eq!(ProtocolError::UnknownOpcode(0x42).code(), ErrorCode::PROTOCOL_ERROR);
        assert_eq!(ErrorCode::PROTOCOL_ERROR.0, 0x000A);
        assert_eq!(ErrorCode::UNPREPARED.0, 0x2500);
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let e = ProtocolError::BodyTooLarge { declared: 100, max: 10 };
        assert_eq!(e.to_string(), "request body too large: 100 bytes declared, maximum is 10 bytes");
        assert_eq!(ProtocolError::UnknownOpcode(0x42).to_string(), "unknown opcode 0x42");
    }
}
