//! SELECT analysed into a [`SelectPlan`]: the outputs and their result metadata, the key
//! restrictions, the order (reversed or not) and the limit.

use std::sync::Arc;

use percore_protocol::cql::ast::{
    Operator, Ordering, Relation, SelectStatement, Selection, Selector, SelectorExpr, Term,
};
use percore_protocol::response::ColumnSpec;
use percore_protocol::types::CqlType;

use crate::cql::bind::ValueExpr;
use crate::cql::error::CqlError;
use crate::cql::read::output::Output;
use crate::cql::term::{analyze_term, BindSpecs, Receiver};
use crate::model::clustering::ClusteringOrder;
use crate::schema::{ColumnKind, IndexDef, TableDef};

use super::aggregate::{self, AggregatePlan};
use super::index_choice::{self, IndexPlan};
use super::projection::{self, Projection};
use super::restrictions::{column_id, ColumnValues, RestrictionContext, Restrictions};

#[derive(Debug)]
pub struct SelectPlan {
    pub table: Arc<TableDef>,
    pub outputs: Arc<[Output]>,
    pub result_columns: std::sync::Arc<[ColumnSpec]>,
    /// `SELECT COUNT(*)`: one row with the number of matching rows.
    pub count: bool,
    pub restrictions: Restrictions,
    /// ORDER BY opposite to the clustering order.
    pub reversed: bool,
    pub limit: Option<ValueExpr>,
    /// `PER PARTITION LIMIT n`.
    pub per_partition_limit: Option<ValueExpr>,
    /// `SELECT DISTINCT`: one row per partition (its key and static columns).
    pub distinct: bool,
    /// ORDER BY with an `IN` on the partition key: rows of several partitions are merged
    /// in clustering order (Cassandra refuses to page such a query).
    pub ordered_partition_in: bool,
    /// For that merge: the outputs holding the ORDER BY columns (added after the selected
    /// ones when not selected, and cut off before the rows leave).
    pub order_inputs: Vec<usize>,
    /// Aggregates and GROUP BY: `outputs` are the inputs each row provides.
    pub aggregate: Option<AggregatePlan>,
    /// Functions, casts, SELECT JSON: `outputs` are the inputs each row provides.
    pub projection: Option<Projection>,
    /// Answered through a secondary index (no partition key restricted).
    pub index: Option<IndexPlan>,
}

fn spec(table: &TableDef, name: String, ty: CqlType) -> ColumnSpec {
    ColumnSpec { keyspace: table.keyspace.clone(), table: table.name.clone(), name, ty }
}

pub fn analyze_select(
    stmt: &SelectStatement,
    table: Arc<TableDef>,
    indexes: &[(IndexDef, Arc<TableDef>)],
    binds: &mut BindSpecs,
) -> Result<SelectPlan, CqlError> {
    let mut selected = analyze_selection(stmt, &table, binds)?;
    check_where_aliases(stmt, &table)?;
    let (restrictions, index) = index_choice::analyze(
        &stmt.where_clause,
        RestrictionContext { table: &table, binds, for_read: true, allow_filtering: stmt.allow_filtering },
        indexes,
    )?;
    check_index_use(stmt, &table, indexes, index.is_some())?;
    let reversed = order_by(&table, &stmt.order_by, &restrictions, &selection_aliases(&stmt.selection))?;
    check_distinct_and_per_partition_limit(stmt, &table, &selected)?;
    let per_partition_limit = stmt
        .per_partition_limit
        .as_ref()
        .map(|t| int_parameter(&table, "[per_partition_limit]", t, binds))
        .transpose()?;
    let limit = stmt.limit.as_ref().map(|t| int_parameter(&table, "[limit]", t, binds)).transpose()?;
    let ordered_partition_in = !stmt.order_by.is_empty()
        && restrictions.partition.as_ref().is_some_and(|p| p.iter().any(|c| matches!(c, ColumnValues::In(_))));
    let order_inputs = if ordered_partition_in && selected.aggregate.is_none() && !selected.count {
        order_inputs(&table, stmt.order_by.len(), &mut selected.outputs)
    } else {
        Vec::new()
    };
    Ok(SelectPlan {
        table,
        outputs: selected.outputs.into(),
        result_columns: selected.result_columns.into(),
        count: selected.count,
        restrictions,
        reversed,
        limit,
        per_partition_limit,
        distinct: stmt.distinct,
        ordered_partition_in,
        order_inputs,
        aggregate: selected.aggregate,
        projection: selected.projection,
        index,
    })
}

/// What the selection clause asks of each row, and the result metadata.
#[derive(Default)]
struct Selected {
    outputs: Vec<Output>,
    result_columns: Vec<ColumnSpec>,
    /// `COUNT(*)` (or `count(x)`) as a plain selector: one row with the number of rows.
    count: bool,
    aggregate: Option<AggregatePlan>,
    projection: Option<Projection>,
}

/// The selection clause: aggregates (and GROUP BY), computed selectors (functions, casts,
/// JSON), or plain columns, `COUNT(*)`, `WRITETIME`/`TTL` and `token(...)`.
fn analyze_selection(stmt: &SelectStatement, table: &TableDef, binds: &mut BindSpecs) -> Result<Selected, CqlError> {
    let selected = match &stmt.selection {
        selection if aggregate::is_aggregate(selection, &stmt.group_by, stmt.json) => {
            let (plan, described) = aggregate::analyze(table, selection, &stmt.group_by, &stmt.where_clause)?;
            let outputs = plan.input_outputs();
            let (projection, described) = if stmt.json {
                let (json, columns) = projection::json_of_columns(described);
                (Some(json), columns)
            } else {
                (None, described)
            };
            let result_columns = specs(table, described);
            Selected { outputs, result_columns, count: false, aggregate: Some(plan), projection }
        }
        selection if projection::is_computed(selection, stmt.json) => {
            let (outputs, plan, described) = projection::analyze(table, selection, stmt.json, binds)?;
            let result_columns = specs(table, described);
            Selected { outputs, result_columns, count: false, aggregate: None, projection: Some(plan) }
        }
        Selection::All => all_columns(table),
        Selection::Selectors(selectors) => plain_selectors(table, selectors)?,
    };
    if selected.count && !selected.outputs.is_empty() {
        return Err(CqlError::invalid("Mixing COUNT(*) with other selectors is not supported yet".into()));
    }
    Ok(selected)
}

fn specs(table: &TableDef, described: Vec<(String, CqlType)>) -> Vec<ColumnSpec> {
    described.into_iter().map(|(name, ty)| spec(table, name, ty)).collect()
}

/// `SELECT *`: every column, in Cassandra's order.
fn all_columns(table: &TableDef) -> Selected {
    let mut selected = Selected::default();
    for id in table.select_star_order() {
        let c = table.column(id);
        selected.outputs.push(Output::Column(id));
        selected.result_columns.push(spec(table, c.name.clone(), c.ty.clone()));
    }
    selected
}

/// Selectors read straight from each row: columns, `COUNT(*)`, `WRITETIME`/`TTL` and
/// `token(...)`.
fn plain_selectors(table: &TableDef, selectors: &[Selector]) -> Result<Selected, CqlError> {
    let mut selected = Selected::default();
    for s in selectors {
        let (output, name, ty) = match &s.expr {
            SelectorExpr::Column(name) => {
                let id = column_id(table, name)?;
                (Some(Output::Column(id)), name.clone(), table.column(id).ty.clone())
            }
            SelectorExpr::CountAll => {
                selected.count = true;
                (None, "count".to_string(), CqlType::Bigint)
            }
            SelectorExpr::WriteTime(name) | SelectorExpr::Ttl(name) => {
                let writetime = matches!(s.expr, SelectorExpr::WriteTime(_));
                let (output, ty, label) = projection::cell_metadata(table, name, writetime)?;
                (Some(output), label, ty)
            }
            SelectorExpr::FunctionCall { name, args } if name.name.eq_ignore_ascii_case("token") => {
                token_selector(table, args)?
            }
            SelectorExpr::FunctionCall { name, args } if name.name.eq_ignore_ascii_case("count") && args.len() == 1 => {
                selected.count = true;
                (None, "count".to_string(), CqlType::Bigint)
            }
            other => {
                return Err(CqlError::invalid(format!(
                    "This selector is not supported yet: {}",
                    super::cql_text::selector_text(other)
                )))
            }
        };
        if let Some(o) = output {
            selected.outputs.push(o);
        }
        selected.result_columns.push(spec(table, s.alias.clone().unwrap_or(name), ty));
    }
    Ok(selected)
}

/// `token(k1, k2)` selected: its arguments are the partition key columns, in key order.
fn token_selector(table: &TableDef, args: &[SelectorExpr]) -> Result<(Option<Output>, String, CqlType), CqlError> {
    let arg_names: Vec<&str> = args
        .iter()
        .map(|a| match a {
            SelectorExpr::Column(c) => Ok(c.as_str()),
            _ => Err(CqlError::invalid("token() takes the partition key columns".into())),
        })
        .collect::<Result<_, _>>()?;
    let pk: Vec<&str> = table.partition_key.iter().map(|&i| table.column(i).name.as_str()).collect();
    if arg_names != pk {
        return Err(CqlError::invalid(format!("token() takes the partition key columns in order: {}", pk.join(", "))));
    }
    Ok((Some(Output::Token), format!("system.token({})", arg_names.join(", ")), CqlType::Bigint))
}

/// A selection alias named in WHERE (where it is no column) is refused.
fn check_where_aliases(stmt: &SelectStatement, table: &TableDef) -> Result<(), CqlError> {
    let Selection::Selectors(selectors) = &stmt.selection else {
        return Ok(());
    };
    for relation in &stmt.where_clause {
        let column = match relation {
            Relation::Simple { column, .. } | Relation::In { column, .. } | Relation::MapElement { column, .. } => {
                column
            }
            _ => continue,
        };
        if table.column_id(column).is_none() && selectors.iter().any(|s| s.alias.as_deref() == Some(column.as_str())) {
            return Err(CqlError::invalid(format!(
                "Aliases aren't allowed in the where clause ('{}')",
                super::cql_text::relation_text(relation)
            )));
        }
    }
    Ok(())
}

/// What a secondary index restriction cannot be combined with: ORDER BY (also refused when
/// an indexed column is restricted by `=` with the partition key known), DISTINCT and PER
/// PARTITION LIMIT.
fn check_index_use(
    stmt: &SelectStatement,
    table: &TableDef,
    indexes: &[(IndexDef, Arc<TableDef>)],
    uses_index: bool,
) -> Result<(), CqlError> {
    let restricts_indexed_column = stmt.where_clause.iter().any(|r| {
        matches!(r, Relation::Simple { column, op: Operator::Eq, .. }
            if indexes.iter().any(|(i, _)| table.column_id(column) == Some(i.column)))
    });
    if (uses_index || restricts_indexed_column) && !stmt.order_by.is_empty() {
        return Err(CqlError::invalid("ORDER BY with 2ndary indexes is not supported.".into()));
    }
    if uses_index && (stmt.distinct || stmt.per_partition_limit.is_some()) {
        return Err(CqlError::invalid(
            "SELECT DISTINCT and PER PARTITION LIMIT with a secondary index restriction are not supported yet".into(),
        ));
    }
    Ok(())
}

/// The aliases of the selection (none for `SELECT *`).
fn selection_aliases(selection: &Selection) -> Vec<&str> {
    match selection {
        Selection::Selectors(selectors) => selectors.iter().filter_map(|s| s.alias.as_deref()).collect(),
        Selection::All => Vec::new(),
    }
}

/// SELECT DISTINCT's outputs, and PER PARTITION LIMIT, refused with DISTINCT and with
/// aggregates over whole partitions (no GROUP BY).
fn check_distinct_and_per_partition_limit(
    stmt: &SelectStatement,
    table: &TableDef,
    selected: &Selected,
) -> Result<(), CqlError> {
    if stmt.distinct {
        if stmt.per_partition_limit.is_some() {
            return Err(CqlError::invalid("PER PARTITION LIMIT is not allowed with SELECT DISTINCT queries".into()));
        }
        check_distinct(table, &selected.outputs)?;
    }
    if stmt.per_partition_limit.is_some()
        && stmt.group_by.is_empty()
        && (selected.count || selected.aggregate.is_some())
    {
        return Err(CqlError::invalid("PER PARTITION LIMIT is not allowed with aggregate queries.".into()));
    }
    Ok(())
}

/// For ORDER BY over an `IN` on the partition key (rows of several partitions merged in
/// clustering order): the outputs holding the first `order_len` clustering columns, added
/// after the selected ones when not selected.
fn order_inputs(table: &TableDef, order_len: usize, outputs: &mut Vec<Output>) -> Vec<usize> {
    let mut order_inputs = Vec::new();
    for &id in &table.clustering_key[..order_len] {
        let output = Output::Column(id);
        let index = outputs.iter().position(|o| *o == output).unwrap_or_else(|| {
            outputs.push(output);
            outputs.len() - 1
        });
        order_inputs.push(index);
    }
    order_inputs
}

/// DISTINCT selects whole partition keys and static columns only.
fn check_distinct(table: &TableDef, outputs: &[Output]) -> Result<(), CqlError> {
    for output in outputs {
        let id = match output {
            Output::Column(id) | Output::WriteTime(id) | Output::Ttl(id) => *id,
            Output::Token | Output::RowMarkerTimestamp => continue,
        };
        let c = table.column(id);
        if !matches!(c.kind, ColumnKind::PartitionKey | ColumnKind::Static) {
            return Err(CqlError::invalid(format!(
                "SELECT DISTINCT queries must only request partition key columns and/or static columns (not {})",
                c.name
            )));
        }
    }
    let missing: Vec<&str> = table
        .partition_key
        .iter()
        .filter(|id| !outputs.contains(&Output::Column(**id)))
        .map(|&id| table.column(id).name.as_str())
        .collect();
    if !missing.is_empty() && !outputs.is_empty() {
        return Err(CqlError::invalid(format!(
            "SELECT DISTINCT queries must request all the partition key columns (missing {})",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// An `int` parameter of the statement (`LIMIT`, `PER PARTITION LIMIT`).
fn int_parameter(table: &TableDef, name: &str, term: &Term, binds: &mut BindSpecs) -> Result<ValueExpr, CqlError> {
    let r =
        Receiver { keyspace: table.keyspace.clone(), table: table.name.clone(), name: name.into(), ty: CqlType::Int };
    analyze_term(term, &r, binds)
}

/// Validates ORDER BY and says whether it reverses the clustering order.
fn order_by(
    table: &TableDef,
    order: &[(String, Ordering)],
    r: &Restrictions,
    aliases: &[&str],
) -> Result<bool, CqlError> {
    for (name, _) in order {
        if table.column_id(name).is_none() {
            if aliases.contains(&name.as_str()) {
                return Err(CqlError::invalid(format!("Aliases are not allowed in order by clause ('{name}')")));
            }
            return Err(CqlError::invalid(format!("Order by on unknown column {name}")));
        }
    }
    if order.is_empty() {
        return Ok(false);
    }
    if r.partition.is_none() {
        return Err(CqlError::invalid(
            "ORDER BY is only supported when the partition key is restricted by an EQ or an IN.".into(),
        ));
    }
    let mut reversed = None;
    for (i, (name, ordering)) in order.iter().enumerate() {
        let id = column_id(table, name)?;
        let c = table.column(id);
        if c.kind != ColumnKind::Clustering {
            return Err(CqlError::invalid(format!(
                "Order by is currently only supported on the clustered columns of the PRIMARY KEY, got {name}"
            )));
        }
        if c.position as usize != i {
            return Err(CqlError::invalid("Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY".into()));
        }
        let declared_desc = c.order == ClusteringOrder::Desc;
        let this = (*ordering == Ordering::Desc) != declared_desc;
        if reversed.is_some_and(|r| r != this) {
            return Err(CqlError::invalid("Unsupported order by relation".into()));
        }
        reversed = Some(this);
    }
    Ok(reversed.unwrap_or(false))
}
