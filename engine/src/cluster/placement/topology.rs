//! Data centers and racks of one ring version, derived from its nodes: what
//! NetworkTopologyStrategy needs without comparing strings on every step.
//!
//! Data centers are listed in the order of their first token on the ring (walking from the
//! smallest token), which is the order both the Python driver (`dc_to_token_offset`) and the
//! Rust driver (`ReplicaLocator::datacenters`) list a NetworkTopologyStrategy keyspace's
//! replicas in.

use super::node::{NodeEndpoint, NodeIndex};
use crate::model::token::Token;

/// One data center: its racks, its nodes, and the ring positions its nodes own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datacenter {
    pub name: String,
    /// Rack names in the order of their first token on the ring.
    pub racks: Vec<String>,
    /// Nodes with at least one token in this data center.
    pub node_count: usize,
    /// Ring positions (indices into the sorted ring) owned by this data center's nodes,
    /// ascending: this data center's own ring.
    pub ring_positions: Vec<usize>,
}

/// Where every node of a ring stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    datacenters: Vec<Datacenter>,
    /// Per node (by [`NodeIndex`]): index into `datacenters`.
    node_datacenter: Vec<usize>,
    /// Per node: index into its data center's `racks`.
    node_rack: Vec<usize>,
}

impl Topology {
    /// The topology of `nodes` (indexed by [`NodeIndex`]) given the sorted ring.
    pub(super) fn new(nodes: &[&NodeEndpoint], ring: &[(Token, NodeIndex)]) -> Self {
        let mut datacenters: Vec<Datacenter> = Vec::new();
        let mut node_datacenter = vec![usize::MAX; nodes.len()];
        let mut node_rack = vec![usize::MAX; nodes.len()];
        for (position, &(_, node)) in ring.iter().enumerate() {
            let endpoint = nodes[node.get()];
            let dc = match datacenters.iter().position(|d| d.name == endpoint.datacenter) {
                Some(dc) => dc,
                None => {
                    datacenters.push(Datacenter {
                        name: endpoint.datacenter.clone(),
                        racks: Vec::new(),
                        node_count: 0,
                        ring_positions: Vec::new(),
                    });
                    datacenters.len() - 1
                }
            };
            let datacenter = &mut datacenters[dc];
            datacenter.ring_positions.push(position);
            if node_datacenter[node.get()] == usize::MAX {
                node_datacenter[node.get()] = dc;
                datacenter.node_count += 1;
                node_rack[node.get()] = match datacenter.racks.iter().position(|r| *r == endpoint.rack) {
                    Some(rack) => rack,
                    None => {
                        datacenter.racks.push(endpoint.rack.clone());
                        datacenter.racks.len() - 1
                    }
                };
            }
        }
        assert!(node_datacenter.iter().all(|&dc| dc != usize::MAX), "every node of the ring owns a token");
        Topology { datacenters, node_datacenter, node_rack }
    }

    /// Data centers in the order of their first token on the ring.
    pub fn datacenters(&self) -> &[Datacenter] {
        &self.datacenters
    }

    pub fn datacenter(&self, name: &str) -> Option<&Datacenter> {
        self.datacenters.iter().find(|d| d.name == name)
    }

    /// The index (into [`Self::datacenters`]) of a node's data center.
    pub fn datacenter_of(&self, node: NodeIndex) -> usize {
        self.node_datacenter[node.get()]
    }

    /// The index (into its data center's racks) of a node's rack.
    pub fn rack_of(&self, node: NodeIndex) -> usize {
        self.node_rack[node.get()]
    }
}
