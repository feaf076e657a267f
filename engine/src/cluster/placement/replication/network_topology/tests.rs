//! NetworkTopologyStrategy on hand-built rings, and against Cassandra 4's per-data-center
//! algorithm (the Rust driver's `NtsReplicasInDatacenterIterator`) on random rings.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::*;
use crate::cluster::placement::test_rings::{node, numbers, ring};
use crate::cluster::placement::token_metadata::RingNode;

fn factors(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(dc, rf)| (dc.to_string(), *rf)).collect()
}

fn replicas(tm: &TokenMetadata, position: usize, rf: &[(&str, usize)]) -> Vec<u8> {
    let mut out = Vec::new();
    NetworkTopologyWalker::new(tm, &factors(rf)).replicas_at(position, &mut out);
    numbers(tm, &out)
}

/// Two data centers of two racks with two nodes each:
/// `10 n1 dc1/r1, 20 n5 dc2/r1, 30 n3 dc1/r1, 40 n2 dc1/r2, 50 n6 dc2/r2, 60 n4 dc1/r2,
/// 70 n7 dc2/r1, 80 n8 dc2/r2`.
fn two_datacenters() -> std::sync::Arc<TokenMetadata> {
    ring(vec![
        node(1, "dc1", "r1", &[10]),
        node(2, "dc1", "r2", &[40]),
        node(3, "dc1", "r1", &[30]),
        node(4, "dc1", "r2", &[60]),
        node(5, "dc2", "r1", &[20]),
        node(6, "dc2", "r2", &[50]),
        node(7, "dc2", "r1", &[70]),
        node(8, "dc2", "r2", &[80]),
    ])
}

#[test]
fn two_datacenters_two_racks_rf_two_and_one() {
    let tm = two_datacenters();
    let rf = [("dc1", 2), ("dc2", 1)];
    assert_eq!(NetworkTopologyWalker::new(&tm, &factors(&rf)).replica_count(), 3);
    // n3 (r1) is skipped for n2 (r2): the first rack already has n1.
    assert_eq!(replicas(&tm, 0, &rf), [1, 2, 5]);
    assert_eq!(replicas(&tm, 1, &rf), [3, 2, 5], "dc1's walk starts at its first token at or after 20");
    assert_eq!(replicas(&tm, 3, &rf), [2, 1, 6], "n4 (r2) is skipped, dc1's walk wraps to n1");
    assert_eq!(replicas(&tm, 5, &rf), [4, 1, 7]);
    assert_eq!(replicas(&tm, 7, &rf), [1, 2, 8], "no dc1 token at or after 80: its walk wraps");
}

#[test]
fn datacenters_are_listed_by_their_first_ring_token_not_by_the_key() {
    let tm = two_datacenters();
    // Position 1 is a dc2 token, yet dc1 (which owns the ring's smallest token) comes first.
    assert_eq!(replicas(&tm, 1, &[("dc1", 1), ("dc2", 1)]), [3, 5]);
    assert_eq!(replicas(&tm, 1, &[("dc2", 2)]), [5, 6]);
}

#[test]
fn fewer_racks_than_replicas_take_skipped_nodes_once_every_rack_has_one() {
    // 10 n1 r1, 20 n2 r1, 30 n3 r1, 40 n4 r2
    let tm = ring(vec![
        node(1, "dc1", "r1", &[10]),
        node(2, "dc1", "r1", &[20]),
        node(3, "dc1", "r1", &[30]),
        node(4, "dc1", "r2", &[40]),
    ]);
    let rf = [("dc1", 3)];
    // n2 and n3 are skipped; n4 completes the racks; n2, the first skipped, fills the last slot.
    // (Cassandra 4 and the Rust driver take n2 as soon as they meet it: [1, 2, 4].)
    assert_eq!(replicas(&tm, 0, &rf), [1, 4, 2]);
    assert_eq!(replicas(&tm, 1, &rf), [2, 4, 3]);
    assert_eq!(replicas(&tm, 3, &rf), [4, 1, 2], "both racks at once: then the walk order");
    assert_eq!(replicas(&tm, 0, &[("dc1", 2)]), [1, 4]);
}

#[test]
fn a_node_skipped_twice_is_taken_once() {
    // 1 n1 r1, 2 n2 r1, 3 n2 r1, 4 n3 r2, 5 n4 r1: n2 is met twice before r2 has a replica.
    let tm = ring(vec![
        node(1, "dc1", "r1", &[1]),
        node(2, "dc1", "r1", &[2, 3]),
        node(3, "dc1", "r2", &[4]),
        node(4, "dc1", "r1", &[5]),
    ]);
    // The Python driver 3.29 gives [1, 3, 2, 2] here; Cassandra 3 (and we) [1, 3, 2, 4].
    assert_eq!(replicas(&tm, 0, &[("dc1", 4)]), [1, 3, 2, 4]);
}

#[test]
fn more_replication_than_nodes_gives_every_node_of_the_datacenter() {
    let tm = two_datacenters();
    let rf = [("dc1", 1), ("dc2", 7)];
    assert_eq!(NetworkTopologyWalker::new(&tm, &factors(&rf)).replica_count(), 5);
    // dc2 from 50: n6 r2, n7 r1, n8 r2, n5 r1 (racks complete at n7, then walk order).
    assert_eq!(replicas(&tm, 4, &rf), [4, 6, 7, 8, 5]);
}

#[test]
fn datacenters_without_factor_or_nodes_get_no_replicas() {
    let tm = two_datacenters();
    let rf = [("dc1", 1), ("dc2", 0), ("dc3", 3)];
    assert_eq!(NetworkTopologyWalker::new(&tm, &factors(&rf)).replica_count(), 1);
    assert_eq!(replicas(&tm, 2, &rf), [3]);
    assert_eq!(replicas(&tm, 2, &[]), Vec::<u8>::new());
}

#[test]
fn one_rack_is_the_walk_order() {
    let tm = ring(vec![node(1, "dc1", "r1", &[10, 40]), node(2, "dc1", "r1", &[20]), node(3, "dc1", "r1", &[30])]);
    assert_eq!(replicas(&tm, 2, &[("dc1", 3)]), [3, 1, 2]);
    assert_eq!(replicas(&tm, 3, &[("dc1", 2)]), [1, 2]);
}

/// Cassandra 4's per-data-center choice, as the Rust driver's
/// `NtsReplicasInDatacenterIterator` makes it: distinct nodes of the data center's ring in
/// walk order, a node on a rack already used taken only while `rf - racks` repeats are left.
fn acceptable_repeats_model(tm: &TokenMetadata, position: usize, dc_name: &str, rf: usize) -> Vec<NodeIndex> {
    let Some(dc) = tm.topology().datacenter(dc_name) else { return Vec::new() };
    let wanted = rf.min(dc.node_count);
    let mut repeats_left = rf.saturating_sub(dc.racks.len());
    let first = dc.ring_positions.iter().position(|&p| p >= position).unwrap_or(0);
    let mut used_racks = BTreeSet::new();
    let mut out: Vec<NodeIndex> = Vec::new();
    for step in 0..dc.ring_positions.len() {
        let node = tm.ring()[dc.ring_positions[(first + step) % dc.ring_positions.len()]].1;
        if out.len() == wanted || out.contains(&node) {
            continue;
        }
        if used_racks.insert(tm.topology().rack_of(node)) {
            out.push(node);
        } else if repeats_left > 0 {
            repeats_left -= 1;
            out.push(node);
        }
    }
    out
}

fn random_ring() -> impl Strategy<Value = TokenMetadata> {
    // Up to 8 nodes, 1-8 tokens each, 1-2 data centers, 1-3 racks each.
    prop::collection::vec((1usize..=8, 0u8..2, 0u8..3), 1..=8).prop_flat_map(|shapes| {
        let token_count: usize = shapes.iter().map(|s| s.0).sum();
        prop::collection::btree_set(i64::MIN + 1..=i64::MAX, token_count).prop_map(move |tokens| {
            let mut tokens: Vec<i64> = tokens.into_iter().collect();
            // Spread the sorted tokens over the nodes in a scrambled order.
            tokens.sort_unstable_by_key(|&t| (t as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let mut nodes: Vec<RingNode> = Vec::new();
            for (i, &(count, dc, rack)) in shapes.iter().enumerate() {
                let own: Vec<i64> = tokens.drain(..count).collect();
                nodes.push(node(i as u8 + 1, &format!("dc{dc}"), &format!("r{rack}"), &own));
            }
            TokenMetadata::new(1, nodes).expect("a valid random ring")
        })
    })
}

proptest! {
    #[test]
    fn same_replica_sets_as_cassandra_4_and_same_lists_when_racks_suffice(
        tm in random_ring(),
        rf0 in 0usize..5,
        rf1 in 0usize..5,
    ) {
        let rf = factors(&[("dc0", rf0), ("dc1", rf1)]);
        let mut walker = NetworkTopologyWalker::new(&tm, &rf);
        let mut out = Vec::new();
        for position in 0..tm.ring().len() {
            out.clear();
            walker.replicas_at(position, &mut out);
            prop_assert_eq!(out.len(), walker.replica_count());
            let mut offset = 0;
            for dc in tm.topology().datacenters() {
                let model = acceptable_repeats_model(&tm, position, &dc.name, rf[&dc.name]);
                let ours = &out[offset..offset + model.len()];
                offset += model.len();
                let ours_set: BTreeSet<_> = ours.iter().collect();
                prop_assert_eq!(ours_set.len(), ours.len(), "no node twice");
                prop_assert_eq!(ours_set, model.iter().collect::<BTreeSet<_>>());
                if rf[&dc.name] <= dc.racks.len() {
                    prop_assert_eq!(ours, &model[..]);
                }
            }
            prop_assert_eq!(offset, out.len());
        }
    }
}
