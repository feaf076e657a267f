//! The effective replication map: one ring version and one keyspace's strategy, with every
//! ring position's replica list computed up front. Every replica lookup goes through it, so
//! the lookup is a binary search over the ring plus a slice, and so a later placement
//! (tablets) can take its place without changing the callers.
//!
//! **Memory.** Ring strategies keep `positions × replica_count` [`NodeIndex`]es (4 bytes
//! each) in one flat vector, where `positions = Σ tokens = nodes × num_tokens` and
//! `replica_count = Σ min(rf, nodes)` (≤ nodes): 6 nodes × 256 tokens × RF 3 is 18 KiB,
//! 100 nodes × 256 tokens × RF 3 is 300 KiB. LocalStrategy and EverywhereStrategy keep one
//! list for all tokens. Keyspaces with equal strategies can share one map.
//!
//! **Primary replica.** The primary replica of a position (whose ranges `repair -pr`
//! repairs) is the first of its replicas met walking the ring from the position — what
//! Cassandra's first natural replica is. With SimpleStrategy it is the first of the list; with
//! NetworkTopologyStrategy the list is in the drivers' order (data centers grouped), so it is
//! looked up by walking.

use std::sync::Arc;

use super::node::{HostId, NodeEndpoint, NodeIndex};
use super::replication::network_topology::NetworkTopologyWalker;
use super::replication::simple;
use super::replication::ReplicationStrategy;
use super::token_metadata::TokenMetadata;
use super::token_range::TokenRange;
use crate::model::token::Token;

#[derive(Debug, Clone, PartialEq, Eq)]
enum PrecomputedReplicas {
    /// Position `p`'s list is `lists[p * per_position ..][..per_position]`.
    PerPosition { per_position: usize, lists: Vec<NodeIndex> },
    /// One list for every token (LocalStrategy, EverywhereStrategy).
    SameForEveryToken(Vec<NodeIndex>),
}

/// The replicas of every token of one ring version under one replication strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveReplicationMap {
    ring: Arc<TokenMetadata>,
    strategy: ReplicationStrategy,
    replicas: PrecomputedReplicas,
}

impl EffectiveReplicationMap {
    /// Computes every position's replicas. `local_host` is this node, LocalStrategy's only
    /// replica (none while this node is not in the ring).
    pub fn new(ring: Arc<TokenMetadata>, strategy: ReplicationStrategy, local_host: HostId) -> Self {
        let positions = ring.ring().len();
        let replicas = match &strategy {
            ReplicationStrategy::Simple { replication_factor } => {
                let per_position = simple::replica_count(&ring, *replication_factor);
                let mut lists = Vec::with_capacity(positions * per_position);
                for position in 0..positions {
                    simple::replicas_at(&ring, position, *replication_factor, &mut lists);
                }
                PrecomputedReplicas::PerPosition { per_position, lists }
            }
            ReplicationStrategy::NetworkTopology { datacenters } => {
                let mut walker = NetworkTopologyWalker::new(&ring, datacenters);
                let per_position = walker.replica_count();
                let mut lists = Vec::with_capacity(positions * per_position);
                for position in 0..positions {
                    walker.replicas_at(position, &mut lists);
                }
                PrecomputedReplicas::PerPosition { per_position, lists }
            }
            ReplicationStrategy::Local => {
                PrecomputedReplicas::SameForEveryToken(ring.node_index(local_host).into_iter().collect())
            }
            ReplicationStrategy::Everywhere => {
                PrecomputedReplicas::SameForEveryToken((0..ring.nodes().len()).map(NodeIndex::new).collect())
            }
        };
        if let PrecomputedReplicas::PerPosition { per_position, lists } = &replicas {
            assert_eq!(lists.len(), positions * per_position, "every position has the same number of replicas");
        }
        EffectiveReplicationMap { ring, strategy, replicas }
    }

    /// The ring version the map was computed for.
    pub fn version(&self) -> u64 {
        self.ring.version()
    }

    pub fn token_metadata(&self) -> &Arc<TokenMetadata> {
        &self.ring
    }

    pub fn strategy(&self) -> &ReplicationStrategy {
        &self.strategy
    }

    /// How many replicas each token has.
    pub fn replica_count(&self) -> usize {
        match &self.replicas {
            PrecomputedReplicas::PerPosition { per_position, .. } => *per_position,
            PrecomputedReplicas::SameForEveryToken(list) => list.len(),
        }
    }

    /// How many [`NodeIndex`]es the map keeps.
    pub fn precomputed_entries(&self) -> usize {
        match &self.replicas {
            PrecomputedReplicas::PerPosition { lists, .. } => lists.len(),
            PrecomputedReplicas::SameForEveryToken(list) => list.len(),
        }
    }

    /// The natural replicas of `token` (none while the ring is empty).
    pub fn replicas_for_token(&self, token: Token) -> &[NodeIndex] {
        match self.ring.first_token_index(token) {
            Some(position) => self.replicas_at(position),
            None => &[],
        }
    }

    /// The natural replicas of ring `position` (the range ending at `ring()[position]`).
    pub fn replicas_at(&self, position: usize) -> &[NodeIndex] {
        assert!(position < self.ring.ring().len(), "ring position {position} is on the ring");
        match &self.replicas {
            PrecomputedReplicas::PerPosition { per_position, lists } => {
                &lists[position * per_position..(position + 1) * per_position]
            }
            PrecomputedReplicas::SameForEveryToken(list) => list,
        }
    }

    /// The endpoints of `token`'s replicas, in replica order (`nodetool getendpoints`).
    pub fn endpoints_for_token(&self, token: Token) -> impl Iterator<Item = &NodeEndpoint> {
        self.replicas_for_token(token).iter().map(|&n| self.ring.endpoint(n))
    }

    /// Every range of the ring in ring order with its replicas (`nodetool describering`): the
    /// range of position `i` is `(ring[i - 1].token, ring[i].token]`.
    pub fn range_replicas(&self) -> impl Iterator<Item = (TokenRange, &[NodeIndex])> {
        (0..self.ring.ring().len()).map(|p| (self.ring.range_ending_at(p), self.replicas_at(p)))
    }

    /// The ranges `node` holds a replica of, in ring order (what repair and streaming move).
    pub fn ranges_of(&self, node: NodeIndex) -> Vec<TokenRange> {
        self.range_replicas().filter(|(_, replicas)| replicas.contains(&node)).map(|(range, _)| range).collect()
    }

    /// The first of `position`'s replicas met walking the ring from it; `None` if the
    /// position has no replica.
    pub fn primary_replica_at(&self, position: usize) -> Option<NodeIndex> {
        let replicas = self.replicas_at(position);
        let ring = self.ring.ring();
        let mut p = position;
        for _ in 0..ring.len() {
            if replicas.contains(&ring[p].1) {
                return Some(ring[p].1);
            }
            p = self.ring.next_position(p);
        }
        // A replica outside the ring: LocalStrategy's node, which is on the ring when listed.
        assert!(replicas.is_empty(), "every replica of a position owns a token");
        None
    }

    /// The ranges `node` is the primary replica of (`repair -pr`), in ring order.
    pub fn primary_ranges_of(&self, node: NodeIndex) -> Vec<TokenRange> {
        (0..self.ring.ring().len())
            .filter(|&p| self.primary_replica_at(p) == Some(node))
            .map(|p| self.ring.range_ending_at(p))
            .collect()
    }
}

#[cfg(test)]
mod tests;
