//! Compaction executor tests on real SSTables through glommio: merged output equals the
//! reconciled inputs, tombstones stay while older data lies outside the compaction, sized
//! outputs do not overlap, and a compaction log left by a crash is finished at start-up.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use bytes::Bytes;
use uuid::Uuid;

use crate::model::cell::{Cell, DeletionTime, Liveness, NEVER_EXPIRES};
use crate::model::mutation::{ClusteringKey, Mutation, PartitionPosition, RowUpdate};
use crate::model::token::{serialize_partition_key, token_of};
use crate::storage::memtable::Memtable;
use crate::storage::shard_store::{OpenSstable, ShardStore};
use crate::storage::sstable::compaction_log::write_log;
use crate::storage::sstable::test_support::{assert_partitions_eq, run, TestDir};
use crate::storage::sstable::{
    remove_incomplete, Compression, Generation, SstableReader, SstableWriter, SstableWriterOptions,
};
use crate::storage::table_options::StorageOptions;

use super::executor::run_job;
use super::purge::{purge_partition, PurgeLimits};
use super::CompactionJob;
use crate::storage::bandwidth_limiter::BandwidthLimiter;

const NOW: u32 = 1_700_000_000;

fn table(gc_grace_seconds: i32) -> StorageOptions {
    StorageOptions {
        id: Uuid::from_u128(7),
        keyspace: "ks".into(),
        name: "t".into(),
        compression: Compression::Lz4,
        bloom_filter_fp_chance: 0.01,
        gc_grace_seconds,
        dropped_columns: vec![],
    }
}

fn position(i: usize) -> PartitionPosition {
    let mut key = Vec::new();
    serialize_partition_key(&[format!("k{i}").as_bytes()], &mut key);
    PartitionPosition { token: token_of(&key), key: Bytes::from(key) }
}

fn row(ck: usize, ts: i64, value: &str) -> RowUpdate {
    RowUpdate {
        clustering: ClusteringKey { sort_key: Bytes::from(format!("\x01{ck:06}\x00")), values: vec![] },
        marker: Some(Liveness { timestamp: ts, ttl_seconds: 0, expires_at: NEVER_EXPIRES }),
        deletion: None,
        cells: vec![(1, Cell::live(ts, Bytes::copy_from_slice(value.as_bytes()), 0, NOW))],
    }
}

/// Partitions `keys`, each with `rows` rows written at `ts`.
fn memtable(keys: impl Iterator<Item = usize>, rows: usize, ts: i64) -> Memtable {
    let mut m = Memtable::default();
    for i in keys {
        let mut mu = Mutation::new(Uuid::from_u128(7), position(i));
        mu.rows = (0..rows).map(|ck| row(ck, ts, &format!("v{i}-{ck}-{ts}"))).collect();
        m.apply(mu, None);
    }
    m
}

fn deletions(keys: impl Iterator<Item = usize>, ts: i64, local_deletion_time: u32) -> Memtable {
    let mut m = Memtable::default();
    for i in keys {
        let mut mu = Mutation::new(Uuid::from_u128(7), position(i));
        mu.partition_deletion = Some(DeletionTime { marked_at: ts, local_deletion_time });
        m.apply(mu, None);
    }
    m
}

async fn write(dir: &Path, generation: Generation, m: &Memtable) -> Rc<SstableReader> {
    let options = SstableWriterOptions {
        compression: Compression::Lz4,
        bloom_filter_fp_chance: 0.01,
        expected_partitions: m.partition_count(),
        level: 0,
    };
    let mut w = SstableWriter::create(dir, generation, options).await.unwrap();
    for (pos, p) in m.partitions_from(None) {
        w.write_partition(pos, p).await.unwrap();
    }
    w.finish().await.unwrap();
    Rc::new(SstableReader::open(dir, generation).await.unwrap())
}

fn store_with(table: &StorageOptions, readers: &[Rc<SstableReader>]) -> RefCell<ShardStore> {
    let store = RefCell::new(ShardStore::default());
    {
        let mut s = store.borrow_mut();
        let t = s.table_mut(&table.id);
        t.sstables = readers.iter().map(|r| OpenSstable { reader: r.clone(), foreign: false }).collect();
        t.next_generation = readers.iter().map(|r| r.generation()).max().unwrap_or(0);
    }
    store
}

fn job(inputs: &[Generation]) -> CompactionJob {
    CompactionJob { inputs: inputs.to_vec(), output_level: 0, max_output_bytes: None }
}

fn sstables(store: &RefCell<ShardStore>, table: &StorageOptions) -> Vec<Rc<SstableReader>> {
    store.borrow().table(&table.id).unwrap().sstables.iter().map(|s| s.reader.clone()).collect()
}

#[test]
fn merged_output_equals_reconciled_inputs() {
    run(|| async {
        let dir = TestDir::new("compaction-merge");
        let t = table(864_000);
        let old = memtable(0..60, 4, 10);
        let new = memtable(30..90, 2, 20);
        let dels = deletions((0..90).step_by(7), 15, NOW - 10);
        let readers =
            [write(dir.path(), 1, &old).await, write(dir.path(), 2, &new).await, write(dir.path(), 3, &dels).await];
        let store = store_with(&t, &readers);
        let outcome = run_job(&store, &t, &job(&[1, 2, 3]), NOW, &unlimited()).await.unwrap().unwrap();
        assert_eq!((outcome.inputs, outcome.outputs, outcome.partitions_read), (3, 1, 90));
        let out = sstables(&store, &t);
        assert_eq!(out.len(), 1);
        for i in 0..90 {
            let mut expected = crate::storage::Partition::default();
            for m in [&old, &new, &dels] {
                if let Some(p) = m.partition(&position(i)) {
                    expected.merge(p.to_owned_copy());
                }
            }
            let expected = purge_partition(expected, &PurgeLimits::new(NOW, 864_000, i64::MAX)).unwrap();
            let got = out[0].read_partition(&position(i)).await.unwrap().unwrap();
            assert_partitions_eq(&got, &expected);
        }
        for g in 1..=3 {
            assert!(SstableReader::open(dir.path(), g).await.is_err(), "input {g} deleted");
        }
        assert_eq!(remove_incomplete(dir.path()).await.unwrap(), vec![out[0].generation()]);
    });
}

#[test]
fn tombstone_stays_while_shadowed_data_is_outside_the_compaction() {
    run(|| async {
        let dir = TestDir::new("compaction-overlap");
        let t = table(0);
        let data = write(dir.path(), 1, &memtable(0..10, 3, 10)).await;
        let dels = write(dir.path(), 2, &deletions(0..10, 20, NOW - 100)).await;
        let other = write(dir.path(), 3, &memtable(100..110, 1, 30)).await;
        let store = store_with(&t, &[data, dels, other]);
        // Only the tombstones and unrelated data: SSTable 1 may hold older data for them.
        run_job(&store, &t, &job(&[2, 3]), NOW, &unlimited()).await.unwrap().unwrap();
        let left = sstables(&store, &t);
        assert_eq!(left.len(), 2);
        let output = left.iter().find(|r| r.generation() > 3).unwrap();
        for i in 0..10 {
            let p = output.read_partition(&position(i)).await.unwrap().expect("tombstone kept");
            assert!(p.deletion.is_some());
        }
        // All together: the data is shadowed and the tombstones purgeable.
        let generations: Vec<_> = left.iter().map(|r| r.generation()).collect();
        run_job(&store, &t, &job(&generations), NOW, &unlimited()).await.unwrap().unwrap();
        let left = sstables(&store, &t);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].statistics().partition_count, 10, "only partitions 100..110 remain");
        assert_eq!(left[0].statistics().tombstone_count, 0);
    });
}

#[test]
fn a_memtable_holding_older_data_keeps_the_tombstone() {
    run(|| async {
        let dir = TestDir::new("compaction-memtable");
        let t = table(0);
        let dels = write(dir.path(), 1, &deletions(0..5, 20, NOW - 100)).await;
        let more = write(dir.path(), 2, &memtable(50..55, 1, 30)).await;
        let store = store_with(&t, &[dels, more]);
        store.borrow_mut().table_mut(&t.id).active = memtable(0..1, 1, 5);
        run_job(&store, &t, &job(&[1, 2]), NOW, &unlimited()).await.unwrap().unwrap();
        let out = sstables(&store, &t);
        assert!(out[0].read_partition(&position(0)).await.unwrap().is_some_and(|p| p.deletion.is_some()));
        assert!(out[0].read_partition(&position(1)).await.unwrap().is_none(), "nothing older anywhere: purged");
    });
}

#[test]
fn sized_outputs_split_without_overlap_and_carry_their_level() {
    run(|| async {
        let dir = TestDir::new("compaction-split");
        let t = table(864_000);
        let a = write(dir.path(), 1, &memtable(0..400, 8, 10)).await;
        let b = write(dir.path(), 2, &memtable(200..600, 8, 20)).await;
        let store = store_with(&t, &[a, b]);
        let job = CompactionJob { inputs: vec![1, 2], output_level: 2, max_output_bytes: Some(16 * 1024) };
        let outcome = run_job(&store, &t, &job, NOW, &unlimited()).await.unwrap().unwrap();
        let mut out = sstables(&store, &t);
        assert!(out.len() > 2 && out.len() == outcome.outputs, "{} outputs", out.len());
        out.sort_by_key(|r| r.statistics().min_token);
        for pair in out.windows(2) {
            assert!(pair[0].statistics().max_token < pair[1].statistics().min_token, "outputs overlap");
        }
        assert!(out.iter().all(|r| r.statistics().level == 2));
        assert_eq!(out.iter().map(|r| r.statistics().partition_count).sum::<u64>(), 600);
    });
}

fn unlimited() -> BandwidthLimiter {
    BandwidthLimiter::unlimited()
}

#[test]
fn a_compaction_is_paced_by_its_bandwidth_limit() {
    run(|| async {
        let dir = TestDir::new("compaction-limited");
        let t = table(864_000);
        let a = write(dir.path(), 1, &memtable(0..400, 8, 10)).await;
        let b = write(dir.path(), 2, &memtable(200..600, 8, 20)).await;
        let input_bytes = a.statistics().data_size_bytes + b.statistics().data_size_bytes;
        let store = store_with(&t, &[a, b]);
        // A rate at which reading the inputs takes 300 ms; 50 ms of that is burst.
        let limiter = BandwidthLimiter::new(Some(input_bytes * 1000 / 300));
        let started = std::time::Instant::now();
        let outcome = run_job(&store, &t, &job(&[1, 2]), NOW, &limiter).await.unwrap().unwrap();
        assert_eq!(outcome.partitions_written, 600);
        assert!(limiter.throttled() >= std::time::Duration::from_millis(200), "{:?}", limiter.throttled());
        assert!(started.elapsed() >= limiter.throttled());
    });
}

#[test]
fn start_up_finishes_a_compaction_log() {
    run(|| async {
        let dir = TestDir::new("compaction-log");
        for g in 1..=3 {
            write(dir.path(), g, &memtable(g as usize * 10..g as usize * 10 + 5, 1, 1)).await;
        }
        // A crash after the outputs (3) and the log, before the inputs (1, 2) were deleted.
        write_log(dir.path(), 3, &[1, 2]).await.unwrap();
        assert_eq!(remove_incomplete(dir.path()).await.unwrap(), vec![3]);
        assert_eq!(remove_incomplete(dir.path()).await.unwrap(), vec![3], "the log is gone too");
    });
}
