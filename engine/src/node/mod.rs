//! Starting and stopping the node — the one place that wires every layer together: plan
//! shard placement, load node identity and schema, build the cross-shard meshes, start one
//! executor per shard (its replica, statement context, listeners), and turn SIGINT/SIGTERM
//! into a clean shutdown. Everything here runs before or after the executors' serving life;
//! nothing here is on the request path, so start-up may use blocking std I/O.

use std::net::SocketAddr;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use glommio::{CpuSet, LocalExecutorBuilder, Placement};
use thiserror::Error;
use uuid::Uuid;

use crate::cluster::group0::messaging_transport::{register_group0_handlers, MessagingTransport};
use crate::cluster::group0::service::{load_applied_blocking, Group0Error};
use crate::cluster::group0::state::Group0State;
use crate::cluster::view::ClusterView;
use crate::config::{Config, ConfigError};
use crate::coordinator::{replica_handlers, Coordinator};
use crate::cql::shard::Shard;
use crate::io_properties::IoPropertiesError;
use crate::limits;
use crate::messaging::{FaultRules, Messaging, MessagingConfig, MessagingHandoffMesh};
use crate::replica::replay::{replay_assigned, ReplayError};
use crate::replica::{Replica, ReplicaError};
use crate::runtime::cpuset::{self, CpusetError, ShardPlacement};
use crate::runtime::mesh::{self, ReplyMesh, RequestMesh, ShardRouter};
use crate::runtime::node_state::NodeState;
use crate::schema::{persist, Schema};
use crate::storage::commitlog::replay::{self, FoundSegment};
use crate::storage::commitlog::{Commitlog, CommitlogConfig, SyncMode};
use crate::storage::io_probe;
use crate::storage::io_scheduling::IoScheduling;
use crate::storage::truncation_record::TruncationRecord;
use crate::transport::events::EventSubscribers;
use crate::transport::listener::{self, HandoffMesh};

pub mod cluster_start;

#[derive(Debug, Error)]
pub enum NodeError {
    #[error(transparent)]
    Cpuset(#[from] CpusetError),
    #[error("cannot prepare data directory {path}: {source}")]
    DataDirectory { path: String, source: std::io::Error },
    #[error("cannot listen on {addr}: {source} (is another node running?)")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("cannot load the schema: {0}")]
    Schema(#[from] persist::SchemaLoadError),
    #[error("cannot start shard {shard}: {reason}")]
    Executor { shard: usize, reason: String },
    #[error("shard {shard} failed: {source}")]
    Shard { shard: usize, source: Box<ShardError> },
    #[error(transparent)]
    IoProperties(#[from] IoPropertiesError),
    #[error("{0}")]
    Config(String),
}

/// Runs the node until SIGINT or SIGTERM.
pub fn run(mut config: Config) -> Result<(), NodeError> {
    make_paths_absolute(&mut config)?;
    let requested = config.cpuset.as_deref().map(cpuset::parse_cpuset).transpose()?;
    let placements = cpuset::plan(config.smp, requested, cpuset::process_cpus()?)?;
    let nr_shards = placements.len();

    let data_dir = config.data_directory().to_path_buf();
    // Main thread, before the executors start: blocking I/O is fine here.
    std::fs::create_dir_all(&data_dir)
        .map_err(|source| NodeError::DataDirectory { path: data_dir.display().to_string(), source })?;
    let host_id = load_or_create_host_id(&data_dir)?;
    let seeds = config.seeds().map_err(|e| NodeError::Config(e.to_string()))?;
    let fault_rules = messaging_fault_rules(&config)?;
    // What group 0 had applied when the node stopped: its schema is the node's (a node
    // that was never a member still has its single-node schema file).
    let group0_directory = data_dir.join(cluster_start::GROUP0_DIRECTORY);
    let applied = load_applied_blocking(&group0_directory)
        .map_err(|source| NodeError::DataDirectory { path: group0_directory.display().to_string(), source })?;
    let schema = Arc::new(match &applied {
        Some(applied) => persist::from_statements(&applied.state.schema_statements(), &config.data_center)
            .map_err(|e| NodeError::Config(format!("group 0's schema does not apply: {e}")))?,
        None => persist::load(&data_dir, &config.data_center)?,
    });
    let cluster_state = Arc::new(applied.map(|a| a.state).unwrap_or_default());
    let commitlog_dir = config.commitlog_directory();
    // Main thread, before the executors start: blocking I/O is fine here.
    std::fs::create_dir_all(&commitlog_dir)
        .map_err(|source| NodeError::DataDirectory { path: commitlog_dir.display().to_string(), source })?;
    let old_segments = Arc::new(
        replay::list_segments(&commitlog_dir)
            .map_err(|source| NodeError::DataDirectory { path: commitlog_dir.display().to_string(), source })?,
    );
    let generation = old_segments.iter().map(|s| s.name.generation).max().unwrap_or(0) + 1;
    // Free files kept for reuse by an earlier run hold stale entries of a generation that
    // may come again: never reuse them across runs.
    replay::remove_recycled(&commitlog_dir)
        .map_err(|source| NodeError::DataDirectory { path: commitlog_dir.display().to_string(), source })?;
    let io_probes = io_probe::prepare(&[&data_dir, &commitlog_dir])
        .map_err(|source| NodeError::DataDirectory { path: data_dir.display().to_string(), source })?;
    check_ports_free(&config)?;
    let io_scheduling = IoScheduling::plan(&config, &data_dir, &commitlog_dir, nr_shards)?;
    io_scheduling.log();

    let shard_memory_bytes = config.memory_bytes.unwrap_or_else(default_memory_bytes) / nr_shards as u64;
    let truncations = TruncationRecord::load(&data_dir).map_err(|source| NodeError::DataDirectory {
        path: data_dir.join("truncated.json").display().to_string(),
        source,
    })?;
    let node = NodeState::new(
        config,
        nr_shards,
        host_id,
        shard_memory_bytes,
        generation,
        io_scheduling.compaction_bytes_per_second,
    );
    if !old_segments.is_empty() {
        tracing::info!("percore: replaying {} commitlog segment(s) of earlier runs", old_segments.len());
    }
    block_shutdown_signals();
    spawn_signal_waiter(node.clone());

    let request_mesh = RequestMesh::full(nr_shards, limits::MESH_QUEUE_DEPTH);
    let reply_mesh = ReplyMesh::full(nr_shards, limits::MESH_QUEUE_DEPTH);
    let handoff_mesh = HandoffMesh::full(nr_shards, limits::CONNECTION_HANDOFF_QUEUE_DEPTH);
    let messaging_mesh = MessagingHandoffMesh::full(nr_shards, limits::CONNECTION_HANDOFF_QUEUE_DEPTH);

    let mut handles = Vec::with_capacity(nr_shards);
    for (shard_id, placement) in placements.iter().enumerate() {
        let (node, schema, old_segments, truncations, io_probes) =
            (node.clone(), schema.clone(), old_segments.clone(), truncations.clone(), io_probes.clone());
        let (request_mesh, reply_mesh, handoff_mesh) = (request_mesh.clone(), reply_mesh.clone(), handoff_mesh.clone());
        let (messaging_mesh, cluster_state, seeds) = (messaging_mesh.clone(), cluster_state.clone(), seeds.clone());
        let fault_rules = fault_rules.clone();
        let handle = LocalExecutorBuilder::new(glommio_placement(placement))
            .name(&format!("percore-shard-{shard_id}"))
            .spawn(move || async move {
                let start = ShardStart {
                    schema,
                    cluster_state,
                    seeds,
                    old_segments,
                    truncations,
                    io_probes,
                    request_mesh,
                    reply_mesh,
                    handoff_mesh,
                    messaging_mesh,
                    fault_rules,
                };
                run_shard(node, start).await
            })
            .map_err(|e| NodeError::Executor { shard: shard_id, reason: e.to_string() })?;
        handles.push(handle);
    }
    tracing::info!(
        "percore: {} shard(s) {:?}, CQL on {}:{} (shard-aware {}), metrics on port {}",
        nr_shards,
        placements,
        node.config.rpc_address(),
        node.config.native_transport_port,
        node.config.native_shard_aware_transport_port,
        node.config.prometheus_port
    );
    let mut result = Ok(());
    for (shard_id, handle) in handles.into_iter().enumerate() {
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(source)) => {
                node.request_shutdown();
                result = Err(NodeError::Shard { shard: shard_id, source: Box::new(source) });
            }
            Err(e) => {
                node.request_shutdown();
                result = Err(NodeError::Executor { shard: shard_id, reason: e.to_string() });
            }
        }
    }
    if result.is_ok() {
        tracing::info!("percore: shut down cleanly");
    }
    result
}

/// Why a shard stopped serving.
#[derive(Debug, Error)]
pub enum ShardError {
    #[error("cannot join the cross-shard queues: {0}")]
    Mesh(std::io::Error),
    #[error("cannot open its SSTables: {0}")]
    OpenSstables(ReplicaError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error("cannot listen: {0}")]
    Listen(std::io::Error),
    #[error("cannot read the I/O probe file: {0}")]
    IoProbe(std::io::Error),
    #[error("cannot listen for other nodes: {0}")]
    Messaging(std::io::Error),
    #[error("cannot take part in the cluster: {0}")]
    Cluster(#[from] Group0Error),
}

/// What a shard's executor starts from.
struct ShardStart {
    schema: Arc<Schema>,
    /// The ring group 0 had applied when the node stopped (empty on a first start).
    cluster_state: Arc<Group0State>,
    seeds: Vec<std::net::IpAddr>,
    old_segments: Arc<Vec<FoundSegment>>,
    truncations: TruncationRecord,
    /// Files each shard reads first (`storage::io_probe`).
    io_probes: Vec<std::path::PathBuf>,
    request_mesh: RequestMesh,
    reply_mesh: ReplyMesh,
    handoff_mesh: HandoffMesh,
    messaging_mesh: MessagingHandoffMesh,
    /// Messaging fault injection (tests only; empty: off).
    fault_rules: FaultRules,
}

/// The life of one shard's executor.
async fn run_shard(node: Arc<NodeState>, start: ShardStart) -> Result<(), ShardError> {
    // Before any other DMA file is opened on this shard.
    io_probe::settle_polling(&start.io_probes).await.map_err(ShardError::IoProbe)?;
    let (router, request_rx, reply_rx) =
        ShardRouter::join(start.request_mesh, start.reply_mesh).await.map_err(ShardError::Mesh)?;
    let router = Rc::new(router);
    let config = &node.config;
    let commitlog = Commitlog::start(CommitlogConfig {
        directory: config.commitlog_directory(),
        shard: router.shard_id() as u32,
        generation: node.commitlog_generation,
        segment_bytes: config.commitlog_segment_size_in_mb * 1024 * 1024,
        mode: commitlog_sync_mode(config),
    });
    let replica = Replica::new(node.clone(), router.clone(), start.schema, commitlog, start.truncations);
    let events = Rc::new(EventSubscribers::default());
    let view = Rc::new(ClusterView::new(node.host_id, start.cluster_state));
    // Created now, listening only once the commitlog is replayed.
    let messaging = new_messaging(&node, router.shard_id());
    let coordinator = Coordinator::new(replica.clone(), messaging.clone(), view.clone());
    let shard = Shard::new(coordinator, events.clone());
    router.register(view);
    router.register(replica.clone());
    router.register(shard.clone());
    router.register(events);
    mesh::spawn_pumps(router.clone(), node.clone(), request_rx, reply_rx);
    let opened = replica.open_sstables().await.map_err(ShardError::OpenSstables)?;
    if opened > 0 {
        tracing::info!("shard {}: opened {opened} SSTable(s)", shard.id);
    }
    let stats = replay_assigned(&replica, &start.old_segments).await?;
    if stats.segments > 0 {
        tracing::info!("shard {}: replayed {} segment(s), {} mutation(s)", shard.id, stats.segments, stats.mutations);
    }
    // No shard serves clients before every shard has replayed its share.
    node.mark_replayed();
    while !node.all_replayed() {
        if node.shutdown_requested() {
            return Ok(());
        }
        glommio::timer::sleep(Duration::from_millis(REPLAY_BARRIER_POLL_MS)).await;
    }
    replica.schedule_compactions();
    if !start.fault_rules.is_empty() {
        messaging.set_fault_rules(start.fault_rules);
    }
    messaging.start_listening(start.messaging_mesh).await.map_err(ShardError::Messaging)?;
    router.register(messaging.clone());
    register_group0_handlers(&router, &messaging);
    replica_handlers::register(&messaging, &replica);
    cluster_start::register_echo(&shard, &messaging);
    let group0 = if shard.id == 0 {
        let transport = Rc::new(MessagingTransport::new(messaging.clone()));
        let group0 = cluster_start::start(&shard, transport, &start.seeds).await?;
        cluster_start::spawn_failure_detector(&shard, messaging.clone());
        node.mark_cluster_ready();
        Some(group0)
    } else {
        None
    };
    while !node.cluster_ready() {
        if node.shutdown_requested() {
            return Ok(());
        }
        glommio::timer::sleep(Duration::from_millis(REPLAY_BARRIER_POLL_MS)).await;
    }
    let mut listeners = Some(listener::start(shard.clone(), start.handoff_mesh).await.map_err(ShardError::Listen)?);
    node.mark_listening(true);
    if shard.id == 0 {
        crate::admin::http_endpoint::start(shard.clone()).map_err(ShardError::Listen)?;
    }
    let mut last = std::time::Instant::now();
    while !node.shutdown_requested() {
        glommio::timer::sleep(Duration::from_millis(limits::SHUTDOWN_POLL_INTERVAL_MS)).await;
        // `nodetool drain`: no new client connections (dropping the listeners closes them).
        if node.drain_requested() && listeners.take().is_some() {
            node.mark_listening(false);
            tracing::info!("shard {}: drained: CQL listeners closed", shard.id);
        }
        replica.refresh_storage_metrics();
        sample_reactor(&node, shard.id, last.elapsed());
        last = std::time::Instant::now();
    }
    drop(listeners);
    if let Some(group0) = group0 {
        group0.shutdown().await;
    }
    messaging.shutdown();
    replica.shutdown().await;
    Ok(())
}

/// The `messaging_fault_injection` rules of the config (none if the key is absent).
fn messaging_fault_rules(config: &Config) -> Result<FaultRules, NodeError> {
    let Some(value) = &config.messaging_fault_injection else {
        return Ok(FaultRules::default());
    };
    serde_yaml::from_value(value.clone()).map_err(|e| {
        NodeError::Config(ConfigError::Invalid { key: "messaging_fault_injection", reason: e.to_string() }.to_string())
    })
}

/// This shard's internode messaging (not yet listening on the storage port).
fn new_messaging(node: &NodeState, shard: usize) -> Rc<Messaging> {
    let config = &node.config;
    Messaging::new(MessagingConfig {
        cluster_name: config.cluster_name.clone(),
        listen_address: config.listen_address,
        storage_port: config.storage_port,
        host_id: node.host_id,
        nr_shards: node.nr_shards,
        shard,
    })
}

/// Publishes the executor's busy time since the last call (over `interval`).
fn sample_reactor(node: &NodeState, shard: usize, interval: Duration) {
    use std::sync::atomic::Ordering::Relaxed;
    let busy = glommio::executor().executor_stats().total_runtime();
    let metrics = &node.metrics[shard];
    metrics.reactor_busy_ns.fetch_add(busy.as_nanos() as u64, Relaxed);
    let ppm = (busy.as_nanos() * 1_000_000 / interval.as_nanos().max(1)).min(1_000_000);
    metrics.reactor_utilization_ppm.store(ppm as u64, Relaxed);
}

/// How often a shard that finished replay checks whether the others have.
const REPLAY_BARRIER_POLL_MS: u64 = 2;

/// glommio opens directories by absolute path only (a relative one fails with EBADF), and
/// the node never changes its working directory: resolve the configured paths once.
fn make_paths_absolute(config: &mut Config) -> Result<(), NodeError> {
    let absolute = |p: &Path| {
        std::path::absolute(p).map_err(|source| NodeError::DataDirectory { path: p.display().to_string(), source })
    };
    let data = absolute(config.data_directory())?;
    config.data_file_directories = vec![data];
    if let Some(dir) = &config.commitlog_directory {
        config.commitlog_directory = Some(absolute(dir)?);
    }
    if let Some(file) = &config.io_properties_file {
        config.io_properties_file = Some(absolute(file)?);
    }
    Ok(())
}

fn glommio_placement(placement: &ShardPlacement) -> Placement {
    match placement {
        ShardPlacement::Pinned(cpu) => Placement::Fixed(*cpu),
        ShardPlacement::Fenced(cpus) => match CpuSet::online() {
            Ok(set) => Placement::Fenced(set.filter(|l| cpus.contains(&l.cpu))),
            Err(_) => Placement::Unbound,
        },
    }
}

#[allow(unsafe_code)] // libc/fd calls; each `unsafe` block states its SAFETY
fn default_memory_bytes() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) }.max(0) as u64;
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(0) as u64;
    pages * page_size * limits::DEFAULT_MEMORY_FRACTION_PERCENT / 100
}

fn load_or_create_host_id(data_dir: &Path) -> Result<Uuid, NodeError> {
    let path = data_dir.join("host_id");
    let err = |source| NodeError::DataDirectory { path: path.display().to_string(), source };
    // Main thread, before the executors start: blocking I/O is fine here.
    match std::fs::read_to_string(&path) {
        Ok(text) => Uuid::parse_str(text.trim()).map_err(|e| err(std::io::Error::other(e))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let id = Uuid::new_v4();
            // Still the main thread at start-up.
            std::fs::write(&path, id.to_string()).map_err(err)?;
            Ok(id)
        }
        Err(e) => Err(err(e)),
    }
}

/// Every shard binds the ports with SO_REUSEPORT; a plain bind first makes sure no other
/// process holds them (SO_REUSEPORT would otherwise silently share them).
fn check_ports_free(config: &Config) -> Result<(), NodeError> {
    let rpc = config.rpc_address();
    let ports = [
        SocketAddr::new(rpc, config.native_transport_port),
        SocketAddr::new(rpc, config.native_shard_aware_transport_port),
        SocketAddr::new(rpc, config.prometheus_port),
        SocketAddr::new(config.listen_address, config.storage_port),
    ];
    for addr in ports {
        probe_bind_patiently(addr).map_err(|source| NodeError::Listen { addr, source })?;
    }
    Ok(())
}

/// A node stopped a moment ago still holds its listening sockets for a few milliseconds
/// after its process is gone (the kernel tears its io_uring rings down asynchronously), so
/// a supervisor restarting it at once would find its ports in use: a port in use is tried
/// again for this long before it is taken for a live process's.
const PORT_RELEASE_WAIT: Duration = Duration::from_secs(2);
/// Pause between two tries of a port in use.
const PORT_RETRY_INTERVAL: Duration = Duration::from_millis(10);

fn probe_bind_patiently(addr: SocketAddr) -> std::io::Result<()> {
    let deadline = std::time::Instant::now() + PORT_RELEASE_WAIT;
    loop {
        match probe_bind(addr) {
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && std::time::Instant::now() < deadline => {
                // Main thread, before the executors start: sleeping is fine here.
                std::thread::sleep(PORT_RETRY_INTERVAL);
            }
            result => return result,
        }
    }
}

/// Binds and listens without SO_REUSEPORT (fails if anyone listens there) but with
/// SO_REUSEADDR (so connections of a previous run in TIME_WAIT do not block a restart).
fn probe_bind(addr: SocketAddr) -> std::io::Result<()> {
    let socket = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1)
}

#[allow(unsafe_code)] // libc/fd calls; each `unsafe` block states its SAFETY
fn shutdown_signals() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data initialised by sigemptyset.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        set
    }
}

/// Blocks SIGINT/SIGTERM in this thread and every thread spawned after, so only the
/// signal-waiter thread receives them.
#[allow(unsafe_code)] // libc/fd calls; each `unsafe` block states its SAFETY
fn block_shutdown_signals() {
    let set = shutdown_signals();
    // SAFETY: valid signal set; affects only the calling thread's mask.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}

/// A plain thread (not an executor) that waits for SIGINT/SIGTERM and flags the shutdown.
#[allow(unsafe_code)] // libc/fd calls; each `unsafe` block states its SAFETY
fn spawn_signal_waiter(node: Arc<NodeState>) {
    std::thread::Builder::new()
        .name("percore-signals".into())
        .spawn(move || {
            let set = shutdown_signals();
            let mut signal = 0;
            // SAFETY: valid signal set and out-pointer.
            unsafe { libc::sigwait(&set, &mut signal) };
            tracing::info!("percore: signal {signal} received, shutting down");
            node.request_shutdown();
        })
        .map(drop)
        .unwrap_or_else(|e| tracing::error!("cannot start the signal thread: {e}"));
}

/// The commitlog's sync mode as `commitlog_sync` and `commitlog_sync_period_in_ms` set it.
fn commitlog_sync_mode(config: &Config) -> SyncMode {
    match config.commitlog_sync.as_str() {
        "batch" => SyncMode::Batch,
        _ => SyncMode::Periodic { period: Duration::from_millis(config.commitlog_sync_period_in_ms) },
    }
}
