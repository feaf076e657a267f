//! The reserve segment: the file the next segment will be written into, made ready in the
//! background while the current one fills, so that switching segments costs a request
//! nothing (ScyllaDB keeps a reserve of pre-allocated segments for the same reason).
//!
//! A reserve file is a kept free segment renamed to the next segment's name, or a new file
//! preallocated to the segment size. It takes its final name before anything is written
//! to it, so a crash can leave a reserve file on disk; its header is zeros or another
//! segment's, and replay skips it as never written (see [`super::replay::parse_segment`]) —
//! no acknowledged entry can be in it, because an entry is acknowledged only after the
//! write that carries the segment's header.
//!
//! New files are not zero-filled. Writing zeros over them first would make later commitlog
//! writes plain overwrites that io_uring completes inline instead of handing them to a
//! worker thread (a write into a preallocated, never-written extent converts the extent);
//! measured on this project's VM that made tails far worse: an inline O_DIRECT write that
//! has to wait in the block layer stalls the whole reactor, where a worker thread stalls
//! alone (`docs/benchmarks.md`, session 4).

use std::path::{Path, PathBuf};

use glommio::io::{Directory, DmaFile, OpenOptions};

/// Where the reserve stands (one per shard's log).
#[derive(Default)]
pub enum Reserve {
    /// Nothing prepared or being prepared.
    #[default]
    Empty,
    /// A background task is preparing the file for segment `number`.
    Preparing { number: u64 },
    /// The file for segment `number` is ready to be written.
    Ready { number: u64, file: std::rc::Rc<DmaFile> },
}

impl Reserve {
    /// The segment number this reserve is (being) prepared for.
    pub fn number(&self) -> Option<u64> {
        match self {
            Reserve::Empty => None,
            Reserve::Preparing { number } | Reserve::Ready { number, .. } => Some(*number),
        }
    }
}

/// Makes `path` a segment file ready to be written: `free` (a kept segment file) renamed
/// to it, or a new file preallocated to `segment_bytes`. The name is durable (directory
/// synced) on success; on failure nothing is left under `path`.
pub async fn prepare_file(
    directory: &Path,
    path: &Path,
    free: Option<PathBuf>,
    segment_bytes: u64,
) -> std::io::Result<DmaFile> {
    if let Some(old) = free {
        let reused = async {
            glommio::io::rename(&old, path).await?;
            Directory::open(directory).await?.sync().await?;
            OpenOptions::new().read(true).write(true).dma_open(path).await
        }
        .await;
        match reused {
            Ok(file) => return Ok(file),
            Err(e) => {
                tracing::warn!("cannot reuse commitlog file {}: {e}; creating a new one", old.display());
                let _ = glommio::io::remove(path).await;
                let _ = glommio::io::remove(&old).await;
            }
        }
    }
    let file = DmaFile::create(path).await?;
    let prepared = async {
        file.pre_allocate(segment_bytes, false).await?;
        // The new directory entry must survive a power loss before anything in it counts.
        Directory::open(directory).await?.sync().await
    }
    .await;
    if let Err(e) = prepared {
        let _ = file.close().await;
        let _ = glommio::io::remove(path).await;
        return Err(e.into());
    }
    Ok(file)
}
