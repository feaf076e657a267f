//! Percore: a shard-per-core CQL database node.
//!
//! Layers, each importing only those below it (see `docs/ARCHITECTURE.md`; checked by
//! `.ci/check_layers.py`): [`transport`] serves the CQL protocol on every shard; [`cql`]
//! analyses statements and executes them through [`replica`], the shard's table API and
//! the only door into [`storage`] (commitlog, memtables, SSTables, flush, compaction);
//! [`cluster`] holds membership (group 0 on openraft) and places data on the nodes of the
//! token ring; [`messaging`] is the internode RPC between the shards of the cluster's
//! nodes; [`runtime`] is the executor machinery (typed cross-shard calls over bounded
//! lock-free queues); [`schema`] holds the immutable schema snapshots and [`model`] the pure
//! data model. [`node`] starts everything (one pinned glommio executor per shard) and
//! [`admin`] serves metrics and operator actions over HTTP; [`config`], [`limits`] and
//! [`io_properties`] are shared by all.

pub mod admin;
pub mod cluster;
pub mod config;
pub mod coordinator;
pub mod cql;
pub mod io_properties;
pub mod limits;
pub mod messaging;
pub mod model;
pub mod node;
pub mod nodetool;
pub mod replica;
pub mod runtime;
pub mod schema;
pub mod storage;
pub mod transport;
