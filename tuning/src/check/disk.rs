//! Data-directory checks: filesystem type, free space, and the queue settings of the disk(s) below.

use super::memory::from_setting;
use crate::blockdev::{self, Disk};
use crate::fsinfo::{self, DirFs};
use crate::limits::{CRITICAL_FREE_FRACTION, GOOD_FILESYSTEMS, MIN_NR_REQUESTS, WARN_FREE_FRACTION};
use crate::settings;
use crate::status::Finding;
use crate::sysroot::{selected, SysRoot};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Filesystem type of a data directory: XFS/ext4 ok, memory filesystems critical, others a warning.
pub fn filesystem(dir: &str, fs: &DirFs) -> Finding {
    let name = format!("dir[{dir}].filesystem");
    let fs_name = fsinfo::fs_name(fs.fs_magic);
    if let Some(reason) = fsinfo::refusal_reason(fs.fs_magic) {
        return Finding::critical(
            name,
            format!("{fs_name}: {dir} {reason}"),
            "put the data directory on an XFS or ext4 disk",
        );
    }
    if GOOD_FILESYSTEMS.contains(&fs_name.as_str()) {
        Finding::ok(name, fs_name)
    } else {
        Finding::warn(name, format!("{fs_name} is untested with Percore's O_DIRECT I/O"), "use XFS (preferred) or ext4")
    }
}

/// Free space against what compaction needs.
pub fn free_space(dir: &str, fs: &DirFs) -> Finding {
    let name = format!("dir[{dir}].free_space");
    let frac = if fs.total_bytes == 0 { 0.0 } else { fs.free_bytes as f64 / fs.total_bytes as f64 };
    let detail = format!(
        "{:.1} GiB free of {:.1} GiB ({:.0}%)",
        fs.free_bytes as f64 / GIB,
        fs.total_bytes as f64 / GIB,
        frac * 100.0
    );
    let fix = "free space or grow the filesystem: compaction rewrites SSTables and needs room";
    if frac < CRITICAL_FREE_FRACTION {
        Finding::critical(name, detail, fix)
    } else if frac < WARN_FREE_FRACTION {
        Finding::warn(name, detail, fix)
    } else {
        Finding::ok(name, detail)
    }
}

/// Queue findings of every disk under a device number.
pub fn block_queues(root: &SysRoot, dir: &str, fs: &DirFs) -> Vec<Finding> {
    let disks = blockdev::disks_of(root, fs.dev_major, fs.dev_minor);
    if disks.is_empty() {
        return vec![Finding::ok(
            format!("dir[{dir}].block_device"),
            format!("device {}:{} has no block device in /sys (virtual filesystem)", fs.dev_major, fs.dev_minor),
        )];
    }
    disks.iter().flat_map(|d| disk_queue(root, d)).collect()
}

fn disk_queue(root: &SysRoot, disk: &Disk) -> Vec<Finding> {
    let mut out = Vec::new();
    let fast = settings::is_fast_disk(root, disk);
    let nr = root.read_u64(&disk.queue_attr("nr_requests"));
    let sched = root.read(&disk.queue_attr("scheduler")).and_then(|s| selected(&s).map(str::to_string));
    let kind = if fast { "non-rotational" } else { "rotational" };
    out.push(Finding::ok(
        format!("block.{}", disk.name),
        format!(
            "{kind}, scheduler {}, queue depth (nr_requests) {}",
            sched.as_deref().unwrap_or("?"),
            nr.map_or("?".to_string(), |n| n.to_string())
        ),
    ));
    if let Some(n) = nr.filter(|&n| n < MIN_NR_REQUESTS) {
        out.push(Finding::warn(
            format!("block.{}.nr_requests", disk.name),
            format!("queue depth {n} < {MIN_NR_REQUESTS} limits concurrency"),
            format!("echo {MIN_NR_REQUESTS} > {}", disk.queue_attr("nr_requests")),
        ));
    }
    out.extend(settings::block_queue(root, disk).iter().map(from_setting));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::FakeHost;
    use crate::fsinfo::magic;
    use crate::status::Status;

    fn fs(magic: u64, free: u64, total: u64) -> DirFs {
        DirFs { fs_magic: magic, dev_major: 259, dev_minor: 1, free_bytes: free, total_bytes: total }
    }

    #[test]
    fn filesystem_and_space() {
        assert_eq!(filesystem("/d", &fs(magic::XFS, 1, 1)).status, Status::Ok);
        assert_eq!(filesystem("/d", &fs(magic::EXT4, 1, 1)).status, Status::Ok);
        assert_eq!(filesystem("/d", &fs(magic::BTRFS, 1, 1)).status, Status::Warn);
        assert_eq!(filesystem("/d", &fs(magic::TMPFS, 1, 1)).status, Status::Critical);
        assert_eq!(free_space("/d", &fs(magic::XFS, 50, 100)).status, Status::Ok);
        assert_eq!(free_space("/d", &fs(magic::XFS, 10, 100)).status, Status::Warn);
        assert_eq!(free_space("/d", &fs(magic::XFS, 1, 100)).status, Status::Critical);
    }

    #[test]
    fn nvme_partition_queue_settings() {
        let h = FakeHost::typical();
        let f = block_queues(&h.root(), "/d", &fs(magic::XFS, 1, 1));
        let get = |n: &str| f.iter().find(|x| x.check == n).unwrap_or_else(|| panic!("{n} missing in {f:?}"));
        assert_eq!(get("block.nvme0n1").status, Status::Ok);
        assert_eq!(get("block.nvme0n1.scheduler").status, Status::Ok);
        assert_eq!(get("block.nvme0n1.nomerges").status, Status::Warn);
        let virt = block_queues(&h.root(), "/d", &DirFs { dev_major: 0, dev_minor: 50, ..fs(magic::XFS, 1, 1) });
        assert_eq!(virt[0].status, Status::Ok);
    }
}
