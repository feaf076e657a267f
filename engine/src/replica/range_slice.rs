//! A page of a token range as this shard stores it: the partitions of the range in ring
//! order, each as a [`PartitionSlice`] (cells with timestamps, tombstones), until a number
//! of live rows — for coordinators that reconcile several replicas' answers to a range
//! scan. Where the page stopped bounds what it speaks for, as for one partition.

use std::ops::ControlFlow;

use bytes::Bytes;

use crate::model::mutation::{ClusteringRange, PartitionPosition};
use crate::model::token_bounds::TokenBounds;
use crate::schema::TableDef;

use super::slice::{slice_of, PartitionSlice, SliceCommand};
use super::{Replica, ReplicaError, ScanEnd};

/// Bytes of row data after which a range page stops even below its row limit.
pub const RANGE_PAGE_BYTES_MAX: usize = crate::limits::PAGE_BYTES_MAX;

/// What one replica is asked to read of a token range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeCommand {
    pub tokens: TokenBounds,
    /// Resume after this partition (`None`: from the range's start), within it after the
    /// clustering key when one is given.
    pub start: Option<(PartitionPosition, Option<Bytes>)>,
    pub live_rows_max: u32,
    /// The coordinator's clock (seconds).
    pub now: u32,
}

/// Where a range page stopped: the last partition it holds and, when it stopped inside it,
/// the clustering key of its last live row.
pub type RangeStop = (PartitionPosition, Option<Bytes>);

/// A range page: partitions in ring order, and where it stopped (`None`: the range is done).
#[derive(Debug, Default)]
pub struct RangePage {
    pub partitions: Vec<(PartitionPosition, PartitionSlice)>,
    pub stopped_at: Option<RangeStop>,
}

/// The state of a scan collecting slices.
#[derive(Default)]
struct Collected {
    page: RangePage,
    live: u32,
    bytes: usize,
}

impl Replica {
    /// This shard's page of `command`'s range of `table`.
    pub async fn scan_slices(&self, table: &TableDef, command: &RangeCommand) -> Result<RangePage, ReplicaError> {
        let resume = command.start.as_ref();
        // Within the resumed partition the page goes on after its clustering key; a partition
        // done before is excluded.
        let start = resume.map(|(p, after)| (p, after.is_some()));
        let (mut collected, end) = self
            .scan(table, start, command.tokens, Collected::default, |state, position, partition| {
                let start_after = resume.filter(|(p, _)| p == position).and_then(|(_, after)| after.clone());
                let slice = slice_of(
                    partition,
                    &SliceCommand {
                        position: position.clone(),
                        range: ClusteringRange::ALL,
                        reversed: false,
                        start_after,
                        live_rows_max: command.live_rows_max - state.live,
                        now: command.now,
                    },
                );
                let live = slice
                    .partition
                    .rows
                    .iter()
                    .filter(|(k, r)| r.is_live(r.effective_deletion(slice.partition.deletion_for(k)), command.now))
                    .count() as u32;
                state.live += live;
                state.bytes += slice
                    .partition
                    .rows
                    .values()
                    .map(|r| r.cells.iter().map(|(_, c)| c.size_bytes()).sum::<usize>())
                    .sum::<usize>();
                let stopped = slice.stopped_at.clone();
                state.page.partitions.push((position.clone(), slice));
                if stopped.is_some() || state.live >= command.live_rows_max || state.bytes >= RANGE_PAGE_BYTES_MAX {
                    state.page.stopped_at = Some((position.clone(), stopped));
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            })
            .await?;
        if end == ScanEnd::Exhausted {
            collected.page.stopped_at = None;
        }
        if table.has_dropped_columns() {
            for (_, slice) in &mut collected.page.partitions {
                slice.partition.remove_cells(|column, ts| table.column(column).drop_shadows(ts));
            }
        }
        Ok(collected.page)
    }
}
