//! Percore: a shard-per-core CQL database node.
//!
//! Layout (see `docs/ARCHITECTURE.md`): [`runtime`] starts one pinned glommio executor per
//! shard and connects them with bounded lock-free queues; [`transport`] serves the CQL
//! protocol on every shard; [`cql`] analyses and executes statements on the shard that
//! owns each partition; [`schema`] holds the immutable schema snapshots; [`storage`] the
//! per-shard data; [`model`] the pure data model (tokens, shards, cells, mutations);
//! [`metrics`] the per-shard counters and their Prometheus endpoint.

pub mod config;
pub mod cql;
pub mod io_properties;
pub mod limits;
pub mod metrics;
pub mod model;
pub mod nodetool;
pub mod runtime;
pub mod schema;
pub mod storage;
pub mod transport;
