//! Multi-column relations on consecutive clustering columns of one clustering order:
//! `(a, b) op (x, y)` bounds a slice starting at `a` (both ends for `=`); `(a, b) IN (...)`
//! (reads only) is filtered row by row.

use percore_protocol::cql::ast::{InValues, Operator, Term};
use percore_protocol::types::CqlType;

use crate::cql::bind::ValueExpr;
use crate::cql::error::CqlError;
use crate::cql::statement::operation::term_text;
use crate::cql::term::{analyze_term, BindSpecs};
use crate::schema::{ColumnKind, TableDef};

use super::collect::Collected;
use super::{column_id, receiver, ColumnValues, FilterPlan, InList, RestrictionContext, SliceBound};

impl Collected {
    /// `(a, b) op (x, y)`: a bound of the slice starting at `a`; `=` sets both bounds.
    pub(super) fn add_multi_column(
        &mut self,
        ctx: &mut RestrictionContext<'_>,
        columns: &[String],
        op: Operator,
        value: &Term,
    ) -> Result<(), CqlError> {
        let (first, expr) = analyze_multi_column(ctx.table, columns, value, ctx.binds)?;
        let slice = self.slice_at(first);
        let inclusive = matches!(op, Operator::Eq | Operator::Lte | Operator::Gte);
        let bound = SliceBound { value: expr, inclusive, width: columns.len() };
        match op {
            Operator::Eq => {
                slice.lower = Some(bound.clone());
                slice.upper = Some(bound);
            }
            Operator::Gt | Operator::Gte => slice.lower = Some(bound),
            Operator::Lt | Operator::Lte => slice.upper = Some(bound),
            _ => return Err(CqlError::invalid(format!("Unsupported operator {op:?} in a multi-column relation"))),
        }
        Ok(())
    }

    /// `(a, b) IN ((x, y), ...)`: a row filter on the tuple of the columns (reads only).
    pub(super) fn add_multi_column_in(
        &mut self,
        ctx: &mut RestrictionContext<'_>,
        columns: &[String],
        values: &InValues,
    ) -> Result<(), CqlError> {
        if !ctx.for_read {
            return Err(CqlError::invalid(
                "Multi-column IN restrictions are only supported in SELECT statements".into(),
            ));
        }
        let table = ctx.table;
        let (first, types) = multi_column_types(table, columns)?;
        let tuple = CqlType::Tuple(types);
        let list = analyze_tuple_in(table, columns, values, &tuple, ctx.binds)?;
        self.clustering_in.extend(first..first + columns.len());
        self.out.row_filters.push(FilterPlan {
            map_key: None,
            width: columns.len(),
            column: table.clustering_key[first],
            op: Operator::Eq,
            ty: tuple,
            values: ColumnValues::In(list),
        });
        Ok(())
    }
}

/// `(a, b) op (x, y)`: consecutive clustering columns with one clustering order; returns
/// the first column's position and the tuple value.
fn analyze_multi_column(
    table: &TableDef,
    columns: &[String],
    value: &Term,
    binds: &mut BindSpecs,
) -> Result<(usize, ValueExpr), CqlError> {
    let (start, types) = multi_column_types(table, columns)?;
    check_tuple_arity(value, columns.len())?;
    let name = format!("({})", columns.join(","));
    let expr = analyze_term(value, &receiver(table, name, CqlType::Tuple(types)), binds)?;
    Ok((start, expr))
}

/// The right side of `(a, b) IN`: tuples of the columns' types, or one marker bound to a
/// list of them.
fn analyze_tuple_in(
    table: &TableDef,
    columns: &[String],
    values: &InValues,
    tuple: &CqlType,
    binds: &mut BindSpecs,
) -> Result<InList, CqlError> {
    let name = format!("({})", columns.join(","));
    match values {
        InValues::List(terms) => {
            for t in terms {
                check_tuple_arity(t, columns.len())?;
            }
            let r = receiver(table, name, tuple.clone());
            Ok(InList::Values(terms.iter().map(|t| analyze_term(t, &r, binds)).collect::<Result<_, _>>()?))
        }
        InValues::Marker(m) => {
            let r = receiver(table, format!("in({name})"), CqlType::List(Box::new(tuple.clone())));
            analyze_term(&Term::Bind(m.clone()), &r, binds)?;
            Ok(InList::Marker(m.index))
        }
    }
}

/// A tuple literal on the right of a multi-column relation has one value per column.
fn check_tuple_arity(value: &Term, width: usize) -> Result<(), CqlError> {
    match value {
        Term::Tuple(items) if items.len() != width => Err(CqlError::invalid(format!(
            "Expected {width} elements in value tuple, but got {}: {}",
            items.len(),
            term_text(value)
        ))),
        _ => Ok(()),
    }
}

/// The first position and the types of the clustering columns of a multi-column relation,
/// which must be consecutive, in PRIMARY KEY order, and of one clustering order.
fn multi_column_types(table: &TableDef, columns: &[String]) -> Result<(usize, Vec<CqlType>), CqlError> {
    let mut types = Vec::new();
    let mut first = None;
    for (i, name) in columns.iter().enumerate() {
        let id = column_id(table, name)?;
        let def = table.column(id);
        if def.kind != ColumnKind::Clustering {
            return Err(CqlError::invalid(format!(
                "Multi-column relations can only be applied to clustering columns but was applied to: {name}"
            )));
        }
        let position = def.position as usize;
        let start = *first.get_or_insert(position);
        if position != start + i {
            return Err(CqlError::invalid(format!(
                "Clustering columns must appear in the PRIMARY KEY order in multi-column relations: ({})",
                columns.join(", ")
            )));
        }
        if def.order != table.column(table.clustering_key[start]).order {
            return Err(CqlError::invalid(
                "Multi-column relations over columns of mixed clustering orders are not supported yet".into(),
            ));
        }
        types.push(def.ty.clone());
    }
    let start = first.ok_or_else(|| CqlError::invalid("Empty multi-column relation".into()))?;
    Ok((start, types))
}
