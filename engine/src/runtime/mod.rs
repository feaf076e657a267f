//! The shard-per-core runtime, and nothing above it: the CPUs the shards may use
//! ([`cpuset`]), what every shard knows of the node ([`node_state`]), typed cross-shard
//! calls over bounded lock-free queues ([`mesh`]), and per-partition serialization of
//! read-modify-writes on the owner ([`partition_locks`]), listening sockets with
//! SO_REUSEADDR/SO_REUSEPORT ([`listen_socket`]), and the per-shard metrics every
//! layer publishes ([`metrics`], as Seastar's metrics). It knows no statements and no
//! storage, and of sockets only how to open a listener; the node's start-up
//! (`crate::node`) wires the layers together.

pub mod cpuset;
pub mod listen_socket;
pub mod mesh;
pub mod metrics;
pub mod node_state;
pub mod partition_locks;
