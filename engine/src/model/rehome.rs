//! Re-homing a mutation's byte strings into one allocation of its own.
//!
//! Decoded values are zero-copy slices of the buffer they came from: a connection's 64 KiB
//! read buffer, or a commitlog segment read at replay. A memtable keeping such a slice
//! keeps the whole buffer alive — with one small request per read, 64 KiB pinned for a
//! 100-byte row, memory the memtable accounting never sees, and a fresh buffer (page
//! faults, zeroing) for every read. So before a mutation enters a memtable its bytes are
//! copied into a single allocation sized exactly for them.

use bytes::{Bytes, BytesMut};

use super::cell::Cell;
use super::mutation::{ClusteringBound, Mutation};

/// Copies every byte string of `m` into one new allocation and points them at it.
pub fn rehome(m: &mut Mutation) {
    let mut total = 0;
    for_each_bytes(m, &mut |b| total += b.len());
    let mut buffer = BytesMut::with_capacity(total);
    for_each_bytes(m, &mut |b| buffer.extend_from_slice(b));
    debug_assert_eq!(buffer.len(), total);
    let all = buffer.freeze();
    let mut at = 0;
    for_each_bytes_mut(m, &mut |b| {
        let len = b.len();
        *b = all.slice(at..at + len);
        at += len;
    });
}

fn for_each_bytes(m: &mut Mutation, f: &mut impl FnMut(&Bytes)) {
    for_each_bytes_mut(m, &mut |b| f(b));
}

/// Visits the byte strings in a fixed order (the same for every pass).
fn for_each_bytes_mut(m: &mut Mutation, f: &mut impl FnMut(&mut Bytes)) {
    f(&mut m.position.key);
    for (_, cell) in &mut m.static_cells {
        cell_bytes(cell, f);
    }
    for row in &mut m.rows {
        f(&mut row.clustering.sort_key);
        row.clustering.values.iter_mut().for_each(&mut *f);
        for (_, cell) in &mut row.cells {
            cell_bytes(cell, f);
        }
    }
    for (range, _) in &mut m.range_deletions {
        for bound in [&mut range.start, &mut range.end] {
            if let ClusteringBound::Inclusive(b) | ClusteringBound::Exclusive(b) = bound {
                f(b);
            }
        }
    }
}

fn cell_bytes(cell: &mut Cell, f: &mut impl FnMut(&mut Bytes)) {
    if let Some(v) = &mut cell.value {
        f(v);
    }
    if let Some(p) = &mut cell.path {
        f(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::mutation::{ClusteringKey, ClusteringRange, PartitionPosition, RowUpdate};

    #[test]
    fn values_survive_and_stop_pinning_the_source_buffer() {
        let source = Bytes::from(vec![7u8; 64 * 1024]);
        let mut m = Mutation::new(uuid::Uuid::nil(), PartitionPosition { token: 1, key: source.slice(0..4) });
        m.rows.push(RowUpdate {
            clustering: ClusteringKey { sort_key: source.slice(4..6), values: vec![source.slice(6..7)] },
            marker: None,
            deletion: None,
            cells: vec![(1, Cell::live(1, source.slice(10..20), 0, 0)), (2, Cell::tombstone(1, 0))],
        });
        m.static_cells.push((0, Cell::live(1, Bytes::from_static(b"static"), 0, 0)));
        m.range_deletions.push((
            ClusteringRange { start: ClusteringBound::Exclusive(source.slice(1..3)), end: ClusteringBound::Unbounded },
            crate::model::cell::DeletionTime { marked_at: 1, local_deletion_time: 0 },
        ));
        let before = m.clone();
        rehome(&mut m);
        assert_eq!(m, before, "same values");
        let source_range = source.as_ptr() as usize..source.as_ptr() as usize + source.len();
        assert!(!source_range.contains(&(m.position.key.as_ptr() as usize)));
        assert!(!source_range.contains(&(m.rows[0].cells[0].1.value.as_ref().unwrap().as_ptr() as usize)));
    }
}
