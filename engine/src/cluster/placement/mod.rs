//! Replica placement on the Murmur3 token ring with vnodes: pure data and algorithms (no I/O,
//! no executors).
//!
//! * [`token_metadata`]: one immutable, versioned picture of the ring (NORMAL nodes with
//!   endpoint, data center, rack, tokens; the sorted ring; a token's ring position), with the
//!   [`topology`] of data centers and racks derived from it.
//! * [`replication`]: SimpleStrategy, NetworkTopologyStrategy, LocalStrategy and
//!   EverywhereStrategy, read from a keyspace's replication map; replica lists equal to the
//!   Python and Rust drivers' own (checked token by token against the Python driver by
//!   `driver_reference_tests`).
//! * [`effective_replication_map`]: a ring version and a strategy with every ring position's
//!   replicas precomputed — the one thing replica lookups go through (later tablets too);
//!   ranges of a node, primary ranges, per-range replicas.
//! * [`ownership`]: each node's share of the ring (`nodetool status`/`ring` "Owns").
//! * [`token_allocation`]: random tokens for a joining node.
//! * [`token_range`]: `(start, end]` ranges of the ring and their sizes.
//!
//! Lookup of a key: `token_of(key)` → [`TokenMetadata::first_token_index`] (binary search:
//! the first ring token `>=` the key's, wrapping) → the position's precomputed slice of
//! [`NodeIndex`]es → [`TokenMetadata::endpoint`] for addresses, data centers and racks.

pub mod effective_replication_map;
pub mod node;
pub mod ownership;
pub mod replication;
pub mod token_allocation;
pub mod token_metadata;
pub mod token_range;
pub mod topology;

#[cfg(test)]
mod driver_reference_tests;
#[cfg(test)]
mod test_rings;

pub use effective_replication_map::EffectiveReplicationMap;
pub use node::{HostId, NodeEndpoint, NodeIndex};
pub use replication::{ReplicationOptionsError, ReplicationStrategy};
pub use token_metadata::{RingNode, TokenMetadata, TokenMetadataError};
pub use token_range::TokenRange;
