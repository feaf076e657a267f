//! WHERE clauses analysed against the primary key: equalities or IN on the partition key,
//! a token range, equalities on a clustering prefix followed by an optional slice, and —
//! for virtual tables only — equality filters on any column. What Cassandra refuses
//! (skipped clustering columns, partial partition keys without ALLOW FILTERING) is refused
//! with Cassandra's message.
//!
//! Analysis runs in two passes: each relation is read into [`collect::Collected`] (one
//! column relation in `single_column`, tuples in `multi_column`, `token(...)` in `token`),
//! then `key_shape` checks what was collected against the primary key and turns what the
//! key cannot answer into row filters. `bound_values` expands the analysed restrictions
//! with an execution's bound values.

mod bound_values;
mod collect;
mod key_shape;
mod multi_column;
mod single_column;
mod token;

use percore_protocol::cql::ast::{Operator, Relation};
use percore_protocol::types::CqlType;

use crate::cql::bind::ValueExpr;
use crate::cql::error::CqlError;
use crate::cql::term::{BindSpecs, Receiver};
use crate::model::mutation::ColumnId;
use crate::schema::{ColumnKind, TableDef};

pub use self::bound_values::{column_values, partition_keys, split_list};
use self::collect::{single_column_tuple, Collected};

/// Values restricting one partition key column.
#[derive(Debug, Clone)]
pub enum ColumnValues {
    Eq(ValueExpr),
    In(InList),
}

/// The right side of `IN`: a literal list or one marker bound to a list.
#[derive(Debug, Clone)]
pub enum InList {
    Values(Vec<ValueExpr>),
    Marker(usize),
}

/// One end of a slice: the value and whether it is included.
#[derive(Debug, Clone)]
pub struct SliceBound {
    pub value: ValueExpr,
    pub inclusive: bool,
    /// Clustering columns the value covers: 1, or a tuple's arity for `(a, b) > (x, y)`.
    pub width: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Slice {
    pub lower: Option<SliceBound>,
    pub upper: Option<SliceBound>,
}

#[derive(Debug, Clone, Default)]
pub struct Restrictions {
    /// One entry per partition key column, when all are restricted.
    pub partition: Option<Vec<ColumnValues>>,
    /// `token(pk) > x AND token(pk) <= y`.
    pub token: Slice,
    /// Equalities on the first clustering columns; in modifications also `IN` lists, which
    /// name one row per combination (reads filter clustering `IN` row by row instead).
    pub clustering_prefix: Vec<ColumnValues>,
    /// A slice on the clustering column after the prefix.
    pub clustering_slice: Option<Slice>,
    /// Equality/IN filters on other columns (virtual tables).
    pub filters: Vec<(ColumnId, ColumnValues)>,
    /// Restrictions checked row by row on the owner (ALLOW FILTERING, clustering IN).
    pub row_filters: Vec<FilterPlan>,
}

/// One row filter: `column op value` (`IN` is `Eq` with a list); `ty` is the type of the
/// compared value (a collection's element type for CONTAINS, a tuple for a multi-column
/// relation).
#[derive(Debug, Clone)]
pub struct FilterPlan {
    /// For `m[key] op value`: the map key whose value is compared.
    pub map_key: Option<ValueExpr>,
    /// 0 for one column; n for a multi-column relation on the n clustering columns
    /// starting at `column`, whose values are tuples.
    pub width: usize,
    pub column: ColumnId,
    pub op: Operator,
    pub ty: CqlType,
    pub values: ColumnValues,
}

impl FilterPlan {
    /// A filter on one column's own value (not a map element, not a tuple).
    fn on_column(column: ColumnId, op: Operator, ty: CqlType, values: ColumnValues) -> FilterPlan {
        FilterPlan { map_key: None, width: 0, column, op, ty, values }
    }
}

pub struct RestrictionContext<'a> {
    pub table: &'a TableDef,
    pub binds: &'a mut BindSpecs,
    /// Whether the statement is a SELECT (reads may leave the partition key open).
    pub for_read: bool,
    pub allow_filtering: bool,
}

fn receiver(table: &TableDef, name: String, ty: CqlType) -> Receiver {
    Receiver { keyspace: table.keyspace.clone(), table: table.name.clone(), name, ty }
}

fn column_receiver(table: &TableDef, id: ColumnId) -> Receiver {
    let c = table.column(id);
    receiver(table, c.name.clone(), c.ty.clone())
}

pub fn column_id(table: &TableDef, name: &str) -> Result<ColumnId, CqlError> {
    table.column_id(name).ok_or_else(|| CqlError::invalid(format!("Undefined column name {name}")))
}

pub fn analyze(relations: &[Relation], mut ctx: RestrictionContext<'_>) -> Result<Restrictions, CqlError> {
    let table = ctx.table;
    let mut collected = Collected::new(table);
    for relation in relations {
        collected.add(&single_column_tuple(table, relation), &mut ctx)?;
    }
    if table.is_virtual {
        return Ok(collected.out);
    }
    key_shape::check(collected, &ctx)
}

/// Restrictions that need filtering are refused without ALLOW FILTERING (and in writes).
fn require_filtering(ctx: &RestrictionContext<'_>, kind: ColumnKind) -> Result<(), CqlError> {
    if !ctx.for_read {
        return Err(CqlError::invalid(match kind {
            ColumnKind::Regular | ColumnKind::Static => "Non PRIMARY KEY columns found in where clause".to_string(),
            _ => "Invalid restrictions in a modification statement".to_string(),
        }));
    }
    if !ctx.allow_filtering {
        return Err(CqlError::invalid(filtering_message()));
    }
    Ok(())
}

pub fn filtering_message() -> String {
    "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. \
     If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"
        .into()
}
