//! Keyspace, table and column definitions.

use std::collections::BTreeMap;
use std::sync::Arc;

use ahash::AHashMap;
use percore_protocol::types::{CqlType, UdtType};
use uuid::Uuid;

use crate::model::clustering::ClusteringOrder;
use crate::model::mutation::ColumnId;

use super::indexes::IndexDef;
use super::options::TableOptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    PartitionKey,
    Clustering,
    Regular,
    Static,
}

impl ColumnKind {
    /// The name `system_schema.columns.kind` shows.
    pub fn schema_name(self) -> &'static str {
        match self {
            ColumnKind::PartitionKey => "partition_key",
            ColumnKind::Clustering => "clustering",
            ColumnKind::Regular => "regular",
            ColumnKind::Static => "static",
        }
    }

    pub fn is_primary_key(self) -> bool {
        matches!(self, ColumnKind::PartitionKey | ColumnKind::Clustering)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub ty: CqlType,
    pub kind: ColumnKind,
    /// Position within the partition or clustering key; -1 for other columns.
    pub position: i32,
    pub order: ClusteringOrder,
    /// Set once the column has been dropped (`ALTER TABLE ... DROP`).
    pub dropped: Option<DroppedColumn>,
}

/// A column's drop: its cells written at or before `timestamp` are never read again
/// (compaction purges them), even if a column of that name is added back; until it is
/// added back the column is invisible (no name lookup, not in `SELECT *` or metadata).
/// Its id stays taken, so no other column ever reads its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DroppedColumn {
    /// Microseconds since the epoch, like cell timestamps.
    pub timestamp: i64,
    /// Added back after the drop (same name and type): visible again.
    pub readded: bool,
}

impl ColumnDef {
    /// Dropped and not added back: invisible to statements.
    pub fn is_hidden(&self) -> bool {
        self.dropped.is_some_and(|d| !d.readded)
    }

    /// Whether a cell of this column written at `timestamp` was removed by a drop.
    pub fn drop_shadows(&self, timestamp: i64) -> bool {
        self.dropped.is_some_and(|d| timestamp <= d.timestamp)
    }
}

#[derive(Debug, Clone)]
pub struct TableDef {
    pub id: Uuid,
    pub keyspace: String,
    pub name: String,
    /// Partition key columns, then clustering columns (each in key order), then the rest
    /// (static first), each group in definition order; ALTER TABLE ADD appends. A
    /// [`ColumnId`] indexes this list, and stored cells refer to columns by it.
    pub columns: Vec<ColumnDef>,
    pub partition_key: Vec<ColumnId>,
    pub clustering_key: Vec<ColumnId>,
    pub options: TableOptions,
    /// Virtual tables (system keyspaces) are answered from node state, never stored.
    pub is_virtual: bool,
    /// The backing table of a secondary index (`schema::indexes`): stored like any table,
    /// invisible to statements, `system_schema.tables` and DESCRIBE.
    pub is_index_backing: bool,
    by_name: AHashMap<String, ColumnId>,
}

impl TableDef {
    pub fn new(
        id: Uuid,
        keyspace: String,
        name: String,
        columns: Vec<ColumnDef>,
        options: TableOptions,
        is_virtual: bool,
    ) -> TableDef {
        let ids_of = |kind| {
            let mut ids: Vec<ColumnId> =
                (0..columns.len()).filter(|&i| columns[i].kind == kind).map(|i| i as ColumnId).collect();
            ids.sort_by_key(|&i| columns[i as usize].position);
            ids
        };
        let partition_key = ids_of(ColumnKind::PartitionKey);
        let clustering_key = ids_of(ColumnKind::Clustering);
        assert!(!partition_key.is_empty(), "a table has a partition key");
        let by_name = columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_hidden())
            .map(|(i, c)| (c.name.clone(), i as ColumnId))
            .collect();
        TableDef {
            id,
            keyspace,
            name,
            columns,
            partition_key,
            clustering_key,
            options,
            is_virtual,
            is_index_backing: false,
            by_name,
        }
    }

    pub fn column_id(&self, name: &str) -> Option<ColumnId> {
        self.by_name.get(name).copied()
    }

    pub fn column(&self, id: ColumnId) -> &ColumnDef {
        &self.columns[id as usize]
    }

    /// A counter table: every non-key column is a counter.
    pub fn is_counter(&self) -> bool {
        self.columns.iter().any(|c| c.ty.is_counter())
    }

    pub fn has_static_columns(&self) -> bool {
        self.visible_columns().any(|(_, c)| c.kind == ColumnKind::Static)
    }

    /// The columns statements can name (all but dropped ones), with their ids.
    pub fn visible_columns(&self) -> impl Iterator<Item = (ColumnId, &ColumnDef)> {
        self.columns.iter().enumerate().filter(|(_, c)| !c.is_hidden()).map(|(i, c)| (i as ColumnId, c))
    }

    /// Whether any column was ever dropped (reads must then skip its older cells).
    pub fn has_dropped_columns(&self) -> bool {
        self.columns.iter().any(|c| c.dropped.is_some())
    }

    /// Columns in the order `SELECT *` returns them: partition key, clustering, then the
    /// others by name (as Cassandra does).
    /// The columns as DESCRIBE lists them (Cassandra's `allColumnsInCreateOrder`): the
    /// key, then static and then regular columns, each with simple columns before
    /// multi-cell ones and by name within each.
    pub fn create_order(&self) -> Vec<ColumnId> {
        let mut rest: Vec<ColumnId> =
            self.visible_columns().filter(|(_, c)| !c.kind.is_primary_key()).map(|(i, _)| i).collect();
        rest.sort_by(|&a, &b| {
            let key = |id| {
                let c = self.column(id);
                (c.kind != ColumnKind::Static, c.ty.is_multi_cell(), &c.name)
            };
            key(a).cmp(&key(b))
        });
        self.partition_key.iter().chain(&self.clustering_key).copied().chain(rest).collect()
    }

    pub fn select_star_order(&self) -> Vec<ColumnId> {
        let mut rest: Vec<ColumnId> =
            self.visible_columns().filter(|(_, c)| !c.kind.is_primary_key()).map(|(i, _)| i).collect();
        // Static columns first, then regular ones, each by name (Cassandra's
        // `RegularAndStaticColumns.selectOrderIterator`).
        rest.sort_by(|&a, &b| {
            let key = |id| (self.column(id).kind != ColumnKind::Static, &self.column(id).name);
            key(a).cmp(&key(b))
        });
        self.partition_key.iter().chain(&self.clustering_key).copied().chain(rest).collect()
    }
}

#[derive(Debug, Clone)]
pub struct KeyspaceDef {
    pub name: String,
    /// `replication` as `system_schema.keyspaces` shows it: full class name and options.
    pub replication: BTreeMap<String, String>,
    pub durable_writes: bool,
    pub tables: BTreeMap<String, Arc<TableDef>>,
    /// User-defined types by name. Column types embed a copy of the types they use, which
    /// `ALTER TYPE` replaces in every table and type of the keyspace.
    pub types: BTreeMap<String, UdtType>,
    /// Built-in keyspaces are not persisted and cannot be altered or dropped.
    pub is_system: bool,
    /// Secondary indexes by name; each one's backing table is in `tables` too.
    pub indexes: BTreeMap<String, IndexDef>,
}

impl KeyspaceDef {
    /// The tables statements, `system_schema` and DESCRIBE see (not index backing tables).
    pub fn user_tables(&self) -> impl Iterator<Item = &Arc<TableDef>> {
        self.tables.values().filter(|t| !t.is_index_backing)
    }

    /// A table statements may name.
    pub fn user_table(&self, name: &str) -> Option<&Arc<TableDef>> {
        self.tables.get(name).filter(|t| !t.is_index_backing)
    }

    /// The indexes on a table, by index name.
    pub fn indexes_on<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a IndexDef> {
        self.indexes.values().filter(move |i| i.table == table)
    }
}
