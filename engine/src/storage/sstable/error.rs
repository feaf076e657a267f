//! Typed errors of SSTable writing and reading. Bytes on disk are untrusted: every
//! inconsistency found while reading becomes [`SstableError::Corrupt`] naming the file and
//! the offset, never wrong data and never a panic.

use std::path::{Path, PathBuf};

use crate::model::mutation::PartitionPosition;

use super::format::Generation;
use super::wire::DecodeError;

#[derive(Debug, thiserror::Error)]
pub enum SstableError {
    #[error("SSTable I/O error ({operation}) on {path}: {source}")]
    Io {
        operation: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "corrupt SSTable file {path} at offset {offset}: {reason}; \
         the SSTable must be restored from a replica or removed"
    )]
    Corrupt { path: PathBuf, offset: u64, reason: String },

    #[error(
        "SSTable generation {generation} in {dir} is incomplete (no valid TOC): \
         it was never finished and is deleted at start-up"
    )]
    Incomplete { dir: PathBuf, generation: Generation },

    #[error(
        "partitions fed to the SSTable writer out of order: {next:?} after {previous:?} \
         (partitions must be strictly increasing by (token, key))"
    )]
    OutOfOrder { previous: PartitionPosition, next: PartitionPosition },

    #[error("{what} is {size_bytes} bytes, more than the SSTable limit of {max_bytes} bytes")]
    TooLarge { what: &'static str, size_bytes: usize, max_bytes: usize },
}

impl SstableError {
    /// A closure mapping an I/O-ish error to [`SstableError::Io`] for `operation` on `path`.
    pub(crate) fn io<'a, E: Into<std::io::Error>>(
        operation: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(E) -> SstableError + 'a {
        move |e| SstableError::Io { operation, path: path.to_path_buf(), source: e.into() }
    }

    pub(crate) fn corrupt(path: &Path, offset: u64, reason: impl Into<String>) -> SstableError {
        SstableError::Corrupt { path: path.to_path_buf(), offset, reason: reason.into() }
    }

    /// A decoding error inside a region that starts at `base_offset` of `path`.
    pub(crate) fn decode(path: &Path, base_offset: u64, error: DecodeError) -> SstableError {
        SstableError::corrupt(path, base_offset.saturating_add(error.offset as u64), error.reason)
    }
}
