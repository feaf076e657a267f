//! One outgoing connection to a peer (one per peer and connection class on each shard):
//! the handshake, then requests multiplexed by request id.
//!
//! A caller takes one of [`limits::MESSAGING_CONNECTION_IN_FLIGHT_MAX`] slots (waiting, within
//! its timeout, when all are taken; refused `Overloaded` when too many already wait), files
//! a oneshot under a fresh request id, and queues its frame for the writer task. The reader
//! task completes the oneshot whose id a response carries; a response nobody waits for
//! (its caller timed out) is dropped. When the socket breaks, the reader fails every
//! waiting caller with `ConnectionClosed` and the connection is marked closed: the
//! next send opens a new one. Dropping the connection cancels both tasks and closes the
//! socket.

use std::cell::{Cell, RefCell};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::AsRawFd;
use std::rc::Rc;

use ahash::AHashMap;
use futures::channel::oneshot;
use futures::io::{AsyncReadExt, AsyncWriteExt, ReadHalf};
use glommio::channels::local_channel::LocalSender;
use glommio::net::TcpStream;
use glommio::sync::{Permit, Semaphore};
use glommio::Task;

use crate::limits;

use super::config::MessagingConfig;
use super::connect::{self, ShardPort};
use super::counters::MessagingCounters;
use super::error::MessagingError;
use super::frame::{self, Frame, FrameHeader, FrameKind};
use super::frame_reader::{FrameReader, ReadError};
use super::handshake::{self, Hello, HelloReply};
use super::payload::{self, PayloadError};
use super::peer::PeerInfo;
use super::socket_control::SocketControl;
use super::verb::{ConnectionClass, Verb};
use super::write_queue;

/// The callers waiting for their response, by request id.
#[derive(Default)]
struct PendingCalls {
    by_id: RefCell<AHashMap<u64, oneshot::Sender<Frame>>>,
    closed: Cell<bool>,
}

impl PendingCalls {
    /// Marks the connection broken and fails every waiting caller.
    fn close(&self) {
        self.closed.set(true);
        // Dropping the senders wakes the callers with `Canceled`.
        let calls = std::mem::take(&mut *self.by_id.borrow_mut());
        drop(calls);
    }
}

/// Removes a call's entry however its caller leaves (answered, timed out, failed).
struct PendingEntry<'a> {
    pending: &'a PendingCalls,
    id: u64,
}

impl Drop for PendingEntry<'_> {
    fn drop(&mut self) {
        self.pending.by_id.borrow_mut().remove(&self.id);
    }
}

/// Counts a caller waiting for a slot while it waits.
struct SlotWaiter<'a>(&'a Cell<usize>);

impl Drop for SlotWaiter<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

pub(super) struct ClientConnection {
    peer: IpAddr,
    class: ConnectionClass,
    /// What the peer's handshake reply said.
    pub info: PeerInfo,
    pub serving_shard: usize,
    pending: Rc<PendingCalls>,
    out: LocalSender<Vec<u8>>,
    next_request_id: Cell<u64>,
    slots: Semaphore,
    slot_waiters: Cell<usize>,
    socket: SocketControl,
    _reader: Task<()>,
    _writer: Task<()>,
}

impl ClientConnection {
    /// Connects to `peer`'s storage port from this node's listen address and shakes hands.
    /// The caller bounds it with a timeout.
    pub async fn open(
        config: &MessagingConfig,
        peer: IpAddr,
        class: ConnectionClass,
        port: Option<ShardPort>,
        counters: Rc<MessagingCounters>,
    ) -> Result<ClientConnection, MessagingError> {
        let address = SocketAddr::new(peer, config.storage_port);
        let connect_failed = |source| MessagingError::ConnectFailed { peer: address, source };
        let stream = connect::start_connect(config.listen_address, address, port).map_err(connect_failed)?;
        let socket = SocketControl::of(stream.as_raw_fd()).map_err(connect_failed)?;
        let (reader, mut writer) = stream.split();
        let hello = hello_frame(config, class).map_err(|error| handshake_error(peer, error.to_string()))?;
        // The first write completes the non-blocking connect, or reports why it failed.
        writer.write_all(&hello).await.map_err(connect_failed)?;
        let mut frames = FrameReader::new(reader, limits::MESSAGING_HANDSHAKE_FRAME_BYTES_MAX);
        let reply = match frames.next().await {
            Ok(Some(frame)) if frame.header.kind == FrameKind::HandshakeReply => frame,
            Ok(Some(frame)) => {
                return Err(handshake_error(
                    peer,
                    format!("a {:?} frame instead of a handshake reply", frame.header.kind),
                ))
            }
            Ok(None) | Err(ReadError::Truncated) => {
                return Err(handshake_error(peer, "closed the connection during the handshake".into()))
            }
            Err(ReadError::Io(error)) => return Err(connect_failed(error)),
            Err(error) => return Err(handshake_error(peer, error.to_string())),
        };
        let (info, serving_shard) = match payload::decode::<HelloReply>(&reply.payload) {
            Ok(HelloReply::Accepted { host_id, nr_shards, serving_shard }) if nr_shards > 0 => {
                (PeerInfo { host_id, address: peer, nr_shards: nr_shards as usize }, serving_shard as usize)
            }
            Ok(HelloReply::Accepted { .. }) => return Err(handshake_error(peer, "a node with 0 shards".into())),
            Ok(HelloReply::Refused { reason }) => {
                tracing::warn!("internode connection to {peer} refused: {reason}");
                counters.connection_refused();
                return Err(MessagingError::Refused { peer, reason });
            }
            Err(error) => return Err(handshake_error(peer, format!("malformed handshake reply: {error}"))),
        };
        frames.set_max_frame_bytes(class.frame_bytes_max());
        let pending = Rc::new(PendingCalls::default());
        let (out, queued) = write_queue::new();
        let reader = glommio::spawn_local(read_responses(frames, pending.clone(), peer, class, counters));
        let writer = glommio::spawn_local({
            let pending = pending.clone();
            async move {
                if let Err(error) = write_queue::write_loop(writer, queued).await {
                    tracing::debug!("internode connection to {peer} ({class}): write failed: {error}");
                    pending.close();
                }
            }
        });
        Ok(ClientConnection {
            peer,
            class,
            info,
            serving_shard,
            pending,
            out,
            next_request_id: Cell::new(0),
            slots: Semaphore::new(limits::MESSAGING_CONNECTION_IN_FLIGHT_MAX as u64),
            slot_waiters: Cell::new(0),
            socket,
            _reader: reader,
            _writer: writer,
        })
    }

    /// Whether the socket broke (the connection is then useless).
    pub fn is_closed(&self) -> bool {
        self.pending.closed.get()
    }

    /// Fails every waiting caller and refuses new ones (shutdown).
    pub fn close(&self) {
        self.pending.close();
        self.slots.close();
        self.socket.shut_down();
    }

    /// Sends one request and waits for its response or error-response frame. The caller
    /// bounds the wait with the request's timeout.
    pub async fn call(
        &self,
        verb: Verb,
        timeout_ms: u32,
        write_payload: impl FnOnce(&mut Vec<u8>) -> Result<(), PayloadError>,
        counters: &MessagingCounters,
    ) -> Result<Frame, MessagingError> {
        self.send_request(verb, timeout_ms, write_payload, counters).await?.response().await
    }

    /// Queues one request for the writer (it will be written even if the returned
    /// [`SentRequest`] is dropped) and returns what waits for its response.
    pub async fn send_request(
        &self,
        verb: Verb,
        timeout_ms: u32,
        write_payload: impl FnOnce(&mut Vec<u8>) -> Result<(), PayloadError>,
        counters: &MessagingCounters,
    ) -> Result<SentRequest<'_>, MessagingError> {
        let closed = || MessagingError::ConnectionClosed { verb, peer: self.peer };
        if self.is_closed() {
            return Err(closed());
        }
        if self.slots.available() == 0 && self.slot_waiters.get() >= limits::MESSAGING_CONNECTION_SLOT_WAITERS_MAX {
            return Err(MessagingError::Overloaded { verb, peer: self.peer });
        }
        self.slot_waiters.set(self.slot_waiters.get() + 1);
        let waiting = SlotWaiter(&self.slot_waiters);
        let slot = self.slots.acquire_permit(1).await.map_err(|_| closed())?;
        drop(waiting);
        if self.is_closed() {
            return Err(closed());
        }
        let id = self.next_request_id.get();
        self.next_request_id.set(id.wrapping_add(1));
        let header = FrameHeader { kind: FrameKind::Request, verb: verb.number(), request_id: id, timeout_ms };
        let frame = frame::encode_with(header, self.class.frame_bytes_max(), write_payload)
            .map_err(|source| MessagingError::Encode { verb, source })?;
        let (tx, response) = oneshot::channel();
        self.pending.by_id.borrow_mut().insert(id, tx);
        let entry = PendingEntry { pending: &self.pending, id };
        self.out.send(frame).await.map_err(|_| closed())?;
        counters.request_sent(self.class);
        Ok(SentRequest { verb, peer: self.peer, response, _entry: entry, _slot: slot })
    }
}

/// A request handed to the writer, waiting for its response; holds its in-flight slot and
/// its pending entry until answered or dropped.
pub(super) struct SentRequest<'a> {
    verb: Verb,
    peer: IpAddr,
    response: oneshot::Receiver<Frame>,
    _entry: PendingEntry<'a>,
    _slot: Permit<'a>,
}

impl SentRequest<'_> {
    /// The response or error-response frame (`ConnectionClosed` if the socket broke first).
    pub async fn response(self) -> Result<Frame, MessagingError> {
        let SentRequest { verb, peer, response, _entry, _slot } = self;
        response.await.map_err(|_| MessagingError::ConnectionClosed { verb, peer })
    }
}

impl Drop for ClientConnection {
    fn drop(&mut self) {
        // The peer sees the end at once, whatever io_uring still holds (`socket_control`).
        self.socket.shut_down();
    }
}

fn hello_frame(config: &MessagingConfig, class: ConnectionClass) -> Result<Vec<u8>, frame::FrameEncodeError> {
    let hello = Hello {
        cluster_name: config.cluster_name.clone(),
        host_id: config.host_id,
        broadcast_address: config.listen_address,
        nr_shards: config.nr_shards as u32,
        wanted_shard: config.shard as u32,
        class: class as u8,
    };
    let payload = handshake::encode_hello(&hello)?;
    let header = FrameHeader { kind: FrameKind::Handshake, verb: 0, request_id: 0, timeout_ms: 0 };
    frame::encode_raw(header, &payload, limits::MESSAGING_HANDSHAKE_FRAME_BYTES_MAX)
}

fn handshake_error(peer: IpAddr, reason: String) -> MessagingError {
    tracing::warn!("internode handshake with {peer} failed: {reason}");
    MessagingError::Handshake { peer, reason }
}

/// Hands each response to its caller until the connection breaks, then fails the rest.
async fn read_responses(
    mut frames: FrameReader<ReadHalf<TcpStream>>,
    pending: Rc<PendingCalls>,
    peer: IpAddr,
    class: ConnectionClass,
    counters: Rc<MessagingCounters>,
) {
    loop {
        match frames.next().await {
            Ok(Some(frame)) => match frame.header.kind {
                FrameKind::Response | FrameKind::ErrorResponse => {
                    let caller = pending.by_id.borrow_mut().remove(&frame.header.request_id);
                    if let Some(caller) = caller {
                        let _ = caller.send(frame);
                    }
                }
                kind => {
                    tracing::warn!("internode peer {peer} sent a {kind:?} frame on a {class} connection; closing it");
                    counters.bad_frame();
                    break;
                }
            },
            Ok(None) => {
                tracing::debug!("internode peer {peer} closed the {class} connection");
                break;
            }
            Err(ReadError::Frame(error)) => {
                tracing::warn!("bad frame from internode peer {peer} on the {class} connection: {error}; closing it");
                counters.bad_frame();
                break;
            }
            Err(error) => {
                tracing::info!("internode connection to {peer} ({class}) broke: {error}");
                break;
            }
        }
    }
    pending.close();
}
