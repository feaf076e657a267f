//! A page's worth of one partition as this replica stores it — every cell with its
//! timestamp, the row and range tombstones, the static row — for coordinators that compare
//! and reconcile the answers of several replicas (Cassandra's `ReadCommand` answered with
//! unfiltered data, or with a digest of it).
//!
//! A slice counts live rows as the page would (at the coordinator's `now`) and stops after
//! `live_rows_max` of them, keeping the dead rows in between: a row another replica still
//! holds live may be deleted here, and the coordinator must see that tombstone. The key it
//! stopped at bounds what the slice speaks for: past it, the replica said nothing.

use bytes::Bytes;

use crate::model::mutation::{ClusteringRange, Mutation, PartitionPosition};
use crate::model::mutation_codec;
use crate::schema::TableDef;
use crate::storage::Partition;

use super::{Replica, ReplicaError};

/// What one replica is asked to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceCommand {
    pub position: PartitionPosition,
    pub range: ClusteringRange,
    pub reversed: bool,
    /// Resume strictly after this clustering sort key (in the direction of the read).
    pub start_after: Option<Bytes>,
    /// Live rows after which the slice stops.
    pub live_rows_max: u32,
    /// The coordinator's clock (seconds), so every replica judges TTLs alike.
    pub now: u32,
}

/// A replica's answer: the partition restricted to the page, and where it stopped.
#[derive(Debug, Default)]
pub struct PartitionSlice {
    pub partition: Partition,
    /// The slice holds `live_rows_max` live rows, the last at this key: rows after it were
    /// not looked at.
    pub stopped_at: Option<Bytes>,
}

impl PartitionSlice {
    /// The slice as one mutation (what travels, and what a read repair applies).
    pub fn to_mutation(&self, table: &TableDef, position: &PartitionPosition) -> Mutation {
        self.partition.to_owned_copy().into_mutation(table.id, position.clone())
    }

    /// A digest of everything the slice holds (timestamps and tombstones included): equal
    /// digests mean the replicas agree on this page. xxh3-128 of the mutation encoding.
    pub fn digest(&self, table: &TableDef, position: &PartitionPosition) -> u128 {
        self.encode_with_digest(table, position).1
    }

    /// The slice's mutation encoding (what a data answer carries) and its digest, from one
    /// encoding.
    pub fn encode_with_digest(&self, table: &TableDef, position: &PartitionPosition) -> (Vec<u8>, u128) {
        let mut bytes = Vec::new();
        mutation_codec::encode(&self.to_mutation(table, position), &mut bytes);
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.update(&bytes);
        if let Some(stop) = &self.stopped_at {
            hasher.update(stop);
        }
        (bytes, hasher.digest128())
    }
}

impl Replica {
    /// Reads one page of a partition as stored (on the partition's owner shard).
    pub async fn read_slice(&self, table: &TableDef, command: &SliceCommand) -> Result<PartitionSlice, ReplicaError> {
        let mut slice = self
            .read_partition(table, &command.position, |partition| match partition {
                Some(p) => slice_of(p, command),
                None => PartitionSlice::default(),
            })
            .await?;
        if table.has_dropped_columns() {
            slice.partition.remove_cells(|column, ts| table.column(column).drop_shadows(ts));
        }
        Ok(slice)
    }
}

/// The rows of `command`'s page, dead ones included, up to its live-row limit.
pub fn slice_of(partition: &Partition, command: &SliceCommand) -> PartitionSlice {
    let mut out = Partition {
        deletion: partition.deletion,
        static_row: partition.static_row.clone(),
        rows: Default::default(),
        range_deletions: partition.range_deletions.clone(),
    };
    let mut live = 0u32;
    let mut stopped_at = None;
    for (key, row) in partition.rows_in(&command.range, command.reversed, command.start_after.as_deref()) {
        out.rows.insert(key.clone(), row.clone());
        let deletion = row.effective_deletion(partition.deletion_for(key));
        if row.is_live(deletion, command.now) {
            live += 1;
            if live >= command.live_rows_max {
                stopped_at = Some(key.clone());
                break;
            }
        }
    }
    PartitionSlice { partition: out, stopped_at }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cell::{Cell, DeletionTime};
    use crate::model::mutation::{ClusteringKey, RowUpdate};

    fn row(key: &'static [u8], ts: i64) -> RowUpdate {
        RowUpdate {
            clustering: ClusteringKey { sort_key: Bytes::from_static(key), values: vec![] },
            marker: None,
            deletion: None,
            cells: vec![(1, Cell::live(ts, Bytes::from_static(b"v"), 0, 0))],
        }
    }

    fn command(limit: u32) -> SliceCommand {
        SliceCommand {
            position: PartitionPosition { token: 0, key: Bytes::from_static(b"k") },
            range: ClusteringRange::ALL,
            reversed: false,
            start_after: None,
            live_rows_max: limit,
            now: 100,
        }
    }

    #[test]
    fn dead_rows_travel_and_the_limit_counts_live_rows_only() {
        let mut p = Partition::default();
        p.apply_row(row(b"a", 1));
        p.apply_row(RowUpdate {
            deletion: Some(DeletionTime { marked_at: 5, local_deletion_time: 1 }),
            ..row(b"b", 1)
        });
        p.apply_row(row(b"c", 1));
        p.apply_row(row(b"d", 1));
        let slice = slice_of(&p, &command(2));
        assert_eq!(slice.partition.rows.keys().map(|k| &k[..]).collect::<Vec<_>>(), [&b"a"[..], b"b", b"c"]);
        assert_eq!(slice.stopped_at.as_deref(), Some(&b"c"[..]));
        let whole = slice_of(&p, &command(10));
        assert_eq!(whole.partition.rows.len(), 4);
        assert_eq!(whole.stopped_at, None);
    }
}
