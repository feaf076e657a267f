//! What every shard knows of the cluster: the group 0 state this node has applied (ring
//! members, their tokens, dc and rack) and which member this node is. Installed on every
//! shard after each applied change, as the schema is; read by the system tables, nodetool
//! and (later) the coordinator. One instance per shard: no locks.

use std::cell::RefCell;
use std::sync::Arc;

use uuid::Uuid;

use super::group0::state::{Group0State, NodeRecord};
use super::placement::{NodeEndpoint, RingNode, TokenMetadata, TokenMetadataError};

/// The ring of the NORMAL members of `state`.
pub fn token_metadata(state: &Group0State) -> Result<TokenMetadata, TokenMetadataError> {
    let nodes = state
        .normal_nodes()
        .map(|n| RingNode {
            endpoint: NodeEndpoint {
                host_id: n.host_id,
                address: n.address,
                datacenter: n.data_center.clone(),
                rack: n.rack.clone(),
            },
            tokens: n.tokens.clone(),
        })
        .collect();
    TokenMetadata::new(state.ring_version, nodes)
}

pub struct ClusterView {
    local_host_id: Uuid,
    state: RefCell<Arc<Group0State>>,
    /// Members the failure detector holds DOWN (installed by shard 0's detector).
    down: RefCell<std::collections::BTreeSet<Uuid>>,
}

impl ClusterView {
    pub fn new(local_host_id: Uuid, state: Arc<Group0State>) -> ClusterView {
        ClusterView { local_host_id, state: RefCell::new(state), down: RefCell::default() }
    }

    pub fn local_host_id(&self) -> Uuid {
        self.local_host_id
    }

    /// Whether the failure detector holds `host` up (this node always is).
    pub fn is_up(&self, host: Uuid) -> bool {
        host == self.local_host_id || !self.down.borrow().contains(&host)
    }

    /// The failure detector's verdict on `host`.
    pub fn set_up(&self, host: Uuid, up: bool) {
        let mut down = self.down.borrow_mut();
        if up {
            down.remove(&host);
        } else {
            down.insert(host);
        }
    }

    pub fn install(&self, state: Arc<Group0State>) {
        *self.state.borrow_mut() = state;
    }

    /// The version of the ring this node holds (without cloning the state).
    pub fn ring_version(&self) -> u64 {
        self.state.borrow().ring_version
    }

    pub fn state(&self) -> Arc<Group0State> {
        self.state.borrow().clone()
    }

    /// This node's ring record (`None` until it has joined).
    pub fn local(&self) -> Option<NodeRecord> {
        self.state.borrow().node(self.local_host_id).cloned()
    }

    /// The other members that own tokens: the rows of `system.peers`.
    pub fn peers(&self) -> Vec<NodeRecord> {
        self.state.borrow().normal_nodes().filter(|n| n.host_id != self.local_host_id).cloned().collect()
    }
}
