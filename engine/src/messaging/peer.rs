//! What a shard knows of its peers: the facts each handshake told it (host id, shard
//! count), remembered per address so outgoing connections can pick a shard-matching source
//! port. Bounded: past [`limits::MESSAGING_PEERS_MAX`] addresses new peers are not
//! remembered (their connections still work, just without the shard-matching port).

use std::cell::RefCell;
use std::net::IpAddr;

use ahash::AHashMap;
use uuid::Uuid;

use crate::limits;

/// A peer node as its handshake described it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerInfo {
    pub host_id: Uuid,
    /// The address the peer is known by (its broadcast address).
    pub address: IpAddr,
    pub nr_shards: usize,
}

/// The peers one shard has shaken hands with.
#[derive(Default)]
pub(super) struct PeerDirectory {
    by_address: RefCell<AHashMap<IpAddr, PeerInfo>>,
}

impl PeerDirectory {
    pub fn get(&self, address: IpAddr) -> Option<PeerInfo> {
        self.by_address.borrow().get(&address).copied()
    }

    /// Records what a handshake said (a restarted peer may come back with another host id
    /// or shard count: the latest handshake wins).
    pub fn learn(&self, info: PeerInfo) {
        let mut peers = self.by_address.borrow_mut();
        if peers.len() >= limits::MESSAGING_PEERS_MAX && !peers.contains_key(&info.address) {
            tracing::warn!(
                "not remembering internode peer {}: {} peers known already",
                info.address,
                limits::MESSAGING_PEERS_MAX
            );
            return;
        }
        peers.insert(info.address, info);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_handshake_wins_and_the_directory_is_bounded() {
        let directory = PeerDirectory::default();
        let peer = |n: u32, shards| PeerInfo {
            host_id: Uuid::from_u128(n as u128),
            address: IpAddr::from(n.to_be_bytes()),
            nr_shards: shards,
        };
        directory.learn(peer(1, 2));
        directory.learn(peer(1, 4));
        assert_eq!(directory.get(peer(1, 0).address).unwrap().nr_shards, 4);
        for n in 2..=limits::MESSAGING_PEERS_MAX as u32 + 5 {
            directory.learn(peer(n, 1));
        }
        assert_eq!(directory.by_address.borrow().len(), limits::MESSAGING_PEERS_MAX);
        assert!(directory.get(peer(limits::MESSAGING_PEERS_MAX as u32 + 5, 1).address).is_none());
    }
}
