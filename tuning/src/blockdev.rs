//! Resolves a filesystem's device number to the whole disk(s) under it (partitions → disk, dm/md → slaves).

use crate::sysroot::SysRoot;
use std::path::{Path, PathBuf};

/// Deepest stacking of device-mapper / md layers followed.
const MAX_STACK_DEPTH: usize = 8;

/// A whole block device, named as in `/sys/block/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disk {
    pub name: String,
}

impl Disk {
    /// Host path of one of the disk's queue attributes, e.g. `/sys/block/nvme0n1/queue/scheduler`.
    pub fn queue_attr(&self, attr: &str) -> String {
        format!("/sys/block/{}/queue/{attr}", self.name)
    }
}

/// The whole disks holding device `major:minor`; empty for virtual filesystems (device 0:N).
pub fn disks_of(root: &SysRoot, major: u32, minor: u32) -> Vec<Disk> {
    let link = root.path(&format!("/sys/dev/block/{major}:{minor}"));
    let mut out = Vec::new();
    if let Ok(dir) = link.canonicalize() {
        collect(&dir, 0, &mut out);
    }
    out.dedup();
    out
}

fn collect(dev_dir: &Path, depth: usize, out: &mut Vec<Disk>) {
    if depth > MAX_STACK_DEPTH {
        return;
    }
    let disk_dir: PathBuf = if dev_dir.join("partition").exists() {
        dev_dir.parent().unwrap_or(dev_dir).to_path_buf()
    } else {
        dev_dir.to_path_buf()
    };
    let slaves = crate::sysroot::list_dir(&disk_dir.join("slaves"));
    if slaves.is_empty() {
        if let Some(name) = disk_dir.file_name() {
            let disk = Disk { name: name.to_string_lossy().into_owned() };
            if !out.contains(&disk) {
                out.push(disk);
            }
        }
        return;
    }
    for slave in slaves {
        if let Ok(dir) = disk_dir.join("slaves").join(slave).canonicalize() {
            collect(&dir, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    fn mkdirs(p: &Path) {
        fs::create_dir_all(p).unwrap();
    }

    #[test]
    fn whole_disk_partition_and_dm_resolve_to_disks() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        let devices = r.join("sys/devices");
        // vda: whole disk as filesystem device.
        mkdirs(&devices.join("pci/virtio1/block/vda"));
        // nvme0n1 with partition p1.
        mkdirs(&devices.join("pci/nvme/nvme0n1/nvme0n1p1"));
        fs::write(devices.join("pci/nvme/nvme0n1/nvme0n1p1/partition"), "1\n").unwrap();
        // sdb + sdc under dm-0 (e.g. LVM striped), sdb through a partition.
        mkdirs(&devices.join("pci/sata/sdb/sdb1"));
        fs::write(devices.join("pci/sata/sdb/sdb1/partition"), "1\n").unwrap();
        mkdirs(&devices.join("pci/sata/sdc"));
        mkdirs(&devices.join("virtual/block/dm-0/slaves"));
        symlink("../../../../pci/sata/sdb/sdb1", devices.join("virtual/block/dm-0/slaves/sdb1")).unwrap();
        symlink("../../../../pci/sata/sdc", devices.join("virtual/block/dm-0/slaves/sdc")).unwrap();
        let dev_block = r.join("sys/dev/block");
        mkdirs(&dev_block);
        symlink("../../devices/pci/virtio1/block/vda", dev_block.join("254:0")).unwrap();
        symlink("../../devices/pci/nvme/nvme0n1/nvme0n1p1", dev_block.join("259:1")).unwrap();
        symlink("../../devices/virtual/block/dm-0", dev_block.join("253:0")).unwrap();

        let root = SysRoot::new(r);
        let names = |maj, min| disks_of(&root, maj, min).into_iter().map(|d| d.name).collect::<Vec<_>>();
        assert_eq!(names(254, 0), vec!["vda"]);
        assert_eq!(names(259, 1), vec!["nvme0n1"]);
        assert_eq!(names(253, 0), vec!["sdb", "sdc"]);
        assert!(names(0, 42).is_empty());
        assert_eq!(Disk { name: "vda".into() }.queue_attr("nomerges"), "/sys/block/vda/queue/nomerges");
    }
}
