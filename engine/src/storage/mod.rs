//! Per-shard storage: the commitlog every write goes to first ([`commitlog`]), the
//! memtables ordered by (token, partition key) and byte-comparable clustering key
//! ([`memtable`], [`partition`]), flushes of sealed memtables ([`flush`]) into immutable
//! SSTables ([`sstable`]), all held per table by a shard's [`ShardStore`], and
//! merged into fewer SSTables by [`compaction`], whose disk I/O a [`bandwidth_limiter`]
//! paces at the rate [`io_scheduling`] decides at start-up.

pub mod bandwidth_limiter;
pub mod commitlog;
pub mod compaction;
pub mod cooperative;
pub mod flush;
pub mod io_probe;
pub mod io_scheduling;
pub mod memtable;
pub mod partition;
pub mod shard_store;
pub mod sstable;
pub mod sstable_set;
pub mod table_options;
pub mod truncation_record;

#[cfg(test)]
mod model_tests;

pub use memtable::Memtable;
pub use partition::{Partition, Row};
pub use shard_store::ShardStore;
