//! NetworkTopologyStrategy: per data center its replication factor, spread over distinct
//! racks first.
//!
//! For one ring position, every data center with a factor `rf > 0` is walked on its own
//! ring (its nodes' positions only), from its first position at or after the key's:
//!
//! 1. a node already chosen is passed over;
//! 2. while some rack of the data center has no replica yet, a node on a rack that has one
//!    is *skipped* (remembered once, in walk order) and the walk goes on;
//! 3. a node on a new rack is chosen; when that completes the racks, the skipped nodes are
//!    chosen in the order they were met, until the data center has its replicas;
//! 4. once every rack has a replica, every new node met is chosen;
//! 5. the walk stops when the data center has `min(rf, its node count)` replicas.
//!
//! This is Cassandra 3's `NetworkTopologyStrategy.calculateNaturalEndpoints` per data center,
//! and the Python driver's `NetworkTopologyStrategy.make_token_replica_map`.
//!
//! **Order of the list.** Data centers come in the order of their first token on the ring
//! ([`Topology::datacenters`](super::super::topology::Topology::datacenters)), each with its
//! replicas in the order chosen above — exactly the Python driver's lists, which is what
//! `nodetool getendpoints` is compared with. Others order the same set differently:
//! * the Rust driver (and Cassandra 4, ScyllaDB) accept a rack repeat as soon as it is met
//!   while `rf - racks` repeats are left, instead of after all racks, so within a data
//!   center whose `rf` exceeds its rack count the order may differ (the set is the same);
//!   it lists data centers in the same order as we do;
//! * Cassandra and ScyllaDB walk the whole ring once for all data centers, interleaving
//!   them in ring order.
//!
//! The Python driver (3.29) remembers a node skipped twice (two of its tokens met before
//! the racks were complete) twice and may then list it twice, leaving another node out. We
//! remember it once (Cassandra 3's `LinkedHashSet`), so each data center gets exactly
//! `min(rf, node count)` distinct replicas; on those positions the driver's list, without its
//! repeats, is a prefix of ours in each data center.

use std::collections::BTreeMap;

use super::super::node::NodeIndex;
use super::super::token_metadata::TokenMetadata;

/// Walks data center rings for one strategy over one ring version; keeps its scratch space
/// between positions.
pub struct NetworkTopologyWalker<'a> {
    ring: &'a TokenMetadata,
    /// Per data center of the ring (topology order): the keyspace's factor (0 if unnamed).
    replication_factors: Vec<usize>,
    rack_has_replica: Vec<bool>,
    skipped: Vec<NodeIndex>,
}

impl<'a> NetworkTopologyWalker<'a> {
    pub fn new(ring: &'a TokenMetadata, datacenters: &BTreeMap<String, usize>) -> Self {
        let replication_factors =
            ring.topology().datacenters().iter().map(|dc| datacenters.get(&dc.name).copied().unwrap_or(0)).collect();
        NetworkTopologyWalker { ring, replication_factors, rack_has_replica: Vec::new(), skipped: Vec::new() }
    }

    /// How many replicas every position gets: per data center `min(rf, node count)`.
    pub fn replica_count(&self) -> usize {
        let datacenters = self.ring.topology().datacenters();
        datacenters.iter().zip(&self.replication_factors).map(|(dc, &rf)| rf.min(dc.node_count)).sum()
    }

    /// Appends the natural replicas of ring `position` to `out`.
    pub fn replicas_at(&mut self, position: usize, out: &mut Vec<NodeIndex>) {
        let topology = self.ring.topology();
        for (dc_index, datacenter) in topology.datacenters().iter().enumerate() {
            let wanted = self.replication_factors[dc_index].min(datacenter.node_count);
            if wanted == 0 {
                continue;
            }
            let dc_start = out.len();
            let positions = &datacenter.ring_positions;
            let first = positions.partition_point(|&p| p < position) % positions.len();
            let rack_count = datacenter.racks.len();
            self.rack_has_replica.clear();
            self.rack_has_replica.resize(rack_count, false);
            let mut racks_with_replica = 0;
            self.skipped.clear();
            for step in 0..positions.len() {
                if out.len() - dc_start == wanted {
                    break;
                }
                let node = self.ring.ring()[positions[(first + step) % positions.len()]].1;
                if out[dc_start..].contains(&node) {
                    continue;
                }
                if racks_with_replica == rack_count {
                    out.push(node);
                    continue;
                }
                let rack = topology.rack_of(node);
                if self.rack_has_replica[rack] {
                    if !self.skipped.contains(&node) {
                        self.skipped.push(node);
                    }
                    continue;
                }
                self.rack_has_replica[rack] = true;
                racks_with_replica += 1;
                out.push(node);
                if racks_with_replica == rack_count {
                    let room = wanted - (out.len() - dc_start);
                    out.extend(self.skipped.iter().take(room));
                    self.skipped.clear();
                }
            }
            // A full turn of the data center's ring meets each of its racks, after which
            // every node met (or skipped before) is taken.
            assert_eq!(out.len() - dc_start, wanted, "data center {} got every replica it wanted", datacenter.name);
        }
    }
}

#[cfg(test)]
mod tests;
