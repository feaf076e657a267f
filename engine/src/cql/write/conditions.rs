//! Lightweight-transaction conditions, bound and evaluated on the owner shard against the
//! partition as it is (under its partition lock): `IF NOT EXISTS`, `IF EXISTS`, and column
//! conditions (whole columns, elements, user type fields); and the current values returned
//! with `[applied] = false`.

use std::sync::Arc;

use bytes::Bytes;
use percore_protocol::cql::ast::Operator;
use percore_protocol::types::CqlType;

use crate::cql::bind::{BoundValues, Evaluated};
use crate::cql::error::CqlError;
use crate::cql::keys::clustering_key;
use crate::cql::read::filter::compares;
use crate::cql::read::output::{collection_value, encode_row, Output};
use crate::cql::read::partition::partition_context;
use crate::cql::statement::conditions::{ColumnCondition, ConditionPlan, ConditionValues};
use crate::cql::statement::modification::ModificationPlan;
use crate::model::cell::{DeletionTime, EpochSeconds};
use crate::model::clustering::order_key;
use crate::model::element_path::element_path;
use crate::model::mutation::{ClusteringKey, ColumnId, PartitionPosition};
use crate::replica::{Partition, Row};
use crate::schema::{ColumnKind, TableDef};

/// One statement's conditions, bound: plain data sent to the owner shard.
#[derive(Debug, Clone)]
pub struct BoundCondition {
    pub table: Arc<TableDef>,
    /// The row the conditions are about; `None` for static-only conditions.
    pub clustering: Option<ClusteringKey>,
    pub kind: BoundKind,
    /// The columns shown with `[applied] = false`, in order.
    pub show: Vec<ColumnId>,
}

#[derive(Debug, Clone)]
pub enum BoundKind {
    NotExists,
    Exists,
    Columns(Vec<BoundColumnCondition>),
}

#[derive(Debug, Clone)]
pub struct BoundColumnCondition {
    pub column: ColumnId,
    /// Map key or list index (serialized int).
    pub element: Option<Bytes>,
    /// The position of the user type field compared.
    pub field: Option<u16>,
    /// The type of what is compared (the column's, or its elements').
    pub ty: CqlType,
    pub op: Operator,
    /// One value, or the alternatives of `IN` (the condition holds if any is equal).
    pub values: Vec<Option<Bytes>>,
}

/// A compared value: null compares as "no value"; unset is refused, as Cassandra does.
fn value_of(evaluated: Evaluated) -> Result<Option<Bytes>, CqlError> {
    match evaluated {
        Evaluated::Value(b) => Ok(Some(b)),
        Evaluated::Null => Ok(None),
        Evaluated::Unset => Err(CqlError::invalid("Invalid 'unset' value in condition".into())),
    }
}

fn bind_column_condition(
    table: &TableDef,
    c: &ColumnCondition,
    values: &BoundValues,
) -> Result<BoundColumnCondition, CqlError> {
    let column = table.column(c.column);
    let element = match &c.element {
        Some((key, _)) => {
            let key_ty = match column.ty.unfrozen() {
                CqlType::Map(k, _) => (**k).clone(),
                _ => CqlType::Int,
            };
            let what =
                if matches!(column.ty.unfrozen(), CqlType::Map(..)) { "map element access" } else { "list index" };
            match key.eval(values, &key_ty, &column.name)? {
                Evaluated::Value(b) => Some(b),
                Evaluated::Null => return Err(CqlError::invalid(format!("Invalid null value for {what}"))),
                Evaluated::Unset => return Err(CqlError::invalid(format!("Invalid unset value for {what}"))),
            }
        }
        None => None,
    };
    let ty = match (&c.element, &c.field) {
        (Some((_, t)), _) | (_, Some((_, t))) => t.clone(),
        _ => column.ty.clone(),
    };
    let list = match &c.values {
        ConditionValues::One(v) => vec![value_of(v.eval(values, &ty, &column.name)?)?],
        ConditionValues::List(items) => {
            items.iter().map(|v| value_of(v.eval(values, &ty, &column.name)?)).collect::<Result<_, CqlError>>()?
        }
        ConditionValues::Marker(m) => {
            let list_ty = CqlType::List(Box::new(ty.clone()));
            match m.eval(values, &list_ty, &column.name)? {
                Evaluated::Value(b) => {
                    super::cell_ops::collection_items(&b, false)?.into_iter().map(|(v, _)| Some(v)).collect()
                }
                Evaluated::Null => return Err(CqlError::invalid("Invalid null list in IN condition".into())),
                Evaluated::Unset => return Err(CqlError::invalid("Invalid 'unset' value in condition".into())),
            }
        }
    };
    let field = c.field.as_ref().map(|(i, _)| *i);
    Ok(BoundColumnCondition { column: c.column, element, field, ty, op: c.op, values: list })
}

/// Binds a statement's IF clause; `batch` adds the primary key to the shown columns, as
/// Cassandra does for batches.
pub fn bind(
    plan: &ModificationPlan,
    condition: &ConditionPlan,
    values: &BoundValues,
    batch: bool,
) -> Result<BoundCondition, CqlError> {
    let table = &plan.table;
    let prefix = plan.restrictions.clustering_values(table, values)?;
    let clustering = if table.clustering_key.is_empty() {
        Some(ClusteringKey::default())
    } else if prefix.len() == table.clustering_key.len() {
        Some(clustering_key(table, prefix))
    } else {
        None
    };
    let (kind, mut show) = match condition {
        ConditionPlan::NotExists => (BoundKind::NotExists, table.select_star_order()),
        ConditionPlan::Exists => (BoundKind::Exists, table.select_star_order()),
        ConditionPlan::Columns(conditions) => {
            let bound = conditions.iter().map(|c| bind_column_condition(table, c, values)).collect::<Result<_, _>>()?;
            (BoundKind::Columns(bound), condition.columns(table))
        }
    };
    if batch && matches!(condition, ConditionPlan::Columns(_)) {
        let mut with_key: Vec<ColumnId> = table.partition_key.iter().chain(&table.clustering_key).copied().collect();
        with_key.extend(show.into_iter().filter(|c| !table.column(*c).kind.is_primary_key()));
        show = with_key;
    }
    Ok(BoundCondition { table: table.clone(), clustering, kind, show })
}

/// The row a condition reads, with the deletion covering it.
fn target_row<'a>(p: &'a Partition, clustering: &Option<ClusteringKey>) -> (Option<&'a Row>, Option<DeletionTime>) {
    match clustering {
        None => (None, p.deletion),
        Some(ck) => match p.rows.get(&ck.sort_key) {
            Some(row) => (Some(row), row.effective_deletion(p.deletion_for(&ck.sort_key))),
            None => (None, p.deletion),
        },
    }
}

fn row_exists(p: &Partition, cond: &BoundCondition, now: EpochSeconds) -> bool {
    let (row, deletion) = target_row(p, &cond.clustering);
    match &cond.clustering {
        Some(_) => row.is_some_and(|r| r.is_live(deletion, now)),
        None => {
            p.static_row.is_live(p.deletion, now)
                || p.rows.iter().any(|(k, r)| r.is_live(r.effective_deletion(p.deletion_for(k)), now))
        }
    }
}

/// The current value a condition compares.
fn current_value(p: &Partition, cond: &BoundCondition, c: &BoundColumnCondition, now: EpochSeconds) -> Option<Vec<u8>> {
    let column = cond.table.column(c.column);
    let (row, deletion) = if column.kind == ColumnKind::Static {
        (Some(&p.static_row), p.deletion)
    } else {
        target_row(p, &cond.clustering)
    };
    let row = row?;
    if let Some(field) = c.field {
        let whole = if column.ty.is_multi_cell() {
            collection_value(&column.ty, row.live_elements(c.column, deletion, now))?
        } else {
            row.live_cell(c.column, deletion, now)?.value.as_ref()?.to_vec()
        };
        return crate::cql::udt::field(&whole, field as usize).map(<[u8]>::to_vec);
    }
    if !column.ty.is_multi_cell() {
        let value = row.live_cell(c.column, deletion, now)?.value.clone()?;
        return match (&c.element, column.ty.unfrozen()) {
            (None, _) => Some(value.to_vec()),
            (Some(key), CqlType::Map(..)) => frozen_element(&value, key, true),
            (Some(index), _) => frozen_element(&value, index, false),
        };
    }
    let mut elements = row.live_elements(c.column, deletion, now);
    match (&c.element, &column.ty) {
        (None, ty) => collection_value(ty, elements),
        (Some(key), CqlType::Map(k, _)) => {
            let path = element_path(k, key);
            elements.find(|e| e.path.as_ref() == Some(&path)).and_then(|e| e.value.as_ref().map(|v| v.to_vec()))
        }
        (Some(index), _) => {
            let i = usize::try_from(i32::from_be_bytes(index[..].try_into().ok()?)).ok()?;
            elements.nth(i).and_then(|e| e.value.as_ref().map(|v| v.to_vec()))
        }
    }
}

/// An element of a frozen map (by serialized key) or list (by serialized int index).
fn frozen_element(value: &Bytes, key: &Bytes, map: bool) -> Option<Vec<u8>> {
    let items = super::cell_ops::collection_items(value, map).ok()?;
    if map {
        return items.into_iter().find(|(k, _)| k == key).and_then(|(_, v)| v.map(|v| v.to_vec()));
    }
    let i = usize::try_from(i32::from_be_bytes(key[..].try_into().ok()?)).ok()?;
    items.into_iter().nth(i).map(|(v, _)| v.to_vec())
}

fn holds(current: Option<&[u8]>, c: &BoundColumnCondition) -> bool {
    match c.op {
        Operator::Eq => c.values.iter().any(|v| v.as_deref() == current),
        Operator::Neq => c.values.iter().all(|v| v.as_deref() != current),
        op => {
            let (Some(current), Some(Some(value))) = (current, c.values.first()) else { return false };
            compares(op, order_key(&c.ty, current).cmp(&order_key(&c.ty, value)))
        }
    }
}

/// Whether the conditions hold on `p`.
pub fn evaluate(p: &Partition, cond: &BoundCondition, now: EpochSeconds) -> bool {
    match &cond.kind {
        BoundKind::NotExists => !row_exists(p, cond, now),
        BoundKind::Exists => row_exists(p, cond, now),
        BoundKind::Columns(conditions) => {
            conditions.iter().all(|c| holds(current_value(p, cond, c, now).as_deref(), c))
        }
    }
}

/// The shown columns of the condition's row as result cells, if the row exists.
pub fn shown_row(
    p: &Partition,
    position: &PartitionPosition,
    cond: &BoundCondition,
    now: EpochSeconds,
) -> Option<Vec<u8>> {
    let table = &cond.table;
    let ctx = partition_context(table, position, p, now);
    let outputs: Vec<Output> = cond.show.iter().map(|&c| Output::Column(c)).collect();
    let mut out = Vec::new();
    let (row, deletion) = target_row(p, &cond.clustering);
    match row.filter(|r| r.is_live(deletion, now)) {
        Some(row) => encode_row(&ctx, Some((row, deletion)), &outputs, &mut out),
        None if p.static_row.is_live(p.deletion, now)
            && cond.show.iter().all(|c| table.column(*c).kind != ColumnKind::Regular) =>
        {
            encode_row(&ctx, None, &outputs, &mut out)
        }
        None => return None,
    }
    Some(out)
}
