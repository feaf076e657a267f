//! What storage needs to know of a table, and nothing more: where its SSTables live, how
//! they are written (compression, bloom filter), how long tombstones are kept, and which
//! dropped columns' cells are gone. Built from the table's definition by the replica, so
//! storage knows no schema statements or definitions.

use uuid::Uuid;

use crate::model::mutation::ColumnId;

use super::sstable::Compression;

#[derive(Debug, Clone)]
pub struct StorageOptions {
    pub id: Uuid,
    pub keyspace: String,
    pub name: String,
    pub compression: Compression,
    pub bloom_filter_fp_chance: f64,
    /// Tombstones are kept at least this long (`gc_grace_seconds`).
    pub gc_grace_seconds: i32,
    /// Dropped columns and the timestamp at or below which their cells are gone.
    pub dropped_columns: Vec<(ColumnId, i64)>,
}

impl StorageOptions {
    /// Whether a column drop hid a cell of `column` written at `timestamp`.
    pub fn drop_shadows(&self, column: ColumnId, timestamp: i64) -> bool {
        self.dropped_columns.iter().any(|&(c, dropped_at)| c == column && timestamp <= dropped_at)
    }

    pub fn has_dropped_columns(&self) -> bool {
        !self.dropped_columns.is_empty()
    }
}
