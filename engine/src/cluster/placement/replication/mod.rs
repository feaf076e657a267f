//! Replication strategies: which nodes are the natural replicas of a ring position, computed
//! exactly as the drivers compute them (see each strategy's module for its algorithm and the
//! order of its lists), and the keyspace replication maps they are read from.

pub mod network_topology;
pub mod options;
pub mod simple;
pub mod strategy;

pub use options::ReplicationOptionsError;
pub use strategy::ReplicationStrategy;
