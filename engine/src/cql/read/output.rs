//! The cells a SELECT returns for each row, encoded straight into the result as `[bytes]`.

use percore_protocol::wire::write_bytes;

use percore_protocol::types::{CqlType, UdtType};

use crate::cql::udt::push_field;
use crate::model::cell::{Cell, DeletionTime, EpochSeconds};
use crate::model::element_path::{element_of, field_of};
use crate::model::mutation::ColumnId;
use crate::replica::Row;
use crate::schema::{ColumnKind, TableDef};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Column(ColumnId),
    WriteTime(ColumnId),
    Ttl(ColumnId),
    /// `token(partition key)`.
    Token,
    /// The timestamp of the row's marker (internal: which version of an index entry a
    /// read saw, so that a stale one is deleted at exactly that timestamp).
    RowMarkerTimestamp,
}

/// What is common to all rows of one partition.
pub struct PartitionContext<'a> {
    pub table: &'a TableDef,
    pub key_components: Vec<&'a [u8]>,
    pub token: i64,
    pub static_row: &'a Row,
    pub partition_deletion: Option<DeletionTime>,
    pub now: EpochSeconds,
}

/// Appends one result row. `row` is `None` for a partition that only has static cells.
pub fn encode_row(
    ctx: &PartitionContext<'_>,
    row: Option<(&Row, Option<DeletionTime>)>,
    outputs: &[Output],
    out: &mut Vec<u8>,
) {
    for output in outputs {
        let cell_of = |id: ColumnId| {
            let column = ctx.table.column(id);
            if column.kind == ColumnKind::Static {
                ctx.static_row.live_cell(id, ctx.partition_deletion, ctx.now)
            } else {
                row.and_then(|(r, deletion)| r.live_cell(id, deletion, ctx.now))
            }
        };
        match *output {
            Output::Column(id) => {
                let column = ctx.table.column(id);
                match column.kind {
                    ColumnKind::PartitionKey => {
                        write_bytes(out, ctx.key_components.get(column.position as usize).copied())
                    }
                    ColumnKind::Clustering => write_bytes(
                        out,
                        row.and_then(|(r, _)| r.clustering.get(column.position as usize)).map(|v| &v[..]),
                    ),
                    _ if column.ty.is_multi_cell() => {
                        let (source, deletion) = if column.kind == ColumnKind::Static {
                            (Some(ctx.static_row), ctx.partition_deletion)
                        } else {
                            row.map_or((None, None), |(r, d)| (Some(r), d))
                        };
                        let elements = source.map(|r| r.live_elements(id, deletion, ctx.now));
                        encode_collection(&column.ty, elements.into_iter().flatten(), out);
                    }
                    _ => write_bytes(out, cell_of(id).and_then(|c| c.value.as_deref())),
                }
            }
            Output::WriteTime(id) => {
                write_bytes(out, cell_of(id).map(|c| c.timestamp.to_be_bytes()).as_ref().map(|b| &b[..]))
            }
            Output::Ttl(id) => {
                let ttl = cell_of(id)
                    .filter(|c| c.ttl_seconds > 0)
                    .map(|c| (c.expires_at.saturating_sub(ctx.now) as i32).to_be_bytes());
                write_bytes(out, ttl.as_ref().map(|b| &b[..]))
            }
            Output::Token => write_bytes(out, Some(&ctx.token.to_be_bytes()[..])),
            Output::RowMarkerTimestamp => {
                let timestamp = row.and_then(|(r, _)| r.marker.as_ref()).map(|m| m.timestamp.to_be_bytes());
                write_bytes(out, timestamp.as_ref().map(|b| &b[..]))
            }
        }
    }
}

/// Appends a non-frozen collection or user type assembled from its live element or field
/// cells as `[bytes]` (null when it has none: Cassandra returns an empty collection, and a
/// user type whose fields are all null, as null).
fn encode_collection<'a>(ty: &CqlType, elements: impl Iterator<Item = &'a Cell>, out: &mut Vec<u8>) {
    let len_at = out.len();
    out.extend_from_slice(&[0; 4]);
    if !append_multi_cell(ty, elements, out) {
        out.truncate(len_at);
        write_bytes(out, None);
        return;
    }
    let body_len = (out.len() - len_at - 4) as i32;
    out[len_at..len_at + 4].copy_from_slice(&body_len.to_be_bytes());
}

/// A non-frozen collection's or user type's serialized value from its live element or
/// field cells (`None`: empty, or every field null).
pub fn collection_value<'a>(ty: &CqlType, elements: impl Iterator<Item = &'a Cell>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    append_multi_cell(ty, elements, &mut out).then_some(out)
}

fn append_multi_cell<'a>(ty: &CqlType, elements: impl Iterator<Item = &'a Cell>, out: &mut Vec<u8>) -> bool {
    match ty {
        CqlType::Udt(udt) => append_udt(udt, elements, out),
        _ => append_collection(ty, elements, out),
    }
}

/// Appends every field of the type in order (null where no live cell holds it); false
/// (and nothing) when all are null.
fn append_udt<'a>(udt: &UdtType, cells: impl Iterator<Item = &'a Cell>, out: &mut Vec<u8>) -> bool {
    let mut fields: Vec<Option<&[u8]>> = vec![None; udt.fields.len()];
    for cell in cells {
        let (Some(value), Some(index)) = (&cell.value, cell.path.as_deref().and_then(field_of)) else { continue };
        if let Some(slot) = fields.get_mut(index as usize) {
            *slot = Some(value);
        }
    }
    if fields.iter().all(Option::is_none) {
        return false;
    }
    fields.into_iter().for_each(|f| push_field(out, f));
    true
}

/// Appends `[int] n` and the elements; false (and nothing meaningful) when there are none.
fn append_collection<'a>(ty: &CqlType, elements: impl Iterator<Item = &'a Cell>, out: &mut Vec<u8>) -> bool {
    let len_at = out.len();
    out.extend_from_slice(&[0; 4]);
    let mut count = 0i32;
    for cell in elements {
        let (Some(value), Some(path)) = (&cell.value, &cell.path) else { continue };
        match ty {
            CqlType::List(_) => write_bytes(out, Some(value)),
            CqlType::Set(_) => write_bytes(out, element_of(path)),
            _ => {
                write_bytes(out, element_of(path));
                write_bytes(out, Some(value));
            }
        }
        count += 1;
    }
    out[len_at..len_at + 4].copy_from_slice(&count.to_be_bytes());
    count > 0
}

/// Splits a page's encoded rows (`[bytes]` cells) into values, `width` per row.
pub fn split_rows(content: &[u8], width: usize) -> Result<Vec<Vec<Option<&[u8]>>>, crate::cql::error::CqlError> {
    let bad = || crate::cql::error::CqlError::server("malformed internal page".into());
    let mut rows = Vec::new();
    let mut at = 0;
    while at < content.len() {
        let mut row = Vec::with_capacity(width);
        for _ in 0..width {
            let len = i32::from_be_bytes(content.get(at..at + 4).ok_or_else(bad)?.try_into().map_err(|_| bad())?);
            at += 4;
            if len < 0 {
                row.push(None);
                continue;
            }
            let end = at + len as usize;
            row.push(Some(content.get(at..end).ok_or_else(bad)?));
            at = end;
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Whether a partition shows a static-only row: it has live static cells and no live rows.
pub fn has_live_static(ctx: &PartitionContext<'_>) -> bool {
    ctx.static_row.is_live(ctx.partition_deletion, ctx.now)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::model::element_path::field_path;

    #[test]
    fn cells_split_exactly_or_not_at_all() {
        let mut enc = Vec::new();
        percore_protocol::wire::write_bytes(&mut enc, Some(b"ab"));
        percore_protocol::wire::write_bytes(&mut enc, None);
        assert_eq!(split_rows(&enc, 2).unwrap(), vec![vec![Some(&b"ab"[..]), None]]);
        assert_eq!(split_rows(&enc, 1).unwrap().len(), 2, "two rows of one, not one of two");
        assert!(split_rows(&enc[..5], 2).is_err());
    }

    #[test]
    fn user_types_assemble_from_field_cells_with_nulls_in_between() {
        let udt = UdtType {
            keyspace: "ks".into(),
            name: "t".into(),
            fields: vec![("a".into(), CqlType::Int), ("b".into(), CqlType::Text), ("c".into(), CqlType::Int)],
        };
        let cell = |field: u16, v: &'static [u8]| Cell::live(1, Bytes::from_static(v), 0, 0).at_path(field_path(field));
        let cells = [cell(2, b"\0\0\0\x07"), cell(0, b"\0\0\0\x01")];
        let value = collection_value(&CqlType::Udt(udt.clone()), cells.iter()).unwrap();
        let expected: Vec<u8> =
            [&[0, 0, 0, 4, 0, 0, 0, 1][..], &[255, 255, 255, 255], &[0, 0, 0, 4, 0, 0, 0, 7]].concat();
        assert_eq!(value, expected);
        let deleted = Cell::tombstone(1, 0).at_path(field_path(0));
        assert_eq!(collection_value(&CqlType::Udt(udt), [deleted].iter()), None);
    }
}
