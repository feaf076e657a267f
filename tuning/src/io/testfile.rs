//! The O_DIRECT test file: directory vetting (no tmpfs, O_DIRECT must open), preallocation, removal on drop.
#![allow(unsafe_code)] // fallocate FFI on an owned fd.

use crate::fsinfo;
use crate::limits::{DIRECT_IO_ALIGN, TEST_FILE_NAME};
use anyhow::{bail, Context, Result};
use std::fs::{File, OpenOptions};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// A preallocated test file opened with O_DIRECT; removed when dropped.
pub struct TestFile {
    path: PathBuf,
    file: File,
    size: u64,
}

impl TestFile {
    /// Creates `dir` if missing, refuses memory filesystems and directories where O_DIRECT fails,
    /// then creates and preallocates a test file of `size` bytes (rounded down to the alignment).
    pub fn create(dir: &Path, size: u64) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create directory {}", dir.display()))?;
        let fs = fsinfo::probe(dir)?;
        if let Some(reason) = fsinfo::refusal_reason(fs.fs_magic) {
            bail!("refusing {}: it {reason}; point --dir at a directory on the real data disk", dir.display());
        }
        let path = dir.join(TEST_FILE_NAME);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(libc::O_DIRECT)
            .open(&path)
            .map_err(|e| {
                let _ = std::fs::remove_file(&path);
                anyhow::anyhow!(
                    "refusing {}: opening a file with O_DIRECT failed ({e}); the filesystem ({}) does not support \
                     direct I/O, which Percore requires",
                    dir.display(),
                    fsinfo::fs_name(fs.fs_magic)
                )
            })?;
        let size = size / DIRECT_IO_ALIGN as u64 * DIRECT_IO_ALIGN as u64;
        let me = Self { path, file, size };
        // SAFETY: valid open fd, non-negative range.
        let rc = unsafe { libc::fallocate(me.fd(), 0, 0, size as libc::off_t) };
        if rc != 0 {
            bail!("fallocate {} bytes in {}: {}", size, dir.display(), std::io::Error::last_os_error());
        }
        Ok(me)
    }

    pub fn fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TestFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_preallocates_and_removes() {
        let t = tempfile::tempdir_in(".").unwrap();
        let dir = t.path().join("new-sub");
        let f = TestFile::create(&dir, 1024 * 1024 + 100).unwrap();
        assert_eq!(f.size(), 1024 * 1024);
        assert_eq!(std::fs::metadata(f.path()).unwrap().len(), 1024 * 1024);
        let p = f.path().to_path_buf();
        drop(f);
        assert!(!p.exists());
    }

    #[test]
    fn refuses_tmpfs() {
        let shm = Path::new("/dev/shm");
        if shm.exists() && fsinfo::probe(shm).map(|f| f.fs_magic == fsinfo::magic::TMPFS).unwrap_or(false) {
            let t = tempfile::tempdir_in(shm).unwrap();
            let err = TestFile::create(t.path(), 1 << 20).err().expect("tmpfs must be refused").to_string();
            assert!(err.contains("memory filesystem"), "{err}");
            assert!(!t.path().join(TEST_FILE_NAME).exists());
        }
    }
}
