//! What `status`, `ring` and `describecluster` gather before printing: the ring as the asked
//! node knows it (`GET /storage_service/ring_info[/<keyspace>]`: members, up/down,
//! ownership), its own `node_info`, and each other up member's `node_info` (its load and
//! schema version) asked of the member itself — at its rpc address on the asked node's admin
//! port (every node of a cluster serves the admin API on the same port), all members at once,
//! each waited for at most [`PEER_TIMEOUT_MS`]. A member that is down or does not answer
//! has no answer: its load prints as `?`, as Cassandra prints a load it does not know.

use std::collections::BTreeMap;
use std::time::Duration;

use uuid::Uuid;

use crate::admin::ring_views::{MemberView, RingView};
use crate::admin::views::NodeInfo;

use super::http::{percent_encode, Endpoint};
use super::NodetoolError;

/// How long a member's admin API has to answer (connect, then each read).
pub const PEER_TIMEOUT_MS: u64 = 2_000;

/// The ring and what its members said of themselves.
#[derive(Debug, Clone)]
pub struct RingAnswers {
    /// The asked node's `node_info`.
    pub local: NodeInfo,
    pub ring: RingView,
    /// The members' own `node_info`s by host id (the asked node's included); members that
    /// are down or did not answer are missing.
    pub nodes: BTreeMap<Uuid, NodeInfo>,
}

impl RingAnswers {
    /// The member's load in bytes, if it told.
    pub fn load(&self, member: &MemberView) -> Option<u64> {
        self.nodes.get(&member.host_id).map(|n| n.load_bytes)
    }

    /// The schema version the member reports: its own answer; for an up member that did not
    /// answer, the one the asked node applied (group 0 gives every member the same schema);
    /// `None` for a down member (Cassandra's UNREACHABLE).
    pub fn schema_version(&self, member: &MemberView) -> Option<Uuid> {
        match self.nodes.get(&member.host_id) {
            Some(info) => Some(info.schema_version),
            None => member.up.then_some(self.ring.schema_version),
        }
    }
}

/// Asks `node` for the ring (ownership for `keyspace`) and every up member for itself.
pub fn gather(node: &Endpoint, keyspace: Option<&str>) -> Result<RingAnswers, NodetoolError> {
    let local: NodeInfo = node.get_json("/storage_service/node_info")?;
    let path = match keyspace {
        Some(ks) => format!("/storage_service/ring_info/{}", percent_encode(ks)),
        None => "/storage_service/ring_info".to_string(),
    };
    let ring: RingView = node.get_json(&path)?;
    let peers: Vec<&MemberView> = ring.members.iter().filter(|m| m.up && m.host_id != local.host_id).collect();
    let timeout = Duration::from_millis(PEER_TIMEOUT_MS);
    let answers: Vec<NodeInfo> = std::thread::scope(|scope| {
        let asking: Vec<_> = peers
            .iter()
            .map(|member| {
                let endpoint = Endpoint::new(member.rpc_address.clone(), node.port).with_timeout(timeout);
                let host_id = member.host_id;
                scope.spawn(move || {
                    let info = endpoint.get_json::<NodeInfo>("/storage_service/node_info").ok()?;
                    // Another node at that address is no answer from this member.
                    (info.host_id == host_id).then_some(info)
                })
            })
            .collect();
        asking.into_iter().filter_map(|a| a.join().ok().flatten()).collect()
    });
    let mut nodes: BTreeMap<Uuid, NodeInfo> = answers.into_iter().map(|info| (info.host_id, info)).collect();
    nodes.insert(local.host_id, local.clone());
    Ok(RingAnswers { local, ring, nodes })
}
