//! Typed cross-shard calls over glommio's bounded lock-free channel meshes: a request mesh
//! and a reply mesh (full meshes, one single-producer single-consumer queue per ordered
//! pair of shards).
//!
//! A call names a per-shard *service* type (each shard registers one instance of each
//! service on its router at start-up, as Seastar's `sharded<T>`) and a closure to run with
//! the target shard's instance: `router.call(owner, |replica: Rc<Replica>| async move { … })`
//! returns the closure's own result type. The closure and what it captures travel to the
//! owner as owned `Send` data; the future it returns runs on the owner's executor (it need
//! not be `Send`); its result comes back on the reply mesh to the caller, which parks on a
//! local oneshot until then. No request/reply enums, no "unexpected reply" arms.

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use ahash::AHashMap;
use futures::channel::oneshot;
use glommio::channels::channel_mesh::{Full, MeshBuilder, Receivers, Senders};
use glommio::channels::shared_channel::ConnectedReceiver;

use crate::runtime::metrics::ShardMetrics;

use super::node_state::NodeState;

/// A call's result, type-erased while it crosses the reply mesh.
type Reply = Box<dyn Any + Send>;
type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;
/// The work a call sends: run on the target with its services, producing the reply.
type Job = Box<dyn FnOnce(&Services) -> LocalFuture<Reply> + Send>;

pub struct RequestEnvelope {
    from: usize,
    id: u64,
    job: Job,
}

pub struct ReplyEnvelope {
    id: u64,
    reply: Reply,
}

pub type RequestMesh = MeshBuilder<RequestEnvelope, Full>;
pub type ReplyMesh = MeshBuilder<ReplyEnvelope, Full>;

/// Why a cross-shard call did not return the callee's result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardCallError {
    #[error("shard {0} is not reachable (shutting down?)")]
    Unreachable(usize),
    #[error("shard {0} dropped the request")]
    Dropped(usize),
    #[error("shard {shard} has no {service} service")]
    NoService { shard: usize, service: &'static str },
}

/// One instance per service type on this shard (`Rc`: never leaves the shard's thread).
#[derive(Default)]
pub struct Services {
    by_type: RefCell<AHashMap<TypeId, Rc<dyn Any>>>,
}

impl Services {
    fn get<S: 'static>(&self) -> Option<Rc<S>> {
        let service = self.by_type.borrow().get(&TypeId::of::<S>())?.clone();
        service.downcast::<S>().ok()
    }
}

/// This shard's ends of the two meshes, its services, and the calls it is waiting on.
pub struct ShardRouter {
    shard_id: usize,
    requests: Senders<RequestEnvelope>,
    replies: Senders<ReplyEnvelope>,
    pending: RefCell<AHashMap<u64, oneshot::Sender<Reply>>>,
    next_id: Cell<u64>,
    services: Services,
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
            services: Services::default(),
        };
        Ok((router, request_rx, reply_rx))
    }

    pub fn shard_id(&self) -> usize {
        self.shard_id
    }

    /// Makes `service` the instance calls of type `S` run with on this shard.
    pub fn register<S: 'static>(&self, service: Rc<S>) {
        self.services.by_type.borrow_mut().insert(TypeId::of::<S>(), service);
    }

    /// This shard's instance of service `S`, if one is registered.
    pub fn local<S: 'static>(&self) -> Option<Rc<S>> {
        self.services.get::<S>()
    }

    /// Runs `work` with shard `target`'s instance of service `S` and returns its result.
    /// A call to this shard runs in place.
    pub async fn call<S, R, F, Fut>(&self, target: usize, work: F) -> Result<R, ShardCallError>
    where
        S: 'static,
        R: Send + 'static,
        F: FnOnce(Rc<S>) -> Fut + Send + 'static,
        Fut: Future<Output = R> + 'static,
    {
        if target == self.shard_id {
            let service = self.services.get::<S>().ok_or_else(|| no_service::<S>(target))?;
            return Ok(work(service).await);
        }
        let job: Job = Box::new(move |services: &Services| {
            let service = services.get::<S>();
            Box::pin(async move {
                let result: Result<R, ShardCallError> = match service {
                    Some(service) => Ok(work(service).await),
                    None => Err(no_service::<S>(target)),
                };
                Box::new(result) as Reply
            })
        });
        let id = self.next_id.get();
        self.next_id.set(id.wrapping_add(1));
        let (tx, rx) = oneshot::channel();
        self.pending.borrow_mut().insert(id, tx);
        if self.requests.send_to(target, RequestEnvelope { from: self.shard_id, id, job }).await.is_err() {
            self.pending.borrow_mut().remove(&id);
            return Err(ShardCallError::Unreachable(target));
        }
        let reply = rx.await.map_err(|_| ShardCallError::Dropped(target))?;
        // The id was ours alone: the reply is the `Result<R, _>` our own job produced.
        match reply.downcast::<Result<R, ShardCallError>>() {
            Ok(result) => *result,
            Err(_) => unreachable!("a call's reply has the type its job produces"),
        }
    }

    /// Runs `work` on every shard (this one included) and collects the results in shard order.
    pub async fn call_all<S, R, F, Fut>(&self, nr_shards: usize, work: F) -> Result<Vec<R>, ShardCallError>
    where
        S: 'static,
        R: Send + 'static,
        F: FnOnce(Rc<S>) -> Fut + Send + Clone + 'static,
        Fut: Future<Output = R> + 'static,
    {
        futures::future::try_join_all((0..nr_shards).map(|s| self.call(s, work.clone()))).await
    }

    /// Sends the reply to a request received from shard `to`.
    async fn reply(&self, to: usize, id: u64, reply: Reply) {
        // A closed mesh only happens at shutdown, when nobody waits for the reply anymore.
        let _ = self.replies.send_to(to, ReplyEnvelope { id, reply }).await;
    }

    /// Completes the local call waiting on `envelope.id`.
    fn complete(&self, envelope: ReplyEnvelope) {
        if let Some(tx) = self.pending.borrow_mut().remove(&envelope.id) {
            let _ = tx.send(envelope.reply);
        }
    }
}

fn no_service<S>(shard: usize) -> ShardCallError {
    ShardCallError::NoService { shard, service: std::any::type_name::<S>() }
}

fn to_io<T>(e: glommio::GlommioError<T>) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Spawns, on the current shard, the tasks that run requests from the other shards and
/// feed replies to this shard's waiting calls.
pub fn spawn_pumps(
    router: Rc<ShardRouter>,
    node: Arc<NodeState>,
    mut requests: Receivers<RequestEnvelope>,
    mut replies: Receivers<ReplyEnvelope>,
) {
    for (_, receiver) in requests.streams() {
        glommio::spawn_local(pump_requests(router.clone(), node.clone(), receiver)).detach();
    }
    for (_, receiver) in replies.streams() {
        glommio::spawn_local(pump_replies(router.clone(), receiver)).detach();
    }
}

async fn pump_requests(router: Rc<ShardRouter>, node: Arc<NodeState>, receiver: ConnectedReceiver<RequestEnvelope>) {
    while let Some(envelope) = receiver.recv().await {
        ShardMetrics::inc(&node.metrics[router.shard_id].mesh_requests_received);
        let router = router.clone();
        glommio::spawn_local(async move {
            let reply = (envelope.job)(&router.services).await;
            router.reply(envelope.from, envelope.id, reply).await;
        })
        .detach();
    }
}

async fn pump_replies(router: Rc<ShardRouter>, receiver: ConnectedReceiver<ReplyEnvelope>) {
    while let Some(envelope) = receiver.recv().await {
        router.complete(envelope);
    }
}
