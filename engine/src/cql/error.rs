//! The one error type of query processing: a CQL error code, a message for the user and
//! the code-specific extra fields. Everything that can go wrong with a request ends here
//! and is sent to the client as an ERROR frame.

use bytes::Bytes;
use percore_protocol::error::ErrorCode;
use percore_protocol::response::ErrorExtra;

use crate::coordinator::CoordinatorError;
use crate::replica::ReplicaError;
use crate::runtime::mesh::ShardCallError;
use crate::schema::error::{SchemaError, SchemaErrorKind};

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message} (code {code:#06x})")]
pub struct CqlError {
    pub code: u32,
    pub message: String,
    pub extra: ErrorExtra,
}

impl CqlError {
    fn new(code: ErrorCode, message: String) -> CqlError {
        CqlError { code: code.0, message, extra: ErrorExtra::None }
    }

    pub fn server(message: String) -> CqlError {
        Self::new(ErrorCode::SERVER_ERROR, message)
    }

    pub fn protocol(message: String) -> CqlError {
        Self::new(ErrorCode::PROTOCOL_ERROR, message)
    }

    pub fn overloaded(message: String) -> CqlError {
        Self::new(ErrorCode::OVERLOADED, message)
    }

    pub fn syntax(message: String) -> CqlError {
        Self::new(ErrorCode::SYNTAX_ERROR, message)
    }

    pub fn invalid(message: String) -> CqlError {
        Self::new(ErrorCode::INVALID, message)
    }

    pub fn config(message: String) -> CqlError {
        Self::new(ErrorCode::CONFIG_ERROR, message)
    }

    pub fn unauthorized(message: String) -> CqlError {
        Self::new(ErrorCode::UNAUTHORIZED, message)
    }

    pub fn already_exists(keyspace: &str, table: &str) -> CqlError {
        SchemaError::already_exists(keyspace, table).into()
    }

    /// A native function failed on its input (`system.<function>(<arg_types>)`).
    pub fn function_failure(function: &str, arg_types: &[&str], message: String) -> CqlError {
        CqlError {
            code: ErrorCode::FUNCTION_FAILURE.0,
            message: format!("execution of 'system.{function}[{}]' failed: {message}", arg_types.join(", ")),
            extra: ErrorExtra::FunctionFailure {
                keyspace: "system".into(),
                function: function.into(),
                arg_types: arg_types.iter().map(|t| t.to_string()).collect(),
            },
        }
    }

    /// 0x1000: the consistency level blocks for more replicas than are alive.
    pub fn unavailable(message: String, consistency: u16, required: i32, alive: i32) -> CqlError {
        CqlError {
            code: ErrorCode::UNAVAILABLE.0,
            message,
            extra: ErrorExtra::Unavailable { consistency, required, alive },
        }
    }

    pub fn unprepared(id: Bytes) -> CqlError {
        CqlError {
            code: ErrorCode::UNPREPARED.0,
            message: format!("Prepared query with ID {} not found (either the query was not prepared on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been evicted from the internal cache)", hex(&id)),
            extra: ErrorExtra::Unprepared { id },
        }
    }
}

impl From<SchemaError> for CqlError {
    fn from(e: SchemaError) -> CqlError {
        let code = match e.kind {
            SchemaErrorKind::Invalid => ErrorCode::INVALID,
            SchemaErrorKind::Config => ErrorCode::CONFIG_ERROR,
            SchemaErrorKind::Syntax => ErrorCode::SYNTAX_ERROR,
            SchemaErrorKind::Unauthorized => ErrorCode::UNAUTHORIZED,
            SchemaErrorKind::AlreadyExists { keyspace_and_table: (keyspace, table) } => {
                return CqlError {
                    code: ErrorCode::ALREADY_EXISTS.0,
                    message: e.message,
                    extra: ErrorExtra::AlreadyExists { keyspace, table },
                };
            }
        };
        CqlError::new(code, e.message)
    }
}

impl From<ReplicaError> for CqlError {
    fn from(e: ReplicaError) -> CqlError {
        match e {
            ReplicaError::Overloaded { .. } => CqlError::overloaded(e.to_string()),
            ReplicaError::MutationTooLarge(_) => CqlError::invalid(e.to_string()),
            _ => CqlError::server(e.to_string()),
        }
    }
}

impl From<CoordinatorError> for CqlError {
    fn from(e: CoordinatorError) -> CqlError {
        let message = e.to_string();
        match e {
            CoordinatorError::Invalid(m) => CqlError::invalid(m),
            CoordinatorError::Protocol(m) => CqlError::protocol(m),
            CoordinatorError::Unavailable { consistency, required, alive } => {
                CqlError::unavailable(message, consistency, required as i32, alive as i32)
            }
            CoordinatorError::WriteTimeout { consistency, received, block_for, write_type } => CqlError {
                code: ErrorCode::WRITE_TIMEOUT.0,
                message,
                extra: ErrorExtra::WriteTimeout {
                    consistency,
                    received: received as i32,
                    block_for: block_for as i32,
                    write_type: write_type.name().into(),
                },
            },
            CoordinatorError::ReadTimeout { consistency, received, block_for, data_present } => CqlError {
                code: ErrorCode::READ_TIMEOUT.0,
                message,
                extra: ErrorExtra::ReadTimeout {
                    consistency,
                    received: received as i32,
                    block_for: block_for as i32,
                    data_present,
                },
            },
            CoordinatorError::WriteFailure { consistency, received, block_for, failures, write_type, .. } => CqlError {
                code: ErrorCode::WRITE_FAILURE.0,
                message,
                extra: ErrorExtra::WriteFailure {
                    consistency,
                    received: received as i32,
                    block_for: block_for as i32,
                    num_failures: failures as i32,
                    write_type: write_type.name().into(),
                },
            },
            CoordinatorError::ReadFailure { consistency, received, block_for, failures, data_present, .. } => {
                CqlError {
                    code: ErrorCode::READ_FAILURE.0,
                    message,
                    extra: ErrorExtra::ReadFailure {
                        consistency,
                        received: received as i32,
                        block_for: block_for as i32,
                        num_failures: failures as i32,
                        data_present,
                    },
                }
            }
            CoordinatorError::Truncate(_) => CqlError::new(ErrorCode::TRUNCATE_ERROR, message),
            CoordinatorError::Placement(_) => CqlError::server(message),
            CoordinatorError::Replica(e) => e.into(),
        }
    }
}

impl From<ShardCallError> for CqlError {
    fn from(e: ShardCallError) -> CqlError {
        CqlError::server(e.to_string())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
