//! Hand-built rings for placement's tests: node `n` has host id `n`, address `127.0.0.n`, so
//! its [`NodeIndex`] is `n - 1` when nodes `1..=k` are all in the ring.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use super::node::{HostId, NodeEndpoint, NodeIndex};
use super::token_metadata::{RingNode, TokenMetadata};
use crate::model::token::Token;

pub fn host(n: u8) -> HostId {
    HostId::from_u128(n as u128)
}

pub fn endpoint(n: u8, datacenter: &str, rack: &str) -> NodeEndpoint {
    NodeEndpoint {
        host_id: host(n),
        address: IpAddr::V4(Ipv4Addr::new(127, 0, 0, n)),
        datacenter: datacenter.to_string(),
        rack: rack.to_string(),
    }
}

pub fn node(n: u8, datacenter: &str, rack: &str, tokens: &[Token]) -> RingNode {
    RingNode { endpoint: endpoint(n, datacenter, rack), tokens: tokens.to_vec() }
}

/// Node `n` in dc1/rack1.
pub fn simple_node(n: u8, tokens: &[Token]) -> RingNode {
    node(n, "dc1", "rack1", tokens)
}

pub fn ring(nodes: Vec<RingNode>) -> Arc<TokenMetadata> {
    Arc::new(TokenMetadata::new(1, nodes).expect("a valid test ring"))
}

/// The index of node `n` in a ring holding nodes `1..=k`.
pub fn idx(n: u8) -> NodeIndex {
    NodeIndex::new(n as usize - 1)
}

/// The node numbers (`n` of [`node`]) of a replica list.
pub fn numbers(ring: &TokenMetadata, replicas: &[NodeIndex]) -> Vec<u8> {
    replicas.iter().map(|&r| number(ring, r)).collect()
}

pub fn number(ring: &TokenMetadata, node: NodeIndex) -> u8 {
    u8::try_from(ring.endpoint(node).host_id.as_u128()).expect("test host ids are node numbers")
}
