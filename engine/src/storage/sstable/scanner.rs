//! A streaming scan over every partition of an SSTable, in (token, key) order, for
//! compaction and ring scans. Besides each frame's CRC it checks that positions strictly
//! increase and that the count matches the statistics, so a file cut at a block boundary
//! is reported as corrupt rather than ending early.

use std::path::PathBuf;

use crate::model::mutation::PartitionPosition;
use crate::storage::partition::Partition;

use super::error::SstableError;
use super::partition_stream::PartitionStream;

pub struct SstableScanner {
    stream: PartitionStream,
    path: PathBuf,
    last: Option<PartitionPosition>,
    seen: u64,
    expected: u64,
}

impl SstableScanner {
    pub(crate) fn new(stream: PartitionStream, path: PathBuf, expected: u64) -> SstableScanner {
        SstableScanner { stream, path, last: None, seen: 0, expected }
    }

    /// The next partition, or `None` after the last one.
    pub async fn next_partition(&mut self) -> Result<Option<(PartitionPosition, Partition)>, SstableError> {
        let Some((position, partition)) = self.stream.next_partition().await? else {
            if self.seen != self.expected {
                return Err(SstableError::corrupt(
                    &self.path,
                    0,
                    format!("{} partitions in the data, the statistics say {}", self.seen, self.expected),
                ));
            }
            return Ok(None);
        };
        if self.last.as_ref().is_some_and(|l| *l >= position) || self.seen >= self.expected {
            return Err(SstableError::corrupt(
                &self.path,
                0,
                format!("partition {position:?} out of order or beyond the recorded count"),
            ));
        }
        self.seen += 1;
        self.last = Some(position.clone());
        Ok(Some((position, partition)))
    }
}
