//! One client connection: a read loop that cuts frames out of the socket buffer and
//! dispatches them, and a write loop that batches encoded responses into few syscalls.
//! Requests run concurrently (bounded per connection and per shard) and answer on their
//! own stream id, so a slow request never holds up the ones behind it.
//!
//! Bad input never panics and never allocates a declared size: a frame longer than the
//! limit gets a protocol error and the connection is closed (it cannot be resynchronised
//! without reading gigabytes); a malformed body gets a protocol error on its stream and
//! the connection carries on.

use std::cell::Cell;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;

use bytes::BytesMut;
use futures::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use futures::FutureExt;
use glommio::channels::local_channel::{self, LocalReceiver, LocalSender};
use glommio::net::TcpStream;
use percore_protocol::frame::{self, FrameHeader, Opcode, MAX_SUPPORTED_VERSION, MIN_SUPPORTED_VERSION};
use percore_protocol::request::{decode_request, Request};
use percore_protocol::response;

use crate::cql::error::CqlError;
use crate::cql::processor;
use crate::cql::session::Session;
use crate::cql::shard::Shard;
use crate::limits;
use crate::runtime::metrics::ShardMetrics;

use super::events::EventSubscribers;

use super::frame_writer::FrameWriter;
use super::handshake;
use super::listener::PortKind;

/// Bytes gathered into one socket write at most.
const WRITE_BATCH_BYTES_MAX: usize = 256 * 1024;

/// What all tasks of one connection share.
pub struct ConnectionState {
    pub id: u64,
    pub writer: Cell<FrameWriter>,
    pub session: Session,
    out: LocalSender<Vec<u8>>,
    ready: Cell<bool>,
    version_fixed: Cell<bool>,
    in_flight: Cell<usize>,
}

impl ConnectionState {
    /// Queues a frame for the writer; waits while the queue is full.
    pub async fn send(&self, frame: Vec<u8>) {
        // Fails only when the writer is gone (the socket broke): the response is moot.
        let _ = self.out.send(frame).await;
    }

    /// Queues a frame without waiting (events): dropped if the client is not reading.
    pub fn try_send(&self, frame: Vec<u8>) -> bool {
        self.out.try_send(frame).is_ok()
    }
}

thread_local! {
    static NEXT_CONNECTION_ID: Cell<u64> = const { Cell::new(0) };
}

pub async fn serve(shard: Rc<Shard>, stream: TcpStream, _port: PortKind) {
    let _ = stream.set_nodelay(true);
    let peer = stream.peer_addr().ok();
    let fd = stream.as_raw_fd();
    let (reader, writer) = stream.split();
    let (tx, rx) = local_channel::new_bounded(limits::CONNECTION_RESPONSE_QUEUE_DEPTH);
    let writer_task = glommio::spawn_local(write_loop(writer, rx));
    let id = NEXT_CONNECTION_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    let conn = Rc::new(ConnectionState {
        id,
        writer: Cell::new(FrameWriter { version: MAX_SUPPORTED_VERSION, compression: None }),
        session: Session::new(peer),
        out: tx,
        ready: Cell::new(false),
        version_fixed: Cell::new(false),
        in_flight: Cell::new(0),
    });
    read_loop(&shard, &conn, reader, fd).await;
    if let Some(events) = shard.router.local::<EventSubscribers>() {
        events.unsubscribe(conn.id);
    }
    drop(conn);
    writer_task.await;
}

async fn read_loop(shard: &Rc<Shard>, conn: &Rc<ConnectionState>, mut reader: ReadHalf<TcpStream>, fd: RawFd) {
    let max_frame = shard.node.config.max_frame_bytes();
    let mut buf = BytesMut::with_capacity(limits::CONNECTION_READ_CHUNK_BYTES);
    loop {
        while let Some(header) = frame::parse_header(&buf) {
            if let Err(error) = check_header(&header, max_frame) {
                let writer = FrameWriter { version: response_version(header.version), compression: None };
                conn.send(writer.error(header.stream, &error)).await;
                return;
            }
            if buf.len() < header.frame_len() {
                buf.reserve(header.frame_len() - buf.len());
                // The rest of the frame may be held back by the client's Nagle algorithm
                // until our (delayed) ACK: ACK now. Clients that write frames in chunks
                // without TCP_NODELAY (the Python driver) would otherwise wait ~40 ms.
                request_quick_ack(fd);
                break;
            }
            let frame = buf.split_to(header.frame_len()).freeze();
            dispatch(shard, conn, header, frame.slice(frame::FRAME_HEADER_BYTES..)).await;
        }
        let filled = buf.len();
        let want = limits::CONNECTION_READ_CHUNK_BYTES.max(buf.capacity() - filled);
        buf.resize(filled + want, 0);
        match reader.read(&mut buf[filled..]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.truncate(filled + n),
        }
    }
}

/// A header we cannot continue after: wrong direction, unsupported version, oversized.
fn check_header(header: &FrameHeader, max_frame: usize) -> Result<(), CqlError> {
    if !frame::is_supported_version(header.version) {
        return Err(CqlError::protocol(format!(
            "Invalid or unsupported protocol version ({}); the lowest supported version is {} and the greatest is {}",
            header.version, MIN_SUPPORTED_VERSION, MAX_SUPPORTED_VERSION
        )));
    }
    if header.is_response {
        return Err(CqlError::protocol("Received a response frame; clients send requests".into()));
    }
    header.check(max_frame).map_err(|e| CqlError::protocol(e.to_string()))
}

/// The version to answer a frame in: the client's own if we speak it, else the nearest.
fn response_version(requested: u8) -> u8 {
    requested.clamp(MIN_SUPPORTED_VERSION, MAX_SUPPORTED_VERSION)
}

async fn dispatch(shard: &Rc<Shard>, conn: &Rc<ConnectionState>, header: FrameHeader, body: bytes::Bytes) {
    let mut writer = conn.writer.get();
    if !conn.version_fixed.get() {
        // The first frame fixes the connection's version.
        writer.version = header.version;
        conn.writer.set(writer);
        conn.version_fixed.set(true);
    } else if writer.version != header.version {
        let error = CqlError::protocol(format!(
            "Protocol version {} on a connection that uses version {}",
            header.version, writer.version
        ));
        return conn.send(writer.error(header.stream, &error)).await;
    }
    let stream = header.stream;
    let max_frame = shard.node.config.max_frame_bytes();
    let request = frame::frame_body(&header, body, writer.compression, max_frame)
        .and_then(|body| decode_request(header.version, header.opcode, body))
        .map_err(|e| CqlError::protocol(e.to_string()));
    let request = match request {
        Ok(r) => r,
        Err(error) => return conn.send(writer.error(stream, &error)).await,
    };
    match request {
        Request::Options => {
            let options = handshake::supported_options(shard);
            conn.send(writer.frame(stream, Opcode::Supported, |out| response::encode_supported(out, &options))).await
        }
        Request::Startup { options } => match handshake::parse_startup(&options) {
            Ok(startup) => {
                conn.session.set_driver(startup.driver_name, startup.driver_version);
                conn.send(writer.frame(stream, Opcode::Ready, |_| {})).await;
                writer.compression = startup.compression;
                conn.writer.set(writer);
                conn.ready.set(true);
            }
            Err(error) => conn.send(writer.error(stream, &error)).await,
        },
        Request::Register { events } => {
            if let Some(subscribers) = shard.router.local::<EventSubscribers>() {
                subscribers.subscribe(conn, &events);
            }
            conn.send(writer.frame(stream, Opcode::Ready, |_| {})).await
        }
        Request::AuthResponse { .. } => {
            let error = CqlError::protocol("Unexpected AUTH_RESPONSE: authentication is not enabled".into());
            conn.send(writer.error(stream, &error)).await
        }
        request => {
            if !conn.ready.get() {
                let error = CqlError::protocol(format!(
                    "Unexpected message {}, expecting STARTUP or OPTIONS",
                    opcode_name(header.opcode)
                ));
                return conn.send(writer.error(stream, &error)).await;
            }
            ShardMetrics::inc(&shard.metrics().cql_requests);
            execute(shard, conn, stream, request).await
        }
    }
}

/// Runs a QUERY/PREPARE/EXECUTE/BATCH. It is polled once inline — most requests finish
/// right there (the partition is local, the data in memory) without a task spawn — and only
/// a request that has to wait (cross-shard, I/O) continues as its own task.
async fn execute(shard: &Rc<Shard>, conn: &Rc<ConnectionState>, stream: i16, request: Request) {
    let writer = conn.writer.get();
    if conn.in_flight.get() >= limits::CONNECTION_IN_FLIGHT_REQUESTS_MAX {
        ShardMetrics::inc(&shard.metrics().cql_requests_overloaded);
        let error = CqlError::overloaded("Too many requests in flight on this connection".into());
        return conn.send(writer.error(stream, &error)).await;
    }
    conn.in_flight.set(conn.in_flight.get() + 1);
    let (shard, conn) = (shard.clone(), conn.clone());
    let started = std::time::Instant::now();
    let mut work = Box::pin(async move {
        let guard = shard.try_admit_request();
        let result = match &guard {
            Some(_) => processor::execute(&shard, &conn.session, request).await,
            None => {
                ShardMetrics::inc(&shard.metrics().cql_requests_overloaded);
                Err(CqlError::overloaded("Too many requests in flight on this shard".into()))
            }
        };
        let writer = conn.writer.get();
        let frame = match result {
            Ok(message) => writer.result(stream, &message),
            Err(error) => {
                ShardMetrics::inc(&shard.metrics().cql_errors);
                writer.error(stream, &error)
            }
        };
        // The request stays counted (connection and shard) until its response is queued, so
        // a client that stops reading runs into the bounds instead of parking responses.
        conn.send(frame).await;
        shard.metrics().request_latency.record(started.elapsed());
        drop(guard);
        conn.in_flight.set(conn.in_flight.get() - 1);
    });
    if (&mut work).now_or_never().is_none() {
        glommio::spawn_local(work).detach();
    }
}

#[allow(unsafe_code)] // libc/fd calls; each `unsafe` block states its SAFETY
fn request_quick_ack(fd: RawFd) {
    let on: libc::c_int = 1;
    // SAFETY: a valid socket fd owned by this connection and a correctly sized option value.
    unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

fn opcode_name(opcode: u8) -> &'static str {
    match Opcode::try_from(opcode) {
        Ok(Opcode::Query) => "QUERY",
        Ok(Opcode::Prepare) => "PREPARE",
        Ok(Opcode::Execute) => "EXECUTE",
        Ok(Opcode::Batch) => "BATCH",
        _ => "request",
    }
}

async fn write_loop(mut writer: WriteHalf<TcpStream>, frames: LocalReceiver<Vec<u8>>) {
    let mut batch = Vec::with_capacity(limits::CONNECTION_READ_CHUNK_BYTES);
    while let Some(frame) = frames.recv().await {
        batch.clear();
        batch.extend_from_slice(&frame);
        while batch.len() < WRITE_BATCH_BYTES_MAX {
            match frames.recv().now_or_never() {
                Some(Some(more)) => batch.extend_from_slice(&more),
                _ => break,
            }
        }
        if writer.write_all(&batch).await.is_err() {
            return;
        }
    }
    let _ = writer.close().await;
}
