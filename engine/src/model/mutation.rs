//! Mutations: what one write statement does to one partition. A mutation is plain owned
//! data (`Send`), built on the coordinator shard and applied by the partition's owner shard.

use bytes::Bytes;
use uuid::Uuid;

use super::cell::{Cell, DeletionTime, Liveness};
use super::token::Token;

/// Index of a column in its table's column list.
pub type ColumnId = u16;

/// A partition's identity on its shard: ordered by token, then by key bytes (Cassandra's
/// order for keys that share a token).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionPosition {
    pub token: Token,
    pub key: Bytes,
}

/// A row's clustering key: the byte-comparable sort key and the serialized values it was
/// built from (needed to return the clustering columns to clients).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusteringKey {
    pub sort_key: Bytes,
    pub values: Vec<Bytes>,
}

/// One end of a clustering range over byte-comparable prefixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusteringBound {
    Unbounded,
    /// As a start: from the first key that starts with the prefix (or is greater).
    /// As an end: through the last key that starts with the prefix.
    Inclusive(Bytes),
    /// As a start: after every key that starts with the prefix.
    /// As an end: before the first key that starts with the prefix.
    Exclusive(Bytes),
}

/// A slice of rows in storage order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusteringRange {
    pub start: ClusteringBound,
    pub end: ClusteringBound,
}

impl ClusteringRange {
    pub const ALL: ClusteringRange =
        ClusteringRange { start: ClusteringBound::Unbounded, end: ClusteringBound::Unbounded };

    pub fn prefix(prefix: Bytes) -> ClusteringRange {
        ClusteringRange { start: ClusteringBound::Inclusive(prefix.clone()), end: ClusteringBound::Inclusive(prefix) }
    }

    pub fn is_after_start(&self, key: &[u8]) -> bool {
        match &self.start {
            ClusteringBound::Unbounded => true,
            ClusteringBound::Inclusive(p) => key >= &p[..],
            ClusteringBound::Exclusive(p) => key > &p[..] && !key.starts_with(p),
        }
    }

    pub fn is_before_end(&self, key: &[u8]) -> bool {
        match &self.end {
            ClusteringBound::Unbounded => true,
            ClusteringBound::Inclusive(p) => key <= &p[..] || key.starts_with(p),
            ClusteringBound::Exclusive(p) => key < &p[..],
        }
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.is_after_start(key) && self.is_before_end(key)
    }
}

/// Changes to one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowUpdate {
    pub clustering: ClusteringKey,
    /// Set by INSERT: the row exists even when all its regular cells are null.
    pub marker: Option<Liveness>,
    pub deletion: Option<DeletionTime>,
    pub cells: Vec<(ColumnId, Cell)>,
}

/// Everything one statement (or one batch) writes to one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutation {
    pub table_id: Uuid,
    pub position: PartitionPosition,
    pub partition_deletion: Option<DeletionTime>,
    pub static_cells: Vec<(ColumnId, Cell)>,
    pub rows: Vec<RowUpdate>,
    pub range_deletions: Vec<(ClusteringRange, DeletionTime)>,
}

impl Mutation {
    pub fn new(table_id: Uuid, position: PartitionPosition) -> Mutation {
        Mutation {
            table_id,
            position,
            partition_deletion: None,
            static_cells: Vec::new(),
            rows: Vec::new(),
            range_deletions: Vec::new(),
        }
    }

    /// Folds another mutation of the same partition into this one (batches).
    pub fn merge(&mut self, other: Mutation) {
        debug_assert_eq!(self.position, other.position);
        self.partition_deletion = DeletionTime::merge(self.partition_deletion, other.partition_deletion);
        // One cell per static column and path: the reconciled one (a batch may set one many
        // times).
        for (column, cell) in other.static_cells {
            match self.static_cells.iter_mut().find(|(c, mine)| *c == column && mine.path == cell.path) {
                Some((_, mine)) if cell.supersedes(mine) => *mine = cell,
                Some(_) => {}
                None => self.static_cells.push((column, cell)),
            }
        }
        self.rows.extend(other.rows);
        self.range_deletions.extend(other.range_deletions);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_range_contains_exactly_the_prefixed_keys() {
        let r = ClusteringRange::prefix(Bytes::from_static(b"\x01a\x00"));
        assert!(r.contains(b"\x01a\x00"));
        assert!(r.contains(b"\x01a\x00\x01\x05"));
        assert!(!r.contains(b"\x01a\x00\xff\x00"[..2].as_ref()));
        assert!(!r.contains(b"\x01b\x00"));
    }

    #[test]
    fn exclusive_bounds_skip_the_prefix() {
        let r = ClusteringRange {
            start: ClusteringBound::Exclusive(Bytes::from_static(b"\x01b")),
            end: ClusteringBound::Exclusive(Bytes::from_static(b"\x01d")),
        };
        assert!(!r.contains(b"\x01b"));
        assert!(!r.contains(b"\x01b\x07"));
        assert!(r.contains(b"\x01c"));
        assert!(!r.contains(b"\x01d"));
    }
}
