//! Partition ⇄ bytes, pure: the data-stream entry of one partition with its position,
//! deletion, static row, range tombstones and clustering rows (every cell, tombstone, TTL
//! and marker), so decoding rebuilds an equal [`Partition`]. Decoding checks every length
//! and the orders the in-memory model relies on (rows by sort key, cells by column and path).
//!
//! ```text
//! entry     = u32 LE body_len ‖ body
//! body      = i64 token ‖ bytes key ‖ partition
//! partition = u8 flags(1 = deletion) ‖ [deletion] ‖ row(static) ‖ varint n ‖ range_del*n
//!             ‖ varint n ‖ (bytes sort_key ‖ row)*n
//! row       = u8 flags(1 = marker, 2 = deletion) ‖ varint n ‖ bytes*n (clustering values)
//!             ‖ [i64 ts ‖ u32 ttl ‖ u32 expires_at] ‖ [deletion] ‖ varint n ‖ cell*n
//! cell      = u16 column ‖ u8 flags(1 = has value, 2 = has path) ‖ i64 ts ‖ u32 ttl ‖ u32 expires_at
//!             ‖ [bytes value] ‖ [bytes path]
//! deletion  = i64 marked_at ‖ u32 local_deletion_time
//! range_del = bound start ‖ bound end ‖ deletion
//! bound     = u8 kind(0 unbounded, 1 inclusive, 2 exclusive) ‖ [bytes prefix]
//! bytes     = varint len ‖ len bytes
//! ```

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::model::cell::{Cell, DeletionTime, Liveness};
use crate::model::mutation::{ClusteringBound, ClusteringRange, PartitionPosition};
use crate::storage::partition::{Partition, Row};

use super::error::SstableError;
use super::format::{MAX_PARTITION_ENTRY_BYTES, MAX_PARTITION_KEY_BYTES};
use super::wire::{put_bytes, put_i64, put_u16, put_u32, put_u8, put_varint, DecodeError, WireReader};

/// The u32 length in front of every partition entry.
pub const ENTRY_LEN_BYTES: usize = 4;

const PARTITION_HAS_DELETION: u8 = 1;
const ROW_HAS_MARKER: u8 = 1;
const ROW_HAS_DELETION: u8 = 2;
const CELL_HAS_VALUE: u8 = 1;
const CELL_HAS_PATH: u8 = 2;
const BOUND_UNBOUNDED: u8 = 0;
const BOUND_INCLUSIVE: u8 = 1;
const BOUND_EXCLUSIVE: u8 = 2;

/// Appends `u32 len ‖ body` for one partition; returns the entry's length. Fails (leaving
/// `out` as it was) when the partition or its key exceeds the format's bounds.
pub fn encode_partition_entry(
    position: &PartitionPosition,
    partition: &Partition,
    out: &mut Vec<u8>,
) -> Result<usize, SstableError> {
    if position.key.len() > MAX_PARTITION_KEY_BYTES {
        return Err(SstableError::TooLarge {
            what: "partition key",
            size_bytes: position.key.len(),
            max_bytes: MAX_PARTITION_KEY_BYTES,
        });
    }
    let start = out.len();
    put_u32(out, 0);
    put_i64(out, position.token);
    put_bytes(out, &position.key);
    encode_partition(partition, out);
    let body_len = out.len() - start - ENTRY_LEN_BYTES;
    if body_len > MAX_PARTITION_ENTRY_BYTES {
        out.truncate(start);
        return Err(SstableError::TooLarge {
            what: "encoded partition",
            size_bytes: body_len,
            max_bytes: MAX_PARTITION_ENTRY_BYTES,
        });
    }
    out[start..start + ENTRY_LEN_BYTES].copy_from_slice(&(body_len as u32).to_le_bytes());
    Ok(out.len() - start)
}

/// The body length announced by an entry's prefix (`None` while it is incomplete).
pub fn entry_body_len(prefix: &[u8]) -> Result<Option<usize>, DecodeError> {
    if prefix.len() < ENTRY_LEN_BYTES {
        return Ok(None);
    }
    let len = WireReader::new(prefix).u32("partition entry length")? as usize;
    if len > MAX_PARTITION_ENTRY_BYTES {
        return Err(DecodeError::new(
            0,
            format!("partition entry length {len} exceeds the bound {MAX_PARTITION_ENTRY_BYTES}"),
        ));
    }
    Ok(Some(len))
}

/// Decodes an entry body (without its length prefix); all of it must be consumed.
pub fn decode_partition_entry(body: &[u8]) -> Result<(PartitionPosition, Partition), DecodeError> {
    let mut r = WireReader::new(body);
    let token = r.i64("token")?;
    let key = r.owned_bytes(MAX_PARTITION_KEY_BYTES, "partition key")?;
    let partition = decode_partition(&mut r)?;
    r.finish("partition entry")?;
    Ok((PartitionPosition { token, key }, partition))
}

fn encode_partition(p: &Partition, out: &mut Vec<u8>) {
    put_u8(out, if p.deletion.is_some() { PARTITION_HAS_DELETION } else { 0 });
    if let Some(d) = p.deletion {
        encode_deletion(d, out);
    }
    encode_row(&p.static_row, out);
    put_varint(out, p.range_deletions.len() as u64);
    for (range, deletion) in &p.range_deletions {
        encode_bound(&range.start, out);
        encode_bound(&range.end, out);
        encode_deletion(*deletion, out);
    }
    put_varint(out, p.rows.len() as u64);
    for (sort_key, row) in &p.rows {
        put_bytes(out, sort_key);
        encode_row(row, out);
    }
}

fn decode_partition(r: &mut WireReader<'_>) -> Result<Partition, DecodeError> {
    let flags = r.u8("partition flags")?;
    if flags & !PARTITION_HAS_DELETION != 0 {
        return Err(r.error(format!("unknown partition flags {flags:#04x}")));
    }
    let deletion = if flags & PARTITION_HAS_DELETION != 0 { Some(decode_deletion(r)?) } else { None };
    let static_row = decode_row(r)?;
    let n = r.count("range deletion count")?;
    let mut range_deletions = Vec::with_capacity(n);
    for _ in 0..n {
        let start = decode_bound(r)?;
        let end = decode_bound(r)?;
        range_deletions.push((ClusteringRange { start, end }, decode_deletion(r)?));
    }
    let n = r.count("row count")?;
    let mut rows = BTreeMap::new();
    let mut previous: Option<Bytes> = None;
    for _ in 0..n {
        let at = r.position();
        let sort_key = r.owned_bytes(usize::MAX, "row sort key")?;
        if previous.as_ref().is_some_and(|p| *p >= sort_key) {
            return Err(DecodeError::new(at, "rows are not in strictly increasing sort-key order"));
        }
        let row = decode_row(r)?;
        previous = Some(sort_key.clone());
        rows.insert(sort_key, row);
    }
    Ok(Partition { deletion, static_row, rows, range_deletions })
}

fn encode_row(row: &Row, out: &mut Vec<u8>) {
    let mut flags = 0;
    if row.marker.is_some() {
        flags |= ROW_HAS_MARKER;
    }
    if row.deletion.is_some() {
        flags |= ROW_HAS_DELETION;
    }
    put_u8(out, flags);
    put_varint(out, row.clustering.len() as u64);
    for value in &row.clustering {
        put_bytes(out, value);
    }
    if let Some(m) = row.marker {
        put_i64(out, m.timestamp);
        put_u32(out, m.ttl_seconds);
        put_u32(out, m.expires_at);
    }
    if let Some(d) = row.deletion {
        encode_deletion(d, out);
    }
    put_varint(out, row.cells.len() as u64);
    for (column, cell) in &row.cells {
        put_u16(out, *column);
        let path_flag = if cell.path.is_some() { CELL_HAS_PATH } else { 0 };
        put_u8(out, if cell.value.is_some() { CELL_HAS_VALUE } else { 0 } | path_flag);
        put_i64(out, cell.timestamp);
        put_u32(out, cell.ttl_seconds);
        put_u32(out, cell.expires_at);
        if let Some(v) = &cell.value {
            put_bytes(out, v);
        }
        if let Some(p) = &cell.path {
            put_bytes(out, p);
        }
    }
}

fn decode_row(r: &mut WireReader<'_>) -> Result<Row, DecodeError> {
    let flags = r.u8("row flags")?;
    if flags & !(ROW_HAS_MARKER | ROW_HAS_DELETION) != 0 {
        return Err(r.error(format!("unknown row flags {flags:#04x}")));
    }
    let n = r.count("clustering value count")?;
    let mut clustering = Vec::with_capacity(n);
    for _ in 0..n {
        clustering.push(r.owned_bytes(usize::MAX, "clustering value")?);
    }
    let marker = if flags & ROW_HAS_MARKER != 0 {
        Some(Liveness {
            timestamp: r.i64("marker timestamp")?,
            ttl_seconds: r.u32("marker ttl")?,
            expires_at: r.u32("marker expiry")?,
        })
    } else {
        None
    };
    let deletion = if flags & ROW_HAS_DELETION != 0 { Some(decode_deletion(r)?) } else { None };
    let n = r.count("cell count")?;
    let mut cells = Vec::with_capacity(n);
    for _ in 0..n {
        let at = r.position();
        let column = r.u16("cell column")?;
        let cell_flags = r.u8("cell flags")?;
        if cell_flags & !(CELL_HAS_VALUE | CELL_HAS_PATH) != 0 {
            return Err(r.error(format!("unknown cell flags {cell_flags:#04x}")));
        }
        let timestamp = r.i64("cell timestamp")?;
        let ttl_seconds = r.u32("cell ttl")?;
        let expires_at = r.u32("cell expiry")?;
        let value =
            if cell_flags & CELL_HAS_VALUE != 0 { Some(r.owned_bytes(usize::MAX, "cell value")?) } else { None };
        let path = if cell_flags & CELL_HAS_PATH != 0 { Some(r.owned_bytes(usize::MAX, "cell path")?) } else { None };
        if cells.last().is_some_and(|(c, prev): &(u16, Cell)| (*c, &prev.path) >= (column, &path)) {
            return Err(DecodeError::new(at, "cells are not in strictly increasing column and path order"));
        }
        cells.push((column, Cell { timestamp, value, path, ttl_seconds, expires_at }));
    }
    Ok(Row { clustering, marker, deletion, cells })
}

fn encode_deletion(d: DeletionTime, out: &mut Vec<u8>) {
    put_i64(out, d.marked_at);
    put_u32(out, d.local_deletion_time);
}

fn decode_deletion(r: &mut WireReader<'_>) -> Result<DeletionTime, DecodeError> {
    Ok(DeletionTime { marked_at: r.i64("deletion timestamp")?, local_deletion_time: r.u32("local deletion time")? })
}

fn encode_bound(b: &ClusteringBound, out: &mut Vec<u8>) {
    match b {
        ClusteringBound::Unbounded => put_u8(out, BOUND_UNBOUNDED),
        ClusteringBound::Inclusive(p) => {
            put_u8(out, BOUND_INCLUSIVE);
            put_bytes(out, p);
        }
        ClusteringBound::Exclusive(p) => {
            put_u8(out, BOUND_EXCLUSIVE);
            put_bytes(out, p);
        }
    }
}

fn decode_bound(r: &mut WireReader<'_>) -> Result<ClusteringBound, DecodeError> {
    match r.u8("bound kind")? {
        BOUND_UNBOUNDED => Ok(ClusteringBound::Unbounded),
        BOUND_INCLUSIVE => Ok(ClusteringBound::Inclusive(r.owned_bytes(usize::MAX, "bound prefix")?)),
        BOUND_EXCLUSIVE => Ok(ClusteringBound::Exclusive(r.owned_bytes(usize::MAX, "bound prefix")?)),
        other => Err(r.error(format!("unknown bound kind {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{arb_partition, assert_partitions_eq, sample_partition};
    use super::*;
    use proptest::prelude::*;

    fn round_trip(position: &PartitionPosition, p: &Partition) -> (PartitionPosition, Partition) {
        let mut out = vec![0xAA];
        let n = encode_partition_entry(position, p, &mut out).unwrap();
        assert_eq!(n, out.len() - 1);
        let len = entry_body_len(&out[1..]).unwrap().unwrap();
        assert_eq!(len + ENTRY_LEN_BYTES, n);
        decode_partition_entry(&out[1 + ENTRY_LEN_BYTES..]).unwrap()
    }

    #[test]
    fn sample_partition_round_trips() {
        let pos = PartitionPosition { token: -5, key: Bytes::from_static(b"k") };
        let p = sample_partition(3);
        let (pos2, p2) = round_trip(&pos, &p);
        assert_eq!(pos, pos2);
        assert_partitions_eq(&p, &p2);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let pos = PartitionPosition { token: 1, key: Bytes::from_static(b"key") };
        let mut out = Vec::new();
        encode_partition_entry(&pos, &sample_partition(2), &mut out).unwrap();
        let body = &out[ENTRY_LEN_BYTES..];
        for n in 0..body.len() {
            assert!(decode_partition_entry(&body[..n]).is_err(), "prefix {n}");
        }
        let mut longer = body.to_vec();
        longer.push(0);
        assert!(decode_partition_entry(&longer).is_err());
    }

    #[test]
    fn oversized_keys_are_refused() {
        let pos = PartitionPosition { token: 1, key: Bytes::from(vec![0; MAX_PARTITION_KEY_BYTES + 1]) };
        let mut out = vec![1, 2];
        assert!(encode_partition_entry(&pos, &Partition::default(), &mut out).is_err());
        assert_eq!(out, vec![1, 2]);
    }

    proptest! {
        #[test]
        fn partitions_round_trip(token in any::<i64>(), key in proptest::collection::vec(any::<u8>(), 0..40), p in arb_partition()) {
            let pos = PartitionPosition { token, key: Bytes::from(key) };
            let (pos2, p2) = round_trip(&pos, &p);
            prop_assert_eq!(pos, pos2);
            assert_partitions_eq(&p, &p2);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_partition_entry(&bytes);
        }

        #[test]
        fn flipped_bytes_never_panic(p in arb_partition(), at in any::<prop::sample::Index>(), x in 1u8..) {
            let pos = PartitionPosition { token: 3, key: Bytes::from_static(b"k") };
            let mut out = Vec::new();
            encode_partition_entry(&pos, &p, &mut out).unwrap();
            let i = at.index(out.len() - ENTRY_LEN_BYTES) + ENTRY_LEN_BYTES;
            out[i] ^= x;
            let _ = decode_partition_entry(&out[ENTRY_LEN_BYTES..]);
        }
    }
}
