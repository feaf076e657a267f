//! ERROR bodies (spec §4.2.1, §9): `<code:int><message:string>` followed by the extra
//! fields some codes carry. READ_FAILURE, WRITE_FAILURE and FUNCTION_FAILURE exist from
//! protocol v4; on a v3 connection the engine should answer with another code.

use bytes::Bytes;

use crate::error::{ErrorCode, ProtocolError};
use crate::wire;

/// Extra fields after the message, by error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorExtra {
    None,
    /// 0x1000.
    Unavailable {
        consistency: u16,
        required: i32,
        alive: i32,
    },
    /// 0x1100. `write_type` is e.g. `SIMPLE`, `BATCH`, `UNLOGGED_BATCH`, `COUNTER`,
    /// `BATCH_LOG`, `CAS`.
    WriteTimeout {
        consistency: u16,
        received: i32,
        block_for: i32,
        write_type: String,
    },
    /// 0x1200.
    ReadTimeout {
        consistency: u16,
        received: i32,
        block_for: i32,
        data_present: bool,
    },
    /// 0x1300 (v4).
    ReadFailure {
        consistency: u16,
        received: i32,
        block_for: i32,
        num_failures: i32,
        data_present: bool,
    },
    /// 0x1400 (v4).
    FunctionFailure {
        keyspace: String,
        function: String,
        arg_types: Vec<String>,
    },
    /// 0x1500 (v4).
    WriteFailure {
        consistency: u16,
        received: i32,
        block_for: i32,
        num_failures: i32,
        write_type: String,
    },
    /// 0x2400. `table` is empty when a keyspace already exists.
    AlreadyExists {
        keyspace: String,
        table: String,
    },
    /// 0x2500: the unknown prepared id; the driver re-prepares and retries.
    Unprepared {
        id: Bytes,
    },
}

/// An ERROR message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// An [`ErrorCode`] value.
    pub code: u32,
    pub message: String,
    pub extra: ErrorExtra,
}

impl ErrorResponse {
    /// An error without extra fields.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorResponse { code: code.0, message: message.into(), extra: ErrorExtra::None }
    }
}

impl From<&ProtocolError> for ErrorResponse {
    fn from(e: &ProtocolError) -> Self {
        ErrorResponse::new(e.code(), e.to_string())
    }
}

/// Writes an ERROR body.
pub fn encode_error_body(err: &ErrorResponse, out: &mut Vec<u8>) {
    wire::write_i32(out, err.code as i32);
    wire::write_string(out, &err.message);
    match &err.extra {
        ErrorExtra::None => {}
        ErrorExtra::Unavailable { consistency, required, alive } => {
            wire::write_consistency(out, *consistency);
            wire::write_i32(out, *required);
            wire::write_i32(out, *alive);
        }
        ErrorExtra::WriteTimeout { consistency, received, block_for, write_type } => {
            wire::write_consistency(out, *consistency);
            wire::write_i32(out, *received);
            wire::write_i32(out, *block_for);
            wire::write_string(out, write_type);
        }
        ErrorExtra::ReadTimeout { consistency, received, block_for, data_present } => {
            wire::write_consistency(out, *consistency);
            wire::write_i32(out, *received);
            wire::write_i32(out, *block_for);
            wire::write_u8(out, u8::from(*data_present));
        }
        ErrorExtra::ReadFailure { consistency, received, block_for, num_failures, data_present } => {
            wire::write_consistency(out, *consistency);
            wire::write_i32(out, *received);
            wire::write_i32(out, *block_for);
            wire::write_i32(out, *num_failures);
            wire::write_u8(out, u8::from(*data_present));
        }
        ErrorExtra::FunctionFailure { keyspace, function, arg_types } => {
            wire::write_string(out, keyspace);
            wire::write_string(out, function);
            wire::write_string_list(out, arg_types);
        }
        ErrorExtra::WriteFailure { consistency, received, block_for, num_failures, write_type } => {
            wire::write_consistency(out, *consistency);
            wire::write_i32(out, *received);
            wire::write_i32(out, *block_for);
            wire::write_i32(out, *num_failures);
            wire::write_string(out, write_type);
        }
        ErrorExtra::AlreadyExists { keyspace, table } => {
            wire::write_string(out, keyspace);
            wire::write_string(out, table);
        }
        ErrorExtra::Unprepared { id } => wire::write_short_bytes(out, id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{consistency, WireReader};

    fn body(err: &ErrorResponse) -> Vec<u8> {
        let mut out = Vec::new();
        encode_error_body(err, &mut out);
        out
    }

    #[test]
    fn plain_error() {
        let out = body(&ErrorResponse::new(ErrorCode::SYNTAX_ERROR, "bad"));
        assert_eq!(out, [0, 0, 0x20, 0, 0, 3, b'b', b'a', b'd']);
    }

    #[test]
    fn protocol_error_conversion() {
        let e = ErrorResponse::from(&ProtocolError::UnsupportedVersion(5));
        assert_eq!(e.code, 0x000A);
        assert!(e.message.contains("unsupported protocol version"));
    }

    #[test]
    fn extras() {
        let unprepared = ErrorResponse {
            code: ErrorCode::UNPREPARED.0,
            message: String::new(),
            extra: ErrorExtra::Unprepared { id: Bytes::from_static(&[1, 2]) },
        };
        assert_eq!(body(&unprepared), [0, 0, 0x25, 0, 0, 0, 0, 2, 1, 2]);

        let timeout = ErrorResponse {
            code: ErrorCode::READ_TIMEOUT.0,
            message: "t".into(),
            extra: ErrorExtra::ReadTimeout {
                consistency: consistency::QUORUM,
                received: 1,
                block_for: 2,
                data_present: true,
            },
        };
        let mut r = WireReader::new(Bytes::from(body(&timeout)));
        assert_eq!(r.read_i32().unwrap(), 0x1200);
        assert_eq!(r.read_string().unwrap(), "t");
        assert_eq!(r.read_consistency().unwrap(), consistency::QUORUM);
        assert_eq!(r.read_i32().unwrap(), 1);
        assert_eq!(r.read_i32().unwrap(), 2);
        assert_eq!(r.read_u8().unwrap(), 1);
        assert_eq!(r.remaining(), 0);

        let exists = ErrorResponse {
            code: ErrorCode::ALREADY_EXISTS.0,
            message: "x".into(),
            extra: ErrorExtra::AlreadyExists { keyspace: "ks".into(), table: "t".into() },
        };
        let mut r = WireReader::new(Bytes::from(body(&exists)));
        r.read_i32().unwrap();
        r.read_string().unwrap();
        assert_eq!(r.read_string().unwrap(), "ks");
        assert_eq!(r.read_string().unwrap(), "t");

        let failure = ErrorResponse {
            code: ErrorCode::WRITE_FAILURE.0,
            message: String::new(),
            extra: ErrorExtra::WriteFailure {
                consistency: consistency::ONE,
                received: 0,
                block_for: 1,
                num_failures: 1,
                write_type: "SIMPLE".into(),
            },
        };
        assert_eq!(body(&failure).len(), 4 + 2 + 2 + 12 + 2 + 6);
    }
}
