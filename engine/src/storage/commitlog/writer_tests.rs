//! Commitlog writer tests on real segment files through glommio: group commit (concurrent
//! appends share device writes and fdatasyncs, and replay returns every entry in append
//! order), the sync modes (batch acknowledges after an fdatasync, periodic after the write
//! and syncs sealed segments, on its timer and at shutdown), poisoning by a failed write or
//! sync, recycling (released segments are renamed for reuse or deleted, and a reused file's
//! stale entries never replay), and segments that cannot be created (their writes are
//! refused, later ones succeed).
//!
//! A disk cannot be made to fail on demand, so the flusher's device operations go through
//! [`DeviceSeam`] in tests: it counts the writes and fdatasyncs issued and fails the next
//! one of a kind when asked. Segment creation fails for real: the directory is missing.

use std::cell::{Cell, RefCell};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::channel::oneshot;
use futures::future::join_all;

use super::super::entry::ENTRY_HEADER_BYTES;
use super::super::replay::{list_segments, read_segment};
use super::super::reserve::Reserve;
use super::super::segment::{is_recycled_file_name, SegmentName, HEADER_BYTES};
use super::{Commitlog, CommitlogConfig, CommitlogError, SyncMode, BLOCK_BYTES, RECYCLED_SEGMENTS_MAX};
use crate::storage::sstable::test_support::{run, TestDir};

/// The flusher's device operations, as the seam sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DeviceOp {
    Write,
    Sync,
}

/// Test seam of the writer: counts the device writes and fdatasyncs the flusher issues
/// and fails the next one of the kind set in `fail_next` (consumed by that failure).
#[derive(Debug, Default)]
pub(super) struct DeviceSeam {
    writes: Cell<u64>,
    syncs: Cell<u64>,
    fail_next: Cell<Option<DeviceOp>>,
}

impl DeviceSeam {
    /// Called just before the flusher issues `op`.
    pub(super) fn before(&self, op: DeviceOp) -> std::io::Result<()> {
        if self.fail_next.get() == Some(op) {
            self.fail_next.set(None);
            return Err(std::io::Error::other(format!("injected {op:?} failure")));
        }
        let count = match op {
            DeviceOp::Write => &self.writes,
            DeviceOp::Sync => &self.syncs,
        };
        count.set(count.get() + 1);
        Ok(())
    }
}

const SHARD: u32 = 0;
const GENERATION: u64 = 1;
/// Segments for tests that stay in one segment.
const LARGE_SEGMENT_BYTES: u64 = 1 << 20;
/// Segments small enough that a test crosses several.
const SMALL_SEGMENT_BYTES: u64 = 4 * BLOCK_BYTES;
/// A periodic sync that never comes during a test.
const NEVER: Duration = Duration::from_secs(3600);
/// A periodic sync that comes soon.
const SOON: Duration = Duration::from_millis(5);
/// How long a test waits for the writer's background work before failing.
const WAIT_LIMIT: Duration = Duration::from_secs(20);
/// Pace of checking whether that work is done.
const POLL_INTERVAL: Duration = Duration::from_millis(1);

const WRITERS: usize = 16;
const APPENDS_PER_WRITER: usize = 8;
const GROUP_PAYLOAD_BYTES: usize = 500;
/// Appends per device write the group commit test expects at least, on average.
const MIN_APPENDS_PER_WRITE: u64 = 4;
/// Appends issued at once (one poll of `join_all`).
const WAVE: usize = 16;
const SMALL_PAYLOAD_BYTES: usize = 100;

/// Entries per 4 KiB block in the recycling test, sized so that the header and this many
/// entries fill the first block exactly: a reused file's stale entry then starts right
/// where the new data ends, and only its tag ends the segment (elsewhere zeros do).
const ENTRIES_PER_BLOCK: usize = 10;
const _: () = assert!((BLOCK_BYTES as usize - HEADER_BYTES).is_multiple_of(ENTRIES_PER_BLOCK));
const ALIGNED_PAYLOAD_BYTES: usize = (BLOCK_BYTES as usize - HEADER_BYTES) / ENTRIES_PER_BLOCK - ENTRY_HEADER_BYTES;
/// Segments released in the recycling test: one more than are kept for reuse.
const RELEASED_SEGMENTS: u64 = RECYCLED_SEGMENTS_MAX as u64 + 1;
/// The segment of the recycling test written last (into a reused file).
const LAST_SEGMENT: u64 = RELEASED_SEGMENTS + 3;

fn config(dir: &Path, segment_bytes: u64, mode: SyncMode) -> CommitlogConfig {
    CommitlogConfig { directory: dir.to_path_buf(), shard: SHARD, generation: GENERATION, segment_bytes, mode }
}

fn periodic(period: Duration) -> SyncMode {
    SyncMode::Periodic { period }
}

/// A recognisable entry of `len` bytes (at least 8).
fn payload(i: usize, len: usize) -> Vec<u8> {
    let mut p = (i as u64).to_be_bytes().to_vec();
    p.extend((0..len - p.len()).map(|j| (i + j) as u8));
    p
}

fn segment_path(dir: &Path, number: u64) -> PathBuf {
    SegmentName { generation: GENERATION, shard: SHARD, number }.path_in(dir)
}

/// Every entry the segments in `dir` replay, in replay order; no segment may stop early.
async fn replay_dir(dir: &Path) -> Vec<Bytes> {
    let mut entries = Vec::new();
    for segment in list_segments(dir).expect("list segments") {
        let contents = read_segment(&segment).await.expect("read segment");
        assert!(contents.stopped_early.is_none(), "{}: {:?}", segment.path.display(), contents.stopped_early);
        entries.extend(contents.entries);
    }
    entries
}

fn as_bytes(entries: &[Vec<u8>]) -> Vec<Bytes> {
    entries.iter().map(|e| Bytes::copy_from_slice(e)).collect()
}

/// The writer's background work (renaming released segments) signals nothing when done:
/// this waits for its effect, failing the test after [`WAIT_LIMIT`].
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT_LIMIT;
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting until {what}");
        glommio::timer::sleep(POLL_INTERVAL).await;
    }
}

/// Waits until the reserve file for segment `number` is ready.
async fn reserve_ready(log: &Commitlog, number: u64) {
    loop {
        let prepared = {
            let mut st = log.state.borrow_mut();
            match &st.reserve {
                Reserve::Ready { number: n, .. } if *n == number => return,
                Reserve::Preparing { number: n } if *n == number => {
                    let (tx, rx) = oneshot::channel();
                    assert!(st.reserve_waiter.is_none(), "nothing else waits for the reserve");
                    st.reserve_waiter = Some(tx);
                    rx
                }
                _ => panic!("no reserve is prepared for segment {number}"),
            }
        };
        let _ = prepared.await;
    }
}

/// Mutations the log still counts as unflushed in `segment`.
fn unflushed(log: &Commitlog, segment: u64) -> u64 {
    log.state.borrow().unflushed.get(&segment).copied().unwrap_or(0)
}

fn is_poisoned(r: &Result<u64, CommitlogError>) -> bool {
    matches!(r, Err(CommitlogError::Poisoned(_)))
}

fn is_refused(r: &Result<u64, CommitlogError>) -> bool {
    matches!(r, Err(CommitlogError::NoSegment(_)))
}

#[test]
fn concurrent_appends_share_device_writes_and_replay_in_append_order() {
    let dir = TestDir::new("commitlog-group");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let log = Commitlog::start(config(&path, SMALL_SEGMENT_BYTES, SyncMode::Batch));
        let order: Rc<RefCell<Vec<Vec<u8>>>> = Rc::default();
        let writers = (0..WRITERS).map(|w| {
            let (log, order) = (log.clone(), order.clone());
            glommio::spawn_local(async move {
                let mut segments = Vec::new();
                for i in 0..APPENDS_PER_WRITER {
                    let entry = payload(w * APPENDS_PER_WRITER + i, GROUP_PAYLOAD_BYTES);
                    // The append's first poll frames the entry, right after this push: no
                    // other task runs in between, so `order` is the log's order.
                    order.borrow_mut().push(entry.clone());
                    segments.push(log.append(&entry, 1).await.expect("append acknowledged"));
                }
                segments
            })
        });
        let segments = join_all(writers).await;
        let appends = (WRITERS * APPENDS_PER_WRITER) as u64;
        let (writes, syncs) = (log.seam.writes.get(), log.seam.syncs.get());
        assert!(writes * MIN_APPENDS_PER_WRITE <= appends, "{appends} appends took {writes} writes");
        assert!(syncs * MIN_APPENDS_PER_WRITE <= appends, "{appends} appends took {syncs} syncs");
        for s in &segments {
            assert!(s.windows(2).all(|w| w[0] <= w[1]), "one writer's entries go to ever later segments: {s:?}");
        }
        let last = segments.iter().flatten().max().copied().unwrap_or_default();
        assert!(last >= 2, "the entries span several segments (last {last})");
        log.shutdown().await;
        assert_eq!(replay_dir(&path).await, as_bytes(&order.borrow()));
    });
}

#[test]
fn batch_mode_acknowledges_a_wave_of_appends_after_one_write_and_one_sync() {
    let dir = TestDir::new("commitlog-batch");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let log = Commitlog::start(config(&path, LARGE_SEGMENT_BYTES, SyncMode::Batch));
        let entries: Vec<Vec<u8>> = (0..WAVE).map(|i| payload(i, SMALL_PAYLOAD_BYTES)).collect();
        let acks = join_all(entries.iter().map(|e| async {
            let segment = log.append(e, 1).await;
            (segment, log.seam.writes.get(), log.seam.syncs.get())
        }))
        .await;
        for (segment, writes, syncs) in acks {
            assert_eq!(segment.expect("append acknowledged"), 0);
            assert_eq!((writes, syncs), (1, 1), "acknowledged after the one write and its fdatasync");
        }
        log.shutdown().await;
        assert_eq!(log.seam.syncs.get(), 1, "nothing left to sync at shutdown");
        assert_eq!(replay_dir(&path).await, as_bytes(&entries));
    });
}

#[test]
fn periodic_mode_acknowledges_after_the_write_and_syncs_sealed_segments_and_at_shutdown() {
    let dir = TestDir::new("commitlog-periodic");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let log = Commitlog::start(config(&path, SMALL_SEGMENT_BYTES, periodic(NEVER)));
        let mut entries: Vec<Vec<u8>> = (0..WAVE).map(|i| payload(i, SMALL_PAYLOAD_BYTES)).collect();
        let acks = join_all(entries.iter().map(|e| async {
            let segment = log.append(e, 1).await;
            (segment, log.seam.writes.get(), log.seam.syncs.get())
        }))
        .await;
        for (segment, writes, syncs) in acks {
            assert_eq!(segment.expect("append acknowledged"), 0);
            assert_eq!((writes, syncs), (1, 0), "acknowledged after the one write, before any fdatasync");
        }
        // Into the next segment: the full one is synced before anything after it is acknowledged.
        loop {
            let entry = payload(entries.len(), SMALL_PAYLOAD_BYTES);
            let segment = log.append(&entry, 1).await.expect("append acknowledged");
            entries.push(entry);
            if segment == 1 {
                break;
            }
            assert_eq!(log.seam.syncs.get(), 0, "an entry of the active segment is not synced");
        }
        assert_eq!(log.seam.syncs.get(), 1, "the sealed segment was synced");
        log.shutdown().await;
        assert_eq!(log.seam.syncs.get(), 2, "shutdown syncs the active segment");
        assert_eq!(replay_dir(&path).await, as_bytes(&entries));
    });
}

#[test]
fn a_failed_write_poisons_the_log_for_pending_and_later_appends() {
    for mode in [SyncMode::Batch, periodic(NEVER)] {
        let dir = TestDir::new("commitlog-poison-write");
        let path = dir.path().to_path_buf();
        run(move || async move {
            let log = Commitlog::start(config(&path, LARGE_SEGMENT_BYTES, mode));
            let first = payload(0, SMALL_PAYLOAD_BYTES);
            assert_eq!(log.append(&first, 1).await.expect("append before the failure"), 0);
            log.seam.fail_next.set(Some(DeviceOp::Write));
            let pending = (1..=WAVE).map(|i| payload(i, SMALL_PAYLOAD_BYTES)).collect::<Vec<_>>();
            let results = join_all(pending.iter().map(|e| log.append(e, 1))).await;
            assert!(results.iter().all(is_poisoned), "{mode:?}: {results:?}");
            let later = log.append(&payload(WAVE + 1, SMALL_PAYLOAD_BYTES), 1).await;
            assert!(is_poisoned(&later), "{mode:?}: the poison is sticky: {later:?}");
            assert_eq!(unflushed(&log, 0), 1, "refused appends pin nothing");
            log.shutdown().await;
            assert_eq!(replay_dir(&path).await, as_bytes(&[first]), "{mode:?}: nothing written after the failure");
        });
    }
}

#[test]
fn a_failed_sync_poisons_the_log_in_batch_mode() {
    let dir = TestDir::new("commitlog-poison-sync");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let log = Commitlog::start(config(&path, LARGE_SEGMENT_BYTES, SyncMode::Batch));
        assert!(log.append(&payload(0, SMALL_PAYLOAD_BYTES), 1).await.is_ok());
        log.seam.fail_next.set(Some(DeviceOp::Sync));
        let pending: Vec<Vec<u8>> = (1..=WAVE).map(|i| payload(i, SMALL_PAYLOAD_BYTES)).collect();
        let results = join_all(pending.iter().map(|e| log.append(e, 1))).await;
        assert!(results.iter().all(is_poisoned), "written but not synced: not acknowledged: {results:?}");
        let later = log.append(&payload(WAVE + 1, SMALL_PAYLOAD_BYTES), 1).await;
        assert!(is_poisoned(&later), "{later:?}");
        assert_eq!(log.seam.writes.get(), 2, "the flusher stopped at the failure");
        log.shutdown().await;
    });
}

#[test]
fn a_failed_periodic_sync_poisons_the_log() {
    let dir = TestDir::new("commitlog-poison-periodic");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let log = Commitlog::start(config(&path, LARGE_SEGMENT_BYTES, periodic(SOON)));
        // In periodic mode only the timer syncs an active segment: it meets the failure.
        log.seam.fail_next.set(Some(DeviceOp::Sync));
        assert_eq!(log.append(&payload(0, SMALL_PAYLOAD_BYTES), 1).await.expect("acknowledged unsynced"), 0);
        wait_until("the periodic sync failed", || log.state.borrow().poisoned.is_some()).await;
        let later = log.append(&payload(1, SMALL_PAYLOAD_BYTES), 1).await;
        assert!(is_poisoned(&later), "{later:?}");
        log.shutdown().await;
    });
}

#[test]
fn released_segments_are_reused_or_deleted_and_stale_entries_never_replay() {
    let dir = TestDir::new("commitlog-recycle");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let log = Commitlog::start(config(&path, SMALL_SEGMENT_BYTES, SyncMode::Batch));
        let mut counts = vec![0u64; LAST_SEGMENT as usize + 1];
        let mut kept = Vec::new();
        let mut next = 0;
        // Fill the segments to release; the first entry of the next one stays.
        loop {
            let entry = payload(next, ALIGNED_PAYLOAD_BYTES);
            next += 1;
            let segment = log.append(&entry, 1).await.expect("append acknowledged");
            counts[segment as usize] += 1;
            if segment == RELEASED_SEGMENTS {
                kept.push(entry);
                break;
            }
        }
        let released: Vec<PathBuf> = (0..RELEASED_SEGMENTS).map(|n| segment_path(&path, n)).collect();
        let inodes: Vec<u64> = released.iter().map(|p| std::fs::metadata(p).expect("segment file").ino()).collect();
        // Their memtables were flushed.
        log.release((0..RELEASED_SEGMENTS).map(|n| (n, counts[n as usize])));
        wait_until("the released segments are renamed or deleted", || {
            let st = log.state.borrow();
            st.recycling == 0 && st.recycled.len() == RECYCLED_SEGMENTS_MAX && released.iter().all(|p| !p.exists())
        })
        .await;
        let recycled_files = || {
            std::fs::read_dir(&path)
                .expect("list directory")
                .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_str().is_some_and(is_recycled_file_name)))
                .count()
        };
        assert_eq!(recycled_files(), RECYCLED_SEGMENTS_MAX, "one released segment beyond the bound was deleted");

        // On into a reused file: its new data ends on a block boundary where a stale entry starts.
        loop {
            let entry = payload(next, ALIGNED_PAYLOAD_BYTES);
            next += 1;
            let segment = log.append(&entry, 1).await.expect("append acknowledged");
            counts[segment as usize] += 1;
            kept.push(entry);
            if segment == LAST_SEGMENT && counts[segment as usize] == ENTRIES_PER_BLOCK as u64 {
                break;
            }
        }
        let last_inode = std::fs::metadata(segment_path(&path, LAST_SEGMENT)).expect("last segment").ino();
        assert!(inodes.contains(&last_inode), "segment {LAST_SEGMENT} was written into a released file");
        log.shutdown().await;
        assert!(recycled_files() <= RECYCLED_SEGMENTS_MAX);
        assert!(released.iter().all(|p| !p.exists()));
        assert_eq!(replay_dir(&path).await, as_bytes(&kept), "exactly the entries of unreleased segments");
    });
}

#[test]
fn without_a_segment_file_waiting_appends_are_refused_and_later_ones_succeed() {
    let dir = TestDir::new("commitlog-no-segment");
    let path = dir.path().join("not-yet");
    run(move || async move {
        // The directory is missing: neither the reserve nor the flusher can create segment 0.
        let log = Commitlog::start(config(&path, LARGE_SEGMENT_BYTES, SyncMode::Batch));
        let refused: Vec<Vec<u8>> = (0..WAVE).map(|i| payload(i, SMALL_PAYLOAD_BYTES)).collect();
        let results = join_all(refused.iter().map(|e| log.append(e, 1))).await;
        assert!(results.iter().all(is_refused), "{results:?}");
        assert_eq!(unflushed(&log, 0), 0, "refused appends pin nothing");
        std::fs::create_dir(&path).expect("create the directory");
        let later = payload(WAVE, SMALL_PAYLOAD_BYTES);
        assert_eq!(log.append(&later, 1).await.expect("not sticky: the next segment is created"), 1);
        log.shutdown().await;
        assert_eq!(replay_dir(&path).await, as_bytes(&[later]));
    });
}

#[test]
fn a_segment_that_cannot_be_created_midway_refuses_only_its_own_appends() {
    let dir = TestDir::new("commitlog-no-segment-midway");
    let path = dir.path().join("log");
    let aside = dir.path().join("aside");
    run(move || async move {
        std::fs::create_dir(&path).expect("create the directory");
        let log = Commitlog::start(config(&path, SMALL_SEGMENT_BYTES, SyncMode::Batch));
        let mut acknowledged = vec![payload(0, ALIGNED_PAYLOAD_BYTES)];
        assert_eq!(log.append(&acknowledged[0], 1).await.expect("append acknowledged"), 0);
        reserve_ready(&log, 1).await;
        // From now on no file can be created; segments 0 and 1 have theirs (open files).
        std::fs::rename(&path, &aside).expect("move the directory aside");
        let refused = loop {
            let entry = payload(acknowledged.len(), ALIGNED_PAYLOAD_BYTES);
            match log.append(&entry, 1).await {
                Ok(segment) => {
                    assert!(segment <= 1, "segment {segment} had no file to go to");
                    acknowledged.push(entry);
                }
                Err(e) => break e,
            }
        };
        assert!(matches!(refused, CommitlogError::NoSegment(_)), "{refused}");
        let waiting: Vec<Vec<u8>> = (0..WAVE).map(|i| payload(1000 + i, SMALL_PAYLOAD_BYTES)).collect();
        let results = join_all(waiting.iter().map(|e| log.append(e, 1))).await;
        assert!(results.iter().all(is_refused), "{results:?}");
        assert_eq!((unflushed(&log, 2), unflushed(&log, 3)), (0, 0), "refused appends pin nothing");
        std::fs::rename(&aside, &path).expect("move the directory back");
        let later = payload(2000, SMALL_PAYLOAD_BYTES);
        assert_eq!(log.append(&later, 1).await.expect("not sticky"), 4);
        acknowledged.push(later);
        log.shutdown().await;
        assert_eq!(replay_dir(&path).await, as_bytes(&acknowledged));
    });
}

#[test]
fn entries_up_to_the_segment_capacity_are_taken_and_larger_ones_refused() {
    let dir = TestDir::new("commitlog-too-large");
    let path = dir.path().to_path_buf();
    run(move || async move {
        let log = Commitlog::start(config(&path, SMALL_SEGMENT_BYTES, SyncMode::Batch));
        let largest = payload(0, log.max_entry_bytes());
        let too_large = payload(1, log.max_entry_bytes() + 1);
        assert!(matches!(log.append(&too_large, 1).await, Err(CommitlogError::TooLarge { .. })));
        assert_eq!(log.append(&largest, 1).await.expect("a full segment's entry"), 0);
        let small = payload(2, SMALL_PAYLOAD_BYTES);
        assert_eq!(log.append(&small, 1).await.expect("the next one goes to a new segment"), 1);
        log.shutdown().await;
        assert!(matches!(log.append(&small, 1).await, Err(CommitlogError::Closed)));
        assert_eq!(replay_dir(&path).await, as_bytes(&[largest, small]));
    });
}
