//! Why a coordinated read or write did not succeed, in the terms Cassandra reports to
//! clients: too few replicas alive to try (`Unavailable`), too few answers in time
//! (`WriteTimeout`/`ReadTimeout` with what was received), replicas that answered with an
//! error (`WriteFailure`/`ReadFailure`), or a local replica's own error.

use crate::replica::ReplicaError;

/// The kind of write, as `WriteTimeout` and `WriteFailure` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteType {
    Simple,
    Batch,
    UnloggedBatch,
    Counter,
    BatchLog,
    Cas,
}

impl WriteType {
    pub fn name(self) -> &'static str {
        match self {
            WriteType::Simple => "SIMPLE",
            WriteType::Batch => "BATCH",
            WriteType::UnloggedBatch => "UNLOGGED_BATCH",
            WriteType::Counter => "COUNTER",
            WriteType::BatchLog => "BATCH_LOG",
            WriteType::Cas => "CAS",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoordinatorError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Protocol(String),
    #[error("Cannot achieve consistency level {}", percore_protocol::wire::consistency::name(*consistency))]
    Unavailable { consistency: u16, required: u32, alive: u32 },
    #[error(
        "Operation timed out - received only {received} responses (blockfor {block_for}, {})",
        write_type.name()
    )]
    WriteTimeout { consistency: u16, received: u32, block_for: u32, write_type: WriteType },
    #[error("Operation timed out - received only {received} responses (blockfor {block_for})")]
    ReadTimeout { consistency: u16, received: u32, block_for: u32, data_present: bool },
    #[error("Operation failed - received {received} responses and {failures} failures: {reason}")]
    WriteFailure {
        consistency: u16,
        received: u32,
        block_for: u32,
        failures: u32,
        write_type: WriteType,
        reason: String,
    },
    #[error("Operation failed - received {received} responses and {failures} failures: {reason}")]
    ReadFailure { consistency: u16, received: u32, block_for: u32, failures: u32, data_present: bool, reason: String },
    /// A node could not truncate.
    #[error("Error during truncate: {0}")]
    Truncate(String),
    /// The ring or a keyspace's placement could not be computed.
    #[error("{0}")]
    Placement(String),
    #[error(transparent)]
    Replica(#[from] ReplicaError),
}
