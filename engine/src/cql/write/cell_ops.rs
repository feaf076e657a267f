//! The cells one column operation writes: plain values, non-frozen collections and user
//! types as element and field cells (an overwrite deletes the old ones just below the new
//! ones' timestamp), field writes and deletions, appends and prepends with fresh list
//! positions, set/map additions and removals, and the operations that need the column's
//! current value, handed to the owner shard as [`PendingOp`]s.

use bytes::Bytes;
use percore_protocol::types::CqlType;

use crate::cql::bind::{BoundValues, Evaluated};
use crate::cql::error::CqlError;
use crate::cql::statement::operation::{Deletion, Operation};
use crate::model::cell::{Cell, EpochSeconds, WriteTimestamp};
use crate::model::element_path::{append_paths, element_path, field_path, prepend_paths};
use crate::model::mutation::ColumnId;
use crate::schema::ColumnDef;

/// The write's timestamp, TTL and clock, shared by all its cells.
#[derive(Debug, Clone, Copy)]
pub struct CellStamp {
    pub timestamp: WriteTimestamp,
    pub ttl: u32,
    pub now: EpochSeconds,
}

impl CellStamp {
    pub fn live(&self, value: Bytes) -> Cell {
        Cell::live(self.timestamp, value, self.ttl, self.now)
    }

    pub fn tombstone(&self) -> Cell {
        Cell::tombstone(self.timestamp, self.now)
    }
}

/// An operation that needs the column's current value; resolved on the owner shard.
#[derive(Debug, Clone, PartialEq)]
pub enum PendingOp {
    /// `c = c + n` / `c = c - n` on a counter.
    CounterAdd { column: ColumnId, delta: i64 },
    /// `l[i] = v` (`None`: `DELETE l[i]`).
    ListSetIndex { column: ColumnId, index: i32, value: Option<Bytes> },
    /// `l = l - [values]`: every element equal to one of them.
    ListRemove { column: ColumnId, values: Vec<Bytes> },
}

/// Splits a serialized list or set into its elements, or a map into key/value pairs.
pub fn collection_items(bytes: &Bytes, pairs: bool) -> Result<Vec<(Bytes, Option<Bytes>)>, CqlError> {
    let bad = || CqlError::invalid("Invalid collection value: truncated or malformed".into());
    let read_len = |at: &mut usize| -> Result<usize, CqlError> {
        let b = bytes.get(*at..*at + 4).ok_or_else(bad)?;
        *at += 4;
        usize::try_from(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .map_err(|_| CqlError::invalid("null is not supported inside collections".into()))
    };
    let read_item = |at: &mut usize| -> Result<Bytes, CqlError> {
        let len = read_len(at)?;
        let end = at.checked_add(len).filter(|&e| e <= bytes.len()).ok_or_else(bad)?;
        let item = bytes.slice(*at..end);
        *at = end;
        Ok(item)
    };
    let mut at = 0;
    let n = read_len(&mut at)?;
    let mut items = Vec::with_capacity(n.min(bytes.len() / 4));
    for _ in 0..n {
        let first = read_item(&mut at)?;
        let second = if pairs { Some(read_item(&mut at)?) } else { None };
        items.push((first, second));
    }
    Ok(items)
}

/// The components of a serialized tuple (`None`: a null component).
pub fn tuple_components(bytes: &Bytes) -> Result<Vec<Option<Bytes>>, CqlError> {
    let bad = || CqlError::invalid("Invalid tuple value: truncated or malformed".into());
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = i32::from_be_bytes(bytes.get(at..at + 4).ok_or_else(bad)?.try_into().map_err(|_| bad())?);
        at += 4;
        match usize::try_from(len) {
            Ok(len) => {
                let end = at.checked_add(len).filter(|&e| e <= bytes.len()).ok_or_else(bad)?;
                out.push(Some(bytes.slice(at..end)));
                at = end;
            }
            Err(_) => out.push(None),
        }
    }
    Ok(out)
}

/// The element cells of a collection value (no collection tombstone).
fn element_cells(column: &ColumnDef, value: &Bytes, stamp: &CellStamp, prepend: bool) -> Result<Vec<Cell>, CqlError> {
    Ok(match &column.ty {
        CqlType::List(_) => {
            let items = collection_items(value, false)?;
            let paths = if prepend { prepend_paths(items.len()) } else { append_paths(items.len()) };
            items.into_iter().zip(paths).map(|((v, _), p)| stamp.live(v).at_path(p)).collect()
        }
        CqlType::Set(e) => collection_items(value, false)?
            .into_iter()
            .map(|(v, _)| stamp.live(Bytes::new()).at_path(element_path(e, &v)))
            .collect(),
        CqlType::Map(k, _) => collection_items(value, true)?
            .into_iter()
            .map(|(key, v)| stamp.live(v.unwrap_or_default()).at_path(element_path(k, &key)))
            .collect(),
        CqlType::Udt(_) => crate::cql::udt::fields(value)?
            .into_iter()
            .enumerate()
            .filter_map(|(i, v)| Some(stamp.live(v?).at_path(field_path(u16::try_from(i).ok()?))))
            .collect(),
        other => return Err(CqlError::server(format!("element cells of a {} column", other.cql_name()))),
    })
}

fn eval(
    expr: &crate::cql::bind::ValueExpr,
    values: &BoundValues,
    ty: &CqlType,
    name: &str,
) -> Result<Evaluated, CqlError> {
    expr.eval(values, ty, name)
}

fn counter_delta(evaluated: Evaluated, name: &str, negate: bool) -> Result<Option<i64>, CqlError> {
    match evaluated {
        Evaluated::Unset => Ok(None),
        Evaluated::Null => Err(CqlError::invalid("Invalid null value for counter increment/decrement".into())),
        Evaluated::Value(b) => {
            let v = i64::from_be_bytes(
                b[..].try_into().map_err(|_| CqlError::invalid(format!("Invalid counter increment for {name}")))?,
            );
            Ok(Some(if negate { v.wrapping_neg() } else { v }))
        }
    }
}

/// Adds the cells (and pending operations) of `op` on `column`.
pub fn operation_cells(
    id: ColumnId,
    column: &ColumnDef,
    op: &Operation,
    values: &BoundValues,
    stamp: &CellStamp,
    cells: &mut Vec<Cell>,
    pending: &mut Vec<PendingOp>,
) -> Result<(), CqlError> {
    let ty = &column.ty;
    let name = &column.name;
    match op {
        Operation::Set(expr) => match eval(expr, values, ty, name)? {
            Evaluated::Unset => {}
            Evaluated::Null => cells.push(stamp.tombstone()),
            Evaluated::Value(v) if ty.is_multi_cell() => {
                cells.push(Cell::tombstone(stamp.timestamp - 1, stamp.now));
                cells.extend(element_cells(column, &v, stamp, false)?);
            }
            Evaluated::Value(v) => cells.push(stamp.live(v)),
        },
        Operation::Add(expr) | Operation::Subtract(expr) if ty.is_counter() => {
            let negate = matches!(op, Operation::Subtract(_));
            if let Some(delta) = counter_delta(eval(expr, values, &CqlType::Counter, name)?, name, negate)? {
                pending.push(PendingOp::CounterAdd { column: id, delta });
            }
        }
        Operation::Add(expr) | Operation::Prepend(expr) => {
            if let Evaluated::Value(v) = eval(expr, values, ty, name)? {
                cells.extend(element_cells(column, &v, stamp, matches!(op, Operation::Prepend(_)))?);
            }
        }
        Operation::Subtract(expr) => {
            let operand_ty = match ty {
                CqlType::Map(k, _) => CqlType::Set(k.clone()),
                other => other.clone(),
            };
            let Evaluated::Value(v) = eval(expr, values, &operand_ty, name)? else { return Ok(()) };
            let items = collection_items(&v, false)?;
            match ty {
                CqlType::List(_) => pending
                    .push(PendingOp::ListRemove { column: id, values: items.into_iter().map(|(v, _)| v).collect() }),
                CqlType::Set(e) | CqlType::Map(e, _) => {
                    cells.extend(items.into_iter().map(|(v, _)| stamp.tombstone().at_path(element_path(e, &v))))
                }
                _ => return Err(CqlError::server(format!("subtraction on {}", ty.cql_name()))),
            }
        }
        Operation::SetField { field, value } => {
            let CqlType::Udt(udt) = ty else {
                return Err(CqlError::server(format!("field write on {}", ty.cql_name())));
            };
            let (field_name, field_ty) = udt
                .fields
                .get(*field as usize)
                .ok_or_else(|| CqlError::server(format!("no field {field} in {}", udt.name)))?;
            let path = field_path(*field);
            match eval(value, values, field_ty, &format!("{name}.{field_name}"))? {
                Evaluated::Unset => {}
                Evaluated::Null => cells.push(stamp.tombstone().at_path(path)),
                Evaluated::Value(v) => cells.push(stamp.live(v).at_path(path)),
            }
        }
        Operation::SetElement { key, value } => {
            let (key_ty, value_ty) = match ty {
                CqlType::List(e) => (CqlType::Int, (**e).clone()),
                CqlType::Map(k, v) => ((**k).clone(), (**v).clone()),
                _ => return Err(CqlError::server(format!("element write on {}", ty.cql_name()))),
            };
            let list = matches!(ty, CqlType::List(_));
            let key = match eval(key, values, &key_ty, name)? {
                Evaluated::Value(k) => k,
                Evaluated::Null if list => return Err(CqlError::invalid("Invalid null value for list index".into())),
                Evaluated::Unset if list => return Err(CqlError::invalid("Invalid unset value for list index".into())),
                Evaluated::Null => return Err(CqlError::invalid("Invalid null map key".into())),
                Evaluated::Unset => return Err(CqlError::invalid("Invalid unset map key".into())),
            };
            let value = match eval(value, values, &value_ty, name)? {
                Evaluated::Unset => return Ok(()),
                Evaluated::Null => None,
                Evaluated::Value(v) => Some(v),
            };
            match ty {
                CqlType::List(_) => {
                    let index = i32::from_be_bytes(
                        key[..].try_into().map_err(|_| CqlError::invalid(format!("Invalid list index for {name}")))?,
                    );
                    pending.push(PendingOp::ListSetIndex { column: id, index, value });
                }
                _ => {
                    let path = element_path(&key_ty, &key);
                    cells.push(match value {
                        Some(v) => stamp.live(v).at_path(path),
                        None => stamp.tombstone().at_path(path),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Adds the cells (and pending operations) of one DELETE selector on `column`.
pub fn deletion_cells(
    id: ColumnId,
    column: &ColumnDef,
    deletion: &Deletion,
    values: &BoundValues,
    stamp: &CellStamp,
    cells: &mut Vec<Cell>,
    pending: &mut Vec<PendingOp>,
) -> Result<(), CqlError> {
    let key = match deletion {
        Deletion::Column => {
            cells.push(stamp.tombstone());
            return Ok(());
        }
        Deletion::Field(field) => {
            cells.push(stamp.tombstone().at_path(field_path(*field)));
            return Ok(());
        }
        Deletion::Element(key) => key,
    };
    let key_ty = match &column.ty {
        CqlType::List(_) => CqlType::Int,
        CqlType::Set(e) | CqlType::Map(e, _) => (**e).clone(),
        other => return Err(CqlError::server(format!("element deletion on {}", other.cql_name()))),
    };
    let key = match key.eval(values, &key_ty, &column.name)? {
        Evaluated::Value(k) => k,
        Evaluated::Unset if matches!(column.ty, CqlType::Map(..)) => {
            return Err(CqlError::invalid("Invalid unset map key".into()))
        }
        Evaluated::Unset => return Ok(()),
        Evaluated::Null if matches!(column.ty, CqlType::List(_)) => {
            return Err(CqlError::invalid("Invalid null value for list index".into()))
        }
        Evaluated::Null if matches!(column.ty, CqlType::Map(..)) => {
            return Err(CqlError::invalid("Invalid null map key".into()))
        }
        Evaluated::Null => return Err(CqlError::invalid("Invalid null set element".into())),
    };
    match &column.ty {
        CqlType::List(_) => {
            let index = i32::from_be_bytes(
                key[..].try_into().map_err(|_| CqlError::invalid(format!("Invalid list index for {}", column.name)))?,
            );
            pending.push(PendingOp::ListSetIndex { column: id, index, value: None });
        }
        _ => cells.push(stamp.tombstone().at_path(element_path(&key_ty, &key))),
    }
    Ok(())
}
