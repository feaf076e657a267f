//! Row filters: the WHERE restrictions the storage order cannot answer — regular and static
//! columns (with ALLOW FILTERING), clustering `IN`, and key columns restricted out of
//! order — evaluated on the owner shard for each live row before it counts toward a page.

use bytes::Bytes;
use percore_protocol::cql::ast::Operator;
use percore_protocol::types::CqlType;

use crate::model::cell::DeletionTime;
use crate::model::clustering::order_key;
use crate::model::element_path::element_of;
use crate::model::mutation::ColumnId;
use crate::replica::Row;
use crate::schema::ColumnKind;

use super::output::{collection_value, PartitionContext};

/// One bound filter: `column op value`, or `column IN values` (`op` is `Eq`).
#[derive(Debug, Clone)]
pub struct RowFilter {
    pub column: ColumnId,
    pub op: Operator,
    pub values: Vec<Bytes>,
    /// For a multi-column relation: the tuple of clustering columns compared, whose first
    /// column is `column`.
    pub tuple: Option<ClusteringTuple>,
    /// For `m[key] op value`: the serialized map key whose value is compared.
    pub map_key: Option<Bytes>,
}

/// The consecutive clustering columns a multi-column relation compares, as one tuple.
#[derive(Debug, Clone)]
pub struct ClusteringTuple {
    pub width: usize,
    pub ty: CqlType,
}

/// A row's clustering values at `position..position + width`, serialized as a tuple.
fn clustering_tuple(row: Option<(&Row, Option<DeletionTime>)>, position: usize, width: usize) -> Option<Vec<u8>> {
    let components = row?.0.clustering.get(position..position + width)?;
    let mut out = Vec::with_capacity(components.iter().map(|c| c.len() + 4).sum());
    for c in components {
        out.extend_from_slice(&(c.len() as i32).to_be_bytes());
        out.extend_from_slice(c);
    }
    Some(out)
}

/// A column's current value in a row (a non-frozen collection assembled).
fn column_value(
    ctx: &PartitionContext<'_>,
    row: Option<(&Row, Option<DeletionTime>)>,
    id: ColumnId,
) -> Option<Vec<u8>> {
    let column = ctx.table.column(id);
    let (source, deletion) = match column.kind {
        ColumnKind::PartitionKey => return ctx.key_components.get(column.position as usize).map(|v| v.to_vec()),
        ColumnKind::Clustering => {
            return row.and_then(|(r, _)| r.clustering.get(column.position as usize)).map(|v| v.to_vec())
        }
        ColumnKind::Static => (Some(ctx.static_row), ctx.partition_deletion),
        ColumnKind::Regular => row.map_or((None, None), |(r, d)| (Some(r), d)),
    };
    let source = source?;
    if column.ty.is_multi_cell() {
        return collection_value(&column.ty, source.live_elements(id, deletion, ctx.now));
    }
    source.live_cell(id, deletion, ctx.now).and_then(|c| c.value.as_ref()).map(|v| v.to_vec())
}

/// The value a map holds for `key` in a row (frozen or not).
fn map_value(
    ctx: &PartitionContext<'_>,
    row: Option<(&Row, Option<DeletionTime>)>,
    id: ColumnId,
    key: &[u8],
) -> Option<Vec<u8>> {
    let map = Bytes::from(column_value(ctx, row, id)?);
    let items = crate::cql::write::cell_ops::collection_items(&map, true).ok()?;
    items.into_iter().find(|(k, _)| k[..] == *key).and_then(|(_, v)| v.map(|v| v.to_vec()))
}

/// Elements (or map keys with `keys`) of a serialized collection, or of the live element
/// cells of a non-frozen one.
fn collection_members(
    ty: &CqlType,
    ctx: &PartitionContext<'_>,
    row: Option<(&Row, Option<DeletionTime>)>,
    id: ColumnId,
    keys: bool,
) -> Vec<Vec<u8>> {
    let column = ctx.table.column(id);
    if column.ty.is_multi_cell() {
        let (source, deletion) = match column.kind {
            ColumnKind::Static => (Some(ctx.static_row), ctx.partition_deletion),
            _ => row.map_or((None, None), |(r, d)| (Some(r), d)),
        };
        let Some(source) = source else { return Vec::new() };
        return source
            .live_elements(id, deletion, ctx.now)
            .filter_map(|c| match ty {
                CqlType::List(_) => c.value.as_ref().map(|v| v.to_vec()),
                CqlType::Map(..) if !keys => c.value.as_ref().map(|v| v.to_vec()),
                _ => c.path.as_deref().and_then(element_of).map(|e| e.to_vec()),
            })
            .collect();
    }
    let Some(value) = column_value(ctx, row, id) else { return Vec::new() };
    let is_map = matches!(ty.unfrozen(), CqlType::Map(..));
    let Ok(items) = crate::cql::write::cell_ops::collection_items(&Bytes::from(value), is_map) else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|(k, v)| if is_map && !keys { v.map(|v| v.to_vec()) } else { Some(k.to_vec()) })
        .collect()
}

/// Whether `current op value` holds for a range operator, given how they compare.
pub fn compares(op: Operator, ordering: std::cmp::Ordering) -> bool {
    match op {
        Operator::Lt => ordering.is_lt(),
        Operator::Lte => ordering.is_le(),
        Operator::Gt => ordering.is_gt(),
        Operator::Gte => ordering.is_ge(),
        _ => false,
    }
}

/// Whether the row passes every filter.
pub fn matches(ctx: &PartitionContext<'_>, row: Option<(&Row, Option<DeletionTime>)>, filters: &[RowFilter]) -> bool {
    filters.iter().all(|f| {
        let ty = &ctx.table.column(f.column).ty;
        match f.op {
            Operator::Contains | Operator::ContainsKey => {
                let members = collection_members(ty, ctx, row, f.column, f.op == Operator::ContainsKey);
                f.values.iter().all(|v| members.iter().any(|m| m[..] == v[..]))
            }
            op => {
                let value_ty;
                let (current, ty) = match (&f.tuple, &f.map_key) {
                    (Some(t), _) => {
                        let position = ctx.table.column(f.column).position as usize;
                        (clustering_tuple(row, position, t.width), &t.ty)
                    }
                    (None, Some(key)) => {
                        let CqlType::Map(_, v) = ty.unfrozen() else { return false };
                        value_ty = (**v).clone();
                        (map_value(ctx, row, f.column, key), &value_ty)
                    }
                    (None, None) => (column_value(ctx, row, f.column), ty),
                };
                let Some(current) = current else { return false };
                match op {
                    Operator::Eq => f.values.iter().any(|v| v[..] == current[..]),
                    Operator::Neq => f.values.iter().all(|v| v[..] != current[..]),
                    _ => {
                        let Some(value) = f.values.first() else { return false };
                        compares(op, order_key(ty.unfrozen(), &current).cmp(&order_key(ty.unfrozen(), value)))
                    }
                }
            }
        }
    })
}

/// Binds the analysed filters of a statement to this execution's values.
pub fn bind_filters(
    table: &crate::schema::TableDef,
    plans: &[crate::cql::statement::restrictions::FilterPlan],
    values: &crate::cql::bind::BoundValues,
) -> Result<std::sync::Arc<[RowFilter]>, crate::cql::error::CqlError> {
    plans
        .iter()
        .map(|f| {
            if f.width > 0 {
                return bind_tuple_filter(table, f, values);
            }
            let column = table.column(f.column);
            let name = &column.name;
            let map_key = match &f.map_key {
                Some(k) => Some(k.eval_required(values, &map_key_type(&column.ty), &format!("key({name})"))?),
                None => None,
            };
            let values = match &f.values {
                // A regular or static column compared with one value: null is refused in
                // Cassandra's words for filters (key columns get the key's words below).
                crate::cql::statement::restrictions::ColumnValues::Eq(e) if !column.kind.is_primary_key() => {
                    match e.eval(values, &f.ty, name)? {
                        crate::cql::bind::Evaluated::Value(b) => vec![b],
                        crate::cql::bind::Evaluated::Null => {
                            return Err(crate::cql::error::CqlError::invalid(format!(
                                "Unsupported null value for column {name}"
                            )))
                        }
                        crate::cql::bind::Evaluated::Unset => {
                            return Err(crate::cql::error::CqlError::invalid(format!(
                                "Invalid unset value for column {name}"
                            )))
                        }
                    }
                }
                other => crate::cql::statement::restrictions::column_values(other, values, &f.ty, name)?,
            };
            Ok(RowFilter { column: f.column, op: f.op, values, tuple: None, map_key })
        })
        .collect()
}

fn map_key_type(ty: &CqlType) -> CqlType {
    match ty.unfrozen() {
        CqlType::Map(k, _) => (**k).clone(),
        other => other.clone(),
    }
}

/// Binds a multi-column relation: every tuple must have a value for each column.
fn bind_tuple_filter(
    table: &crate::schema::TableDef,
    f: &crate::cql::statement::restrictions::FilterPlan,
    values: &crate::cql::bind::BoundValues,
) -> Result<RowFilter, crate::cql::error::CqlError> {
    let position = table.column(f.column).position as usize;
    let names: Vec<&str> =
        table.clustering_key[position..position + f.width].iter().map(|&c| table.column(c).name.as_str()).collect();
    let label = format!("({})", names.join(","));
    let tuples = crate::cql::statement::restrictions::column_values(&f.values, values, &f.ty, &label)?;
    for tuple in &tuples {
        let complete = crate::cql::write::cell_ops::tuple_components(tuple)
            .is_ok_and(|components| components.len() == f.width && components.iter().all(Option::is_some));
        if !complete {
            return Err(crate::cql::error::CqlError::invalid(format!(
                "Invalid null value in condition for columns: [{}]",
                names.join(", ")
            )));
        }
    }
    Ok(RowFilter {
        column: f.column,
        op: f.op,
        values: tuples,
        tuple: Some(ClusteringTuple { width: f.width, ty: f.ty.clone() }),
        map_key: None,
    })
}
