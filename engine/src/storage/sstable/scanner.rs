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
    /// `None` once known to be past the last partition.
    stream: Option<PartitionStream>,
    path: PathBuf,
    last: Option<PartitionPosition>,
    seen: u64,
    /// Partitions a scan from the start must see (`None` for a scan resumed mid-file).
    expected: Option<u64>,
}

impl SstableScanner {
    pub(crate) fn new(stream: PartitionStream, path: PathBuf, expected: u64) -> SstableScanner {
        SstableScanner { stream: Some(stream), path, last: None, seen: 0, expected: Some(expected) }
    }

    /// A scan that starts mid-file (its count is not checked against the statistics).
    pub(crate) fn resumed(stream: PartitionStream, path: PathBuf) -> SstableScanner {
        SstableScanner { stream: Some(stream), path, last: None, seen: 0, expected: None }
    }

    /// A scan with nothing left.
    pub(crate) fn finished(path: PathBuf) -> SstableScanner {
        SstableScanner { stream: None, path, last: None, seen: 0, expected: None }
    }

    /// Bytes of `Data.db` read so far.
    pub fn bytes_read(&self) -> u64 {
        self.stream.as_ref().map_or(0, PartitionStream::bytes_read)
    }

    /// The next partition, or `None` after the last one.
    pub async fn next_partition(&mut self) -> Result<Option<(PartitionPosition, Partition)>, SstableError> {
        let Some(stream) = self.stream.as_mut() else { return Ok(None) };
        let Some((position, partition)) = stream.next_partition().await? else {
            if self.expected.is_some_and(|expected| self.seen != expected) {
                return Err(SstableError::corrupt(
                    &self.path,
                    0,
                    format!("{} partitions in the data, the statistics say {:?}", self.seen, self.expected),
                ));
            }
            return Ok(None);
        };
        if self.last.as_ref().is_some_and(|l| *l >= position) || self.expected.is_some_and(|e| self.seen >= e) {
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
