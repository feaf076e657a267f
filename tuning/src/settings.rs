//! Host settings Percore wants, read from a (possibly fake) root: sysctls, block queues, CPU governor.
//! `check` reports the ones that differ; `apply` plans and makes exactly these changes.

use crate::blockdev::Disk;
use crate::limits::{MAX_SWAPPINESS, RECOMMENDED_AIO_MAX_NR, RECOMMENDED_NOMERGES, RECOMMENDED_SWAPPINESS};
use crate::sysroot::{choices, selected, SysRoot};
use serde::Serialize;

/// Prefix of sysctl files.
const PROC_SYS: &str = "/proc/sys/";
/// Governor that keeps cores at full clock.
const PERFORMANCE_GOVERNOR: &str = "performance";
/// I/O scheduler for fast non-rotational devices.
const NO_SCHEDULER: &str = "none";

/// One kernel knob: where it lives, what it is, and what Percore wants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// Stable check name, e.g. `sysctl.fs.aio-max-nr` or `block.vda.scheduler`.
    pub name: String,
    /// Host path of the file that holds it.
    pub path: String,
    pub current: String,
    pub desired: String,
    pub why: String,
}

impl Setting {
    pub fn needs_change(&self) -> bool {
        self.current != self.desired
    }

    /// Shell command that sets `value`.
    pub fn command_for(&self, value: &str) -> String {
        match self.path.strip_prefix(PROC_SYS) {
            Some(key) => format!("sysctl -w {}={value}", key.replace('/', ".")),
            None => format!("echo {value} > {}", self.path),
        }
    }

    pub fn set_command(&self) -> String {
        self.command_for(&self.desired)
    }

    pub fn undo_command(&self) -> String {
        self.command_for(&self.current)
    }
}

/// `fs.aio-max-nr` and `vm.swappiness`.
pub fn sysctls(root: &SysRoot) -> Vec<Setting> {
    let mut out = Vec::new();
    let aio = "/proc/sys/fs/aio-max-nr";
    if let Some(cur) = root.read_u64(aio) {
        out.push(Setting {
            name: "sysctl.fs.aio-max-nr".into(),
            path: aio.into(),
            current: cur.to_string(),
            desired: cur.max(RECOMMENDED_AIO_MAX_NR).to_string(),
            why: format!("AIO contexts for many shards and tools (recommended >= {RECOMMENDED_AIO_MAX_NR})"),
        });
    }
    let swap = "/proc/sys/vm/swappiness";
    if let Some(cur) = root.read_u64(swap) {
        let desired = if cur > MAX_SWAPPINESS { RECOMMENDED_SWAPPINESS } else { cur };
        out.push(Setting {
            name: "sysctl.vm.swappiness".into(),
            path: swap.into(),
            current: cur.to_string(),
            desired: desired.to_string(),
            why: format!("swapping out shard memory stalls the reactor (recommended <= {MAX_SWAPPINESS})"),
        });
    }
    out
}

/// Whether a disk is non-rotational (NVMe always is).
pub fn is_fast_disk(root: &SysRoot, disk: &Disk) -> bool {
    disk.name.starts_with("nvme") || root.read_u64(&disk.queue_attr("rotational")) == Some(0)
}

/// Scheduler `none` and `nomerges` for non-rotational disks; nothing for rotational ones.
pub fn block_queue(root: &SysRoot, disk: &Disk) -> Vec<Setting> {
    let mut out = Vec::new();
    if !is_fast_disk(root, disk) {
        return out;
    }
    let sched_path = disk.queue_attr("scheduler");
    if let Some(text) = root.read(&sched_path) {
        if let Some(cur) = selected(&text) {
            let has_none = choices(&text).iter().any(|c| c == NO_SCHEDULER);
            out.push(Setting {
                name: format!("block.{}.scheduler", disk.name),
                path: sched_path,
                current: cur.to_string(),
                desired: if has_none { NO_SCHEDULER.to_string() } else { cur.to_string() },
                why: "a fast device needs no kernel I/O scheduler; Percore schedules its own I/O".into(),
            });
        }
    }
    let merges = disk.queue_attr("nomerges");
    if let Some(cur) = root.read_u64(&merges) {
        out.push(Setting {
            name: format!("block.{}.nomerges", disk.name),
            path: merges,
            current: cur.to_string(),
            desired: RECOMMENDED_NOMERGES.to_string(),
            why: "request merging only costs CPU on a fast device".into(),
        });
    }
    out
}

/// `scaling_governor` of every CPU that exposes cpufreq and offers `performance`.
pub fn governors(root: &SysRoot) -> Vec<Setting> {
    let mut out = Vec::new();
    for cpu in root.list("/sys/devices/system/cpu") {
        if !is_cpu_dir(&cpu) {
            continue;
        }
        let base = format!("/sys/devices/system/cpu/{cpu}/cpufreq");
        let Some(cur) = root.read(&format!("{base}/scaling_governor")) else { continue };
        let available = root.read(&format!("{base}/scaling_available_governors")).unwrap_or_default();
        let desired =
            if available.split_whitespace().any(|g| g == PERFORMANCE_GOVERNOR) { PERFORMANCE_GOVERNOR } else { &cur };
        out.push(Setting {
            name: format!("cpufreq.{cpu}.governor"),
            path: format!("{base}/scaling_governor"),
            current: cur.clone(),
            desired: desired.to_string(),
            why: "frequency scaling adds latency when a shard wakes up".into(),
        });
    }
    out
}

/// `cpu0`, `cpu1`, … but not `cpufreq` or `cpuidle`.
pub fn is_cpu_dir(name: &str) -> bool {
    name.strip_prefix("cpu").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_undo() {
        let s = Setting {
            name: "sysctl.vm.swappiness".into(),
            path: "/proc/sys/vm/swappiness".into(),
            current: "60".into(),
            desired: "1".into(),
            why: String::new(),
        };
        assert_eq!(s.set_command(), "sysctl -w vm.swappiness=1");
        assert_eq!(s.undo_command(), "sysctl -w vm.swappiness=60");
        let b = Setting {
            path: "/sys/block/nvme0n1/queue/scheduler".into(),
            desired: "none".into(),
            current: "mq-deadline".into(),
            ..s
        };
        assert_eq!(b.set_command(), "echo none > /sys/block/nvme0n1/queue/scheduler");
        assert_eq!(b.undo_command(), "echo mq-deadline > /sys/block/nvme0n1/queue/scheduler");
        assert!(is_cpu_dir("cpu12") && !is_cpu_dir("cpufreq") && !is_cpu_dir("cpu"));
    }
}
