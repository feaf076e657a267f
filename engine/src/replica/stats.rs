//! What the operator sees of a shard's storage (`nodetool tablestats`, `compactionstats`,
//! `compactionhistory`, `info`) as `Send` snapshots the admin endpoint gathers from every
//! shard by typed calls, and the run-time knobs it turns (compaction throughput).

use std::sync::atomic::Ordering::Relaxed;

use super::compaction_activity::{CompactionRecord, RunningCompaction};
use super::table_metrics::TableStats;
use super::Replica;

impl Replica {
    /// Statistics on this shard of every table of the schema (not virtual ones, not index
    /// backing tables); zeros for a table with nothing stored here.
    pub fn table_stats(&self) -> Vec<TableStats> {
        let schema = self.schema();
        let store = self.store.borrow();
        let mut out = Vec::new();
        for def in schema.keyspaces().flat_map(|k| k.tables.values()).filter(|t| !t.is_virtual && !t.is_index_backing) {
            let id = def.id;
            let mut stats =
                TableStats { id, keyspace: def.keyspace.clone(), table: def.name.clone(), ..Default::default() };
            if let Some(t) = store.table(&id) {
                for s in t.sstables() {
                    let st = s.reader.statistics();
                    stats.sstable_count += 1;
                    stats.sstable_partitions += st.partition_count;
                    stats.bloom_filter_bytes += s.reader.filter_size_bytes();
                    stats.space_used_bytes += st.data_size_bytes + st.index_size_bytes + s.reader.filter_size_bytes();
                }
                let mut memtables = t.memtables();
                if let Some(active) = memtables.next() {
                    stats.memtable_data_bytes = active.size_bytes() as u64;
                    stats.memtable_partitions = active.partition_count() as u64;
                }
                stats.pending_flushes = memtables.count() as u64;
            }
            self.table_metrics.fill(&id, &mut stats);
            out.push(stats);
        }
        out
    }

    pub fn running_compactions(&self) -> Vec<RunningCompaction> {
        self.compaction_activity.running()
    }

    pub fn compaction_history(&self) -> Vec<CompactionRecord> {
        self.compaction_activity.history()
    }

    /// This shard's compaction bandwidth, bytes/s (`None`: unthrottled).
    pub fn compaction_throughput(&self) -> Option<u64> {
        self.compaction_limiter.bytes_per_second()
    }

    /// Sets this shard's compaction bandwidth, bytes/s (`None` or 0: unthrottled), at once.
    pub fn set_compaction_throughput(&self, bytes_per_second: Option<u64>) {
        self.compaction_limiter.set_bytes_per_second(bytes_per_second);
        self.metrics().compaction_bandwidth_limit.store(self.compaction_throughput().unwrap_or(0), Relaxed);
    }

    /// Bytes held in this shard's memtables (active and being flushed).
    pub fn memtable_bytes(&self) -> u64 {
        self.store.borrow().size_bytes() as u64
    }
}
