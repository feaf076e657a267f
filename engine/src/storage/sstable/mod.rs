//! SSTables: immutable, sorted, checksummed files holding one flushed memtable (later,
//! compaction output) of one table on one shard. `docs/sstable-format.md` describes the
//! layout byte by byte, the invariants and what each crash point leaves behind.
//!
//! Layout: pure codecs — [`format`] (names, headers, bounds), [`wire`] (primitives),
//! [`block`] (framing, CRC32C, lz4), [`row_codec`] (partitions), [`index`], [`summary`],
//! [`bloom`], [`statistics`]; I/O through glommio DMA files — [`component_file`],
//! [`frame_reader`], [`partition_stream`], [`writer`], [`reader`], [`scanner`],
//! [`recovery`]; typed errors in [`error`].

pub mod block;
pub mod bloom;
pub mod compaction_log;
pub mod component_file;
pub mod error;
pub mod format;
pub mod frame_reader;
pub mod index;
pub mod partition_stream;
pub mod reader;
pub mod recovery;
pub mod row_codec;
pub mod scanner;
pub mod statistics;
pub mod summary;
pub mod wire;
pub mod writer;

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;

pub use error::SstableError;
pub use format::{Compression, Generation};
pub use reader::SstableReader;
pub use recovery::remove_incomplete;
pub use scanner::SstableScanner;
pub use statistics::Statistics;
pub use writer::{SstableWriter, SstableWriterOptions};
