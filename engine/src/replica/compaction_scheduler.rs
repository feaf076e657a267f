//! When compactions run: after every flush (and at start-up) a table whose strategy names
//! a job gets a background task in the shard's compaction task queue, which runs jobs
//! until the strategy has nothing left to do; at most one compaction per table and shard
//! at a time. `nodetool compact` runs a major compaction after the running one;
//! `nodetool disableautocompaction` keeps a table's background compactions from starting
//! (one running finishes its current job) until `enableautocompaction`.
//!
//! The compaction queue's shares follow the backlog, a simple form of ScyllaDB's
//! compaction controller: idle compactions get few shares so requests keep their
//! latency, and a growing pile of SSTables waiting to be compacted raises them so
//! compaction cannot fall behind for ever.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::model::cell::EpochSeconds;
use crate::model::clock::now_micros;
use crate::schema::TableDef;
use crate::storage::compaction::executor::{run_job_with_progress, CompactionOutcome};
use crate::storage::compaction::{CompactionJob, CompactionStrategy, SstableSummary, StrategyError};

use super::compaction_activity::{CompactionKind, CompactionRecord};
use super::{storage_options, Replica, ReplicaError};

/// Shares of the compaction queue with no backlog (requests have 1000, flushes 100).
pub const COMPACTION_SHARES_MIN: usize = 50;
/// Shares at the largest backlog.
pub const COMPACTION_SHARES_MAX: usize = 1000;
/// Shares added per SSTable above [`BACKLOG_FREE_SSTABLES`] in a table.
const SHARES_PER_BACKLOG_SSTABLE: usize = 50;
/// SSTables a table may hold before they count as backlog.
const BACKLOG_FREE_SSTABLES: usize = 4;
/// How often a waiting `nodetool compact` checks whether the table's compaction ended.
const MAJOR_WAIT_POLL_MS: u64 = 10;

/// Compaction backlog of a shard, read by glommio to set the compaction queue's shares.
#[derive(Default)]
pub struct CompactionBacklog {
    /// SSTables above the backlog-free count, summed over tables.
    sstables: Cell<usize>,
}

impl CompactionBacklog {
    pub fn set(&self, sstables: usize) {
        self.sstables.set(sstables);
    }
}

impl glommio::SharesManager for CompactionBacklog {
    fn shares(&self) -> usize {
        (COMPACTION_SHARES_MIN + self.sstables.get() * SHARES_PER_BACKLOG_SSTABLE).min(COMPACTION_SHARES_MAX)
    }
}

fn now_seconds() -> EpochSeconds {
    crate::model::clock::now_seconds()
}

/// The table's own SSTables as the strategies see them.
fn summaries(shard: &Replica, table: &TableDef) -> Vec<SstableSummary> {
    let store = shard.store.borrow();
    let Some(t) = store.table(&table.id) else { return vec![] };
    t.own_sstable_summaries()
}

/// Checks a table's `compaction` option map as Cassandra does (class, sub-options), in
/// Cassandra's words: DDL refuses a table whose strategy could not run.
pub fn validate_options(options: &crate::schema::options::StringMap) -> Result<(), StrategyError> {
    CompactionStrategy::from_options(options).map(drop)
}

fn strategy_of(table: &TableDef) -> Option<CompactionStrategy> {
    match CompactionStrategy::from_options(&table.options.compaction) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!("{}.{}: no compaction: {e}", table.keyspace, table.name);
            None
        }
    }
}

/// Recomputes the backlog that sets the compaction queue's shares.
pub fn update_backlog(shard: &Replica) {
    let backlog = shard.store.borrow().sstable_counts().map(|n| n.saturating_sub(BACKLOG_FREE_SSTABLES)).sum();
    shard.compaction_backlog.set(backlog);
}

/// Starts background compaction of the table unless one is running (it will pick again).
pub fn maybe_schedule_compaction(shard: &Rc<Replica>, table_id: &uuid::Uuid) {
    update_backlog(shard);
    if shard.compacting_tables.borrow().contains(table_id) || !autocompaction_enabled(shard, table_id) {
        return;
    }
    let Some(table) = shard.schema().table_by_id(table_id).cloned() else { return };
    let Some(strategy) = strategy_of(&table) else { return };
    if strategy.pick(&summaries(shard, &table), now_micros()).is_none() {
        return;
    }
    shard.compacting_tables.borrow_mut().insert(table.id);
    let task = {
        let shard = shard.clone();
        async move {
            compact_in_background(&shard, &table, &strategy).await;
            shard.compacting_tables.borrow_mut().remove(&table.id);
        }
    };
    match glommio::spawn_local_into(task, shard.compaction_queue) {
        Ok(t) => {
            t.detach();
        }
        Err(e) => {
            shard.compacting_tables.borrow_mut().remove(table_id);
            tracing::error!("cannot schedule a compaction: {e}");
        }
    }
}

/// Runs the strategy's jobs until it has none (or one fails: the next flush retries).
async fn compact_in_background(shard: &Rc<Replica>, table: &Arc<TableDef>, strategy: &CompactionStrategy) {
    while let Some(job) = strategy.pick(&summaries(shard, table), now_micros()) {
        if !autocompaction_enabled(shard, &table.id) {
            return;
        }
        if !matches!(run(shard, table, &job, CompactionKind::Background).await, Ok(true)) {
            return;
        }
    }
}

/// Runs one job: `Ok(false)` if it no longer applied (its inputs changed meanwhile).
async fn run(
    shard: &Rc<Replica>,
    table: &TableDef,
    job: &CompactionJob,
    kind: CompactionKind,
) -> Result<bool, ReplicaError> {
    let started = std::time::Instant::now();
    let options = storage_options(table);
    let total_bytes =
        summaries(shard, table).iter().filter(|s| job.inputs.contains(&s.generation)).map(|s| s.size_bytes).sum();
    let running = shard.compaction_activity.start(kind, &table.keyspace, &table.name, total_bytes);
    let result =
        run_job_with_progress(&shard.store, &options, job, now_seconds(), &shard.compaction_limiter, &running.progress)
            .await;
    let id = running.id;
    drop(running);
    update_backlog(shard);
    shard.refresh_storage_metrics();
    match result {
        Ok(Some(outcome)) => {
            record(shard, table, &outcome, started.elapsed());
            shard.compaction_activity.finished(CompactionRecord {
                id,
                keyspace: table.keyspace.clone(),
                table: table.name.clone(),
                compacted_at_ms: crate::model::clock::now_micros().max(0) as u64 / 1000,
                bytes_in: outcome.bytes_read,
                bytes_out: outcome.bytes_written,
                rows_merged: outcome.merged_from.clone(),
            });
            Ok(true)
        }
        Ok(None) => Ok(false),
        Err(e) => {
            crate::runtime::metrics::ShardMetrics::inc(&shard.metrics().compaction_failures);
            tracing::error!("shard {}: compaction of {}.{} failed: {e}", shard.id, table.keyspace, table.name);
            Err(ReplicaError::storage("compaction")(e))
        }
    }
}

fn record(shard: &Replica, table: &TableDef, outcome: &CompactionOutcome, took: Duration) {
    use std::sync::atomic::Ordering::Relaxed;
    let m = shard.metrics();
    crate::runtime::metrics::ShardMetrics::inc(&m.compactions);
    m.compaction_bytes_read.fetch_add(outcome.bytes_read, Relaxed);
    m.compaction_bytes_written.fetch_add(outcome.bytes_written, Relaxed);
    tracing::info!(
        "shard {}: compacted {}.{}: {} SSTables ({} bytes, {} partitions) into {} ({} bytes, {} partitions) in {:?}",
        shard.id,
        table.keyspace,
        table.name,
        outcome.inputs,
        outcome.bytes_read,
        outcome.partitions_read,
        outcome.outputs,
        outcome.bytes_written,
        outcome.partitions_written,
        took
    );
}

/// A major compaction of one table (`nodetool compact`), after any running one.
pub async fn compact_major(shard: &Rc<Replica>, table: &Arc<TableDef>) -> Result<(), ReplicaError> {
    while shard.compacting_tables.borrow().contains(&table.id) {
        glommio::timer::sleep(Duration::from_millis(MAJOR_WAIT_POLL_MS)).await;
    }
    let strategy = CompactionStrategy::from_options(&table.options.compaction)
        .map_err(|e| ReplicaError::CompactionOptions(e.to_string()))?;
    let Some(job) = strategy.major(&summaries(shard, table)) else { return Ok(()) };
    shard.compacting_tables.borrow_mut().insert(table.id);
    let task = {
        let (shard, table) = (shard.clone(), table.clone());
        async move { run(&shard, &table, &job, CompactionKind::Major).await.map(|_| ()) }
    };
    let result = match glommio::spawn_local_into(task, shard.compaction_queue) {
        Ok(task) => task.await,
        Err(e) => {
            tracing::error!("cannot schedule a compaction: {e}");
            Err(ReplicaError::NotScheduled("a compaction"))
        }
    };
    shard.compacting_tables.borrow_mut().remove(&table.id);
    result
}

/// Major compactions of the given tables (all user tables when `None`) on this shard.
pub async fn compact_tables(shard: &Rc<Replica>, tables: Option<&[uuid::Uuid]>) -> Result<(), ReplicaError> {
    for table in shard.stored_tables(tables) {
        compact_major(shard, &table).await?;
    }
    Ok(())
}

fn autocompaction_enabled(shard: &Replica, table: &uuid::Uuid) -> bool {
    !shard.autocompaction_disabled.borrow().contains(table)
}

/// `nodetool enableautocompaction` / `disableautocompaction` of the given tables (all
/// stored tables when `None`) on this shard; enabling starts what the strategies ask for.
pub fn set_autocompaction(shard: &Rc<Replica>, tables: Option<&[uuid::Uuid]>, enabled: bool) {
    let ids: Vec<uuid::Uuid> = match tables {
        Some(ids) => ids.to_vec(),
        None => shard.store.borrow().table_ids(),
    };
    for id in &ids {
        if enabled {
            shard.autocompaction_disabled.borrow_mut().remove(id);
        } else {
            shard.autocompaction_disabled.borrow_mut().insert(*id);
        }
    }
    if enabled {
        for id in &ids {
            maybe_schedule_compaction(shard, id);
        }
    }
}

/// Tables with a compaction job waiting (their strategy picks one, none runs): `nodetool
/// compactionstats`' pending tasks, as `(keyspace, table)`.
pub fn pending_tasks(shard: &Replica) -> Vec<(String, String)> {
    let schema = shard.schema();
    shard
        .store
        .borrow()
        .table_ids()
        .iter()
        .filter(|id| !shard.compacting_tables.borrow().contains(id))
        .filter_map(|id| schema.table_by_id(id))
        .filter(|t| strategy_of(t).is_some_and(|s| s.pick(&summaries(shard, t), now_micros()).is_some()))
        .map(|t| (t.keyspace.clone(), t.name.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::validate_options;

    fn map(pairs: &[(&str, &str)]) -> crate::schema::options::StringMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn compaction_options_are_validated_by_the_strategy() {
        assert_eq!(
            validate_options(&map(&[("class", "NoSuchStrategy")])).unwrap_err().to_string(),
            "Unable to find compaction strategy class 'org.apache.cassandra.db.compaction.NoSuchStrategy'"
        );
        assert_eq!(
            validate_options(&map(&[("class", "SizeTieredCompactionStrategy"), ("min_threshold", "1")]))
                .unwrap_err()
                .to_string(),
            "Min compaction threshold cannot be less than 2 (got 1)"
        );
        validate_options(&map(&[("class", "LeveledCompactionStrategy"), ("sstable_size_in_mb", "1")])).unwrap();
    }
}
