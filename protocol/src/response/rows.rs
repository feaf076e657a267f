//! RESULT Void, Set_keyspace and Rows (spec §4.2.5.1–3), and the column metadata
//! shared with Prepared.
//!
//! Rows are written in one of two ways:
//! * [`encode_result_rows`] with the cells already serialized elsewhere;
//! * zero-copy: [`begin_rows`] writes kind, metadata and a placeholder row count and
//!   returns a [`RowsCountSlot`]; the engine appends each cell straight into `out` with
//!   [`crate::wire::write_bytes`] (columns × rows of them), then [`finish_rows`] patches
//!   the count.

use bytes::Bytes;

use super::result_kind;
use crate::types::CqlType;
use crate::wire;

/// One table spec (keyspace, table) for all columns instead of one per column.
pub const ROWS_FLAG_GLOBAL_TABLES_SPEC: i32 = 0x0001;
/// A `[bytes]` paging state follows the column count.
pub const ROWS_FLAG_HAS_MORE_PAGES: i32 = 0x0002;
/// No column specs (the client asked to skip metadata).
pub const ROWS_FLAG_NO_METADATA: i32 = 0x0004;

/// A result or bind-marker column: where it comes from, its name and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    pub keyspace: String,
    pub table: String,
    pub name: String,
    pub ty: CqlType,
}

/// Metadata of a Rows result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RowsMetadata {
    /// Shared: a statement's result columns are the same for every page it returns.
    pub columns: std::sync::Arc<[ColumnSpec]>,
    /// Present when more pages follow (sets Has_more_pages).
    pub paging_state: Option<Bytes>,
    /// Write only flags, column count and paging state (the client set skip_metadata).
    pub no_metadata: bool,
}

/// Where [`begin_rows`] left the row count, for [`finish_rows`] to patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "the row count must be patched with finish_rows"]
pub struct RowsCountSlot {
    offset: usize,
}

fn write_len(out: &mut Vec<u8>, n: usize) {
    wire::write_i32(out, i32::try_from(n).unwrap_or(i32::MAX));
}

/// The (keyspace, table) shared by every column, if there are columns and they all
/// share one.
pub(crate) fn global_table_spec(columns: &[ColumnSpec]) -> Option<(&str, &str)> {
    let first = columns.first()?;
    columns
        .iter()
        .all(|c| c.keyspace == first.keyspace && c.table == first.table)
        .then_some((first.keyspace.as_str(), first.table.as_str()))
}

/// Writes the column specs (after flags and counts): the global table spec when
/// `global` is set, then each column.
pub(crate) fn write_column_specs(out: &mut Vec<u8>, columns: &[ColumnSpec], global: Option<(&str, &str)>) {
    if let Some((ks, table)) = global {
        wire::write_string(out, ks);
        wire::write_string(out, table);
    }
    for c in columns {
        if global.is_none() {
            wire::write_string(out, &c.keyspace);
            wire::write_string(out, &c.table);
        }
        wire::write_string(out, &c.name);
        c.ty.write_option(out);
    }
}

/// Writes `<metadata>` of a Rows result (also the `<result_metadata>` of Prepared).
pub fn write_rows_metadata(out: &mut Vec<u8>, meta: &RowsMetadata) {
    let global = if meta.no_metadata { None } else { global_table_spec(&meta.columns) };
    let mut flags = 0;
    if global.is_some() {
        flags |= ROWS_FLAG_GLOBAL_TABLES_SPEC;
    }
    if meta.paging_state.is_some() {
        flags |= ROWS_FLAG_HAS_MORE_PAGES;
    }
    if meta.no_metadata {
        flags |= ROWS_FLAG_NO_METADATA;
    }
    wire::write_i32(out, flags);
    write_len(out, meta.columns.len());
    if let Some(state) = &meta.paging_state {
        wire::write_bytes(out, Some(state));
    }
    if !meta.no_metadata {
        write_column_specs(out, &meta.columns, global);
    }
}

/// RESULT Void.
pub fn encode_result_void(out: &mut Vec<u8>) {
    wire::write_i32(out, result_kind::VOID);
}

/// RESULT Set_keyspace (answer to `USE`).
pub fn encode_result_set_keyspace(out: &mut Vec<u8>, keyspace: &str) {
    wire::write_i32(out, result_kind::SET_KEYSPACE);
    wire::write_string(out, keyspace);
}

/// RESULT Rows with pre-serialized cells: `rows_content` is `rows_count` × columns
/// `[bytes]` cells.
pub fn encode_result_rows(out: &mut Vec<u8>, meta: &RowsMetadata, rows_count: i32, rows_content: &[u8]) {
    wire::write_i32(out, result_kind::ROWS);
    write_rows_metadata(out, meta);
    wire::write_i32(out, rows_count);
    out.extend_from_slice(rows_content);
}

/// Starts a RESULT Rows in place; append the cells, then call [`finish_rows`].
pub fn begin_rows(out: &mut Vec<u8>, meta: &RowsMetadata) -> RowsCountSlot {
    wire::write_i32(out, result_kind::ROWS);
    write_rows_metadata(out, meta);
    let offset = out.len();
    wire::write_i32(out, 0);
    RowsCountSlot { offset }
}

/// Patches the row count written by [`begin_rows`]. Does nothing if `out` was
/// truncated below the slot (a caller bug, not worth a panic).
pub fn finish_rows(out: &mut [u8], slot: RowsCountSlot, rows_count: i32) {
    if let Some(at) = out.get_mut(slot.offset..slot.offset + 4) {
        at.copy_from_slice(&rows_count.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WireReader;

    fn col(table: &str, name: &str, ty: CqlType) -> ColumnSpec {
        ColumnSpec { keyspace: "ks".into(), table: table.into(), name: name.into(), ty }
    }

    #[test]
    fn void_and_set_keyspace() {
        let mut out = Vec::new();
        encode_result_void(&mut out);
        assert_eq!(out, [0, 0, 0, 1]);
        let mut out = Vec::new();
        encode_result_set_keyspace(&mut out, "ks");
        assert_eq!(out, [0, 0, 0, 3, 0, 2, b'k', b's']);
    }

    #[test]
    fn rows_with_global_spec() {
        let meta = RowsMetadata {
            columns: vec![col("t", "k", CqlType::Int), col("t", "v", CqlType::Text)].into(),
            paging_state: None,
            no_metadata: false,
        };
        let mut cells = Vec::new();
        wire::write_bytes(&mut cells, Some(&[0, 0, 0, 1]));
        wire::write_bytes(&mut cells, None);
        let mut out = Vec::new();
        encode_result_rows(&mut out, &meta, 1, &cells);
        let mut expected = vec![0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
        expected.extend_from_slice(&[0, 2, b'k', b's', 0, 1, b't']);
        expected.extend_from_slice(&[0, 1, b'k', 0, 9, 0, 1, b'v', 0, 0x0D]);
        expected.extend_from_slice(&[0, 0, 0, 1]);
        expected.extend_from_slice(&cells);
        assert_eq!(out, expected);
    }

    #[test]
    fn rows_with_per_column_spec_and_paging() {
        let meta = RowsMetadata {
            columns: vec![col("a", "x", CqlType::Int), col("b", "y", CqlType::Int)].into(),
            paging_state: Some(Bytes::from_static(b"p")),
            no_metadata: false,
        };
        let mut out = Vec::new();
        encode_result_rows(&mut out, &meta, 0, &[]);
        let mut r = WireReader::new(Bytes::from(out));
        assert_eq!(r.read_i32().unwrap(), 2);
        assert_eq!(r.read_i32().unwrap(), ROWS_FLAG_HAS_MORE_PAGES);
        assert_eq!(r.read_i32().unwrap(), 2);
        assert_eq!(r.read_bytes().unwrap().unwrap(), &b"p"[..]);
        for (t, n) in [("a", "x"), ("b", "y")] {
            assert_eq!(r.read_string().unwrap(), "ks");
            assert_eq!(r.read_string().unwrap(), t);
            assert_eq!(r.read_string().unwrap(), n);
            assert_eq!(CqlType::read_option(&mut r).unwrap(), CqlType::Int);
        }
        assert_eq!(r.read_i32().unwrap(), 0);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn no_metadata_writes_only_flags_count_and_paging() {
        let meta = RowsMetadata {
            columns: vec![col("t", "k", CqlType::Int)].into(),
            paging_state: Some(Bytes::from_static(b"p")),
            no_metadata: true,
        };
        let mut out = Vec::new();
        write_rows_metadata(&mut out, &meta);
        assert_eq!(out, [0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0, 1, b'p']);
    }

    #[test]
    fn zero_copy_rows_patch_the_count() {
        let meta = RowsMetadata { columns: vec![col("t", "k", CqlType::Int)].into(), ..RowsMetadata::default() };
        let mut direct = Vec::new();
        let mut cells = Vec::new();
        for i in 0..3i32 {
            wire::write_bytes(&mut cells, Some(&i.to_be_bytes()));
        }
        encode_result_rows(&mut direct, &meta, 3, &cells);

        let mut out = Vec::new();
        let slot = begin_rows(&mut out, &meta);
        for i in 0..3i32 {
            wire::write_bytes(&mut out, Some(&i.to_be_bytes()));
        }
        finish_rows(&mut out, slot, 3);
        assert_eq!(out, direct);
    }
}
