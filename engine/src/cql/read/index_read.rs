//! Secondary index reads (the coordinator's side): the index partition of the looked-up
//! value is read on its owner in pages of entries `(token, base key…)`; each entry's base
//! row is read on its owner with the query's row filters (which include `column = value`),
//! which drops stale entries (deleted, overwritten or expired values). A stale entry is
//! then deleted at its own timestamp, as Cassandra's index reads clean up, so a value
//! written again later (newer) keeps its entry. Rows come in index order — the base
//! partitions' token order — and a page resumes after its last entry.

use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;
use futures::future::try_join_all;

use crate::coordinator::write::mutate;
use crate::coordinator::WriteType;
use crate::cql::bind::BoundValues;
use crate::cql::error::CqlError;
use crate::cql::functions::now_seconds;
use crate::cql::keys::{clustering_key, clustering_prefix, partition_position};
use crate::cql::statement::index_choice::IndexPlan;
use crate::cql::statement::select::SelectPlan;
use crate::model::cell::DeletionTime;
use crate::model::mutation::ClusteringRange;
use crate::model::mutation::{Mutation, RowUpdate};
use percore_protocol::wire::consistency::ONE;

use super::filter::RowFilter;
use super::output::{split_rows, Output};
use super::paging::Resume;
use super::partition::PartitionRead;
use super::select::{read_on_owner, row_selection, token_bounds, PageOut};
use crate::cql::shard::Shard;

/// Index entries read from the index partition, and base rows validated concurrently, at a
/// time.
pub const INDEX_ENTRIES_PER_BATCH: usize = 64;
/// Index entries one page examines at most: past them (stale entries validating to
/// nothing) a short page is returned with a paging state.
pub const INDEX_ENTRIES_PER_PAGE_MAX: usize = 4096;

/// One index entry: its sort key in the backing table and the base row it names.
struct Entry {
    sort_key: Bytes,
    /// The entry's clustering values in the backing table.
    key: Vec<Bytes>,
    /// The timestamp of the entry's row marker.
    timestamp: i64,
    token: i64,
    partition_key: Vec<Bytes>,
    clustering: Vec<Bytes>,
}

/// What one page of an index read asks for.
pub struct IndexPage<'a> {
    /// Rows to return at most.
    pub rows_wanted: usize,
    pub resume: Option<&'a Resume>,
    /// Count the rows instead of returning them.
    pub count_only: bool,
    /// The consistency level the index partition and the base rows are read at.
    pub level: u16,
}

/// One page of an index read: up to `rows_wanted` rows (or their count with `count_only`).
pub async fn read(
    shard: &Rc<Shard>,
    plan: &SelectPlan,
    index: &IndexPlan,
    values: &BoundValues,
    page: IndexPage<'_>,
) -> Result<PageOut, CqlError> {
    let IndexPage { rows_wanted, resume, count_only, level } = page;
    let mut after = match resume {
        Some(Resume::Index { after }) => Some(after.clone()),
        Some(_) => return Err(CqlError::protocol("Invalid value for the paging state".into())),
        None => None,
    };
    let column = plan.table.column(index.index.column);
    let value_ty = &index.backing.column(index.backing.partition_key[0]).ty;
    let value = index.value.eval_required(values, value_ty, &column.name)?;
    if value.is_empty() {
        // Empty values are not indexed (as a partition key cannot be empty).
        return Ok((Vec::new(), 0, None));
    }
    let (filters, _) = row_selection(plan, values)?;
    let tokens = token_bounds(&plan.restrictions.token, values)?;
    let position = partition_position(std::slice::from_ref(&value));
    let entry_outputs: Arc<[Output]> = index
        .backing
        .clustering_key
        .iter()
        .map(|&c| Output::Column(c))
        .chain(std::iter::once(Output::RowMarkerTimestamp))
        .collect();
    // Whether an empty base read proves an entry stale: only when the index's own filter
    // is the only one (otherwise the row may just fail another filter).
    let only_index_filter = filters.len() == 1;
    let outputs: Arc<[Output]> = if count_only { Arc::from(vec![]) } else { plan.outputs.clone() };
    let mut content = Vec::new();
    let mut rows = 0;
    let mut examined = 0;
    while rows < rows_wanted && examined < INDEX_ENTRIES_PER_PAGE_MAX {
        let now = now_seconds();
        let batch = (rows_wanted - rows).min(INDEX_ENTRIES_PER_BATCH);
        let index_read = PartitionRead {
            table: index.backing.clone(),
            position: position.clone(),
            range: ClusteringRange::ALL,
            reversed: false,
            outputs: entry_outputs.clone(),
            row_limit: batch,
            start_after: after.clone(),
            count_only: false,
            now,
            filters: Arc::from(vec![]),
            per_partition_limit: None,
            partition_rows_before: None,
            consistency: Some(level),
        };
        let page = read_on_owner(shard, index_read).await?;
        let entries = decode_entries(plan, index, &page.content, page.rows)?;
        examined += entries.len();
        let selected: Vec<&Entry> = entries.iter().filter(|e| tokens.contains(e.token)).collect();
        let base_read = |e: &Entry, outputs: Arc<[Output]>, count_only: bool, filters| PartitionRead {
            table: plan.table.clone(),
            position: partition_position(&e.partition_key),
            range: if e.clustering.is_empty() {
                ClusteringRange::ALL
            } else {
                ClusteringRange::prefix(clustering_prefix(&plan.table, &e.clustering))
            },
            reversed: false,
            outputs,
            row_limit: 1,
            start_after: None,
            count_only,
            now,
            filters,
            per_partition_limit: None,
            partition_rows_before: None,
            consistency: Some(level),
        };
        let reads = selected.iter().map(|e| base_read(e, outputs.clone(), count_only, filters.clone()));
        let mut missing = Vec::new();
        for (base, entry) in try_join_all(reads.map(|r| read_on_owner(shard, r))).await?.into_iter().zip(&selected) {
            if base.rows == 0 {
                missing.push(*entry);
            }
            rows += base.rows;
            content.extend_from_slice(&base.content);
        }
        if !missing.is_empty() {
            let index_filter: Arc<[RowFilter]> =
                filters.iter().filter(|f| f.column == index.index.column).cloned().collect();
            let stale = if only_index_filter {
                missing
            } else {
                let checks = missing.iter().map(|e| base_read(e, Arc::from(vec![]), true, index_filter.clone()));
                let found = try_join_all(checks.map(|r| read_on_owner(shard, r))).await?;
                missing.into_iter().zip(found).filter(|(_, f)| f.rows == 0).map(|(e, _)| e).collect()
            };
            delete_stale_entries(shard, index, &value, &stale, now).await;
        }
        if let Some(last) = entries.last() {
            after = Some(last.sort_key.clone());
        }
        if !page.more || entries.is_empty() {
            return Ok((content, rows, None));
        }
    }
    Ok((content, rows, after.map(|after| Resume::Index { after })))
}

/// COUNT(*) through an index: every entry validated, page after page.
pub async fn count(
    shard: &Rc<Shard>,
    plan: &SelectPlan,
    index: &IndexPlan,
    values: &BoundValues,
    level: u16,
) -> Result<u64, CqlError> {
    let mut total = 0u64;
    let mut resume = None;
    loop {
        let (_, rows, next) = read(
            shard,
            plan,
            index,
            values,
            IndexPage { rows_wanted: usize::MAX, resume: resume.as_ref(), count_only: true, level },
        )
        .await?;
        total += rows as u64;
        match next {
            Some(r) => resume = Some(r),
            None => return Ok(total),
        }
    }
}

/// Deletes index entries found stale, each at its own timestamp (a newer entry for the
/// same row survives). Best effort: a cleanup that fails is done again by a later read.
async fn delete_stale_entries(shard: &Rc<Shard>, index: &IndexPlan, value: &Bytes, stale: &[&Entry], now: u32) {
    if stale.is_empty() {
        return;
    }
    let mut mutation = Mutation::new(index.backing.id, partition_position(std::slice::from_ref(value)));
    for entry in stale {
        mutation.rows.push(RowUpdate {
            clustering: clustering_key(&index.backing, entry.key.clone()),
            marker: None,
            deletion: Some(DeletionTime { marked_at: entry.timestamp, local_deletion_time: now }),
            cells: vec![],
        });
    }
    if let Err(e) = mutate(&shard.coordinator, vec![mutation], ONE, WriteType::Simple).await {
        tracing::debug!("index {}: stale entries not deleted this time: {e}", index.index.name);
    }
}

fn decode_entries(plan: &SelectPlan, index: &IndexPlan, content: &[u8], rows: usize) -> Result<Vec<Entry>, CqlError> {
    let nr_pk = plan.table.partition_key.len();
    let width = index.backing.clustering_key.len();
    let corrupt = || CqlError::server(format!("a corrupt entry in index {}", index.index.name));
    let cells = split_rows(content, width + 1)?;
    if cells.len() != rows {
        return Err(corrupt());
    }
    let mut out = Vec::with_capacity(rows);
    for row in cells {
        let timestamp =
            row[width].and_then(|t| <[u8; 8]>::try_from(t).ok()).map(i64::from_be_bytes).ok_or_else(corrupt)?;
        let values: Vec<Bytes> = row[..width].iter().map(|c| Bytes::copy_from_slice(c.unwrap_or_default())).collect();
        let token = <[u8; 8]>::try_from(&values[0][..]).map(i64::from_be_bytes).map_err(|_| corrupt())?;
        out.push(Entry {
            sort_key: clustering_prefix(&index.backing, &values),
            key: values.clone(),
            timestamp,
            token,
            partition_key: values[1..1 + nr_pk].to_vec(),
            clustering: values[1 + nr_pk..].to_vec(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::scan::TokenBounds;

    #[test]
    fn token_bounds_select_entries() {
        let b = TokenBounds { lower: Some((0, false)), upper: Some((10, true)) };
        assert!(!b.contains(0) && b.contains(1) && b.contains(10) && !b.contains(11));
        assert!(TokenBounds::default().contains(i64::MIN));
    }
}
