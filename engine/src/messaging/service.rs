//! [`Messaging`]: one shard's internode RPC endpoint (ScyllaDB's `messaging_service`).
//!
//! Sending: `send(peer, verb, &request)` takes the shard's connection of the verb's class to
//! the peer — opening it on first use, and again after it broke — and waits, within the
//! verb's timeout, for the typed response. Connections open lazily, one per (peer, class),
//! one connect at a time per (peer, class); the first to a peer learns its shard count,
//! and if that connection landed on another shard than this one's number it is reopened
//! from a shard-matching source port, so shard N talks to shard N from then on.
//!
//! Receiving: `register(verb, handler)` on every shard, `start_listening(mesh)` on every
//! shard; requests run on the shard that serves their connection.
//!
//! Fault injection (tests only, [`super::fault`]): `set_fault_rules` makes this shard's
//! sends drop, delay or duplicate requests; with no rules a send checks one `is_empty`.
//!
//! Every listening and connection task holds the `Messaging` (or a weak reference):
//! `shutdown()` stops them and fails whoever still waits.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use ahash::AHashMap;
use glommio::sync::Semaphore;
use glommio::Task;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::limits;

use super::client_connection::ClientConnection;
use super::config::MessagingConfig;
use super::connect::ShardPort;
use super::counters::{MessagingCounters, MessagingStats};
use super::error::{HandlerError, MessagingError, RemoteError};
use super::fault::{FaultAction, FaultDecision, FaultRules};
use super::frame::{Frame, FrameEncodeError, FrameKind};
use super::handlers::HandlerRegistry;
use super::listener::{self, MessagingHandoffMesh};
use super::payload;
use super::peer::{PeerDirectory, PeerInfo};
use super::socket_control::SocketControl;
use super::timeout::within;
use super::verb::{ConnectionClass, Verb};

type ConnectionKey = (IpAddr, ConnectionClass);

/// An incoming connection's task, with a handle to shut its socket down.
struct IncomingConnection {
    task: Task<()>,
    socket: Option<SocketControl>,
}

/// One shard's internode messaging.
pub struct Messaging {
    config: MessagingConfig,
    pub(super) handlers: HandlerRegistry,
    pub(super) peers: PeerDirectory,
    pub(super) counters: Rc<MessagingCounters>,
    outgoing: RefCell<AHashMap<ConnectionKey, Rc<ClientConnection>>>,
    /// One connect at a time per (peer, class); concurrent senders wait for it.
    connecting: RefCell<AHashMap<ConnectionKey, Rc<Semaphore>>>,
    listeners: RefCell<Vec<Task<()>>>,
    listening_sockets: RefCell<Vec<SocketControl>>,
    incoming: RefCell<AHashMap<u64, IncomingConnection>>,
    next_incoming_id: Cell<u64>,
    shut_down: Cell<bool>,
    /// Fault injection (tests only): empty unless enabled.
    faults: RefCell<FaultRules>,
}

impl Messaging {
    pub fn new(config: MessagingConfig) -> Rc<Messaging> {
        assert!(config.shard < config.nr_shards, "shard {} of {}", config.shard, config.nr_shards);
        Rc::new(Messaging {
            config,
            handlers: HandlerRegistry::default(),
            peers: PeerDirectory::default(),
            counters: Rc::default(),
            outgoing: RefCell::default(),
            connecting: RefCell::default(),
            listeners: RefCell::default(),
            listening_sockets: RefCell::default(),
            incoming: RefCell::default(),
            next_incoming_id: Cell::new(0),
            shut_down: Cell::new(false),
            faults: RefCell::default(),
        })
    }

    pub fn config(&self) -> &MessagingConfig {
        &self.config
    }

    /// Listens on `listen_address:storage_port` (SO_REUSEPORT: every shard does) and serves
    /// the connections placed on this shard. Every shard must call it with a clone of the
    /// same mesh ([`super::handoff_mesh`]); it returns once all have joined.
    pub async fn start_listening(self: &Rc<Self>, mesh: MessagingHandoffMesh) -> std::io::Result<()> {
        let listening = listener::start(self, mesh).await?;
        self.listeners.borrow_mut().extend(listening.tasks);
        self.listening_sockets.borrow_mut().push(listening.socket);
        Ok(())
    }

    /// Makes `handler` answer requests of `verb` on this shard (replacing an earlier one).
    /// Its error comes back to the sender as [`MessagingError::Remote`].
    pub fn register<Req, Resp, F, Fut>(&self, verb: Verb, handler: F)
    where
        Req: DeserializeOwned + 'static,
        Resp: Serialize + 'static,
        F: Fn(PeerInfo, Req) -> Fut + 'static,
        Fut: Future<Output = Result<Resp, HandlerError>> + 'static,
    {
        self.handlers.register(verb, handler);
    }

    /// Sends `request` to `peer` and waits for the response, within the verb's default timeout.
    pub async fn send<Req, Resp>(&self, peer: IpAddr, verb: Verb, request: &Req) -> Result<Resp, MessagingError>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        self.send_with_timeout(peer, verb, request, verb.default_timeout()).await
    }

    /// Sends `request` to `peer` and waits for the response at most `timeout` (connecting
    /// included).
    pub async fn send_with_timeout<Req, Resp>(
        &self,
        peer: IpAddr,
        verb: Verb,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp, MessagingError>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        let class = verb.class();
        let answer = if self.faults.borrow().is_empty() {
            within(timeout, self.call(peer, verb, request, timeout)).await
        } else {
            within(timeout, self.call_with_faults(peer, verb, request, timeout)).await
        };
        let result = match answer {
            Some(result) => result,
            None => Err(MessagingError::Timeout { verb, peer, timeout_ms: timeout.as_millis() as u64 }),
        };
        match &result {
            Ok(_) => self.counters.response_received(class),
            Err(MessagingError::Timeout { .. }) => self.counters.timeout(class),
            Err(_) => self.counters.send_error(class),
        }
        result
    }

    async fn call<Req, Resp>(
        &self,
        peer: IpAddr,
        verb: Verb,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp, MessagingError>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        let connection = self.connection(peer, verb).await?;
        let frame = connection
            .call(verb, wire_timeout_ms(timeout), |out| payload::encode_into(request, out), &self.counters)
            .await?;
        decode_response(frame, verb, peer)
    }

    /// [`Self::call`] as this shard's fault rules decide: dropped (never returns: the
    /// caller's timeout ends it), delayed, duplicated or untouched.
    async fn call_with_faults<Req, Resp>(
        &self,
        peer: IpAddr,
        verb: Verb,
        request: &Req,
        timeout: Duration,
    ) -> Result<Resp, MessagingError>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        let decision = self.faults.borrow_mut().decide(verb, peer);
        match decision {
            FaultDecision::Pass => self.call(peer, verb, request, timeout).await,
            FaultDecision::Drop => {
                self.counters.fault_applied(FaultAction::Drop);
                std::future::pending().await
            }
            FaultDecision::Delay(delay) => {
                self.counters.fault_applied(FaultAction::Delay { ms: delay.as_millis() as u64 });
                glommio::timer::sleep(delay).await;
                // The peer is told what is left of the sender's wait.
                self.call(peer, verb, request, timeout.saturating_sub(delay)).await
            }
            FaultDecision::Duplicate => {
                self.counters.fault_applied(FaultAction::Duplicate);
                let frame = self.call_twice(peer, verb, request, timeout).await?;
                decode_response(frame, verb, peer)
            }
        }
    }

    /// Writes the request twice (both copies are queued before either response is awaited,
    /// so the peer's handler runs twice) and returns the first response.
    async fn call_twice<Req>(
        &self,
        peer: IpAddr,
        verb: Verb,
        request: &Req,
        timeout: Duration,
    ) -> Result<Frame, MessagingError>
    where
        Req: Serialize + ?Sized,
    {
        let mut encoded = Vec::new();
        payload::encode_into(request, &mut encoded)
            .map_err(|error| MessagingError::Encode { verb, source: FrameEncodeError::from(error) })?;
        let copy = |out: &mut Vec<u8>| {
            out.extend_from_slice(&encoded);
            Ok(())
        };
        let connection = self.connection(peer, verb).await?;
        let timeout_ms = wire_timeout_ms(timeout);
        let first = connection.send_request(verb, timeout_ms, copy, &self.counters).await?;
        let second = connection.send_request(verb, timeout_ms, copy, &self.counters).await;
        let response = match second {
            Ok(second) => futures_lite::future::or(first.response(), second.response()).await,
            Err(error) => {
                tracing::debug!(
                    "shard {}: the duplicate of a {verb} to {peer} was not sent: {error}",
                    self.config.shard
                );
                first.response().await
            }
        };
        response
    }

    /// Installs fault-injection rules on this shard (replacing any; empty rules turn
    /// injection off). Tests only: see [`super::fault`].
    pub fn set_fault_rules(&self, rules: FaultRules) {
        if rules.is_empty() {
            tracing::info!("shard {}: messaging fault injection off", self.config.shard);
        } else {
            tracing::warn!(
                "shard {}: messaging fault injection ON: {} rule(s)",
                self.config.shard,
                rules.rules().len()
            );
        }
        *self.faults.borrow_mut() = rules;
    }

    /// This shard's fault-injection rules (empty when off).
    pub fn fault_rules(&self) -> FaultRules {
        self.faults.borrow().clone()
    }

    /// What `peer`'s last handshake (either way) said about it.
    pub fn peer_info(&self, peer: IpAddr) -> Option<PeerInfo> {
        self.peers.get(peer)
    }

    /// A snapshot of this shard's counters.
    pub fn stats(&self) -> MessagingStats {
        self.counters.snapshot()
    }

    /// Stops listening, closes every connection and fails every waiting send; later sends
    /// fail with [`MessagingError::ShuttingDown`].
    pub fn shutdown(&self) {
        self.shut_down.set(true);
        // Sockets first: dropping a task closes its fd, but an in-flight io_uring operation
        // can keep the socket alive (see `socket_control`).
        for socket in std::mem::take(&mut *self.listening_sockets.borrow_mut()) {
            socket.shut_down();
        }
        drop(std::mem::take(&mut *self.listeners.borrow_mut()));
        for (_, incoming) in std::mem::take(&mut *self.incoming.borrow_mut()) {
            if let Some(socket) = &incoming.socket {
                socket.shut_down();
            }
            drop(incoming.task);
        }
        for (_, connection) in std::mem::take(&mut *self.outgoing.borrow_mut()) {
            connection.close();
        }
        for (_, lock) in std::mem::take(&mut *self.connecting.borrow_mut()) {
            lock.close();
        }
    }

    /// The open connection of `class` to `peer`, opened now if there is none.
    async fn connection(&self, peer: IpAddr, verb: Verb) -> Result<Rc<ClientConnection>, MessagingError> {
        let class = verb.class();
        let key = (peer, class);
        if let Some(connection) = self.live_connection(key) {
            return Ok(connection);
        }
        let lock = self.connect_lock(key, verb)?;
        let _turn = lock.acquire_permit(1).await.map_err(|_| MessagingError::ShuttingDown)?;
        if let Some(connection) = self.live_connection(key) {
            return Ok(connection); // opened while we waited
        }
        if self.shut_down.get() {
            return Err(MessagingError::ShuttingDown);
        }
        let connection = Rc::new(self.open(peer, class).await?);
        if self.shut_down.get() {
            connection.close();
            return Err(MessagingError::ShuttingDown);
        }
        self.outgoing.borrow_mut().insert(key, connection.clone());
        Ok(connection)
    }

    fn live_connection(&self, key: ConnectionKey) -> Option<Rc<ClientConnection>> {
        let mut outgoing = self.outgoing.borrow_mut();
        match outgoing.get(&key) {
            Some(connection) if !connection.is_closed() => Some(connection.clone()),
            Some(_) => {
                outgoing.remove(&key);
                None
            }
            None => None,
        }
    }

    fn connect_lock(&self, key: ConnectionKey, verb: Verb) -> Result<Rc<Semaphore>, MessagingError> {
        if self.shut_down.get() {
            return Err(MessagingError::ShuttingDown);
        }
        let mut locks = self.connecting.borrow_mut();
        if let Some(lock) = locks.get(&key) {
            return Ok(lock.clone());
        }
        if locks.len() >= limits::MESSAGING_OUTGOING_CONNECTIONS_MAX {
            tracing::warn!("shard {}: {} outgoing internode connections already", self.config.shard, locks.len());
            return Err(MessagingError::Overloaded { verb, peer: key.0 });
        }
        let lock = Rc::new(Semaphore::new(1));
        locks.insert(key, lock.clone());
        Ok(lock)
    }

    /// Connects and shakes hands; on first contact, reconnects from a shard-matching port.
    async fn open(&self, peer: IpAddr, class: ConnectionClass) -> Result<ClientConnection, MessagingError> {
        let known = self.peers.get(peer).map(|info| self.shard_port(info.nr_shards));
        let connection = self.open_once(peer, class, known).await?;
        self.peers.learn(connection.info);
        let wanted = self.shard_port(connection.info.nr_shards);
        if known.is_some() || connection.serving_shard == wanted.shard {
            return Ok(connection);
        }
        match self.open_once(peer, class, Some(wanted)).await {
            Ok(matching) => Ok(matching),
            Err(error) => {
                tracing::info!(
                    "shard {}: keeping the {class} connection to {peer} on its shard {}: {error}",
                    self.config.shard,
                    connection.serving_shard
                );
                Ok(connection)
            }
        }
    }

    async fn open_once(
        &self,
        peer: IpAddr,
        class: ConnectionClass,
        port: Option<ShardPort>,
    ) -> Result<ClientConnection, MessagingError> {
        let timeout = Duration::from_millis(limits::MESSAGING_CONNECT_TIMEOUT_MS);
        let open = ClientConnection::open(&self.config, peer, class, port, self.counters.clone());
        let connection = within(timeout, open).await.unwrap_or_else(|| {
            Err(MessagingError::ConnectFailed {
                peer: SocketAddr::new(peer, self.config.storage_port),
                source: std::io::Error::new(std::io::ErrorKind::TimedOut, format!("no handshake within {timeout:?}")),
            })
        })?;
        self.counters.connection_opened();
        tracing::debug!(
            "shard {}: {class} connection to {peer} open, served by its shard {}",
            self.config.shard,
            connection.serving_shard
        );
        Ok(connection)
    }

    fn shard_port(&self, peer_shards: usize) -> ShardPort {
        ShardPort { peer_shards, shard: self.config.shard % peer_shards }
    }

    pub(super) fn incoming_connections(&self) -> usize {
        self.incoming.borrow().len()
    }

    /// Runs an incoming connection's task, kept so `shutdown` can stop it.
    pub(super) fn track_incoming<F, Fut>(self: &Rc<Self>, socket: Option<SocketControl>, serve: F)
    where
        F: FnOnce(Rc<Messaging>) -> Fut,
        Fut: Future<Output = ()> + 'static,
    {
        let id = self.next_incoming_id.get();
        self.next_incoming_id.set(id + 1);
        let served = serve(self.clone());
        let messaging = Rc::downgrade(self);
        let task = glommio::spawn_local(async move {
            served.await;
            if let Some(messaging) = messaging.upgrade() {
                // Detached, not dropped: dropping a task's handle from inside it cancels it.
                let entry = messaging.incoming.borrow_mut().remove(&id);
                if let Some(incoming) = entry {
                    incoming.task.detach();
                }
            }
        });
        self.incoming.borrow_mut().insert(id, IncomingConnection { task, socket });
    }
}

/// A request's timeout as its frame carries it (at least 1 ms).
fn wire_timeout_ms(timeout: Duration) -> u32 {
    timeout.as_millis().clamp(1, u32::MAX as u128) as u32
}

/// The typed response of a response frame, or the error an error response carries.
fn decode_response<Resp: DeserializeOwned>(frame: Frame, verb: Verb, peer: IpAddr) -> Result<Resp, MessagingError> {
    match frame.header.kind {
        FrameKind::Response => {
            payload::decode(&frame.payload).map_err(|source| MessagingError::Decode { verb, peer, source })
        }
        _ => match payload::decode::<RemoteError>(&frame.payload) {
            Ok(error) => Err(MessagingError::Remote { verb, peer, kind: error.kind, message: error.message }),
            Err(source) => Err(MessagingError::Decode { verb, peer, source }),
        },
    }
}
