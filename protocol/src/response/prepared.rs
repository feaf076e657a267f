//! RESULT Prepared (spec §4.2.5.4): `<id><metadata><result_metadata>`.
//!
//! The bind-marker `<metadata>` is `<flags><columns_count>` then, in v4 only,
//! `<pk_count><pk_index_1>...` (drivers need these to route by token), then the
//! global table spec or per-column specs. `<result_metadata>` is the Rows metadata.

use bytes::Bytes;

use super::result_kind;
use super::rows::{
    global_table_spec, write_column_specs, write_rows_metadata, ColumnSpec, RowsMetadata, ROWS_FLAG_GLOBAL_TABLES_SPEC,
};
use crate::wire;

/// First protocol version whose Prepared metadata carries partition-key indexes.
const PK_INDEXES_SINCE_VERSION: u8 = 4;

/// Bind markers of a prepared statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreparedMetadata {
    pub columns: Vec<ColumnSpec>,
    /// For each partition-key column in order, the index of its bind marker; empty when
    /// some partition-key column is not bound by a plain marker.
    pub pk_indexes: Vec<u16>,
}

/// The answer to PREPARE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedResult {
    /// The statement id (`[short bytes]`), e.g. an MD5 of the query.
    pub id: Bytes,
    pub bind: PreparedMetadata,
    /// Metadata of the rows EXECUTE will return (no_metadata and no columns for
    /// non-SELECT statements).
    pub result: RowsMetadata,
}

/// Writes a RESULT Prepared for protocol `version`.
pub fn encode_result_prepared(out: &mut Vec<u8>, version: u8, prepared: &PreparedResult) {
    wire::write_i32(out, result_kind::PREPARED);
    wire::write_short_bytes(out, &prepared.id);
    let global = global_table_spec(&prepared.bind.columns);
    let flags = if global.is_some() { ROWS_FLAG_GLOBAL_TABLES_SPEC } else { 0 };
    wire::write_i32(out, flags);
    wire::write_i32(out, i32::try_from(prepared.bind.columns.len()).unwrap_or(i32::MAX));
    if version >= PK_INDEXES_SINCE_VERSION {
        let pk = &prepared.bind.pk_indexes;
        wire::write_i32(out, i32::try_from(pk.len()).unwrap_or(i32::MAX));
        for &i in pk {
            wire::write_u16(out, i);
        }
    }
    write_column_specs(out, &prepared.bind.columns, global);
    write_rows_metadata(out, &prepared.result);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::CqlType;
    use crate::wire::WireReader;

    fn prepared() -> PreparedResult {
        let col =
            |name: &str| ColumnSpec { keyspace: "ks".into(), table: "t".into(), name: name.into(), ty: CqlType::Blob };
        PreparedResult {
            id: Bytes::from_static(&[0xAA; 16]),
            bind: PreparedMetadata { columns: vec![col("v"), col("key")], pk_indexes: vec![1] },
            result: RowsMetadata { columns: vec![].into(), paging_state: None, no_metadata: true },
        }
    }

    fn read_common(r: &mut WireReader) {
        assert_eq!(r.read_i32().unwrap(), result_kind::PREPARED);
        assert_eq!(r.read_short_bytes().unwrap(), &[0xAA; 16][..]);
        assert_eq!(r.read_i32().unwrap(), ROWS_FLAG_GLOBAL_TABLES_SPEC);
        assert_eq!(r.read_i32().unwrap(), 2);
    }

    fn read_specs_and_result(r: &mut WireReader) {
        assert_eq!(r.read_string().unwrap(), "ks");
        assert_eq!(r.read_string().unwrap(), "t");
        for name in ["v", "key"] {
            assert_eq!(r.read_string().unwrap(), name);
            assert_eq!(CqlType::read_option(r).unwrap(), CqlType::Blob);
        }
        assert_eq!(r.read_i32().unwrap(), 0x0004, "result metadata: no_metadata");
        assert_eq!(r.read_i32().unwrap(), 0);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn v4_has_pk_indexes() {
        let mut out = Vec::new();
        encode_result_prepared(&mut out, 4, &prepared());
        let mut r = WireReader::new(Bytes::from(out));
        read_common(&mut r);
        assert_eq!(r.read_i32().unwrap(), 1, "pk_count");
        assert_eq!(r.read_u16().unwrap(), 1, "pk_index");
        read_specs_and_result(&mut r);
    }

    #[test]
    fn v3_has_no_pk_indexes() {
        let mut out = Vec::new();
        encode_result_prepared(&mut out, 3, &prepared());
        let mut r = WireReader::new(Bytes::from(out));
        read_common(&mut r);
        read_specs_and_result(&mut r);
    }
}
