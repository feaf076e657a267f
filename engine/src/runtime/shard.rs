//! The context of one shard, shared by every task on that shard's executor (`Rc`, never
//! sent to another thread): the schema snapshot, the shard's storage, its prepared
//! statements, its event subscribers and its router to the other shards.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use crate::cql::events::EventSubscribers;
use crate::cql::prepared_cache::PreparedCache;
use crate::metrics::ShardMetrics;
use crate::model::shard::shard_of;
use crate::model::token::Token;
use crate::schema::Schema;
use crate::storage::bandwidth_limiter::BandwidthLimiter;
use crate::storage::commitlog::Commitlog;
use crate::storage::ShardStore;

use super::compaction_scheduler::CompactionBacklog;
use super::mesh::ShardRouter;
use super::node_state::NodeState;

/// Shares of the flush task queue (the default queue, serving requests, has 1000).
const FLUSH_QUEUE_SHARES: usize = 100;

pub struct Shard {
    pub id: usize,
    pub node: Arc<NodeState>,
    pub router: Rc<ShardRouter>,
    schema: RefCell<Arc<Schema>>,
    pub store: RefCell<ShardStore>,
    pub commitlog: Rc<Commitlog>,
    pub prepared: RefCell<PreparedCache>,
    pub events: RefCell<EventSubscribers>,
    /// Tables with a flush in progress on this shard.
    pub flushing_tables: RefCell<ahash::AHashSet<uuid::Uuid>>,
    /// Low-priority task queue for flushes.
    pub flush_queue: glommio::TaskQueueHandle,
    /// Why the last flush failed, until one succeeds (a full disk): told to stalled writers.
    pub flush_failure: RefCell<Option<String>>,
    /// Tables with a compaction in progress on this shard.
    pub compacting_tables: RefCell<ahash::AHashSet<uuid::Uuid>>,
    /// Task queue for compactions, its shares following the backlog.
    pub compaction_queue: glommio::TaskQueueHandle,
    pub compaction_backlog: Rc<CompactionBacklog>,
    /// Paces this shard's compactions' disk I/O (`runtime::io_scheduling`).
    pub compaction_limiter: BandwidthLimiter,
    /// Truncations (kept up to date on the schema coordinator, which records them).
    pub truncations: RefCell<crate::storage::truncation_record::TruncationRecord>,
    /// Serialises DDL on the schema coordinator (an async semaphore, not a thread lock).
    pub ddl_lock: glommio::sync::Semaphore,
    /// Serializes read-modify-writes (counters, list indexes, LWT) per partition.
    pub partition_locks: super::partition_locks::PartitionLocks,
    in_flight_requests: Cell<usize>,
}

impl Shard {
    pub fn new(
        node: Arc<NodeState>,
        router: Rc<ShardRouter>,
        schema: Arc<Schema>,
        commitlog: Rc<Commitlog>,
    ) -> Rc<Shard> {
        let truncations = RefCell::new(node.truncations_at_start.clone());
        let compaction_backlog = Rc::new(CompactionBacklog::default());
        let compaction_queue = glommio::executor().create_task_queue(
            glommio::Shares::Dynamic(compaction_backlog.clone()),
            glommio::Latency::NotImportant,
            "compaction",
        );
        let compaction_limiter = BandwidthLimiter::new(node.compaction_bytes_per_second);
        let id = router.shard_id();
        node.metrics[id]
            .compaction_bandwidth_limit
            .store(compaction_limiter.bytes_per_second().unwrap_or(0), std::sync::atomic::Ordering::Relaxed);
        Rc::new(Shard {
            id,
            node,
            router,
            schema: RefCell::new(schema),
            store: RefCell::new(ShardStore::default()),
            commitlog,
            prepared: RefCell::new(PreparedCache::default()),
            events: RefCell::new(EventSubscribers::default()),
            flushing_tables: RefCell::new(Default::default()),
            flush_queue: glommio::executor().create_task_queue(
                glommio::Shares::Static(FLUSH_QUEUE_SHARES),
                glommio::Latency::NotImportant,
                "flush",
            ),
            flush_failure: RefCell::new(None),
            compacting_tables: RefCell::new(Default::default()),
            compaction_queue,
            compaction_backlog,
            compaction_limiter,
            truncations,
            ddl_lock: glommio::sync::Semaphore::new(1),
            partition_locks: Default::default(),
            in_flight_requests: Cell::new(0),
        })
    }

    pub fn metrics(&self) -> &ShardMetrics {
        &self.node.metrics[self.id]
    }

    pub fn nr_shards(&self) -> usize {
        self.node.nr_shards
    }

    /// The shard that owns a token.
    pub fn owner_of(&self, token: Token) -> usize {
        shard_of(token, self.node.nr_shards, self.node.config.murmur3_partitioner_ignore_msb_bits)
    }

    /// The current schema snapshot (immutable; replaced whole on DDL).
    pub fn schema(&self) -> Arc<Schema> {
        self.schema.borrow().clone()
    }

    pub fn install_schema(&self, schema: Arc<Schema>) {
        let dropped = self.store.borrow_mut().retain_tables(|id| schema.table_by_id(id).is_some());
        for table in &dropped {
            self.commitlog.release(table.commitlog_counts());
        }
        delete_dropped_sstables(dropped, self.flush_queue);
        self.prepared.borrow_mut().clear();
        *self.schema.borrow_mut() = schema;
    }

    /// The tables with storage on this shard, all or those in `only` (for nodetool).
    pub fn stored_tables(&self, only: Option<&[uuid::Uuid]>) -> Vec<Arc<crate::schema::TableDef>> {
        let ids = self.store.borrow().table_ids();
        let schema = self.schema();
        ids.into_iter()
            .filter(|id| only.is_none_or(|t| t.contains(id)))
            .filter_map(|id| schema.table_by_id(&id).cloned())
            .collect()
    }

    /// Publishes the executor's busy time since the last call (over `interval`).
    pub fn sample_reactor(&self, interval: std::time::Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        let busy = glommio::executor().executor_stats().total_runtime();
        let metrics = self.metrics();
        metrics.reactor_busy_ns.fetch_add(busy.as_nanos() as u64, Relaxed);
        let ppm = (busy.as_nanos() * 1_000_000 / interval.as_nanos().max(1)).min(1_000_000);
        metrics.reactor_utilization_ppm.store(ppm as u64, Relaxed);
    }

    /// Publishes storage gauges.
    pub fn refresh_storage_metrics(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        let metrics = self.metrics();
        metrics.memtable_bytes.store(self.store.borrow().size_bytes() as u64, Relaxed);
        metrics.commitlog_segments.store(self.commitlog.segments_on_disk() as u64, Relaxed);
        metrics.sstables.store(self.store.borrow().sstable_count() as u64, Relaxed);
        metrics.compaction_throttled_ns.store(self.compaction_limiter.throttled().as_nanos() as u64, Relaxed);
    }

    /// Admits one more request if the shard is below its bound.
    pub fn try_admit_request(&self) -> Option<InFlightGuard<'_>> {
        let n = self.in_flight_requests.get();
        if n >= crate::limits::SHARD_IN_FLIGHT_REQUESTS_MAX {
            return None;
        }
        self.in_flight_requests.set(n + 1);
        Some(InFlightGuard { shard: self })
    }
}

/// Deletes the SSTables of dropped tables in the background (their readers may still
/// serve reads in flight: open files stay readable after the unlink).
fn delete_dropped_sstables(dropped: Vec<crate::storage::shard_store::TableStore>, queue: glommio::TaskQueueHandle) {
    // Foreign SSTables too: every shard reading them deletes them; a repeated delete is a no-op.
    let sstables: Vec<_> = dropped.into_iter().flat_map(|t| t.sstables).collect();
    if sstables.is_empty() {
        return;
    }
    let task = async move {
        for sstable in sstables {
            crate::storage::sstable_set::delete_sstable(&sstable.reader).await;
        }
    };
    match glommio::spawn_local_into(task, queue) {
        Ok(t) => {
            t.detach();
        }
        Err(e) => tracing::error!("cannot delete the SSTables of dropped tables: {e}"),
    }
}

/// Counts a request as in flight on its shard until dropped.
pub struct InFlightGuard<'a> {
    shard: &'a Shard,
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        let n = self.shard.in_flight_requests.get();
        debug_assert!(n > 0);
        self.shard.in_flight_requests.set(n - 1);
    }
}
