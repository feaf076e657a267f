//! Raft's messages between group 0 members, carried by a [`Group0Transport`] (internode
//! messaging, from shard 0 to shard 0): the three raft RPCs, each its own typed call, and requests a member sends
//! to the leader (a proposal, a join) because only the leader may append to the log.

use std::net::IpAddr;
use std::rc::Rc;

use futures::future::LocalBoxFuture;
use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::RPCOption;
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest,
    VoteResponse,
};
use openraft::{RaftNetwork, RaftNetworkFactory};
use serde::{Deserialize, Serialize};

use super::command::{Group0Command, Group0Response};
use super::state::NodeRecord;
use super::types::{Group0Types, Member, MemberId};

/// A raft RPC's answer from the member that handled it.
pub type AppendReply = Result<AppendEntriesResponse<MemberId>, RaftError<MemberId>>;
pub type VoteReply = Result<VoteResponse<MemberId>, RaftError<MemberId>>;
pub type SnapshotReply = Result<InstallSnapshotResponse<MemberId>, RaftError<MemberId, InstallSnapshotError>>;

/// What a member asks of the leader.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum LeaderRequest {
    Propose(Group0Command),
    /// A new node asks to become a member and own tokens (`num_tokens` of them, chosen by
    /// the leader so they clash with no one's).
    Join {
        record: NodeRecord,
        num_tokens: u32,
    },
    /// The index every committed entry is at or below (a read barrier: a member that has
    /// applied up to it has seen every change committed before the request).
    CommittedIndex,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum LeaderReply {
    /// Applied on the leader at this log index (wait for it locally before answering).
    Done {
        log_index: u64,
        response: Group0Response,
    },
    /// Ask again, of this leader if one is known.
    NotLeader {
        leader: Option<IpAddr>,
    },
    /// The leader could not confirm a quorum in time: nothing was done.
    NoQuorum,
    Failed {
        reason: String,
    },
}

/// Why a message to another member got no answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportError {
    #[error("member {0} is unreachable: {1}")]
    Unreachable(IpAddr, String),
    #[error("member {0} did not answer: {1}")]
    Failed(IpAddr, String),
    /// It will not talk to this node at all (another cluster, an incompatible version).
    #[error("{0} refuses this node: {1}")]
    Refused(IpAddr, String),
}

pub type Sent<'a, T> = LocalBoxFuture<'a, Result<T, TransportError>>;

/// How group 0 reaches other members (implemented over internode messaging): one typed
/// call per raft RPC, and the requests only the leader can serve.
pub trait Group0Transport {
    fn append(&self, to: IpAddr, rpc: AppendEntriesRequest<Group0Types>) -> Sent<'_, AppendReply>;
    fn vote(&self, to: IpAddr, rpc: VoteRequest<MemberId>) -> Sent<'_, VoteReply>;
    fn snapshot(&self, to: IpAddr, rpc: InstallSnapshotRequest<Group0Types>) -> Sent<'_, SnapshotReply>;
    fn leader(&self, to: IpAddr, request: LeaderRequest) -> Sent<'_, LeaderReply>;
}

/// openraft's network factory: one client per target member.
pub struct NetworkFactory {
    pub transport: Rc<dyn Group0Transport>,
}

pub struct MemberClient {
    transport: Rc<dyn Group0Transport>,
    target: MemberId,
    address: IpAddr,
}

impl RaftNetworkFactory<Group0Types> for NetworkFactory {
    type Network = MemberClient;

    async fn new_client(&mut self, target: MemberId, node: &Member) -> MemberClient {
        MemberClient { transport: self.transport.clone(), target, address: node.address }
    }
}

type RpcResult<T, E = openraft::error::Infallible> = Result<T, RPCError<MemberId, Member, RaftError<MemberId, E>>>;

impl MemberClient {
    fn transport_error<E: std::error::Error>(e: TransportError) -> RPCError<MemberId, Member, RaftError<MemberId, E>> {
        match e {
            TransportError::Unreachable(..) => RPCError::Unreachable(Unreachable::new(&e)),
            TransportError::Failed(..) | TransportError::Refused(..) => RPCError::Network(NetworkError::new(&e)),
        }
    }

    #[allow(clippy::result_large_err)] // openraft's own error type, as its trait returns it
    fn remote<T, E: std::error::Error>(&self, r: Result<T, RaftError<MemberId, E>>) -> RpcResult<T, E> {
        r.map_err(|e| {
            RPCError::RemoteError(RemoteError::new_with_node(self.target, Member { address: self.address }, e))
        })
    }
}

impl RaftNetwork<Group0Types> for MemberClient {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<Group0Types>,
        _option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<MemberId>> {
        let reply = self.transport.append(self.address, rpc).await.map_err(Self::transport_error)?;
        self.remote(reply)
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<Group0Types>,
        _option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<MemberId>, InstallSnapshotError> {
        let reply = self.transport.snapshot(self.address, rpc).await.map_err(Self::transport_error)?;
        self.remote(reply)
    }

    async fn vote(&mut self, rpc: VoteRequest<MemberId>, _option: RPCOption) -> RpcResult<VoteResponse<MemberId>> {
        let reply = self.transport.vote(self.address, rpc).await.map_err(Self::transport_error)?;
        self.remote(reply)
    }
}
