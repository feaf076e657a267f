//! Client requests (spec §4.1): [`Request`] and [`decode_request`].
//!
//! Bodies with few fields (STARTUP, OPTIONS, QUERY, PREPARE, EXECUTE, REGISTER,
//! AUTH_RESPONSE) are decoded here; `query_params` holds the options shared by QUERY and
//! EXECUTE and `batch` the BATCH message. Bytes after the last field are ignored, as the
//! spec asks of readers.

mod batch;
mod query_params;

pub use batch::{
    BatchRequest, BatchStatement, BatchStatementKind, BATCH_COUNTER, BATCH_FLAG_DEFAULT_TIMESTAMP,
    BATCH_FLAG_NAMES_FOR_VALUES, BATCH_FLAG_SERIAL_CONSISTENCY, BATCH_KIND_PREPARED, BATCH_KIND_QUERY, BATCH_LOGGED,
    BATCH_UNLOGGED, MAX_BATCH_STATEMENTS,
};
pub use query_params::{
    QueryParams, Values, MAX_BOUND_VALUES, QUERY_FLAG_DEFAULT_TIMESTAMP, QUERY_FLAG_NAMES_FOR_VALUES,
    QUERY_FLAG_PAGE_SIZE, QUERY_FLAG_PAGING_STATE, QUERY_FLAG_SERIAL_CONSISTENCY, QUERY_FLAG_SKIP_METADATA,
    QUERY_FLAG_VALUES,
};

use bytes::Bytes;

use crate::error::ProtocolError;
use crate::frame::{is_supported_version, FrameHeader, Opcode, FLAG_CUSTOM_PAYLOAD};
use crate::wire::WireReader;

/// STARTUP option naming the CQL version.
pub const STARTUP_CQL_VERSION: &str = "CQL_VERSION";
/// STARTUP option naming the body compression.
pub const STARTUP_COMPRESSION: &str = "COMPRESSION";

/// A decoded client request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Options in the order sent; unknown keys are kept for the engine to ignore.
    Startup {
        options: Vec<(String, String)>,
    },
    Options,
    Query {
        query: String,
        params: QueryParams,
    },
    Prepare {
        query: String,
    },
    Execute {
        id: Bytes,
        params: QueryParams,
    },
    Batch(BatchRequest),
    Register {
        events: Vec<String>,
    },
    /// The SASL token; `None` when the client sent a null `[bytes]`.
    AuthResponse {
        token: Option<Bytes>,
    },
}

impl Request {
    /// The value of a STARTUP option, by case-insensitive key.
    pub fn startup_option<'a>(options: &'a [(String, String)], key: &str) -> Option<&'a str> {
        options.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
}

/// Decodes a request body (already decompressed, without a custom payload).
pub fn decode_request(version: u8, opcode: u8, body: Bytes) -> Result<Request, ProtocolError> {
    if !is_supported_version(version) {
        return Err(ProtocolError::UnsupportedVersion(version));
    }
    let op = Opcode::try_from(opcode)?;
    let mut r = WireReader::new(body);
    Ok(match op {
        Opcode::Startup => Request::Startup { options: r.read_string_map()? },
        Opcode::Options => Request::Options,
        Opcode::Query => {
            let query = r.read_long_string()?;
            let params = QueryParams::decode(&mut r, version)?;
            Request::Query { query, params }
        }
        Opcode::Prepare => Request::Prepare { query: r.read_long_string()? },
        Opcode::Execute => {
            let id = r.read_short_bytes()?;
            let params = QueryParams::decode(&mut r, version)?;
            Request::Execute { id, params }
        }
        Opcode::Batch => Request::Batch(BatchRequest::decode(&mut r)?),
        Opcode::Register => Request::Register { events: r.read_string_list()? },
        Opcode::AuthResponse => Request::AuthResponse { token: r.read_bytes()? },
        Opcode::Error
        | Opcode::Ready
        | Opcode::Authenticate
        | Opcode::Supported
        | Opcode::Result
        | Opcode::Event
        | Opcode::AuthChallenge
        | Opcode::AuthSuccess => return Err(ProtocolError::NotARequest(opcode)),
    })
}

/// Decodes the body of a request frame whose compression is already undone: skips the
/// custom payload (`FLAG_CUSTOM_PAYLOAD`, a `[bytes map]` Percore does not use) and
/// decodes the rest with [`decode_request`].
pub fn decode_request_frame(header: &FrameHeader, body: Bytes) -> Result<Request, ProtocolError> {
    let body = if header.has_flag(FLAG_CUSTOM_PAYLOAD) {
        let mut r = WireReader::new(body);
        r.read_bytes_map()?;
        r.take_rest()
    } else {
        body
    };
    decode_request(header.version, header.opcode, body)
}

#[cfg(test)]
mod tests;
