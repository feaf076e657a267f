//! One incoming connection, served on the shard it was placed on: the handshake, then a
//! read loop dispatching requests to the shard's handlers and a writer task for the
//! answers.
//!
//! Backpressure, not refusal: each request holds one of
//! [`limits::MESSAGING_CONNECTION_HANDLERS_MAX`] permits until its answer is queued; with
//! all taken the read loop stops reading, the socket buffers fill and the sender's writes
//! wait (TCP flow control) — its requests time out on its side if the shard stays busy.
//! A handler still running when its request's timeout passes is cancelled (nobody waits
//! for its answer any more).
//!
//! Bad input closes only this connection: a frame failing its checks (checksum, size,
//! version, kind), a frame that is not a request, or a handshake that does not come in
//! time. A well-formed request this node cannot handle (unknown verb, no handler,
//! undecodable payload) is answered with an error response and the connection carries on.

use std::rc::Rc;
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use glommio::channels::local_channel::LocalSender;
use glommio::net::TcpStream;
use glommio::sync::{Semaphore, StaticPermit};

use crate::limits;

use super::error::{RemoteError, RemoteErrorKind};
use super::frame::{self, Frame, FrameHeader, FrameKind};
use super::frame_reader::{FrameReader, ReadError};
use super::handlers::HandlerOutcome;
use super::handshake::{self, HelloReply};
use super::peer::PeerInfo;
use super::service::Messaging;
use super::timeout::within;
use super::verb::{ConnectionClass, Verb};
use super::write_queue;

/// Bytes of an error message sent to a peer at most (longer ones are cut).
const ERROR_MESSAGE_BYTES_MAX: usize = 16 * 1024;

/// What the tasks of one accepted connection share.
struct Accepted {
    peer: PeerInfo,
    class: ConnectionClass,
    out: LocalSender<Vec<u8>>,
}

/// Serves `stream` until the peer closes it, it breaks, or it misbehaves.
pub(super) async fn serve(messaging: Rc<Messaging>, stream: TcpStream) {
    let source = match stream.peer_addr() {
        Ok(address) => address.ip(),
        Err(_) => return, // already gone
    };
    let _ = stream.set_nodelay(true);
    let (reader, mut writer) = stream.split();
    let mut frames = FrameReader::new(reader, limits::MESSAGING_HANDSHAKE_FRAME_BYTES_MAX);
    let handshake_timeout = Duration::from_millis(limits::MESSAGING_HANDSHAKE_TIMEOUT_MS);
    let hello = match within(handshake_timeout, frames.next()).await {
        Some(Ok(Some(frame))) if frame.header.kind == FrameKind::Handshake => frame,
        Some(Ok(Some(frame))) => {
            tracing::warn!(
                "closing internode connection from {source}: a {:?} frame before the handshake",
                frame.header.kind
            );
            messaging.counters.bad_frame();
            return;
        }
        Some(Ok(None)) => return,
        Some(Err(error)) => {
            tracing::warn!("closing internode connection from {source} during its handshake: {error}");
            if matches!(error, ReadError::Frame(_)) {
                messaging.counters.bad_frame();
            }
            return;
        }
        None => {
            tracing::warn!("closing internode connection from {source}: no handshake within {handshake_timeout:?}");
            return;
        }
    };
    let config = messaging.config();
    let (hello, class) = match handshake::check_hello(&hello.payload, config) {
        Ok(accepted) => accepted,
        Err(refusal) => {
            tracing::warn!("refusing internode connection from {source}: {refusal}");
            messaging.counters.connection_refused();
            let reply = HelloReply::Refused { reason: refusal.to_string() };
            if let Ok(frame) = reply_frame(&reply) {
                let _ = writer.write_all(&frame).await;
            }
            let _ = writer.close().await;
            return;
        }
    };
    let reply = HelloReply::Accepted {
        host_id: config.host_id,
        nr_shards: config.nr_shards as u32,
        serving_shard: config.shard as u32,
    };
    let Ok(frame) = reply_frame(&reply) else { return };
    if writer.write_all(&frame).await.is_err() {
        return;
    }
    let peer =
        PeerInfo { host_id: hello.host_id, address: hello.broadcast_address, nr_shards: hello.nr_shards as usize };
    messaging.peers.learn(peer);
    messaging.counters.connection_accepted();
    tracing::debug!("internode {class} connection from {source} ({}) served on shard {}", peer.host_id, config.shard);
    frames.set_max_frame_bytes(class.frame_bytes_max());

    let (out, queued) = write_queue::new();
    let _writer = glommio::spawn_local(async move {
        let _ = write_queue::write_loop(writer, queued).await;
    });
    let connection = Rc::new(Accepted { peer, class, out });
    let permits = Rc::new(Semaphore::new(limits::MESSAGING_CONNECTION_HANDLERS_MAX as u64));
    loop {
        let frame = match frames.next().await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(error) => {
                if matches!(error, ReadError::Frame(_)) {
                    tracing::warn!(
                        "bad frame from internode peer {source} on a {class} connection: {error}; closing it"
                    );
                    messaging.counters.bad_frame();
                } else {
                    tracing::debug!("internode connection from {source} ({class}) ended: {error}");
                }
                break;
            }
        };
        if !matches!(frame.header.kind, FrameKind::Request | FrameKind::OneWay) {
            tracing::warn!(
                "internode peer {source} sent a {:?} frame on an incoming connection; closing it",
                frame.header.kind
            );
            messaging.counters.bad_frame();
            break;
        }
        // With every permit taken, this waits: the connection is not read meanwhile.
        let Ok(permit) = permits.acquire_static_permit(1).await else { break };
        messaging.counters.request_received(class);
        dispatch(&messaging, &connection, frame, permit);
    }
    // `_writer` is dropped here: queued answers are abandoned and the socket is closed.
}

fn reply_frame(reply: &HelloReply) -> Result<Vec<u8>, frame::FrameEncodeError> {
    let header = FrameHeader { kind: FrameKind::HandshakeReply, verb: 0, request_id: 0, timeout_ms: 0 };
    frame::encode(header, reply, limits::MESSAGING_HANDSHAKE_FRAME_BYTES_MAX)
}

/// Runs the request's handler in its own task, which answers and then frees the permit.
fn dispatch(messaging: &Rc<Messaging>, connection: &Rc<Accepted>, request: Frame, permit: StaticPermit) {
    let handler = Verb::try_from(request.header.verb).map(|verb| (verb, messaging.handlers.get(verb)));
    let (messaging, connection) = (messaging.clone(), connection.clone());
    glommio::spawn_local(async move {
        let _permit = permit;
        let header = request.header;
        let outcome: HandlerOutcome = match handler {
            Err(unknown) => Err(RemoteError { kind: RemoteErrorKind::UnknownVerb, message: unknown.to_string() }),
            Ok((verb, None)) => Err(RemoteError {
                kind: RemoteErrorKind::NoHandler,
                message: format!("no {verb} handler on shard {}", messaging.config().shard),
            }),
            Ok((verb, Some(handler))) => {
                let timeout = request_timeout(header.timeout_ms);
                match within(timeout, handler(connection.peer, request.payload)).await {
                    Some(outcome) => outcome,
                    None => {
                        tracing::debug!("{verb} from {} outlived its {timeout:?}; dropped", connection.peer.address);
                        return;
                    }
                }
            }
        };
        if header.kind == FrameKind::OneWay {
            return;
        }
        let answer = answer_frame(&header, outcome, connection.class.frame_bytes_max());
        if connection.out.send(answer).await.is_ok() {
            messaging.counters.response_sent(connection.class);
        }
    })
    .detach();
}

/// The time a handler may run: the request's own timeout, bounded.
fn request_timeout(timeout_ms: u32) -> Duration {
    let limit = limits::MESSAGING_REQUEST_TIMEOUT_MS_MAX;
    Duration::from_millis(if timeout_ms == 0 { limit } else { (timeout_ms as u64).min(limit) })
}

/// The response or error-response frame for `request`.
fn answer_frame(request: &FrameHeader, outcome: HandlerOutcome, max_frame_bytes: usize) -> Vec<u8> {
    let header = |kind| FrameHeader { kind, verb: request.verb, request_id: request.request_id, timeout_ms: 0 };
    let error = match outcome {
        Ok(body) => match frame::encode_with(header(FrameKind::Response), max_frame_bytes, |out| body.encode_into(out))
        {
            Ok(frame) => return frame,
            Err(error) => RemoteError { kind: RemoteErrorKind::BadResponse, message: error.to_string() },
        },
        Err(error) => error,
    };
    let error = RemoteError { kind: error.kind, message: truncated(error.message) };
    let error_frame = |error: &RemoteError| frame::encode(header(FrameKind::ErrorResponse), error, max_frame_bytes);
    // A bounded message fits every class's frame; should it not, the kind alone is sent.
    error_frame(&error)
        .or_else(|_| error_frame(&RemoteError { kind: error.kind, message: String::new() }))
        .unwrap_or_default()
}

fn truncated(mut message: String) -> String {
    if message.len() > ERROR_MESSAGE_BYTES_MAX {
        let mut end = ERROR_MESSAGE_BYTES_MAX;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messaging::payload;

    #[test]
    fn an_oversized_response_becomes_a_bad_response_error() {
        let request = FrameHeader { kind: FrameKind::Request, verb: 5, request_id: 9, timeout_ms: 100 };
        let outcome: HandlerOutcome = Ok(Box::new(vec![7u8; 4096]));
        let bytes = answer_frame(&request, outcome, 1024);
        let frame = frame::decode(&mut bytes::BytesMut::from(&bytes[..]), 1024).unwrap().unwrap();
        assert_eq!(frame.header.kind, FrameKind::ErrorResponse);
        assert_eq!(frame.header.request_id, 9);
        let error: RemoteError = payload::decode(&frame.payload).unwrap();
        assert_eq!(error.kind, RemoteErrorKind::BadResponse);
    }

    #[test]
    fn long_error_messages_are_cut_at_a_character_boundary() {
        let message = "é".repeat(ERROR_MESSAGE_BYTES_MAX);
        let cut = truncated(message);
        assert!(cut.len() <= ERROR_MESSAGE_BYTES_MAX && cut.len() >= ERROR_MESSAGE_BYTES_MAX - 1);
        assert_eq!(request_timeout(0), Duration::from_millis(limits::MESSAGING_REQUEST_TIMEOUT_MS_MAX));
        assert_eq!(request_timeout(250), Duration::from_millis(250));
    }
}
