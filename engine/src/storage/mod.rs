//! Per-shard storage. Today: the memtables each shard owns, per table, ordered by
//! (token, partition key) and by byte-comparable clustering key. Commitlog, SSTables and
//! compaction arrive with the storage-engine work and plug in beneath [`ShardStore`].

pub mod commitlog;
pub mod memtable;
pub mod partition;
pub mod shard_store;
pub mod sstable;

pub use memtable::Memtable;
pub use partition::{Partition, Row};
pub use shard_store::ShardStore;
