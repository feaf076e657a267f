//! Group 0 over internode messaging: each raft RPC and each request to the leader is one
//! typed verb, sent from shard 0 to shard 0 (the source-port rule puts shard 0's
//! connections on the peer's shard 0). A message that lands on another shard (a first
//! connection, before the peer's shard count is known) is passed to shard 0 over the mesh.

use std::net::IpAddr;
use std::rc::Rc;

use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};

use super::network::{
    AppendReply, Group0Transport, LeaderReply, LeaderRequest, Sent, SnapshotReply, TransportError, VoteReply,
};
use super::service::Group0;
use super::types::{Group0Types, MemberId};
use crate::messaging::{HandlerError, Messaging, MessagingError, Verb};
use crate::runtime::mesh::ShardRouter;

/// The shard group 0 runs on.
pub const GROUP0_SHARD: usize = 0;

pub struct MessagingTransport {
    messaging: Rc<Messaging>,
}

impl MessagingTransport {
    pub fn new(messaging: Rc<Messaging>) -> MessagingTransport {
        MessagingTransport { messaging }
    }
}

fn transport_error(to: IpAddr, e: MessagingError) -> TransportError {
    match e {
        MessagingError::Refused { reason, .. } => TransportError::Refused(to, reason),
        MessagingError::ConnectFailed { .. } | MessagingError::ShuttingDown => {
            TransportError::Unreachable(to, e.to_string())
        }
        other => TransportError::Failed(to, other.to_string()),
    }
}

impl Group0Transport for MessagingTransport {
    fn append(&self, to: IpAddr, rpc: AppendEntriesRequest<Group0Types>) -> Sent<'_, AppendReply> {
        Box::pin(
            async move { self.messaging.send(to, Verb::Group0Append, &rpc).await.map_err(|e| transport_error(to, e)) },
        )
    }

    fn vote(&self, to: IpAddr, rpc: VoteRequest<MemberId>) -> Sent<'_, VoteReply> {
        Box::pin(
            async move { self.messaging.send(to, Verb::Group0Vote, &rpc).await.map_err(|e| transport_error(to, e)) },
        )
    }

    fn snapshot(&self, to: IpAddr, rpc: InstallSnapshotRequest<Group0Types>) -> Sent<'_, SnapshotReply> {
        Box::pin(async move {
            self.messaging.send(to, Verb::Group0Snapshot, &rpc).await.map_err(|e| transport_error(to, e))
        })
    }

    fn leader(&self, to: IpAddr, request: LeaderRequest) -> Sent<'_, LeaderReply> {
        Box::pin(async move {
            // A join waits for the new node to catch up with the log: its verb allows longer.
            let verb = match request {
                LeaderRequest::Join { .. } => Verb::JoinRequest,
                LeaderRequest::Propose(_) | LeaderRequest::CommittedIndex => Verb::Group0Forward,
            };
            self.messaging.send(to, verb, &request).await.map_err(|e| transport_error(to, e))
        })
    }
}

/// Runs `work` with group 0 on its shard.
async fn on_group0<R, F, Fut>(router: &ShardRouter, work: F) -> Result<R, HandlerError>
where
    R: Send + 'static,
    F: FnOnce(Rc<Group0>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = R> + 'static,
{
    router.call(GROUP0_SHARD, work).await.map_err(|e| HandlerError::new(format!("group 0 shard: {e}")))
}

/// Makes this shard answer group 0's verbs (passing them to shard 0's [`Group0`]).
pub fn register_group0_handlers(router: &Rc<ShardRouter>, messaging: &Messaging) {
    let s = router.clone();
    messaging.register(Verb::Group0Append, move |_, rpc: AppendEntriesRequest<Group0Types>| {
        let s = s.clone();
        async move { on_group0(&s, move |g: Rc<Group0>| async move { g.handle_append(rpc).await }).await }
    });
    let s = router.clone();
    messaging.register(Verb::Group0Vote, move |_, rpc: VoteRequest<MemberId>| {
        let s = s.clone();
        async move { on_group0(&s, move |g: Rc<Group0>| async move { g.handle_vote(rpc).await }).await }
    });
    let s = router.clone();
    messaging.register(Verb::Group0Snapshot, move |_, rpc: InstallSnapshotRequest<Group0Types>| {
        let s = s.clone();
        async move { on_group0(&s, move |g: Rc<Group0>| async move { g.handle_snapshot(rpc).await }).await }
    });
    for verb in [Verb::Group0Forward, Verb::JoinRequest] {
        let s = router.clone();
        messaging.register(verb, move |_, request: LeaderRequest| {
            let s = s.clone();
            async move { on_group0(&s, move |g: Rc<Group0>| async move { g.serve_as_leader(request).await }).await }
        });
    }
}
