//! Reading one page of one partition on the shard that owns it: the rows the replica's
//! merged partition holds, filtered, limited and encoded for the client.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;

use crate::coordinator;
use crate::coordinator::replica_plan::ReplicaPlan;
use crate::cql::error::CqlError;
use crate::cql::shard::Shard;
use crate::model::mutation::{ClusteringRange, PartitionPosition};
use crate::model::token::split_partition_key;
use crate::replica::slice::SliceCommand;
use crate::replica::{Partition, Row};
use crate::schema::TableDef;

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
    /// The level to read at through the coordinator; `None`: this node's data only (index
    /// tables, which each node keeps for its own data, and scans of local ranges).
    pub consistency: Option<u16>,
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

/// Reads one page of a partition on its owner (through the replica: memtables and every
/// SSTable that may hold it, merged).
pub async fn read_local(shard: &Shard, read: &PartitionRead) -> Result<ReadPage, CqlError> {
    let page = shard
        .replica
        .read_partition(&read.table, &read.position, |partition| match partition {
            Some(p) => read_partition(&read.table, &read.position, p, read),
            None => ReadPage::default(),
        })
        .await?;
    Ok(page)
}

/// Reads one page of a partition through the coordinator at the plan's level: the replicas'
/// pages reconciled, then filtered, limited and encoded here. A page the replicas cut short
/// (their live rows ran out at a key) says so, and the next page resumes after that key.
pub async fn read_coordinated(
    shard: &Rc<Shard>,
    read: &PartitionRead,
    plan: &ReplicaPlan,
) -> Result<ReadPage, CqlError> {
    let command = SliceCommand {
        position: read.position.clone(),
        range: read.range.clone(),
        reversed: read.reversed,
        start_after: read.start_after.clone(),
        live_rows_max: read.row_limit.clamp(1, u32::MAX as usize) as u32,
        now: read.now,
    };
    let slice = coordinator::read::read(&shard.coordinator, &read.table, command, plan).await?;
    let mut page = read_partition(&read.table, &read.position, &slice.partition, read);
    if let Some(stop) = slice.stopped_at {
        if !page.more {
            page.more = true;
            page.last_key = Some(stop);
        }
    }
    Ok(page)
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
