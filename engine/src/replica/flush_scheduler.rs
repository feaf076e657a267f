//! When and where flushes run: a table's memtable is flushed once it passes its share of
//! the shard's memtable budget (or on `nodetool flush`), one flush per table at a time, in
//! the shard's low-priority task queue. Writers wait (bounded) while memtables are over
//! budget (woken by the flush that frees memory, not by polling), then get `Overloaded`.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use crate::schema::TableDef;
use crate::storage::flush::{
    flush_table, next_generation, sstable_directory, still_sealed, write_sealed, SealedMemtable,
};

use super::{storage_options, Replica, ReplicaError};

pub use crate::limits::WRITE_STALL_MAX_MS;
use crate::limits::{MEMTABLE_FLUSH_BYTES_MIN, MEMTABLE_FLUSH_SHARE_PERCENT, MEMTABLE_MEMORY_PERCENT};
/// First and longest wait between attempts to write a sealed memtable that failed to flush.
const FLUSH_RETRY_DELAY_MIN_MS: u64 = 100;
const FLUSH_RETRY_DELAY_MAX_MS: u64 = 5_000;

pub fn memtable_budget_bytes(shard: &Replica) -> u64 {
    shard.node.shard_memory_bytes * MEMTABLE_MEMORY_PERCENT / 100
}

pub fn flush_threshold_bytes(shard: &Replica) -> u64 {
    (memtable_budget_bytes(shard) * MEMTABLE_FLUSH_SHARE_PERCENT / 100).max(MEMTABLE_FLUSH_BYTES_MIN)
}

/// Waits while the shard's memtables are over budget, woken whenever memory is freed;
/// `false` if they stayed over for [`WRITE_STALL_MAX_MS`].
pub async fn wait_for_memtable_room(shard: &Replica) -> bool {
    let budget = memtable_budget_bytes(shard);
    if shard.store.borrow().size_bytes() as u64 <= budget {
        return true;
    }
    let deadline = std::time::Instant::now() + Duration::from_millis(WRITE_STALL_MAX_MS);
    while shard.store.borrow().size_bytes() as u64 > budget {
        let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) else { return false };
        let released = shard.memtable_room.next_release();
        futures::pin_mut!(released);
        let timeout = glommio::timer::Timer::new(left);
        futures::pin_mut!(timeout);
        futures::future::select(released, timeout).await;
    }
    true
}

/// Starts a background flush of the table if its memtable is past the threshold.
pub fn maybe_schedule_flush(shard: &Rc<Replica>, table_id: &uuid::Uuid) {
    let due = shard.store.borrow().table(table_id).is_some_and(|t| {
        t.active_size_bytes() as u64 >= flush_threshold_bytes(shard)
            && !shard.flushing_tables.borrow().contains(table_id)
    });
    if !due {
        return;
    }
    let Some(table) = shard.schema().table_by_id(table_id).cloned() else { return };
    shard.flushing_tables.borrow_mut().insert(*table_id);
    let shard = shard.clone();
    let queue = shard.flush_queue;
    let task = async move {
        if let Err(e) = flush(&shard, &table).await {
            tracing::error!("shard {}: flush of {}.{} failed: {e}", shard.id, table.keyspace, table.name);
        }
        shard.flushing_tables.borrow_mut().remove(&table.id);
    };
    match glommio::spawn_local_into(task, queue) {
        Ok(t) => {
            t.detach();
        }
        Err(e) => tracing::error!("cannot schedule a flush: {e}"),
    }
}

/// Flushes one table now (also used by `nodetool flush`). If writing the SSTable fails, the
/// sealed memtable stays readable and a background task retries it with backoff, so its
/// memory and commitlog segments are released once the disk works again.
pub async fn flush(shard: &Rc<Replica>, table: &Arc<TableDef>) -> Result<(), ReplicaError> {
    let options = storage_options(table);
    let dir = sstable_directory(shard.node.config.data_directory(), &options, shard.id, shard.nr_shards());
    // flush_table seals the active memtable before its first await.
    shard.table_metrics.memtable_sealed(table.id);
    match flush_table(&shard.store, &shard.commitlog, dir.clone(), &options).await {
        Ok(Some(stats)) => {
            flushed(shard, table, stats.partition_count);
            Ok(())
        }
        Ok(None) => Ok(()),
        Err((e, sealed)) => {
            *shard.flush_failure.borrow_mut() = Some(e.to_string());
            if let Some(sealed) = sealed {
                let (shard, table) = (shard.clone(), table.clone());
                let queue = shard.flush_queue;
                let retry = async move { retry_sealed(&shard, &table, &dir, sealed).await };
                match glommio::spawn_local_into(retry, queue) {
                    Ok(t) => {
                        t.detach();
                    }
                    Err(e) => tracing::error!("cannot schedule a flush retry: {e}"),
                }
            }
            Err(ReplicaError::storage("flush")(e))
        }
    }
}

fn flushed(shard: &Rc<Replica>, table: &TableDef, partitions: u64) {
    crate::runtime::metrics::ShardMetrics::inc(&shard.metrics().memtable_flushes);
    shard.table_metrics.memtable_switched(table.id);
    shard.flush_failure.borrow_mut().take();
    shard.memtable_room.freed();
    tracing::debug!("shard {}: flushed {}.{}: {partitions} partitions", shard.id, table.keyspace, table.name);
    shard.refresh_storage_metrics();
    super::compaction_scheduler::maybe_schedule_compaction(shard, &table.id);
}

/// Retries writing a sealed memtable until it succeeds or its table is dropped/truncated.
async fn retry_sealed(shard: &Rc<Replica>, table: &Arc<TableDef>, dir: &std::path::Path, mut sealed: SealedMemtable) {
    let options = storage_options(table);
    let mut delay = Duration::from_millis(FLUSH_RETRY_DELAY_MIN_MS);
    loop {
        glommio::timer::sleep(delay).await;
        if !still_sealed(&shard.store, &options, &sealed.memtable) {
            return;
        }
        sealed.generation = next_generation(&shard.store, &options);
        match write_sealed(&shard.store, &shard.commitlog, dir, &options, &sealed).await {
            Ok(stats) => {
                tracing::info!(
                    "shard {}: flush of {}.{} succeeded after retrying",
                    shard.id,
                    table.keyspace,
                    table.name
                );
                flushed(shard, table, stats.partition_count);
                return;
            }
            Err(e) => {
                *shard.flush_failure.borrow_mut() = Some(e.to_string());
                tracing::error!(
                    "shard {}: flush of {}.{} failed again (retrying in {:?}): {e}",
                    shard.id,
                    table.keyspace,
                    table.name,
                    delay
                );
                delay = (delay * 2).min(Duration::from_millis(FLUSH_RETRY_DELAY_MAX_MS));
            }
        }
    }
}

/// Flushes the given tables (all user tables when `None`) on this shard.
pub async fn flush_tables(shard: &Rc<Replica>, tables: Option<&[uuid::Uuid]>) -> Result<(), ReplicaError> {
    for table in shard.stored_tables(tables) {
        flush(shard, &table).await?;
    }
    Ok(())
}
