//! Everything a shard stores, by table id. Owned by one shard's executor only.

use ahash::AHashMap;
use uuid::Uuid;

use crate::model::mutation::Mutation;

use super::memtable::Memtable;

#[derive(Debug, Default)]
pub struct ShardStore {
    tables: AHashMap<Uuid, Memtable>,
}

impl ShardStore {
    pub fn apply(&mut self, mutation: Mutation) {
        self.tables.entry(mutation.table_id).or_default().apply(mutation);
    }

    pub fn memtable(&self, table: &Uuid) -> Option<&Memtable> {
        self.tables.get(table)
    }

    /// Drops the data of tables that no longer exist in the schema.
    pub fn retain_tables(&mut self, keep: impl Fn(&Uuid) -> bool) {
        self.tables.retain(|id, _| keep(id));
    }

    pub fn truncate(&mut self, table: &Uuid) {
        self.tables.remove(table);
    }

    pub fn size_bytes(&self) -> usize {
        self.tables.values().map(Memtable::size_bytes).sum()
    }
}
