//! How much of the ring each node owns — `nodetool status`'s and `nodetool ring`'s "Owns".
//!
//! * **Primary ownership**: the ranges ending at a node's tokens (Cassandra's
//!   `Murmur3Partitioner.describeOwnership`). The nodes' shares add up to 1.
//! * **Effective ownership** for a keyspace: every range a node holds a replica of
//!   (Cassandra's `StorageService.effectiveOwnership`). The shares add up to the number of
//!   replicas per token (per data center: its `min(rf, nodes)`).
//!
//! Shares are counted exactly in tokens (a ring of [`RING_TOKENS`]) before becoming
//! fractions.

use super::effective_replication_map::EffectiveReplicationMap;
use super::node::NodeIndex;
use super::token_metadata::TokenMetadata;
use super::token_range::RING_TOKENS;

/// The share of the ring one node owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ownership {
    pub node: NodeIndex,
    /// Tokens of the ranges counted for the node (≤ [`RING_TOKENS`] for primary ownership).
    pub tokens: u128,
}

impl Ownership {
    /// The share as a fraction of the ring (1.0 = the whole ring).
    pub fn fraction(&self) -> f64 {
        self.tokens as f64 / RING_TOKENS as f64
    }
}

/// Each node's primary share, indexed by [`NodeIndex`].
pub fn primary_ownership(ring: &TokenMetadata) -> Vec<Ownership> {
    let mut owned = zeroed(ring);
    for (position, &(_, owner)) in ring.ring().iter().enumerate() {
        owned[owner.get()].tokens += ring.range_ending_at(position).size_tokens();
    }
    if !ring.is_empty() {
        assert_eq!(owned.iter().map(|o| o.tokens).sum::<u128>(), RING_TOKENS, "primary ranges cover the ring once");
    }
    owned
}

/// Each node's effective share under a keyspace's replication, indexed by [`NodeIndex`].
pub fn effective_ownership(map: &EffectiveReplicationMap) -> Vec<Ownership> {
    let mut owned = zeroed(map.token_metadata());
    for (range, replicas) in map.range_replicas() {
        for replica in replicas {
            owned[replica.get()].tokens += range.size_tokens();
        }
    }
    owned
}

fn zeroed(ring: &TokenMetadata) -> Vec<Ownership> {
    (0..ring.nodes().len()).map(|i| Ownership { node: NodeIndex::new(i), tokens: 0 }).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::cluster::placement::replication::ReplicationStrategy;
    use crate::cluster::placement::test_rings::{host, idx, node, ring, simple_node};

    #[test]
    fn a_single_node_owns_the_whole_ring() {
        let tm = ring(vec![simple_node(1, &[123])]);
        assert_eq!(primary_ownership(&tm), [Ownership { node: idx(1), tokens: RING_TOKENS }]);
        assert_eq!(primary_ownership(&tm)[0].fraction(), 1.0);
    }

    #[test]
    fn primary_shares_are_the_ranges_ending_at_a_nodes_tokens() {
        // Ring: -q n2, 0 n1, q n1.
        let quarter = 1i64 << 62;
        let tm = ring(vec![simple_node(1, &[0, quarter]), simple_node(2, &[-quarter])]);
        let owned = primary_ownership(&tm);
        // (-q, 0] and (0, q] are n1's: half the ring; (q, -q] wrapping is n2's: the other half.
        assert_eq!(owned[0].tokens, 2 * quarter as u128);
        assert_eq!(owned[1].tokens, RING_TOKENS - 2 * quarter as u128);
        assert!((owned[0].fraction() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn effective_shares_add_up_to_the_replica_count() {
        let tm = ring(vec![
            node(1, "dc1", "r1", &[-500, 700]),
            node(2, "dc1", "r2", &[100]),
            node(3, "dc1", "r1", &[300, 900]),
            node(4, "dc2", "r1", &[0]),
            node(5, "dc2", "r1", &[-900]),
        ]);
        let strategies = [
            (ReplicationStrategy::Simple { replication_factor: 2 }, 2),
            (ReplicationStrategy::Simple { replication_factor: 9 }, 5),
            (
                ReplicationStrategy::NetworkTopology {
                    datacenters: [("dc1".to_string(), 2), ("dc2".to_string(), 5)].into_iter().collect(),
                },
                4,
            ),
        ];
        for (strategy, replicas) in strategies {
            let erm = EffectiveReplicationMap::new(Arc::clone(&tm), strategy, host(1));
            let owned = effective_ownership(&erm);
            assert_eq!(owned.iter().map(|o| o.tokens).sum::<u128>(), replicas * RING_TOKENS);
            assert!(owned.iter().all(|o| o.tokens <= RING_TOKENS));
        }
        let everyone = EffectiveReplicationMap::new(
            Arc::clone(&tm),
            ReplicationStrategy::Simple { replication_factor: 5 },
            host(1),
        );
        assert!(effective_ownership(&everyone).iter().all(|o| o.tokens == RING_TOKENS), "RF = nodes: all own all");
    }

    #[test]
    fn the_empty_ring_owns_nothing() {
        assert!(primary_ownership(&TokenMetadata::empty()).is_empty());
    }
}
