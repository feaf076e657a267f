//! Schema changes (RESULT Schema_change, spec §4.2.5.5) and EVENT bodies (§4.2.6).
//!
//! A schema change is `<change_type><target><options>`: change `CREATED`/`UPDATED`/
//! `DROPPED`; target `KEYSPACE` (keyspace), `TABLE`/`TYPE` (keyspace, name) or
//! `FUNCTION`/`AGGREGATE` (keyspace, name, argument types). Events start with their type
//! `[string]` and are sent on stream -1 ([`crate::frame::EVENT_STREAM_ID`]).

use std::net::SocketAddr;

use super::result_kind;
use crate::wire;

/// EVENT type for schema changes.
pub const EVENT_SCHEMA_CHANGE: &str = "SCHEMA_CHANGE";
/// EVENT type for nodes joining or leaving (`NEW_NODE`, `REMOVED_NODE`).
pub const EVENT_TOPOLOGY_CHANGE: &str = "TOPOLOGY_CHANGE";
/// EVENT type for nodes going up or down (`UP`, `DOWN`).
pub const EVENT_STATUS_CHANGE: &str = "STATUS_CHANGE";

/// What happened to the schema object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaChangeType {
    Created,
    Updated,
    Dropped,
}

impl SchemaChangeType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaChangeType::Created => "CREATED",
            SchemaChangeType::Updated => "UPDATED",
            SchemaChangeType::Dropped => "DROPPED",
        }
    }
}

/// A schema change, by target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SchemaChange {
    Keyspace {
        change: SchemaChangeType,
        keyspace: String,
    },
    /// Also used for index changes (a change to the indexed table).
    Table {
        change: SchemaChangeType,
        keyspace: String,
        table: String,
    },
    Type {
        change: SchemaChangeType,
        keyspace: String,
        name: String,
    },
    Function {
        change: SchemaChangeType,
        keyspace: String,
        name: String,
        arg_types: Vec<String>,
    },
    Aggregate {
        change: SchemaChangeType,
        keyspace: String,
        name: String,
        arg_types: Vec<String>,
    },
}

impl SchemaChange {
    /// The target's wire name.
    pub fn target(&self) -> &'static str {
        match self {
            SchemaChange::Keyspace { .. } => "KEYSPACE",
            SchemaChange::Table { .. } => "TABLE",
            SchemaChange::Type { .. } => "TYPE",
            SchemaChange::Function { .. } => "FUNCTION",
            SchemaChange::Aggregate { .. } => "AGGREGATE",
        }
    }

    pub fn change(&self) -> SchemaChangeType {
        match self {
            SchemaChange::Keyspace { change, .. }
            | SchemaChange::Table { change, .. }
            | SchemaChange::Type { change, .. }
            | SchemaChange::Function { change, .. }
            | SchemaChange::Aggregate { change, .. } => *change,
        }
    }

    /// Writes `<change_type><target><options>`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        wire::write_string(out, self.change().as_str());
        wire::write_string(out, self.target());
        match self {
            SchemaChange::Keyspace { keyspace, .. } => wire::write_string(out, keyspace),
            SchemaChange::Table { keyspace, table: name, .. } | SchemaChange::Type { keyspace, name, .. } => {
                wire::write_string(out, keyspace);
                wire::write_string(out, name);
            }
            SchemaChange::Function { keyspace, name, arg_types, .. }
            | SchemaChange::Aggregate { keyspace, name, arg_types, .. } => {
                wire::write_string(out, keyspace);
                wire::write_string(out, name);
                wire::write_string_list(out, arg_types);
            }
        }
    }
}

/// RESULT Schema_change (the answer to DDL).
pub fn encode_result_schema_change(out: &mut Vec<u8>, change: &SchemaChange) {
    wire::write_i32(out, result_kind::SCHEMA_CHANGE);
    change.encode(out);
}

/// EVENT SCHEMA_CHANGE.
pub fn encode_event_schema_change(out: &mut Vec<u8>, change: &SchemaChange) {
    wire::write_string(out, EVENT_SCHEMA_CHANGE);
    change.encode(out);
}

/// EVENT TOPOLOGY_CHANGE; `change` is `NEW_NODE` or `REMOVED_NODE`.
pub fn encode_event_topology_change(out: &mut Vec<u8>, change: &str, addr: SocketAddr) {
    wire::write_string(out, EVENT_TOPOLOGY_CHANGE);
    wire::write_string(out, change);
    wire::write_inet(out, addr);
}

/// EVENT STATUS_CHANGE; `change` is `UP` or `DOWN`.
pub fn encode_event_status_change(out: &mut Vec<u8>, change: &str, addr: SocketAddr) {
    wire::write_string(out, EVENT_STATUS_CHANGE);
    wire::write_string(out, change);
    wire::write_inet(out, addr);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WireReader;
    use bytes::Bytes;

    fn strings(out: Vec<u8>, n: usize) -> (Vec<String>, WireReader) {
        let mut r = WireReader::new(Bytes::from(out));
        let s = (0..n).map(|_| r.read_string().unwrap()).collect();
        (s, r)
    }

    #[test]
    fn result_table_created() {
        let mut out = Vec::new();
        encode_result_schema_change(
            &mut out,
            &SchemaChange::Table { change: SchemaChangeType::Created, keyspace: "ks".into(), table: "t".into() },
        );
        assert_eq!(&out[..4], &[0, 0, 0, 5]);
        let (s, r) = strings(out[4..].to_vec(), 4);
        assert_eq!(s, ["CREATED", "TABLE", "ks", "t"]);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn event_keyspace_and_function() {
        let mut out = Vec::new();
        encode_event_schema_change(
            &mut out,
            &SchemaChange::Keyspace { change: SchemaChangeType::Dropped, keyspace: "ks".into() },
        );
        let (s, r) = strings(out, 4);
        assert_eq!(s, ["SCHEMA_CHANGE", "DROPPED", "KEYSPACE", "ks"]);
        assert_eq!(r.remaining(), 0);

        let mut out = Vec::new();
        encode_event_schema_change(
            &mut out,
            &SchemaChange::Aggregate {
                change: SchemaChangeType::Updated,
                keyspace: "ks".into(),
                name: "agg".into(),
                arg_types: vec!["int".into(), "text".into()],
            },
        );
        let (s, mut r) = strings(out, 5);
        assert_eq!(s, ["SCHEMA_CHANGE", "UPDATED", "AGGREGATE", "ks", "agg"]);
        assert_eq!(r.read_string_list().unwrap(), ["int", "text"]);
    }

    #[test]
    fn topology_and_status() {
        let addr: SocketAddr = "10.0.0.1:9042".parse().unwrap();
        let mut out = Vec::new();
        encode_event_topology_change(&mut out, "NEW_NODE", addr);
        let (s, mut r) = strings(out, 2);
        assert_eq!(s, ["TOPOLOGY_CHANGE", "NEW_NODE"]);
        assert_eq!(r.read_inet().unwrap(), addr);

        let mut out = Vec::new();
        encode_event_status_change(&mut out, "UP", addr);
        let (s, mut r) = strings(out, 2);
        assert_eq!(s, ["STATUS_CHANGE", "UP"]);
        assert_eq!(r.read_inet().unwrap(), addr);
    }
}
