//! `percore-tune check`: reports every host setting that matters to Percore as ok / warn / critical, with the fix.

pub mod cpu;
pub mod disk;
pub mod kernel;
pub mod memory;
pub mod network;

use crate::fsinfo::{self, DirFs};
use crate::status::Finding;
use crate::sysroot::SysRoot;
use std::path::PathBuf;

/// Facts that cannot come from a fake tree: syscalls and the data directories' statfs.
#[derive(Debug, Clone)]
pub struct LiveFacts {
    /// Result of creating a real io_uring.
    pub io_uring_setup: Result<(), String>,
    /// Soft RLIMIT_MEMLOCK in bytes, `None` when unlimited.
    pub memlock: Option<u64>,
    /// Each data directory (as given) with its filesystem facts or the probe error.
    pub dirs: Vec<(String, Result<DirFs, String>)>,
}

/// Entries of the io_uring created to prove `io_uring_setup` works.
const PROBE_RING_ENTRIES: u32 = 2;

/// Gathers the live facts for `dirs` (a missing directory is probed through its nearest existing ancestor).
pub fn gather(dirs: &[PathBuf]) -> LiveFacts {
    let io_uring_setup = io_uring::IoUring::new(PROBE_RING_ENTRIES).map(|_| ()).map_err(|e| e.to_string());
    let dirs = dirs
        .iter()
        .map(|d| (d.display().to_string(), fsinfo::probe(&fsinfo::existing_ancestor(d)).map_err(|e| e.to_string())))
        .collect();
    LiveFacts { io_uring_setup, memlock: memlock_soft_limit(), dirs }
}

#[allow(unsafe_code)]
fn memlock_soft_limit() -> Option<u64> {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: r is a valid out-parameter.
    if unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut r) } != 0 || r.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    Some(r.rlim_cur)
}

/// All findings, in a stable order.
pub fn run(root: &SysRoot, live: &LiveFacts, smp: Option<usize>) -> Vec<Finding> {
    let cpus = cpu::online_cpus(root).unwrap_or(1);
    let shards = smp.unwrap_or(cpus);
    let mut out = vec![kernel::io_uring(root, &live.io_uring_setup), kernel::memlock(live.memlock, shards)];
    out.extend(memory::sysctls(root));
    out.push(memory::transparent_hugepages(root));
    out.push(cpu::governor(root));
    out.push(cpu::cores(root, smp));
    out.push(cpu::clocksource(root));
    out.push(network::irqbalance(root));
    out.extend(network::nics(root, cpus));
    for (dir, fs) in &live.dirs {
        match fs {
            Ok(fs) => {
                out.push(disk::filesystem(dir, fs));
                out.push(disk::free_space(dir, fs));
                out.extend(disk::block_queues(root, dir, fs));
            }
            Err(e) => {
                out.push(Finding::critical(format!("dir[{dir}]"), format!("cannot inspect: {e}"), "check the path"))
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::FakeHost;
    use crate::fsinfo::magic;
    use crate::status::{exit_code, Status};

    #[test]
    fn whole_report_on_a_fake_host() {
        let h = FakeHost::typical();
        let fs = DirFs { fs_magic: magic::XFS, dev_major: 259, dev_minor: 1, free_bytes: 900, total_bytes: 1000 };
        let live = LiveFacts { io_uring_setup: Ok(()), memlock: None, dirs: vec![("/data".into(), Ok(fs))] };
        let f = run(&h.root(), &live, Some(2));
        let status = |n: &str| f.iter().find(|x| x.check == n).map(|x| x.status);
        assert_eq!(status("io_uring"), Some(Status::Ok));
        assert_eq!(status("sysctl.vm.swappiness"), Some(Status::Warn));
        assert_eq!(status("cpu.governor"), Some(Status::Warn));
        assert_eq!(status("dir[/data].filesystem"), Some(Status::Ok));
        assert_eq!(status("block.nvme0n1.nomerges"), Some(Status::Warn));
        assert_eq!(exit_code(&f), 1);
        let bad = LiveFacts { io_uring_setup: Err("Operation not permitted".into()), ..live };
        assert_eq!(exit_code(&run(&h.root(), &bad, Some(2))), 2);
    }

    #[test]
    fn live_gather_works_here() {
        let live = gather(&[PathBuf::from("./does-not-exist-yet/x")]);
        assert!(live.dirs[0].1.is_ok());
    }
}
