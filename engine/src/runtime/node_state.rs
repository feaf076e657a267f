//! What every shard knows about the node: its configuration and identity (immutable), the
//! shutdown and drain flags, and each shard's published metrics. Shared read-mostly across
//! threads.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use uuid::Uuid;

use crate::config::Config;
use crate::runtime::metrics::ShardMetrics;

#[derive(Debug)]
pub struct NodeState {
    pub config: Config,
    pub nr_shards: usize,
    pub host_id: Uuid,
    /// Memory each shard may use, bytes.
    pub shard_memory_bytes: u64,
    pub metrics: Box<[ShardMetrics]>,
    /// This run's commitlog generation (greater than any segment found at start).
    pub commitlog_generation: u64,
    /// Compaction bandwidth of each shard, bytes/s (`None`: unlimited); see `io_scheduling`.
    pub compaction_bytes_per_second: Option<u64>,
    /// Shards that have finished replaying the commitlog (none serves clients before all).
    replayed_shards: AtomicUsize,
    shutdown: AtomicBool,
    /// When this process started (`nodetool info`: uptime, generation).
    pub started_at: std::time::SystemTime,
    /// `nodetool drain` asked the shards to stop listening for clients.
    drain: AtomicBool,
    /// Shards whose CQL listeners are open.
    listening_shards: AtomicUsize,
    /// Shard 0 has this node in the cluster (founded, joined or rejoined): the shards may
    /// open their CQL listeners.
    cluster_ready: AtomicBool,
}

impl NodeState {
    pub fn new(
        config: Config,
        nr_shards: usize,
        host_id: Uuid,
        shard_memory_bytes: u64,
        commitlog_generation: u64,
        compaction_bytes_per_second: Option<u64>,
    ) -> Arc<NodeState> {
        Arc::new(NodeState {
            config,
            nr_shards,
            host_id,
            shard_memory_bytes,
            metrics: (0..nr_shards).map(|_| ShardMetrics::default()).collect(),
            commitlog_generation,
            compaction_bytes_per_second,
            replayed_shards: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            started_at: std::time::SystemTime::now(),
            drain: AtomicBool::new(false),
            listening_shards: AtomicUsize::new(0),
            cluster_ready: AtomicBool::new(false),
        })
    }

    pub fn request_shutdown(&self) {
        self.shutdown.store(true, Ordering::Release);
    }

    pub fn shutdown_requested(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// Asks every shard to close its CQL listeners (`nodetool drain`).
    pub fn request_drain(&self) {
        self.drain.store(true, Ordering::Release);
    }

    pub fn drain_requested(&self) -> bool {
        self.drain.load(Ordering::Acquire)
    }

    /// A shard opened (`true`) or closed (`false`) its CQL listeners.
    pub fn mark_listening(&self, listening: bool) {
        if listening {
            self.listening_shards.fetch_add(1, Ordering::AcqRel);
        } else {
            self.listening_shards.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Shards whose CQL listeners are open (0 once drained).
    pub fn listening_shards(&self) -> usize {
        self.listening_shards.load(Ordering::Acquire)
    }

    pub fn mark_replayed(&self) {
        self.replayed_shards.fetch_add(1, Ordering::AcqRel);
    }

    pub fn all_replayed(&self) -> bool {
        self.replayed_shards.load(Ordering::Acquire) == self.nr_shards
    }

    pub fn mark_cluster_ready(&self) {
        self.cluster_ready.store(true, Ordering::Release);
    }

    pub fn cluster_ready(&self) -> bool {
        self.cluster_ready.load(Ordering::Acquire)
    }

    /// The shard with the fewest open connections (lowest id on ties).
    pub fn least_loaded_shard(&self) -> usize {
        (0..self.nr_shards).min_by_key(|&s| ShardMetrics::get(&self.metrics[s].cql_connections)).unwrap_or(0)
    }
}
