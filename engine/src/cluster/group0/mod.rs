//! Group 0: the cluster's metadata (schema and ring membership) agreed through a raft log
//! run by openraft on shard 0 of every node, as ScyllaDB's group 0. The rest of the node
//! sees a narrow interface: propose a command, read the applied state, wait for a state.

pub mod command;
pub mod log_store;
pub mod messaging_transport;
pub mod network;
pub mod runtime;
pub mod service;
#[cfg(test)]
mod service_tests;
pub mod state;
pub mod state_machine;
pub mod types;
pub mod wal;
