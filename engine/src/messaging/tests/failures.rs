//! What goes wrong between nodes: another cluster, a corrupted frame, a peer that is down,
//! a peer that restarts.

use std::time::Duration;

use bytes::BytesMut;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use glommio::net::TcpStream;

use crate::limits;
use crate::messaging::error::RemoteError;
use crate::messaging::frame::{self, FrameHeader, FrameKind};
use crate::messaging::handshake::{self, Hello, HelloReply};
use crate::messaging::{payload, ConnectionClass, Messaging, MessagingConfig, MessagingError, RemoteErrorKind, Verb};

use super::harness::{config, ip, off_executor, run, TestNode, CLUSTER};

#[test]
fn a_node_of_another_cluster_is_refused_with_the_reason() {
    let port = super::harness::free_port();
    let _server = TestNode::start("127.0.0.2", port, 1);
    run(move || async move {
        let stranger =
            Messaging::new(MessagingConfig { cluster_name: "other".into(), ..config("127.0.0.1", port, 1, 0) });
        let error = stranger.send::<_, (String, u32)>(ip("127.0.0.2"), Verb::Echo, "hi").await.unwrap_err();
        match error {
            MessagingError::Refused { peer, reason } => {
                assert_eq!(peer, ip("127.0.0.2"));
                assert_eq!(reason, format!("cluster name 'other' is not '{CLUSTER}'"));
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(stranger.stats().connections_refused, 1);
        assert!(stranger.peer_info(ip("127.0.0.2")).is_none(), "nothing learnt from a refusal");
        stranger.shutdown();
    });
}

/// A raw connection that has shaken hands with the server.
async fn raw_connection(port: u16) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.2", port)).await.unwrap();
    let config = config("127.0.0.1", port, 1, 0);
    let hello = Hello {
        cluster_name: config.cluster_name,
        host_id: config.host_id,
        broadcast_address: config.listen_address,
        nr_shards: 1,
        wanted_shard: 0,
        class: ConnectionClass::Small as u8,
    };
    let header = FrameHeader { kind: FrameKind::Handshake, verb: 0, request_id: 0, timeout_ms: 0 };
    let bytes = frame::encode_raw(header, &handshake::encode_hello(&hello).unwrap(), 4096).unwrap();
    stream.write_all(&bytes).await.unwrap();
    let reply = read_frame(&mut stream).await.expect("a handshake reply");
    assert_eq!(reply.header.kind, FrameKind::HandshakeReply);
    assert!(matches!(payload::decode(&reply.payload).unwrap(), HelloReply::Accepted { .. }));
    stream
}

/// The next frame, or `None` once the server closed the connection.
async fn read_frame(stream: &mut TcpStream) -> Option<frame::Frame> {
    let mut buf = BytesMut::new();
    loop {
        if let Some(frame) = frame::decode(&mut buf, limits::MESSAGING_FRAME_BYTES_MAX_SMALL).unwrap() {
            return Some(frame);
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[test]
fn an_unknown_verb_is_answered_and_a_corrupted_frame_closes_only_its_connection() {
    let port = super::harness::free_port();
    let _server = TestNode::start("127.0.0.2", port, 1);
    run(move || async move {
        let client = Messaging::new(config("127.0.0.1", port, 1, 0));
        let peer = ip("127.0.0.2");
        let _: (String, u32) = client.send(peer, Verb::Echo, "before").await.unwrap();

        let mut raw = raw_connection(port).await;
        // A well-formed request for a verb the server does not know: answered, connection kept.
        let header = FrameHeader { kind: FrameKind::Request, verb: 999, request_id: 7, timeout_ms: 1000 };
        raw.write_all(&frame::encode(header, &"?", 4096).unwrap()).await.unwrap();
        let answer = read_frame(&mut raw).await.expect("an error response");
        assert_eq!((answer.header.kind, answer.header.request_id), (FrameKind::ErrorResponse, 7));
        let error: RemoteError = payload::decode(&answer.payload).unwrap();
        assert_eq!(error.kind, RemoteErrorKind::UnknownVerb);
        // A request with a flipped bit: the server closes this connection.
        let header =
            FrameHeader { kind: FrameKind::Request, verb: Verb::Echo.number(), request_id: 8, timeout_ms: 1000 };
        let mut corrupt = frame::encode(header, "hello", 4096).unwrap();
        let last = corrupt.len() - 1;
        corrupt[last] ^= 0x01;
        raw.write_all(&corrupt).await.unwrap();
        assert!(read_frame(&mut raw).await.is_none(), "the corrupted connection is closed");

        // The client's own connection is unaffected.
        let answer: (String, u32) = client.send(peer, Verb::Echo, "after").await.unwrap();
        assert_eq!(answer.0, "after");
        assert_eq!(client.stats().connections_opened, 1);
        client.shutdown();
    });
}

#[test]
fn a_peer_that_is_down_fails_the_send_at_once() {
    let port = super::harness::free_port();
    run(move || async move {
        let client = Messaging::new(config("127.0.0.1", port, 1, 0));
        // Nothing listens on 127.0.0.3: the connect is refused, well before the timeout.
        let error = client
            .send_with_timeout::<_, (String, u32)>(ip("127.0.0.3"), Verb::Echo, "anyone?", Duration::from_secs(30))
            .await
            .unwrap_err();
        match error {
            MessagingError::ConnectFailed { peer, source } => {
                assert_eq!(peer, std::net::SocketAddr::new(ip("127.0.0.3"), port));
                assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused, "{source}");
            }
            other => panic!("expected a failed connect, got {other:?}"),
        }
        assert_eq!(client.stats().connections_opened, 0);
        client.shutdown();
    });
}

#[test]
fn a_restarted_peer_is_reconnected_on_the_next_send() {
    let port = super::harness::free_port();
    let first = TestNode::start("127.0.0.2", port, 1);
    let first_host = first.host_id;
    run(move || async move {
        let client = Messaging::new(config("127.0.0.1", port, 1, 0));
        let peer = ip("127.0.0.2");
        let _: (String, u32) = client.send(peer, Verb::Echo, "one").await.unwrap();
        assert_eq!(client.peer_info(peer).unwrap().host_id, first_host);

        off_executor(move || drop(first)).await;
        let error = client.send::<_, (String, u32)>(peer, Verb::Echo, "nobody").await.unwrap_err();
        assert!(
            matches!(error, MessagingError::ConnectionClosed { .. } | MessagingError::ConnectFailed { .. }),
            "{error:?}"
        );

        let second = off_executor(move || TestNode::start("127.0.0.2", port, 1)).await;
        let mut answer = None;
        for _ in 0..3 {
            // The first send may still find the old connection before its reader saw the end.
            match client.send::<_, (String, u32)>(peer, Verb::Echo, "two").await {
                Ok(reply) => {
                    answer = Some(reply);
                    break;
                }
                Err(MessagingError::ConnectionClosed { .. }) => continue,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(answer.unwrap().0, "two");
        assert_eq!(client.peer_info(peer).unwrap().host_id, second.host_id, "the new handshake wins");
        assert_eq!(client.stats().connections_opened, 2);
        client.shutdown();
        off_executor(move || drop(second)).await;
    });
}
