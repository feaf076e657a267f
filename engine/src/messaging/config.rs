//! What one shard's messaging needs to know about its node, given by the node's start-up
//! (plain values: messaging does not read `percore.yaml`).

use std::net::{IpAddr, SocketAddr};

use uuid::Uuid;

/// One shard's messaging settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagingConfig {
    /// Peers with another cluster name are refused (`cluster_name` in `percore.yaml`).
    pub cluster_name: String,
    /// The address listened on, the source address of outgoing connections, and the
    /// address this node tells its peers it has (`listen_address`).
    pub listen_address: IpAddr,
    /// The internode port, the same on every node (`storage_port`, 7000).
    pub storage_port: u16,
    /// This node's host id.
    pub host_id: Uuid,
    /// Shards of this node.
    pub nr_shards: usize,
    /// The shard this messaging instance belongs to.
    pub shard: usize,
}

impl MessagingConfig {
    /// The address this shard listens on (every shard listens on the same one).
    pub fn listen_socket_address(&self) -> SocketAddr {
        SocketAddr::new(self.listen_address, self.storage_port)
    }
}
