//! The JSON body of `GET /storage_service/ring_info[/<keyspace>]`: the ring's members as this
//! node knows them (group 0's NORMAL members, the failure detector's up/down), each one's
//! effective ownership, and the keyspaces' replication — what `nodetool status`, `ring` and
//! `describecluster` print, with each member's load asked of the member itself.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The ring, as one node sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RingView {
    /// The schema version this node has applied (every member applies group 0's schema).
    pub schema_version: uuid::Uuid,
    /// The internode port; every member of a Percore cluster listens on the same one.
    pub storage_port: u16,
    /// NORMAL members, by host id.
    pub members: Vec<MemberView>,
    /// Why no member has an effective ownership (Cassandra's "Note: ..."); `None` when
    /// every member's `owns` is given.
    pub ownership_note: Option<String>,
    /// Every keyspace, by name.
    pub keyspaces: Vec<KeyspaceReplication>,
}

/// One NORMAL member of the ring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub host_id: uuid::Uuid,
    /// The internode (broadcast) address: what nodetool prints.
    pub address: String,
    /// The address clients and the admin API reach it at (`broadcast_rpc_address`).
    pub rpc_address: String,
    pub data_center: String,
    pub rack: String,
    /// Sorted.
    pub tokens: Vec<i64>,
    /// Whether the failure detector holds it up.
    pub up: bool,
    pub release_version: String,
    /// The share of the ring it replicates for the keyspace, 1.0 = all of it (`None` with
    /// an `ownership_note`).
    pub owns: Option<f64>,
}

/// A keyspace's replication, as Cassandra's `getKeyspaceReplicationInfo` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyspaceReplication {
    pub name: String,
    /// The strategy class without its package (`SimpleStrategy`).
    pub class: String,
    /// The strategy's options (`replication_factor`, data centers), without `class`.
    pub options: BTreeMap<String, String>,
}
