//! From CREATE TABLE to a validated [`TableDef`], refusing what Cassandra refuses with the
//! same kind of message: unknown or duplicated columns, bad primary keys, counters mixed
//! with regular columns, non-frozen collections in keys, static columns without clustering;
//! and type expressions resolved against the keyspace's user types. Vectors (Cassandra 5.0)
//! take any element type but counters, frozen like a tuple's, and a positive dimension;
//! like tuples they may be keys.

use std::collections::BTreeMap;

use percore_protocol::cql::ast::{self, Ordering, QualifiedName, TypeExpr};
use percore_protocol::types::{CqlType, UdtType};
use uuid::Uuid;

use super::error::SchemaError;
use crate::model::clustering::ClusteringOrder;

use super::definitions::{ColumnDef, ColumnKind, TableDef};
use super::options::TableOptions;

/// Nesting depth of type expressions accepted.
const TYPE_NESTING_DEPTH_MAX: usize = 16;

/// Where user types are looked up: the keyspace a statement works in, and its types.
#[derive(Clone, Copy)]
pub struct TypeScope<'a> {
    pub keyspace: &'a str,
    pub types: &'a BTreeMap<String, UdtType>,
}

impl<'a> TypeScope<'a> {
    /// A scope without user types (the built-in keyspaces).
    pub fn without_types(keyspace: &'a str) -> TypeScope<'a> {
        static NONE: BTreeMap<String, UdtType> = BTreeMap::new();
        TypeScope { keyspace, types: &NONE }
    }
}

/// Resolves a type expression against the keyspace's user types. `frozen<...>` freezes
/// everything nested in it; tuples and vectors are always frozen, so are their elements.
pub fn resolve_type(expr: &TypeExpr, scope: TypeScope<'_>) -> Result<CqlType, SchemaError> {
    resolve(expr, scope, 0, None, false)
}

/// `outer`: the collection `expr` is an element of (its text goes in the error messages).
fn resolve(
    expr: &TypeExpr,
    scope: TypeScope<'_>,
    depth: usize,
    outer: Option<&TypeExpr>,
    frozen: bool,
) -> Result<CqlType, SchemaError> {
    if depth > TYPE_NESTING_DEPTH_MAX {
        return Err(SchemaError::invalid("Type nesting is too deep".into()));
    }
    let element = |e: &TypeExpr| resolve(e, scope, depth + 1, Some(expr), frozen);
    let ty = match expr {
        TypeExpr::Native(name) => {
            CqlType::from_native_name(name).ok_or_else(|| SchemaError::invalid(format!("Unknown type {name}")))?
        }
        TypeExpr::List(e) => CqlType::List(Box::new(element(e)?)),
        TypeExpr::Set(e) => {
            let e = element(e)?;
            if matches!(e.unfrozen(), CqlType::Duration) {
                return Err(SchemaError::invalid(format!(
                    "Durations are not allowed inside sets: {}",
                    type_expr_text(expr)
                )));
            }
            CqlType::Set(Box::new(e))
        }
        TypeExpr::Map(k, v) => {
            let k = element(k)?;
            if matches!(k.unfrozen(), CqlType::Duration) {
                return Err(SchemaError::invalid(format!(
                    "Durations are not allowed as map keys: {}",
                    type_expr_text(expr)
                )));
            }
            CqlType::Map(Box::new(k), Box::new(element(v)?))
        }
        TypeExpr::Tuple(items) => CqlType::Tuple(
            items.iter().map(|e| resolve(e, scope, depth + 1, Some(expr), true)).collect::<Result<_, _>>()?,
        ),
        TypeExpr::Frozen(e) => return resolve(e, scope, depth + 1, outer, true),
        TypeExpr::UserDefined(name) => CqlType::Udt(user_type(name, scope)?),
        TypeExpr::Custom(class) => CqlType::Custom(class.clone()),
        TypeExpr::Vector(e, dimension) => vector_type(expr, e, *dimension, scope, depth)?,
    };
    if frozen && (ty.is_collection() || matches!(ty, CqlType::Udt(_))) {
        return Ok(CqlType::Frozen(Box::new(ty)));
    }
    if let Some(outer) = outer {
        if ty.is_multi_cell() {
            let what = if ty.is_collection() { "collections" } else { "UDTs" };
            return Err(SchemaError::invalid(format!(
                "Non-frozen {what} are not allowed inside collections: {}",
                type_expr_text(outer)
            )));
        }
        if ty.is_counter() {
            return Err(SchemaError::invalid("Counters are not allowed inside collections".into()));
        }
    }
    Ok(ty)
}

/// `vector<e, dimension>`: Cassandra's `VectorType` refuses a dimension that is not
/// positive; counters inside are refused here (Cassandra has no rule for them).
fn vector_type(
    expr: &TypeExpr,
    element: &TypeExpr,
    dimension: i32,
    scope: TypeScope<'_>,
    depth: usize,
) -> Result<CqlType, SchemaError> {
    let dimension = u32::try_from(dimension)
        .ok()
        .filter(|d| *d > 0)
        .ok_or_else(|| SchemaError::invalid(format!("vectors may only have positive dimensions; given {dimension}")))?;
    let element = resolve(element, scope, depth + 1, None, true)?;
    if element.is_counter() {
        return Err(SchemaError::invalid(format!("Counters are not allowed inside vectors: {}", type_expr_text(expr))));
    }
    Ok(CqlType::Vector(Box::new(element), dimension))
}

/// The user type `name` refers to, from the statement's keyspace only.
fn user_type(name: &QualifiedName, scope: TypeScope<'_>) -> Result<UdtType, SchemaError> {
    let keyspace = name.keyspace.as_deref().unwrap_or(scope.keyspace);
    if keyspace != scope.keyspace {
        return Err(SchemaError::invalid(format!(
            "Statement on keyspace {} cannot refer to a user type in keyspace {keyspace}; user types can only be used in the keyspace they are defined in",
            scope.keyspace
        )));
    }
    scope
        .types
        .get(&name.name)
        .cloned()
        .ok_or_else(|| SchemaError::invalid(format!("Unknown type {keyspace}.{}", name.name)))
}

/// A type expression as written (for error messages).
pub fn type_expr_text(expr: &TypeExpr) -> String {
    let list = |items: &[&TypeExpr]| items.iter().map(|e| type_expr_text(e)).collect::<Vec<_>>().join(", ");
    match expr {
        TypeExpr::Native(name) => name.clone(),
        TypeExpr::List(e) => format!("list<{}>", type_expr_text(e)),
        TypeExpr::Set(e) => format!("set<{}>", type_expr_text(e)),
        TypeExpr::Map(k, v) => format!("map<{}>", list(&[k, v])),
        TypeExpr::Tuple(items) => format!("tuple<{}>", list(&items.iter().collect::<Vec<_>>())),
        TypeExpr::Frozen(e) => format!("frozen<{}>", type_expr_text(e)),
        TypeExpr::UserDefined(n) => match &n.keyspace {
            Some(ks) => format!("{ks}.{}", n.name),
            None => n.name.clone(),
        },
        TypeExpr::Custom(class) => format!("'{class}'"),
        TypeExpr::Vector(e, n) => format!("vector<{}, {n}>", type_expr_text(e)),
    }
}

/// The type of a regular or static column: a non-frozen UDT is stored field by field, so
/// its fields cannot be non-frozen collections.
pub fn column_type(expr: &TypeExpr, scope: TypeScope<'_>) -> Result<CqlType, SchemaError> {
    let ty = resolve_type(expr, scope)?;
    if let CqlType::Udt(udt) = &ty {
        if udt.fields.iter().any(|(_, t)| t.is_multi_cell()) {
            return Err(SchemaError::invalid(
                "Non-frozen UDTs with nested non-frozen collections are not supported".into(),
            ));
        }
    }
    Ok(ty)
}

/// Builds a table definition from CREATE TABLE.
pub fn table_from_create(scope: TypeScope<'_>, stmt: &ast::CreateTableStatement) -> Result<TableDef, SchemaError> {
    if stmt.compact_storage {
        return Err(SchemaError::invalid("COMPACT STORAGE tables are not supported".into()));
    }
    let mut names = std::collections::HashSet::new();
    for c in &stmt.columns {
        if !names.insert(c.name.as_str()) {
            return Err(SchemaError::invalid(format!("Multiple definition of identifier {}", c.name)));
        }
    }
    let find = |name: &str| {
        stmt.columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| SchemaError::invalid(format!("Unknown definition {name} referenced in PRIMARY KEY")))
    };
    if stmt.partition_key.is_empty() {
        return Err(SchemaError::invalid("No PRIMARY KEY specifed (exactly one required)".into()));
    }
    let mut seen = std::collections::HashSet::new();
    for name in stmt.partition_key.iter().chain(&stmt.clustering_key) {
        find(name)?;
        if !seen.insert(name.as_str()) {
            return Err(SchemaError::invalid(format!("Duplicate definition for column {name} in PRIMARY KEY")));
        }
    }
    let order_of = clustering_orders(stmt)?;

    let mut columns = Vec::with_capacity(stmt.columns.len());
    for (pos, name) in stmt.partition_key.iter().enumerate() {
        let ty = key_type(find(name)?, scope)?;
        columns.push(ColumnDef {
            name: name.clone(),
            ty,
            kind: ColumnKind::PartitionKey,
            position: pos as i32,
            order: ClusteringOrder::Asc,
            dropped: None,
        });
    }
    for (pos, name) in stmt.clustering_key.iter().enumerate() {
        let ty = key_type(find(name)?, scope)?;
        columns.push(ColumnDef {
            name: name.clone(),
            ty,
            kind: ColumnKind::Clustering,
            position: pos as i32,
            order: order_of[pos],
            dropped: None,
        });
    }
    let mut has_counter = false;
    let mut has_regular = false;
    for c in stmt.columns.iter().filter(|c| !seen.contains(c.name.as_str())) {
        let ty = column_type(&c.ty, scope)?;
        if c.is_static && stmt.clustering_key.is_empty() {
            return Err(SchemaError::invalid(format!(
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
        columns.push(ColumnDef {
            name: c.name.clone(),
            ty,
            kind,
            position: -1,
            order: ClusteringOrder::Asc,
            dropped: None,
        });
    }
    if has_counter && has_regular {
        return Err(SchemaError::invalid("Cannot mix counter and non counter columns in the same table".into()));
    }
    // Non-key columns keep their declared order: a column's id is its position, and the
    // persisted CREATE TABLE lists columns in id order (columns added by ALTER TABLE come
    // last), so building the table from it again gives every column its id back.
    let mut options = TableOptions::default();
    options.apply(&stmt.options)?;
    check_counter_options(has_counter, &options)?;
    let id = options.id.unwrap_or_else(Uuid::new_v4);
    Ok(TableDef::new(id, scope.keyspace.to_string(), stmt.name.name.clone(), columns, options, false))
}

/// Whether a type is or holds a `duration` (which has no order, so no key may hold one).
pub fn references_duration(ty: &CqlType) -> bool {
    match ty {
        CqlType::Duration => true,
        CqlType::Frozen(t) | CqlType::List(t) | CqlType::Set(t) | CqlType::Vector(t, _) => references_duration(t),
        CqlType::Map(k, v) => references_duration(k) || references_duration(v),
        CqlType::Tuple(items) => items.iter().any(references_duration),
        CqlType::Udt(u) => u.fields.iter().any(|(_, t)| references_duration(t)),
        _ => false,
    }
}

/// A counter table cannot expire its cells.
pub fn check_counter_options(is_counter: bool, options: &TableOptions) -> Result<(), SchemaError> {
    if is_counter && options.default_time_to_live > 0 {
        return Err(SchemaError::invalid("Cannot set default_time_to_live on a table with counters".into()));
    }
    Ok(())
}

fn key_type(column: &ast::ColumnDef, scope: TypeScope<'_>) -> Result<CqlType, SchemaError> {
    let ty = resolve_type(&column.ty, scope)?;
    if column.is_static {
        return Err(SchemaError::invalid(format!("Static column {} cannot be part of the PRIMARY KEY", column.name)));
    }
    if matches!(ty, CqlType::Udt(_)) {
        return Err(SchemaError::invalid(format!(
            "Invalid non-frozen user-defined type for PRIMARY KEY component {}",
            column.name
        )));
    }
    if ty.is_multi_cell() {
        return Err(SchemaError::invalid(format!(
            "Invalid non-frozen collection type for PRIMARY KEY component {}",
            column.name
        )));
    }
    if ty.is_counter() {
        return Err(SchemaError::invalid(format!(
            "counter type is not supported for PRIMARY KEY column '{}'",
            column.name
        )));
    }
    if references_duration(&ty) {
        return Err(SchemaError::invalid(format!(
            "duration type is not supported for PRIMARY KEY column '{}'",
            column.name
        )));
    }
    Ok(ty)
}

/// `CLUSTERING ORDER BY` must name clustering columns in their declared order.
fn clustering_orders(stmt: &ast::CreateTableStatement) -> Result<Vec<ClusteringOrder>, SchemaError> {
    let mut orders = vec![ClusteringOrder::Asc; stmt.clustering_key.len()];
    for (i, (name, ordering)) in stmt.clustering_order.iter().enumerate() {
        let Some(pos) = stmt.clustering_key.iter().position(|c| c == name) else {
            return Err(SchemaError::invalid(format!(
                "Only clustering key columns can be defined in CLUSTERING ORDER directive: {name} is not a clustering column"
            )));
        };
        if pos != i {
            return Err(SchemaError::invalid(
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

#[cfg(test)]
mod tests {
    use percore_protocol::cql::ast::Statement;
    use percore_protocol::cql::parse_statement;

    use super::*;

    fn build(cql: &str) -> Result<TableDef, SchemaError> {
        let Statement::CreateTable(create) = parse_statement(cql).unwrap().statement else { panic!("not a table") };
        table_from_create(TypeScope::without_types("ks"), &create)
    }

    fn b(t: CqlType) -> Box<CqlType> {
        Box::new(t)
    }

    #[test]
    fn vectors_resolve_with_frozen_elements_and_may_be_keys() {
        let t = build("CREATE TABLE ks.t (k vector<int, 2>, c vector<text, 1>, v vector<float, 3>, l vector<list<int>, 2>, PRIMARY KEY (k, c))")
            .unwrap();
        let types: Vec<&CqlType> = t.columns.iter().map(|c| &c.ty).collect();
        assert_eq!(
            types,
            [
                &CqlType::Vector(b(CqlType::Int), 2),
                &CqlType::Vector(b(CqlType::Text), 1),
                &CqlType::Vector(b(CqlType::Float), 3),
                &CqlType::Vector(b(CqlType::Frozen(b(CqlType::List(b(CqlType::Int))))), 2),
            ]
        );
        assert_eq!(t.columns[3].ty.cql_name(), "vector<frozen<list<int>>, 2>");
    }

    #[test]
    fn bad_vectors_are_refused_with_cassandras_messages() {
        let message = |cql: &str| build(cql).unwrap_err().message;
        assert_eq!(
            message("CREATE TABLE ks.t (k int PRIMARY KEY, v vector<float, 0>)"),
            "vectors may only have positive dimensions; given 0"
        );
        assert_eq!(
            message("CREATE TABLE ks.t (k int PRIMARY KEY, v vector<float, -2>)"),
            "vectors may only have positive dimensions; given -2"
        );
        assert_eq!(
            message("CREATE TABLE ks.t (k int PRIMARY KEY, v vector<counter, 2>)"),
            "Counters are not allowed inside vectors: vector<counter, 2>"
        );
    }
}
