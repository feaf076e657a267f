//! Reading one partition on its owner shard: every SSTable that may hold it (token range,
//! then bloom filter), then the memtables, merged by reconciliation. A flush that moves
//! memtables or SSTables while the read awaits SSTable I/O makes it start over, so data in
//! transit is never missed. With only the active memtable holding the partition (the common
//! case) nothing is copied: the visitor borrows it.

use std::sync::atomic::Ordering::Relaxed;

use crate::model::mutation::PartitionPosition;
use crate::runtime::metrics::ShardMetrics;
use crate::schema::TableDef;
use crate::storage::Partition;

use crate::limits::READ_RETRIES_MAX;

use super::{Replica, ReplicaError};

impl Replica {
    /// Reads the partition and hands it to `visit` (`None`: no version anywhere). Cells of
    /// dropped columns are still in it: the visitor hides them (reads do, row by row).
    pub async fn read_partition<T>(
        &self,
        table: &TableDef,
        position: &PartitionPosition,
        visit: impl FnOnce(Option<&Partition>) -> T,
    ) -> Result<T, ReplicaError> {
        let started = std::time::Instant::now();
        let from_sstables = self.read_sstables_stable(table, position).await?;
        self.table_metrics.read(table.id, started.elapsed());
        // No await from here on: the memtables seen are those the SSTable read was checked against.
        let store = self.store.borrow();
        let Some(t) = store.table(&table.id) else { return Ok(visit(from_sstables.as_ref())) };
        let (sealed, active) = t.memtable_partitions(position);
        if from_sstables.is_none() && sealed.is_empty() {
            return Ok(visit(active));
        }
        let mut merged = from_sstables.unwrap_or_default();
        for p in sealed.into_iter().chain(active) {
            merged.merge(p.to_owned_copy());
        }
        Ok(visit(Some(&merged)))
    }

    /// The whole partition as memtables and SSTables hold it together (empty if nowhere),
    /// without the cells of dropped columns: the current state read-modify-writes build on.
    pub async fn read_merged(&self, table: &TableDef, position: &PartitionPosition) -> Result<Partition, ReplicaError> {
        let mut merged =
            self.read_partition(table, position, |p| p.map(Partition::to_owned_copy)).await?.unwrap_or_default();
        if table.has_dropped_columns() {
            merged.remove_cells(|column, ts| table.column(column).drop_shadows(ts));
        }
        Ok(merged)
    }

    /// The SSTables' version of the partition, read while no flush moved anything.
    async fn read_sstables_stable(
        &self,
        table: &TableDef,
        position: &PartitionPosition,
    ) -> Result<Option<Partition>, ReplicaError> {
        for _ in 0..READ_RETRIES_MAX {
            let version = self.table_version(table);
            let merged = self.read_sstables(table, position).await?;
            // A flush that installed its SSTable (or sealed a memtable) while we awaited would
            // hide data from this read: start over.
            if self.table_version(table) == version {
                return Ok(merged);
            }
        }
        Err(ReplicaError::Raced { operation: "read", keyspace: table.keyspace.clone(), table: table.name.clone() })
    }

    pub(super) fn table_version(&self, table: &TableDef) -> Option<u64> {
        self.store.borrow().table(&table.id).map(|t| t.version())
    }

    /// The partition as the table's SSTables hold it (merged), if any holds it.
    async fn read_sstables(
        &self,
        table: &TableDef,
        position: &PartitionPosition,
    ) -> Result<Option<Partition>, ReplicaError> {
        let readers: Vec<_> = match self.store.borrow().table(&table.id) {
            Some(t) => t.sstables().iter().filter(|s| s.may_hold(position)).map(|s| s.reader.clone()).collect(),
            None => return Ok(None),
        };
        let metrics = self.metrics();
        ShardMetrics::inc(&metrics.partition_reads);
        metrics.partition_read_sstables.fetch_add(readers.len() as u64, Relaxed);
        let mut merged: Option<Partition> = None;
        for reader in readers {
            let found = reader.read_partition(position).await.map_err(|e| {
                tracing::error!("shard {}: read of {}.{} failed: {e}", self.id, table.keyspace, table.name);
                ReplicaError::storage("read")(e)
            })?;
            self.table_metrics.bloom_filter_answer(table.id, found.is_some());
            if let Some(p) = found {
                match &mut merged {
                    Some(m) => m.merge(p),
                    None => merged = Some(p),
                }
            }
        }
        Ok(merged)
    }
}
