//! Compaction: merging a table's SSTables on one shard into fewer, purging what is dead.
//!
//! The strategies are pure pickers over [`SstableSummary`] descriptors ([`strategy`],
//! [`size_tiered`], [`leveled`], [`time_window`]): given the table's SSTables they name the
//! next job. The executor merges the inputs' partitions, drops shadowed data and purgeable
//! tombstones ([`purge`]), writes the outputs, swaps them in and deletes the inputs
//! ([`executor`], with [`merge`]); the log that makes the swap crash-safe is
//! [`crate::storage::sstable::compaction_log`].

pub mod executor;
pub mod leveled;
pub mod merge;
pub mod purge;
pub mod size_tiered;
pub mod strategy;
pub mod time_window;

pub use strategy::{CompactionJob, CompactionStrategy, SstableSummary, StrategyError};

#[cfg(test)]
mod tests;
