//! Fault injection on real connections: a dropped request times out, a delayed one is
//! answered no sooner than its delay (and the delay counts against its timeout), a
//! duplicated one runs the peer's handler twice; rules match by verb and peer.

use std::time::{Duration, Instant};

use crate::messaging::{
    ConnectionClass, FaultAction, FaultRule, FaultRules, Messaging, MessagingError, MessagingStats, Verb,
};

use super::harness::{config, ip, run, TestNode};

fn rules(rules: Vec<FaultRule>) -> FaultRules {
    FaultRules::new(rules, Some(1)).unwrap()
}

#[test]
fn a_dropped_request_is_never_sent_and_times_out() {
    let port = super::harness::free_port();
    let _server = TestNode::start("127.0.0.2", port, 1);
    run(move || async move {
        let client = Messaging::new(config("127.0.0.1", port, 1, 0));
        let peer = ip("127.0.0.2");
        client.set_fault_rules(rules(vec![
            FaultRule::new(Some(Verb::Read), Some(ip("127.0.0.3")), FaultAction::Delay { ms: 10_000 }),
            FaultRule::new(Some(Verb::Read), Some(peer), FaultAction::Drop),
        ]));
        let timeout = Duration::from_millis(200);
        let started = Instant::now();
        let error = client.send_with_timeout::<_, u64>(peer, Verb::Read, &1u64, timeout).await.unwrap_err();
        assert!(started.elapsed() >= timeout, "waited out the timeout: {:?}", started.elapsed());
        match error {
            MessagingError::Timeout { verb, peer: timed_out, timeout_ms } => {
                assert_eq!((verb, timed_out, timeout_ms), (Verb::Read, peer, 200));
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
        let stats = client.stats();
        assert_eq!(stats.faults_dropped, 1);
        assert_eq!(MessagingStats::of(&stats.timeouts, ConnectionClass::Read), 1);
        assert_eq!(MessagingStats::of(&stats.requests_sent, ConnectionClass::Read), 0, "never written");
        // Other verbs pass.
        let (text, _): (String, u32) = client.send(peer, Verb::Echo, "untouched").await.unwrap();
        assert_eq!(text, "untouched");
        // Without rules, the same request is answered.
        client.set_fault_rules(FaultRules::default());
        let slept: u64 = client.send_with_timeout(peer, Verb::Read, &1u64, timeout).await.unwrap();
        assert_eq!(slept, 1);
        let stats = client.stats();
        assert_eq!((stats.faults_dropped, stats.faults_delayed, stats.faults_duplicated), (1, 0, 0));
        client.shutdown();
    });
}

#[test]
fn a_delayed_request_is_answered_after_its_delay_within_its_timeout() {
    let port = super::harness::free_port();
    let _server = TestNode::start("127.0.0.2", port, 1);
    run(move || async move {
        let client = Messaging::new(config("127.0.0.1", port, 1, 0));
        let peer = ip("127.0.0.2");
        let delay = Duration::from_millis(300);
        client.set_fault_rules(rules(vec![FaultRule::new(
            Some(Verb::Echo),
            None,
            FaultAction::Delay { ms: delay.as_millis() as u64 },
        )]));
        let started = Instant::now();
        let (text, _): (String, u32) = client.send(peer, Verb::Echo, "late").await.unwrap();
        assert_eq!(text, "late");
        assert!(started.elapsed() >= delay, "answered after the delay: {:?}", started.elapsed());
        // The timeout counts from the call: a delay longer than it is a timeout.
        let started = Instant::now();
        let error = client
            .send_with_timeout::<_, (String, u32)>(peer, Verb::Echo, "too late", Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(matches!(error, MessagingError::Timeout { .. }), "{error:?}");
        assert!(started.elapsed() < delay, "did not wait for the delay: {:?}", started.elapsed());
        let stats = client.stats();
        assert_eq!(stats.faults_delayed, 2);
        assert_eq!(MessagingStats::of(&stats.requests_sent, ConnectionClass::Small), 1, "the second was never sent");
        client.shutdown();
    });
}

#[test]
fn a_duplicated_request_runs_the_handler_twice_and_the_first_response_is_used() {
    let port = super::harness::free_port();
    let _server = TestNode::start("127.0.0.2", port, 1);
    run(move || async move {
        let client = Messaging::new(config("127.0.0.1", port, 1, 0));
        let peer = ip("127.0.0.2");
        client.set_fault_rules(rules(vec![FaultRule::new(Some(Verb::Group0Vote), Some(peer), FaultAction::Duplicate)]));
        let served: u64 = client.send(peer, Verb::Group0Vote, &()).await.unwrap();
        assert!(served == 1 || served == 2, "the answer of one of the two copies: {served}");
        assert_eq!(client.fault_rules().rules().len(), 1);
        client.set_fault_rules(FaultRules::default());
        // The same connection, in order: the server saw both copies before this request.
        let served: u64 = client.send(peer, Verb::Group0Vote, &()).await.unwrap();
        assert_eq!(served, 3, "the handler ran twice for the duplicated request");
        let stats = client.stats();
        assert_eq!(stats.faults_duplicated, 1);
        assert_eq!(MessagingStats::of(&stats.requests_sent, ConnectionClass::Small), 3);
        assert_eq!(MessagingStats::of(&stats.responses_received, ConnectionClass::Small), 2);
        client.shutdown();
    });
}
