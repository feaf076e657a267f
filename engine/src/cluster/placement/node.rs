//! A node as placement sees it: its identity (host id), where it is reached (broadcast
//! address) and where it stands (data center, rack), and its index in one ring version.

use std::fmt;
use std::net::IpAddr;

/// A node's permanent identity (`system.local.host_id`), kept across address changes.
pub type HostId = uuid::Uuid;

/// A node's position in one [`TokenMetadata`](super::token_metadata::TokenMetadata)'s node
/// table (nodes sorted by host id). Replica lists hold these; an index means nothing in
/// another ring version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeIndex(u32);

impl NodeIndex {
    /// The index of the `i`-th node; the ring keeps far fewer nodes than `u32::MAX`.
    pub fn new(i: usize) -> Self {
        NodeIndex(u32::try_from(i).expect("a ring's node count fits in u32"))
    }

    pub fn get(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Who a node is and where it stands: what `system.peers`, `nodetool status` and
/// `describering` show of it, and what NetworkTopologyStrategy places by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeEndpoint {
    pub host_id: HostId,
    /// The address other nodes and clients reach the node at (`broadcast_address`).
    pub address: IpAddr,
    pub datacenter: String,
    pub rack: String,
}
