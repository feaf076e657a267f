//! The cluster's health on `/metrics`, as ScyllaDB exports `scylla_messaging_*` and
//! `scylla_raft_group0_*`, in Percore's names:
//! - internode messaging ([`crate::messaging::MessagingStats`]) per shard and connection
//!   class (`percore_messaging_*_total{shard, class}`), per shard for connections and
//!   bad frames, and the faults injected (tests only) per shard and action
//!   (`percore_messaging_faults_total{shard, action}`);
//! - group 0 as this member's raft sees it (`percore_group0_*`: term, leadership, last log
//!   and applied index, voters);
//! - the NORMAL members up and down as this node's failure detector holds them, this node
//!   counted up (`percore_cluster_nodes{status}`).
//!
//! Gathered on shard 0 at each scrape ([`gather`]): one cross-shard call for the messaging
//! counters, bounded by [`MESSAGING_GATHER_TIMEOUT`], and shard 0's own group 0 and cluster
//! view. A shard that does not answer leaves the messaging families out of that scrape (a
//! `#` comment says why); the rest is still exported. [`render`] is a pure function.

use std::fmt::Write;
use std::rc::Rc;
use std::time::Duration;

use crate::cluster::group0::service::{Group0, Group0Status};
use crate::cql::shard::Shard;
use crate::messaging::verb::CONNECTION_CLASSES;
use crate::messaging::{ConnectionClass, Messaging, MessagingStats};
use crate::runtime::mesh::ShardCallError;

/// How long a scrape waits for every shard's messaging counters (a snapshot of cells:
/// only a stalled shard takes longer).
pub const MESSAGING_GATHER_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a scrape has no messaging counters.
#[derive(Debug, thiserror::Error)]
pub enum GatherError {
    #[error("{0}")]
    ShardCall(#[from] ShardCallError),
    #[error("the shards did not answer within {0:?}")]
    Timeout(Duration),
}

/// NORMAL members by the failure detector's verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeCounts {
    pub up: usize,
    pub down: usize,
}

/// One scrape's view of the cluster's health.
#[derive(Debug)]
pub struct ClusterHealth {
    /// Each shard's messaging counters, indexed by shard.
    pub messaging: Result<Vec<MessagingStats>, GatherError>,
    /// `None` where group 0 does not run (shards other than 0).
    pub group0: Option<Group0Status>,
    pub nodes: NodeCounts,
}

/// Collects the cluster's health (on shard 0, where the HTTP endpoint runs).
pub async fn gather(shard: &Rc<Shard>) -> ClusterHealth {
    let router = shard.router.clone();
    let nr_shards = shard.nr_shards();
    let call = async move {
        Ok(router.call_all(nr_shards, |messaging: Rc<Messaging>| async move { messaging.stats() }).await)
    };
    let messaging = match glommio::timer::timeout(MESSAGING_GATHER_TIMEOUT, call).await {
        Ok(stats) => stats.map_err(GatherError::from),
        Err(_) => Err(GatherError::Timeout(MESSAGING_GATHER_TIMEOUT)),
    };
    let group0 = shard.router.local::<Group0>().map(|group0| group0.status());
    let view = &shard.cluster;
    let mut nodes = NodeCounts::default();
    for node in view.state().normal_nodes() {
        if view.is_up(node.host_id) {
            nodes.up += 1;
        } else {
            nodes.down += 1;
        }
    }
    ClusterHealth { messaging, group0, nodes }
}

type PerClass = fn(&MessagingStats) -> &[u64; CONNECTION_CLASSES];

/// Counters per shard and connection class.
const PER_CLASS: &[(&str, &str, PerClass)] = &[
    ("percore_messaging_requests_sent_total", "Internode requests written to a peer, by connection class", |s| {
        &s.requests_sent
    }),
    (
        "percore_messaging_responses_received_total",
        "Successful internode responses received, by connection class",
        |s| &s.responses_received,
    ),
    ("percore_messaging_requests_received_total", "Internode requests received from peers, by connection class", |s| {
        &s.requests_received
    }),
    (
        "percore_messaging_responses_sent_total",
        "Internode responses (successful or error) sent to peers, by connection class",
        |s| &s.responses_sent,
    ),
    ("percore_messaging_timeouts_total", "Internode requests that timed out, by connection class", |s| &s.timeouts),
    (
        "percore_messaging_send_errors_total",
        "Internode requests that failed otherwise (connect, closed, refused, remote error, codec)",
        |s| &s.send_errors,
    ),
];

type PerShard = fn(&MessagingStats) -> u64;

/// Counters per shard.
const PER_SHARD: &[(&str, &str, PerShard)] = &[
    ("percore_messaging_connections_opened_total", "Outgoing internode connections whose handshake succeeded", |s| {
        s.connections_opened
    }),
    ("percore_messaging_connections_accepted_total", "Incoming internode connections whose handshake succeeded", |s| {
        s.connections_accepted
    }),
    ("percore_messaging_connections_refused_total", "Internode handshakes refused, either way", |s| {
        s.connections_refused
    }),
    (
        "percore_messaging_bad_frames_total",
        "Internode connections closed for a bad frame (checksum, size, version, kind)",
        |s| s.bad_frames,
    ),
];

type Group0Gauge = fn(&Group0Status) -> u64;

/// Group 0's gauges (no labels: one raft member per node).
const GROUP0: &[(&str, &str, Group0Gauge)] = &[
    ("percore_group0_term", "The group 0 raft term this member is in", |g| g.term),
    ("percore_group0_leader", "1 if this node is group 0's leader, else 0", |g| u64::from(g.is_leader)),
    ("percore_group0_last_log_index", "The last group 0 log index appended on this node", |g| g.last_log_index),
    ("percore_group0_applied_index", "The last group 0 log index applied on this node", |g| g.applied_index),
    ("percore_group0_voters", "Voting members of group 0, as this node knows its membership", |g| g.voters as u64),
];

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Appends the cluster's metric families to `out`.
pub fn render(out: &mut String, health: &ClusterHealth) {
    match &health.messaging {
        Ok(shards) => render_messaging(out, shards),
        Err(e) => {
            let _ = writeln!(out, "# percore_messaging_* left out of this scrape: {e}");
        }
    }
    if let Some(group0) = &health.group0 {
        for (name, help, value) in GROUP0 {
            header(out, name, "gauge", help);
            let _ = writeln!(out, "{name} {}", value(group0));
        }
    }
    let name = "percore_cluster_nodes";
    header(out, name, "gauge", "NORMAL members this node's failure detector holds up or down (itself up)");
    let _ = writeln!(out, "{name}{{status=\"up\"}} {}", health.nodes.up);
    let _ = writeln!(out, "{name}{{status=\"down\"}} {}", health.nodes.down);
}

fn render_messaging(out: &mut String, shards: &[MessagingStats]) {
    for (name, help, counters) in PER_CLASS {
        header(out, name, "counter", help);
        for (shard, stats) in shards.iter().enumerate() {
            for class in ConnectionClass::ALL {
                let value = MessagingStats::of(counters(stats), class);
                let _ = writeln!(out, "{name}{{shard=\"{shard}\",class=\"{class}\"}} {value}");
            }
        }
    }
    for (name, help, counter) in PER_SHARD {
        header(out, name, "counter", help);
        for (shard, stats) in shards.iter().enumerate() {
            let _ = writeln!(out, "{name}{{shard=\"{shard}\"}} {}", counter(stats));
        }
    }
    let name = "percore_messaging_faults_total";
    header(out, name, "counter", "Internode requests fault injection (tests only) dropped, delayed or duplicated");
    for (shard, stats) in shards.iter().enumerate() {
        for (action, value) in stats.faults() {
            let _ = writeln!(out, "{name}{{shard=\"{shard}\",action=\"{action}\"}} {value}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(messaging: Result<Vec<MessagingStats>, GatherError>) -> ClusterHealth {
        ClusterHealth {
            messaging,
            group0: Some(Group0Status { term: 3, is_leader: true, last_log_index: 12, applied_index: 11, voters: 3 }),
            nodes: NodeCounts { up: 2, down: 1 },
        }
    }

    #[test]
    fn every_shard_and_class_gets_a_sample() {
        let mut shard1 = MessagingStats::default();
        shard1.requests_sent[ConnectionClass::Mutation.index()] = 7;
        shard1.timeouts[ConnectionClass::Small.index()] = 2;
        shard1.bad_frames = 1;
        shard1.faults_dropped = 4;
        let mut out = String::new();
        render(&mut out, &health(Ok(vec![MessagingStats::default(), shard1])));
        for line in [
            "# TYPE percore_messaging_requests_sent_total counter",
            "percore_messaging_requests_sent_total{shard=\"0\",class=\"bulk\"} 0",
            "percore_messaging_requests_sent_total{shard=\"1\",class=\"mutation\"} 7",
            "percore_messaging_timeouts_total{shard=\"1\",class=\"small\"} 2",
            "percore_messaging_bad_frames_total{shard=\"1\"} 1",
            "percore_messaging_connections_refused_total{shard=\"0\"} 0",
            "# TYPE percore_messaging_faults_total counter",
            "percore_messaging_faults_total{shard=\"1\",action=\"drop\"} 4",
            "percore_messaging_faults_total{shard=\"0\",action=\"duplicate\"} 0",
            "# TYPE percore_group0_term gauge",
            "percore_group0_term 3",
            "percore_group0_leader 1",
            "percore_group0_last_log_index 12",
            "percore_group0_applied_index 11",
            "percore_group0_voters 3",
            "percore_cluster_nodes{status=\"up\"} 2",
            "percore_cluster_nodes{status=\"down\"} 1",
        ] {
            assert!(out.lines().any(|l| l == line), "no line {line:?} in\n{out}");
        }
        let per_class = out.lines().filter(|l| l.starts_with("percore_messaging_send_errors_total{")).count();
        assert_eq!(per_class, 2 * CONNECTION_CLASSES);
    }

    #[test]
    fn a_shard_that_does_not_answer_leaves_only_messaging_out() {
        let mut out = String::new();
        render(&mut out, &health(Err(GatherError::Timeout(MESSAGING_GATHER_TIMEOUT))));
        assert!(!out.lines().any(|l| l.starts_with("percore_messaging_")), "{out}");
        assert!(out.contains("# percore_messaging_* left out of this scrape"), "{out}");
        assert!(out.contains("percore_group0_term 3") && out.contains("percore_cluster_nodes{status=\"up\"} 2"));
    }
}
