//! The commitlog: each shard appends its mutations to its own segments before applying
//! them to memtables, so an acknowledged write survives a crash ([`writer`]); at start-up
//! the segments of the previous run are replayed ([`replay`]). Entries are framed with a
//! length and CRC32C ([`entry`]); segments are named and headed as in [`segment`]; the
//! next segment's file is prepared ahead ([`reserve`]).
//! The byte layout is documented in `docs/commitlog-format.md`.

pub mod entry;
pub mod replay;
pub mod reserve;
pub mod segment;
pub mod writer;

pub use writer::{Commitlog, CommitlogConfig, CommitlogError, SyncMode};
