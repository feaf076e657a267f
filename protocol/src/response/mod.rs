//! Server responses (spec §4.2), bodies only: the frame around them comes from
//! [`crate::frame::encode_frame_with`]. One file per message family: `error` (ERROR),
//! `handshake` (READY, AUTHENTICATE, SUPPORTED, AUTH_*), `rows` (RESULT Void, Rows,
//! Set_keyspace), `prepared` (RESULT Prepared), `schema_change` (RESULT Schema_change
//! and EVENT).

mod error;
mod handshake;
mod prepared;
mod rows;
mod schema_change;

pub use error::{encode_error_body, ErrorExtra, ErrorResponse};
pub use handshake::{encode_auth_challenge, encode_auth_success, encode_authenticate, encode_supported};
pub use prepared::{encode_result_prepared, PreparedMetadata, PreparedResult};
pub use rows::{
    begin_rows, encode_result_rows, encode_result_set_keyspace, encode_result_void, finish_rows, write_rows_metadata,
    ColumnSpec, RowsCountSlot, RowsMetadata, ROWS_FLAG_GLOBAL_TABLES_SPEC, ROWS_FLAG_HAS_MORE_PAGES,
    ROWS_FLAG_NO_METADATA,
};
pub use schema_change::{
    encode_event_schema_change, encode_event_status_change, encode_event_topology_change, encode_result_schema_change,
    SchemaChange, SchemaChangeType, EVENT_SCHEMA_CHANGE, EVENT_STATUS_CHANGE, EVENT_TOPOLOGY_CHANGE,
};

/// RESULT kinds (spec §4.2.5).
pub mod result_kind {
    pub const VOID: i32 = 0x0001;
    pub const ROWS: i32 = 0x0002;
    pub const SET_KEYSPACE: i32 = 0x0003;
    pub const PREPARED: i32 = 0x0004;
    pub const SCHEMA_CHANGE: i32 = 0x0005;
}
