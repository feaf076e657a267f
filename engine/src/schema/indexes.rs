//! Secondary indexes (ScyllaDB's global indexes): an [`IndexDef`] in the keyspace and, per
//! index, a backing table `<name>_index` whose partition key is the indexed value and whose
//! clustering key is `(idx_token, base partition key…, base clustering key…)`, so one
//! partition lists the base rows holding a value in token order. The backing table is a
//! real table (own id, memtables, SSTables, commitlog entries) hidden from statements,
//! `system_schema.tables` and DESCRIBE. CREATE/DROP INDEX validation follows Cassandra's
//! `CreateIndexStatement` messages.

use std::sync::Arc;

use percore_protocol::cql::ast::{CreateIndexStatement, IndexTargetKind};
use percore_protocol::types::CqlType;
use uuid::Uuid;

use super::error::SchemaError;
use crate::model::clustering::ClusteringOrder;
use crate::model::mutation::ColumnId;
use crate::model::token::murmur3_x64_128;

use super::definitions::{ColumnDef, ColumnKind, KeyspaceDef, TableDef};
use super::describe::quote_name;
use super::options::TableOptions;

/// Suffix of an index's backing table name (ScyllaDB's naming).
pub const BACKING_TABLE_SUFFIX: &str = "_index";
/// The backing table's partition key column (the indexed value).
pub const VALUE_COLUMN: &str = "idx_value";
/// The backing table's first clustering column: the base partition's token.
pub const TOKEN_COLUMN: &str = "idx_token";
/// Cassandra's limit on index names (as for tables).
const INDEX_NAME_CHARS_MAX: usize = 48;

/// What of the column is indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// The column's value (`ON t (v)`).
    Simple,
    /// A frozen collection's whole value (`ON t (FULL(v))`).
    Full,
    /// Each element of a non-frozen list or set, or each value of a map
    /// (`ON t (VALUES(c))`, the default on those): answers `c CONTAINS x`.
    Values,
    /// Each key of a non-frozen map (`ON t (KEYS(m))`): answers `m CONTAINS KEY x`.
    Keys,
    /// Each (key, value) of a non-frozen map, as a tuple (`ON t (ENTRIES(m))`): answers
    /// `m[k] = v`.
    Entries,
}

impl IndexKind {
    /// The type of the values the index is keyed by, for an index on a column of `ty`.
    pub fn value_type(self, ty: &CqlType) -> CqlType {
        match (self, ty.unfrozen()) {
            (IndexKind::Values, CqlType::List(e) | CqlType::Set(e) | CqlType::Map(_, e)) => (**e).clone(),
            (IndexKind::Keys, CqlType::Map(k, _)) => (**k).clone(),
            (IndexKind::Entries, CqlType::Map(k, v)) => CqlType::Tuple(vec![(**k).clone(), (**v).clone()]),
            _ => ty.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    pub name: String,
    /// The base table's name and id.
    pub table: String,
    pub table_id: Uuid,
    pub column: ColumnId,
    pub kind: IndexKind,
    /// The backing table's id (derived from the base table id and the index name, so it
    /// is the same again when the schema file is loaded).
    pub backing_id: Uuid,
}

impl IndexDef {
    pub fn backing_table_name(&self) -> String {
        backing_table_name(&self.name)
    }

    /// `options['target']` as `system_schema.indexes` shows it.
    pub fn target(&self, base: &TableDef) -> String {
        let column = quote_name(&base.column(self.column).name);
        match self.kind {
            IndexKind::Simple => column,
            IndexKind::Full => format!("full({column})"),
            IndexKind::Values => format!("values({column})"),
            IndexKind::Keys => format!("keys({column})"),
            IndexKind::Entries => format!("entries({column})"),
        }
    }
}

pub fn backing_table_name(index: &str) -> String {
    format!("{index}{BACKING_TABLE_SUFFIX}")
}

/// The backing table's id: a name-based UUID of the base table id and the index name.
pub fn backing_table_id(base: Uuid, index: &str) -> Uuid {
    let mut data = base.as_bytes().to_vec();
    data.extend_from_slice(index.as_bytes());
    let (h1, h2) = murmur3_x64_128(&data, 0);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&h1.to_be_bytes());
    bytes[8..].copy_from_slice(&h2.to_be_bytes());
    uuid::Builder::from_md5_bytes(bytes).into_uuid()
}

/// The backing table of an index on `column` of `base`.
pub fn backing_table(base: &TableDef, index: &str, column: ColumnId, kind: IndexKind) -> TableDef {
    let key = |name: &str, ty: CqlType, kind, position: i32, order| ColumnDef {
        name: name.to_string(),
        ty,
        kind,
        position,
        order,
        dropped: None,
    };
    let mut columns = vec![
        key(VALUE_COLUMN, kind.value_type(&base.column(column).ty), ColumnKind::PartitionKey, 0, ClusteringOrder::Asc),
        key(TOKEN_COLUMN, CqlType::Bigint, ColumnKind::Clustering, 0, ClusteringOrder::Asc),
    ];
    for &id in base.partition_key.iter().chain(&base.clustering_key) {
        let c = base.column(id);
        let order = if c.kind == ColumnKind::Clustering { c.order } else { ClusteringOrder::Asc };
        columns.push(key(&c.name, c.ty.clone(), ColumnKind::Clustering, columns.len() as i32 - 1, order));
    }
    let id = backing_table_id(base.id, index);
    let options = TableOptions { id: Some(id), ..TableOptions::default() };
    let mut table = TableDef::new(id, base.keyspace.clone(), backing_table_name(index), columns, options, false);
    table.is_index_backing = true;
    table
}

/// CREATE INDEX on `ks`: the keyspace with the index and its backing table, or `None` when
/// `IF NOT EXISTS` made it a no-op.
pub fn create(ks: &KeyspaceDef, s: &CreateIndexStatement) -> Result<Option<KeyspaceDef>, SchemaError> {
    if s.custom || s.custom_class.is_some() {
        return Err(SchemaError::invalid("CUSTOM indexes are not supported".into()));
    }
    let table_name = &s.table.name;
    let base =
        ks.user_table(table_name).ok_or_else(|| SchemaError::invalid(format!("Table '{table_name}' doesn't exist")))?;
    if let Some(name) = &s.name {
        check_name(name)?;
        if ks.indexes.contains_key(name) {
            return if s.if_not_exists {
                Ok(None)
            } else {
                Err(SchemaError::invalid(format!("Index '{name}' already exists")))
            };
        }
    }
    if base.is_counter() {
        return Err(SchemaError::invalid("Secondary indexes on counter tables aren't supported".into()));
    }
    let (column, kind) = validate_target(base, s)?;
    let name = match &s.name {
        Some(n) => n.clone(),
        None => available_name(ks, &format!("{}_{}_idx", table_name, base.column(column).name)),
    };
    if let Some(existing) = ks.indexes_on(table_name).find(|i| i.column == column && i.kind == kind) {
        return if s.if_not_exists {
            Ok(None)
        } else {
            Err(SchemaError::invalid(format!("Index {name} is a duplicate of existing index {}", existing.name)))
        };
    }
    let backing = backing_table(base, &name, column, kind);
    if ks.tables.contains_key(&backing.name) {
        return Err(SchemaError::invalid(format!(
            "Index {name} cannot be created, because table {} already exists",
            backing.name
        )));
    }
    let index = IndexDef {
        name: name.clone(),
        table: table_name.clone(),
        table_id: base.id,
        column,
        kind,
        backing_id: backing.id,
    };
    let mut ks = ks.clone();
    ks.tables.insert(backing.name.clone(), Arc::new(backing));
    ks.indexes.insert(name, index);
    Ok(Some(ks))
}

fn check_name(name: &str) -> Result<(), SchemaError> {
    let ok = !name.is_empty()
        && name.len() <= INDEX_NAME_CHARS_MAX
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(SchemaError::invalid(format!("Invalid index name {name}")))
    }
}

/// Cassandra's default name `<table>_<column>_idx`, with `_1`, `_2`… when taken.
fn available_name(ks: &KeyspaceDef, base: &str) -> String {
    let base: String = base.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let taken = |n: &str| ks.indexes.contains_key(n) || ks.tables.contains_key(&backing_table_name(n));
    if !taken(&base) {
        return base;
    }
    (1..).map(|i| format!("{base}_{i}")).find(|n| !taken(n)).unwrap_or(base)
}

fn target_kind_name(kind: IndexTargetKind) -> &'static str {
    match kind {
        IndexTargetKind::Simple => "simple",
        IndexTargetKind::Values => "values",
        IndexTargetKind::Keys => "keys",
        IndexTargetKind::Entries => "entries",
        IndexTargetKind::Full => "full",
    }
}

/// The indexed column and kind, with Cassandra's refusals (and ours: what is not built).
fn validate_target(base: &TableDef, s: &CreateIndexStatement) -> Result<(ColumnId, IndexKind), SchemaError> {
    let name = &s.target.column;
    let id = base.column_id(name).ok_or_else(|| SchemaError::invalid(format!("Column '{name}' doesn't exist")))?;
    let c = base.column(id);
    let kind = s.target.kind;
    if c.ty.cql_name().contains("duration") {
        return Err(SchemaError::invalid(if c.ty.is_collection() {
            "Secondary indexes are not supported on collections containing durations".into()
        } else {
            "Secondary indexes are not supported on duration columns".into()
        }));
    }
    if c.kind == ColumnKind::PartitionKey && base.partition_key.len() == 1 {
        return Err(SchemaError::invalid(format!(
            "Cannot create secondary index on the only partition key column {name}"
        )));
    }
    let frozen_collection = c.ty.is_collection() && !c.ty.is_multi_cell();
    if frozen_collection && kind != IndexTargetKind::Full {
        return Err(SchemaError::invalid(format!(
            "Cannot create {}() index on frozen column {name}. Frozen collections are immutable and must be fully indexed by using the 'full({name})' modifier",
            target_kind_name(kind)
        )));
    }
    if !frozen_collection && kind == IndexTargetKind::Full {
        return Err(SchemaError::invalid("full() indexes can only be created on frozen collections".into()));
    }
    if !c.ty.is_collection() && kind != IndexTargetKind::Simple {
        return Err(SchemaError::invalid(format!(
            "Cannot create {}() index on {name}. Non-collection columns only support simple indexes",
            target_kind_name(kind)
        )));
    }
    let is_map = matches!(c.ty, CqlType::Map(..));
    if !is_map && matches!(kind, IndexTargetKind::Keys | IndexTargetKind::Entries) {
        return Err(SchemaError::invalid(format!(
            "Cannot create index on {} of column {name} with non-map type",
            target_kind_name(kind)
        )));
    }
    if matches!(c.ty, CqlType::Udt(_)) {
        return Err(SchemaError::invalid(format!("Cannot create index on non-frozen UDT column {name}")));
    }
    if c.ty.is_multi_cell() {
        let kind = match kind {
            IndexTargetKind::Simple | IndexTargetKind::Values => IndexKind::Values,
            IndexTargetKind::Keys => IndexKind::Keys,
            IndexTargetKind::Entries => IndexKind::Entries,
            IndexTargetKind::Full => IndexKind::Full,
        };
        if c.kind == ColumnKind::Static {
            return Err(SchemaError::invalid(format!("Indexes on static columns ({name}) are not supported yet")));
        }
        return Ok((id, kind));
    }
    match c.kind {
        ColumnKind::Regular | ColumnKind::PartitionKey | ColumnKind::Clustering => {}
        ColumnKind::Static => {
            return Err(SchemaError::invalid(format!("Indexes on static columns ({name}) are not supported yet")))
        }
    }
    let kind = if kind == IndexTargetKind::Full { IndexKind::Full } else { IndexKind::Simple };
    Ok((id, kind))
}

/// DROP INDEX: the keyspace without the index and its backing table, or `None` when
/// `IF EXISTS` made it a no-op. Returns the base table's name too (for the event).
pub fn drop(ks: &KeyspaceDef, name: &str, if_exists: bool) -> Result<Option<(KeyspaceDef, String)>, SchemaError> {
    let Some(index) = ks.indexes.get(name) else {
        return if if_exists {
            Ok(None)
        } else {
            Err(SchemaError::invalid(format!("Index '{}.{name}' doesn't exist", ks.name)))
        };
    };
    let table = index.table.clone();
    let mut ks = ks.clone();
    ks.tables.remove(&backing_table_name(name));
    ks.indexes.remove(name);
    Ok(Some((ks, table)))
}

/// DROP TABLE: its indexes and their backing tables go with it.
pub fn drop_table_indexes(ks: &mut KeyspaceDef, table: &str) {
    let names: Vec<String> = ks.indexes_on(table).map(|i| i.name.clone()).collect();
    for name in names {
        ks.tables.remove(&backing_table_name(&name));
        ks.indexes.remove(&name);
    }
}

/// ALTER TABLE DROP of an indexed column is refused, as Cassandra does.
pub fn check_column_drop(ks: &KeyspaceDef, table: &TableDef, column: &str) -> Result<(), SchemaError> {
    let Some(id) = table.column_id(column) else { return Ok(()) };
    let dependent: Vec<&str> = ks.indexes_on(&table.name).filter(|i| i.column == id).map(|i| i.name.as_str()).collect();
    if dependent.is_empty() {
        return Ok(());
    }
    Err(SchemaError::invalid(format!(
        "Cannot drop column {column} because it has dependent secondary indexes ({})",
        dependent.join(", ")
    )))
}

/// `CREATE INDEX name ON ks.t (target);` as DESCRIBE prints it (and the schema file keeps).
pub fn create_index_cql(base: &TableDef, index: &IndexDef) -> String {
    format!(
        "CREATE INDEX {} ON {}.{} ({});",
        quote_name(&index.name),
        quote_name(&base.keyspace),
        quote_name(&base.name),
        index.target(base)
    )
}

/// The keyspace's CREATE INDEX statements for one table, by index name.
pub fn create_indexes_of(ks: &KeyspaceDef, base: &TableDef) -> Vec<String> {
    ks.indexes_on(&base.name).map(|i| create_index_cql(base, i)).collect()
}

#[cfg(test)]
mod tests {
    use percore_protocol::cql::ast::Statement;
    use percore_protocol::cql::parse_statement;

    use super::*;
    use crate::schema::build::{table_from_create, TypeScope};

    fn keyspace(cql: &str) -> KeyspaceDef {
        let Statement::CreateTable(create) = parse_statement(cql).unwrap().statement else { panic!("not a table") };
        let t = table_from_create(TypeScope::without_types("ks"), &create).unwrap();
        KeyspaceDef {
            name: "ks".into(),
            replication: Default::default(),
            durable_writes: true,
            tables: [(t.name.clone(), Arc::new(t))].into_iter().collect(),
            types: Default::default(),
            is_system: false,
            indexes: Default::default(),
        }
    }

    fn create_index(ks: &KeyspaceDef, cql: &str) -> Result<Option<KeyspaceDef>, SchemaError> {
        let Statement::CreateIndex(s) = parse_statement(cql).unwrap().statement else { panic!("not an index") };
        create(ks, &s)
    }

    #[test]
    fn the_backing_table_is_keyed_by_value_then_token_and_base_key() {
        let ks = keyspace(
            "CREATE TABLE ks.t (k int, c text, v bigint, PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (c DESC)",
        );
        let ks = create_index(&ks, "CREATE INDEX ON ks.t (v)").unwrap().unwrap();
        let index = &ks.indexes["t_v_idx"];
        let backing = &ks.tables["t_v_idx_index"];
        assert!(backing.is_index_backing);
        assert_eq!(backing.id, index.backing_id);
        assert_eq!(backing.id, backing_table_id(ks.tables["t"].id, "t_v_idx"));
        let names: Vec<&str> = backing.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["idx_value", "idx_token", "k", "c"]);
        assert_eq!(backing.column(0).ty, CqlType::Bigint);
        assert_eq!(backing.clustering_key, vec![1, 2, 3]);
        assert_eq!(backing.column(3).order, ClusteringOrder::Desc);
        assert_eq!(ks.user_tables().count(), 1);
        assert_eq!(create_indexes_of(&ks, &ks.tables["t"]), ["CREATE INDEX t_v_idx ON ks.t (v);"]);
    }

    #[test]
    fn refusals_use_cassandras_messages() {
        let ks = keyspace("CREATE TABLE ks.t (k int PRIMARY KEY, v int, l list<int>, f frozen<list<int>>)");
        let err = |cql: &str| create_index(&ks, cql).err().map(|e| e.message).unwrap_or_default();
        assert_eq!(err("CREATE INDEX ON ks.t (k)"), "Cannot create secondary index on the only partition key column k");
        assert_eq!(err("CREATE INDEX ON ks.t (nope)"), "Column 'nope' doesn't exist");
        assert_eq!(err("CREATE INDEX ON ks.t (FULL(v))"), "full() indexes can only be created on frozen collections");
        assert!(err("CREATE INDEX ON ks.t (KEYS(v))").contains("Non-collection columns only support simple indexes"));
        assert!(err("CREATE INDEX ON ks.t (f)").starts_with("Cannot create simple() index on frozen column f."));
        assert_eq!(
            err("CREATE INDEX ON ks.t (ENTRIES(l))"),
            "Cannot create index on entries of column l with non-map type"
        );
        assert_eq!(err("CREATE INDEX ON ks.t (l)"), "", "a values() index on a list");
        assert!(err("CREATE CUSTOM INDEX ON ks.t (v) USING 'x'").contains("CUSTOM"));
        let ks = create_index(&ks, "CREATE INDEX i ON ks.t (v)").unwrap().unwrap();
        let again = |cql: &str| create_index(&ks, cql);
        assert_eq!(again("CREATE INDEX i ON ks.t (f)").err().unwrap().message, "Index 'i' already exists");
        assert!(again("CREATE INDEX IF NOT EXISTS i ON ks.t (v)").unwrap().is_none());
        assert_eq!(
            again("CREATE INDEX j ON ks.t (v)").err().unwrap().message,
            "Index j is a duplicate of existing index i"
        );
        assert!(again("CREATE INDEX j ON ks.t (FULL(f))").unwrap().is_some());
        let t = ks.tables["t"].clone();
        assert_eq!(
            check_column_drop(&ks, &t, "v").err().unwrap().message,
            "Cannot drop column v because it has dependent secondary indexes (i)"
        );
        let (dropped, table) = drop(&ks, "i", false).unwrap().unwrap();
        assert_eq!(table, "t");
        assert!(dropped.indexes.is_empty() && dropped.tables.len() == 1);
        assert_eq!(drop(&dropped, "i", false).err().unwrap().message, "Index 'ks.i' doesn't exist");
    }
}
