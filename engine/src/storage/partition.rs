//! One partition in a memtable: its deletion, static row, clustering rows and range
//! tombstones, and how a mutation folds into it (cell by cell, Cassandra's reconciliation).

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::model::cell::{Cell, DeletionTime, EpochSeconds, Liveness};
use crate::model::mutation::{ClusteringKey, ClusteringRange, ColumnId, Mutation, RowUpdate};

/// A row: its clustering values, INSERT marker, row deletion and cells sorted by column.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub clustering: Vec<Bytes>,
    pub marker: Option<Liveness>,
    pub deletion: Option<DeletionTime>,
    pub cells: Vec<(ColumnId, Cell)>,
}

impl Row {
    /// Merges cells in; returns the change in memory footprint.
    pub fn apply_cells(&mut self, cells: Vec<(ColumnId, Cell)>) -> isize {
        let mut delta = 0isize;
        for (column, cell) in cells {
            match self.cells.binary_search_by(|(c, mine)| (*c, &mine.path).cmp(&(column, &cell.path))) {
                Ok(i) => {
                    let old = &mut self.cells[i].1;
                    if cell.supersedes(old) {
                        delta += cell.size_bytes() as isize - old.size_bytes() as isize;
                        *old = cell;
                    }
                }
                Err(i) => {
                    delta += cell.size_bytes() as isize;
                    self.cells.insert(i, (column, cell));
                }
            }
        }
        delta
    }

    /// The simple cell of `column` (for a non-frozen collection: its collection tombstone).
    pub fn cell(&self, column: ColumnId) -> Option<&Cell> {
        let cells = self.column_cells(column);
        cells.first().map(|(_, c)| c).filter(|c| c.path.is_none())
    }

    /// Every cell of `column`: the path-less one first, then the elements in path order.
    pub fn column_cells(&self, column: ColumnId) -> &[(ColumnId, Cell)] {
        let start = self.cells.partition_point(|(c, _)| *c < column);
        let end = start + self.cells[start..].partition_point(|(c, _)| *c == column);
        &self.cells[start..end]
    }

    /// The newest deletion covering this row, of the row itself or of its containers.
    pub fn effective_deletion(&self, outer: Option<DeletionTime>) -> Option<DeletionTime> {
        DeletionTime::merge(self.deletion, outer)
    }

    /// A row is live if its marker is live and not shadowed, or any cell is.
    pub fn is_live(&self, deletion: Option<DeletionTime>, now: EpochSeconds) -> bool {
        let shadowed = |ts| deletion.is_some_and(|d| d.shadows(ts));
        if self.marker.is_some_and(|m| m.is_live(now) && !shadowed(m.timestamp)) {
            return true;
        }
        let mut collection_deletion: Option<(ColumnId, i64)> = None;
        self.cells.iter().any(|(column, c)| {
            if c.path.is_none() {
                collection_deletion = c.value.is_none().then_some((*column, c.timestamp));
            }
            let collection_shadows =
                c.path.is_some() && collection_deletion.is_some_and(|(col, ts)| col == *column && c.timestamp <= ts);
            c.live_value(now).is_some() && !shadowed(c.timestamp) && !collection_shadows
        })
    }

    /// The live value of `column`, honouring deletions that shadow it.
    pub fn live_cell(&self, column: ColumnId, deletion: Option<DeletionTime>, now: EpochSeconds) -> Option<&Cell> {
        self.cell(column).filter(|c| c.live_value(now).is_some() && !deletion.is_some_and(|d| d.shadows(c.timestamp)))
    }

    /// The live elements of a non-frozen collection column, in element order: not expired
    /// and not shadowed by `deletion` or by the collection's own tombstone.
    pub fn live_elements(
        &self,
        column: ColumnId,
        deletion: Option<DeletionTime>,
        now: EpochSeconds,
    ) -> impl Iterator<Item = &Cell> {
        let cells = self.column_cells(column);
        let collection = cells.first().filter(|(_, c)| c.path.is_none()).map(|(_, c)| c.timestamp);
        cells.iter().map(|(_, c)| c).filter(move |c| {
            c.path.is_some()
                && c.live_value(now).is_some()
                && !deletion.is_some_and(|d| d.shadows(c.timestamp))
                && collection.is_none_or(|ts| c.timestamp > ts)
        })
    }

    fn size_bytes(&self) -> usize {
        std::mem::size_of::<Row>()
            + self.clustering.iter().map(|v| v.len()).sum::<usize>()
            + self.cells.iter().map(|(_, c)| c.size_bytes()).sum::<usize>()
    }
}

/// A partition's rows and deletions.
#[derive(Debug, Default)]
pub struct Partition {
    pub deletion: Option<DeletionTime>,
    pub static_row: Row,
    pub rows: BTreeMap<Bytes, Row>,
    pub range_deletions: Vec<(ClusteringRange, DeletionTime)>,
}

impl Partition {
    /// The deletion covering a clustering key: the partition's and any range tombstone's.
    pub fn deletion_for(&self, sort_key: &[u8]) -> Option<DeletionTime> {
        self.range_deletions
            .iter()
            .filter(|(range, _)| range.contains(sort_key))
            .fold(self.deletion, |acc, (_, d)| DeletionTime::merge(acc, Some(*d)))
    }

    pub fn apply_row(&mut self, update: RowUpdate) -> isize {
        let mut delta = 0isize;
        let row = self.rows.entry(update.clustering.sort_key).or_insert_with(|| {
            let row = Row { clustering: update.clustering.values, ..Row::default() };
            delta += row.size_bytes() as isize;
            row
        });
        row.marker = Liveness::merge(row.marker, update.marker);
        row.deletion = DeletionTime::merge(row.deletion, update.deletion);
        delta + row.apply_cells(update.cells)
    }

    pub fn apply_range_deletion(&mut self, range: ClusteringRange, deletion: DeletionTime) -> isize {
        if let Some((_, existing)) = self.range_deletions.iter_mut().find(|(r, _)| *r == range) {
            *existing = DeletionTime::merge(Some(*existing), Some(deletion)).unwrap_or(deletion);
            return 0;
        }
        self.range_deletions.push((range, deletion));
        std::mem::size_of::<(ClusteringRange, DeletionTime)>() as isize
    }
}

impl Partition {
    /// Rows of `range` in storage order (or reversed), strictly after `after` in the
    /// direction of iteration (paging).
    pub fn rows_in<'a>(
        &'a self,
        range: &'a ClusteringRange,
        reversed: bool,
        after: Option<&'a [u8]>,
    ) -> Box<dyn Iterator<Item = (&'a Bytes, &'a Row)> + 'a> {
        use std::ops::Bound;
        if !reversed {
            let lower: Bound<&[u8]> = match (after, &range.start) {
                (Some(a), _) => Bound::Excluded(a),
                (None, crate::model::mutation::ClusteringBound::Unbounded) => Bound::Unbounded,
                (
                    None,
                    crate::model::mutation::ClusteringBound::Inclusive(p)
                    | crate::model::mutation::ClusteringBound::Exclusive(p),
                ) => Bound::Included(&p[..]),
            };
            Box::new(
                self.rows
                    .range::<[u8], _>((lower, Bound::Unbounded))
                    .take_while(move |(k, _)| range.is_before_end(k))
                    .filter(move |(k, _)| range.is_after_start(k)),
            )
        } else {
            let upper: Bound<&[u8]> = match after {
                Some(a) => Bound::Excluded(a),
                None => Bound::Unbounded,
            };
            Box::new(
                self.rows
                    .range::<[u8], _>((Bound::Unbounded, upper))
                    .rev()
                    .skip_while(move |(k, _)| !range.is_before_end(k))
                    .take_while(move |(k, _)| range.is_after_start(k)),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::mutation::{ClusteringBound, ClusteringKey};

    fn partition(keys: &[&'static [u8]]) -> Partition {
        let mut p = Partition::default();
        for k in keys {
            p.apply_row(RowUpdate {
                clustering: ClusteringKey { sort_key: Bytes::from_static(k), values: vec![] },
                marker: None,
                deletion: None,
                cells: vec![],
            });
        }
        p
    }

    fn keys<'a>(it: impl Iterator<Item = (&'a Bytes, &'a Row)>) -> Vec<&'a [u8]> {
        it.map(|(k, _)| &k[..]).collect()
    }

    #[test]
    fn ranges_forward_and_reversed_with_paging() {
        let p = partition(&[b"a1", b"a2", b"b1", b"b2", b"c1"]);
        let r = ClusteringRange {
            start: ClusteringBound::Inclusive(Bytes::from_static(b"a2")),
            end: ClusteringBound::Inclusive(Bytes::from_static(b"b")),
        };
        assert_eq!(keys(p.rows_in(&r, false, None)), vec![&b"a2"[..], b"b1", b"b2"]);
        assert_eq!(keys(p.rows_in(&r, true, None)), vec![&b"b2"[..], b"b1", b"a2"]);
        assert_eq!(keys(p.rows_in(&r, false, Some(b"b1"))), vec![&b"b2"[..]]);
        assert_eq!(keys(p.rows_in(&r, true, Some(b"b1"))), vec![&b"a2"[..]]);
        let all = ClusteringRange::ALL;
        assert_eq!(keys(p.rows_in(&all, false, None)).len(), 5);
    }
}

impl Partition {
    /// Folds another version of this partition in (from another memtable or an SSTable):
    /// every cell, marker and deletion reconciled as if both had been applied here.
    pub fn merge(&mut self, other: Partition) {
        self.deletion = DeletionTime::merge(self.deletion, other.deletion);
        self.static_row.marker = Liveness::merge(self.static_row.marker, other.static_row.marker);
        self.static_row.deletion = DeletionTime::merge(self.static_row.deletion, other.static_row.deletion);
        self.static_row.apply_cells(other.static_row.cells);
        for (range, deletion) in other.range_deletions {
            self.apply_range_deletion(range, deletion);
        }
        for (key, row) in other.rows {
            match self.rows.get_mut(&key) {
                Some(mine) => {
                    mine.marker = Liveness::merge(mine.marker, row.marker);
                    mine.deletion = DeletionTime::merge(mine.deletion, row.deletion);
                    mine.apply_cells(row.cells);
                }
                None => {
                    self.rows.insert(key, row);
                }
            }
        }
    }

    /// A deep copy (memtable partitions are copied when merged with other sources).
    /// Removes the cells `dropped(column, timestamp)` says a column drop removed.
    pub fn remove_cells(&mut self, dropped: impl Fn(ColumnId, i64) -> bool) {
        for row in std::iter::once(&mut self.static_row).chain(self.rows.values_mut()) {
            row.cells.retain(|(column, cell)| !dropped(*column, cell.timestamp));
        }
    }

    pub fn to_owned_copy(&self) -> Partition {
        Partition {
            deletion: self.deletion,
            static_row: self.static_row.clone(),
            rows: self.rows.clone(),
            range_deletions: self.range_deletions.clone(),
        }
    }
}

#[cfg(test)]
mod merge_tests {
    use super::*;
    use crate::model::mutation::ClusteringKey;

    fn with_cell(key: &'static [u8], ts: i64, value: &'static [u8]) -> Partition {
        let mut p = Partition::default();
        p.apply_row(RowUpdate {
            clustering: ClusteringKey { sort_key: Bytes::from_static(key), values: vec![] },
            marker: None,
            deletion: None,
            cells: vec![(3, Cell::live(ts, Bytes::from_static(value), 0, 0))],
        });
        p
    }

    #[test]
    fn merge_reconciles_like_applying_both() {
        let mut a = with_cell(b"r", 1, b"old");
        a.merge(with_cell(b"r", 2, b"new"));
        assert_eq!(a.rows[&Bytes::from_static(b"r")].cell(3).unwrap().value.as_deref(), Some(&b"new"[..]));
        let mut b = with_cell(b"r", 2, b"new");
        b.merge(with_cell(b"r", 1, b"old"));
        assert_eq!(b.rows[&Bytes::from_static(b"r")].cell(3).unwrap().value.as_deref(), Some(&b"new"[..]));
        b.merge(with_cell(b"s", 1, b"x"));
        assert_eq!(b.rows.len(), 2);
    }
}

#[cfg(test)]
mod collection_tests {
    use super::*;

    fn element(ts: i64, path: &'static [u8], value: &'static [u8]) -> (ColumnId, Cell) {
        (2, Cell::live(ts, Bytes::from_static(value), 0, 0).at_path(Bytes::from_static(path)))
    }

    #[test]
    fn a_collection_tombstone_hides_only_older_elements() {
        let mut row = Row::default();
        row.apply_cells(vec![element(5, b"b", b"old"), element(9, b"c", b"new"), element(5, b"a", b"old")]);
        row.apply_cells(vec![(2, Cell::tombstone(6, 0)), (1, Cell::live(1, Bytes::from_static(b"x"), 0, 0))]);
        let live: Vec<&[u8]> = row.live_elements(2, None, 10).map(|c| c.path.as_deref().unwrap()).collect();
        assert_eq!(live, vec![&b"c"[..]]);
        assert_eq!(row.column_cells(2).len(), 4, "tombstone first, then three elements in path order");
        assert!(row.cell(2).is_some_and(|c| c.value.is_none()));
        assert!(row.is_live(None, 10));
        let mut only_old = Row::default();
        only_old.apply_cells(vec![element(5, b"a", b"old"), (2, Cell::tombstone(6, 0))]);
        assert!(!only_old.is_live(None, 10), "elements under the collection tombstone do not make a row live");
    }
}

impl Partition {
    /// The partition as one mutation that recreates it (every cell, marker and tombstone
    /// with its own timestamp): what a read repair sends to a stale replica, and the
    /// canonical form a replica's digest is computed over.
    pub fn into_mutation(self, table_id: uuid::Uuid, position: crate::model::mutation::PartitionPosition) -> Mutation {
        debug_assert!(
            self.static_row.marker.is_none() && self.static_row.deletion.is_none(),
            "static rows hold cells only"
        );
        Mutation {
            table_id,
            position,
            partition_deletion: self.deletion,
            static_cells: self.static_row.cells,
            rows: self
                .rows
                .into_iter()
                .map(|(sort_key, row)| RowUpdate {
                    clustering: ClusteringKey { sort_key, values: row.clustering },
                    marker: row.marker,
                    deletion: row.deletion,
                    cells: row.cells,
                })
                .collect(),
            range_deletions: self.range_deletions,
        }
    }

    /// The partition a mutation describes (the inverse of [`Partition::into_mutation`]).
    pub fn from_mutation(m: Mutation) -> Partition {
        let mut p = Partition { deletion: m.partition_deletion, ..Partition::default() };
        p.static_row.apply_cells(m.static_cells);
        for row in m.rows {
            p.apply_row(row);
        }
        for (range, deletion) in m.range_deletions {
            p.apply_range_deletion(range, deletion);
        }
        p
    }
}

#[cfg(test)]
mod mutation_tests {
    use super::*;
    use crate::model::mutation::{ClusteringBound, PartitionPosition};

    #[test]
    fn a_partition_rebuilt_from_its_mutation_is_the_same() {
        let mut p =
            Partition { deletion: Some(DeletionTime { marked_at: 3, local_deletion_time: 9 }), ..Default::default() };
        p.static_row.apply_cells(vec![(1, Cell::live(5, Bytes::from_static(b"s"), 0, 0))]);
        p.apply_row(RowUpdate {
            clustering: ClusteringKey {
                sort_key: Bytes::from_static(b"\x01k"),
                values: vec![Bytes::from_static(b"k")],
            },
            marker: Some(Liveness { timestamp: 7, ttl_seconds: 0, expires_at: u32::MAX }),
            deletion: None,
            cells: vec![(2, Cell::live(7, Bytes::from_static(b"v"), 0, 0))],
        });
        let range = ClusteringRange {
            start: ClusteringBound::Inclusive(Bytes::from_static(b"\x01a")),
            end: ClusteringBound::Exclusive(Bytes::from_static(b"\x01b")),
        };
        p.apply_range_deletion(range, DeletionTime { marked_at: 4, local_deletion_time: 9 });
        let position = PartitionPosition { token: 1, key: Bytes::from_static(b"pk") };
        let m = p.to_owned_copy().into_mutation(uuid::Uuid::nil(), position.clone());
        let rebuilt = Partition::from_mutation(m.clone());
        assert_eq!(rebuilt.into_mutation(uuid::Uuid::nil(), position), m);
    }
}
