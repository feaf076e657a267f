//! Ring scans (SELECT without a partition key): every shard scans its own partitions from a
//! position in (token, key, clustering) order, and the coordinator merges the shards'
//! pages into one page in ring order — the order Cassandra returns.

use std::ops::ControlFlow;
use std::sync::Arc;

use bytes::Bytes;

use crate::cql::error::CqlError;
use crate::cql::shard::Shard;
use crate::model::mutation::{ClusteringRange, PartitionPosition};
pub use crate::model::token_bounds::TokenBounds;
use crate::replica::{Partition, ScanEnd};
use crate::schema::TableDef;

use super::filter::RowFilter;
use super::output::Output;
use super::partition::{read_partition, PartitionRead};

/// Where a scan resumes: after this partition, or within it after a clustering key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanPosition {
    pub partition: PartitionPosition,
    pub after_clustering: Option<Bytes>,
}

pub struct ScanRead {
    pub table: Arc<TableDef>,
    pub start: Option<ScanPosition>,
    pub tokens: TokenBounds,
    pub outputs: Arc<[Output]>,
    pub row_limit: usize,
    pub count_only: bool,
    pub now: u32,
    pub filters: Arc<[RowFilter]>,
    pub per_partition_limit: Option<usize>,
}

#[derive(Debug)]
pub struct ScanRow {
    pub partition: PartitionPosition,
    pub clustering: Bytes,
    pub cells: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct ScanPage {
    pub rows: Vec<ScanRow>,
    /// Rows counted (`COUNT(*)` scans return no rows, only this).
    pub count: u64,
    /// This shard has nothing after the last row returned.
    pub exhausted: bool,
    /// Bytes of encoded rows (a page stops at `PAGE_BYTES_MAX`).
    pub bytes: usize,
}

/// Scans this shard's partitions from `scan.start` through the replica (memtables and
/// SSTables merged), collecting rows until the page is full.
pub async fn scan_local(shard: &Shard, scan: &ScanRead) -> Result<ScanPage, CqlError> {
    let start = scan.start.as_ref().map(|s| (&s.partition, s.after_clustering.is_some()));
    let (mut page, end) = shard
        .replica
        .scan(&scan.table, start, scan.tokens, ScanPage::default, |page, position, partition| {
            let resume =
                scan.start.as_ref().filter(|s| s.partition == *position).and_then(|s| s.after_clustering.clone());
            let remaining = if scan.count_only { usize::MAX } else { scan.row_limit - page.rows.len() };
            let read = partition_read(scan, position, resume, remaining);
            if collect_rows(scan, position, partition, read, page) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .await?;
    page.exhausted = end == ScanEnd::Exhausted;
    Ok(page)
}

/// The read of one partition of a scan (this node's data, or a page its replicas' answers
/// were reconciled into).
pub(super) fn partition_read(
    scan: &ScanRead,
    position: &PartitionPosition,
    resume: Option<Bytes>,
    row_limit: usize,
) -> PartitionRead {
    PartitionRead {
        table: scan.table.clone(),
        position: position.clone(),
        range: ClusteringRange::ALL,
        reversed: false,
        outputs: scan.outputs.clone(),
        row_limit,
        start_after: resume,
        count_only: scan.count_only,
        now: scan.now,
        filters: scan.filters.clone(),
        per_partition_limit: scan.per_partition_limit,
        partition_rows_before: None,
        consistency: None,
    }
}

/// Adds the partition's rows to the page, one encoded row each; `true` once the page is full.
pub(super) fn collect_rows(
    scan: &ScanRead,
    position: &PartitionPosition,
    partition: &Partition,
    read: PartitionRead,
    page: &mut ScanPage,
) -> bool {
    if scan.count_only {
        page.count += read_partition(&scan.table, position, partition, &read).rows as u64;
        return false;
    }
    let mut single = PartitionRead { row_limit: 1, ..read };
    // Rows of this partition this shard returned before (a resumed scan counts them again).
    let mut taken = if single.start_after.is_some() { None } else { Some(0) };
    loop {
        single.partition_rows_before = taken;
        let one = read_partition(&scan.table, position, partition, &single);
        if one.rows == 0 {
            return false;
        }
        taken = taken.map(|n| n + 1);
        let clustering = one.last_key.clone().unwrap_or_default();
        page.bytes += one.content.len();
        page.rows.push(ScanRow { partition: position.clone(), clustering: clustering.clone(), cells: one.content });
        if page.rows.len() >= scan.row_limit || page.bytes >= crate::limits::PAGE_BYTES_MAX {
            return true;
        }
        if !one.more {
            return false;
        }
        single.start_after = Some(clustering);
    }
}
