//! What a replica operation can fail with. Every variant is `Send` (errors travel back
//! over cross-shard calls); the statement layer turns them into CQL errors.

use crate::runtime::mesh::ShardCallError;
use crate::storage::commitlog::CommitlogError;
use crate::storage::sstable::SstableError;

#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    /// The shard's memtables stayed over their budget: the client should retry later.
    #[error("shard {shard} memtables stayed over their budget for {waited_ms} ms: flushing is behind; retry later")]
    Overloaded { shard: usize, waited_ms: u64 },
    /// Flushes fail (a full disk): writes are refused until one succeeds.
    #[error("shard {shard} cannot flush its memtables ({reason}); writes are refused until it can")]
    FlushFailing { shard: usize, reason: String },
    /// A mutation batch larger than a commitlog segment can hold.
    #[error("{0}")]
    MutationTooLarge(CommitlogError),
    #[error("{0}")]
    Commitlog(CommitlogError),
    #[error("{operation} failed: {source}")]
    Storage {
        operation: &'static str,
        #[source]
        source: SstableError,
    },
    /// A read kept restarting because memtables or SSTables moved while it awaited I/O.
    #[error("{operation} of {keyspace}.{table} kept racing memtable flushes; retry")]
    Raced { operation: &'static str, keyspace: String, table: String },
    #[error("cannot save the truncation record: {0}")]
    TruncationRecord(std::io::Error),
    #[error("the table's compaction options are invalid: {0}")]
    CompactionOptions(String),
    #[error("cannot schedule {0}: the shard is shutting down")]
    NotScheduled(&'static str),
    #[error(transparent)]
    ShardCall(#[from] ShardCallError),
}

impl From<CommitlogError> for ReplicaError {
    fn from(e: CommitlogError) -> Self {
        match e {
            CommitlogError::TooLarge { .. } => ReplicaError::MutationTooLarge(e),
            _ => ReplicaError::Commitlog(e),
        }
    }
}

impl From<SstableError> for ReplicaError {
    fn from(source: SstableError) -> Self {
        ReplicaError::Storage { operation: "storage", source }
    }
}

impl ReplicaError {
    /// A closure wrapping an SSTable error of `operation` (read, scan, flush, compaction).
    pub fn storage(operation: &'static str) -> impl FnOnce(SstableError) -> ReplicaError {
        move |source| ReplicaError::Storage { operation, source }
    }
}
