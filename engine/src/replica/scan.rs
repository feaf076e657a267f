//! Scanning a table's partitions on this shard in ring order, from a position: the
//! memtables and every SSTable (its scanner seeking to the start through summary and
//! index) merged partition by partition, each partition handed to a visitor. Foreign
//! SSTables (written under another shard count) hold other shards' partitions too: the
//! scan skips those. A scan whose memtables or SSTables moved meanwhile (a flush) starts
//! over with fresh visitor state, so it never misses nor repeats data in transit.

use std::ops::ControlFlow;
use std::rc::Rc;

use crate::model::mutation::PartitionPosition;
use crate::model::token_bounds::TokenBounds;
use crate::schema::TableDef;
use crate::storage::sstable::{SstableReader, SstableScanner};
use crate::storage::Partition;

use crate::limits::SCAN_RETRIES_MAX;

use super::{Replica, ReplicaError};

/// How a scan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanEnd {
    /// Nothing of this shard's is left after the last partition visited.
    Exhausted,
    /// The visitor stopped it (its page is full).
    Stopped,
}

/// One SSTable's scanner, positioned at its next partition this shard owns.
struct SstableCursor {
    scanner: SstableScanner,
    foreign: bool,
    head: Option<(PartitionPosition, Partition)>,
}

impl SstableCursor {
    /// Moves to the next partition this shard owns at or after `from`.
    async fn advance(
        &mut self,
        replica: &Replica,
        from: Option<(&PartitionPosition, bool)>,
    ) -> Result<(), ReplicaError> {
        loop {
            self.head = self.scanner.next_partition().await.map_err(ReplicaError::storage("scan"))?;
            let Some((position, _)) = &self.head else { return Ok(()) };
            let before =
                from.is_some_and(|(start, inclusive)| if inclusive { position < start } else { position <= start });
            let not_mine = self.foreign && replica.owner_of(position.token) != replica.id;
            if !before && !not_mine {
                return Ok(());
            }
        }
    }
}

impl Replica {
    /// Visits this shard's partitions of `table` from `start` (`(position, inclusive)`)
    /// within `tokens`, in ring order, until `visit` breaks or nothing is left. Each attempt
    /// starts from `init()`; the state of the attempt that completed is returned.
    pub async fn scan<S>(
        &self,
        table: &TableDef,
        start: Option<(&PartitionPosition, bool)>,
        tokens: TokenBounds,
        mut init: impl FnMut() -> S,
        mut visit: impl FnMut(&mut S, &PartitionPosition, &Partition) -> ControlFlow<()>,
    ) -> Result<(S, ScanEnd), ReplicaError> {
        for _ in 0..SCAN_RETRIES_MAX {
            let version = self.table_version(table);
            let mut state = init();
            let end = self.scan_once(table, start, tokens, &mut state, &mut visit).await?;
            if self.table_version(table) == version {
                return Ok((state, end));
            }
        }
        Err(ReplicaError::Raced { operation: "scan", keyspace: table.keyspace.clone(), table: table.name.clone() })
    }

    async fn scan_once<S>(
        &self,
        table: &TableDef,
        start: Option<(&PartitionPosition, bool)>,
        tokens: TokenBounds,
        state: &mut S,
        visit: &mut impl FnMut(&mut S, &PartitionPosition, &Partition) -> ControlFlow<()>,
    ) -> Result<ScanEnd, ReplicaError> {
        let readers: Vec<(Rc<SstableReader>, bool)> = match self.store.borrow().table(&table.id) {
            Some(t) => t.sstables().iter().map(|s| (s.reader.clone(), s.foreign)).collect(),
            None => return Ok(ScanEnd::Exhausted),
        };
        let mut cursors = Vec::with_capacity(readers.len());
        for (reader, foreign) in readers {
            // Resume where the previous page stopped (summary + index seek), not at the start.
            let scanner = match start {
                Some((position, _)) => reader.scan_from(position).await.map_err(ReplicaError::storage("scan"))?,
                None => reader.scan(),
            };
            let mut cursor = SstableCursor { scanner, foreign, head: None };
            cursor.advance(self, start).await?;
            cursors.push(cursor);
        }
        // The last partition handled (exclusive), or the scan's start.
        let mut after: Option<(PartitionPosition, bool)> = start.map(|(p, inclusive)| (p.clone(), inclusive));
        loop {
            // The next partition position over all sources.
            let next_in_memtables = {
                let store = self.store.borrow();
                let Some(t) = store.table(&table.id) else { break };
                t.memtables()
                    .filter_map(|m| {
                        m.partitions_from(after.as_ref().map(|(p, i)| (p, *i))).next().map(|(p, _)| p.clone())
                    })
                    .min()
            };
            let next_in_sstables = cursors.iter().filter_map(|c| c.head.as_ref().map(|(p, _)| p.clone())).min();
            let Some(position) = [next_in_memtables, next_in_sstables].into_iter().flatten().min() else { break };
            if tokens.above_upper(position.token) {
                break;
            }
            // Gather every SSTable version of the partition (their cursors move past it).
            let mut merged: Option<Partition> = None;
            for c in cursors.iter_mut() {
                if c.head.as_ref().is_some_and(|(p, _)| *p == position) {
                    if let Some((_, p)) = c.head.take() {
                        match &mut merged {
                            Some(m) => m.merge(p),
                            None => merged = Some(p),
                        }
                    }
                    c.advance(self, Some((&position, false))).await?;
                }
            }
            if tokens.below_lower(position.token) {
                after = Some((position, false));
                continue;
            }
            let flow = {
                let store = self.store.borrow();
                let versions: Vec<&Partition> = store
                    .table(&table.id)
                    .map(|t| t.memtables().filter_map(|m| m.partition(&position)).collect())
                    .unwrap_or_default();
                match (merged, versions.as_slice()) {
                    (None, [only]) => visit(state, &position, only),
                    (merged, versions) => {
                        let mut m = merged.unwrap_or_default();
                        // Reconciliation does not depend on the order of the versions.
                        for v in versions {
                            m.merge(v.to_owned_copy());
                        }
                        visit(state, &position, &m)
                    }
                }
            };
            if flow.is_break() {
                return Ok(ScanEnd::Stopped);
            }
            after = Some((position, false));
        }
        Ok(ScanEnd::Exhausted)
    }
}
