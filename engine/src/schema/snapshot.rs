//! An immutable schema snapshot and its version: a UUID derived from the schema's content,
//! so it is stable across restarts and changes only when DDL changes something.

use std::collections::BTreeMap;
use std::sync::Arc;

use ahash::AHashMap;
use uuid::Uuid;

use crate::model::token::murmur3_x64_128;

use super::definitions::{KeyspaceDef, TableDef};
use super::describe;
use super::indexes::IndexDef;

/// A table's secondary indexes, each with its backing table.
pub type TableIndexes = [(IndexDef, Arc<TableDef>)];

#[derive(Debug, Clone, Default)]
pub struct Schema {
    keyspaces: BTreeMap<String, Arc<KeyspaceDef>>,
    tables_by_id: AHashMap<Uuid, Arc<TableDef>>,
    /// Secondary indexes by base table id (with each backing table).
    indexes_by_table: Arc<AHashMap<Uuid, Arc<TableIndexes>>>,
    version: Uuid,
}

impl Schema {
    pub fn new(keyspaces: BTreeMap<String, Arc<KeyspaceDef>>) -> Schema {
        let tables_by_id: AHashMap<Uuid, Arc<TableDef>> =
            keyspaces.values().flat_map(|k| k.tables.values()).map(|t| (t.id, t.clone())).collect();
        let mut indexes: AHashMap<Uuid, Vec<(IndexDef, Arc<TableDef>)>> = AHashMap::new();
        for index in keyspaces.values().flat_map(|k| k.indexes.values()) {
            if let Some(backing) = tables_by_id.get(&index.backing_id) {
                indexes.entry(index.table_id).or_default().push((index.clone(), backing.clone()));
            }
        }
        let indexes_by_table = Arc::new(indexes.into_iter().map(|(id, list)| (id, Arc::from(list))).collect());
        let mut text = String::new();
        for ks in keyspaces.values().filter(|k| !k.is_system) {
            text.push_str(&describe::keyspace_with_tables(ks));
        }
        let (h1, h2) = murmur3_x64_128(text.as_bytes(), 0);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&h1.to_be_bytes());
        bytes[8..].copy_from_slice(&h2.to_be_bytes());
        let version = uuid::Builder::from_md5_bytes(bytes).into_uuid();
        Schema { keyspaces, tables_by_id, indexes_by_table, version }
    }

    pub fn version(&self) -> Uuid {
        self.version
    }

    pub fn keyspaces(&self) -> impl Iterator<Item = &Arc<KeyspaceDef>> {
        self.keyspaces.values()
    }

    pub fn keyspace(&self, name: &str) -> Option<&Arc<KeyspaceDef>> {
        self.keyspaces.get(name)
    }

    pub fn table(&self, keyspace: &str, table: &str) -> Option<&Arc<TableDef>> {
        self.keyspaces.get(keyspace)?.tables.get(table)
    }

    pub fn table_by_id(&self, id: &Uuid) -> Option<&Arc<TableDef>> {
        self.tables_by_id.get(id)
    }

    /// The secondary indexes on a table, each with its backing table (empty for most).
    pub fn indexes_on(&self, table_id: &Uuid) -> &TableIndexes {
        self.indexes_by_table.get(table_id).map_or(&[], |list| list)
    }

    pub fn keyspace_map(&self) -> &BTreeMap<String, Arc<KeyspaceDef>> {
        &self.keyspaces
    }
}
