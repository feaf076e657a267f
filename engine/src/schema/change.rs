//! Applying one DDL statement to a schema snapshot, yielding the next snapshot and the
//! SCHEMA_CHANGE event clients are told about. Pure: persistence and installation on the
//! shards are the caller's (`cql::ddl`).

use std::sync::Arc;

use percore_protocol::cql::ast::{
    AlterKeyspaceStatement, AlterTableAction, AlterTableStatement, AlterTypeStatement, ColumnDef as ColumnDeclaration,
    CreateIndexStatement, CreateKeyspaceStatement, CreateTableStatement, CreateTypeStatement, DropIndexStatement,
    DropKeyspaceStatement, DropTableStatement, DropTypeStatement, QualifiedName, Statement,
};
use percore_protocol::response::{SchemaChange, SchemaChangeType};
use percore_protocol::types::CqlType;

use super::error::SchemaError;

use super::build::{column_type, table_from_create, TypeScope};
use super::definitions::{ColumnDef, ColumnKind, DroppedColumn, KeyspaceDef, TableDef};
use super::indexes;
use super::options::keyspace_options;
use super::snapshot::Schema;
use super::user_types;

/// Cassandra's limit on keyspace and table names.
const SCHEMA_NAME_CHARS_MAX: usize = 48;

pub enum DdlOutcome {
    Changed {
        schema: Schema,
        event: SchemaChange,
    },
    /// `IF [NOT] EXISTS` made the statement a no-op.
    Unchanged,
}

/// `local_datacenter`: the node's datacenter (for NetworkTopologyStrategy's shorthand).
pub fn apply(
    schema: &Schema,
    statement: &Statement,
    session_keyspace: Option<&str>,
    local_datacenter: &str,
) -> Result<DdlOutcome, SchemaError> {
    match statement {
        Statement::CreateKeyspace(s) => create_keyspace(schema, s, local_datacenter),
        Statement::AlterKeyspace(s) => alter_keyspace(schema, s, local_datacenter),
        Statement::DropKeyspace(s) => drop_keyspace(schema, s),
        Statement::CreateTable(s) => create_table(schema, s, session_keyspace),
        Statement::AlterTable(s) => alter_table(schema, s, session_keyspace),
        Statement::DropTable(s) => drop_table(schema, s, session_keyspace),
        Statement::CreateType(s) => create_type(schema, s, session_keyspace),
        Statement::AlterType(s) => alter_type(schema, s, session_keyspace),
        Statement::DropType(s) => drop_type(schema, s, session_keyspace),
        Statement::CreateIndex(s) => create_index(schema, s, session_keyspace),
        Statement::DropIndex(s) => drop_index(schema, s, session_keyspace),
        _ => Err(SchemaError::invalid("This statement is not supported yet".into())),
    }
}

/// The next snapshot: `schema` with the keyspace named `name` replaced by `keyspace`
/// (removed when `None`), and the event clients are told about.
fn changed(schema: &Schema, name: String, keyspace: Option<KeyspaceDef>, event: SchemaChange) -> DdlOutcome {
    let mut keyspaces = schema.keyspace_map().clone();
    match keyspace {
        Some(ks) => {
            keyspaces.insert(name, Arc::new(ks));
        }
        None => {
            keyspaces.remove(&name);
        }
    }
    DdlOutcome::Changed { schema: Schema::new(keyspaces), event }
}

/// The next snapshot with `table` put in keyspace `ks` (replacing the table of its name).
fn with_table(schema: &Schema, ks: &KeyspaceDef, table: TableDef, event: SchemaChange) -> DdlOutcome {
    let mut ks = ks.clone();
    ks.tables.insert(table.name.clone(), Arc::new(table));
    changed(schema, ks.name.clone(), Some(ks), event)
}

/// What `IF [NOT] EXISTS` makes of a statement whose target is (or is not) there: no
/// change when the clause is given, else the error.
fn unchanged_if(clause_given: bool, error: impl FnOnce() -> SchemaError) -> Result<DdlOutcome, SchemaError> {
    if clause_given {
        Ok(DdlOutcome::Unchanged)
    } else {
        Err(error())
    }
}

fn create_keyspace(
    schema: &Schema,
    s: &CreateKeyspaceStatement,
    local_datacenter: &str,
) -> Result<DdlOutcome, SchemaError> {
    check_name("Keyspace", &s.name)?;
    if schema.keyspace_map().contains_key(&s.name) {
        return unchanged_if(s.if_not_exists, || SchemaError::already_exists(&s.name, ""));
    }
    let (replication, durable_writes) = keyspace_options(&s.options, None, local_datacenter)?;
    let ks = KeyspaceDef {
        name: s.name.clone(),
        replication,
        durable_writes,
        tables: Default::default(),
        types: Default::default(),
        is_system: false,
        indexes: Default::default(),
    };
    let event = SchemaChange::Keyspace { change: SchemaChangeType::Created, keyspace: s.name.clone() };
    Ok(changed(schema, s.name.clone(), Some(ks), event))
}

fn alter_keyspace(
    schema: &Schema,
    s: &AlterKeyspaceStatement,
    local_datacenter: &str,
) -> Result<DdlOutcome, SchemaError> {
    let ks = user_keyspace(schema, &s.name)?;
    let (replication, durable_writes) =
        keyspace_options(&s.options, Some((&ks.replication, ks.durable_writes)), local_datacenter)?;
    let ks = KeyspaceDef { replication, durable_writes, ..(**ks).clone() };
    let event = SchemaChange::Keyspace { change: SchemaChangeType::Updated, keyspace: s.name.clone() };
    Ok(changed(schema, s.name.clone(), Some(ks), event))
}

fn drop_keyspace(schema: &Schema, s: &DropKeyspaceStatement) -> Result<DdlOutcome, SchemaError> {
    if !schema.keyspace_map().contains_key(&s.name) && s.if_exists {
        return Ok(DdlOutcome::Unchanged);
    }
    user_keyspace(schema, &s.name)?;
    let event = SchemaChange::Keyspace { change: SchemaChangeType::Dropped, keyspace: s.name.clone() };
    Ok(changed(schema, s.name.clone(), None, event))
}

fn create_table(
    schema: &Schema,
    s: &CreateTableStatement,
    session_keyspace: Option<&str>,
) -> Result<DdlOutcome, SchemaError> {
    let ks_name = keyspace_of(&s.name, session_keyspace)?;
    check_name("Table", &s.name.name)?;
    let ks = user_keyspace(schema, &ks_name)?;
    if let Some(existing) = ks.tables.get(&s.name.name) {
        if existing.is_index_backing {
            return Err(SchemaError::invalid(format!(
                "Cannot create table {}: an index's backing table has that name",
                s.name.name
            )));
        }
        return unchanged_if(s.if_not_exists, || SchemaError::already_exists(&ks_name, &s.name.name));
    }
    let table = table_from_create(TypeScope { keyspace: &ks_name, types: &ks.types }, s)?;
    if schema.table_by_id(&table.id).is_some() {
        return Err(SchemaError::invalid(format!("Table id {} is already in use", table.id)));
    }
    let event =
        SchemaChange::Table { change: SchemaChangeType::Created, keyspace: ks_name, table: s.name.name.clone() };
    Ok(with_table(schema, ks, table, event))
}

fn alter_table(
    schema: &Schema,
    s: &AlterTableStatement,
    session_keyspace: Option<&str>,
) -> Result<DdlOutcome, SchemaError> {
    let ks_name = keyspace_of(&s.name, session_keyspace)?;
    let ks = user_keyspace(schema, &ks_name)?;
    let Some(table) = ks.user_table(&s.name.name) else {
        return unchanged_if(s.if_exists, || unknown_table(&ks_name, &s.name.name));
    };
    if let AlterTableAction::Drop { columns, .. } = &s.action {
        for column in columns {
            indexes::check_column_drop(ks, table, column)?;
        }
    }
    let altered = altered_table(table, &s.action, TypeScope { keyspace: &ks_name, types: &ks.types })?;
    let event =
        SchemaChange::Table { change: SchemaChangeType::Updated, keyspace: ks_name, table: s.name.name.clone() };
    Ok(with_table(schema, ks, altered, event))
}

fn drop_table(
    schema: &Schema,
    s: &DropTableStatement,
    session_keyspace: Option<&str>,
) -> Result<DdlOutcome, SchemaError> {
    let ks_name = keyspace_of(&s.name, session_keyspace)?;
    let Some(ks) = schema.keyspace(&ks_name) else {
        return unchanged_if(s.if_exists, || unknown_keyspace(&ks_name));
    };
    if ks.user_table(&s.name.name).is_none() {
        return unchanged_if(s.if_exists, || unknown_table(&ks_name, &s.name.name));
    }
    let mut ks = (**user_keyspace(schema, &ks_name)?).clone();
    ks.tables.remove(&s.name.name);
    indexes::drop_table_indexes(&mut ks, &s.name.name);
    let event = SchemaChange::Table {
        change: SchemaChangeType::Dropped,
        keyspace: ks_name.clone(),
        table: s.name.name.clone(),
    };
    Ok(changed(schema, ks_name, Some(ks), event))
}

fn create_type(
    schema: &Schema,
    s: &CreateTypeStatement,
    session_keyspace: Option<&str>,
) -> Result<DdlOutcome, SchemaError> {
    let ks_name = keyspace_of(&s.name, session_keyspace)?;
    let Some(ks) = user_types::create(user_keyspace(schema, &ks_name)?, s)? else {
        return Ok(DdlOutcome::Unchanged);
    };
    let event =
        SchemaChange::Type { change: SchemaChangeType::Created, keyspace: ks_name.clone(), name: s.name.name.clone() };
    Ok(changed(schema, ks_name, Some(ks), event))
}

fn alter_type(
    schema: &Schema,
    s: &AlterTypeStatement,
    session_keyspace: Option<&str>,
) -> Result<DdlOutcome, SchemaError> {
    let ks_name = keyspace_of(&s.name, session_keyspace)?;
    let ks = user_types::alter(user_keyspace(schema, &ks_name)?, s)?;
    let event =
        SchemaChange::Type { change: SchemaChangeType::Updated, keyspace: ks_name.clone(), name: s.name.name.clone() };
    Ok(changed(schema, ks_name, Some(ks), event))
}

fn drop_type(
    schema: &Schema,
    s: &DropTypeStatement,
    session_keyspace: Option<&str>,
) -> Result<DdlOutcome, SchemaError> {
    let ks_name = keyspace_of(&s.name, session_keyspace)?;
    let exists = schema.keyspace(&ks_name).is_some_and(|ks| ks.types.contains_key(&s.name.name));
    if !exists {
        return unchanged_if(s.if_exists, || user_types::unknown_type(&ks_name, &s.name.name));
    }
    let ks = user_types::drop(user_keyspace(schema, &ks_name)?, &s.name.name)?;
    let event =
        SchemaChange::Type { change: SchemaChangeType::Dropped, keyspace: ks_name.clone(), name: s.name.name.clone() };
    Ok(changed(schema, ks_name, Some(ks), event))
}

fn create_index(
    schema: &Schema,
    s: &CreateIndexStatement,
    session_keyspace: Option<&str>,
) -> Result<DdlOutcome, SchemaError> {
    let ks_name = keyspace_of(&s.table, session_keyspace)?;
    let Some(ks) = indexes::create(user_keyspace(schema, &ks_name)?, s)? else {
        return Ok(DdlOutcome::Unchanged);
    };
    let event = SchemaChange::Table {
        change: SchemaChangeType::Updated,
        keyspace: ks_name.clone(),
        table: s.table.name.clone(),
    };
    Ok(changed(schema, ks_name, Some(ks), event))
}

fn drop_index(
    schema: &Schema,
    s: &DropIndexStatement,
    session_keyspace: Option<&str>,
) -> Result<DdlOutcome, SchemaError> {
    let ks_name = keyspace_of(&s.name, session_keyspace)?;
    let Some(ks) = schema.keyspace(&ks_name) else {
        return unchanged_if(s.if_exists, || unknown_keyspace(&ks_name));
    };
    if ks.is_system {
        user_keyspace(schema, &ks_name)?;
    }
    let Some((ks, table)) = indexes::drop(ks, &s.name.name, s.if_exists)? else {
        return Ok(DdlOutcome::Unchanged);
    };
    let event = SchemaChange::Table { change: SchemaChangeType::Updated, keyspace: ks_name.clone(), table };
    Ok(changed(schema, ks_name, Some(ks), event))
}

/// `table` after an `ALTER TABLE` action (indexes on dropped columns already checked).
fn altered_table(table: &TableDef, action: &AlterTableAction, scope: TypeScope<'_>) -> Result<TableDef, SchemaError> {
    let mut columns = table.columns.clone();
    let mut options = table.options.clone();
    match action {
        AlterTableAction::Add(defs) => add_columns(table, &mut columns, defs, scope)?,
        AlterTableAction::Drop { columns: names, timestamp } => drop_columns(table, &mut columns, names, *timestamp)?,
        AlterTableAction::Rename(pairs) => rename_columns(table, &mut columns, pairs)?,
        AlterTableAction::WithOptions(opts) => {
            options.apply(opts)?;
            super::build::check_counter_options(table.is_counter(), &options)?;
        }
        AlterTableAction::AlterType(..) => return Err(SchemaError::invalid("Altering of types is not allowed".into())),
        AlterTableAction::DropCompactStorage => {
            return Err(SchemaError::invalid("Table is not COMPACT STORAGE".into()))
        }
    }
    options.id = Some(table.id);
    Ok(TableDef::new(table.id, table.keyspace.clone(), table.name.clone(), columns, options, false))
}

/// `ADD`: new regular or static columns; a dropped column added back keeps its id.
fn add_columns(
    table: &TableDef,
    columns: &mut Vec<ColumnDef>,
    defs: &[ColumnDeclaration],
    scope: TypeScope<'_>,
) -> Result<(), SchemaError> {
    for def in defs {
        let ty = added_column_type(table, columns, def, scope)?;
        let kind = if def.is_static { ColumnKind::Static } else { ColumnKind::Regular };
        if let Some(old) = columns.iter_mut().find(|c| c.name == def.name && c.is_hidden()) {
            // Added back after a drop: the same column (and id), its cells up to
            // the drop still hidden, as Cassandra keeps them by name.
            if let Some(dropped) = old.dropped {
                readd_dropped(old, dropped, ty, kind)?;
            }
            continue;
        }
        columns.push(ColumnDef {
            name: def.name.clone(),
            ty,
            kind,
            position: -1,
            order: Default::default(),
            dropped: None,
        });
    }
    Ok(())
}

/// The type of a column `ADD` declares, refused when its name is taken, when it mixes
/// counters with other columns, or when it is static in a table without clustering columns.
fn added_column_type(
    table: &TableDef,
    columns: &[ColumnDef],
    def: &ColumnDeclaration,
    scope: TypeScope<'_>,
) -> Result<CqlType, SchemaError> {
    if columns.iter().any(|c| c.name == def.name && !c.is_hidden()) {
        return Err(SchemaError::invalid(format!(
            "Invalid column name {} because it conflicts with an existing column",
            def.name
        )));
    }
    let ty = column_type(&def.ty, scope)?;
    if ty.is_counter() && !table.is_counter() {
        return Err(SchemaError::config(format!(
            "Cannot have a counter column (\"{}\") in a non counter table",
            def.name
        )));
    }
    if !ty.is_counter() && table.is_counter() {
        return Err(SchemaError::config(format!(
            "Cannot have a non counter column (\"{}\") in a counter table",
            def.name
        )));
    }
    if def.is_static && table.clustering_key.is_empty() {
        return Err(SchemaError::invalid(format!(
            "Static columns are not allowed in COMPACT STORAGE tables or tables without clustering columns ({})",
            def.name
        )));
    }
    Ok(ty)
}

/// `DROP`: columns hidden from the drop's time on (now unless `USING TIMESTAMP`).
fn drop_columns(
    table: &TableDef,
    columns: &mut [ColumnDef],
    names: &[String],
    timestamp: Option<i64>,
) -> Result<(), SchemaError> {
    let timestamp = timestamp.unwrap_or_else(crate::model::clock::now_micros);
    for name in names {
        let Some(column) = columns.iter_mut().find(|c| &c.name == name && !c.is_hidden()) else {
            return Err(SchemaError::invalid(format!("Column {name} was not found in table {}", table.name)));
        };
        if column.kind.is_primary_key() {
            return Err(SchemaError::invalid(format!("Cannot drop PRIMARY KEY part {name}")));
        }
        // A later drop time wins (a drop replayed from the schema file keeps its own).
        let at = column.dropped.map_or(timestamp, |d| d.timestamp.max(timestamp));
        column.dropped = Some(DroppedColumn { timestamp: at, readded: false });
    }
    Ok(())
}

/// `RENAME`: primary key columns only, to names not taken.
fn rename_columns(table: &TableDef, columns: &mut [ColumnDef], pairs: &[(String, String)]) -> Result<(), SchemaError> {
    for (from, to) in pairs {
        if columns.iter().any(|c| &c.name == to) {
            return Err(SchemaError::invalid(format!("Cannot rename column {from} to {to}: {to} already exists")));
        }
        let Some(c) = columns.iter_mut().find(|c| &c.name == from && !c.is_hidden()) else {
            return Err(SchemaError::invalid(format!("Cannot rename unknown column {from} in table {}", table.name)));
        };
        if !c.kind.is_primary_key() {
            return Err(SchemaError::invalid(format!("Cannot rename non PRIMARY KEY part {from}")));
        }
        c.name = to.clone();
    }
    Ok(())
}

/// A dropped column added back: Cassandra requires a type compatible with the dropped one;
/// here, the same type.
fn readd_dropped(
    old: &mut ColumnDef,
    dropped: DroppedColumn,
    ty: CqlType,
    kind: ColumnKind,
) -> Result<(), SchemaError> {
    if ty != old.ty {
        return Err(SchemaError::invalid(format!(
            "Cannot re-add previously dropped column '{}' of type {}, incompatible with previous type {}",
            old.name,
            ty.cql_name(),
            old.ty.cql_name()
        )));
    }
    old.kind = kind;
    old.dropped = Some(DroppedColumn { readded: true, ..dropped });
    Ok(())
}

fn check_name(what: &str, name: &str) -> Result<(), SchemaError> {
    let ok = !name.is_empty()
        && name.len() <= SCHEMA_NAME_CHARS_MAX
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(SchemaError::invalid(format!(
            "{what} name must not be empty, more than {SCHEMA_NAME_CHARS_MAX} characters long, or contain non-alphanumeric-underscore characters (got \"{name}\")"
        )))
    }
}

fn user_keyspace<'a>(schema: &'a Schema, name: &str) -> Result<&'a Arc<KeyspaceDef>, SchemaError> {
    let ks = schema.keyspace(name).ok_or_else(|| unknown_keyspace(name))?;
    if ks.is_system {
        return Err(SchemaError::unauthorized(format!("{name} keyspace is not user-modifiable.")));
    }
    Ok(ks)
}

pub fn keyspace_of(name: &QualifiedName, session_keyspace: Option<&str>) -> Result<String, SchemaError> {
    name.keyspace.clone().or_else(|| session_keyspace.map(str::to_string)).ok_or_else(|| {
        SchemaError::invalid(
            "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename".into(),
        )
    })
}

pub fn unknown_keyspace(name: &str) -> SchemaError {
    SchemaError::invalid(format!("Keyspace '{name}' does not exist"))
}

pub fn unknown_table(keyspace: &str, table: &str) -> SchemaError {
    let _ = keyspace;
    SchemaError::invalid(format!("unconfigured table {table}"))
}
