//! Encodes responses into complete frames for one connection: its protocol version and
//! negotiated compression are fixed per connection, so they live here.

use percore_protocol::compression::Compression;
use percore_protocol::frame::{encode_frame_with, Opcode, EVENT_STREAM_ID};
use percore_protocol::response::{self, ErrorResponse, SchemaChange};

use crate::cql::error::CqlError;
use crate::cql::result::ResultMessage;

#[derive(Debug, Clone, Copy)]
pub struct FrameWriter {
    pub version: u8,
    /// Compression applies to every frame after READY.
    pub compression: Option<Compression>,
}

impl FrameWriter {
    pub fn frame(&self, stream: i16, opcode: Opcode, write_body: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        encode_frame_with(&mut out, self.version, 0, stream, opcode, self.compression, write_body);
        out
    }

    pub fn error(&self, stream: i16, error: &CqlError) -> Vec<u8> {
        let body = ErrorResponse { code: error.code, message: error.message.clone(), extra: error.extra.clone() };
        self.frame(stream, Opcode::Error, |out| response::encode_error_body(&body, out))
    }

    pub fn result(&self, stream: i16, result: &ResultMessage) -> Vec<u8> {
        let version = self.version;
        self.frame(stream, Opcode::Result, |out| result.encode(version, out))
    }

    pub fn schema_change_event(&self, change: &SchemaChange) -> Vec<u8> {
        self.frame(EVENT_STREAM_ID, Opcode::Event, |out| response::encode_event_schema_change(out, change))
    }

    /// `TOPOLOGY_CHANGE` (`NEW_NODE`, `REMOVED_NODE`) of the node whose CQL address is `addr`.
    pub fn topology_change_event(&self, change: &str, addr: std::net::SocketAddr) -> Vec<u8> {
        self.frame(EVENT_STREAM_ID, Opcode::Event, |out| response::encode_event_topology_change(out, change, addr))
    }

    /// `STATUS_CHANGE` (`UP`, `DOWN`) of the node whose CQL address is `addr`.
    pub fn status_change_event(&self, change: &str, addr: std::net::SocketAddr) -> Vec<u8> {
        self.frame(EVENT_STREAM_ID, Opcode::Event, |out| response::encode_event_status_change(out, change, addr))
    }
}
