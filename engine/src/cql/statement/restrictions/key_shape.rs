//! The second pass of WHERE analysis: the collected restrictions checked against the
//! primary key. The partition key is restricted whole (reads may leave it open, or filter
//! part of it with ALLOW FILTERING); the clustering key by a prefix of equalities and at
//! most one slice on the next column. What the key cannot answer (an open partition key,
//! a clustering IN and what follows it, columns after a gap with ALLOW FILTERING) becomes
//! row filters; the rest is refused with Cassandra's message, in Cassandra's order.

use percore_protocol::cql::ast::Operator;
use percore_protocol::types::CqlType;

use crate::cql::error::CqlError;
use crate::schema::{ColumnKind, TableDef};

use super::collect::Collected;
use super::{filtering_message, require_filtering, ColumnValues, FilterPlan, RestrictionContext, Restrictions, Slice};

pub(super) fn check(mut collected: Collected, ctx: &RestrictionContext<'_>) -> Result<Restrictions, CqlError> {
    partition_key(&mut collected, ctx)?;
    clustering_row_filters(&mut collected, ctx)?;
    clustering_key(collected, ctx)
}

/// The whole partition key restricted (never also by token), or in reads none of it, or
/// part of it filtered row by row with ALLOW FILTERING.
fn partition_key(c: &mut Collected, ctx: &RestrictionContext<'_>) -> Result<(), CqlError> {
    let table = ctx.table;
    let restricted = c.partition.iter().filter(|p| p.is_some()).count();
    if restricted == c.partition.len() {
        c.out.partition = Some(std::mem::take(&mut c.partition).into_iter().flatten().collect());
        if c.out.token.lower.is_some() || c.out.token.upper.is_some() {
            let names: Vec<&str> = table.partition_key.iter().map(|&i| table.column(i).name.as_str()).collect();
            return Err(CqlError::invalid(format!(
                "Columns \"{}\" cannot be restricted by both a normal relation and a token relation",
                names.join(", ")
            )));
        }
        return Ok(());
    }
    if restricted == 0 && ctx.for_read {
        return Ok(());
    }
    if !ctx.for_read {
        let missing: Vec<&str> = table
            .partition_key
            .iter()
            .zip(&c.partition)
            .filter(|(_, p)| p.is_none())
            .map(|(&i, _)| table.column(i).name.as_str())
            .collect();
        return Err(CqlError::invalid(format!("Some partition key parts are missing: {}", missing.join(", "))));
    }
    if !ctx.allow_filtering {
        return Err(CqlError::invalid(filtering_message()));
    }
    for (&id, values) in table.partition_key.iter().zip(c.partition.drain(..)) {
        if let Some(values) = values {
            let ty = table.column(id).ty.clone();
            c.out.row_filters.push(FilterPlan::on_column(id, Operator::Eq, ty, values));
        }
    }
    Ok(())
}

/// With the partition key open (from the first clustering column) or from the first
/// clustering IN on, clustering restrictions are row filters; with the partition key open
/// they need ALLOW FILTERING.
fn clustering_row_filters(c: &mut Collected, ctx: &RestrictionContext<'_>) -> Result<(), CqlError> {
    let table = ctx.table;
    let first_in = c.clustering_in.iter().min().copied();
    let from = match (&c.out.partition, first_in) {
        (None, _) => 0,
        (Some(_), Some(first_in)) => first_in,
        (Some(_), None) => return Ok(()),
    };
    if c.out.partition.is_none() && (from..table.clustering_key.len()).any(|p| c.restricts_clustering(p)) {
        require_filtering(ctx, ColumnKind::Clustering)?;
    }
    for (position, &id) in table.clustering_key.iter().enumerate().skip(from) {
        if let Some(values) = c.clustering_eq[position].take() {
            let ty = table.column(id).ty.clone();
            c.out.row_filters.push(FilterPlan::on_column(id, Operator::Eq, ty, values));
        }
        if let Some(i) = c.slices.iter().position(|(p, _)| *p == position) {
            let (_, slice) = c.slices.remove(i);
            slice_filters(table, position, slice, &mut c.out.row_filters);
        }
    }
    Ok(())
}

/// A slice starting at clustering column `position` as row filters, `>`/`>=` for its lower
/// bound and `<`/`<=` for its upper; a multi-column bound compares tuples of its columns.
fn slice_filters(table: &TableDef, position: usize, slice: Slice, filters: &mut Vec<FilterPlan>) {
    let column = table.clustering_key[position];
    for (bound, strict, loose) in
        [(slice.lower, Operator::Gt, Operator::Gte), (slice.upper, Operator::Lt, Operator::Lte)]
    {
        let Some(bound) = bound else { continue };
        let op = if bound.inclusive { loose } else { strict };
        let (width, ty) = if bound.width > 1 {
            let types = table.clustering_key[position..position + bound.width]
                .iter()
                .map(|&c| table.column(c).ty.clone())
                .collect();
            (bound.width, CqlType::Tuple(types))
        } else {
            (0, table.column(column).ty.clone())
        };
        filters.push(FilterPlan { map_key: None, width, column, op, ty, values: ColumnValues::Eq(bound.value) });
    }
}

/// A prefix of clustering equalities, then at most one slice on the next column.
fn clustering_key(mut c: Collected, ctx: &RestrictionContext<'_>) -> Result<Restrictions, CqlError> {
    let prefix_len = c.clustering_eq.iter().take_while(|eq| eq.is_some()).count();
    if let Some(gap) = c.clustering_eq.iter().skip(prefix_len).position(Option::is_some) {
        return clustering_after_gap(c, ctx, prefix_len, prefix_len + gap);
    }
    c.out.clustering_prefix = c.clustering_eq.into_iter().flatten().collect();
    c.out.clustering_slice = clustering_slice(ctx.table, c.slices, prefix_len)?;
    Ok(c.out)
}

/// A clustering column restricted (`restricted` is the first) after the prefix of
/// equalities ends: in reads with ALLOW FILTERING the equalities after the prefix are row
/// filters; otherwise Cassandra's refusal.
fn clustering_after_gap(
    mut c: Collected,
    ctx: &RestrictionContext<'_>,
    prefix_len: usize,
    restricted: usize,
) -> Result<Restrictions, CqlError> {
    let table = ctx.table;
    if !(ctx.allow_filtering && ctx.for_read) {
        return Err(preceding_column_error(table, restricted, prefix_len, c.is_sliced(prefix_len)));
    }
    for (position, eq) in c.clustering_eq.iter_mut().enumerate().skip(prefix_len) {
        if let Some(values) = eq.take() {
            let id = table.clustering_key[position];
            let ty = table.column(id).ty.clone();
            c.out.row_filters.push(FilterPlan::on_column(id, Operator::Eq, ty, values));
        }
    }
    c.out.clustering_prefix = c.clustering_eq.into_iter().take(prefix_len).flatten().collect();
    Ok(c.out)
}

/// The one slice the clustering key answers, on the column after the prefix; any other
/// slice is refused.
fn clustering_slice(
    table: &TableDef,
    mut slices: Vec<(usize, Slice)>,
    prefix_len: usize,
) -> Result<Option<Slice>, CqlError> {
    match slices.as_slice() {
        [] => return Ok(None),
        [(position, _)] if *position == prefix_len => return Ok(slices.pop().map(|(_, slice)| slice)),
        _ => {}
    }
    if let Some((position, _)) = slices.iter().find(|(p, _)| *p < prefix_len) {
        return Err(CqlError::invalid(format!(
            "Column \"{}\" cannot be restricted by both an equality and an inequality relation",
            table.column(table.clustering_key[*position]).name
        )));
    }
    let sliced = slices.iter().any(|(p, _)| *p == prefix_len);
    let later = slices.iter().map(|(p, _)| *p).filter(|p| *p > prefix_len).min().unwrap_or(prefix_len);
    Err(preceding_column_error(table, later, prefix_len, sliced))
}

/// Cassandra's refusal of a restricted clustering column after a gap: the preceding column
/// is either restricted by a slice or not restricted at all.
fn preceding_column_error(table: &TableDef, pos: usize, preceding: usize, preceding_sliced: bool) -> CqlError {
    let column = &table.column(table.clustering_key[pos]).name;
    let preceding = &table.column(table.clustering_key[preceding]).name;
    CqlError::invalid(if preceding_sliced {
        format!("Clustering column \"{column}\" cannot be restricted (preceding column \"{preceding}\" is restricted by a non-EQ relation)")
    } else {
        format!("PRIMARY KEY column \"{column}\" cannot be restricted as preceding column \"{preceding}\" is not restricted")
    })
}
