//! Test nodes: each shard a real glommio executor on its own thread, listening on a
//! loopback address (127.0.0.x) and a storage port no other test uses.

use std::cell::Cell;
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use glommio::{ExecutorJoinHandle, LocalExecutorBuilder};
use uuid::Uuid;

use crate::messaging::{handoff_mesh, HandlerError, Messaging, MessagingConfig, PeerInfo, Verb};

pub const CLUSTER: &str = "Percore Test Cluster";

/// glommio 0.9 may park an executor that still has runnable tasks until a timer fires
/// (see `storage::sstable::test_support::run`); a periodic timer bounds that stall.
const PARK_NUDGE_INTERVAL: Duration = Duration::from_millis(5);
/// How often a test node checks whether it should stop.
const STOP_POLL_INTERVAL: Duration = Duration::from_millis(5);
/// How long a node may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A storage port that nothing listens on for any test address. Below the kernel's
/// ephemeral range (32768+), spread by process id so concurrent test binaries differ, and
/// checked by binding it.
pub fn free_port() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 21_000 + (std::process::id() % 40) as u16 * 100;
    loop {
        let port = base + NEXT.fetch_add(1, Ordering::Relaxed) % 100;
        let free = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
            .iter()
            .all(|address| std::net::TcpListener::bind((*address, port)).is_ok());
        if free {
            return port;
        }
    }
}

pub fn ip(address: &str) -> IpAddr {
    address.parse().unwrap()
}

pub fn config(address: &str, port: u16, nr_shards: usize, shard: usize) -> MessagingConfig {
    MessagingConfig {
        cluster_name: CLUSTER.into(),
        listen_address: ip(address),
        storage_port: port,
        host_id: Uuid::new_v4(),
        nr_shards,
        shard,
    }
}

/// The handlers every test node registers on every shard.
/// - `Echo`: `String` → `(String, serving shard)`.
/// - `Read`: `u64` ms → sleeps that long, answers the same number.
/// - `Mutation`: `String` → always a handler error naming the request.
/// - `Stream`: `u64` ms → sleeps that long, answers the most handlers of this verb seen
///   running at once on this shard.
/// - `Group0Vote`: `()` → how many `Group0Vote` requests this shard has served, this one
///   included.
/// - `JoinRequest`: not registered.
pub fn register_test_handlers(messaging: &Rc<Messaging>) {
    let shard = messaging.config().shard as u32;
    let votes = Rc::new(Cell::new(0u64));
    messaging.register(Verb::Group0Vote, move |_peer: PeerInfo, _: ()| {
        votes.set(votes.get() + 1);
        let served = votes.get();
        async move { Ok(served) }
    });
    let running = Rc::new(Cell::new(0usize));
    let peak = Rc::new(Cell::new(0usize));
    messaging.register(Verb::Stream, move |_peer: PeerInfo, sleep_ms: u64| {
        let (running, peak) = (running.clone(), peak.clone());
        async move {
            running.set(running.get() + 1);
            peak.set(peak.get().max(running.get()));
            glommio::timer::sleep(Duration::from_millis(sleep_ms)).await;
            running.set(running.get() - 1);
            Ok(peak.get() as u64)
        }
    });
    messaging.register(Verb::Echo, move |_peer: PeerInfo, text: String| async move { Ok((text, shard)) });
    messaging.register(Verb::Read, |_peer: PeerInfo, sleep_ms: u64| async move {
        glommio::timer::sleep(Duration::from_millis(sleep_ms)).await;
        Ok(sleep_ms)
    });
    messaging.register(Verb::Mutation, |peer: PeerInfo, request: String| async move {
        Err::<(), _>(HandlerError::new(format!("mutation '{request}' from {} rejected", peer.address)))
    });
}

/// A running test node; stops (shutting its messaging down) when dropped.
pub struct TestNode {
    pub host_id: Uuid,
    stop: Arc<AtomicBool>,
    shards: Vec<ExecutorJoinHandle<()>>,
}

impl TestNode {
    /// Starts a node of `nr_shards` shards on `address:port` and waits until every shard
    /// listens. Executors are created in shard order (the hand-over mesh numbers its peers
    /// by creation order).
    pub fn start(address: &str, port: u16, nr_shards: usize) -> TestNode {
        let host_id = Uuid::new_v4();
        let stop = Arc::new(AtomicBool::new(false));
        let mesh = handoff_mesh(nr_shards);
        let (ready_tx, ready_rx) = mpsc::channel();
        let mut shards = Vec::new();
        for shard in 0..nr_shards {
            let config = MessagingConfig { host_id, ..config(address, port, nr_shards, shard) };
            let (mesh, stop, ready) = (mesh.clone(), stop.clone(), ready_tx.clone());
            let handle = LocalExecutorBuilder::default()
                .name(&format!("test-node-{address}-{shard}"))
                .spawn(move || async move {
                    nudge_parked_executor();
                    let messaging = Messaging::new(config);
                    register_test_handlers(&messaging);
                    let listening = messaging.start_listening(mesh).await;
                    let failed = listening.is_err();
                    ready.send(listening.map_err(|e| e.to_string())).unwrap();
                    if failed {
                        return;
                    }
                    while !stop.load(Ordering::Relaxed) {
                        glommio::timer::sleep(STOP_POLL_INTERVAL).await;
                    }
                    messaging.shutdown();
                })
                .expect("spawn a test node executor");
            shards.push(handle);
        }
        for _ in 0..nr_shards {
            let started = ready_rx.recv_timeout(START_TIMEOUT).expect("test node started in time");
            started.expect("test node listens");
        }
        TestNode { host_id, stop, shards }
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for shard in self.shards.drain(..) {
            let _ = shard.join();
        }
    }
}

fn nudge_parked_executor() {
    glommio::spawn_local(async {
        loop {
            glommio::timer::sleep(PARK_NUDGE_INTERVAL).await;
        }
    })
    .detach();
}

/// Runs `test` on a fresh executor (the client side of a test) and returns its output.
pub fn run<F, Fut, T>(test: F) -> T
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T> + 'static,
    T: Send + 'static,
{
    LocalExecutorBuilder::default()
        .name("test-client")
        .spawn(move || async move {
            nudge_parked_executor();
            test().await
        })
        .expect("spawn the test client executor")
        .join()
        .expect("the test client executor")
}

/// Starts or stops test nodes from inside an executor without blocking it.
pub async fn off_executor<R: Send + 'static>(work: impl FnOnce() -> R + Send + 'static) -> R {
    glommio::executor().spawn_blocking(work).await
}
