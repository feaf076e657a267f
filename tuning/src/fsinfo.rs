//! Filesystem facts of a directory: type (statfs magic), device numbers, free space, mount point.
#![allow(unsafe_code)] // statfs/statvfs FFI calls, each on a NUL-terminated path and a zeroed out-struct.

use anyhow::{bail, Context, Result};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// statfs `f_type` magic numbers (linux/magic.h) of the filesystems we name.
pub mod magic {
    pub const TMPFS: u64 = 0x0102_1994;
    pub const RAMFS: u64 = 0x8584_58f6;
    pub const EXT4: u64 = 0xEF53;
    pub const XFS: u64 = 0x5846_5342;
    pub const BTRFS: u64 = 0x9123_683E;
    pub const OVERLAYFS: u64 = 0x794c_7630;
    pub const ZFS: u64 = 0x2fc1_2fc1;
    pub const NFS: u64 = 0x6969;
    pub const F2FS: u64 = 0xF2F5_2010;
}

/// Name of a filesystem from its statfs magic (ext2/3/4 share one magic).
pub fn fs_name(fs_magic: u64) -> String {
    match fs_magic {
        magic::TMPFS => "tmpfs".into(),
        magic::RAMFS => "ramfs".into(),
        magic::EXT4 => "ext4".into(),
        magic::XFS => "xfs".into(),
        magic::BTRFS => "btrfs".into(),
        magic::OVERLAYFS => "overlayfs".into(),
        magic::ZFS => "zfs".into(),
        magic::NFS => "nfs".into(),
        magic::F2FS => "f2fs".into(),
        other => format!("unknown (magic {other:#x})"),
    }
}

/// Why a filesystem cannot be measured, or `None` when it can.
pub fn refusal_reason(fs_magic: u64) -> Option<&'static str> {
    match fs_magic {
        magic::TMPFS | magic::RAMFS => {
            Some("is on a memory filesystem (tmpfs/ramfs): it has no disk to measure and no O_DIRECT")
        }
        _ => None,
    }
}

/// What statfs/statvfs/stat say about a directory.
#[derive(Debug, Clone)]
pub struct DirFs {
    pub fs_magic: u64,
    pub dev_major: u32,
    pub dev_minor: u32,
    pub free_bytes: u64,
    pub total_bytes: u64,
}

/// statfs + statvfs + stat of an existing path.
pub fn probe(path: &Path) -> Result<DirFs> {
    let c = CString::new(path.as_os_str().as_bytes()).context("path contains NUL")?;
    let mut sfs: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid C string, `sfs` a writable statfs.
    if unsafe { libc::statfs(c.as_ptr(), &mut sfs) } != 0 {
        bail!("statfs {}: {}", path.display(), std::io::Error::last_os_error());
    }
    let mut svfs: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above, `svfs` a writable statvfs.
    if unsafe { libc::statvfs(c.as_ptr(), &mut svfs) } != 0 {
        bail!("statvfs {}: {}", path.display(), std::io::Error::last_os_error());
    }
    let meta = std::fs::metadata(path).with_context(|| format!("stat {}", path.display()))?;
    let dev = meta.dev();
    Ok(DirFs {
        fs_magic: sfs.f_type as u64,
        dev_major: libc::major(dev),
        dev_minor: libc::minor(dev),
        free_bytes: svfs.f_bavail as u64 * svfs.f_frsize as u64,
        total_bytes: svfs.f_blocks as u64 * svfs.f_frsize as u64,
    })
}

/// The path itself if it exists, else its nearest existing ancestor (a data dir may not be created yet).
pub fn existing_ancestor(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut p = abs.as_path();
    loop {
        if p.exists() {
            return p.to_path_buf();
        }
        match p.parent() {
            Some(parent) => p = parent,
            None => return PathBuf::from("/"),
        }
    }
}

/// Mount points listed in a `/proc/self/mountinfo` text (5th field, octal escapes decoded).
pub fn parse_mountinfo(text: &str) -> Vec<PathBuf> {
    text.lines().filter_map(|l| l.split_whitespace().nth(4)).map(|m| PathBuf::from(unescape_octal(m))).collect()
}

/// The longest mount point that is a prefix of `canonical`.
pub fn mount_point_of(canonical: &Path, mounts: &[PathBuf]) -> PathBuf {
    mounts
        .iter()
        .filter(|m| canonical.starts_with(m))
        .max_by_key(|m| m.components().count())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("/"))
}

fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let esc = &bytes[i..(i + 4).min(bytes.len())];
        if esc.len() == 4 && esc[0] == b'\\' && esc[1..].iter().all(|b| (b'0'..=b'7').contains(b)) {
            out.push((esc[1] - b'0') * 64 + (esc[2] - b'0') * 8 + (esc[3] - b'0'));
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmpfs_and_ramfs_are_refused_by_magic() {
        assert!(refusal_reason(magic::TMPFS).is_some());
        assert!(refusal_reason(magic::RAMFS).is_some());
        assert!(refusal_reason(magic::EXT4).is_none());
        assert!(refusal_reason(magic::XFS).is_none());
        assert_eq!(fs_name(magic::XFS), "xfs");
        assert!(fs_name(0x1234).starts_with("unknown"));
    }

    #[test]
    fn dev_shm_is_seen_as_tmpfs() {
        let shm = Path::new("/dev/shm");
        if shm.exists() {
            let fs = probe(shm).unwrap();
            assert_eq!(fs_name(fs.fs_magic), "tmpfs");
            assert!(refusal_reason(fs.fs_magic).is_some());
        }
    }

    #[test]
    fn mount_point_is_the_longest_prefix() {
        let text = "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n\
                    30 22 0:5 / /dev rw - devtmpfs devtmpfs rw\n\
                    31 22 259:1 / /var/lib/my\\040data rw - xfs /dev/nvme0n1 rw\n";
        let mounts = parse_mountinfo(text);
        assert_eq!(mounts.len(), 3);
        assert_eq!(mount_point_of(Path::new("/var/lib/my data/x"), &mounts), PathBuf::from("/var/lib/my data"));
        assert_eq!(mount_point_of(Path::new("/work/main"), &mounts), PathBuf::from("/"));
        assert_eq!(mount_point_of(Path::new("/devices"), &mounts), PathBuf::from("/"));
    }

    #[test]
    fn missing_dirs_resolve_to_an_existing_ancestor() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("a/b/c");
        assert_eq!(existing_ancestor(&p), t.path());
    }
}
