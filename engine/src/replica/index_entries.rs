//! Secondary index maintenance on write: from the base mutations a coordinator sends, the
//! index entries to write (as mutations of their own, replicated by their own tokens) — for every live cell of an indexed column, a row marker in
//! the index's backing table at partition `value`, clustering `(token, base partition key…,
//! base clustering key…)`, with the cell's timestamp and TTL. Entries are only ever added
//! here: deletions, overwrites and expiries leave stale entries that the index read drops
//! when it validates each base row, and then deletes (`cql::read::index_read`).

use bytes::Bytes;

use crate::model::cell::{Cell, Liveness, NEVER_EXPIRES};
use crate::model::element_path::element_of;
use crate::model::mutation::{Mutation, RowUpdate};
use crate::model::token::split_partition_key;
use crate::schema::keys::{clustering_key, partition_position};
use crate::schema::{ColumnKind, IndexKind, Schema, TableDef};
use percore_protocol::types::CqlType;

/// The largest indexed value: a partition key component is at most 64 KiB.
const INDEXED_VALUE_BYTES_MAX: usize = u16::MAX as usize;

/// The index entries `mutations` call for (none for tables without indexes).
pub fn derive(schema: &Schema, mutations: &[Mutation]) -> Vec<Mutation> {
    let mut out: Vec<Mutation> = Vec::new();
    for m in mutations {
        let indexes = schema.indexes_on(&m.table_id);
        if indexes.is_empty() {
            continue;
        }
        let Some(base) = schema.table_by_id(&m.table_id) else { continue };
        let Some(pk) = split_partition_key(&m.position.key, base.partition_key.len()) else { continue };
        for row in &m.rows {
            for (index, backing) in indexes {
                let column = base.column(index.column);
                if column.kind.is_primary_key() {
                    let value = match column.kind {
                        ColumnKind::PartitionKey => pk.get(column.position as usize).map(|v| Bytes::copy_from_slice(v)),
                        _ => row.clustering.values.get(column.position as usize).cloned(),
                    };
                    let entry = value
                        .zip(key_entry_liveness(row))
                        .map(|(value, cell)| Cell { value: Some(value), ..cell })
                        .and_then(|cell| entry_for(backing, m.position.token, &pk, &row.clustering.values, &cell));
                    if let Some(entry) = entry {
                        push_merged(&mut out, entry);
                    }
                    continue;
                }
                let cells = row.cells.iter().filter(|(c, _)| *c == index.column).map(|(_, cell)| cell);
                for cell in cells {
                    let cell = match index.kind {
                        IndexKind::Values | IndexKind::Keys | IndexKind::Entries => {
                            match element_entry_value(index.kind, &column.ty, cell) {
                                Some(value) => Cell { value: Some(value), path: None, ..cell.clone() },
                                None => continue,
                            }
                        }
                        IndexKind::Simple | IndexKind::Full => cell.clone(),
                    };
                    if let Some(entry) = entry_for(backing, m.position.token, &pk, &row.clustering.values, &cell) {
                        push_merged(&mut out, entry);
                    }
                }
            }
        }
    }
    out
}

/// The value a collection index files one live element cell under: the element (list and
/// set values, map values), the map key, or the (key, value) tuple. `None` for tombstones.
pub fn element_entry_value(kind: IndexKind, ty: &CqlType, cell: &Cell) -> Option<Bytes> {
    let value = cell.value.as_ref()?;
    let key = || cell.path.as_deref().and_then(element_of).map(Bytes::copy_from_slice);
    match (kind, ty) {
        (IndexKind::Values, CqlType::Set(_)) | (IndexKind::Keys, CqlType::Map(..)) => key(),
        (IndexKind::Values, CqlType::List(_) | CqlType::Map(..)) => Some(value.clone()),
        (IndexKind::Entries, CqlType::Map(..)) => {
            let key = key()?;
            let mut tuple = Vec::with_capacity(key.len() + value.len() + 8);
            for part in [&key, value] {
                tuple.extend_from_slice(&(part.len() as i32).to_be_bytes());
                tuple.extend_from_slice(part);
            }
            Some(Bytes::from(tuple))
        }
        _ => None,
    }
}

/// How an entry for a key column (whose value every row has) lives: as the row's marker
/// when the write has one, else as its newest live cell without TTL (a row made by UPDATE
/// lives while any cell does; entries outliving it are dropped by index reads). `None` when
/// the write leaves no live data in the row. The returned cell's value is filled in later.
fn key_entry_liveness(row: &RowUpdate) -> Option<Cell> {
    if let Some(marker) = row.marker {
        return Some(Cell {
            timestamp: marker.timestamp,
            value: None,
            path: None,
            ttl_seconds: marker.ttl_seconds,
            expires_at: marker.expires_at,
        });
    }
    let newest = row.cells.iter().filter(|(_, c)| c.value.is_some()).map(|(_, c)| c.timestamp).max()?;
    Some(Cell { timestamp: newest, value: None, path: None, ttl_seconds: 0, expires_at: NEVER_EXPIRES })
}

/// The index entry of one base cell, if it holds a value that can be indexed.
pub fn entry_for(
    backing: &TableDef,
    token: i64,
    partition_key: &[&[u8]],
    clustering: &[Bytes],
    cell: &Cell,
) -> Option<Mutation> {
    let value = cell.value.as_ref().filter(|v| cell.path.is_none() && !v.is_empty())?;
    if value.len() > INDEXED_VALUE_BYTES_MAX {
        return None;
    }
    let mut key = Vec::with_capacity(1 + partition_key.len() + clustering.len());
    key.push(Bytes::copy_from_slice(&token.to_be_bytes()));
    key.extend(partition_key.iter().map(|c| Bytes::copy_from_slice(c)));
    key.extend(clustering.iter().cloned());
    let marker = Liveness { timestamp: cell.timestamp, ttl_seconds: cell.ttl_seconds, expires_at: cell.expires_at };
    let mut mutation = Mutation::new(backing.id, partition_position(std::slice::from_ref(value)));
    mutation.rows.push(RowUpdate {
        clustering: clustering_key(backing, key),
        marker: Some(marker),
        deletion: None,
        cells: Vec::new(),
    });
    Some(mutation)
}

fn push_merged(out: &mut Vec<Mutation>, entry: Mutation) {
    match out.iter_mut().find(|m| m.table_id == entry.table_id && m.position == entry.position) {
        Some(m) => m.merge(entry),
        None => out.push(entry),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use percore_protocol::cql::parse_statement;

    use super::*;
    use crate::model::cell::NEVER_EXPIRES;
    use crate::model::mutation::ClusteringKey;
    use crate::schema::change::{apply, DdlOutcome};
    use crate::schema::system_keyspaces;

    fn schema_with(ddl: &[&str]) -> Schema {
        let mut schema = Schema::new(system_keyspaces::definitions());
        for cql in ddl {
            let parsed = parse_statement(cql).unwrap();
            if let DdlOutcome::Changed { schema: next, .. } = apply(&schema, &parsed.statement, None, "dc1").unwrap() {
                schema = next;
            }
        }
        schema
    }

    fn int(v: i32) -> Bytes {
        Bytes::copy_from_slice(&v.to_be_bytes())
    }

    #[test]
    fn live_cells_of_indexed_columns_become_entries_and_the_rest_do_not() {
        let schema = schema_with(&[
            "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            "CREATE TABLE ks.t (k int, c int, v int, w int, PRIMARY KEY (k, c))",
            "CREATE INDEX i ON ks.t (v)",
        ]);
        let base: Arc<TableDef> = schema.table("ks", "t").unwrap().clone();
        let backing = schema.table("ks", "i_index").unwrap().clone();
        let v = base.column_id("v").unwrap();
        let w = base.column_id("w").unwrap();
        let position = partition_position(&[int(1)]);
        let mut m = Mutation::new(base.id, position.clone());
        let row = |c: i32, cells: Vec<(u16, Cell)>| RowUpdate {
            clustering: ClusteringKey { sort_key: Bytes::new(), values: vec![int(c)] },
            marker: None,
            deletion: None,
            cells,
        };
        m.rows.push(row(10, vec![(v, Cell::live(5, int(7), 60, 1000)), (w, Cell::live(5, int(8), 0, 1000))]));
        m.rows.push(row(11, vec![(v, Cell::tombstone(6, 1000))]));
        m.rows.push(row(12, vec![(v, Cell::live(7, int(7), 0, 1000))]));
        let entries = derive(&schema, &[m]);
        assert_eq!(entries.len(), 1, "both entries share the partition of value 7");
        let e = &entries[0];
        assert_eq!(e.table_id, backing.id);
        assert_eq!(e.position, partition_position(&[int(7)]));
        assert_eq!(e.rows.len(), 2);
        let first = &e.rows[0];
        assert_eq!(
            first.clustering.values,
            vec![Bytes::copy_from_slice(&position.token.to_be_bytes()), int(1), int(10)]
        );
        assert_eq!(first.marker, Some(Liveness { timestamp: 5, ttl_seconds: 60, expires_at: 1060 }));
        assert!(first.cells.is_empty());
        assert_eq!(e.rows[1].marker.map(|l| (l.timestamp, l.expires_at)), Some((7, NEVER_EXPIRES)));
        // Tables without indexes derive nothing.
        let other = schema_with(&[
            "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            "CREATE TABLE ks.t (k int, c int, v int, w int, PRIMARY KEY (k, c))",
        ]);
        let mut plain = Mutation::new(other.table("ks", "t").unwrap().id, position);
        plain.rows.push(row(10, vec![(v, Cell::live(5, int(7), 0, 1000))]));
        assert!(derive(&other, &[plain]).is_empty());
    }
}
