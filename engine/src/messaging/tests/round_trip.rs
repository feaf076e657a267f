//! Requests and their answers: responses, handler errors, unhandled verbs, timeouts,
//! many requests multiplexed on one connection.

use std::time::{Duration, Instant};

use crate::limits;
use crate::messaging::{ConnectionClass, Messaging, MessagingError, MessagingStats, RemoteErrorKind, Verb};

use super::harness::{config, ip, run, TestNode};

#[test]
fn a_request_gets_its_response_and_the_peer_is_learnt() {
    let port = super::harness::free_port();
    let server = TestNode::start("127.0.0.2", port, 1);
    let server_host = server.host_id;
    run(move || async move {
        let client = Messaging::new(config("127.0.0.1", port, 1, 0));
        let peer = ip("127.0.0.2");
        assert!(client.peer_info(peer).is_none());
        let answer: (String, u32) = client.send(peer, Verb::Echo, "ping").await.unwrap();
        assert_eq!(answer, ("ping".to_string(), 0));
        let info = client.peer_info(peer).unwrap();
        assert_eq!((info.host_id, info.address, info.nr_shards), (server_host, peer, 1));
        let stats = client.stats();
        assert_eq!(MessagingStats::of(&stats.requests_sent, ConnectionClass::Small), 1);
        assert_eq!(MessagingStats::of(&stats.responses_received, ConnectionClass::Small), 1);
        assert_eq!(stats.connections_opened, 1);
        client.shutdown();
    });
}

#[test]
fn concurrent_requests_share_one_connection_per_class() {
    let port = super::harness::free_port();
    let _server = TestNode::start("127.0.0.2", port, 1);
    run(move || async move {
        let client = Messaging::new(config("127.0.0.1", port, 1, 0));
        let peer = ip("127.0.0.2");
        let sends = (0..200).map(|i| {
            let client = client.clone();
            async move {
                let text = format!("request {i}");
                let answer: (String, u32) = client.send(peer, Verb::Echo, &text).await.unwrap();
                assert_eq!(answer.0, text, "each caller gets its own response");
            }
        });
        futures::future::join_all(sends).await;
        // Another class: its own connection.
        let slept: u64 = client.send(peer, Verb::Read, &1u64).await.unwrap();
        assert_eq!(slept, 1);
        let stats = client.stats();
        assert_eq!(stats.connections_opened, 2, "one Small and one Read connection");
        assert_eq!(MessagingStats::of(&stats.responses_received, ConnectionClass::Small), 200);
        assert_eq!(MessagingStats::of(&stats.responses_received, ConnectionClass::Read), 1);
        client.shutdown();
    });
}

#[test]
fn handler_errors_and_unhandled_requests_come_back_typed() {
    let port = super::harness::free_port();
    let _server = TestNode::start("127.0.0.2", port, 1);
    run(move || async move {
        let client = Messaging::new(config("127.0.0.1", port, 1, 0));
        let peer = ip("127.0.0.2");
        let error = client.send::<_, ()>(peer, Verb::Mutation, "insert").await.unwrap_err();
        match error {
            MessagingError::Remote { verb, kind, message, .. } => {
                assert_eq!((verb, kind), (Verb::Mutation, RemoteErrorKind::Handler));
                assert_eq!(message, "mutation 'insert' from 127.0.0.1 rejected");
            }
            other => panic!("expected a handler error, got {other:?}"),
        }
        let error = client.send::<_, ()>(peer, Verb::JoinRequest, &()).await.unwrap_err();
        assert!(
            matches!(error, MessagingError::Remote { kind: RemoteErrorKind::NoHandler, .. }),
            "expected no handler, got {error:?}"
        );
        // A request the handler's type cannot decode: Echo takes a String.
        let error = client.send::<_, (String, u32)>(peer, Verb::Echo, &u64::MAX).await.unwrap_err();
        assert!(
            matches!(error, MessagingError::Remote { kind: RemoteErrorKind::BadRequest, .. }),
            "expected a bad request, got {error:?}"
        );
        // A response of another type than the caller expects.
        let error = client.send::<_, (String, u32, String)>(peer, Verb::Echo, "x").await.unwrap_err();
        assert!(matches!(error, MessagingError::Decode { .. }), "expected a decode error, got {error:?}");
        // The connection survived all of it.
        let answer: (String, u32) = client.send(peer, Verb::Echo, "still there").await.unwrap();
        assert_eq!(answer.0, "still there");
        assert_eq!(client.stats().connections_opened, 2, "one Mutation and one Small connection, never reopened");
        client.shutdown();
    });
}

#[test]
fn a_slow_handler_times_out_and_the_connection_carries_on() {
    let port = super::harness::free_port();
    let _server = TestNode::start("127.0.0.2", port, 1);
    run(move || async move {
        let client = Messaging::new(config("127.0.0.1", port, 1, 0));
        let peer = ip("127.0.0.2");
        let started = Instant::now();
        let error = client
            .send_with_timeout::<_, u64>(peer, Verb::Read, &5_000u64, Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(4_000), "the send did not wait for the handler");
        match error {
            MessagingError::Timeout { verb, peer: timed_out, timeout_ms } => {
                assert_eq!((verb, timed_out, timeout_ms), (Verb::Read, peer, 200));
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert_eq!(MessagingStats::of(&client.stats().timeouts, ConnectionClass::Read), 1);
        let slept: u64 = client.send(peer, Verb::Read, &10u64).await.unwrap();
        assert_eq!(slept, 10);
        assert_eq!(client.stats().connections_opened, 1, "the timeout did not cost the connection");
        client.shutdown();
        let error = client.send::<_, (String, u32)>(peer, Verb::Echo, "late").await.unwrap_err();
        assert!(matches!(error, MessagingError::ShuttingDown), "{error:?}");
    });
}

#[test]
fn handlers_per_connection_are_bounded_by_backpressure_not_errors() {
    let port = super::harness::free_port();
    let _server = TestNode::start("127.0.0.2", port, 1);
    run(move || async move {
        let client = Messaging::new(config("127.0.0.1", port, 1, 0));
        let peer = ip("127.0.0.2");
        let requests = limits::MESSAGING_CONNECTION_HANDLERS_MAX + 64;
        let sends = (0..requests).map(|_| client.send::<_, u64>(peer, Verb::Stream, &300u64));
        let peaks = futures::future::join_all(sends).await;
        let peaks: Vec<u64> = peaks.into_iter().map(|peak| peak.expect("every request is answered")).collect();
        let peak = *peaks.iter().max().unwrap() as usize;
        assert_eq!(
            peak,
            limits::MESSAGING_CONNECTION_HANDLERS_MAX,
            "the server ran as many handlers as allowed, no more"
        );
        assert_eq!(client.stats().connections_opened, 1);
        client.shutdown();
    });
}
