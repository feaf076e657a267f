//! Component files on disk, all through glommio DMA files (O_DIRECT, io_uring): a durable
//! streaming writer (temporary name → fdatasync → close → fdatasync of the truncated size
//! → rename) and checked positional reads.
//!
//! Why the second fdatasync: glommio's `DmaStreamWriter` writes whole aligned blocks and on
//! close syncs *before* it truncates the file to its real length, so the length change
//! would not be durable; after a power loss the file could end in zero padding.

use std::path::{Path, PathBuf};

use futures_lite::AsyncWriteExt;
use glommio::io::{DmaFile, DmaStreamWriter, DmaStreamWriterBuilder, OpenOptions};

use super::error::SstableError;
use super::format::{component_path, temp_path, Component, Generation};

/// Streams one component to its temporary file; [`ComponentWriter::commit`] makes it
/// durable under its final name.
pub struct ComponentWriter {
    writer: DmaStreamWriter,
    temp: PathBuf,
    target: PathBuf,
    position: u64,
}

impl ComponentWriter {
    pub async fn create(
        dir: &Path,
        generation: Generation,
        component: Component,
    ) -> Result<ComponentWriter, SstableError> {
        ComponentWriter::create_at(temp_path(dir, generation, component), component_path(dir, generation, component))
            .await
    }

    /// Streams to `temp`, committed as `target`.
    pub async fn create_at(temp: PathBuf, target: PathBuf) -> Result<ComponentWriter, SstableError> {
        let file = DmaFile::create(&temp).await.map_err(SstableError::io("create", &temp))?;
        Ok(ComponentWriter { writer: DmaStreamWriterBuilder::new(file).build(), temp, target, position: 0 })
    }

    /// Bytes written so far: the file offset of the next write.
    pub fn position(&self) -> u64 {
        self.position
    }

    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), SstableError> {
        self.writer.write_all(bytes).await.map_err(SstableError::io("write", &self.temp))?;
        self.position += bytes.len() as u64;
        Ok(())
    }

    /// fdatasync, close (truncating to the real size), fdatasync the size, rename to the
    /// final name. The rename is durable only once the directory is synced.
    pub async fn commit(mut self) -> Result<(), SstableError> {
        let temp = self.temp;
        self.writer.sync().await.map_err(SstableError::io("fdatasync", &temp))?;
        self.writer.close().await.map_err(SstableError::io("close", &temp))?;
        let file = open_dma(&temp).await?;
        let synced = file.fdatasync().await.map_err(SstableError::io("fdatasync", &temp));
        let closed = file.close().await.map_err(SstableError::io("close", &temp));
        synced.and(closed)?;
        glommio::io::rename(&temp, &self.target).await.map_err(SstableError::io("rename", &self.target))
    }

    /// Drops the writer and removes the temporary file (best effort: start-up removes
    /// leftovers). The writer is dropped, not closed: after a failed write (a full disk)
    /// glommio's `close` asserts that every byte was flushed and panics; dropping cancels
    /// the pending flushes instead.
    pub async fn abandon(self) {
        let ComponentWriter { writer, temp, .. } = self;
        drop(writer);
        let _ = glommio::io::remove(&temp).await;
    }
}

/// Writes a whole component durably under its final name.
pub async fn write_component(
    dir: &Path,
    generation: Generation,
    component: Component,
    bytes: &[u8],
) -> Result<(), SstableError> {
    let mut w = ComponentWriter::create(dir, generation, component).await?;
    w.write(bytes).await?;
    w.commit().await
}

/// Makes renames and creations in `dir` durable.
pub async fn sync_dir(dir: &Path) -> Result<(), SstableError> {
    let d = glommio::io::Directory::open(dir).await.map_err(SstableError::io("open directory", dir))?;
    d.sync().await.map_err(SstableError::io("fsync directory", dir))?;
    d.close().await.map_err(SstableError::io("close directory", dir))
}

/// Opens a file for DMA reads (read-only DMA opens do not work everywhere, so read+write).
pub async fn open_dma(path: &Path) -> Result<DmaFile, SstableError> {
    OpenOptions::new().read(true).write(true).dma_open(path).await.map_err(SstableError::io("open", path))
}

/// Reads exactly `len` bytes at `pos`; a file that ends first is corrupt (truncated).
pub async fn read_exact_at(file: &DmaFile, path: &Path, pos: u64, len: usize) -> Result<Vec<u8>, SstableError> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let at = pos + out.len() as u64;
        let chunk = file.read_at(at, len - out.len()).await.map_err(SstableError::io("read", path))?;
        if chunk.is_empty() {
            return Err(SstableError::corrupt(
                path,
                at,
                format!("file ends {} bytes early (truncated)", len - out.len()),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Reads up to `len` bytes at `pos` (fewer only at the end of the file).
pub async fn read_at_most(file: &DmaFile, path: &Path, pos: u64, len: usize) -> Result<Vec<u8>, SstableError> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let chunk =
            file.read_at(pos + out.len() as u64, len - out.len()).await.map_err(SstableError::io("read", path))?;
        if chunk.is_empty() {
            break;
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Reads a whole small component (at most `max_len` bytes, else it is corrupt).
pub async fn read_whole(path: &Path, max_len: u64) -> Result<Vec<u8>, SstableError> {
    let file = open_dma(path).await?;
    let result = async {
        let len = file.file_size().await.map_err(SstableError::io("stat", path))?;
        if len > max_len {
            return Err(SstableError::corrupt(path, 0, format!("file is {len} bytes, more than the bound {max_len}")));
        }
        read_exact_at(&file, path, 0, len as usize).await
    }
    .await;
    let _ = file.close().await;
    result
}
