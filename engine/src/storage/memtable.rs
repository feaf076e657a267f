//! A memtable: one table's partitions on one shard, in (token, key) order, with byte
//! accounting so the shard can bound its memory.

use std::collections::BTreeMap;
use std::ops::Bound;

use ahash::AHashMap;

use crate::model::mutation::{Mutation, PartitionPosition};

use super::partition::Partition;

#[derive(Debug, Default)]
pub struct Memtable {
    partitions: BTreeMap<PartitionPosition, Partition>,
    size_bytes: usize,
    /// How many applied mutations were logged in each commitlog segment: the segments
    /// this memtable keeps alive until it is flushed.
    commitlog_segments: AHashMap<u64, u64>,
}

impl Memtable {
    /// Applies a mutation; all of it becomes visible at once (the shard is single-threaded,
    /// so a partition's mutation is atomic and isolated).
    pub fn apply(&mut self, mut mutation: Mutation, commitlog_segment: Option<u64>) {
        // Never pin the request (or replay) buffer the values were decoded from.
        crate::model::rehome::rehome(&mut mutation);
        if let Some(segment) = commitlog_segment {
            *self.commitlog_segments.entry(segment).or_insert(0) += 1;
        }
        let mut delta = 0isize;
        let partition = self.partitions.entry(mutation.position).or_insert_with(|| {
            delta += std::mem::size_of::<Partition>() as isize;
            Partition::default()
        });
        partition.deletion = crate::model::cell::DeletionTime::merge(partition.deletion, mutation.partition_deletion);
        delta += partition.static_row.apply_cells(mutation.static_cells);
        for (range, deletion) in mutation.range_deletions {
            delta += partition.apply_range_deletion(range, deletion);
        }
        for row in mutation.rows {
            delta += partition.apply_row(row);
        }
        // Every negative delta is a replaced cell counted when it came in: the total never
        // goes below zero, and a bug that made it would otherwise hide as a clamp.
        let size = self.size_bytes as isize + delta;
        assert!(size >= 0, "memtable byte accounting went negative: {} + {delta}", self.size_bytes);
        self.size_bytes = size as usize;
    }

    pub fn partition(&self, position: &PartitionPosition) -> Option<&Partition> {
        self.partitions.get(position)
    }

    /// Partitions after `start` (exclusive when `inclusive` is false), in ring order.
    pub fn partitions_from<'a>(
        &'a self,
        start: Option<(&PartitionPosition, bool)>,
    ) -> impl Iterator<Item = (&'a PartitionPosition, &'a Partition)> + 'a {
        let lower = match start {
            None => Bound::Unbounded,
            Some((p, true)) => Bound::Included(p.clone()),
            Some((p, false)) => Bound::Excluded(p.clone()),
        };
        self.partitions.range((lower, Bound::Unbounded))
    }

    pub fn size_bytes(&self) -> usize {
        self.size_bytes
    }

    pub fn commitlog_segments(&self) -> &AHashMap<u64, u64> {
        &self.commitlog_segments
    }

    pub fn is_empty(&self) -> bool {
        self.partitions.is_empty()
    }

    pub fn partition_count(&self) -> usize {
        self.partitions.len()
    }
}
