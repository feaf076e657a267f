//! Everything a shard stores, by table: the active memtable taking writes, sealed
//! memtables being flushed (still readable), and the SSTables flushed so far. Owned by one
//! shard's executor only.

use std::path::PathBuf;
use std::rc::Rc;

use ahash::AHashMap;
use uuid::Uuid;

use crate::model::mutation::{Mutation, PartitionPosition};

use super::compaction::SstableSummary;
use super::memtable::Memtable;
use super::partition::Partition;
use super::sstable::{Generation, SstableReader};

/// An SSTable this shard reads.
pub struct OpenSstable {
    pub reader: Rc<SstableReader>,
    /// Written by another shard layout (another `--smp`): it also holds partitions other
    /// shards own, which scans must skip.
    pub foreign: bool,
}

impl OpenSstable {
    /// Whether the SSTable may hold the partition (token range, then bloom filter).
    pub fn may_hold(&self, position: &PartitionPosition) -> bool {
        let stats = self.reader.statistics();
        stats.partition_count > 0
            && (stats.min_token..=stats.max_token).contains(&position.token)
            && self.reader.may_contain(&position.key)
    }
}

/// One table's storage on one shard. Its fields are storage's own: the replica reads
/// through the methods below, and only storage's flush, compaction and start-up code moves
/// memtables and SSTables.
#[derive(Default)]
pub struct TableStore {
    pub(super) active: Memtable,
    /// Sealed memtables, oldest first, until their SSTable is installed.
    pub(super) flushing: Vec<Rc<Memtable>>,
    pub(super) sstables: Vec<OpenSstable>,
    /// This shard's directory for new SSTables of the table, once known.
    pub(super) directory: Option<PathBuf>,
    pub(super) next_generation: Generation,
    /// Bumped whenever memtables or SSTables move (seal, install): a read that awaited
    /// SSTable I/O checks it and retries, so it never misses data in transit.
    pub(super) version: u64,
}

impl TableStore {
    /// Changes whenever memtables or SSTables move; equal before and after an await means
    /// nothing moved meanwhile.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Bytes in the active memtable (a flush starts past the threshold).
    pub fn active_size_bytes(&self) -> usize {
        self.active.size_bytes()
    }

    /// The table's own SSTables (not foreign ones) as compaction strategies see them.
    pub fn own_sstable_summaries(&self) -> Vec<SstableSummary> {
        self.sstables
            .iter()
            .filter(|s| !s.foreign)
            .map(|s| {
                let st = s.reader.statistics();
                SstableSummary {
                    generation: s.reader.generation(),
                    size_bytes: st.data_size_bytes,
                    min_token: st.min_token,
                    max_token: st.max_token,
                    min_timestamp: st.min_timestamp,
                    max_timestamp: st.max_timestamp,
                    level: st.level,
                }
            })
            .collect()
    }

    /// The SSTables this shard reads for the table.
    pub fn sstables(&self) -> &[OpenSstable] {
        &self.sstables
    }

    /// The memtables, newest (the active one) first, then the sealed ones being flushed.
    pub fn memtables(&self) -> impl Iterator<Item = &Memtable> {
        std::iter::once(&self.active).chain(self.flushing.iter().map(|m| m.as_ref()))
    }

    /// The partition's versions in the sealed memtables (oldest first) and the active one.
    pub fn memtable_partitions(&self, position: &PartitionPosition) -> (Vec<&Partition>, Option<&Partition>) {
        let sealed = self.flushing.iter().filter_map(|m| m.partition(position)).collect();
        (sealed, self.active.partition(position))
    }

    /// Takes in the SSTables opened at start-up (aside, while replay may already write).
    pub fn adopt_opened(&mut self, found: TableStore) {
        self.sstables.extend(found.sstables);
        self.next_generation = self.next_generation.max(found.next_generation);
        if self.directory.is_none() {
            self.directory = found.directory;
        }
    }

    /// The SSTables of a table being dropped.
    pub fn into_sstables(self) -> Vec<OpenSstable> {
        self.sstables
    }

    pub fn size_bytes(&self) -> usize {
        self.active.size_bytes() + self.flushing.iter().map(|m| m.size_bytes()).sum::<usize>()
    }

    /// The commitlog entries per segment its memtables hold.
    pub fn commitlog_counts(&self) -> Vec<(u64, u64)> {
        std::iter::once(&self.active)
            .chain(self.flushing.iter().map(|m| m.as_ref()))
            .flat_map(|m| m.commitlog_segments().iter().map(|(s, c)| (*s, *c)))
            .collect()
    }

    /// Seals the active memtable for flushing; `None` if it is empty.
    pub fn seal(&mut self) -> Option<(Rc<Memtable>, Generation)> {
        if self.active.is_empty() {
            return None;
        }
        let sealed = Rc::new(std::mem::take(&mut self.active));
        self.flushing.push(sealed.clone());
        self.version += 1;
        self.next_generation += 1;
        Some((sealed, self.next_generation))
    }

    /// Replaces a flushed memtable by its SSTable.
    pub fn install_flushed(&mut self, memtable: &Rc<Memtable>, reader: Rc<SstableReader>) {
        self.flushing.retain(|m| !Rc::ptr_eq(m, memtable));
        self.sstables.push(OpenSstable { reader, foreign: false });
        self.version += 1;
    }
}

#[derive(Default)]
pub struct ShardStore {
    tables: AHashMap<Uuid, TableStore>,
}

impl ShardStore {
    pub fn apply(&mut self, mutation: Mutation, commitlog_segment: Option<u64>) {
        self.tables.entry(mutation.table_id).or_default().active.apply(mutation, commitlog_segment);
    }

    pub fn table(&self, id: &Uuid) -> Option<&TableStore> {
        self.tables.get(id)
    }

    pub fn table_mut(&mut self, id: &Uuid) -> &mut TableStore {
        self.tables.entry(*id).or_default()
    }

    pub fn table_ids(&self) -> Vec<Uuid> {
        self.tables.keys().copied().collect()
    }

    /// Removes the tables that no longer exist and returns them (their commitlog segment
    /// counts to release, their SSTables to delete).
    pub fn retain_tables(&mut self, keep: impl Fn(&Uuid) -> bool) -> Vec<TableStore> {
        let dropped: Vec<Uuid> = self.tables.keys().filter(|id| !keep(id)).copied().collect();
        dropped.iter().filter_map(|id| self.tables.remove(id)).collect()
    }

    /// Empties a table (TRUNCATE); returns its released segment counts and SSTables. The
    /// table's generation counter stays, so new SSTables never reuse a deleted one's name.
    pub fn truncate(&mut self, table: &Uuid) -> (Vec<(u64, u64)>, Vec<OpenSstable>) {
        match self.tables.get_mut(table) {
            Some(t) => {
                let released = t.commitlog_counts();
                t.active = Memtable::default();
                t.flushing.clear();
                t.version += 1;
                (released, std::mem::take(&mut t.sstables))
            }
            None => (vec![], vec![]),
        }
    }

    pub fn size_bytes(&self) -> usize {
        self.tables.values().map(TableStore::size_bytes).sum()
    }

    /// Each table's number of SSTables.
    pub fn sstable_counts(&self) -> impl Iterator<Item = usize> + '_ {
        self.tables.values().map(|t| t.sstables.len())
    }

    pub fn sstable_count(&self) -> usize {
        self.tables.values().map(|t| t.sstables.len()).sum()
    }
}
