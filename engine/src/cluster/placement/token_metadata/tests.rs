//! Token metadata: validation, versions, and the ring position of a token.

use super::*;
use crate::cluster::placement::test_rings::{endpoint, host, idx, node, number, ring, simple_node};

#[test]
fn the_ring_is_sorted_by_token_and_nodes_by_host_id() {
    let tm = ring(vec![simple_node(2, &[50, -50]), simple_node(1, &[0, 100])]);
    assert_eq!(tm.ring(), &[(-50, idx(2)), (0, idx(1)), (50, idx(2)), (100, idx(1))]);
    assert_eq!(tm.node(idx(2)).tokens, vec![-50, 50], "a node's tokens are kept sorted");
    assert_eq!(tm.node_index(host(2)), Some(idx(2)));
    assert_eq!(tm.node_index(host(9)), None);
    assert_eq!(tm.node_index_by_address("127.0.0.1".parse().unwrap()), Some(idx(1)));
}

#[test]
fn a_token_maps_to_the_first_ring_token_at_or_above_it() {
    let tm = ring(vec![simple_node(1, &[-100, 100]), simple_node(2, &[0])]);
    assert_eq!(tm.first_token_index(-100), Some(0), "a token equal to a ring token is that position");
    assert_eq!(tm.first_token_index(-99), Some(1));
    assert_eq!(tm.first_token_index(0), Some(1));
    assert_eq!(tm.first_token_index(1), Some(2));
    assert_eq!(tm.first_token_index(100), Some(2));
    assert_eq!(tm.first_token_index(101), Some(0), "past the last token the ring wraps");
    assert_eq!(tm.first_token_index(i64::MAX), Some(0));
    assert_eq!(tm.first_token_index(i64::MIN), Some(0));
    assert_eq!(tm.token_owner(50).map(|n| number(&tm, n)), Some(1));
    assert_eq!(tm.token_owner(-5).map(|n| number(&tm, n)), Some(2));
}

#[test]
fn each_position_stands_for_the_range_ending_at_its_token() {
    let tm = ring(vec![simple_node(1, &[-100, 100]), simple_node(2, &[0])]);
    assert_eq!(tm.range_ending_at(0), TokenRange::new(100, -100), "position 0 wraps");
    assert_eq!(tm.range_ending_at(1), TokenRange::new(-100, 0));
    assert_eq!(tm.range_ending_at(2), TokenRange::new(0, 100));
    for token in [-101, -100, -1, 0, 1, 100, 101, i64::MAX, i64::MIN + 1] {
        let position = tm.first_token_index(token).unwrap();
        assert!(tm.range_ending_at(position).contains(token), "{token} is in its position's range");
    }
}

#[test]
fn a_single_token_ring_owns_everything() {
    let tm = ring(vec![simple_node(1, &[42])]);
    assert_eq!(tm.first_token_index(i64::MIN + 1), Some(0));
    assert_eq!(tm.first_token_index(43), Some(0));
    assert_eq!(tm.range_ending_at(0), TokenRange::new(42, 42));
    assert!(tm.range_ending_at(0).contains(i64::MAX));
}

#[test]
fn the_empty_ring_has_no_positions() {
    let tm = TokenMetadata::empty();
    assert_eq!(tm.version(), 0);
    assert!(tm.is_empty());
    assert_eq!(tm.first_token_index(0), None);
    assert_eq!(tm.token_owner(0), None);
    assert!(tm.topology().datacenters().is_empty());
}

#[test]
fn every_change_makes_a_new_version() {
    let v0 = TokenMetadata::empty();
    let v1 = v0.with_normal_node(simple_node(1, &[0])).unwrap();
    let v2 = v1.with_normal_node(simple_node(2, &[10])).unwrap();
    let v3 = v2.with_node_replaced(host(1), endpoint(3, "dc1", "rack1")).unwrap();
    let v4 = v3.without_node(host(2)).unwrap();
    assert_eq!([v1.version(), v2.version(), v3.version(), v4.version()], [1, 2, 3, 4]);
    assert_eq!(v2.ring().len(), 2);
    assert_eq!(v3.node(v3.token_owner(0).unwrap()).endpoint.host_id, host(3), "the replacement owns the tokens");
    assert_eq!(v3.node(v3.node_index(host(3)).unwrap()).tokens, vec![0]);
    assert_eq!(v4.ring().len(), 1);
    assert_eq!(v1.ring().len(), 1, "older versions are untouched");
    assert_eq!(v0.without_node(host(1)), Err(TokenMetadataError::UnknownHost(host(1))));
}

#[test]
fn invalid_rings_are_refused() {
    let err = |nodes| TokenMetadata::new(1, nodes).unwrap_err();
    assert_eq!(err(vec![simple_node(1, &[])]), TokenMetadataError::NoTokens { host_id: host(1) });
    assert_eq!(err(vec![simple_node(1, &[i64::MIN, 0])]), TokenMetadataError::ReservedToken { host_id: host(1) });
    assert_eq!(
        err(vec![simple_node(1, &[5]), simple_node(2, &[5])]),
        TokenMetadataError::TokenConflict { token: 5, first: host(1), second: host(2) }
    );
    assert_eq!(
        err(vec![simple_node(1, &[5, 5])]),
        TokenMetadataError::TokenConflict { token: 5, first: host(1), second: host(1) }
    );
    assert_eq!(err(vec![simple_node(1, &[1]), simple_node(1, &[2])]), TokenMetadataError::DuplicateHostId(host(1)));
    let mut same_address = simple_node(2, &[2]);
    same_address.endpoint.address = "127.0.0.1".parse().unwrap();
    assert_eq!(
        err(vec![simple_node(1, &[1]), same_address]),
        TokenMetadataError::DuplicateAddress { address: "127.0.0.1".parse().unwrap(), first: host(1), second: host(2) }
    );
    assert_eq!(err(vec![node(1, "", "rack1", &[1])]), TokenMetadataError::EmptyLocation { host_id: host(1) });
    let too_many: Vec<Token> = (0..=NODE_TOKENS_MAX as i64).collect();
    assert_eq!(
        err(vec![simple_node(1, &too_many)]),
        TokenMetadataError::TooManyTokens { host_id: host(1), count: NODE_TOKENS_MAX + 1 }
    );
}

#[test]
fn datacenters_come_in_the_order_of_their_first_token() {
    let tm = ring(vec![
        node(1, "east", "r1", &[10, -90]),
        node(2, "west", "r1", &[-100, 50]),
        node(3, "west", "r2", &[0]),
        node(4, "east", "r2", &[20]),
    ]);
    let topology = tm.topology();
    let names: Vec<&str> = topology.datacenters().iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["west", "east"], "west owns the smallest token");
    let west = topology.datacenter("west").unwrap();
    assert_eq!(west.racks, ["r1", "r2"]);
    assert_eq!(west.node_count, 2);
    // ring: -100 w2, -90 e1, 0 w3, 10 e1, 20 e4, 50 w2
    assert_eq!(west.ring_positions, [0, 2, 5]);
    assert_eq!(topology.datacenter("east").unwrap().ring_positions, [1, 3, 4]);
    assert_eq!(topology.datacenter_of(idx(4)), 1);
    assert_eq!(topology.rack_of(idx(4)), 1);
    assert_eq!(topology.rack_of(idx(1)), 0);
}
