//! Test-only fake `/proc` + `/sys` trees under a temp directory.

use crate::sysroot::SysRoot;
use std::fs;
use std::path::Path;

/// A temp directory standing for `/`.
pub struct FakeHost {
    pub dir: tempfile::TempDir,
}

impl FakeHost {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("tempdir") }
    }

    pub fn root(&self) -> SysRoot {
        SysRoot::new(self.dir.path())
    }

    /// Writes `content` (plus a newline, as the kernel does) at host path `path`.
    pub fn file(&self, path: &str, content: &str) -> &Self {
        let p = self.dir.path().join(path.trim_start_matches('/'));
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, format!("{content}\n")).expect("write");
        self
    }

    /// Symlink at host path `link` pointing to the relative `target`.
    pub fn symlink(&self, target: &str, link: &str) -> &Self {
        let p = self.dir.path().join(link.trim_start_matches('/'));
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::os::unix::fs::symlink(target, p).expect("symlink");
        self
    }

    /// Content of a host path inside the fake tree.
    pub fn read(&self, path: &str) -> String {
        fs::read_to_string(self.dir.path().join(path.trim_start_matches('/'))).expect("read").trim().to_string()
    }

    /// A tuned-badly 2-CPU VM-like host with one NVMe disk (259:0) and one virtio NIC.
    pub fn typical() -> Self {
        let h = Self::new();
        h.file("/proc/sys/kernel/io_uring_disabled", "0")
            .file("/proc/sys/fs/aio-max-nr", "65536")
            .file("/proc/sys/vm/swappiness", "60")
            .file("/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never")
            .file("/sys/kernel/mm/transparent_hugepage/defrag", "always defer defer+madvise [madvise] never")
            .file("/sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc")
            .file("/sys/devices/system/clocksource/clocksource0/available_clocksource", "tsc hpet acpi_pm")
            .file("/sys/devices/system/cpu/online", "0-1")
            .file("/sys/devices/system/node/online", "0")
            .file("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "powersave")
            .file("/sys/devices/system/cpu/cpu0/cpufreq/scaling_available_governors", "performance powersave")
            .file("/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "performance")
            .file("/sys/devices/system/cpu/cpu1/cpufreq/scaling_available_governors", "performance powersave")
            .file("/sys/block/nvme0n1/queue/scheduler", "[none] mq-deadline")
            .file("/sys/block/nvme0n1/queue/nomerges", "0")
            .file("/sys/block/nvme0n1/queue/nr_requests", "1023")
            .file("/sys/block/nvme0n1/queue/rotational", "0")
            .file("/sys/devices/pci/nvme0n1/nvme0n1p1/partition", "1")
            .symlink("../../devices/pci/nvme0n1/nvme0n1p1", "/sys/dev/block/259:1")
            .file("/sys/class/net/eth0/queues/rx-0/rps_cpus", "0")
            .file("/sys/class/net/eth0/queues/tx-0/xps_cpus", "0")
            .file("/sys/devices/virtio2/vendor", "0x1af4")
            .symlink("../../../devices/virtio2", "/sys/class/net/eth0/device")
            .file("/sys/class/net/lo/queues/rx-0/rps_cpus", "0")
            .file(
                "/proc/interrupts",
                "           CPU0       CPU1\n 38:          0       7401 PCI-MSIX  1-edge  virtio2-input.0\n \
                 39:          0       5115 PCI-MSIX  2-edge  virtio2-output.0\nLOC:  5  6  Local timer interrupts",
            )
            .file("/proc/1/comm", "init");
        h
    }
}

impl Default for FakeHost {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a fake path exists.
pub fn exists(h: &FakeHost, path: &str) -> bool {
    Path::new(&h.dir.path().join(path.trim_start_matches('/'))).exists()
}
