//! Mutations ⇄ bytes: the payload of commitlog entries. Big-endian, length-prefixed,
//! versioned by the commitlog segment's format version. Decoding treats the bytes as
//! untrusted (a torn or corrupt entry that slipped past its CRC must give an error, never a
//! panic or an absurd allocation).
//!
//! ```text
//! mutation   := table_id[16] token:i64 key:blob partition_deletion:opt_deletion
//!               u16 n static_cells:cell*n  u32 n rows:row*n  u32 n range_deletions*n
//! row        := u16 n (blob)*n  sort_key:blob  opt_liveness opt_deletion u16 n cell*n
//! cell       := column:u16 timestamp:i64 ttl:u32 expires_at:u32 flags:u8(1 value, 2 path)
//!               [value:blob] [path:blob]
//! range_del  := bound bound deletion        bound := 0 | 1 blob | 2 blob
//! blob       := u32 len bytes
//! ```

use bytes::{Buf, BufMut, Bytes};
use thiserror::Error;
use uuid::Uuid;

use super::cell::{Cell, DeletionTime, Liveness};
use super::mutation::{
    ClusteringBound, ClusteringKey, ClusteringRange, ColumnId, Mutation, PartitionPosition, RowUpdate,
};

#[derive(Debug, Error, PartialEq, Eq)]
#[error("malformed mutation: {0}")]
pub struct MutationDecodeError(pub &'static str);

type Result<T> = std::result::Result<T, MutationDecodeError>;

pub fn encode(m: &Mutation, out: &mut Vec<u8>) {
    out.put_slice(m.table_id.as_bytes());
    out.put_i64(m.position.token);
    put_blob(out, &m.position.key);
    put_deletion(out, m.partition_deletion);
    out.put_u16(m.static_cells.len() as u16);
    for (column, cell) in &m.static_cells {
        put_cell(out, *column, cell);
    }
    out.put_u32(m.rows.len() as u32);
    for row in &m.rows {
        out.put_u16(row.clustering.values.len() as u16);
        for v in &row.clustering.values {
            put_blob(out, v);
        }
        put_blob(out, &row.clustering.sort_key);
        match row.marker {
            Some(l) => {
                out.put_u8(1);
                out.put_i64(l.timestamp);
                out.put_u32(l.ttl_seconds);
                out.put_u32(l.expires_at);
            }
            None => out.put_u8(0),
        }
        put_deletion(out, row.deletion);
        out.put_u16(row.cells.len() as u16);
        for (column, cell) in &row.cells {
            put_cell(out, *column, cell);
        }
    }
    out.put_u32(m.range_deletions.len() as u32);
    for (range, deletion) in &m.range_deletions {
        put_bound(out, &range.start);
        put_bound(out, &range.end);
        put_deletion(out, Some(*deletion));
    }
}

fn put_blob(out: &mut Vec<u8>, b: &[u8]) {
    out.put_u32(b.len() as u32);
    out.put_slice(b);
}

fn put_deletion(out: &mut Vec<u8>, d: Option<DeletionTime>) {
    match d {
        Some(d) => {
            out.put_u8(1);
            out.put_i64(d.marked_at);
            out.put_u32(d.local_deletion_time);
        }
        None => out.put_u8(0),
    }
}

fn put_cell(out: &mut Vec<u8>, column: ColumnId, c: &Cell) {
    out.put_u16(column);
    out.put_i64(c.timestamp);
    out.put_u32(c.ttl_seconds);
    out.put_u32(c.expires_at);
    out.put_u8(if c.value.is_some() { CELL_HAS_VALUE } else { 0 } | if c.path.is_some() { CELL_HAS_PATH } else { 0 });
    if let Some(v) = &c.value {
        put_blob(out, v);
    }
    if let Some(p) = &c.path {
        put_blob(out, p);
    }
}

fn put_bound(out: &mut Vec<u8>, b: &ClusteringBound) {
    match b {
        ClusteringBound::Unbounded => out.put_u8(0),
        ClusteringBound::Inclusive(p) => {
            out.put_u8(1);
            put_blob(out, p);
        }
        ClusteringBound::Exclusive(p) => {
            out.put_u8(2);
            put_blob(out, p);
        }
    }
}

struct Reader {
    b: Bytes,
}

impl Reader {
    fn need(&self, n: usize) -> Result<()> {
        if self.b.remaining() < n {
            return Err(MutationDecodeError("truncated"));
        }
        Ok(())
    }
    fn u8(&mut self) -> Result<u8> {
        self.need(1)?;
        Ok(self.b.get_u8())
    }
    fn u16(&mut self) -> Result<u16> {
        self.need(2)?;
        Ok(self.b.get_u16())
    }
    fn u32(&mut self) -> Result<u32> {
        self.need(4)?;
        Ok(self.b.get_u32())
    }
    fn i64(&mut self) -> Result<i64> {
        self.need(8)?;
        Ok(self.b.get_i64())
    }
    fn blob(&mut self) -> Result<Bytes> {
        let n = self.u32()? as usize;
        self.need(n)?;
        Ok(self.b.split_to(n))
    }
    /// A count whose items each take at least `min_item_bytes`: bounded by what is left.
    fn count(&mut self, n: usize, min_item_bytes: usize) -> Result<usize> {
        if n.saturating_mul(min_item_bytes) > self.b.remaining() {
            return Err(MutationDecodeError("count exceeds the entry"));
        }
        Ok(n)
    }
    fn deletion(&mut self) -> Result<Option<DeletionTime>> {
        Ok(match self.u8()? {
            0 => None,
            1 => Some(DeletionTime { marked_at: self.i64()?, local_deletion_time: self.u32()? }),
            _ => return Err(MutationDecodeError("bad deletion flag")),
        })
    }
    fn cell(&mut self) -> Result<(ColumnId, Cell)> {
        let column = self.u16()?;
        let timestamp = self.i64()?;
        let ttl_seconds = self.u32()?;
        let expires_at = self.u32()?;
        let flags = self.u8()?;
        if flags & !(CELL_HAS_VALUE | CELL_HAS_PATH) != 0 {
            return Err(MutationDecodeError("bad cell flag"));
        }
        let value = if flags & CELL_HAS_VALUE != 0 { Some(self.blob()?) } else { None };
        let path = if flags & CELL_HAS_PATH != 0 { Some(self.blob()?) } else { None };
        Ok((column, Cell { timestamp, value, path, ttl_seconds, expires_at }))
    }
    fn bound(&mut self) -> Result<ClusteringBound> {
        Ok(match self.u8()? {
            0 => ClusteringBound::Unbounded,
            1 => ClusteringBound::Inclusive(self.blob()?),
            2 => ClusteringBound::Exclusive(self.blob()?),
            _ => return Err(MutationDecodeError("bad bound kind")),
        })
    }
}

/// Cell flag: a value follows (else a tombstone).
const CELL_HAS_VALUE: u8 = 1;
/// Cell flag: an element path follows (a non-frozen collection's element).
const CELL_HAS_PATH: u8 = 2;

/// Smallest encoded cell: column, timestamp, ttl, expiry, flag.
const CELL_BYTES_MIN: usize = 2 + 8 + 4 + 4 + 1;
const ROW_BYTES_MIN: usize = 2 + 4 + 1 + 1 + 2;
const BLOB_BYTES_MIN: usize = 4;
const RANGE_DELETION_BYTES_MIN: usize = 1 + 1 + 1;

pub fn decode(bytes: Bytes) -> Result<Mutation> {
    let mut r = Reader { b: bytes };
    r.need(16)?;
    let table_id = Uuid::from_slice(&r.b.split_to(16)).map_err(|_| MutationDecodeError("bad table id"))?;
    let token = r.i64()?;
    let key = r.blob()?;
    let mut m = Mutation::new(table_id, PartitionPosition { token, key });
    m.partition_deletion = r.deletion()?;
    let n = r.u16()? as usize;
    for _ in 0..r.count(n, CELL_BYTES_MIN)? {
        m.static_cells.push(r.cell()?);
    }
    let n = r.u32()? as usize;
    for _ in 0..r.count(n, ROW_BYTES_MIN)? {
        let nv = r.u16()? as usize;
        let mut values = Vec::with_capacity(r.count(nv, BLOB_BYTES_MIN)?);
        for _ in 0..nv {
            values.push(r.blob()?);
        }
        let sort_key = r.blob()?;
        let marker = match r.u8()? {
            0 => None,
            1 => Some(Liveness { timestamp: r.i64()?, ttl_seconds: r.u32()?, expires_at: r.u32()? }),
            _ => return Err(MutationDecodeError("bad marker flag")),
        };
        let deletion = r.deletion()?;
        let nc = r.u16()? as usize;
        let mut cells = Vec::with_capacity(r.count(nc, CELL_BYTES_MIN)?);
        for _ in 0..nc {
            cells.push(r.cell()?);
        }
        m.rows.push(RowUpdate { clustering: ClusteringKey { sort_key, values }, marker, deletion, cells });
    }
    let n = r.u32()? as usize;
    for _ in 0..r.count(n, RANGE_DELETION_BYTES_MIN)? {
        let start = r.bound()?;
        let end = r.bound()?;
        let deletion = r.deletion()?.ok_or(MutationDecodeError("range deletion without time"))?;
        m.range_deletions.push((ClusteringRange { start, end }, deletion));
    }
    if r.b.has_remaining() {
        return Err(MutationDecodeError("trailing bytes"));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Mutation {
        let mut m = Mutation::new(Uuid::new_v4(), PartitionPosition { token: -42, key: Bytes::from_static(b"pk") });
        m.partition_deletion = Some(DeletionTime { marked_at: 5, local_deletion_time: 6 });
        m.static_cells.push((3, Cell::live(10, Bytes::from_static(b"s"), 0, 100)));
        m.rows.push(RowUpdate {
            clustering: ClusteringKey {
                sort_key: Bytes::from_static(b"\x01ab\0\0"),
                values: vec![Bytes::from_static(b"ab")],
            },
            marker: Some(Liveness { timestamp: 9, ttl_seconds: 60, expires_at: 160 }),
            deletion: None,
            cells: vec![(4, Cell::live(9, Bytes::from_static(b"v"), 60, 100)), (5, Cell::tombstone(9, 100))],
        });
        m.range_deletions.push((
            ClusteringRange {
                start: ClusteringBound::Inclusive(Bytes::from_static(b"a")),
                end: ClusteringBound::Unbounded,
            },
            DeletionTime { marked_at: 1, local_deletion_time: 2 },
        ));
        m
    }

    #[test]
    fn round_trip() {
        let m = sample();
        let mut buf = Vec::new();
        encode(&m, &mut buf);
        assert_eq!(decode(Bytes::from(buf)).unwrap(), m);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let mut buf = Vec::new();
        encode(&sample(), &mut buf);
        for len in 0..buf.len() {
            assert!(decode(Bytes::copy_from_slice(&buf[..len])).is_err(), "prefix {len}");
        }
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode(Bytes::from(bytes));
        }
    }
}

/// Several mutations as one payload (`u32 count`, then `u32 len` + mutation each): the
/// mutations one shard applies for one request, logged as one commitlog entry so they
/// replay all or nothing.
pub fn encode_batch(mutations: &[Mutation]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * mutations.len());
    out.put_u32(mutations.len() as u32);
    for m in mutations {
        let len_at = out.len();
        out.put_u32(0);
        encode(m, &mut out);
        let len = (out.len() - len_at - 4) as u32;
        out[len_at..len_at + 4].copy_from_slice(&len.to_be_bytes());
    }
    out
}

pub fn decode_batch(bytes: Bytes) -> Result<Vec<Mutation>> {
    let mut r = Reader { b: bytes };
    let n = r.u32()? as usize;
    let n = r.count(n, BLOB_BYTES_MIN)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(decode(r.blob()?)?);
    }
    if r.b.has_remaining() {
        return Err(MutationDecodeError("trailing bytes after the batch"));
    }
    Ok(out)
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    #[test]
    fn batches_round_trip() {
        let a = Mutation::new(Uuid::new_v4(), PartitionPosition { token: 1, key: Bytes::from_static(b"a") });
        let b = Mutation::new(Uuid::new_v4(), PartitionPosition { token: 2, key: Bytes::from_static(b"b") });
        let bytes = encode_batch(&[a.clone(), b.clone()]);
        assert_eq!(decode_batch(Bytes::from(bytes)).unwrap(), vec![a, b]);
    }
}
