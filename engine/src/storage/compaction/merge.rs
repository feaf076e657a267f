//! A k-way merge of SSTable scans: every partition of the inputs once, in (token, key)
//! order, with the versions of all inputs that hold it reconciled into one. It counts how
//! many partitions were merged from how many inputs (Cassandra's `rows_merged`).

use crate::model::mutation::PartitionPosition;
use crate::storage::partition::Partition;
use crate::storage::sstable::{SstableError, SstableScanner};

pub struct MergedScan {
    scanners: Vec<SstableScanner>,
    /// The next partition of each scanner (`None` once it is exhausted).
    heads: Vec<Option<(PartitionPosition, Partition)>>,
    started: bool,
    /// Partitions by the number of inputs that held them (index 0: one input).
    merged_from: Vec<u64>,
}

impl MergedScan {
    pub fn new(scanners: Vec<SstableScanner>) -> MergedScan {
        let heads = scanners.iter().map(|_| None).collect();
        let merged_from = vec![0; scanners.len()];
        MergedScan { scanners, heads, started: false, merged_from }
    }

    /// Bytes the inputs' scans have read from disk so far.
    pub fn bytes_read(&self) -> u64 {
        self.scanners.iter().map(SstableScanner::bytes_read).sum()
    }

    /// `(inputs, partitions)`: how many partitions so far were held by that many inputs.
    pub fn merged_from(&self) -> Vec<(usize, u64)> {
        self.merged_from.iter().enumerate().filter(|(_, n)| **n > 0).map(|(i, n)| (i + 1, *n)).collect()
    }

    /// The next partition in order, merged across inputs; `None` after the last.
    pub async fn next_partition(&mut self) -> Result<Option<(PartitionPosition, Partition)>, SstableError> {
        if !self.started {
            for i in 0..self.scanners.len() {
                self.heads[i] = self.scanners[i].next_partition().await?;
            }
            self.started = true;
        }
        let Some(smallest) = self.heads.iter().flatten().map(|(p, _)| p).min().cloned() else {
            return Ok(None);
        };
        let mut merged: Option<Partition> = None;
        let mut holders: usize = 0;
        for i in 0..self.heads.len() {
            if self.heads[i].as_ref().is_none_or(|(p, _)| *p != smallest) {
                continue;
            }
            let next = self.scanners[i].next_partition().await?;
            let Some((_, partition)) = std::mem::replace(&mut self.heads[i], next) else { continue };
            holders += 1;
            match &mut merged {
                Some(m) => m.merge(partition),
                None => merged = Some(partition),
            }
        }
        debug_assert!(merged.is_some(), "the smallest head came from some input");
        if let Some(n) = holders.checked_sub(1).and_then(|i| self.merged_from.get_mut(i)) {
            *n += 1;
        }
        Ok(merged.map(|p| (smallest, p)))
    }
}
