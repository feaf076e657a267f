//! The shard's table API — the only door into storage, as ScyllaDB's `replica::database`.
//!
//! One [`Replica`] per shard owns that shard's storage (memtables, SSTables, commitlog,
//! flush and compaction scheduling, truncation records, per-partition locks) and offers the
//! operations the layers above need, with typed results and errors ([`ReplicaError`]):
//! apply a mutation batch durably ([`apply`]: commitlog, memtable, flush trigger, index
//! entries), read a partition ([`Replica::read_partition`], [`Replica::read_merged`]), scan
//! the shard's token range ([`Replica::scan`]), lock a partition for read-modify-writes,
//! truncate, flush ([`flush_scheduler`]), compact ([`compaction_scheduler`]) and replay the
//! commitlog ([`replay`]). Nothing above this module touches a memtable, an SSTable set or
//! the commitlog.

pub mod apply;
pub mod compaction_activity;
pub mod compaction_scheduler;
mod error;
pub mod flush_scheduler;
pub mod index_entries;
mod memtable_room;
pub mod range_slice;
mod read;
pub mod replay;
mod scan;
pub mod slice;
pub mod stats;
pub mod table_metrics;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

pub use error::ReplicaError;
pub use scan::ScanEnd;

use crate::model::mutation::{ColumnId, PartitionPosition};
use crate::model::shard::shard_of;
use crate::model::token::Token;
use crate::runtime::mesh::ShardRouter;
use crate::runtime::metrics::ShardMetrics;
use crate::runtime::node_state::NodeState;
use crate::runtime::partition_locks::{PartitionGuard, PartitionLocks};
use crate::schema::{Schema, TableDef};
use crate::storage::bandwidth_limiter::BandwidthLimiter;
use crate::storage::commitlog::segment::SegmentName;
use crate::storage::commitlog::Commitlog;
use crate::storage::shard_store::TableStore;
use crate::storage::sstable::Compression;
use crate::storage::sstable_set::open_table_sstables;
use crate::storage::table_options::StorageOptions;
use crate::storage::truncation_record::TruncationRecord;
use crate::storage::ShardStore;
/// What reads hand their visitors: the storage's partition and row types.
pub use crate::storage::{Partition, Row};

use compaction_activity::CompactionActivity;
use compaction_scheduler::CompactionBacklog;
use memtable_room::MemtableRoom;
use table_metrics::TableMetrics;

/// Shares of the flush task queue (the default queue, serving requests, has 1000).
const FLUSH_QUEUE_SHARES: usize = 100;

/// One shard's storage and the operations on it. Lives in an `Rc` on its shard's executor.
pub struct Replica {
    pub id: usize,
    pub node: Arc<NodeState>,
    pub router: Rc<ShardRouter>,
    schema: RefCell<Arc<Schema>>,
    store: RefCell<ShardStore>,
    commitlog: Rc<Commitlog>,
    /// Tables with a flush in progress on this shard.
    flushing_tables: RefCell<ahash::AHashSet<uuid::Uuid>>,
    /// Low-priority task queue for flushes.
    flush_queue: glommio::TaskQueueHandle,
    /// Why the last flush failed, until one succeeds (a full disk): told to stalled writers.
    flush_failure: RefCell<Option<String>>,
    /// Writers waiting for memtable memory, woken when flushes or truncations free some.
    memtable_room: MemtableRoom,
    /// Tables with a compaction in progress on this shard.
    compacting_tables: RefCell<ahash::AHashSet<uuid::Uuid>>,
    /// Task queue for compactions, its shares following the backlog.
    compaction_queue: glommio::TaskQueueHandle,
    compaction_backlog: Rc<CompactionBacklog>,
    /// Paces this shard's compactions' disk I/O (`storage::io_scheduling`); its rate
    /// changes with `nodetool setcompactionthroughput`.
    compaction_limiter: BandwidthLimiter,
    /// Compactions running and finished (`nodetool compactionstats`, `compactionhistory`).
    compaction_activity: CompactionActivity,
    /// Tables whose background compactions `nodetool disableautocompaction` stopped.
    autocompaction_disabled: RefCell<ahash::AHashSet<uuid::Uuid>>,
    /// Per-table counters (`nodetool tablestats`).
    table_metrics: TableMetrics,
    /// Truncations as of start-up (replay skips what they cover).
    truncations_at_start: TruncationRecord,
    /// Truncations (kept up to date on the schema coordinator, which records them).
    truncations: RefCell<TruncationRecord>,
    /// Serializes read-modify-writes (counters, list indexes, LWT) per partition.
    partition_locks: PartitionLocks,
    /// Serialises this node's truncations (taken on shard 0; an async semaphore).
    pub truncate_lock: glommio::sync::Semaphore,
}

impl Replica {
    pub fn new(
        node: Arc<NodeState>,
        router: Rc<ShardRouter>,
        schema: Arc<Schema>,
        commitlog: Rc<Commitlog>,
        truncations_at_start: TruncationRecord,
    ) -> Rc<Replica> {
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
        Rc::new(Replica {
            id,
            node,
            router,
            schema: RefCell::new(schema),
            store: RefCell::new(ShardStore::default()),
            commitlog,
            flushing_tables: RefCell::new(Default::default()),
            flush_queue: glommio::executor().create_task_queue(
                glommio::Shares::Static(FLUSH_QUEUE_SHARES),
                glommio::Latency::NotImportant,
                "flush",
            ),
            flush_failure: RefCell::new(None),
            memtable_room: MemtableRoom::default(),
            compacting_tables: RefCell::new(Default::default()),
            compaction_queue,
            compaction_backlog,
            compaction_limiter,
            compaction_activity: CompactionActivity::default(),
            autocompaction_disabled: RefCell::new(Default::default()),
            table_metrics: TableMetrics::default(),
            truncations: RefCell::new(truncations_at_start.clone()),
            truncations_at_start,
            partition_locks: PartitionLocks::default(),
            truncate_lock: glommio::sync::Semaphore::new(1),
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

    /// Installs a new schema snapshot: the storage of tables it no longer has is dropped
    /// (their commitlog entries released, their SSTables deleted in the background).
    pub fn install_schema(&self, schema: Arc<Schema>) {
        let dropped = self.store.borrow_mut().retain_tables(|id| schema.table_by_id(id).is_some());
        for table in &dropped {
            self.commitlog.release(table.commitlog_counts());
        }
        self.table_metrics.forget_all_but(|id| schema.table_by_id(id).is_some());
        self.autocompaction_disabled.borrow_mut().retain(|id| schema.table_by_id(id).is_some());
        if !dropped.is_empty() {
            self.memtable_room.freed();
        }
        delete_dropped_sstables(dropped, self.flush_queue);
        *self.schema.borrow_mut() = schema;
    }

    /// The tables with storage on this shard, all or those in `only` (for nodetool).
    pub fn stored_tables(&self, only: Option<&[uuid::Uuid]>) -> Vec<Arc<TableDef>> {
        let ids = self.store.borrow().table_ids();
        let schema = self.schema();
        ids.into_iter()
            .filter(|id| only.is_none_or(|t| t.contains(id)))
            .filter_map(|id| schema.table_by_id(&id).cloned())
            .collect()
    }

    /// Serializes read-modify-writes of one partition on this shard (its owner).
    pub async fn lock_partition(&self, table: uuid::Uuid, position: &PartitionPosition) -> PartitionGuard<'_> {
        self.partition_locks.lock(table, position).await
    }

    /// Drops this shard's memtables and SSTables of a table; returns where this shard's
    /// commitlog entries after the truncation begin.
    pub async fn truncate(&self, table: uuid::Uuid) -> SegmentName {
        let sealed = self.commitlog.seal_active();
        let (released, sstables) = self.store.borrow_mut().truncate(&table);
        self.table_metrics.memtable_sealed(table);
        self.commitlog.release(released);
        self.memtable_room.freed();
        for sstable in sstables {
            crate::storage::sstable_set::delete_sstable(&sstable.reader).await;
        }
        self.refresh_storage_metrics();
        sealed
    }

    /// Records, durably, where each shard's entries after a table's truncation begin, so
    /// replay skips the truncated ones (done by the schema coordinator before acknowledging).
    pub async fn record_truncation(&self, table: uuid::Uuid, sealed: Vec<SegmentName>) -> Result<(), ReplicaError> {
        let record = {
            let mut record = self.truncations.borrow_mut();
            record.record(table, sealed);
            record.clone()
        };
        record.save(self.node.config.data_directory()).await.map_err(ReplicaError::TruncationRecord)
    }

    /// Opens every SSTable this shard reads, for every table of the schema (start-up).
    pub async fn open_sstables(&self) -> Result<usize, ReplicaError> {
        let schema = self.schema();
        let data_dir = self.node.config.data_directory().to_path_buf();
        let mut opened = 0;
        for table in schema.keyspaces().flat_map(|k| k.tables.values()).filter(|t| !t.is_virtual) {
            // Opened aside and added afterwards: other shards' replay may already be applying
            // mutations to this table's memtable meanwhile.
            let mut found = TableStore::default();
            let options = storage_options(table);
            opened += open_table_sstables(&data_dir, &options, self.id, self.nr_shards(), &mut found).await?;
            self.store.borrow_mut().table_mut(&table.id).adopt_opened(found);
        }
        self.refresh_storage_metrics();
        Ok(opened)
    }

    /// Starts the background compactions the tables' strategies ask for (after start-up).
    pub fn schedule_compactions(self: &Rc<Self>) {
        let tables = self.store.borrow().table_ids();
        for table in tables {
            compaction_scheduler::maybe_schedule_compaction(self, &table);
        }
    }

    /// Publishes storage gauges.
    pub fn refresh_storage_metrics(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        let metrics = self.metrics();
        let store = self.store.borrow();
        metrics.memtable_bytes.store(store.size_bytes() as u64, Relaxed);
        metrics.commitlog_segments.store(self.commitlog.segments_on_disk() as u64, Relaxed);
        metrics.sstables.store(store.sstable_count() as u64, Relaxed);
        metrics.compaction_throttled_ns.store(self.compaction_limiter.throttled().as_nanos() as u64, Relaxed);
    }

    /// Writes and syncs what the commitlog holds and refuses writes after (node shutdown).
    pub async fn shutdown(&self) {
        self.commitlog.shutdown().await;
    }
}

/// What storage needs to know of a table.
fn storage_options(table: &TableDef) -> StorageOptions {
    let o = &table.options.compression;
    let uncompressed = o.get("enabled").is_some_and(|v| v == "false")
        || o.get("sstable_compression").is_some_and(|v| v.is_empty())
        || o.is_empty();
    let dropped_columns = table
        .columns
        .iter()
        .enumerate()
        .filter_map(|(id, c)| c.dropped.map(|d| (id as ColumnId, d.timestamp)))
        .collect();
    StorageOptions {
        id: table.id,
        keyspace: table.keyspace.clone(),
        name: table.name.clone(),
        compression: if uncompressed { Compression::None } else { Compression::Lz4 },
        bloom_filter_fp_chance: table.options.bloom_filter_fp_chance,
        gc_grace_seconds: table.options.gc_grace_seconds,
        dropped_columns,
    }
}

/// Deletes the SSTables of dropped tables in the background (their readers may still
/// serve reads in flight: open files stay readable after the unlink).
fn delete_dropped_sstables(dropped: Vec<TableStore>, queue: glommio::TaskQueueHandle) {
    // Foreign SSTables too: every shard reading them deletes them; a repeated delete is a no-op.
    let sstables: Vec<_> = dropped.into_iter().flat_map(TableStore::into_sstables).collect();
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
