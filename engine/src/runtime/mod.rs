//! The shard-per-core runtime: one pinned glommio executor per shard ([`node`]), the CPUs
//! they may use ([`cpuset`]), the bounded cross-shard queues ([`mesh`]) and the per-shard
//! context every task of a shard shares ([`shard`]), when flushes and compactions run
//! ([`flush_scheduler`], [`compaction_scheduler`]), and how fast compactions may use the
//! disk ([`io_scheduling`]).

pub mod compaction_scheduler;
pub mod cpuset;
pub mod flush_scheduler;
pub mod io_scheduling;
pub mod mesh;
pub mod node;
pub mod node_state;
pub mod partition_locks;
pub mod shard;
