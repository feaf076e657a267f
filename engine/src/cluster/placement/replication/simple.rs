//! SimpleStrategy: the natural replicas of a ring position are the first
//! `replication_factor` distinct nodes met walking the ring from that position (the
//! position's own owner first), or every node when there are fewer.
//!
//! This is Cassandra's `SimpleStrategy.calculateNaturalReplicas`, the Python driver's
//! `SimpleStrategy.make_token_replica_map` and the Rust driver's `simple_strategy_replicas`,
//! which all give the same list in the same order.

use super::super::node::NodeIndex;
use super::super::token_metadata::TokenMetadata;

/// How many replicas every position gets.
pub fn replica_count(ring: &TokenMetadata, replication_factor: usize) -> usize {
    replication_factor.min(ring.nodes().len())
}

/// Appends the natural replicas of ring `position` to `out`.
pub fn replicas_at(ring: &TokenMetadata, position: usize, replication_factor: usize, out: &mut Vec<NodeIndex>) {
    let start = out.len();
    let wanted = replica_count(ring, replication_factor);
    let tokens = ring.ring();
    let mut p = position;
    for _ in 0..tokens.len() {
        if out.len() - start == wanted {
            break;
        }
        let node = tokens[p].1;
        if !out[start..].contains(&node) {
            out.push(node);
        }
        p = ring.next_position(p);
    }
    // A full turn of the ring meets every node.
    assert_eq!(out.len() - start, wanted, "SimpleStrategy found every replica it wanted");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::placement::test_rings::{numbers, ring, simple_node};

    fn replicas(tm: &TokenMetadata, position: usize, rf: usize) -> Vec<u8> {
        let mut out = Vec::new();
        replicas_at(tm, position, rf, &mut out);
        numbers(tm, &out)
    }

    #[test]
    fn three_nodes_rf_one_to_three() {
        // ring: -100 n1, 0 n2, 100 n3, 200 n1, 300 n2
        let tm = ring(vec![simple_node(1, &[-100, 200]), simple_node(2, &[0, 300]), simple_node(3, &[100])]);
        assert_eq!(replicas(&tm, 0, 1), [1]);
        assert_eq!(replicas(&tm, 0, 2), [1, 2]);
        assert_eq!(replicas(&tm, 0, 3), [1, 2, 3]);
        assert_eq!(replicas(&tm, 3, 1), [1]);
        assert_eq!(replicas(&tm, 3, 2), [1, 2]);
        assert_eq!(replicas(&tm, 3, 3), [1, 2, 3], "n1 at 200, n2 at 300, wrap: n1 again skipped, n2, n3 at 100");
        assert_eq!(replicas(&tm, 4, 2), [2, 1], "the last position wraps to the first");
        assert_eq!(replicas(&tm, 4, 3), [2, 1, 3]);
    }

    #[test]
    fn more_replication_than_nodes_gives_every_node() {
        let tm = ring(vec![simple_node(1, &[0]), simple_node(2, &[10])]);
        assert_eq!(replica_count(&tm, 5), 2);
        assert_eq!(replicas(&tm, 1, 5), [2, 1]);
        assert_eq!(replicas(&tm, 0, 0), Vec::<u8>::new());
    }

    #[test]
    fn a_single_node_is_every_replica() {
        let tm = ring(vec![simple_node(1, &[0, 1, 2])]);
        for p in 0..3 {
            assert_eq!(replicas(&tm, p, 3), [1]);
        }
    }
}
