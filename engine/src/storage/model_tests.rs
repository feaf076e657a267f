//! Model test of one table's storage on one shard: random writes (cells and cell
//! tombstones, row markers, static cells, row, range and partition deletions, and writes
//! that deliberately meet an earlier one at its timestamp) logged to the commitlog and
//! applied to the memtable; memtable seals and flushes to SSTables (in any order); and
//! compactions (major, the size-tiered pick, the newest SSTable alone, arbitrary subsets).
//! After every step each partition read as the engine reads it (the SSTables that may hold
//! it, the sealed memtables and the active one, merged) must show what a `BTreeMap` model
//! under Cassandra's last-write-wins rules shows, and each memtable's byte accounting must
//! equal the footprint of what it holds.
//!
//! Two regimes. Colliding timestamps in any order, tombstones kept (`gc_grace_seconds` far
//! away): every reconciliation tie happens, and compaction drops shadowed data only.
//! Increasing timestamps with `gc_grace_seconds = 0`: compaction also purges tombstones,
//! which must never let data they shadow reappear (later writes are newer, so the model
//! needs no notion of purging). Cells have no TTL: expiry is not modelled.
//!
//! The storage API is reached only through the helpers in the first section below.
//! Cases: `PROPTEST_CASES` (default [`DEFAULT_CASES`]), at most [`MAX_OPS`] operations each.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;
use uuid::Uuid;

use crate::model::cell::{Cell, DeletionTime, EpochSeconds, Liveness, WriteTimestamp, NEVER_EXPIRES};
use crate::model::mutation::{
    ClusteringBound, ClusteringKey, ClusteringRange, ColumnId, Mutation, PartitionPosition, RowUpdate,
};
use crate::model::token::{serialize_partition_key, token_of};
use crate::storage::bandwidth_limiter::BandwidthLimiter;
use crate::storage::commitlog::{Commitlog, CommitlogConfig, SyncMode};
use crate::storage::compaction::executor::run_job;
use crate::storage::compaction::{CompactionJob, CompactionStrategy, SstableSummary};
use crate::storage::flush::{seal, write_sealed, SealedMemtable};
use crate::storage::memtable::Memtable;
use crate::storage::partition::{Partition, Row};
use crate::storage::shard_store::ShardStore;
use crate::storage::sstable::test_support::{run, TestDir};
use crate::storage::sstable::Compression;
use crate::storage::table_options::StorageOptions;

// ---------------------------------------------------------------------------------------
// Storage entry points: the only calls into the storage API. Adapt them here.
// ---------------------------------------------------------------------------------------

/// The table as storage sees it (the cells' column ids need no definitions).
fn table_def(gc_grace_seconds: i32) -> StorageOptions {
    StorageOptions {
        id: Uuid::from_u128(TABLE_ID),
        keyspace: "ks".into(),
        name: "model".into(),
        compression: Compression::Lz4,
        bloom_filter_fp_chance: 0.01,
        gc_grace_seconds,
        dropped_columns: vec![],
    }
}

/// The commitlog the writes go to (periodic: acknowledged without fdatasync).
fn start_commitlog(dir: &Path) -> Rc<Commitlog> {
    Commitlog::start(CommitlogConfig {
        directory: dir.to_path_buf(),
        shard: 0,
        generation: 1,
        segment_bytes: COMMITLOG_SEGMENT_BYTES,
        mode: SyncMode::Periodic { period: Duration::from_secs(3600) },
    })
}

/// A write as the engine makes it: logged first, then applied to the active memtable.
async fn write(store: &RefCell<ShardStore>, log: &Commitlog, mutation: Mutation) -> Result<(), String> {
    let segment = log.append(COMMITLOG_ENTRY, 1).await.map_err(|e| format!("commitlog append: {e}"))?;
    store.borrow_mut().apply(mutation, Some(segment));
    Ok(())
}

/// Seals the active memtable; `None` when it is empty.
fn seal_memtable(store: &RefCell<ShardStore>, dir: &Path, table: &StorageOptions) -> Option<SealedMemtable> {
    seal(store, dir, table)
}

/// Writes a sealed memtable as an SSTable and swaps it in (releasing its commitlog segments).
async fn flush_sealed(
    store: &RefCell<ShardStore>,
    log: &Rc<Commitlog>,
    dir: &Path,
    table: &StorageOptions,
    sealed: &SealedMemtable,
) -> Result<(), String> {
    write_sealed(store, log, dir, table, sealed).await.map(|_| ()).map_err(|e| format!("flush: {e}"))
}

/// The table's SSTables as the compaction strategies see them.
fn sstable_summaries(store: &RefCell<ShardStore>, table: &StorageOptions) -> Vec<SstableSummary> {
    let store = store.borrow();
    let Some(t) = store.table(&table.id) else { return vec![] };
    t.own_sstable_summaries()
}

/// Runs a compaction job; it must apply (nothing else moves SSTables meanwhile).
async fn compact(
    store: &RefCell<ShardStore>,
    table: &StorageOptions,
    job: &CompactionJob,
    now: EpochSeconds,
) -> Result<(), String> {
    match run_job(store, table, job, now, &BandwidthLimiter::unlimited()).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(format!("compaction {job:?} did not apply")),
        Err(e) => Err(format!("compaction {job:?}: {e}")),
    }
}

/// The partition as a read sees it: the SSTables that may hold it, then the sealed
/// memtables and the active one, merged (as `read_merged` in the read path does).
async fn read(
    store: &RefCell<ShardStore>,
    table: &StorageOptions,
    position: &PartitionPosition,
) -> Result<Partition, String> {
    let readers: Vec<_> = match store.borrow().table(&table.id) {
        Some(t) => t.sstables.iter().filter(|s| s.may_hold(position)).map(|s| s.reader.clone()).collect(),
        None => return Ok(Partition::default()),
    };
    let mut merged = Partition::default();
    for reader in readers {
        if let Some(p) = reader.read_partition(position).await.map_err(|e| format!("read: {e}"))? {
            merged.merge(p);
        }
    }
    let store = store.borrow();
    if let Some(t) = store.table(&table.id) {
        for p in t.flushing.iter().filter_map(|m| m.partition(position)).chain(t.active.partition(position)) {
            merged.merge(p.to_owned_copy());
        }
    }
    Ok(merged)
}

/// Empties the table and closes its SSTables' files (a file only dropped is closed by a later
/// I/O cycle of its executor, which ends with the test case).
async fn close_table(store: &RefCell<ShardStore>, table: &StorageOptions) {
    let (_, sstables) = store.borrow_mut().truncate(&table.id);
    for sstable in sstables {
        if let Ok(reader) = Rc::try_unwrap(sstable.reader) {
            reader.close().await;
        }
    }
}

/// Checks `check` against the table's memtables (active and sealed).
fn for_each_memtable(
    store: &RefCell<ShardStore>,
    table: &StorageOptions,
    check: impl FnMut(&Memtable) -> Result<(), String>,
) -> Result<(), String> {
    let store = store.borrow();
    let Some(t) = store.table(&table.id) else { return Ok(()) };
    std::iter::once(&t.active).chain(t.flushing.iter().map(|m| m.as_ref())).try_for_each(check)
}

// ---------------------------------------------------------------------------------------
// Limits and shapes of the generated operations.
// ---------------------------------------------------------------------------------------

/// Cases per property unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 32;
const TABLE_ID: u128 = 0x5eed;
const MAX_OPS: usize = 40;
const PARTITIONS: u8 = 4;
const CLUSTERING_KEYS: u8 = 5;
const STATIC_COLUMN: ColumnId = 0;
const REGULAR_COLUMNS: std::ops::RangeInclusive<ColumnId> = 1..=3;
/// Cells one write sets at most.
const CELLS_MAX: usize = 2;
/// Timestamps of the colliding regime: few, so ties are frequent.
const TIMESTAMPS: std::ops::RangeInclusive<WriteTimestamp> = 1..=6;
/// Values: the empty value (live, not null) and values ordered by bytes, one a prefix.
const VALUES: [&[u8]; 4] = [b"", b"a", b"ab", b"b"];
/// "Now" for local deletion times and reads.
const NOW: EpochSeconds = 1_700_000_000;
/// Compactions run a second later: with `gc_grace_seconds = 0` every tombstone is old enough.
const COMPACTION_NOW: EpochSeconds = NOW + 1;
const KEEP_TOMBSTONES_GC_GRACE: i32 = 864_000;
const PURGE_GC_GRACE: i32 = 0;
const COMMITLOG_SEGMENT_BYTES: u64 = 1 << 20;
/// The commitlog entry of every write (the model test replays nothing).
const COMMITLOG_ENTRY: &[u8] = b"model-test-entry";
/// `min_threshold` of the size-tiered strategy whose picks are run.
const PICK_MIN_THRESHOLD: &str = "2";

type Value = Vec<u8>;

#[derive(Debug, Clone)]
enum Op {
    /// Row `ck` of `pk`: cells (None: a cell tombstone), with an INSERT's row marker or not.
    Write {
        pk: u8,
        ck: u8,
        marker: bool,
        cells: BTreeMap<ColumnId, Option<Value>>,
        ts: WriteTimestamp,
    },
    WriteStatic {
        pk: u8,
        value: Option<Value>,
        ts: WriteTimestamp,
    },
    DeleteRow {
        pk: u8,
        ck: u8,
        ts: WriteTimestamp,
    },
    DeleteRange {
        pk: u8,
        start: Bound<u8>,
        end: Bound<u8>,
        ts: WriteTimestamp,
    },
    DeletePartition {
        pk: u8,
        ts: WriteTimestamp,
    },
    /// Seal the active memtable (it stays readable until flushed).
    Seal,
    /// Flush one of the sealed memtables (sealing the active one if none is): usually the
    /// oldest, but concurrent flushes, or a failed one waiting for its retry, may finish
    /// in any order.
    Flush(proptest::sample::Index),
    CompactMajor,
    CompactPick,
    /// Compact the SSTables whose index (by generation) is set in the mask.
    CompactSubset(u8),
    /// Compact the newest SSTable alone (as a tombstone compaction would): its tombstones
    /// may be older than data in other SSTables.
    CompactNewest,
    /// Acts again on what an earlier write or deletion touched, with its timestamp: ties
    /// (colliding regime) or overwrites and deletions of live data (increasing regime),
    /// which independent random operations rarely make.
    Again {
        of: proptest::sample::Index,
        action: Again,
    },
}

#[derive(Debug, Clone)]
enum Again {
    /// Write this value (None: a cell tombstone) to the cells (or row) it touched.
    Write(Option<Value>),
    DeleteRow,
    DeletePartition,
}

impl Op {
    /// The timestamp of a write or deletion.
    fn timestamp(&self) -> Option<WriteTimestamp> {
        match self {
            Op::Write { ts, .. }
            | Op::WriteStatic { ts, .. }
            | Op::DeleteRow { ts, .. }
            | Op::DeleteRange { ts, .. }
            | Op::DeletePartition { ts, .. } => Some(*ts),
            _ => None,
        }
    }

    /// The partition and row a write or deletion touched (0 for partition-level ones).
    fn target(&self) -> (u8, u8) {
        match self {
            Op::Write { pk, ck, .. } | Op::DeleteRow { pk, ck, .. } => (*pk, *ck),
            Op::DeleteRange { pk, start: Bound::Included(ck) | Bound::Excluded(ck), .. } => (*pk, *ck),
            Op::WriteStatic { pk, .. } | Op::DeleteRange { pk, .. } | Op::DeletePartition { pk, .. } => (*pk, 0),
            other => unreachable!("{other:?} touches no data"),
        }
    }

    /// `action` on what this write or deletion touched, with its timestamp.
    fn again(&self, action: &Again) -> Op {
        let ((pk, ck), ts) = (self.target(), self.timestamp().expect("a write or deletion"));
        match (action, self) {
            (Again::Write(value), Op::Write { marker, cells, .. }) => {
                let cells = cells.keys().map(|c| (*c, value.clone())).collect();
                Op::Write { pk, ck, marker: *marker, cells, ts }
            }
            (Again::Write(value), Op::WriteStatic { .. }) => Op::WriteStatic { pk, value: value.clone(), ts },
            (Again::Write(value), _) => {
                let cells = REGULAR_COLUMNS.take(1).map(|c| (c, value.clone())).collect();
                Op::Write { pk, ck, marker: true, cells, ts }
            }
            (Again::DeleteRow, _) => Op::DeleteRow { pk, ck, ts },
            (Again::DeletePartition, _) => Op::DeletePartition { pk, ts },
        }
    }
}

fn arb_value() -> impl Strategy<Value = Value> {
    proptest::sample::select(VALUES.to_vec()).prop_map(<[u8]>::to_vec)
}

fn arb_bound() -> impl Strategy<Value = Bound<u8>> {
    prop_oneof![
        Just(Bound::Unbounded),
        (0..CLUSTERING_KEYS).prop_map(Bound::Included),
        (0..CLUSTERING_KEYS).prop_map(Bound::Excluded),
    ]
}

fn arb_write() -> impl Strategy<Value = Op> {
    let cells = proptest::collection::btree_map(REGULAR_COLUMNS, proptest::option::of(arb_value()), 0..=CELLS_MAX);
    (0..PARTITIONS, 0..CLUSTERING_KEYS, any::<bool>(), cells, TIMESTAMPS)
        .prop_map(|(pk, ck, marker, cells, ts)| Op::Write { pk, ck, marker, cells, ts })
}

fn arb_again() -> impl Strategy<Value = Again> {
    prop_oneof![
        3 => proptest::option::of(arb_value()).prop_map(Again::Write),
        1 => Just(Again::DeleteRow),
        1 => Just(Again::DeletePartition),
    ]
}

fn arb_op() -> impl Strategy<Value = Op> {
    let pk = 0..PARTITIONS;
    prop_oneof![
        8 => arb_write(),
        2 => (pk.clone(), proptest::option::of(arb_value()), TIMESTAMPS)
            .prop_map(|(pk, value, ts)| Op::WriteStatic { pk, value, ts }),
        2 => (pk.clone(), 0..CLUSTERING_KEYS, TIMESTAMPS).prop_map(|(pk, ck, ts)| Op::DeleteRow { pk, ck, ts }),
        2 => (pk.clone(), arb_bound(), arb_bound(), TIMESTAMPS)
            .prop_map(|(pk, start, end, ts)| Op::DeleteRange { pk, start, end, ts }),
        1 => (pk, TIMESTAMPS).prop_map(|(pk, ts)| Op::DeletePartition { pk, ts }),
        1 => Just(Op::Seal),
        4 => any::<proptest::sample::Index>().prop_map(Op::Flush),
        1 => Just(Op::CompactMajor),
        2 => Just(Op::CompactPick),
        2 => any::<u8>().prop_map(Op::CompactSubset),
        2 => Just(Op::CompactNewest),
        5 => (any::<proptest::sample::Index>(), arb_again()).prop_map(|(of, action)| Op::Again { of, action }),
    ]
}

// ---------------------------------------------------------------------------------------
// The model: what each cell, row and partition holds, reconciled by last write wins.
// ---------------------------------------------------------------------------------------

/// A cell version: a value, or a tombstone (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    ts: WriteTimestamp,
    value: Option<Value>,
}

impl Version {
    /// Cassandra's rule for cells without TTL (`Cell::supersedes`): the higher timestamp;
    /// on a tie a tombstone over a live cell, and of two live cells the greater value.
    fn wins_over(&self, old: &Version) -> bool {
        if self.ts != old.ts {
            return self.ts > old.ts;
        }
        match (&self.value, &old.value) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(new), Some(old)) => new >= old,
        }
    }
}

fn reconcile(slot: &mut Option<Version>, new: Version) {
    if slot.as_ref().is_none_or(|old| new.wins_over(old)) {
        *slot = Some(new);
    }
}

/// The later of two deletions (or markers).
fn latest(slot: &mut Option<WriteTimestamp>, ts: WriteTimestamp) {
    *slot = Some(slot.map_or(ts, |old| old.max(ts)));
}

#[derive(Debug, Default)]
struct ModelRow {
    marker: Option<WriteTimestamp>,
    deletion: Option<WriteTimestamp>,
    cells: BTreeMap<ColumnId, Option<Version>>,
}

#[derive(Debug, Default)]
struct ModelPartition {
    deletion: Option<WriteTimestamp>,
    static_cell: Option<Version>,
    rows: BTreeMap<u8, ModelRow>,
    ranges: Vec<(Bound<u8>, Bound<u8>, WriteTimestamp)>,
}

fn range_covers(start: &Bound<u8>, end: &Bound<u8>, ck: u8) -> bool {
    let after_start = match start {
        Bound::Unbounded => true,
        Bound::Included(s) => ck >= *s,
        Bound::Excluded(s) => ck > *s,
    };
    let before_end = match end {
        Bound::Unbounded => true,
        Bound::Included(e) => ck <= *e,
        Bound::Excluded(e) => ck < *e,
    };
    after_start && before_end
}

/// What a read shows of a partition: live static value, and live rows with their live cells.
#[derive(Debug, Default, PartialEq, Eq)]
struct View {
    static_value: Option<Value>,
    rows: BTreeMap<u8, BTreeMap<ColumnId, Value>>,
}

impl ModelPartition {
    fn view(&self) -> View {
        let shadowed = |deletion: Option<WriteTimestamp>, ts: WriteTimestamp| deletion.is_some_and(|d| ts <= d);
        let static_value =
            self.static_cell.as_ref().filter(|c| !shadowed(self.deletion, c.ts)).and_then(|c| c.value.clone());
        let mut rows = BTreeMap::new();
        for (ck, row) in &self.rows {
            let mut deletion = self.deletion.max(row.deletion);
            for (start, end, ts) in &self.ranges {
                if range_covers(start, end, *ck) {
                    deletion = deletion.max(Some(*ts));
                }
            }
            let cells: BTreeMap<ColumnId, Value> = row
                .cells
                .iter()
                .filter_map(|(column, v)| {
                    let v = v.as_ref()?;
                    v.value.clone().filter(|_| !shadowed(deletion, v.ts)).map(|value| (*column, value))
                })
                .collect();
            if row.marker.is_some_and(|m| !shadowed(deletion, m)) || !cells.is_empty() {
                rows.insert(*ck, cells);
            }
        }
        View { static_value, rows }
    }
}

/// The same view of a stored partition, through the storage's own row helpers.
fn storage_view(p: &Partition) -> View {
    let static_value = p.static_row.live_cell(STATIC_COLUMN, p.deletion, NOW).and_then(|c| c.value.clone());
    let mut rows = BTreeMap::new();
    for (key, row) in &p.rows {
        let deletion = row.effective_deletion(p.deletion_for(key));
        if !row.is_live(deletion, NOW) {
            continue;
        }
        let cells = REGULAR_COLUMNS
            .filter_map(|column| {
                row.live_cell(column, deletion, NOW).and_then(|c| c.value.clone()).map(|v| (column, v))
            })
            .map(|(column, v)| (column, v.to_vec()))
            .collect();
        rows.insert(key[0], cells);
    }
    View { static_value: static_value.map(|v| v.to_vec()), rows }
}

// ---------------------------------------------------------------------------------------
// Translating operations into mutations.
// ---------------------------------------------------------------------------------------

fn position(pk: u8) -> PartitionPosition {
    let mut key = Vec::new();
    serialize_partition_key(&[format!("p{pk}").as_bytes()], &mut key);
    PartitionPosition { token: token_of(&key), key: Bytes::from(key) }
}

/// One byte per clustering key: byte order is key order.
fn clustering(ck: u8) -> ClusteringKey {
    ClusteringKey { sort_key: Bytes::from(vec![ck]), values: vec![Bytes::from(vec![ck])] }
}

fn storage_bound(b: &Bound<u8>) -> ClusteringBound {
    match b {
        Bound::Unbounded => ClusteringBound::Unbounded,
        Bound::Included(k) => ClusteringBound::Inclusive(Bytes::from(vec![*k])),
        Bound::Excluded(k) => ClusteringBound::Exclusive(Bytes::from(vec![*k])),
    }
}

fn deletion(ts: WriteTimestamp) -> DeletionTime {
    DeletionTime { marked_at: ts, local_deletion_time: NOW }
}

fn cell(ts: WriteTimestamp, value: &Option<Value>) -> Cell {
    match value {
        Some(v) => Cell::live(ts, Bytes::copy_from_slice(v), 0, NOW),
        None => Cell::tombstone(ts, NOW),
    }
}

/// The mutation of a write operation (with its timestamp replaced by `ts`), applied to the
/// model too; `None` for operations that are not writes.
fn mutation(op: &Op, ts: WriteTimestamp, model: &mut BTreeMap<u8, ModelPartition>) -> Option<Mutation> {
    let pk = match op {
        Op::Write { pk, .. }
        | Op::WriteStatic { pk, .. }
        | Op::DeleteRow { pk, .. }
        | Op::DeleteRange { pk, .. }
        | Op::DeletePartition { pk, .. } => *pk,
        _ => return None,
    };
    let mut m = Mutation::new(Uuid::from_u128(TABLE_ID), position(pk));
    let p = model.entry(pk).or_default();
    match op {
        Op::Write { ck, marker, cells, .. } => {
            let row = p.rows.entry(*ck).or_default();
            if *marker {
                latest(&mut row.marker, ts);
            }
            for (column, value) in cells {
                reconcile(row.cells.entry(*column).or_default(), Version { ts, value: value.clone() });
            }
            m.rows.push(RowUpdate {
                clustering: clustering(*ck),
                marker: marker.then_some(Liveness { timestamp: ts, ttl_seconds: 0, expires_at: NEVER_EXPIRES }),
                deletion: None,
                cells: cells.iter().map(|(column, value)| (*column, cell(ts, value))).collect(),
            });
        }
        Op::WriteStatic { value, .. } => {
            reconcile(&mut p.static_cell, Version { ts, value: value.clone() });
            m.static_cells.push((STATIC_COLUMN, cell(ts, value)));
        }
        Op::DeleteRow { ck, .. } => {
            latest(&mut p.rows.entry(*ck).or_default().deletion, ts);
            m.rows.push(RowUpdate {
                clustering: clustering(*ck),
                marker: None,
                deletion: Some(deletion(ts)),
                cells: vec![],
            });
        }
        Op::DeleteRange { start, end, .. } => {
            p.ranges.push((*start, *end, ts));
            let range = ClusteringRange { start: storage_bound(start), end: storage_bound(end) };
            m.range_deletions.push((range, deletion(ts)));
        }
        Op::DeletePartition { .. } => {
            latest(&mut p.deletion, ts);
            m.partition_deletion = Some(deletion(ts));
        }
        _ => unreachable!("not a write"),
    }
    Some(m)
}

// ---------------------------------------------------------------------------------------
// Running a sequence of operations against storage and the model.
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Regime {
    /// The generated timestamps (colliding, in any order); tombstones are never purged.
    CollidingTimestamps,
    /// Each write newer than the last; compaction purges tombstones.
    IncreasingTimestampsWithPurge,
}

impl Regime {
    fn gc_grace_seconds(self) -> i32 {
        match self {
            Regime::CollidingTimestamps => KEEP_TOMBSTONES_GC_GRACE,
            Regime::IncreasingTimestampsWithPurge => PURGE_GC_GRACE,
        }
    }

    fn timestamp(self, op: &Op, step: usize) -> WriteTimestamp {
        match (self, op.timestamp()) {
            (Regime::CollidingTimestamps, Some(ts)) => ts,
            _ => step as WriteTimestamp + 1,
        }
    }
}

/// The footprint `Memtable::apply` accounts for what a memtable holds.
fn footprint(m: &Memtable) -> usize {
    let row = |r: &Row| r.cells.iter().map(|(_, c)| c.size_bytes()).sum::<usize>();
    m.partitions_from(None)
        .map(|(_, p)| {
            std::mem::size_of::<Partition>()
                + row(&p.static_row)
                + p.range_deletions.len() * std::mem::size_of::<(ClusteringRange, DeletionTime)>()
                + p.rows
                    .values()
                    .map(|r| std::mem::size_of::<Row>() + r.clustering.iter().map(|v| v.len()).sum::<usize>() + row(r))
                    .sum::<usize>()
        })
        .sum()
}

async fn check(
    store: &RefCell<ShardStore>,
    table: &StorageOptions,
    model: &BTreeMap<u8, ModelPartition>,
) -> Result<(), String> {
    for pk in 0..PARTITIONS {
        let stored = storage_view(&read(store, table, &position(pk)).await?);
        let expected = model.get(&pk).map(ModelPartition::view).unwrap_or_default();
        if stored != expected {
            return Err(format!("partition {pk}: storage reads {stored:?}, the model {expected:?}"));
        }
    }
    for_each_memtable(store, table, |m| {
        let (accounted, held) = (m.size_bytes(), footprint(m));
        (accounted == held).then_some(()).ok_or(format!("memtable accounts {accounted} bytes for {held}"))
    })
}

/// Applies `op` to storage (and, for writes, to the model).
async fn step(
    ctx: &Context,
    sealed: &mut VecDeque<SealedMemtable>,
    model: &mut BTreeMap<u8, ModelPartition>,
    op: &Op,
    ts: WriteTimestamp,
) -> Result<(), String> {
    let (store, table) = (&ctx.store, &ctx.table);
    let job = match op {
        Op::Seal => {
            sealed.extend(seal_memtable(store, &ctx.sstables, table));
            return Ok(());
        }
        Op::Flush(which) => {
            if sealed.is_empty() {
                sealed.extend(seal_memtable(store, &ctx.sstables, table));
            }
            if !sealed.is_empty() {
                let flushed = sealed.remove(which.index(sealed.len())).expect("a sealed memtable");
                flush_sealed(store, &ctx.commitlog, &ctx.sstables, table, &flushed).await?;
            }
            return Ok(());
        }
        Op::CompactMajor => CompactionStrategy::default().major(&sstable_summaries(store, table)),
        Op::CompactPick => {
            let options = BTreeMap::from([
                ("class".to_string(), "SizeTieredCompactionStrategy".to_string()),
                ("min_threshold".to_string(), PICK_MIN_THRESHOLD.to_string()),
            ]);
            let strategy = CompactionStrategy::from_options(&options).map_err(|e| e.to_string())?;
            strategy.pick(&sstable_summaries(store, table), 0)
        }
        Op::CompactNewest => sstable_summaries(store, table)
            .iter()
            .map(|s| s.generation)
            .max()
            .map(|newest| CompactionJob { inputs: vec![newest], output_level: 0, max_output_bytes: None }),
        Op::CompactSubset(mask) => {
            let mut generations: Vec<_> = sstable_summaries(store, table).iter().map(|s| s.generation).collect();
            generations.sort_unstable();
            let inputs: Vec<_> = generations
                .into_iter()
                .enumerate()
                .filter(|(i, _)| *i < 8 && mask & (1 << i) != 0)
                .map(|(_, g)| g)
                .collect();
            (!inputs.is_empty()).then_some(CompactionJob { inputs, output_level: 0, max_output_bytes: None })
        }
        write_op => {
            let m = mutation(write_op, ts, model).expect("a write");
            return write(store, &ctx.commitlog, m).await;
        }
    };
    match job {
        Some(job) => compact(store, table, &job, COMPACTION_NOW).await,
        None => Ok(()),
    }
}

struct Context {
    store: RefCell<ShardStore>,
    table: StorageOptions,
    commitlog: Rc<Commitlog>,
    sstables: PathBuf,
}

fn run_ops(regime: Regime, ops: Vec<Op>) -> Result<(), String> {
    let dir = TestDir::new("storage-model");
    let base = dir.path().to_path_buf();
    run(move || async move {
        let commitlog_dir = base.join("commitlog");
        std::fs::create_dir(&commitlog_dir).map_err(|e| e.to_string())?;
        let ctx = Context {
            store: RefCell::new(ShardStore::default()),
            table: table_def(regime.gc_grace_seconds()),
            commitlog: start_commitlog(&commitlog_dir),
            sstables: base.join("sstables"),
        };
        let mut model = BTreeMap::new();
        let mut sealed = VecDeque::new();
        // The writes and deletions so far, for `Op::Again`.
        let mut written: Vec<Op> = Vec::new();
        let mut outcome = Ok(());
        for (i, op) in ops.into_iter().enumerate() {
            let op = match op {
                Op::Again { of, action } if !written.is_empty() => written[of.index(written.len())].again(&action),
                Op::Again { .. } => continue,
                op => op,
            };
            if op.timestamp().is_some() {
                written.push(op.clone());
            }
            let ts = regime.timestamp(&op, i);
            outcome = match step(&ctx, &mut sealed, &mut model, &op, ts).await {
                Ok(()) => check(&ctx.store, &ctx.table, &model).await,
                Err(e) => Err(e),
            };
            if let Err(e) = outcome {
                outcome = Err(format!("after step {i} ({op:?}, timestamp {ts}): {e}"));
                break;
            }
        }
        sealed.clear();
        close_table(&ctx.store, &ctx.table).await;
        ctx.commitlog.shutdown().await;
        outcome
    })
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn reads_match_the_model_with_colliding_timestamps(ops in proptest::collection::vec(arb_op(), 1..=MAX_OPS)) {
        run_ops(Regime::CollidingTimestamps, ops).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn reads_match_the_model_when_compaction_purges_tombstones(ops in proptest::collection::vec(arb_op(), 1..=MAX_OPS)) {
        run_ops(Regime::IncreasingTimestampsWithPurge, ops).map_err(TestCaseError::fail)?;
    }
}
