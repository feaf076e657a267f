//! Cross-shard calls over glommio's bounded lock-free channel meshes: a request mesh and a
//! reply mesh (full meshes, one single-producer single-consumer queue per ordered pair of
//! shards). A call sends `(id, request)` to the owner and parks on a local oneshot until
//! the owner's reply with that id arrives on the reply mesh.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ahash::AHashMap;
use futures::channel::oneshot;
use glommio::channels::channel_mesh::{Full, MeshBuilder, Receivers, Senders};
use glommio::channels::shared_channel::ConnectedReceiver;

use crate::cql::error::CqlError;
use crate::cql::shard_ops::{ShardReply, ShardRequest};

pub struct RequestEnvelope {
    pub from: usize,
    pub id: u64,
    pub request: ShardRequest,
}

pub struct ReplyEnvelope {
    pub id: u64,
    pub reply: Result<ShardReply, CqlError>,
}

pub type RequestMesh = MeshBuilder<RequestEnvelope, Full>;
pub type ReplyMesh = MeshBuilder<ReplyEnvelope, Full>;

/// This shard's ends of the two meshes, and the calls it is waiting on.
pub struct ShardRouter {
    shard_id: usize,
    requests: Senders<RequestEnvelope>,
    replies: Senders<ReplyEnvelope>,
    pending: RefCell<AHashMap<u64, oneshot::Sender<Result<ShardReply, CqlError>>>>,
    next_id: Cell<u64>,
}

impl ShardRouter {
    /// Joins both meshes (every shard must join before any returns).
    pub async fn join(
        request_mesh: RequestMesh,
        reply_mesh: ReplyMesh,
    ) -> std::io::Result<(ShardRouter, Receivers<RequestEnvelope>, Receivers<ReplyEnvelope>)> {
        let (requests, request_rx) = request_mesh.join().await.map_err(to_io)?;
        let (replies, reply_rx) = reply_mesh.join().await.map_err(to_io)?;
        let router = ShardRouter {
            shard_id: requests.peer_id(),
            requests,
            replies,
            pending: RefCell::new(AHashMap::new()),
            next_id: Cell::new(0),
        };
        Ok((router, request_rx, reply_rx))
    }

    pub fn shard_id(&self) -> usize {
        self.shard_id
    }

    /// Runs `request` on shard `target` and waits for its reply.
    pub async fn call(&self, target: usize, request: ShardRequest) -> Result<ShardReply, CqlError> {
        debug_assert_ne!(target, self.shard_id, "local work is not sent through the mesh");
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        let (tx, rx) = oneshot::channel();
        self.pending.borrow_mut().insert(id, tx);
        let envelope = RequestEnvelope { from: self.shard_id, id, request };
        if self.requests.send_to(target, envelope).await.is_err() {
            self.pending.borrow_mut().remove(&id);
            return Err(CqlError::server(format!("shard {target} is not reachable (shutting down?)")));
        }
        rx.await.unwrap_or_else(|_| Err(CqlError::server(format!("shard {target} dropped the request"))))
    }

    /// Sends the reply to a request received from shard `to`.
    pub async fn reply(&self, to: usize, id: u64, reply: Result<ShardReply, CqlError>) {
        // A closed mesh only happens at shutdown, when nobody waits for the reply anymore.
        let _ = self.replies.send_to(to, ReplyEnvelope { id, reply }).await;
    }

    /// Completes the local call waiting on `envelope.id`.
    pub fn complete(&self, envelope: ReplyEnvelope) {
        if let Some(tx) = self.pending.borrow_mut().remove(&envelope.id) {
            let _ = tx.send(envelope.reply);
        }
    }
}

fn to_io<T>(e: glommio::GlommioError<T>) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Spawns, on the current shard, one task per peer that feeds replies to waiting calls.
pub fn spawn_reply_pumps(router: Rc<ShardRouter>, mut receivers: Receivers<ReplyEnvelope>) {
    for (_, receiver) in receivers.streams() {
        let router = router.clone();
        glommio::spawn_local(pump_replies(router, receiver)).detach();
    }
}

async fn pump_replies(router: Rc<ShardRouter>, receiver: ConnectedReceiver<ReplyEnvelope>) {
    while let Some(envelope) = receiver.recv().await {
        router.complete(envelope);
    }
}
