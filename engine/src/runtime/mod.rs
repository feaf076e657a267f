//! The shard-per-core runtime, and nothing above it: the CPUs the shards may use
//! ([`cpuset`]), what every shard knows of the node ([`node_state`]), typed cross-shard
//! calls over bounded lock-free queues ([`mesh`]), and per-partition serialization of
//! read-modify-writes on the owner ([`partition_locks`]), and the per-shard metrics every
//! layer publishes ([`metrics`], as Seastar's metrics). It knows no statements, no
//! storage and no sockets; the node's start-up (`crate::node`) wires the layers together.

pub mod cpuset;
pub mod mesh;
pub mod metrics;
pub mod node_state;
pub mod partition_locks;
