//! Token metadata: one immutable, versioned picture of the ring — every NORMAL node with its
//! endpoint, data center, rack and tokens, and the sorted ring of `(token, owner)`.
//!
//! A change (a node joins, leaves, is replaced) makes a new picture whose version is one
//! higher; nothing is ever modified in place, so a reader holding an `Arc<TokenMetadata>`
//! keeps a consistent ring for as long as it needs one.
//!
//! Ring position `i` stands for the range `(ring[i - 1].token, ring[i].token]` (position 0's
//! range wraps from the last token): a key's position is the first ring token `>=` its token,
//! or 0 past the last one — Cassandra's `TokenMetadata.firstTokenIndex`, the drivers'
//! `bisect_left` / `binary_search`.

use std::net::IpAddr;

use super::node::{HostId, NodeEndpoint, NodeIndex};
use super::token_range::TokenRange;
use super::topology::Topology;
use crate::model::token::Token;

/// Tokens one node may own (Cassandra's `MAX_NUM_TOKENS`).
pub const NODE_TOKENS_MAX: usize = 1536;

/// What a ring picture cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenMetadataError {
    #[error("node {host_id} has no tokens; a NORMAL node owns at least one")]
    NoTokens { host_id: HostId },
    #[error("node {host_id} has {count} tokens; a node owns at most {NODE_TOKENS_MAX} (lower num_tokens)")]
    TooManyTokens { host_id: HostId, count: usize },
    #[error("node {host_id} owns token {}, the minimum token Murmur3Partitioner reserves; choose another", i64::MIN)]
    ReservedToken { host_id: HostId },
    #[error("token {token} is owned by both {first} and {second}; every token has one owner")]
    TokenConflict { token: Token, first: HostId, second: HostId },
    #[error("host id {0} appears twice in the ring")]
    DuplicateHostId(HostId),
    #[error("address {address} is used by both {first} and {second}")]
    DuplicateAddress { address: IpAddr, first: HostId, second: HostId },
    #[error("node {host_id} has an empty data center or rack name")]
    EmptyLocation { host_id: HostId },
    #[error("no node with host id {0} in the ring")]
    UnknownHost(HostId),
}

/// A NORMAL node and the tokens it owns (sorted, distinct).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingNode {
    pub endpoint: NodeEndpoint,
    pub tokens: Vec<Token>,
}

/// One version of the ring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenMetadata {
    version: u64,
    /// Sorted by host id; a [`NodeIndex`] indexes this.
    nodes: Vec<RingNode>,
    /// Every token with its owner, sorted by token.
    ring: Vec<(Token, NodeIndex)>,
    topology: Topology,
}

impl TokenMetadata {
    /// The ring before any node is NORMAL: version 0, no tokens.
    pub fn empty() -> Self {
        TokenMetadata { version: 0, nodes: Vec::new(), ring: Vec::new(), topology: Topology::new(&[], &[]) }
    }

    /// The ring of `nodes` at `version`; each node's tokens may come in any order.
    pub fn new(version: u64, nodes: Vec<RingNode>) -> Result<Self, TokenMetadataError> {
        let mut nodes = nodes;
        for node in &mut nodes {
            check_node(node)?;
        }
        nodes.sort_by_key(|n| n.endpoint.host_id);
        for pair in nodes.windows(2) {
            if pair[0].endpoint.host_id == pair[1].endpoint.host_id {
                return Err(TokenMetadataError::DuplicateHostId(pair[0].endpoint.host_id));
            }
        }
        check_addresses(&nodes)?;

        let mut ring: Vec<(Token, NodeIndex)> =
            nodes.iter().enumerate().flat_map(|(i, n)| n.tokens.iter().map(move |&t| (t, NodeIndex::new(i)))).collect();
        ring.sort_unstable();
        for pair in ring.windows(2) {
            if pair[0].0 == pair[1].0 {
                return Err(TokenMetadataError::TokenConflict {
                    token: pair[0].0,
                    first: nodes[pair[0].1.get()].endpoint.host_id,
                    second: nodes[pair[1].1.get()].endpoint.host_id,
                });
            }
        }
        let endpoints: Vec<&NodeEndpoint> = nodes.iter().map(|n| &n.endpoint).collect();
        let topology = Topology::new(&endpoints, &ring);
        Ok(TokenMetadata { version, nodes, ring, topology })
    }

    /// The next version, with `node` NORMAL (a bootstrap finished).
    pub fn with_normal_node(&self, node: RingNode) -> Result<Self, TokenMetadataError> {
        let mut nodes = self.nodes.clone();
        nodes.push(node);
        TokenMetadata::new(self.next_version(), nodes)
    }

    /// The next version, without the node (it left or was removed); its ranges go to the
    /// nodes after them on the ring.
    pub fn without_node(&self, host_id: HostId) -> Result<Self, TokenMetadataError> {
        let index = self.node_index(host_id).ok_or(TokenMetadataError::UnknownHost(host_id))?;
        let mut nodes = self.nodes.clone();
        nodes.remove(index.get());
        TokenMetadata::new(self.next_version(), nodes)
    }

    /// The next version, where `replacement` owns the tokens `replaced` owned (a node
    /// replace): the ring's ranges stay where they are.
    pub fn with_node_replaced(&self, replaced: HostId, replacement: NodeEndpoint) -> Result<Self, TokenMetadataError> {
        let index = self.node_index(replaced).ok_or(TokenMetadataError::UnknownHost(replaced))?;
        let mut nodes = self.nodes.clone();
        nodes[index.get()].endpoint = replacement;
        TokenMetadata::new(self.next_version(), nodes)
    }

    fn next_version(&self) -> u64 {
        self.version.checked_add(1).expect("a ring version never reaches u64::MAX")
    }

    /// Grows by one with every change.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// NORMAL nodes, sorted by host id (indexed by [`NodeIndex`]).
    pub fn nodes(&self) -> &[RingNode] {
        &self.nodes
    }

    pub fn node(&self, index: NodeIndex) -> &RingNode {
        &self.nodes[index.get()]
    }

    pub fn endpoint(&self, index: NodeIndex) -> &NodeEndpoint {
        &self.nodes[index.get()].endpoint
    }

    pub fn node_index(&self, host_id: HostId) -> Option<NodeIndex> {
        self.nodes.binary_search_by_key(&host_id, |n| n.endpoint.host_id).ok().map(NodeIndex::new)
    }

    pub fn node_index_by_address(&self, address: IpAddr) -> Option<NodeIndex> {
        self.nodes.iter().position(|n| n.endpoint.address == address).map(NodeIndex::new)
    }

    /// Every token with its owner, sorted by token.
    pub fn ring(&self) -> &[(Token, NodeIndex)] {
        &self.ring
    }

    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The ring position of `token`: the first ring token `>= token`, wrapping to 0 past
    /// the last one; `None` when the ring is empty.
    pub fn first_token_index(&self, token: Token) -> Option<usize> {
        if self.ring.is_empty() {
            return None;
        }
        let i = self.ring.partition_point(|&(t, _)| t < token);
        Some(if i == self.ring.len() { 0 } else { i })
    }

    /// The node owning the ring position of `token` (its primary owner); `None` when the
    /// ring is empty.
    pub fn token_owner(&self, token: Token) -> Option<NodeIndex> {
        self.first_token_index(token).map(|i| self.ring[i].1)
    }

    /// The range position `i` stands for: `(previous ring token, ring[i].token]`.
    pub fn range_ending_at(&self, position: usize) -> TokenRange {
        let previous = (position + self.ring.len() - 1) % self.ring.len();
        TokenRange::new(self.ring[previous].0, self.ring[position].0)
    }

    /// The next ring position after `position`, wrapping.
    pub fn next_position(&self, position: usize) -> usize {
        (position + 1) % self.ring.len()
    }
}

/// Sorts the node's tokens and checks them and its location.
fn check_node(node: &mut RingNode) -> Result<(), TokenMetadataError> {
    let host_id = node.endpoint.host_id;
    if node.endpoint.datacenter.is_empty() || node.endpoint.rack.is_empty() {
        return Err(TokenMetadataError::EmptyLocation { host_id });
    }
    if node.tokens.is_empty() {
        return Err(TokenMetadataError::NoTokens { host_id });
    }
    if node.tokens.len() > NODE_TOKENS_MAX {
        return Err(TokenMetadataError::TooManyTokens { host_id, count: node.tokens.len() });
    }
    node.tokens.sort_unstable();
    if node.tokens[0] == i64::MIN {
        return Err(TokenMetadataError::ReservedToken { host_id });
    }
    if let Some(pair) = node.tokens.windows(2).find(|p| p[0] == p[1]) {
        return Err(TokenMetadataError::TokenConflict { token: pair[0], first: host_id, second: host_id });
    }
    Ok(())
}

fn check_addresses(nodes: &[RingNode]) -> Result<(), TokenMetadataError> {
    let mut by_address: Vec<(IpAddr, HostId)> =
        nodes.iter().map(|n| (n.endpoint.address, n.endpoint.host_id)).collect();
    by_address.sort_unstable();
    match by_address.windows(2).find(|p| p[0].0 == p[1].0) {
        Some(pair) => {
            Err(TokenMetadataError::DuplicateAddress { address: pair[0].0, first: pair[0].1, second: pair[1].1 })
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
