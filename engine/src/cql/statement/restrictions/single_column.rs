//! Relations on one column: `col op value`, `col IN (...)` and `m[key] op value`. An
//! equality or IN on a key column restricts the key; a slice on a clustering column
//! bounds it; anything else is a row filter, which needs ALLOW FILTERING (and is refused
//! in writes).

use percore_protocol::cql::ast::{InValues, Operator, Term};
use percore_protocol::types::CqlType;

use crate::cql::bind::ValueExpr;
use crate::cql::error::CqlError;
use crate::cql::statement::operation::term_text;
use crate::cql::term::{analyze_term, BindSpecs};
use crate::model::mutation::ColumnId;
use crate::schema::{ColumnDef, ColumnKind, TableDef};

use super::collect::{restrict_once, Collected};
use super::{
    column_id, column_receiver, receiver, require_filtering, ColumnValues, FilterPlan, InList, RestrictionContext,
    SliceBound,
};

impl Collected {
    /// `col op value`.
    pub(super) fn add_simple(
        &mut self,
        ctx: &mut RestrictionContext<'_>,
        column: &str,
        op: Operator,
        value: &Term,
    ) -> Result<(), CqlError> {
        let table = ctx.table;
        let id = column_id(table, column)?;
        let def = table.column(id);
        let expr = if matches!(op, Operator::Contains | Operator::ContainsKey) {
            ValueExpr::Const(None)
        } else {
            analyze_term(value, &column_receiver(table, id), ctx.binds)?
        };
        let position = def.position as usize;
        match (def.kind, op) {
            (_, Operator::Eq) if table.is_virtual => {
                self.out.filters.push((id, ColumnValues::Eq(expr)));
                Ok(())
            }
            (ColumnKind::PartitionKey, Operator::Eq) => {
                restrict_once(&mut self.partition[position], column, ColumnValues::Eq(expr))
            }
            (ColumnKind::Clustering, Operator::Eq) => {
                restrict_once(&mut self.clustering_eq[position], column, ColumnValues::Eq(expr))
            }
            (ColumnKind::Clustering, Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte) => {
                self.add_clustering_bound(position, column, op, expr)
            }
            (ColumnKind::PartitionKey, Operator::Lt | Operator::Lte | Operator::Gt | Operator::Gte)
                if !ctx.allow_filtering =>
            {
                Err(CqlError::invalid(
                    "Only EQ and IN relation are supported on the partition key (unless you use the token() function)"
                        .into(),
                ))
            }
            (_, Operator::Neq) => {
                Err(CqlError::invalid(format!("Unsupported \"!=\" relation: {column} != {}", term_text(value))))
            }
            (_, Operator::Like) => Err(CqlError::invalid(format!(
                "LIKE restriction is only supported on properly indexed columns. {column} LIKE {} is not valid.",
                term_text(value)
            ))),
            (_, Operator::Contains | Operator::ContainsKey) => self.add_contains_filter(ctx, id, op, value),
            _ => self.add_column_filter(ctx, id, op, expr),
        }
    }

    /// `c < x`, `c >= x`...: one bound of the slice on clustering column `position`.
    fn add_clustering_bound(
        &mut self,
        position: usize,
        column: &str,
        op: Operator,
        value: ValueExpr,
    ) -> Result<(), CqlError> {
        let slice = self.slice_at(position);
        let bound = SliceBound { value, inclusive: matches!(op, Operator::Lte | Operator::Gte), width: 1 };
        let lower = matches!(op, Operator::Gt | Operator::Gte);
        let slot = if lower { &mut slice.lower } else { &mut slice.upper };
        if slot.is_some() {
            return Err(CqlError::invalid(format!(
                "More than one restriction was found for the {} bound on {column}",
                if lower { "start" } else { "end" }
            )));
        }
        *slot = Some(bound);
        Ok(())
    }

    /// `col CONTAINS x` / `col CONTAINS KEY x`: a row filter on a collection.
    fn add_contains_filter(
        &mut self,
        ctx: &mut RestrictionContext<'_>,
        id: ColumnId,
        op: Operator,
        value: &Term,
    ) -> Result<(), CqlError> {
        let table = ctx.table;
        let def = table.column(id);
        let ty = contains_type(def, op)?;
        let expr = analyze_term(value, &receiver(table, def.name.clone(), ty.clone()), ctx.binds)?;
        require_filtering(ctx, def.kind)?;
        self.out.row_filters.push(FilterPlan::on_column(id, op, ty, ColumnValues::Eq(expr)));
        Ok(())
    }

    /// `col op value` the primary key cannot answer: a row filter on the column's value.
    fn add_column_filter(
        &mut self,
        ctx: &RestrictionContext<'_>,
        id: ColumnId,
        op: Operator,
        expr: ValueExpr,
    ) -> Result<(), CqlError> {
        let def = ctx.table.column(id);
        if matches!(def.ty.unfrozen(), CqlType::Duration) && op != Operator::Eq {
            return Err(CqlError::invalid("Slice restrictions are not supported on duration columns".into()));
        }
        require_filtering(ctx, def.kind)?;
        self.out.row_filters.push(FilterPlan::on_column(id, op, def.ty.clone(), ColumnValues::Eq(expr)));
        Ok(())
    }

    /// `col IN (...)`: restricts a key column; in reads, a clustering IN is filtered row by
    /// row; on other columns it is a row filter.
    pub(super) fn add_in(
        &mut self,
        ctx: &mut RestrictionContext<'_>,
        column: &str,
        values: &InValues,
    ) -> Result<(), CqlError> {
        let table = ctx.table;
        let id = column_id(table, column)?;
        let def = table.column(id);
        let list = analyze_in(values, table, id, ctx.binds)?;
        let position = def.position as usize;
        match def.kind {
            _ if table.is_virtual => self.out.filters.push((id, ColumnValues::In(list))),
            ColumnKind::PartitionKey => {
                return restrict_once(&mut self.partition[position], column, ColumnValues::In(list))
            }
            ColumnKind::Clustering if ctx.for_read => {
                self.clustering_in.push(position);
                self.out.row_filters.push(FilterPlan::on_column(
                    id,
                    Operator::Eq,
                    def.ty.clone(),
                    ColumnValues::In(list),
                ));
            }
            ColumnKind::Clustering => {
                return restrict_once(&mut self.clustering_eq[position], column, ColumnValues::In(list))
            }
            kind => {
                require_filtering(ctx, kind)?;
                self.out.row_filters.push(FilterPlan::on_column(
                    id,
                    Operator::Eq,
                    def.ty.clone(),
                    ColumnValues::In(list),
                ));
            }
        }
        Ok(())
    }

    /// `m[key] op value`: a row filter on one element of a map.
    pub(super) fn add_map_element(
        &mut self,
        ctx: &mut RestrictionContext<'_>,
        column: &str,
        key: &Term,
        op: Operator,
        value: &Term,
    ) -> Result<(), CqlError> {
        let table = ctx.table;
        let id = column_id(table, column)?;
        let def = table.column(id);
        let CqlType::Map(key_ty, value_ty) = def.ty.unfrozen() else {
            return Err(CqlError::invalid(format!("Invalid element restriction on non-map column {column}")));
        };
        if matches!(op, Operator::Contains | Operator::ContainsKey | Operator::Like) {
            return Err(CqlError::invalid(format!("Unsupported operator on map element {column}[...]")));
        }
        let key = analyze_term(key, &receiver(table, format!("key({column})"), (**key_ty).clone()), ctx.binds)?;
        let ty = (**value_ty).clone();
        let expr = analyze_term(value, &receiver(table, format!("value({column})"), ty.clone()), ctx.binds)?;
        require_filtering(ctx, def.kind)?;
        self.out.row_filters.push(FilterPlan {
            map_key: Some(key),
            width: 0,
            column: id,
            op,
            ty,
            values: ColumnValues::Eq(expr),
        });
        Ok(())
    }
}

/// The right side of `col IN`: a list of the column's values, or one marker bound to a list.
fn analyze_in(values: &InValues, table: &TableDef, id: ColumnId, binds: &mut BindSpecs) -> Result<InList, CqlError> {
    let r = column_receiver(table, id);
    match values {
        InValues::List(terms) => {
            Ok(InList::Values(terms.iter().map(|t| analyze_term(t, &r, binds)).collect::<Result<_, _>>()?))
        }
        InValues::Marker(m) => {
            let list = receiver(table, format!("in({})", r.name), CqlType::List(Box::new(r.ty.clone())));
            analyze_term(&Term::Bind(m.clone()), &list, binds)?;
            Ok(InList::Marker(m.index))
        }
    }
}

/// The type CONTAINS (elements or map values) / CONTAINS KEY (map keys) compares with.
fn contains_type(def: &ColumnDef, op: Operator) -> Result<CqlType, CqlError> {
    match (def.ty.unfrozen(), op) {
        (CqlType::List(e) | CqlType::Set(e), Operator::Contains) => Ok((**e).clone()),
        (CqlType::Map(_, v), Operator::Contains) => Ok((**v).clone()),
        (CqlType::Map(k, _), Operator::ContainsKey) => Ok((**k).clone()),
        (_, Operator::ContainsKey) => {
            Err(CqlError::invalid(format!("Cannot use CONTAINS KEY on non-map column {}", def.name)))
        }
        _ => Err(CqlError::invalid(format!("Cannot use CONTAINS on non-collection column {}", def.name))),
    }
}
