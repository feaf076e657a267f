//! The coordinator of a SELECT: binds the plan, reads the partitions it names from their
//! owner shards (or scans every shard), and assembles one page with its paging state.

use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;
use futures::future::try_join_all;
use percore_protocol::response::RowsMetadata;
use percore_protocol::types::CqlType;

use crate::coordinator::range_read;
use crate::coordinator::replica_plan::Placement;
use crate::cql::bind::{BoundValues, Evaluated};
use crate::cql::error::CqlError;
use crate::cql::functions::now_seconds;
use crate::cql::keys::{partition_position, slice_range};
use crate::cql::result::RowsResult;
use crate::cql::shard::Shard;
use crate::cql::statement::restrictions::{partition_keys, Slice};
use crate::cql::statement::select::SelectPlan;
use crate::cql::system_tables;
use crate::limits;
use crate::model::mutation::PartitionPosition;
use crate::replica::range_slice::RangeCommand;
use crate::runtime::metrics::ShardMetrics;

use super::filter::{bind_filters, RowFilter};
use super::paging::{PagingState, Resume};
use super::partition::{read_coordinated, read_local, PartitionRead, ReadPage};
use super::scan::{collect_rows, partition_read, scan_local, ScanPage, ScanPosition, ScanRead, TokenBounds};

/// Live rows per coordinated range page while counting (`COUNT(*)` of a whole table).
const COUNT_PAGE_ROWS: u32 = 10_000;

/// Paging parameters of the request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub page_size: Option<i32>,
    pub paging_state: Option<Bytes>,
    pub skip_metadata: bool,
    /// The request's consistency level.
    pub consistency: u16,
}

/// Rows of the page to produce, and the LIMIT left after previous pages.
pub struct PageBudget {
    pub rows: usize,
    pub remaining: Option<u32>,
    pub resume: Option<Resume>,
    pub consistency: u16,
}

pub fn page_budget(plan: &SelectPlan, values: &BoundValues, page: &PageRequest) -> Result<PageBudget, CqlError> {
    budget_with(plan, values, page, true)
}

fn budget_with(
    plan: &SelectPlan,
    values: &BoundValues,
    page: &PageRequest,
    use_limit: bool,
) -> Result<PageBudget, CqlError> {
    let limit = match plan.limit.as_ref().filter(|_| use_limit) {
        Some(e) => match e.eval_i32(values, "limit")? {
            Some(n) if n <= 0 => return Err(CqlError::invalid("LIMIT must be strictly positive".into())),
            n => n.map(|n| n as u32),
        },
        None => None,
    };
    let state = page.paging_state.as_ref().map(PagingState::decode).transpose()?;
    let remaining = match &state {
        Some(s) => s.remaining,
        None => limit,
    };
    let page_size = page
        .page_size
        .filter(|&n| n > 0)
        .map_or(limits::UNPAGED_ROWS_MAX, |n| (n as usize).min(limits::UNPAGED_ROWS_MAX));
    let rows = remaining.map_or(page_size, |r| page_size.min(r as usize));
    Ok(PageBudget { rows, remaining, resume: state.map(|s| s.resume), consistency: page.consistency })
}

pub async fn execute(
    shard: &Rc<Shard>,
    plan: &SelectPlan,
    values: &BoundValues,
    page: &PageRequest,
) -> Result<RowsResult, CqlError> {
    if plan.table.is_virtual {
        return system_tables::select(shard, plan, values, page);
    }
    if let Some(aggregate) = &plan.aggregate {
        let mut rows = super::aggregate::execute(shard, plan, aggregate, values, page).await?;
        if let Some(json) = &plan.projection {
            rows.content = super::projection::project(json, aggregate.columns.len(), &rows.content, values)?;
        }
        return Ok(rows);
    }
    let mut rows = execute_rows(shard, plan, values, page, true).await?;
    if let Some(projection) = &plan.projection {
        rows.content = super::projection::project(projection, plan.outputs.len(), &rows.content, values)?;
    }
    Ok(rows)
}

/// One page of the rows a plan selects (its LIMIT applied or not: aggregates limit groups).
pub async fn execute_rows(
    shard: &Rc<Shard>,
    plan: &SelectPlan,
    values: &BoundValues,
    page: &PageRequest,
    use_limit: bool,
) -> Result<RowsResult, CqlError> {
    let budget = budget_with(plan, values, page, use_limit)?;
    if plan.ordered_partition_in && page.page_size.is_some_and(|n| n > 0) {
        return Err(CqlError::invalid(
            "Cannot page queries with both ORDER BY and a IN restriction on the partition key; you must either \
             remove the ORDER BY or the IN and sort client side, or disable paging for this query"
                .into(),
        ));
    }
    let (content, rows, next) = if plan.count {
        let n = count(shard, plan, values, page.consistency).await?;
        let mut content = Vec::new();
        percore_protocol::wire::write_bytes(&mut content, Some(&(n as i64).to_be_bytes()[..]));
        (content, 1, None)
    } else if let Some(index) = &plan.index {
        super::index_read::read(
            shard,
            plan,
            index,
            values,
            super::index_read::IndexPage {
                rows_wanted: budget.rows,
                resume: budget.resume.as_ref(),
                count_only: false,
                level: budget.consistency,
            },
        )
        .await?
    } else if plan.restrictions.partition.is_some() {
        read_partitions(shard, plan, values, &budget).await?
    } else {
        scan(shard, plan, values, &budget).await?
    };
    let paging_state = next.map(|resume| {
        let remaining = budget.remaining.map(|r| r.saturating_sub(rows as u32));
        PagingState { resume, remaining }.encode()
    });
    // A LIMIT reached exactly is not "more pages".
    let paging_state = paging_state.filter(|_| budget.remaining.is_none_or(|r| r as usize > rows));
    Ok(RowsResult {
        metadata: RowsMetadata { columns: plan.result_columns.clone(), paging_state, no_metadata: page.skip_metadata },
        count: rows as i32,
        content,
    })
}

fn sorted_positions(
    shard: &Shard,
    plan: &SelectPlan,
    values: &BoundValues,
) -> Result<Vec<PartitionPosition>, CqlError> {
    let Some(columns) = &plan.restrictions.partition else { return Ok(vec![]) };
    let mut positions: Vec<PartitionPosition> =
        partition_keys(&plan.table, columns, values)?.iter().map(|k| partition_position(k)).collect();
    positions.sort();
    positions.dedup();
    let _ = shard;
    Ok(positions)
}

fn clustering_range(
    plan: &SelectPlan,
    values: &BoundValues,
) -> Result<crate::model::mutation::ClusteringRange, CqlError> {
    let table = &plan.table;
    let prefix = plan.restrictions.clustering_values(table, values)?;
    slice_range(table, &prefix, plan.restrictions.clustering_slice.as_ref(), values)
}

/// The per-row filters and per-partition limit of this execution.
pub(super) fn row_selection(
    plan: &SelectPlan,
    values: &BoundValues,
) -> Result<(Arc<[RowFilter]>, Option<usize>), CqlError> {
    let filters = bind_filters(&plan.table, &plan.restrictions.row_filters, values)?;
    let per_partition_limit = match &plan.per_partition_limit {
        Some(e) => match e.eval_i32(values, "per partition limit")? {
            Some(n) if n <= 0 => return Err(CqlError::invalid("PER PARTITION LIMIT must be strictly positive".into())),
            n => n.map(|n| n as usize),
        },
        None => None,
    };
    let per_partition_limit = if plan.distinct { Some(1) } else { per_partition_limit };
    // With GROUP BY, PER PARTITION LIMIT counts groups: the aggregation applies it.
    let per_partition_limit = per_partition_limit.filter(|_| plan.aggregate.is_none());
    Ok((filters, per_partition_limit))
}

/// Reads one page of one partition: at the request's level through the coordinator, or —
/// when this node's replica alone meets the level (and for this node's own data) — on this
/// node's owner shard directly.
pub(super) async fn read_on_owner(shard: &Rc<Shard>, read: PartitionRead) -> Result<ReadPage, CqlError> {
    if let Some(level) = read.consistency {
        let schema = shard.schema();
        if let Some(keyspace) = schema.keyspace(&read.table.keyspace) {
            if let Placement::Replicated(plan) = shard.coordinator.plan(keyspace, read.position.token, level)? {
                if !plan.is_local_only() {
                    shard.coordinator.count_placement(&plan, read.position.token);
                    let local_suffices = plan.includes_local()
                        && plan.block_for.is_met(std::iter::once(plan.targets[0].datacenter.as_str()));
                    if !local_suffices {
                        return read_coordinated(shard, &read, &plan).await;
                    }
                }
            }
        }
    }
    let owner = shard.owner_of(read.position.token);
    if owner == shard.id {
        ShardMetrics::inc(&shard.metrics().cql_requests_local);
        return read_local(shard, &read).await;
    }
    ShardMetrics::inc(&shard.metrics().cql_requests_forwarded);
    shard.router.call(owner, move |owner: Rc<Shard>| async move { read_local(&owner, &read).await }).await?
}

pub(super) type PageOut = (Vec<u8>, usize, Option<Resume>);

async fn read_partitions(
    shard: &Rc<Shard>,
    plan: &SelectPlan,
    values: &BoundValues,
    budget: &PageBudget,
) -> Result<PageOut, CqlError> {
    let (filters, per_partition_limit) = row_selection(plan, values)?;
    let positions = sorted_positions(shard, plan, values)?;
    let range = clustering_range(plan, values)?;
    if !plan.order_inputs.is_empty() {
        let read = |position: PartitionPosition| PartitionRead {
            table: plan.table.clone(),
            position,
            range: range.clone(),
            reversed: plan.reversed,
            outputs: plan.outputs.clone(),
            row_limit: budget.rows,
            start_after: None,
            count_only: false,
            now: now_seconds(),
            filters: filters.clone(),
            per_partition_limit,
            partition_rows_before: None,
            consistency: Some(budget.consistency),
        };
        let pages = try_join_all(positions.into_iter().map(|p| read_on_owner(shard, read(p)))).await?;
        return super::ordered_merge::merge(plan, pages, budget.rows);
    }
    let (mut index, mut after) = match &budget.resume {
        Some(Resume::Partition { index, after }) => (*index as usize, after.clone()),
        Some(_) => return Err(CqlError::protocol("Invalid value for the paging state".into())),
        None => (0, None),
    };
    let mut content = Vec::new();
    let mut rows = 0;
    let now = now_seconds();
    while index < positions.len() {
        let read = PartitionRead {
            table: plan.table.clone(),
            position: positions[index].clone(),
            range: range.clone(),
            reversed: plan.reversed,
            outputs: plan.outputs.clone(),
            row_limit: budget.rows - rows,
            start_after: after.take(),
            count_only: false,
            now,
            filters: filters.clone(),
            per_partition_limit,
            partition_rows_before: None,
            consistency: Some(budget.consistency),
        };
        let page = read_on_owner(shard, read).await?;
        if content.is_empty() {
            content = page.content;
        } else {
            content.extend_from_slice(&page.content);
        }
        rows += page.rows;
        if page.more {
            return Ok((content, rows, Some(Resume::Partition { index: index as u32, after: page.last_key })));
        }
        index += 1;
        if rows >= budget.rows && index < positions.len() {
            return Ok((content, rows, Some(Resume::Partition { index: index as u32, after: None })));
        }
    }
    Ok((content, rows, None))
}

pub(super) fn token_bounds(slice: &Slice, values: &BoundValues) -> Result<TokenBounds, CqlError> {
    let eval = |b: &Option<crate::cql::statement::restrictions::SliceBound>| -> Result<Option<(i64, bool)>, CqlError> {
        let Some(b) = b else { return Ok(None) };
        match b.value.eval(values, &CqlType::Bigint, "token")? {
            Evaluated::Value(v) if v.len() == 8 => {
                Ok(Some((i64::from_be_bytes(v[..].try_into().unwrap_or([0; 8])), b.inclusive)))
            }
            _ => Err(CqlError::invalid("Invalid token value".into())),
        }
    };
    Ok(TokenBounds { lower: eval(&slice.lower)?, upper: eval(&slice.upper)? })
}

async fn scan_all_shards(shard: &Rc<Shard>, make: impl Fn() -> ScanRead) -> Result<Vec<ScanPage>, CqlError> {
    let remote =
        (0..shard.nr_shards()).filter(|&s| s != shard.id).map(|s| {
            let read = make();
            async move {
                shard.router.call(s, move |other: Rc<Shard>| async move { scan_local(&other, &read).await }).await?
            }
        });
    let local_read = make();
    let (mut pages, local) = futures::future::try_join(try_join_all(remote), scan_local(shard, &local_read)).await?;
    pages.push(local);
    Ok(pages)
}

/// The keyspace of a scan that must go through the coordinator: one whose ranges are not all
/// on this node with its replica alone meeting the level (`None`: scan this node's shards).
fn coordinated_scan_keyspace(
    shard: &Shard,
    plan: &SelectPlan,
    level: u16,
) -> Result<Option<Arc<crate::schema::KeyspaceDef>>, CqlError> {
    let schema = shard.schema();
    let Some(keyspace) = schema.keyspace(&plan.table.keyspace) else { return Ok(None) };
    if shard.coordinator.scan_is_local(keyspace, level)? {
        return Ok(None);
    }
    Ok(Some(keyspace.clone()))
}

/// A page of a scan through the coordinator: every segment of the ring read from its
/// replicas at the level, reconciled, then filtered and encoded here.
async fn scan_coordinated(
    shard: &Rc<Shard>,
    plan: &SelectPlan,
    values: &BoundValues,
    budget: &PageBudget,
    keyspace: &crate::schema::KeyspaceDef,
) -> Result<PageOut, CqlError> {
    let (filters, per_partition_limit) = row_selection(plan, values)?;
    let start = match &budget.resume {
        Some(Resume::Scan(p)) => Some((p.partition.clone(), p.after_clustering.clone())),
        Some(_) => return Err(CqlError::protocol("Invalid value for the paging state".into())),
        None => None,
    };
    let tokens = token_bounds(&plan.restrictions.token, values)?;
    let now = now_seconds();
    let live_rows_max = budget.rows.clamp(1, u32::MAX as usize) as u32;
    let command = RangeCommand { tokens, start: start.clone(), live_rows_max, now };
    let page = range_read::read_range(&shard.coordinator, &plan.table, keyspace, command, budget.consistency).await?;
    let scan = ScanRead {
        table: plan.table.clone(),
        start: None,
        tokens,
        outputs: plan.outputs.clone(),
        row_limit: budget.rows,
        count_only: false,
        now,
        filters,
        per_partition_limit,
    };
    let mut out = ScanPage::default();
    let mut full = false;
    for (position, slice) in &page.partitions {
        let resume = start.as_ref().filter(|(p, _)| p == position).and_then(|(_, after)| after.clone());
        let read = partition_read(&scan, position, resume, budget.rows - out.rows.len());
        if collect_rows(&scan, position, &slice.partition, read, &mut out) {
            full = true;
            break;
        }
    }
    let mut content = Vec::new();
    for row in &out.rows {
        content.extend_from_slice(&row.cells);
    }
    let next = match (full, out.rows.last(), page.stopped_at) {
        (true, Some(last), _) => Some(Resume::Scan(ScanPosition {
            partition: last.partition.clone(),
            after_clustering: Some(last.clustering.clone()),
        })),
        (_, _, Some((partition, after_clustering))) => Some(Resume::Scan(ScanPosition { partition, after_clustering })),
        _ => None,
    };
    Ok((content, out.rows.len(), next))
}

async fn scan(
    shard: &Rc<Shard>,
    plan: &SelectPlan,
    values: &BoundValues,
    budget: &PageBudget,
) -> Result<PageOut, CqlError> {
    if let Some(keyspace) = coordinated_scan_keyspace(shard, plan, budget.consistency)? {
        return scan_coordinated(shard, plan, values, budget, &keyspace).await;
    }
    let (filters, per_partition_limit) = row_selection(plan, values)?;
    let start = match &budget.resume {
        Some(Resume::Scan(p)) => Some(p.clone()),
        Some(_) => return Err(CqlError::protocol("Invalid value for the paging state".into())),
        None => None,
    };
    let tokens = token_bounds(&plan.restrictions.token, values)?;
    let now = now_seconds();
    let make = || ScanRead {
        table: plan.table.clone(),
        start: start.clone(),
        tokens,
        outputs: plan.outputs.clone(),
        row_limit: budget.rows,
        count_only: false,
        now,
        filters: filters.clone(),
        per_partition_limit,
    };
    let pages = scan_all_shards(shard, make).await?;
    // A shard whose page was cut short only vouches for rows up to its last one: the merged
    // page must not go past the earliest such row, or rows of that shard would be skipped.
    let horizon = pages
        .iter()
        .filter(|p| !p.exhausted)
        .filter_map(|p| p.rows.last().map(|r| (r.partition.clone(), r.clustering.clone())))
        .min();
    let exhausted = pages.iter().all(|p| p.exhausted);
    let mut merged: Vec<_> = pages.into_iter().flat_map(|p| p.rows).collect();
    merged.sort_by(|a, b| (&a.partition, &a.clustering).cmp(&(&b.partition, &b.clustering)));
    if let Some((partition, clustering)) = &horizon {
        merged.retain(|r| (&r.partition, &r.clustering) <= (partition, clustering));
    }
    let more = !exhausted || merged.len() > budget.rows;
    merged.truncate(budget.rows);
    let mut content = Vec::new();
    for row in &merged {
        content.extend_from_slice(&row.cells);
    }
    let next = match merged.last() {
        Some(last) if more => Some(Resume::Scan(ScanPosition {
            partition: last.partition.clone(),
            after_clustering: Some(last.clustering.clone()),
        })),
        _ => None,
    };
    Ok((content, merged.len(), next))
}

/// COUNT(*): counts every matching row (aggregates are not paged).
async fn count(shard: &Rc<Shard>, plan: &SelectPlan, values: &BoundValues, level: u16) -> Result<u64, CqlError> {
    if let Some(index) = &plan.index {
        return super::index_read::count(shard, plan, index, values, level).await;
    }
    let (filters, per_partition_limit) = row_selection(plan, values)?;
    let now = now_seconds();
    if plan.restrictions.partition.is_some() {
        let range = clustering_range(plan, values)?;
        let mut total = 0;
        for position in sorted_positions(shard, plan, values)? {
            let read = PartitionRead {
                table: plan.table.clone(),
                position,
                range: range.clone(),
                reversed: false,
                outputs: Arc::from(vec![]),
                row_limit: usize::MAX,
                start_after: None,
                count_only: true,
                now,
                filters: filters.clone(),
                per_partition_limit,
                partition_rows_before: None,
                consistency: Some(level),
            };
            total += read_on_owner(shard, read).await?.rows as u64;
        }
        return Ok(total);
    }
    let tokens = token_bounds(&plan.restrictions.token, values)?;
    let make = || ScanRead {
        table: plan.table.clone(),
        start: None,
        tokens,
        outputs: Arc::from(vec![]),
        row_limit: usize::MAX,
        count_only: true,
        now,
        filters: filters.clone(),
        per_partition_limit,
    };
    if let Some(keyspace) = coordinated_scan_keyspace(shard, plan, level)? {
        // Page by page through the coordinator, counting what each page holds.
        let scan = make();
        let mut start = None;
        let mut total = 0;
        loop {
            let command = RangeCommand { tokens, start: start.take(), live_rows_max: COUNT_PAGE_ROWS, now };
            let page = range_read::read_range(&shard.coordinator, &plan.table, &keyspace, command, level).await?;
            let mut counted = ScanPage::default();
            for (position, slice) in &page.partitions {
                let read = partition_read(&scan, position, None, usize::MAX);
                collect_rows(&scan, position, &slice.partition, read, &mut counted);
            }
            total += counted.count;
            match page.stopped_at {
                Some(stop) => start = Some(stop),
                None => return Ok(total),
            }
        }
    }
    Ok(scan_all_shards(shard, make).await?.iter().map(|p| p.count).sum())
}
