//! Ring scans (SELECT without a partition key): every shard scans its own partitions from a
//! position in (token, key, clustering) order, and the coordinator merges the shards'
//! pages into one page in ring order — the order Cassandra returns.

use std::sync::Arc;

use bytes::Bytes;

use crate::cql::error::CqlError;
use crate::model::mutation::{ClusteringRange, PartitionPosition};
use crate::runtime::shard::Shard;
use crate::schema::TableDef;
use crate::storage::sstable::SstableScanner;
use crate::storage::Partition;

use super::filter::RowFilter;
use super::output::Output;
use super::partition::{read_partition, PartitionRead};

/// Where a scan resumes: after this partition, or within it after a clustering key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanPosition {
    pub partition: PartitionPosition,
    pub after_clustering: Option<Bytes>,
}

/// Token bounds of a scan (`token(k) > x`), each `(token, inclusive)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenBounds {
    pub lower: Option<(i64, bool)>,
    pub upper: Option<(i64, bool)>,
}

impl TokenBounds {
    fn below_lower(&self, t: i64) -> bool {
        self.lower.is_some_and(|(l, incl)| if incl { t < l } else { t <= l })
    }

    fn above_upper(&self, t: i64) -> bool {
        self.upper.is_some_and(|(u, incl)| if incl { t > u } else { t >= u })
    }

    /// Whether `t` lies within both bounds.
    pub fn contains(&self, t: i64) -> bool {
        !self.below_lower(t) && !self.above_upper(t)
    }
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

/// One source of partitions for a scan, positioned at its next partition.
struct SstableCursor {
    scanner: SstableScanner,
    foreign: bool,
    head: Option<(PartitionPosition, Partition)>,
}

impl SstableCursor {
    /// Moves to the next partition this shard owns at or after `from`.
    async fn advance(&mut self, shard: &Shard, from: Option<(&PartitionPosition, bool)>) -> Result<(), CqlError> {
        loop {
            self.head =
                self.scanner.next_partition().await.map_err(|e| CqlError::server(format!("scan failed: {e}")))?;
            let Some((position, _)) = &self.head else { return Ok(()) };
            let before =
                from.is_some_and(|(start, inclusive)| if inclusive { position < start } else { position <= start });
            let not_mine = self.foreign && shard.owner_of(position.token) != shard.id;
            if !before && !not_mine {
                return Ok(());
            }
        }
    }
}

/// Scans this shard's partitions from `scan.start`, merging memtables and SSTables; starts
/// over if memtables or SSTables moved (a flush) while the scan awaited SSTable reads.
pub async fn scan_local(shard: &Shard, scan: &ScanRead) -> Result<ScanPage, CqlError> {
    for _ in 0..SCAN_RETRIES_MAX {
        let version = super::partition::table_version(shard, &scan.table);
        let page = scan_once(shard, scan).await?;
        if super::partition::table_version(shard, &scan.table) == version {
            return Ok(page);
        }
    }
    Err(CqlError::server(format!(
        "scan of {}.{} kept racing memtable flushes; retry",
        scan.table.keyspace, scan.table.name
    )))
}

/// Times a scan page restarts because memtables or SSTables moved meanwhile.
const SCAN_RETRIES_MAX: usize = 8;

async fn scan_once(shard: &Shard, scan: &ScanRead) -> Result<ScanPage, CqlError> {
    let start = scan.start.as_ref().map(|s| (&s.partition, s.after_clustering.is_some()));
    let readers: Vec<(std::rc::Rc<crate::storage::sstable::SstableReader>, bool)> =
        match shard.store.borrow().table(&scan.table.id) {
            Some(t) => t.sstables.iter().map(|s| (s.reader.clone(), s.foreign)).collect(),
            None => return Ok(ScanPage { exhausted: true, ..ScanPage::default() }),
        };
    let mut cursors = Vec::with_capacity(readers.len());
    for (reader, foreign) in readers {
        // Resume where the previous page stopped (summary + index seek), not at the start.
        let scanner = match start {
            Some((position, _)) => {
                reader.scan_from(position).await.map_err(|e| CqlError::server(format!("scan failed: {e}")))?
            }
            None => reader.scan(),
        };
        let mut cursor = SstableCursor { scanner, foreign, head: None };
        cursor.advance(shard, start).await?;
        cursors.push(cursor);
    }
    let mut page = ScanPage { exhausted: true, ..ScanPage::default() };
    // `cursor`: the last partition handled (exclusive), or the scan's start.
    let mut cursor: Option<(PartitionPosition, bool)> = start.map(|(p, incl)| (p.clone(), incl));
    loop {
        // The next partition position over all sources.
        let next_in_memtables = {
            let store = shard.store.borrow();
            let Some(t) = store.table(&scan.table.id) else { break };
            std::iter::once(&t.active)
                .chain(t.flushing.iter().map(|m| m.as_ref()))
                .filter_map(|m| m.partitions_from(cursor.as_ref().map(|(p, i)| (p, *i))).next().map(|(p, _)| p.clone()))
                .min()
        };
        let next_in_sstables = cursors.iter().filter_map(|c| c.head.as_ref().map(|(p, _)| p.clone())).min();
        let Some(position) = [next_in_memtables, next_in_sstables].into_iter().flatten().min() else { break };
        if scan.tokens.above_upper(position.token) {
            break;
        }
        // Gather every version of the partition (SSTable cursors move past it).
        let mut merged: Option<Partition> = None;
        for c in cursors.iter_mut() {
            if c.head.as_ref().is_some_and(|(p, _)| *p == position) {
                if let Some((_, p)) = c.head.take() {
                    match &mut merged {
                        Some(m) => m.merge(p),
                        None => merged = Some(p),
                    }
                }
                c.advance(shard, Some((&position, false))).await?;
            }
        }
        if scan.tokens.below_lower(position.token) {
            cursor = Some((position, false));
            continue;
        }
        let resume = scan.start.as_ref().filter(|s| s.partition == position).and_then(|s| s.after_clustering.clone());
        let remaining = if scan.count_only { usize::MAX } else { scan.row_limit - page.rows.len() };
        let read = PartitionRead {
            table: scan.table.clone(),
            position: position.clone(),
            range: ClusteringRange::ALL,
            reversed: false,
            outputs: scan.outputs.clone(),
            row_limit: remaining,
            start_after: resume,
            count_only: scan.count_only,
            now: scan.now,
            filters: scan.filters.clone(),
            per_partition_limit: scan.per_partition_limit,
            partition_rows_before: None,
        };
        let full = {
            let store = shard.store.borrow();
            let t = store.table(&scan.table.id);
            let versions: Vec<&Partition> = t
                .map(|t| {
                    std::iter::once(&t.active)
                        .chain(t.flushing.iter().map(|m| m.as_ref()))
                        .filter_map(|m| m.partition(&position))
                        .collect()
                })
                .unwrap_or_default();
            match (merged, versions.as_slice()) {
                (None, [only]) => collect_rows(scan, &position, only, read, &mut page),
                (merged, versions) => {
                    let mut m = merged.unwrap_or_default();
                    for v in versions {
                        m.merge(v.to_owned_copy());
                    }
                    collect_rows(scan, &position, &m, read, &mut page)
                }
            }
        };
        if full {
            page.exhausted = false;
            return Ok(page);
        }
        cursor = Some((position, false));
    }
    Ok(page)
}

/// Adds the partition's rows to the page, one encoded row each; `true` once the page is full.
fn collect_rows(
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
