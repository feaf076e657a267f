//! The JSON bodies the admin endpoint answers nodetool's questions with, shared by the
//! endpoint (which fills them) and `percore nodetool` (which prints them in Cassandra's
//! shapes). Per-table and compaction views come from the replica
//! ([`crate::replica::table_metrics::TableStats`],
//! [`crate::replica::compaction_activity`]).

use serde::{Deserialize, Serialize};

use crate::replica::compaction_activity::RunningCompaction;

/// `GET /storage_service/node_info`: the node as `nodetool info`, `status`, `ring` and
/// `describecluster` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub release_version: String,
    pub host_id: uuid::Uuid,
    pub cluster_name: String,
    pub data_center: String,
    pub rack: String,
    /// The address clients reach the node at (`rpc_address`).
    pub address: String,
    pub partitioner: String,
    /// The snitch's class name.
    pub snitch: String,
    pub schema_version: uuid::Uuid,
    pub tokens: Vec<String>,
    /// Seconds since the epoch when the process started (Cassandra's gossip generation).
    pub generation: u64,
    pub uptime_seconds: u64,
    /// Bytes of SSTables (data, index, bloom filter), all shards.
    pub load_bytes: u64,
    /// Bytes in memtables, all shards.
    pub memtable_bytes: u64,
    /// The node's memory budget (all shards).
    pub memory_bytes: u64,
    pub gossip_active: bool,
    pub native_transport_active: bool,
    /// Internal failures the node counted (compactions that failed).
    pub exceptions: u64,
}

/// One range of `GET /storage_service/describe_ring/<keyspace>`, Cassandra's `TokenRange`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRangeView {
    pub start_token: String,
    pub end_token: String,
    pub endpoints: Vec<String>,
    pub rpc_endpoints: Vec<String>,
    pub endpoint_details: Vec<EndpointDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointDetails {
    pub host: String,
    pub datacenter: String,
    pub rack: String,
}

/// A table with compaction work waiting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCompactions {
    pub keyspace: String,
    pub table: String,
    /// Shards on which the table has a job waiting.
    pub tasks: u64,
}

/// `GET /compaction_manager/compactions`: what `nodetool compactionstats` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactionsView {
    pub pending: Vec<PendingCompactions>,
    pub running: Vec<RunningCompaction>,
    /// The node's compaction throughput, MiB/s (0: unthrottled).
    pub throughput_mib_per_second: u64,
}
