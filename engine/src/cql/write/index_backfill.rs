//! CREATE INDEX on a table that already holds rows: once the new schema is installed on
//! every shard (so new writes maintain the index themselves), each shard scans its own
//! partitions of the base table in bounded pages and writes the index entries of the rows
//! it finds, with the cells' timestamps and remaining TTLs. A row overwritten meanwhile
//! leaves at worst a stale entry, which index reads drop.

use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;
use uuid::Uuid;

use crate::cql::error::CqlError;
use crate::cql::functions::{now_micros, now_seconds};
use crate::cql::read::output::split_rows;
use crate::cql::read::output::Output;
use crate::cql::read::scan::{scan_local, ScanPosition, ScanRead, TokenBounds};
use crate::cql::shard::Shard;
use crate::model::cell::Cell;
use crate::model::token::split_partition_key;
use crate::schema::IndexKind;
use percore_protocol::types::CqlType;

use crate::coordinator::write::mutate;
use crate::coordinator::WriteType;
use crate::replica::index_entries::entry_for;
use percore_protocol::wire::consistency::ONE;

/// Base rows read per scan page of a backfill (each page's entries are written before the
/// next page is read).
pub const BACKFILL_BATCH_ROWS: usize = 256;

/// Attempts at writing one page of backfilled entries: right after CREATE INDEX another node
/// may not have applied the schema change yet (and answers that it knows no such table).
const BACKFILL_WRITE_ATTEMPTS: u32 = 20;
/// The pause between such attempts.
const BACKFILL_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(250);

/// Writes backfilled entries to their replicas (every live one; one answer suffices).
async fn write_entries(shard: &Rc<Shard>, entries: Vec<crate::model::mutation::Mutation>) -> Result<(), CqlError> {
    let mut attempt = 1;
    loop {
        match mutate(&shard.coordinator, entries.clone(), ONE, WriteType::Simple).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < BACKFILL_WRITE_ATTEMPTS => {
                tracing::debug!("index backfill: writing entries failed ({e}), trying again");
                attempt += 1;
                glommio::timer::sleep(BACKFILL_RETRY_PAUSE).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Indexes this shard's rows of `table` for the index `name`; returns the entries written.
pub async fn backfill_local(shard: &Rc<Shard>, table: Uuid, name: &str) -> Result<u64, CqlError> {
    let schema = shard.schema();
    let Some((index, backing)) = schema.indexes_on(&table).iter().find(|(i, _)| i.name == name).cloned() else {
        return Ok(0);
    };
    let Some(base) = schema.table_by_id(&table).cloned() else { return Ok(0) };
    let mut outputs: Vec<Output> = base.clustering_key.iter().map(|&c| Output::Column(c)).collect();
    // A key column has no cell of its own: its entries are written now, without TTL (an
    // entry that outlives its row is dropped by index reads).
    let column_ty = base.column(index.column).ty.clone();
    let elements = matches!(index.kind, IndexKind::Values | IndexKind::Keys | IndexKind::Entries);
    let key_column = base.column(index.column).kind.is_primary_key() || elements;
    if key_column {
        outputs.extend([Output::Column(index.column), Output::Token, Output::Token]);
    } else {
        outputs.extend([Output::Column(index.column), Output::WriteTime(index.column), Output::Ttl(index.column)]);
    }
    let outputs: Arc<[Output]> = outputs.into();
    let nr_clustering = base.clustering_key.len();
    let mut start: Option<ScanPosition> = None;
    let mut written = 0u64;
    loop {
        let now = now_seconds();
        let read = ScanRead {
            table: base.clone(),
            start: start.clone(),
            tokens: TokenBounds::default(),
            outputs: outputs.clone(),
            row_limit: BACKFILL_BATCH_ROWS,
            count_only: false,
            now,
            filters: Arc::from(vec![]),
            per_partition_limit: None,
        };
        let page = scan_local(shard, &read).await?;
        let mut entries = Vec::new();
        for row in &page.rows {
            let Ok(mut rows) = split_rows(&row.cells, nr_clustering + 3) else { continue };
            let (Some(cells), true) = (rows.pop(), rows.is_empty()) else { continue };
            let cells: Vec<Option<Bytes>> = cells.into_iter().map(|c| c.map(Bytes::copy_from_slice)).collect();
            let Some(value) = &cells[nr_clustering] else { continue };
            let (timestamp, ttl) = if key_column {
                (now_micros(), 0)
            } else {
                let Some(Some(timestamp)) = cells.get(nr_clustering + 1).map(as_i64) else { continue };
                let ttl = cells[nr_clustering + 2].as_ref().and_then(|b| <[u8; 4]>::try_from(&b[..]).ok());
                (timestamp, ttl.map_or(0, |b| i32::from_be_bytes(b).max(1) as u32))
            };
            let Some(pk) = split_partition_key(&row.partition.key, base.partition_key.len()) else { continue };
            let clustering: Vec<Bytes> = cells[..nr_clustering].iter().map(|c| c.clone().unwrap_or_default()).collect();
            // A collection index files each element; the others the whole value.
            let values =
                if elements { collection_entry_values(index.kind, &column_ty, value) } else { vec![value.clone()] };
            for value in values {
                let cell = Cell::live(timestamp, value, ttl, now);
                if let Some(entry) = entry_for(&backing, row.partition.token, &pk, &clustering, &cell) {
                    entries.push(entry);
                }
            }
        }
        written += entries.len() as u64;
        if !entries.is_empty() {
            write_entries(shard, entries).await?;
        }
        match page.rows.last() {
            Some(last) if !page.exhausted => {
                start = Some(ScanPosition {
                    partition: last.partition.clone(),
                    after_clustering: Some(last.clustering.clone()),
                })
            }
            _ => return Ok(written),
        }
    }
}

/// The values a collection index files a whole (assembled) collection under.
fn collection_entry_values(kind: IndexKind, ty: &CqlType, collection: &Bytes) -> Vec<Bytes> {
    let map = matches!(ty, CqlType::Map(..));
    let Ok(items) = super::cell_ops::collection_items(collection, map) else { return Vec::new() };
    items
        .into_iter()
        .filter_map(|(k, v)| match (kind, v) {
            (IndexKind::Values, Some(v)) => Some(v),
            (IndexKind::Values, None) | (IndexKind::Keys, _) => Some(k),
            (IndexKind::Entries, Some(v)) => {
                let mut tuple = Vec::with_capacity(k.len() + v.len() + 8);
                for part in [&k, &v] {
                    tuple.extend_from_slice(&(part.len() as i32).to_be_bytes());
                    tuple.extend_from_slice(part);
                }
                Some(Bytes::from(tuple))
            }
            _ => None,
        })
        .collect()
}

fn as_i64(cell: &Option<Bytes>) -> Option<i64> {
    cell.as_ref().and_then(|b| <[u8; 8]>::try_from(&b[..]).ok()).map(i64::from_be_bytes)
}
