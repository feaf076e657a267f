//! Per-table counters of one shard, for `nodetool tablestats`: client writes and
//! single-partition reads (counts and total latency), memtable switches (flushes), cells in
//! the active memtable, and how often a bloom filter let a read into an SSTable that held
//! the partition or did not. Kept in the shard's [`super::Replica`] (`Cell`s, no lock) and
//! summed over shards by the admin endpoint from [`TableStats`] snapshots.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use ahash::AHashMap;

use crate::model::mutation::Mutation;

/// One table's counters on this shard.
#[derive(Default)]
struct TableCounters {
    reads: Cell<u64>,
    read_micros: Cell<u64>,
    writes: Cell<u64>,
    write_micros: Cell<u64>,
    memtable_switches: Cell<u64>,
    memtable_cells: Cell<u64>,
    bloom_true_positives: Cell<u64>,
    bloom_false_positives: Cell<u64>,
}

fn add(cell: &Cell<u64>, n: u64) {
    cell.set(cell.get().saturating_add(n));
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// The counters of every table this shard has served.
#[derive(Default)]
pub struct TableMetrics {
    by_table: RefCell<AHashMap<uuid::Uuid, TableCounters>>,
}

impl TableMetrics {
    fn with(&self, table: uuid::Uuid, f: impl FnOnce(&TableCounters)) {
        f(self.by_table.borrow_mut().entry(table).or_default());
    }

    /// Client mutations applied to the memtable, all of them in `took`.
    pub fn wrote(&self, mutations: &[Mutation], took: Duration) {
        for m in mutations {
            self.with(m.table_id, |c| {
                add(&c.writes, 1);
                add(&c.write_micros, micros(took));
                add(&c.memtable_cells, cell_count(m));
            });
        }
    }

    /// A single-partition read that took `took`.
    pub fn read(&self, table: uuid::Uuid, took: Duration) {
        self.with(table, |c| {
            add(&c.reads, 1);
            add(&c.read_micros, micros(took));
        });
    }

    /// An SSTable a read entered after its bloom filter: whether it held the partition.
    pub fn bloom_filter_answer(&self, table: uuid::Uuid, held: bool) {
        self.with(table, |c| add(if held { &c.bloom_true_positives } else { &c.bloom_false_positives }, 1));
    }

    /// The active memtable was sealed (its cells are no longer counted).
    pub fn memtable_sealed(&self, table: uuid::Uuid) {
        self.with(table, |c| c.memtable_cells.set(0));
    }

    /// A sealed memtable became an SSTable.
    pub fn memtable_switched(&self, table: uuid::Uuid) {
        self.with(table, |c| add(&c.memtable_switches, 1));
    }

    /// Forgets the tables `keep` does not name (dropped).
    pub fn forget_all_but(&self, keep: impl Fn(&uuid::Uuid) -> bool) {
        self.by_table.borrow_mut().retain(|id, _| keep(id));
    }

    /// The counters of a table (zeros if it was never served), into `stats`.
    pub fn fill(&self, table: &uuid::Uuid, stats: &mut TableStats) {
        let by_table = self.by_table.borrow();
        let Some(c) = by_table.get(table) else { return };
        stats.read_count += c.reads.get();
        stats.read_micros += c.read_micros.get();
        stats.write_count += c.writes.get();
        stats.write_micros += c.write_micros.get();
        stats.memtable_switch_count += c.memtable_switches.get();
        stats.memtable_cell_count += c.memtable_cells.get();
        stats.bloom_filter_true_positives += c.bloom_true_positives.get();
        stats.bloom_filter_false_positives += c.bloom_false_positives.get();
    }
}

/// Cells a mutation writes (row markers and deletions are not cells).
fn cell_count(m: &Mutation) -> u64 {
    (m.static_cells.len() + m.rows.iter().map(|r| r.cells.len()).sum::<usize>()) as u64
}

/// One table's statistics on one shard, or summed over shards ([`TableStats::add`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableStats {
    pub id: uuid::Uuid,
    pub keyspace: String,
    pub table: String,
    pub sstable_count: u64,
    /// Bytes of the SSTables' data, index and bloom filter components.
    pub space_used_bytes: u64,
    pub sstable_partitions: u64,
    pub memtable_partitions: u64,
    pub memtable_cell_count: u64,
    /// Bytes held by the active memtable.
    pub memtable_data_bytes: u64,
    pub memtable_switch_count: u64,
    /// Sealed memtables waiting for their SSTable.
    pub pending_flushes: u64,
    pub read_count: u64,
    pub read_micros: u64,
    pub write_count: u64,
    pub write_micros: u64,
    pub bloom_filter_true_positives: u64,
    pub bloom_filter_false_positives: u64,
    pub bloom_filter_bytes: u64,
}

impl TableStats {
    /// Adds another shard's statistics of the same table.
    pub fn add(&mut self, other: &TableStats) {
        self.sstable_count += other.sstable_count;
        self.space_used_bytes += other.space_used_bytes;
        self.sstable_partitions += other.sstable_partitions;
        self.memtable_partitions += other.memtable_partitions;
        self.memtable_cell_count += other.memtable_cell_count;
        self.memtable_data_bytes += other.memtable_data_bytes;
        self.memtable_switch_count += other.memtable_switch_count;
        self.pending_flushes += other.pending_flushes;
        self.read_count += other.read_count;
        self.read_micros += other.read_micros;
        self.write_count += other.write_count;
        self.write_micros += other.write_micros;
        self.bloom_filter_true_positives += other.bloom_filter_true_positives;
        self.bloom_filter_false_positives += other.bloom_filter_false_positives;
        self.bloom_filter_bytes += other.bloom_filter_bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::mutation::PartitionPosition;

    #[test]
    fn counters_add_up_per_table() {
        let metrics = TableMetrics::default();
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let position = PartitionPosition { token: crate::model::token::Token::default(), key: Default::default() };
        let m = Mutation::new(a, position);
        metrics.wrote(&[m.clone(), m], Duration::from_micros(30));
        metrics.read(a, Duration::from_micros(5));
        metrics.bloom_filter_answer(a, false);
        metrics.memtable_switched(a);
        let mut stats = TableStats::default();
        metrics.fill(&a, &mut stats);
        assert_eq!((stats.write_count, stats.write_micros, stats.read_count, stats.read_micros), (2, 60, 1, 5));
        assert_eq!((stats.bloom_filter_false_positives, stats.memtable_switch_count), (1, 1));
        let mut other = TableStats::default();
        metrics.fill(&b, &mut other);
        assert_eq!(other, TableStats::default(), "a table never served has zeros");
        other.add(&stats);
        other.add(&stats);
        assert_eq!(other.write_count, 4);
    }
}
