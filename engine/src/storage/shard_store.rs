//! Everything a shard stores, by table: the active memtable taking writes, sealed
//! memtables being flushed (still readable), and the SSTables flushed so far. Owned by one
//! shard's executor only.

use std::path::PathBuf;
use std::rc::Rc;

use ahash::AHashMap;
use uuid::Uuid;

use crate::model::mutation::Mutation;

use super::memtable::Memtable;
use super::sstable::{Generation, SstableReader};

/// An SSTable this shard reads.
pub struct OpenSstable {
    pub reader: Rc<SstableReader>,
    /// Written by another shard layout (another `--smp`): it also holds partitions other
    /// shards own, which scans must skip.
    pub foreign: bool,
}

#[derive(Default)]
pub struct TableStore {
    pub active: Memtable,
    /// Sealed memtables, oldest first, until their SSTable is installed.
    pub flushing: Vec<Rc<Memtable>>,
    pub sstables: Vec<OpenSstable>,
    /// This shard's directory for new SSTables of the table, once known.
    pub directory: Option<PathBuf>,
    pub next_generation: Generation,
    /// Bumped whenever memtables or SSTables move (seal, install): a read that awaited
    /// SSTable I/O checks it and retries, so it never misses data in transit.
    pub version: u64,
}

impl TableStore {
    pub fn size_bytes(&self) -> usize {
        self.active.size_bytes() + self.flushing.iter().map(|m| m.size_bytes()).sum::<usize>()
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

    /// Drops tables that no longer exist; returns the commitlog segment counts their
    /// memtables held (now released).
    pub fn retain_tables(&mut self, keep: impl Fn(&Uuid) -> bool) -> Vec<(u64, u64)> {
        let mut released = Vec::new();
        self.tables.retain(|id, t| {
            if keep(id) {
                return true;
            }
            released.extend(release_counts(t));
            false
        });
        released
    }

    /// Empties a table (TRUNCATE); returns its released segment counts and SSTables. The
    /// table's generation counter stays, so new SSTables never reuse a deleted one's name.
    pub fn truncate(&mut self, table: &Uuid) -> (Vec<(u64, u64)>, Vec<OpenSstable>) {
        match self.tables.get_mut(table) {
            Some(t) => {
                let released = release_counts(t);
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

    pub fn sstable_count(&self) -> usize {
        self.tables.values().map(|t| t.sstables.len()).sum()
    }
}

fn release_counts(t: &TableStore) -> Vec<(u64, u64)> {
    std::iter::once(&t.active)
        .chain(t.flushing.iter().map(|m| m.as_ref()))
        .flat_map(|m| m.commitlog_segments().iter().map(|(s, c)| (*s, *c)))
        .collect()
}
