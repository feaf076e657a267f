//! From CREATE TABLE to a validated [`TableDef`], refusing what Cassandra refuses with the
//! same kind of message: unknown or duplicated columns, bad primary keys, counters mixed
//! with regular columns, non-frozen collections in keys, static columns without clustering.

use percore_protocol::cql::ast::{self, Ordering, TypeExpr};
use percore_protocol::types::CqlType;
use uuid::Uuid;

use crate::cql::error::CqlError;
use crate::model::clustering::ClusteringOrder;

use super::definitions::{ColumnDef, ColumnKind, TableDef};
use super::options::TableOptions;

/// Nesting depth of type expressions accepted.
const TYPE_NESTING_DEPTH_MAX: usize = 16;

/// Resolves a type expression. User-defined types arrive with the full data model.
pub fn resolve_type(expr: &TypeExpr) -> Result<CqlType, CqlError> {
    resolve(expr, 0, false)
}

fn resolve(expr: &TypeExpr, depth: usize, inside_collection: bool) -> Result<CqlType, CqlError> {
    if depth > TYPE_NESTING_DEPTH_MAX {
        return Err(CqlError::invalid("Type nesting is too deep".into()));
    }
    let inner = |e: &TypeExpr| resolve(e, depth + 1, true);
    let ty = match expr {
        TypeExpr::Native(name) => {
            CqlType::from_native_name(name).ok_or_else(|| CqlError::invalid(format!("Unknown type {name}")))?
        }
        TypeExpr::List(e) => CqlType::List(Box::new(inner(e)?)),
        TypeExpr::Set(e) => CqlType::Set(Box::new(inner(e)?)),
        TypeExpr::Map(k, v) => CqlType::Map(Box::new(inner(k)?), Box::new(inner(v)?)),
        TypeExpr::Tuple(items) => CqlType::Tuple(items.iter().map(inner).collect::<Result<_, _>>()?),
        TypeExpr::Frozen(e) => {
            let t = resolve(e, depth + 1, false)?;
            return Ok(freeze(t));
        }
        TypeExpr::UserDefined(name) => {
            return Err(CqlError::invalid(format!(
                "Unknown type {}: user-defined types are not supported yet",
                name.name
            )))
        }
        TypeExpr::Custom(class) => CqlType::Custom(class.clone()),
        TypeExpr::Vector(_, _) => return Err(CqlError::invalid("vector types are not supported yet".into())),
    };
    if inside_collection && ty.is_multi_cell() {
        return Err(CqlError::invalid(
            "Non-frozen collections are not allowed inside collections: use frozen<...>".into(),
        ));
    }
    if inside_collection && matches!(ty, CqlType::Counter) {
        return Err(CqlError::invalid("Counters are not allowed inside collections".into()));
    }
    Ok(ty)
}

/// `frozen<x>`: collections nested in a frozen value are frozen too (they are one value).
fn freeze(ty: CqlType) -> CqlType {
    match ty {
        CqlType::Frozen(_) => ty,
        t if t.is_collection() => CqlType::Frozen(Box::new(t)),
        t => t,
    }
}

/// Builds a table definition from CREATE TABLE.
pub fn table_from_create(keyspace: &str, stmt: &ast::CreateTableStatement) -> Result<TableDef, CqlError> {
    if stmt.compact_storage {
        return Err(CqlError::invalid("COMPACT STORAGE tables are not supported".into()));
    }
    let mut names = std::collections::HashSet::new();
    for c in &stmt.columns {
        if !names.insert(c.name.as_str()) {
            return Err(CqlError::invalid(format!("Multiple definition of identifier {}", c.name)));
        }
    }
    let find = |name: &str| {
        stmt.columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| CqlError::invalid(format!("Unknown definition {name} referenced in PRIMARY KEY")))
    };
    if stmt.partition_key.is_empty() {
        return Err(CqlError::invalid("No PRIMARY KEY specifed (exactly one required)".into()));
    }
    let mut seen = std::collections::HashSet::new();
    for name in stmt.partition_key.iter().chain(&stmt.clustering_key) {
        find(name)?;
        if !seen.insert(name.as_str()) {
            return Err(CqlError::invalid(format!("Duplicate definition for column {name} in PRIMARY KEY")));
        }
    }
    let order_of = clustering_orders(stmt)?;

    let mut columns = Vec::with_capacity(stmt.columns.len());
    for (pos, name) in stmt.partition_key.iter().enumerate() {
        let ty = key_type(find(name)?, "PRIMARY KEY")?;
        columns.push(ColumnDef {
            name: name.clone(),
            ty,
            kind: ColumnKind::PartitionKey,
            position: pos as i32,
            order: ClusteringOrder::Asc,
        });
    }
    for (pos, name) in stmt.clustering_key.iter().enumerate() {
        let ty = key_type(find(name)?, "PRIMARY KEY")?;
        columns.push(ColumnDef {
            name: name.clone(),
            ty,
            kind: ColumnKind::Clustering,
            position: pos as i32,
            order: order_of[pos],
        });
    }
    let mut has_counter = false;
    let mut has_regular = false;
    for c in stmt.columns.iter().filter(|c| !seen.contains(c.name.as_str())) {
        let ty = resolve_type(&c.ty)?;
        if c.is_static && stmt.clustering_key.is_empty() {
            return Err(CqlError::invalid(format!(
                "Static column {} cannot be used in a table without clustering columns",
                c.name
            )));
        }
        if ty.is_counter() {
            has_counter = true;
        } else {
            has_regular = true;
        }
        let kind = if c.is_static { ColumnKind::Static } else { ColumnKind::Regular };
        columns.push(ColumnDef { name: c.name.clone(), ty, kind, position: -1, order: ClusteringOrder::Asc });
    }
    if has_counter && has_regular {
        return Err(CqlError::invalid("Cannot mix counter and non counter columns in the same table".into()));
    }
    // Static columns first among the non-key columns, then regular ones.
    columns.sort_by_key(|c| match c.kind {
        ColumnKind::PartitionKey => 0,
        ColumnKind::Clustering => 1,
        ColumnKind::Static => 2,
        ColumnKind::Regular => 3,
    });
    let mut options = TableOptions::default();
    options.apply(&stmt.options)?;
    let id = options.id.unwrap_or_else(Uuid::new_v4);
    Ok(TableDef::new(id, keyspace.to_string(), stmt.name.name.clone(), columns, options, false))
}

fn key_type(column: &ast::ColumnDef, what: &str) -> Result<CqlType, CqlError> {
    let ty = resolve_type(&column.ty)?;
    if column.is_static {
        return Err(CqlError::invalid(format!("Static column {} cannot be part of the {what}", column.name)));
    }
    if ty.is_multi_cell() {
        return Err(CqlError::invalid(format!(
            "Invalid non-frozen collection type for PRIMARY KEY component {}",
            column.name
        )));
    }
    if ty.is_counter() {
        return Err(CqlError::invalid(format!("counter type is not supported for PRIMARY KEY part {}", column.name)));
    }
    if matches!(ty.unfrozen(), CqlType::Duration) {
        return Err(CqlError::invalid(format!("duration type is not supported for PRIMARY KEY part {}", column.name)));
    }
    Ok(ty)
}

/// `CLUSTERING ORDER BY` must name clustering columns in their declared order.
fn clustering_orders(stmt: &ast::CreateTableStatement) -> Result<Vec<ClusteringOrder>, CqlError> {
    let mut orders = vec![ClusteringOrder::Asc; stmt.clustering_key.len()];
    for (i, (name, ordering)) in stmt.clustering_order.iter().enumerate() {
        let Some(pos) = stmt.clustering_key.iter().position(|c| c == name) else {
            return Err(CqlError::invalid(format!(
                "Only clustering key columns can be defined in CLUSTERING ORDER directive: {name} is not a clustering column"
            )));
        };
        if pos != i {
            return Err(CqlError::invalid(
                "The order of columns in the CLUSTERING ORDER directive must match that of the clustering columns"
                    .into(),
            ));
        }
        orders[pos] = match ordering {
            Ordering::Asc => ClusteringOrder::Asc,
            Ordering::Desc => ClusteringOrder::Desc,
        };
    }
    Ok(orders)
}
