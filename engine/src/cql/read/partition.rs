//! Reading one page of one partition on the shard that owns it.

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;

use crate::cql::error::CqlError;
use crate::metrics::ShardMetrics;
use crate::model::mutation::{ClusteringRange, PartitionPosition};
use crate::model::token::split_partition_key;
use crate::runtime::shard::Shard;
use crate::schema::TableDef;
use crate::storage::partition::Row;
use crate::storage::Partition;

use super::filter::{matches, RowFilter};
use super::output::{encode_row, has_live_static, Output, PartitionContext};

pub struct PartitionRead {
    pub table: Arc<TableDef>,
    pub position: PartitionPosition,
    pub range: ClusteringRange,
    pub reversed: bool,
    pub outputs: Arc<[Output]>,
    /// Rows to return at most in this page.
    pub row_limit: usize,
    /// Resume after this clustering sort key (paging).
    pub start_after: Option<Bytes>,
    /// Only count rows (`COUNT(*)`): nothing is encoded.
    pub count_only: bool,
    pub now: u32,
    /// Restrictions checked row by row (ALLOW FILTERING, clustering IN).
    pub filters: Arc<[RowFilter]>,
    /// `PER PARTITION LIMIT` (and DISTINCT's one row per partition).
    pub per_partition_limit: Option<usize>,
    /// Rows of this partition already returned before `start_after`, when the caller
    /// knows; otherwise they are counted again for the per-partition limit.
    pub partition_rows_before: Option<usize>,
}

#[derive(Debug, Default)]
pub struct ReadPage {
    pub content: Vec<u8>,
    pub rows: usize,
    /// Sort key of the last row returned, to resume from.
    pub last_key: Option<Bytes>,
    /// The page stopped at its limit: more rows may follow.
    pub more: bool,
}

/// Reads one partition on its owner: the memtables and every SSTable that may hold it,
/// merged. With only the active memtable holding it (the common case) nothing is copied.
pub async fn read_local(shard: &Shard, read: &PartitionRead) -> Result<ReadPage, CqlError> {
    for _ in 0..READ_RETRIES_MAX {
        let version = table_version(shard, &read.table);
        let merged = read_sstables(shard, &read.table, &read.position).await?;
        // A flush that installed its SSTable (or sealed a memtable) while we awaited would
        // hide data from this read: start over.
        if table_version(shard, &read.table) != version {
            continue;
        }
        return Ok(read_versions(shard, read, merged));
    }
    Err(CqlError::server(format!(
        "read of {}.{} kept racing memtable flushes; retry",
        read.table.keyspace, read.table.name
    )))
}

/// The whole partition as memtables and SSTables hold it together (empty if nowhere),
/// for read-modify-writes on the owner.
pub async fn read_merged(shard: &Shard, table: &TableDef, position: &PartitionPosition) -> Result<Partition, CqlError> {
    for _ in 0..READ_RETRIES_MAX {
        let version = table_version(shard, table);
        let merged = read_sstables(shard, table, position).await?;
        if table_version(shard, table) != version {
            continue;
        }
        let mut merged = merged.unwrap_or_default();
        let store = shard.store.borrow();
        if let Some(t) = store.table(&table.id) {
            for p in t.flushing.iter().filter_map(|m| m.partition(position)).chain(t.active.partition(position)) {
                merged.merge(p.to_owned_copy());
            }
        }
        if table.has_dropped_columns() {
            merged.remove_cells(|column, ts| table.column(column).drop_shadows(ts));
        }
        return Ok(merged);
    }
    Err(CqlError::server(format!("read of {}.{} kept racing memtable flushes; retry", table.keyspace, table.name)))
}

/// Times a read restarts because memtables or SSTables moved while it awaited I/O.
const READ_RETRIES_MAX: usize = 16;

pub fn table_version(shard: &Shard, table: &TableDef) -> Option<u64> {
    shard.store.borrow().table(&table.id).map(|t| t.version)
}

/// Merges the SSTable version (already read) with the memtables, synchronously.
fn read_versions(shard: &Shard, read: &PartitionRead, merged: Option<Partition>) -> ReadPage {
    let store = shard.store.borrow();
    let Some(table) = store.table(&read.table.id) else {
        return match &merged {
            Some(p) => read_partition(&read.table, &read.position, p, read),
            None => ReadPage::default(),
        };
    };
    let sealed: Vec<&Partition> = table.flushing.iter().filter_map(|m| m.partition(&read.position)).collect();
    let active = table.active.partition(&read.position);
    if merged.is_none() && sealed.is_empty() {
        return active.map_or_else(ReadPage::default, |p| read_partition(&read.table, &read.position, p, read));
    }
    let mut merged = merged.unwrap_or_default();
    for p in sealed.into_iter().chain(active) {
        merged.merge(p.to_owned_copy());
    }
    read_partition(&read.table, &read.position, &merged, read)
}

/// The partition as the table's SSTables hold it (merged), if any holds it.
pub async fn read_sstables(
    shard: &Shard,
    table: &TableDef,
    position: &PartitionPosition,
) -> Result<Option<Partition>, CqlError> {
    let readers: Vec<_> = match shard.store.borrow().table(&table.id) {
        Some(t) => t.sstables.iter().filter(|s| s.may_hold(position)).map(|s| s.reader.clone()).collect(),
        None => return Ok(None),
    };
    let metrics = shard.metrics();
    ShardMetrics::inc(&metrics.partition_reads);
    metrics.partition_read_sstables.fetch_add(readers.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let mut merged: Option<Partition> = None;
    for reader in readers {
        let found = reader.read_partition(position).await.map_err(|e| {
            tracing::error!("shard {}: read of {}.{} failed: {e}", shard.id, table.keyspace, table.name);
            CqlError::server(format!("read failed: {e}"))
        })?;
        if let Some(p) = found {
            match &mut merged {
                Some(m) => m.merge(p),
                None => merged = Some(p),
            }
        }
    }
    Ok(merged)
}

pub fn partition_context<'a>(
    table: &'a TableDef,
    position: &'a PartitionPosition,
    partition: &'a Partition,
    now: u32,
) -> PartitionContext<'a> {
    PartitionContext {
        table,
        key_components: split_partition_key(&position.key, table.partition_key.len()).unwrap_or_default(),
        token: position.token,
        static_row: &partition.static_row,
        partition_deletion: partition.deletion,
        now,
    }
}

/// Rows of the partition returned up to and including `after` (at most `limit`).
fn rows_through(
    partition: &Partition,
    ctx: &PartitionContext<'_>,
    read: &PartitionRead,
    after: &[u8],
    limit: usize,
) -> usize {
    let mut n = 0;
    for (key, row) in partition.rows_in(&read.range, read.reversed, None) {
        let row = visible_row(ctx.table, row);
        let row = &*row;
        let deletion = row.effective_deletion(partition.deletion_for(key));
        if row.is_live(deletion, read.now) && matches(ctx, Some((row, deletion)), &read.filters) {
            n += 1;
        }
        if &key[..] == after || n >= limit {
            break;
        }
    }
    n
}

/// Reads up to `row_limit` live rows of `partition` (shared with ring scans). Cells of
/// dropped columns are left out row by row: only a row holding such cells is copied
/// without them, so a table that once had a column dropped reads at the same cost.
pub fn read_partition(
    table: &TableDef,
    position: &PartitionPosition,
    partition: &Partition,
    read: &PartitionRead,
) -> ReadPage {
    read_visible_partition(table, position, partition, read)
}

/// A row as reads see it: without the cells a column drop removed (a copy only when it
/// holds some).
fn visible_row<'a>(table: &TableDef, row: &'a Row) -> Cow<'a, Row> {
    if !table.has_dropped_columns() || !row.cells.iter().any(|(c, cell)| table.column(*c).drop_shadows(cell.timestamp))
    {
        return Cow::Borrowed(row);
    }
    let mut visible = row.clone();
    visible.cells.retain(|(c, cell)| !table.column(*c).drop_shadows(cell.timestamp));
    Cow::Owned(visible)
}

fn read_visible_partition(
    table: &TableDef,
    position: &PartitionPosition,
    partition: &Partition,
    read: &PartitionRead,
) -> ReadPage {
    let static_row = visible_row(table, &partition.static_row);
    let ctx = PartitionContext { static_row: &static_row, ..partition_context(table, position, partition, read.now) };
    let mut page = ReadPage::default();
    if read.row_limit == 0 {
        page.more = true;
        return page;
    }
    let mut partition_budget = read.per_partition_limit.map(|limit| {
        let before = match (read.partition_rows_before, &read.start_after) {
            (Some(n), _) => n,
            (None, None) => 0,
            (None, Some(after)) => rows_through(partition, &ctx, read, after, limit),
        };
        limit.saturating_sub(before)
    });
    for (key, row) in partition.rows_in(&read.range, read.reversed, read.start_after.as_deref()) {
        let row = visible_row(table, row);
        let row = &*row;
        let deletion = row.effective_deletion(partition.deletion_for(key));
        if !row.is_live(deletion, read.now) || !matches(&ctx, Some((row, deletion)), &read.filters) {
            continue;
        }
        match &mut partition_budget {
            Some(0) => return page,
            Some(n) => *n -= 1,
            None => {}
        }
        if !read.count_only {
            encode_row(&ctx, Some((row, deletion)), &read.outputs, &mut page.content);
        }
        page.rows += 1;
        page.last_key = Some(key.clone());
        if page.rows >= read.row_limit || page.content.len() >= crate::limits::PAGE_BYTES_MAX {
            page.more = true;
            return page;
        }
    }
    // A partition with static cells but no rows shows one row of static values.
    let whole_partition = read.range == ClusteringRange::ALL && read.start_after.is_none();
    if page.rows == 0
        && whole_partition
        && table.has_static_columns()
        && has_live_static(&ctx)
        && partition_budget != Some(0)
        && matches(&ctx, None, &read.filters)
    {
        if !read.count_only {
            encode_row(&ctx, None, &read.outputs, &mut page.content);
        }
        page.rows = 1;
        page.last_key = Some(Bytes::new());
    }
    page
}
