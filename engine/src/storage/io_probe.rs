//! Settling, on each shard, whether the disks support io_uring polled I/O before any other
//! DMA file is opened there.
//!
//! glommio decides per device and per thread, at the first DMA open, whether reads and
//! writes go to its poll ring: it reads one block at offset 0 of the file being opened and
//! takes any success as "polling works". When that first file is empty (a new commitlog
//! segment or SSTable component), the read succeeds without reaching the device, the
//! answer is wrong, and every later read of real data on that shard fails with
//! `EOPNOTSUPP` (a fresh shard could then not read back the SSTables it flushed). So each
//! shard first opens and reads a small file that holds data, on every device it uses.

use std::path::{Path, PathBuf};

/// The probe file's name in the data and commitlog directories.
pub const PROBE_FILE_NAME: &str = "io_probe";
/// Its size: one block of the largest logical block size glommio aligns to.
pub const PROBE_FILE_BYTES: usize = 4096;

/// Writes the probe file into each directory unless it is there with its full size
/// (start-up, main thread, before the executors: blocking I/O is fine here).
pub fn prepare(dirs: &[&Path]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let path = dir.join(PROBE_FILE_NAME);
        let complete = std::fs::metadata(&path).is_ok_and(|m| m.len() == PROBE_FILE_BYTES as u64);
        if !complete {
            // Blocking std I/O: main thread at start-up, before any executor runs.
            // Non-zero bytes: nothing may mistake the file for a hole.
            std::fs::write(&path, vec![0xA5u8; PROBE_FILE_BYTES])?;
            std::fs::File::open(&path)?.sync_all()?;
        }
        files.push(path);
    }
    Ok(files)
}

/// Opens and reads each probe file through glommio's DMA path, so this shard's per-device
/// polling decision is taken on real data. Run first thing on every shard.
pub async fn settle_polling(files: &[PathBuf]) -> std::io::Result<()> {
    for path in files {
        let file = glommio::io::OpenOptions::new().read(true).write(true).dma_open(path).await?;
        let read = file.read_at(0, PROBE_FILE_BYTES).await.map(drop);
        let closed = file.close().await;
        read?;
        closed?;
    }
    Ok(())
}
