//! Liveness of the ring's other members — not consensus: shard 0 sends ECHO to every other
//! NORMAL member once per round and holds a member DOWN once it has not answered for the
//! configured `failure_detector_timeout_in_ms` (UP again at its first answer). Verdicts go to
//! a [`LivenessListener`] (the node installs them on every shard's view and tells clients
//! `STATUS_CHANGE`). A round that starts long after the previous one means this node was
//! paused (SIGSTOP, a stalled VM): as Cassandra does, nobody is convicted for the silence
//! of that pause.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures::future::{join_all, LocalBoxFuture};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::group0::state::NodeRecord;
use super::view::ClusterView;
use crate::messaging::{Messaging, Verb};

/// Rounds per failure-detector timeout: a dead member is convicted at most a round late.
const ROUNDS_PER_TIMEOUT: u32 = 4;
/// The shortest round (a tiny timeout must not turn echoes into a busy loop).
const ROUND_MIN: Duration = Duration::from_millis(100);
/// A gap this long between two rounds means this node itself was paused (Cassandra's 5 s),
/// or half the timeout when that is shorter (a paused node must not convict its peers for
/// its own silence before it notices the pause).
const LOCAL_PAUSE_MAX: Duration = Duration::from_secs(5);

#[derive(Debug, Serialize, Deserialize)]
pub struct EchoRequest {
    pub from: Uuid,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct EchoReply {
    pub host_id: Uuid,
}

/// Told when the detector changes its mind about a member.
pub trait LivenessListener {
    fn changed(&self, node: NodeRecord, up: bool) -> LocalBoxFuture<'_, ()>;
}

pub struct FailureDetector {
    messaging: Rc<Messaging>,
    view: Rc<ClusterView>,
    timeout: Duration,
    listener: Rc<dyn LivenessListener>,
    /// When each member last answered (or, before its first answer, was first seen).
    last_heard: RefCell<BTreeMap<Uuid, Instant>>,
    /// The verdicts given so far (a member starts up, as its `system.peers` row suggests).
    down: RefCell<std::collections::BTreeSet<Uuid>>,
}

impl FailureDetector {
    pub fn new(
        messaging: Rc<Messaging>,
        view: Rc<ClusterView>,
        timeout: Duration,
        listener: Rc<dyn LivenessListener>,
    ) -> Rc<FailureDetector> {
        Rc::new(FailureDetector {
            messaging,
            view,
            timeout,
            listener,
            last_heard: RefCell::default(),
            down: RefCell::default(),
        })
    }

    fn round_interval(&self) -> Duration {
        (self.timeout / ROUNDS_PER_TIMEOUT).max(ROUND_MIN)
    }

    /// A gap between two rounds longer than this is a pause of this node.
    fn local_pause(&self) -> Duration {
        (self.timeout / 2).min(LOCAL_PAUSE_MAX).max(self.round_interval() * 2)
    }

    /// Runs rounds until `stop` says so.
    pub async fn run(self: Rc<Self>, stop: impl Fn() -> bool) {
        let (interval, pause) = (self.round_interval(), self.local_pause());
        let mut previous = Instant::now();
        while !stop() {
            let started = Instant::now();
            if started.duration_since(previous) > interval + pause {
                tracing::info!("failure detector: this node was paused; no member is convicted for it");
                self.last_heard.borrow_mut().values_mut().for_each(|t| *t = started);
            }
            previous = started;
            self.round(interval, pause).await;
            let spent = started.elapsed();
            if spent < interval {
                glommio::timer::sleep(interval - spent).await;
            }
        }
    }

    /// One echo to every other member, then the verdicts (none against the silent if this
    /// node was paused while it waited for the answers).
    async fn round(&self, echo_timeout: Duration, pause: Duration) {
        let started = Instant::now();
        let me = self.view.local_host_id();
        let peers = self.view.peers();
        let request = EchoRequest { from: me };
        let echoes = peers.iter().map(|p| {
            let request = &request;
            async move {
                let reply: Result<EchoReply, _> =
                    self.messaging.send_with_timeout(p.address, Verb::Echo, request, echo_timeout).await;
                reply.is_ok_and(|r| r.host_id == p.host_id)
            }
        });
        let answered = join_all(echoes).await;
        let now = Instant::now();
        if now.duration_since(started) > echo_timeout + pause {
            tracing::info!("failure detector: this node was paused during a round; no member is convicted for it");
            self.last_heard.borrow_mut().values_mut().for_each(|t| *t = now);
        }
        for (peer, answered) in peers.into_iter().zip(answered) {
            let heard = *self.last_heard.borrow_mut().entry(peer.host_id).or_insert(now);
            let was_down = self.down.borrow().contains(&peer.host_id);
            if answered {
                self.last_heard.borrow_mut().insert(peer.host_id, now);
                if was_down {
                    self.down.borrow_mut().remove(&peer.host_id);
                    tracing::info!("failure detector: {} ({}) is UP", peer.address, peer.host_id);
                    self.listener.changed(peer, true).await;
                }
            } else if !was_down && now.duration_since(heard) > self.timeout {
                self.down.borrow_mut().insert(peer.host_id);
                tracing::info!("failure detector: {} ({}) is DOWN", peer.address, peer.host_id);
                self.listener.changed(peer, false).await;
            }
        }
        // Members that left the ring are forgotten.
        let members: Vec<Uuid> = self.view.peers().iter().map(|p| p.host_id).collect();
        self.last_heard.borrow_mut().retain(|id, _| members.contains(id));
        self.down.borrow_mut().retain(|id| members.contains(id));
    }
}
