//! Running one compaction job on a shard: merge the inputs' partitions, purge (see
//! [`super::purge`]), write the outputs (split at the job's size limit), then replace the
//! inputs by the outputs in the store and on disk.
//!
//! Order of effects, each step durable before the next: outputs complete (TOC) → the
//! compaction log naming the inputs → swap in the store (readers see the outputs) →
//! inputs deleted → log removed. A crash before the log leaves inputs and outputs both
//! (the same data twice, harmless: merging is idempotent and nothing was purged that an
//! input does not still shadow); after it, start-up finishes the deletions. Reads in
//! flight keep their open files; the store's version bump makes a read that awaited I/O
//! meanwhile start over.
//!
//! The job's disk traffic passes through the shard's compaction [`BandwidthLimiter`]: it is
//! charged the job's progress, the larger of the input bytes read and the output bytes
//! written, so neither direction exceeds the limit (Cassandra's `compaction_throughput`
//! counts input bytes; outputs are rarely larger).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::model::cell::{EpochSeconds, WriteTimestamp};
use crate::model::mutation::PartitionPosition;
use crate::storage::bandwidth_limiter::BandwidthLimiter;
use crate::storage::flush::next_generation;
use crate::storage::partition::Partition;
use crate::storage::shard_store::{OpenSstable, ShardStore};
use crate::storage::sstable::compaction_log::{remove_log, write_log};
use crate::storage::sstable::{SstableError, SstableReader, SstableWriter, SstableWriterOptions, Statistics};
use crate::storage::sstable_set::delete_sstable;
use crate::storage::table_options::StorageOptions;

use super::merge::MergedScan;
use super::purge::{purge_partition, PurgeLimits};
use super::CompactionJob;

/// What a finished compaction did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CompactionOutcome {
    pub inputs: usize,
    pub outputs: usize,
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub partitions_read: u64,
    pub partitions_written: u64,
    /// `(inputs, partitions)`: partitions merged from that many inputs.
    pub merged_from: Vec<(usize, u64)>,
}

/// Runs `job` on the table's SSTables in `store`, its I/O paced by `limiter`; `Ok(None)` when
/// the inputs changed meanwhile (truncated, dropped, compacted) and the job no longer applies.
pub async fn run_job(
    store: &RefCell<ShardStore>,
    table: &StorageOptions,
    job: &CompactionJob,
    now: EpochSeconds,
    limiter: &BandwidthLimiter,
) -> Result<Option<CompactionOutcome>, SstableError> {
    run_job_with_progress(store, table, job, now, limiter, &Cell::new(0)).await
}

/// [`run_job`], publishing in `progress` the input bytes merged so far (for
/// `nodetool compactionstats`).
pub async fn run_job_with_progress(
    store: &RefCell<ShardStore>,
    table: &StorageOptions,
    job: &CompactionJob,
    now: EpochSeconds,
    limiter: &BandwidthLimiter,
    progress: &Cell<u64>,
) -> Result<Option<CompactionOutcome>, SstableError> {
    let Some(inputs) = input_readers(store, table, job) else { return Ok(None) };
    let Some(dir) = inputs.first().map(|r| r.dir().to_path_buf()) else { return Ok(None) };
    let mut outcome = CompactionOutcome {
        inputs: inputs.len(),
        bytes_read: inputs.iter().map(|r| r.statistics().data_size_bytes).sum(),
        ..CompactionOutcome::default()
    };
    let input_partitions: u64 = inputs.iter().map(|r| r.statistics().partition_count).sum();
    let expected_partitions = match job.max_output_bytes {
        // Each output's bloom filter is sized for its share of the partitions.
        Some(max) if outcome.bytes_read > max => {
            (input_partitions as u128 * max as u128 / outcome.bytes_read.max(1) as u128) as u64 + 1
        }
        _ => input_partitions,
    };
    let options = SstableWriterOptions {
        compression: table.compression,
        bloom_filter_fp_chance: table.bloom_filter_fp_chance,
        expected_partitions: expected_partitions as usize,
        level: job.output_level,
    };
    let mut outputs = Outputs {
        options,
        dir: dir.clone(),
        max_output_bytes: job.max_output_bytes,
        current: None,
        finished: Vec::new(),
        finished_bytes: 0,
    };
    let generations: Vec<_> = inputs.iter().map(|r| r.generation()).collect();
    let job_inputs = JobInputs { readers: &inputs, generations: &generations, limiter, progress };
    let written = write_outputs(store, table, &job_inputs, now, &mut outputs, &mut outcome).await;
    if let Err(e) = written {
        outputs.discard().await;
        return Err(e);
    }
    if !inputs_still_present(store, table, &generations) {
        outputs.discard().await;
        return Ok(None);
    }
    let Some(log_id) = outputs.finished.first().map(|r| r.generation()).or_else(|| generations.iter().max().copied())
    else {
        return Ok(None);
    };
    let log = match write_log(&dir, log_id, &generations).await {
        Ok(log) => log,
        Err(e) => {
            outputs.discard().await;
            return Err(e);
        }
    };
    outcome.outputs = outputs.finished.len();
    swap(store, table, &generations, std::mem::take(&mut outputs.finished));
    for reader in &inputs {
        delete_sstable(reader).await;
    }
    remove_log(&dir, &log).await?;
    Ok(Some(outcome))
}

/// The job's inputs among the table's own SSTables; `None` if any is gone.
fn input_readers(
    store: &RefCell<ShardStore>,
    table: &StorageOptions,
    job: &CompactionJob,
) -> Option<Vec<Rc<SstableReader>>> {
    let store = store.borrow();
    let t = store.table(&table.id)?;
    let readers: Vec<_> = t
        .sstables
        .iter()
        .filter(|s| !s.foreign && job.inputs.contains(&s.reader.generation()))
        .map(|s| s.reader.clone())
        .collect();
    (readers.len() == job.inputs.len()).then_some(readers)
}

fn inputs_still_present(store: &RefCell<ShardStore>, table: &StorageOptions, generations: &[u64]) -> bool {
    let store = store.borrow();
    let Some(t) = store.table(&table.id) else { return false };
    generations.iter().all(|g| t.sstables.iter().any(|s| !s.foreign && s.reader.generation() == *g))
}

/// What a job merges, and the limiter its I/O is charged to.
struct JobInputs<'a> {
    readers: &'a [Rc<SstableReader>],
    generations: &'a [u64],
    limiter: &'a BandwidthLimiter,
    /// Input bytes merged so far.
    progress: &'a Cell<u64>,
}

async fn write_outputs(
    store: &RefCell<ShardStore>,
    table: &StorageOptions,
    inputs: &JobInputs<'_>,
    now: EpochSeconds,
    outputs: &mut Outputs,
    outcome: &mut CompactionOutcome,
) -> Result<(), SstableError> {
    let mut merged = MergedScan::new(inputs.readers.iter().map(|r| r.scan()).collect());
    let mut slicer = crate::storage::cooperative::Slicer::default();
    // Progress charged to the limiter so far: max(input bytes read, output bytes written).
    let mut charged = 0;
    while let Some((position, mut partition)) = merged.next_partition().await? {
        outcome.partitions_read += 1;
        if table.has_dropped_columns() {
            // Cells a column drop hid are gone for good (any older version is hidden too).
            partition.remove_cells(|column, ts| table.drop_shadows(column, ts));
        }
        let max_purgeable = max_purgeable_timestamp(store, table, inputs.generations, &position);
        let limits = PurgeLimits::new(now, table.gc_grace_seconds, max_purgeable);
        if let Some(partition) = purge_partition(partition, &limits) {
            outputs.write(store, table, &position, &partition).await?;
            outcome.partitions_written += 1;
        }
        inputs.progress.set(merged.bytes_read());
        let progress = merged.bytes_read().max(outputs.bytes_written());
        inputs.limiter.consume(progress.saturating_sub(charged)).await;
        charged = charged.max(progress);
        slicer.tick().await;
    }
    outputs.finish_current().await?;
    inputs.limiter.consume(outputs.bytes_written().saturating_sub(charged)).await;
    outcome.bytes_written = outputs.finished_bytes;
    outcome.merged_from = merged.merged_from();
    Ok(())
}

/// The oldest timestamp data outside the compaction may hold for this partition: the
/// other SSTables that may contain it and the memtables that do. Tombstones at or above
/// it must stay.
fn max_purgeable_timestamp(
    store: &RefCell<ShardStore>,
    table: &StorageOptions,
    compacting: &[u64],
    position: &PartitionPosition,
) -> WriteTimestamp {
    let store = store.borrow();
    let Some(t) = store.table(&table.id) else { return WriteTimestamp::MIN };
    let sstables = t
        .sstables
        .iter()
        .filter(|s| s.foreign || !compacting.contains(&s.reader.generation()))
        .filter(|s| s.may_hold(position))
        .map(|s| s.reader.statistics().min_timestamp);
    let memtables = std::iter::once(&t.active)
        .chain(t.flushing.iter().map(|m| m.as_ref()))
        .filter_map(|m| m.partition(position))
        .map(|p| min_timestamp(position, p));
    sstables.chain(memtables).min().unwrap_or(WriteTimestamp::MAX)
}

fn min_timestamp(position: &PartitionPosition, p: &Partition) -> WriteTimestamp {
    let mut s = Statistics::default();
    s.add_partition(position, p);
    s.min_timestamp
}

/// Replaces the inputs by the outputs in the table's SSTable list.
fn swap(store: &RefCell<ShardStore>, table: &StorageOptions, inputs: &[u64], outputs: Vec<Rc<SstableReader>>) {
    let mut store = store.borrow_mut();
    let t = store.table_mut(&table.id);
    t.sstables.retain(|s| s.foreign || !inputs.contains(&s.reader.generation()));
    t.sstables.extend(outputs.into_iter().map(|reader| OpenSstable { reader, foreign: false }));
    t.version += 1;
}

/// The SSTables being written: at most one open writer, rolled at the size limit.
struct Outputs {
    options: SstableWriterOptions,
    dir: std::path::PathBuf,
    /// Roll to a new output past this many data bytes (`None`: one output).
    max_output_bytes: Option<u64>,
    current: Option<SstableWriter>,
    finished: Vec<Rc<SstableReader>>,
    /// Data bytes of the finished outputs.
    finished_bytes: u64,
}

impl Outputs {
    async fn write(
        &mut self,
        store: &RefCell<ShardStore>,
        table: &StorageOptions,
        position: &PartitionPosition,
        partition: &Partition,
    ) -> Result<(), SstableError> {
        let max = self.max_output_bytes;
        if self.current.as_ref().is_some_and(|w| max.is_some_and(|max| w.data_bytes() >= max)) {
            self.finish_current().await?;
        }
        let writer = match self.current.take() {
            Some(w) => w,
            None => SstableWriter::create(&self.dir, next_generation(store, table), self.options).await?,
        };
        self.current.insert(writer).write_partition(position, partition).await
    }

    /// Data bytes written so far (finished outputs and the current one's written blocks).
    fn bytes_written(&self) -> u64 {
        self.finished_bytes + self.current.as_ref().map_or(0, SstableWriter::data_bytes)
    }

    /// Completes and opens the current output (an empty one is abandoned).
    async fn finish_current(&mut self) -> Result<(), SstableError> {
        let Some(writer) = self.current.take() else { return Ok(()) };
        if writer.partition_count() == 0 {
            writer.abort().await;
            return Ok(());
        }
        let generation = writer.generation();
        writer.finish().await?;
        let reader = SstableReader::open(&self.dir, generation).await?;
        self.finished_bytes += reader.statistics().data_size_bytes;
        self.finished.push(Rc::new(reader));
        Ok(())
    }

    /// Removes everything written (the compaction did not take effect).
    async fn discard(mut self) {
        if let Some(w) = self.current.take() {
            w.abort().await;
        }
        for reader in self.finished.drain(..) {
            delete_sstable(&reader).await;
        }
    }
}
