//! What compaction may forget, for one merged partition (pure).
//!
//! Two kinds of removal, as in Cassandra:
//! * **Shadowed data** — a cell, row marker or row deletion covered by a newer-or-equal
//!   deletion of its row, a range tombstone, the partition or (a collection element) its
//!   collection's tombstone — is dropped always: the
//!   deletion that shadows it is in the same output (or is itself purged, below, under the
//!   same rule that would have let the data go).
//! * **Tombstones and expired data** are dropped only when `gc_grace_seconds` have passed
//!   since their local deletion time (`local_deletion_time < gc_before`) *and* their
//!   timestamp is below [`PurgeLimits::max_purgeable`]: the oldest timestamp any data
//!   outside the compaction (other SSTables, memtables) may hold for this partition.
//!   Otherwise a tombstone could vanish while older data it shadows survives elsewhere,
//!   and that data would come back. An expired TTL cell that cannot be purged yet becomes a
//!   tombstone (local deletion time = its write time, `expiry - ttl`), like Cassandra's.

use crate::model::cell::{Cell, DeletionTime, EpochSeconds, WriteTimestamp};
use crate::model::mutation::ColumnId;
use crate::storage::partition::{Partition, Row};

/// The purge horizon for one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeLimits {
    /// Now, in seconds: what counts as expired.
    pub now: EpochSeconds,
    /// `now - gc_grace_seconds`: deletions older than this may be purged.
    pub gc_before: EpochSeconds,
    /// Only deletions with a timestamp strictly below this may be purged.
    pub max_purgeable: WriteTimestamp,
}

impl PurgeLimits {
    pub fn new(now: EpochSeconds, gc_grace_seconds: i32, max_purgeable: WriteTimestamp) -> PurgeLimits {
        let gc_before = now.saturating_sub(gc_grace_seconds.max(0) as u32);
        PurgeLimits { now, gc_before, max_purgeable }
    }

    fn purgeable(&self, timestamp: WriteTimestamp, local_deletion_time: EpochSeconds) -> bool {
        local_deletion_time < self.gc_before && timestamp < self.max_purgeable
    }

    fn purge_deletion(&self, d: Option<DeletionTime>) -> Option<DeletionTime> {
        d.filter(|d| !self.purgeable(d.marked_at, d.local_deletion_time))
    }
}

/// Drops what the partition no longer needs; `None` when nothing is left of it.
pub fn purge_partition(mut p: Partition, limits: &PurgeLimits) -> Option<Partition> {
    let partition_deletion = p.deletion;
    // Range tombstones older than the partition deletion add nothing.
    p.range_deletions.retain(|(_, d)| partition_deletion.is_none_or(|pd| pd.marked_at < d.marked_at));

    purge_row(&mut p.static_row, partition_deletion, limits);
    let range_deletions = std::mem::take(&mut p.range_deletions);
    p.rows.retain(|key, row| {
        let covering = range_deletions
            .iter()
            .filter(|(range, _)| range.contains(key))
            .fold(partition_deletion, |acc, (_, d)| DeletionTime::merge(acc, Some(*d)));
        purge_row(row, covering, limits);
        !row_is_empty(row)
    });
    p.range_deletions =
        range_deletions.into_iter().filter(|(_, d)| limits.purge_deletion(Some(*d)).is_some()).collect();
    p.deletion = limits.purge_deletion(p.deletion);

    let empty =
        p.deletion.is_none() && p.range_deletions.is_empty() && p.rows.is_empty() && row_is_empty(&p.static_row);
    (!empty).then_some(p)
}

/// Purges one row under the deletion covering it from outside (partition, range).
fn purge_row(row: &mut Row, covering: Option<DeletionTime>, limits: &PurgeLimits) {
    // A row deletion no newer than the covering one is redundant.
    if row.deletion.is_some_and(|d| covering.is_some_and(|c| c.marked_at >= d.marked_at)) {
        row.deletion = None;
    }
    let shadowing = DeletionTime::merge(row.deletion, covering);
    let shadowed = |ts: WriteTimestamp| shadowing.is_some_and(|d| d.shadows(ts));

    if let Some(m) = row.marker {
        let expired_and_purgeable = !m.is_live(limits.now) && limits.purgeable(m.timestamp, m.expires_at);
        if shadowed(m.timestamp) || expired_and_purgeable {
            row.marker = None;
        }
    }
    // A collection's tombstone (its path-less cell) sorts before its elements.
    let mut collection_deletion: Option<(ColumnId, WriteTimestamp)> = None;
    row.cells.retain_mut(|(column, cell)| {
        if cell.path.is_none() {
            collection_deletion = cell.value.is_none().then_some((*column, cell.timestamp));
        } else if collection_deletion.is_some_and(|(c, ts)| c == *column && cell.timestamp <= ts) {
            return false;
        }
        if shadowed(cell.timestamp) {
            return false;
        }
        purge_cell(cell, limits)
    });
    row.deletion = limits.purge_deletion(row.deletion);
}

/// Whether the cell stays (possibly turned into a tombstone).
fn purge_cell(cell: &mut Cell, limits: &PurgeLimits) -> bool {
    match &cell.value {
        None => !limits.purgeable(cell.timestamp, cell.expires_at),
        Some(_) if cell.live_value(limits.now).is_some() => true,
        Some(_) => {
            // Expired: `expires_at` is its local deletion time.
            if limits.purgeable(cell.timestamp, cell.expires_at) {
                return false;
            }
            let written_at = cell.expires_at.saturating_sub(cell.ttl_seconds);
            let path = cell.path.take();
            *cell = Cell::tombstone(cell.timestamp, written_at);
            cell.path = path;
            true
        }
    }
}

fn row_is_empty(row: &Row) -> bool {
    row.marker.is_none() && row.deletion.is_none() && row.cells.is_empty()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::model::cell::{Liveness, NEVER_EXPIRES};
    use crate::model::mutation::{ClusteringBound, ClusteringKey, ClusteringRange, RowUpdate};

    const NOW: EpochSeconds = 1_000_000;
    const GC_GRACE: i32 = 100;

    fn limits(max_purgeable: WriteTimestamp) -> PurgeLimits {
        PurgeLimits::new(NOW, GC_GRACE, max_purgeable)
    }

    fn deletion(marked_at: WriteTimestamp, local_deletion_time: EpochSeconds) -> DeletionTime {
        DeletionTime { marked_at, local_deletion_time }
    }

    fn row(key: &'static [u8], marker_ts: Option<WriteTimestamp>, cells: Vec<Cell>) -> RowUpdate {
        RowUpdate {
            clustering: ClusteringKey { sort_key: Bytes::from_static(key), values: vec![] },
            marker: marker_ts.map(|timestamp| Liveness { timestamp, ttl_seconds: 0, expires_at: NEVER_EXPIRES }),
            deletion: None,
            cells: cells.into_iter().enumerate().map(|(i, c)| (i as u16, c)).collect(),
        }
    }

    fn live(ts: WriteTimestamp) -> Cell {
        Cell::live(ts, Bytes::from_static(b"v"), 0, NOW)
    }

    fn keys(p: &Partition) -> Vec<&[u8]> {
        p.rows.keys().map(|k| &k[..]).collect()
    }

    // (case, partition deletion, row cells' timestamps, max_purgeable, rows left, deletion kept)
    #[test]
    fn partition_deletion_table() {
        let old = NOW - GC_GRACE as u32 - 1;
        let young = NOW - 1;
        let cases: &[(&str, DeletionTime, WriteTimestamp, WriteTimestamp, usize, bool)] = &[
            ("data older than deletion is dropped, young tombstone kept", deletion(10, young), 5, i64::MAX, 0, true),
            ("data newer than deletion survives", deletion(10, young), 20, i64::MAX, 1, true),
            ("old tombstone with nothing older outside is purged", deletion(10, old), 5, i64::MAX, 0, false),
            ("old tombstone kept when older data may exist outside", deletion(10, old), 5, 3, 0, true),
            ("tie: deletion shadows data at the same timestamp", deletion(10, young), 10, i64::MAX, 0, true),
        ];
        for (case, d, cell_ts, max_purgeable, rows_left, deletion_kept) in cases {
            let mut p = Partition { deletion: Some(*d), ..Partition::default() };
            p.apply_row(row(b"a", Some(*cell_ts), vec![live(*cell_ts)]));
            let out = purge_partition(p, &limits(*max_purgeable));
            let rows = out.as_ref().map_or(0, |p| p.rows.len());
            let kept = out.as_ref().is_some_and(|p| p.deletion.is_some());
            assert_eq!((rows, kept), (*rows_left, *deletion_kept), "{case}");
        }
    }

    #[test]
    fn range_tombstone_drops_covered_rows_only() {
        let mut p = Partition::default();
        for k in [b"a1", b"b1", b"c1"] {
            p.apply_row(row(k, Some(5), vec![live(5)]));
        }
        let range = ClusteringRange {
            start: ClusteringBound::Inclusive(Bytes::from_static(b"b")),
            end: ClusteringBound::Inclusive(Bytes::from_static(b"b")),
        };
        p.apply_range_deletion(range, deletion(6, NOW - 1));
        let p = purge_partition(p, &limits(i64::MAX)).unwrap();
        assert_eq!(keys(&p), vec![&b"a1"[..], b"c1"]);
        assert_eq!(p.range_deletions.len(), 1, "young range tombstone kept");
        let p = purge_partition(p, &PurgeLimits::new(NOW + 1_000, GC_GRACE, i64::MAX)).unwrap();
        assert!(p.range_deletions.is_empty(), "old range tombstone purged");
    }

    #[test]
    fn expired_cells_become_tombstones_then_vanish() {
        let mut p = Partition::default();
        let ttl = 10;
        let written = NOW - 50;
        let expiring = Cell::live(7, Bytes::from_static(b"x"), ttl, written);
        p.apply_row(row(b"a", Some(7), vec![expiring, live(7)]));
        let p = purge_partition(p, &limits(i64::MAX)).unwrap();
        let cell = p.rows.values().next().unwrap().cell(0).unwrap().clone();
        assert_eq!(cell, Cell::tombstone(7, written), "expired within gc grace → tombstone at write time");
        let later = PurgeLimits::new(NOW + GC_GRACE as u32, GC_GRACE, i64::MAX);
        let p = purge_partition(p, &later).unwrap();
        let r = p.rows.values().next().unwrap();
        assert!(r.cell(0).is_none() && r.cell(1).is_some(), "tombstone purged, live cell kept");
    }

    #[test]
    fn cell_tombstone_and_row_deletion_purge() {
        let mut p = Partition::default();
        let mut update = row(b"a", None, vec![Cell::tombstone(4, NOW - 1_000)]);
        update.deletion = Some(deletion(3, NOW - 1_000));
        p.apply_row(update);
        assert!(purge_partition(p, &limits(i64::MAX)).is_none(), "everything old and purgeable");
        let mut p = Partition::default();
        p.apply_row(row(b"a", None, vec![Cell::tombstone(4, NOW - 1_000)]));
        let p = purge_partition(p, &limits(4)).unwrap();
        assert_eq!(p.rows.len(), 1, "tombstone at the max purgeable timestamp stays");
    }

    #[test]
    fn static_row_shadowed_by_partition_deletion() {
        let mut p = Partition { deletion: Some(deletion(10, NOW - 1)), ..Partition::default() };
        p.static_row.apply_cells(vec![(0, live(9)), (1, live(11))]);
        let p = purge_partition(p, &limits(i64::MAX)).unwrap();
        assert!(p.static_row.cell(0).is_none() && p.static_row.cell(1).is_some());
    }

    #[test]
    fn collection_tombstone_drops_the_elements_it_shadows() {
        let mut p = Partition::default();
        let element = |ts, path: &'static [u8]| {
            Cell::live(ts, Bytes::from_static(b"v"), 0, NOW).at_path(Bytes::from_static(path))
        };
        p.apply_row(RowUpdate {
            clustering: ClusteringKey { sort_key: Bytes::from_static(b"r"), values: vec![] },
            marker: None,
            deletion: None,
            cells: vec![(4, element(5, b"a")), (4, element(9, b"b")), (4, Cell::tombstone(6, NOW))],
        });
        let purged = purge_partition(p, &limits(0)).unwrap();
        let row = &purged.rows[&Bytes::from_static(b"r")];
        let kept: Vec<Option<&[u8]>> = row.cells.iter().map(|(_, c)| c.path.as_deref()).collect();
        assert_eq!(kept, vec![None, Some(&b"b"[..])], "the recent tombstone stays; the element under it goes");
    }
}
