//! Aggregate selections — `count(*)`, `count(c)`, `min`, `max`, `sum`, `avg` — with or
//! without `GROUP BY` a primary-key prefix, analysed into what each row must provide and
//! how each result column is computed. Plain columns beside aggregates take their value
//! from the first row of the group, as in Cassandra.

use percore_protocol::cql::ast::{Selection, SelectorExpr};
use percore_protocol::types::CqlType;

use crate::cql::error::CqlError;
use crate::cql::read::output::Output;
use crate::model::mutation::ColumnId;
use crate::schema::TableDef;

use super::restrictions::column_id;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateKind {
    CountRows,
    Count,
    Min,
    Max,
    Sum,
    Avg,
}

/// One result column: an aggregate over an input, or an input's first value in the group.
#[derive(Debug, Clone)]
pub enum ResultColumn {
    Aggregate { kind: AggregateKind, input: usize, ty: CqlType },
    First { input: usize },
}

#[derive(Debug, Clone)]
pub struct AggregatePlan {
    /// The columns read from each row, in this order.
    pub inputs: Vec<ColumnId>,
    pub columns: Vec<ResultColumn>,
    /// Inputs holding the GROUP BY columns (empty: all rows form one group).
    pub group_inputs: Vec<usize>,
}

impl AggregatePlan {
    pub fn input_outputs(&self) -> Vec<Output> {
        self.inputs.iter().map(|&c| Output::Column(c)).collect()
    }
}

fn aggregate_kind(name: &str) -> Option<AggregateKind> {
    Some(match name.to_ascii_lowercase().as_str() {
        "count" => AggregateKind::Count,
        "min" => AggregateKind::Min,
        "max" => AggregateKind::Max,
        "sum" => AggregateKind::Sum,
        "avg" => AggregateKind::Avg,
        _ => return None,
    })
}

/// Whether a selection needs the aggregate path.
pub fn is_aggregate(selection: &Selection, group_by: &[String]) -> bool {
    let Selection::Selectors(selectors) = selection else { return !group_by.is_empty() };
    !group_by.is_empty()
        || selectors.iter().any(|s| match &s.expr {
            SelectorExpr::CountAll => selectors.len() > 1,
            SelectorExpr::FunctionCall { name, .. } => aggregate_kind(&name.name).is_some(),
            _ => false,
        })
}

fn input_index(inputs: &mut Vec<ColumnId>, id: ColumnId) -> usize {
    inputs.iter().position(|&c| c == id).unwrap_or_else(|| {
        inputs.push(id);
        inputs.len() - 1
    })
}

/// The types `sum`, `avg` and numeric casts work on.
pub fn is_numeric(ty: &CqlType) -> bool {
    matches!(
        ty,
        CqlType::Tinyint
            | CqlType::Smallint
            | CqlType::Int
            | CqlType::Bigint
            | CqlType::Counter
            | CqlType::Float
            | CqlType::Double
    )
}

/// Analyses the selection; returns the plan and each result column's name and type.
pub fn analyze(
    table: &TableDef,
    selection: &Selection,
    group_by: &[String],
) -> Result<(AggregatePlan, Vec<(String, CqlType)>), CqlError> {
    let mut inputs = Vec::new();
    let mut group_inputs = Vec::new();
    let key: Vec<ColumnId> = table.partition_key.iter().chain(&table.clustering_key).copied().collect();
    for (i, name) in group_by.iter().enumerate() {
        let id = column_id(table, name)?;
        if !table.column(id).kind.is_primary_key() {
            return Err(CqlError::invalid(format!(
                "Group by is currently only supported on the columns of the PRIMARY KEY, got {name}"
            )));
        }
        if key.get(i) != Some(&id) {
            return Err(CqlError::invalid(
                "Group by currently only support groups of columns following their declared order in the PRIMARY KEY"
                    .into(),
            ));
        }
        group_inputs.push(input_index(&mut inputs, id));
    }
    let mut columns = Vec::new();
    let mut described = Vec::new();
    let selectors: Vec<(SelectorExpr, Option<String>)> = match selection {
        Selection::All => table
            .select_star_order()
            .into_iter()
            .map(|id| (SelectorExpr::Column(table.column(id).name.clone()), None))
            .collect(),
        Selection::Selectors(s) => s.iter().map(|s| (s.expr.clone(), s.alias.clone())).collect(),
    };
    for (expr, alias) in selectors {
        let (column, name, ty) = match &expr {
            SelectorExpr::Column(name) => {
                let id = column_id(table, name)?;
                let ty = table.column(id).ty.clone();
                (ResultColumn::First { input: input_index(&mut inputs, id) }, name.clone(), ty)
            }
            SelectorExpr::CountAll => {
                let input = 0;
                (
                    ResultColumn::Aggregate { kind: AggregateKind::CountRows, input, ty: CqlType::Bigint },
                    "count".into(),
                    CqlType::Bigint,
                )
            }
            SelectorExpr::FunctionCall { name, args } if aggregate_kind(&name.name).is_some() => {
                let kind = aggregate_kind(&name.name).unwrap_or(AggregateKind::Count);
                let [SelectorExpr::Column(arg)] = args.as_slice() else {
                    return Err(CqlError::invalid(format!(
                        "Invalid number or kind of arguments in call to function {}: one column expected",
                        name.name
                    )));
                };
                let id = column_id(table, arg)?;
                let arg_ty = table.column(id).ty.clone();
                if matches!(kind, AggregateKind::Sum | AggregateKind::Avg) && !is_numeric(&arg_ty) {
                    return Err(CqlError::invalid(format!(
                        "Invalid call to function {}, none of its type signatures match (type {} of column {arg})",
                        name.name.to_ascii_lowercase(),
                        arg_ty.cql_name()
                    )));
                }
                let ty = if kind == AggregateKind::Count { CqlType::Bigint } else { arg_ty };
                let input = input_index(&mut inputs, id);
                let label = format!("system.{}({arg})", name.name.to_ascii_lowercase());
                (ResultColumn::Aggregate { kind, input, ty: ty.clone() }, label, ty)
            }
            other => {
                return Err(CqlError::invalid(format!(
                    "This selector is not supported with aggregates or GROUP BY yet: {other:?}"
                )))
            }
        };
        columns.push(column);
        described.push((alias.unwrap_or(name), ty));
    }
    Ok((AggregatePlan { inputs, columns, group_inputs }, described))
}
