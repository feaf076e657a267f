//! Ring scans (SELECT without a partition key): every shard scans its own partitions from a
//! position in (token, key, clustering) order, and the coordinator merges the shards'
//! pages into one page in ring order — the order Cassandra returns.

use std::sync::Arc;

use bytes::Bytes;

use crate::model::mutation::{ClusteringRange, PartitionPosition};
use crate::runtime::shard::Shard;
use crate::schema::TableDef;

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
}

pub struct ScanRead {
    pub table: Arc<TableDef>,
    pub start: Option<ScanPosition>,
    pub tokens: TokenBounds,
    pub outputs: Arc<[Output]>,
    pub row_limit: usize,
    pub count_only: bool,
    pub now: u32,
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
}

pub fn scan_local(shard: &Shard, scan: &ScanRead) -> ScanPage {
    let mut page = ScanPage { exhausted: true, ..ScanPage::default() };
    let store = shard.store.borrow();
    let Some(memtable) = store.memtable(&scan.table.id) else {
        return page;
    };
    let start = scan.start.as_ref().map(|s| (&s.partition, s.after_clustering.is_some()));
    for (position, partition) in memtable.partitions_from(start) {
        if scan.tokens.below_lower(position.token) {
            continue;
        }
        if scan.tokens.above_upper(position.token) {
            break;
        }
        let resume = scan.start.as_ref().filter(|s| &s.partition == position).and_then(|s| s.after_clustering.clone());
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
        };
        // Rows are encoded one by one so the coordinator can merge shards row by row.
        if scan.count_only {
            page.count += read_partition(&scan.table, position, partition, &read).rows as u64;
            continue;
        }
        let mut single = PartitionRead { row_limit: 1, ..read };
        loop {
            let one = read_partition(&scan.table, position, partition, &single);
            if one.rows == 0 {
                break;
            }
            let clustering = one.last_key.clone().unwrap_or_default();
            page.rows.push(ScanRow { partition: position.clone(), clustering: clustering.clone(), cells: one.content });
            if page.rows.len() >= scan.row_limit {
                page.exhausted = false;
                return page;
            }
            if !one.more {
                break;
            }
            single.start_after = Some(clustering);
        }
    }
    page
}
