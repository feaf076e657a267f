//! The effective replication map: token lookups, ranges and primary replicas.

use super::*;
use crate::cluster::placement::test_rings::{host, idx, node, number, numbers, ring, simple_node};

fn simple(rf: usize) -> ReplicationStrategy {
    ReplicationStrategy::Simple { replication_factor: rf }
}

fn nts(pairs: &[(&str, usize)]) -> ReplicationStrategy {
    ReplicationStrategy::NetworkTopology { datacenters: pairs.iter().map(|(d, r)| (d.to_string(), *r)).collect() }
}

fn map(tm: &Arc<TokenMetadata>, strategy: ReplicationStrategy) -> EffectiveReplicationMap {
    EffectiveReplicationMap::new(tm.clone(), strategy, host(1))
}

fn for_token(erm: &EffectiveReplicationMap, token: Token) -> Vec<u8> {
    numbers(erm.token_metadata(), erm.replicas_for_token(token))
}

/// `-100 n1, 0 n2, 100 n3, 200 n1, 300 n2`
fn three_nodes() -> Arc<TokenMetadata> {
    ring(vec![simple_node(1, &[-100, 200]), simple_node(2, &[0, 300]), simple_node(3, &[100])])
}

#[test]
fn a_single_node_holds_every_token() {
    let tm = ring(vec![simple_node(1, &[0])]);
    for rf in 1..=3 {
        let erm = map(&tm, simple(rf));
        assert_eq!(erm.replica_count(), 1);
        for token in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX] {
            assert_eq!(for_token(&erm, token), [1]);
        }
        let ranges: Vec<_> = erm.range_replicas().collect();
        assert_eq!(ranges, vec![(TokenRange::new(0, 0), &[idx(1)][..])], "one range: the whole ring");
        assert_eq!(erm.ranges_of(idx(1)), [TokenRange::new(0, 0)]);
        assert_eq!(erm.primary_ranges_of(idx(1)), [TokenRange::new(0, 0)]);
    }
}

#[test]
fn three_nodes_simple_strategy_by_token() {
    let tm = three_nodes();
    let rf1 = map(&tm, simple(1));
    let rf2 = map(&tm, simple(2));
    let rf3 = map(&tm, simple(3));
    // A token equal to a ring token belongs to that token's range.
    assert_eq!(for_token(&rf1, 0), [2]);
    assert_eq!(for_token(&rf1, 1), [3]);
    assert_eq!(for_token(&rf2, -100), [1, 2]);
    assert_eq!(for_token(&rf2, -99), [2, 3]);
    assert_eq!(for_token(&rf3, 150), [1, 2, 3]);
    // Past the last token, and at the smallest tokens, the ring wraps to its first token.
    for token in [301, i64::MAX, i64::MIN, i64::MIN + 1, -101] {
        assert_eq!(for_token(&rf2, token), [1, 2], "token {token}");
    }
    assert_eq!(for_token(&rf3, 300), [2, 1, 3]);
    let endpoints: Vec<String> = rf2.endpoints_for_token(50).map(|e| e.address.to_string()).collect();
    assert_eq!(endpoints, ["127.0.0.3", "127.0.0.1"]);
    assert_eq!(rf3.precomputed_entries(), 15, "5 positions × 3 replicas");
}

#[test]
fn ranges_and_primary_ranges_of_a_node() {
    let tm = three_nodes();
    let erm = map(&tm, simple(2));
    // Ranges: (300,-100] [1,2]; (-100,0] [2,3]; (0,100] [3,1]; (100,200] [1,2]; (200,300] [2,1].
    assert_eq!(
        erm.ranges_of(idx(3)),
        [TokenRange::new(-100, 0), TokenRange::new(0, 100)],
        "n3 replicates its own range and the one before it"
    );
    assert_eq!(erm.ranges_of(idx(1)).len(), 4);
    assert_eq!(erm.primary_ranges_of(idx(1)), [TokenRange::new(300, -100), TokenRange::new(100, 200)]);
    assert_eq!(erm.primary_ranges_of(idx(3)), [TokenRange::new(0, 100)]);
    let described: Vec<(TokenRange, Vec<u8>)> =
        erm.range_replicas().map(|(range, replicas)| (range, numbers(&tm, replicas))).collect();
    assert_eq!(described[0], (TokenRange::new(300, -100), vec![1, 2]));
    assert_eq!(described[4], (TokenRange::new(200, 300), vec![2, 1]));
}

#[test]
fn network_topology_by_token() {
    // dc1: n1 r1 @10, n2 r2 @40; dc2: n3 r1 @20, n4 r1 @50.
    let tm = ring(vec![
        node(1, "dc1", "r1", &[10]),
        node(2, "dc1", "r2", &[40]),
        node(3, "dc2", "r1", &[20]),
        node(4, "dc2", "r1", &[50]),
    ]);
    let erm = map(&tm, nts(&[("dc1", 2), ("dc2", 1)]));
    assert_eq!(for_token(&erm, 15), [2, 1, 3], "dc1 from 40, dc2 from 20");
    assert_eq!(for_token(&erm, 45), [1, 2, 4], "dc1 wraps to 10, dc2 from 50");
    assert_eq!(for_token(&erm, 51), [1, 2, 3]);
    // Primary replicas: the first replica met walking the ring, not the first of the list.
    assert_eq!(erm.primary_replica_at(1).map(|n| number(&tm, n)), Some(3), "position 1 (20) is n3's");
    let dc1_only = map(&tm, nts(&[("dc1", 1)]));
    assert_eq!(dc1_only.primary_replica_at(1).map(|n| number(&tm, n)), Some(2), "n3's dc has no replicas: n2 at 40");
    assert_eq!(dc1_only.primary_ranges_of(idx(3)), []);
}

#[test]
fn local_and_everywhere_do_not_depend_on_the_token() {
    let tm = three_nodes();
    let local = map(&tm, ReplicationStrategy::Local);
    assert_eq!(for_token(&local, 7), [1]);
    assert_eq!(local.primary_ranges_of(idx(1)).len(), 5);
    let elsewhere = EffectiveReplicationMap::new(tm.clone(), ReplicationStrategy::Local, host(9));
    assert!(elsewhere.replicas_for_token(7).is_empty(), "a node not in the ring holds no ring position");
    let everywhere = map(&tm, ReplicationStrategy::Everywhere);
    assert_eq!(for_token(&everywhere, -5000), [1, 2, 3]);
    assert_eq!(everywhere.precomputed_entries(), 3);
    assert_eq!(everywhere.primary_replica_at(2).map(|n| number(&tm, n)), Some(3));
}

#[test]
fn the_map_carries_the_ring_version() {
    let empty = Arc::new(TokenMetadata::empty());
    let erm = map(&empty, simple(3));
    assert_eq!(erm.version(), 0);
    assert!(erm.replicas_for_token(0).is_empty());
    assert_eq!(erm.range_replicas().count(), 0);
    let next = Arc::new(empty.with_normal_node(simple_node(1, &[0])).unwrap());
    assert_eq!(map(&next, simple(3)).version(), 1);
    assert_eq!(map(&next, nts(&[])).replica_count(), 0);
}
