//! Test helpers: sample and arbitrary partitions (every kind of cell and tombstone),
//! partition equality (the model types do not derive it), a glommio executor runner and
//! scratch directories (under `$PERCORE_TEST_DIR` when set, e.g. on a real NVMe drive).

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;

use crate::model::cell::{Cell, DeletionTime, Liveness, NEVER_EXPIRES};
use crate::model::mutation::{ClusteringBound, ClusteringRange, ColumnId};
use crate::storage::partition::{Partition, Row};

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// A partition with `n` rows and one of everything: partition deletion, static cells, a
/// range tombstone, row deletion, row marker with TTL, TTL cells and tombstone cells.
pub fn sample_partition(n: usize) -> Partition {
    let mut rows = BTreeMap::new();
    for i in 0..n {
        let ts = 1_000 + i as i64;
        let row = Row {
            clustering: vec![b(&format!("c{i}")), Bytes::from(vec![i as u8; i % 5])],
            marker: (i % 3 != 2).then_some(Liveness {
                timestamp: ts,
                ttl_seconds: if i % 2 == 0 { 0 } else { 60 },
                expires_at: if i % 2 == 0 { NEVER_EXPIRES } else { 1_700_000_060 },
            }),
            deletion: (i % 4 == 3).then_some(DeletionTime { marked_at: ts - 1, local_deletion_time: 1_700_000_000 }),
            cells: vec![
                (1, Cell::live(ts, b(&format!("value-{i}")), 0, 1_700_000_000)),
                (2, Cell::live(ts, Bytes::new(), 3_600, 1_700_000_000)),
                (5, Cell::tombstone(ts + 1, 1_700_000_001)),
            ],
        };
        rows.insert(b(&format!("\x01c{i:05}\x00")), row);
    }
    Partition {
        deletion: Some(DeletionTime { marked_at: 10, local_deletion_time: 1_600_000_000 }),
        static_row: Row {
            clustering: vec![],
            marker: None,
            deletion: None,
            cells: vec![(0, Cell::live(7, b("static"), 0, 0)), (3, Cell::tombstone(8, 99))],
        },
        rows,
        range_deletions: vec![
            (
                ClusteringRange {
                    start: ClusteringBound::Inclusive(b("\x01a")),
                    end: ClusteringBound::Exclusive(b("\x01b")),
                },
                DeletionTime { marked_at: 20, local_deletion_time: 1_650_000_000 },
            ),
            (ClusteringRange::ALL, DeletionTime { marked_at: 5, local_deletion_time: 1 }),
        ],
    }
}

fn arb_bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn arb_deletion() -> impl Strategy<Value = DeletionTime> {
    (any::<i64>(), any::<u32>())
        .prop_map(|(marked_at, local_deletion_time)| DeletionTime { marked_at, local_deletion_time })
}

fn arb_cell() -> impl Strategy<Value = Cell> {
    (any::<i64>(), proptest::option::of(arb_bytes(20)), any::<u32>(), any::<u32>()).prop_map(
        |(timestamp, value, ttl_seconds, expires_at)| Cell { timestamp, value, path: None, ttl_seconds, expires_at },
    )
}

fn arb_row() -> impl Strategy<Value = Row> {
    (
        proptest::collection::vec(arb_bytes(10), 0..3),
        proptest::option::of((any::<i64>(), any::<u32>(), any::<u32>())),
        proptest::option::of(arb_deletion()),
        proptest::collection::btree_map((any::<ColumnId>(), proptest::option::of(arb_bytes(6))), arb_cell(), 0..5),
    )
        .prop_map(|(clustering, marker, deletion, cells)| Row {
            clustering,
            marker: marker.map(|(timestamp, ttl_seconds, expires_at)| Liveness { timestamp, ttl_seconds, expires_at }),
            deletion,
            // Collection elements carry their path; (column, path) is the map's order.
            cells: cells.into_iter().map(|((column, path), cell)| (column, Cell { path, ..cell })).collect(),
        })
}

fn arb_bound() -> impl Strategy<Value = ClusteringBound> {
    prop_oneof![
        Just(ClusteringBound::Unbounded),
        arb_bytes(8).prop_map(ClusteringBound::Inclusive),
        arb_bytes(8).prop_map(ClusteringBound::Exclusive),
    ]
}

pub fn arb_partition() -> impl Strategy<Value = Partition> {
    (
        proptest::option::of(arb_deletion()),
        arb_row(),
        proptest::collection::btree_map(arb_bytes(12), arb_row(), 0..6),
        proptest::collection::vec(((arb_bound(), arb_bound()), arb_deletion()), 0..3),
    )
        .prop_map(|(deletion, static_row, rows, ranges)| Partition {
            deletion,
            static_row,
            rows,
            range_deletions: ranges.into_iter().map(|((start, end), d)| (ClusteringRange { start, end }, d)).collect(),
        })
}

/// A row's fields, comparable.
type RowParts<'a> = (&'a Vec<Bytes>, &'a Option<Liveness>, &'a Option<DeletionTime>, &'a Vec<(ColumnId, Cell)>);

fn row_parts(r: &Row) -> RowParts<'_> {
    (&r.clustering, &r.marker, &r.deletion, &r.cells)
}

pub fn assert_partitions_eq(a: &Partition, b: &Partition) {
    assert_eq!(a.deletion, b.deletion);
    assert_eq!(row_parts(&a.static_row), row_parts(&b.static_row));
    assert_eq!(a.range_deletions, b.range_deletions);
    assert_eq!(a.rows.len(), b.rows.len());
    for ((ka, ra), (kb, rb)) in a.rows.iter().zip(&b.rows) {
        assert_eq!(ka, kb);
        assert_eq!(row_parts(ra), row_parts(rb));
    }
}

/// How often [`run`] wakes its executor (see there).
const PARK_NUDGE_INTERVAL: Duration = Duration::from_millis(20);

/// Runs `f` on a fresh glommio executor and returns its output.
///
/// glommio 0.9 can park an executor that still has runnable tasks: `run_task_queues`
/// returns "nothing ran" both when there is nothing to run and when it found a preemption
/// pending before running anything, and the executor parks on either (fixed upstream in
/// glommio/glommio#53). It then sleeps until an I/O completes or a timer fires; a test has
/// nothing else pending and would hang. A timer every [`PARK_NUDGE_INTERVAL`] bounds that
/// stall; it synchronises nothing.
pub fn run<F, Fut, T>(f: F) -> T
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T> + 'static,
    T: Send + 'static,
{
    glommio::LocalExecutorBuilder::default()
        .spawn(move || async move {
            glommio::spawn_local(async {
                loop {
                    glommio::timer::sleep(PARK_NUDGE_INTERVAL).await;
                }
            })
            .detach();
            f().await
        })
        .expect("spawn glommio executor")
        .join()
        .expect("glommio executor")
}

/// A fresh directory, removed when dropped.
pub struct TestDir(PathBuf);

impl TestDir {
    pub fn new(name: &str) -> TestDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = std::env::var_os("PERCORE_TEST_DIR").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("percore-sstable-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create test dir");
        TestDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
