//! The per-shard commitlog writer, with group commit.
//!
//! `append` copies a framed entry into the in-memory tail of the active segment and waits;
//! one flusher task writes whatever has accumulated since its last write with a single
//! O_DIRECT write per segment (rewriting the last, partial block each time), then — in
//! `batch` mode — one fdatasync, and wakes every writer whose entry is now covered. Many
//! concurrent writers therefore share each write and each fdatasync.
//!
//! Durability per mode: `periodic` acknowledges once the write has completed to the device
//! (no fdatasync; a timer syncs every period), so a process crash loses nothing
//! acknowledged. `batch` acknowledges after the fdatasync. Any write or sync error poisons
//! the log: every pending and later append fails, rather than acknowledging writes that may
//! not be kept.
//!
//! `append` itself never does I/O. The next segment's file is prepared in the background
//! while the current one fills ([`super::reserve`]), so a segment switch waits for nothing;
//! only if that preparation has not started does the flusher make the file itself. A segment no longer needed is not deleted but kept (up to
//! [`RECYCLED_SEGMENTS_MAX`]) and renamed into the next new segment: writing over blocks
//! already written is a plain overwrite, where writing into freshly preallocated
//! (unwritten) extents makes the filesystem convert extents on every write — on this
//! kind of write path, io_uring punts those to worker threads.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use ahash::AHashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::oneshot;
use glommio::io::DmaFile;
use thiserror::Error;

use super::entry::{frame, segment_tag, ENTRY_HEADER_BYTES};
use super::reserve::{prepare_file, Reserve};
use super::segment::{recycled_file_name, SegmentName, HEADER_BYTES};

/// Free segment files kept per shard for reuse instead of being deleted.
pub const RECYCLED_SEGMENTS_MAX: usize = 4;

/// O_DIRECT alignment of writes.
const BLOCK_BYTES: u64 = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// Ack after the write completed; fdatasync every period.
    Periodic { period: Duration },
    /// Ack after fdatasync (group commit).
    Batch,
}

#[derive(Debug, Clone)]
pub struct CommitlogConfig {
    pub directory: PathBuf,
    pub shard: u32,
    /// This run's generation (greater than any segment on disk at start).
    pub generation: u64,
    pub segment_bytes: u64,
    pub mode: SyncMode,
}

#[derive(Debug, Clone, Error)]
pub enum CommitlogError {
    #[error("commitlog entry of {size} bytes exceeds the segment capacity of {max} bytes")]
    TooLarge { size: usize, max: usize },
    #[error("the commitlog is poisoned after an I/O error ({0}); this shard refuses writes until restarted")]
    Poisoned(String),
    #[error("the commitlog is shut down")]
    Closed,
    /// No segment could be created (a full disk): the entries waiting for it were not
    /// written and are refused; later appends try a new segment.
    #[error("{0}")]
    NoSegment(String),
}

type Waiter = oneshot::Sender<Result<(), CommitlogError>>;

/// A segment's unwritten bytes.
struct SegmentBuffer {
    name: SegmentName,
    file: Option<Rc<DmaFile>>,
    /// Bytes from `tail_offset` to the end of appended data.
    tail: Vec<u8>,
    /// File offset of `tail[0]`, block-aligned.
    tail_offset: u64,
    /// File offset up to which appended data is on the device.
    written_to: u64,
    sealed: bool,
    /// Log sequence number (total bytes appended to the log) at this segment's end.
    end_seq: u64,
}

impl SegmentBuffer {
    fn new(name: SegmentName, start_seq: u64) -> SegmentBuffer {
        SegmentBuffer {
            name,
            file: None,
            tail: name.header().to_vec(),
            tail_offset: 0,
            written_to: 0,
            sealed: false,
            end_seq: start_seq,
        }
    }

    fn end(&self) -> u64 {
        self.tail_offset + self.tail.len() as u64
    }
}

struct LogState {
    segments: VecDeque<SegmentBuffer>,
    /// Unflushed mutations per segment number: a segment is deleted once it is retired
    /// (full and written) and this count is zero.
    unflushed: AHashMap<u64, u64>,
    /// Full, written segments still on disk.
    retired: BTreeMap<u64, PathBuf>,
    /// Free segment files (renamed `Recycled-…`) waiting to become new segments.
    recycled: Vec<PathBuf>,
    /// Renames into `recycled` still in flight (they count toward its bound).
    recycling: usize,
    /// The next segment's file, prepared ahead.
    reserve: Reserve,
    /// The flusher, waiting for the reserve it needs.
    reserve_waiter: Option<oneshot::Sender<()>>,
    next_number: u64,
    appended_seq: u64,
    durable_seq: u64,
    waiters: VecDeque<(u64, Waiter)>,
    poisoned: Option<String>,
    wake_flusher: Option<oneshot::Sender<()>>,
    unsynced_writes: bool,
    closed: bool,
}

pub struct Commitlog {
    config: CommitlogConfig,
    state: RefCell<LogState>,
    #[cfg(test)]
    seam: tests::DeviceSeam,
}

impl Commitlog {
    /// Creates the log and starts its flusher (and periodic sync) on the current executor.
    pub fn start(config: CommitlogConfig) -> Rc<Commitlog> {
        let log = Rc::new(Commitlog {
            config,
            state: RefCell::new(LogState {
                segments: VecDeque::new(),
                unflushed: AHashMap::new(),
                retired: BTreeMap::new(),
                recycled: Vec::new(),
                recycling: 0,
                reserve: Reserve::Empty,
                reserve_waiter: None,
                next_number: 0,
                appended_seq: 0,
                durable_seq: 0,
                waiters: VecDeque::new(),
                poisoned: None,
                wake_flusher: None,
                unsynced_writes: false,
                closed: false,
            }),
            #[cfg(test)]
            seam: tests::DeviceSeam::default(),
        });
        glommio::spawn_local(run_flusher(log.clone())).detach();
        log.prepare_reserve();
        if let SyncMode::Periodic { period } = log.config.mode {
            glommio::spawn_local(run_periodic_sync(log.clone(), period)).detach();
        }
        log
    }

    pub fn max_entry_bytes(&self) -> usize {
        self.config.segment_bytes as usize - HEADER_BYTES - ENTRY_HEADER_BYTES
    }

    /// Appends one entry holding `mutations` mutations and waits until it is durable per
    /// the sync mode; returns the number of the segment that holds it. The segment counts
    /// the mutations as unflushed from this moment (before any await), so it cannot be
    /// recycled before the memtable holding them is flushed.
    pub async fn append(&self, payload: &[u8], mutations: u64) -> Result<u64, CommitlogError> {
        let (done, segment) = {
            let mut st = self.state.borrow_mut();
            if let Some(reason) = &st.poisoned {
                return Err(CommitlogError::Poisoned(reason.clone()));
            }
            if st.closed {
                return Err(CommitlogError::Closed);
            }
            if payload.len() > self.max_entry_bytes() {
                return Err(CommitlogError::TooLarge { size: payload.len(), max: self.max_entry_bytes() });
            }
            let framed = (ENTRY_HEADER_BYTES + payload.len()) as u64;
            let needs_segment =
                st.segments.back().is_none_or(|s| s.sealed || s.end() + framed > self.config.segment_bytes);
            if needs_segment {
                if let Some(active) = st.segments.back_mut() {
                    active.sealed = true;
                }
                let name = SegmentName {
                    generation: self.config.generation,
                    shard: self.config.shard,
                    number: st.next_number,
                };
                st.next_number += 1;
                let start_seq = st.appended_seq;
                st.segments.push_back(SegmentBuffer::new(name, start_seq));
            }
            st.appended_seq += framed;
            let seq = st.appended_seq;
            let active = st.segments.back_mut().expect("an active segment exists");
            frame(payload, segment_tag(active.name.number), &mut active.tail);
            active.end_seq = seq;
            let segment = active.name.number;
            debug_assert!(active.end() <= self.config.segment_bytes);
            *st.unflushed.entry(segment).or_insert(0) += mutations;
            let (tx, rx) = oneshot::channel();
            st.waiters.push_back((seq, tx));
            if let Some(wake) = st.wake_flusher.take() {
                let _ = wake.send(());
            }
            (rx, segment)
        };
        match done.await.unwrap_or(Err(CommitlogError::Closed)) {
            Ok(()) => Ok(segment),
            Err(e) => {
                // Not acknowledged, never applied: nothing will release these.
                if let Some(n) = self.state.borrow_mut().unflushed.get_mut(&segment) {
                    *n = n.saturating_sub(mutations);
                }
                Err(e)
            }
        }
    }

    /// Seals the active segment (the next append starts a new one) and returns where later
    /// entries begin: every entry appended before this call is in this shard's segments of
    /// earlier generations, or of this generation numbered below the returned one.
    pub fn seal_active(&self) -> SegmentName {
        let mut st = self.state.borrow_mut();
        if let Some(active) = st.segments.back_mut() {
            active.sealed = true;
        }
        SegmentName { generation: self.config.generation, shard: self.config.shard, number: st.next_number }
    }

    /// Mutations logged in these segments were flushed (or their table dropped): segments
    /// nothing depends on any more are deleted.
    pub fn release(self: &Rc<Self>, counts: impl IntoIterator<Item = (u64, u64)>) {
        {
            let mut st = self.state.borrow_mut();
            for (segment, count) in counts {
                if let Some(n) = st.unflushed.get_mut(&segment) {
                    // Releasing more than was logged would free a segment that mutations
                    // not yet flushed still need: never clamp that away.
                    assert!(*n >= count, "segment {segment}: released {count} mutations, {n} were logged");
                    *n -= count;
                    if *n == 0 {
                        st.unflushed.remove(&segment);
                    }
                }
            }
        }
        self.recycle();
    }

    /// Retired segments that hold no unflushed mutation are kept for reuse (up to
    /// [`RECYCLED_SEGMENTS_MAX`]) or deleted.
    fn recycle(self: &Rc<Self>) {
        let free: Vec<(u64, PathBuf)> = {
            let mut st = self.state.borrow_mut();
            let numbers: Vec<u64> = st.retired.keys().filter(|n| !st.unflushed.contains_key(n)).copied().collect();
            numbers.iter().filter_map(|n| st.retired.remove(n).map(|p| (*n, p))).collect()
        };
        for (number, path) in free {
            let keep = {
                let mut st = self.state.borrow_mut();
                let keep = !st.closed && st.recycled.len() + st.recycling < RECYCLED_SEGMENTS_MAX;
                st.recycling += usize::from(keep);
                keep
            };
            let log = self.clone();
            glommio::spawn_local(async move {
                if keep {
                    let name = SegmentName { generation: log.config.generation, shard: log.config.shard, number };
                    let target = log.config.directory.join(recycled_file_name(&name));
                    let renamed = glommio::io::rename(&path, &target).await;
                    let mut st = log.state.borrow_mut();
                    st.recycling -= 1;
                    match renamed {
                        Ok(()) => {
                            tracing::debug!("commitlog segment {} kept for reuse", path.display());
                            st.recycled.push(target);
                            return;
                        }
                        Err(e) => tracing::warn!("cannot keep commitlog segment {}: {e}", path.display()),
                    }
                }
                match glommio::io::remove(&path).await {
                    Ok(()) => tracing::debug!("commitlog segment {} deleted", path.display()),
                    Err(e) => tracing::warn!("cannot delete commitlog segment {}: {e}", path.display()),
                }
            })
            .detach();
        }
    }

    /// Segments on disk (active and retired), for metrics.
    pub fn segments_on_disk(&self) -> usize {
        let st = self.state.borrow();
        let reserved = usize::from(matches!(st.reserve, Reserve::Ready { .. }));
        st.retired.len() + st.recycled.len() + reserved + st.segments.iter().filter(|s| s.file.is_some()).count()
    }

    /// Clean shutdown: stop accepting appends and sync what was written.
    pub async fn shutdown(&self) {
        self.close();
        if let Err(e) = self.sync_active().await {
            tracing::warn!("shard {}: final commitlog sync failed: {e}", self.config.shard);
        }
    }

    /// Stops the flusher after it has written what was appended.
    pub fn close(&self) {
        let mut st = self.state.borrow_mut();
        st.closed = true;
        if let Some(wake) = st.wake_flusher.take() {
            let _ = wake.send(());
        }
    }

    fn poison(&self, reason: String) {
        tracing::error!("shard {}: commitlog poisoned: {reason}", self.config.shard);
        let mut st = self.state.borrow_mut();
        st.poisoned = Some(reason.clone());
        for (_, waiter) in st.waiters.drain(..) {
            let _ = waiter.send(Err(CommitlogError::Poisoned(reason.clone())));
        }
    }

    fn complete_through(&self, seq: u64) {
        let mut st = self.state.borrow_mut();
        st.durable_seq = st.durable_seq.max(seq);
        while st.waiters.front().is_some_and(|(s, _)| *s <= seq) {
            if let Some((_, waiter)) = st.waiters.pop_front() {
                let _ = waiter.send(Ok(()));
            }
        }
    }

    /// Writes everything appended so far (front segment first); returns the sequence
    /// number now covered.
    async fn flush_once(self: &Rc<Self>) -> std::io::Result<u64> {
        let sync_every_write = self.config.mode == SyncMode::Batch;
        loop {
            // Snapshot the front segment's dirty range (no borrow is held across awaits).
            let snapshot = {
                let st = self.state.borrow();
                let Some(seg) = st.segments.front() else { break };
                let start = align_down(seg.written_to);
                let from = (start - seg.tail_offset) as usize;
                let data = seg.tail[from..].to_vec();
                (seg.name, seg.file.clone(), start, data, seg.end(), seg.sealed, seg.end_seq)
            };
            let (name, file, start, data, end, sealed, end_seq) = snapshot;
            let file = match file {
                Some(f) => f,
                None => match self.segment_file(name).await {
                    Ok(f) => {
                        if let Some(seg) = self.state.borrow_mut().segments.front_mut() {
                            seg.file = Some(f.clone());
                        }
                        self.prepare_reserve();
                        f
                    }
                    Err(e) => {
                        self.refuse_unallocated_segment(name, &e);
                        continue;
                    }
                },
            };
            if !data.is_empty() {
                let len = align_up(data.len() as u64) as usize;
                let mut buf = file.alloc_dma_buffer(len);
                buf.as_bytes_mut()[..data.len()].copy_from_slice(&data);
                buf.as_bytes_mut()[data.len()..].fill(0);
                #[cfg(test)]
                self.seam.before(tests::DeviceOp::Write)?;
                file.write_at(buf, start).await?;
            }
            if sync_every_write || sealed {
                #[cfg(test)]
                self.seam.before(tests::DeviceOp::Sync)?;
                file.fdatasync().await?;
            }
            let (finished, more_segments) = {
                let mut st = self.state.borrow_mut();
                st.unsynced_writes |= !sync_every_write && !sealed;
                let seg = st.segments.front_mut().expect("the segment being flushed is still queued");
                debug_assert_eq!(seg.name, name);
                seg.written_to = end;
                let keep_from = align_down(end);
                let drop = (keep_from - seg.tail_offset) as usize;
                seg.tail.drain(..drop);
                seg.tail_offset = keep_from;
                // Only a segment that was sealed before this write (and so synced) is done.
                let done = sealed && seg.end() == end;
                if done {
                    if let Some(seg) = st.segments.pop_front() {
                        st.retired.insert(seg.name.number, seg.name.path_in(&self.config.directory));
                    }
                }
                (done, st.segments.len() > usize::from(!done))
            };
            self.complete_through(end_seq);
            if finished {
                self.recycle();
            }
            if !finished && !more_segments {
                break;
            }
        }
        Ok(self.state.borrow().durable_seq)
    }

    /// The front segment's file could not be created: nothing of it was written, so its
    /// entries are refused (never acknowledged) and the log goes on with the next segment.
    /// Unlike a failed write or sync this is not sticky: acknowledged data is not at risk.
    fn refuse_unallocated_segment(&self, name: SegmentName, error: &std::io::Error) {
        let reason =
            format!("cannot allocate commitlog segment {}: {error}", name.path_in(&self.config.directory).display());
        tracing::error!("shard {}: {reason}", self.config.shard);
        // Not `poisoned`: nothing acknowledged is at risk, and the next append tries a new
        // segment (a full disk that has space again takes writes again).
        let mut st = self.state.borrow_mut();
        let Some(seg) = st.segments.pop_front() else { return };
        debug_assert!(seg.name == name && seg.file.is_none(), "only a segment without a file is refused");
        st.durable_seq = st.durable_seq.max(seg.end_seq);
        while st.waiters.front().is_some_and(|(s, _)| *s <= seg.end_seq) {
            if let Some((_, waiter)) = st.waiters.pop_front() {
                let _ = waiter.send(Err(CommitlogError::NoSegment(reason.clone())));
            }
        }
    }

    /// The file for segment `name`: the reserve if it was prepared for it (waiting for it
    /// if it is still being prepared), else made now (a kept free file renamed, or a new
    /// file preallocated). On failure nothing is left under the name.
    async fn segment_file(self: &Rc<Self>, name: SegmentName) -> std::io::Result<Rc<DmaFile>> {
        loop {
            let wait = {
                let mut st = self.state.borrow_mut();
                match std::mem::take(&mut st.reserve) {
                    Reserve::Ready { number, file } if number == name.number => return Ok(file),
                    Reserve::Preparing { number } if number == name.number => {
                        st.reserve = Reserve::Preparing { number };
                        let (tx, rx) = oneshot::channel();
                        st.reserve_waiter = Some(tx);
                        rx
                    }
                    Reserve::Ready { number, file } if number < name.number => {
                        let stale = SegmentName { number, ..name }.path_in(&self.config.directory);
                        glommio::spawn_local(discard_file(file, stale)).detach();
                        break;
                    }
                    other => {
                        st.reserve = other;
                        break;
                    }
                }
            };
            let _ = wait.await;
        }
        let free = self.state.borrow_mut().recycled.pop();
        let path = name.path_in(&self.config.directory);
        let file = prepare_file(&self.config.directory, &path, free, self.config.segment_bytes).await?;
        Ok(Rc::new(file))
    }

    /// Starts preparing the next segment's file in the background, unless one is already
    /// prepared or being prepared.
    fn prepare_reserve(self: &Rc<Self>) {
        let (number, free) = {
            let mut st = self.state.borrow_mut();
            if st.closed || st.poisoned.is_some() || !matches!(st.reserve, Reserve::Empty) {
                return;
            }
            let number = st.next_number;
            st.reserve = Reserve::Preparing { number };
            (number, st.recycled.pop())
        };
        let log = self.clone();
        glommio::spawn_local(async move {
            let name = SegmentName { generation: log.config.generation, shard: log.config.shard, number };
            let path = name.path_in(&log.config.directory);
            let prepared = prepare_file(&log.config.directory, &path, free, log.config.segment_bytes).await;
            let mut st = log.state.borrow_mut();
            debug_assert_eq!(st.reserve.number(), Some(number), "only this task ends a preparation");
            st.reserve = match prepared {
                Ok(file) => {
                    tracing::debug!("commitlog segment {} prepared", path.display());
                    Reserve::Ready { number, file: Rc::new(file) }
                }
                Err(e) => {
                    tracing::warn!("cannot prepare commitlog segment {}: {e}", path.display());
                    Reserve::Empty
                }
            };
            if let Some(waiter) = st.reserve_waiter.take() {
                let _ = waiter.send(());
            }
        })
        .detach();
    }

    async fn sync_active(&self) -> std::io::Result<()> {
        let file = {
            let mut st = self.state.borrow_mut();
            if !st.unsynced_writes {
                return Ok(());
            }
            st.unsynced_writes = false;
            st.segments.back().and_then(|s| s.file.clone())
        };
        if let Some(file) = file {
            #[cfg(test)]
            self.seam.before(tests::DeviceOp::Sync)?;
            file.fdatasync().await?;
        }
        Ok(())
    }
}

fn align_down(v: u64) -> u64 {
    v / BLOCK_BYTES * BLOCK_BYTES
}

fn align_up(v: u64) -> u64 {
    v.div_ceil(BLOCK_BYTES) * BLOCK_BYTES
}

async fn run_flusher(log: Rc<Commitlog>) {
    loop {
        let wait = {
            let mut st = log.state.borrow_mut();
            if st.poisoned.is_some() {
                return;
            }
            if st.appended_seq > st.durable_seq {
                None
            } else if st.closed {
                return;
            } else {
                let (tx, rx) = oneshot::channel();
                st.wake_flusher = Some(tx);
                Some(rx)
            }
        };
        if let Some(rx) = wait {
            let _ = rx.await;
            continue;
        }
        match log.flush_once().await {
            Ok(seq) => log.complete_through(seq),
            Err(e) => {
                log.poison(e.to_string());
                return;
            }
        }
    }
}

/// A prepared file that will not be used (its segment number was passed) is deleted.
async fn discard_file(file: Rc<DmaFile>, path: PathBuf) {
    if let Ok(file) = Rc::try_unwrap(file) {
        let _ = file.close().await;
    }
    if let Err(e) = glommio::io::remove(&path).await {
        tracing::warn!("cannot delete unused commitlog file {}: {e}", path.display());
    }
}

async fn run_periodic_sync(log: Rc<Commitlog>, period: Duration) {
    loop {
        glommio::timer::sleep(period).await;
        {
            let st = log.state.borrow();
            if st.poisoned.is_some() || st.closed {
                return;
            }
        }
        if let Err(e) = log.sync_active().await {
            log.poison(format!("periodic fdatasync failed: {e}"));
            return;
        }
    }
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
