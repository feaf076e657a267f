//! What a statement returns, before it is encoded into a RESULT frame.

use percore_protocol::response::{self, PreparedResult, RowsMetadata, SchemaChange};

#[derive(Debug)]
pub enum ResultMessage {
    Void,
    SetKeyspace(String),
    Rows(RowsResult),
    Prepared(PreparedResult),
    SchemaChange(SchemaChange),
}

/// A page of rows: metadata and the cells already serialized as `[bytes]`.
#[derive(Debug, Default)]
pub struct RowsResult {
    pub metadata: RowsMetadata,
    pub count: i32,
    pub content: Vec<u8>,
}

impl ResultMessage {
    pub fn encode(&self, version: u8, out: &mut Vec<u8>) {
        match self {
            ResultMessage::Void => response::encode_result_void(out),
            ResultMessage::SetKeyspace(ks) => response::encode_result_set_keyspace(out, ks),
            ResultMessage::Rows(rows) => response::encode_result_rows(out, &rows.metadata, rows.count, &rows.content),
            ResultMessage::Prepared(p) => response::encode_result_prepared(out, version, p),
            ResultMessage::SchemaChange(c) => response::encode_result_schema_change(out, c),
        }
    }
}
