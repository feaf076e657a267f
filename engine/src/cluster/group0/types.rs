//! Group 0's openraft type configuration: node ids are host ids (`u128` of the uuid),
//! a member is known by its internode address, entries carry [`Group0Command`]s and
//! snapshots are the serialised [`Group0State`](super::state::Group0State).

use std::fmt;
use std::io::Cursor;
use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::command::{Group0Command, Group0Response};
use super::runtime::GlommioRuntime;

/// A group 0 member's raft id: its host id.
pub type MemberId = u128;

/// What raft needs to reach a member: its internode (broadcast) address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub address: IpAddr,
}

impl Default for Member {
    fn default() -> Self {
        Member { address: IpAddr::V4(Ipv4Addr::UNSPECIFIED) }
    }
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.address)
    }
}

pub fn member_id(host_id: Uuid) -> MemberId {
    host_id.as_u128()
}

pub fn host_id(member: MemberId) -> Uuid {
    Uuid::from_u128(member)
}

openraft::declare_raft_types!(
    /// Group 0's type configuration.
    pub Group0Types:
        D = Group0Command,
        R = Group0Response,
        NodeId = MemberId,
        Node = Member,
        Entry = openraft::Entry<Group0Types>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = GlommioRuntime,
);

pub type Group0Raft = openraft::Raft<Group0Types>;
pub type Group0Entry = openraft::Entry<Group0Types>;
pub type Group0LogId = openraft::LogId<MemberId>;
pub type Group0StorageError = openraft::StorageError<MemberId>;
