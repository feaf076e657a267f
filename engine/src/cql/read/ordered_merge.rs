//! `ORDER BY` with `IN` on the partition key: each named partition is read in the requested
//! order (up to the LIMIT), then their rows are merged by clustering order into one answer,
//! as Cassandra sorts them. Such a query is never paged (refused with paging, as Cassandra
//! does), so a partition whose rows do not fit one internal page is refused too rather
//! than answered out of order.

use percore_protocol::wire::write_bytes;

use crate::cql::error::CqlError;
use crate::cql::keys::clustering_prefix;
use crate::cql::statement::select::SelectPlan;

use super::output::split_rows;
use super::partition::ReadPage;
use super::select::PageOut;

/// Merges the partitions' pages (each already in the requested order) into at most
/// `limit` rows; the outputs added only to sort by are cut off.
pub fn merge(plan: &SelectPlan, pages: Vec<ReadPage>, limit: usize) -> Result<PageOut, CqlError> {
    let width = plan.outputs.len();
    let visible = if plan.projection.is_some() { width } else { plan.result_columns.len() };
    assert!(visible <= width, "the sort columns come after the selected ones");
    if pages.iter().any(|p| p.more && p.rows < limit) {
        return Err(CqlError::invalid(format!(
            "ORDER BY with IN on the partition key sorts every row in memory, and a partition has more than \
             one page of rows ({} bytes); add a LIMIT or remove the ORDER BY",
            crate::limits::PAGE_BYTES_MAX
        )));
    }
    let mut rows = Vec::new();
    for page in &pages {
        for row in split_rows(&page.content, width)? {
            let order: Vec<bytes::Bytes> = plan
                .order_inputs
                .iter()
                .map(|&i| row[i].map(bytes::Bytes::copy_from_slice).unwrap_or_default())
                .collect();
            rows.push((clustering_prefix(&plan.table, &order), row));
        }
    }
    // Stable: rows with equal clustering keep their partitions' order.
    if plan.reversed {
        rows.sort_by(|a, b| b.0.cmp(&a.0));
    } else {
        rows.sort_by(|a, b| a.0.cmp(&b.0));
    }
    rows.truncate(limit);
    let mut content = Vec::new();
    for (_, row) in &rows {
        row[..visible].iter().for_each(|v| write_bytes(&mut content, *v));
    }
    Ok((content, rows.len(), None))
}
