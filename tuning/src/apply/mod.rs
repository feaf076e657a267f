//! `percore-tune apply`: plans the safe subset of host changes (sysctls, fast-disk queues, CPU governor),
//! prints each as current → new with the undo command, and writes them only with `--yes` as root.

use crate::blockdev::{self, Disk};
use crate::fsinfo;
use crate::settings::{self, Setting};
use crate::sysroot::SysRoot;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

/// Every change `apply` would make on `root` for the disks under `dirs`.
pub fn plan(root: &SysRoot, disks: &[Disk]) -> Vec<Setting> {
    let mut all = settings::sysctls(root);
    for d in disks {
        all.extend(settings::block_queue(root, d));
    }
    all.extend(settings::governors(root));
    all.into_iter().filter(Setting::needs_change).collect()
}

/// The disks holding each directory (missing directories through their nearest existing ancestor).
pub fn disks_for(root: &SysRoot, dirs: &[PathBuf]) -> Vec<Disk> {
    let mut out: Vec<Disk> = Vec::new();
    for d in dirs {
        if let Ok(fs) = fsinfo::probe(&fsinfo::existing_ancestor(d)) {
            for disk in blockdev::disks_of(root, fs.dev_major, fs.dev_minor) {
                if !out.contains(&disk) {
                    out.push(disk);
                }
            }
        }
    }
    out
}

/// The plan as text: one block per change with the command and its undo.
pub fn render(changes: &[Setting], dry_run: bool) -> String {
    if changes.is_empty() {
        return "nothing to change: every setting percore-tune manages already has the recommended value\n".into();
    }
    let verb = if dry_run { "would change" } else { "changing" };
    let mut out = String::new();
    for c in changes {
        out.push_str(&format!(
            "{verb} {}: {} -> {}\n    why:  {}\n    run:  {}\n    undo: {}\n",
            c.name,
            c.current,
            c.desired,
            c.why,
            c.set_command(),
            c.undo_command()
        ));
    }
    if dry_run {
        out.push_str("\ndry run: nothing was changed; run `percore-tune apply --yes` as root to apply\n");
    } else {
        out.push_str(
            "\nthese changes last until reboot; persist sysctls in /etc/sysctl.d/ and queue settings with a udev rule\n",
        );
    }
    out
}

/// Whether this process runs as root.
#[allow(unsafe_code)]
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Writes every change under `root`, re-reading each to confirm the kernel took it.
pub fn execute(root: &SysRoot, changes: &[Setting], as_root: bool) -> Result<()> {
    if !as_root {
        bail!("refusing to apply: changing kernel settings needs root (run with sudo); `percore-tune apply` without --yes shows the plan");
    }
    for c in changes {
        let path = root.path(&c.path);
        std::fs::write(&path, format!("{}\n", c.desired)).with_context(|| format!("{}: writing {}", c.name, c.path))?;
        let now = root.read(&c.path).unwrap_or_default();
        let took = now == c.desired || crate::sysroot::selected(&now) == Some(c.desired.as_str());
        if !took {
            bail!("{}: wrote {} to {} but it now reads {now:?}", c.name, c.desired, c.path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::FakeHost;

    #[test]
    fn dry_run_plan_on_a_fake_host() {
        let h = FakeHost::typical();
        let disks = vec![Disk { name: "nvme0n1".into() }];
        let p = plan(&h.root(), &disks);
        let names: Vec<&str> = p.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["sysctl.fs.aio-max-nr", "sysctl.vm.swappiness", "block.nvme0n1.nomerges", "cpufreq.cpu0.governor"]
        );
        let text = render(&p, true);
        assert!(text.contains("would change sysctl.vm.swappiness: 60 -> 1"), "{text}");
        assert!(text.contains("undo: sysctl -w vm.swappiness=60"));
        assert!(text.contains("undo: echo 0 > /sys/block/nvme0n1/queue/nomerges"));
        assert!(text.contains("run:  echo performance > /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"));
        assert!(text.contains("dry run: nothing was changed"));
        // the planner changed nothing
        assert_eq!(h.read("/proc/sys/vm/swappiness"), "60");
        assert_eq!(h.read("/sys/block/nvme0n1/queue/nomerges"), "0");
    }

    #[test]
    fn rotational_disks_and_tuned_hosts_need_nothing() {
        let h = FakeHost::typical();
        h.file("/sys/block/nvme0n1/queue/nomerges", "2")
            .file("/proc/sys/vm/swappiness", "1")
            .file("/proc/sys/fs/aio-max-nr", "1048576")
            .file("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "performance")
            .file("/sys/block/sda/queue/scheduler", "[mq-deadline] none")
            .file("/sys/block/sda/queue/rotational", "1");
        let disks = vec![Disk { name: "nvme0n1".into() }, Disk { name: "sda".into() }];
        assert!(plan(&h.root(), &disks).is_empty());
        assert!(render(&[], true).starts_with("nothing to change"));
    }

    #[test]
    fn apply_refuses_without_root_and_writes_into_the_fake_tree() {
        let h = FakeHost::typical();
        let p = plan(&h.root(), &[Disk { name: "nvme0n1".into() }]);
        let err = execute(&h.root(), &p, false).unwrap_err().to_string();
        assert!(err.contains("needs root"), "{err}");
        assert_eq!(h.read("/proc/sys/vm/swappiness"), "60");
        execute(&h.root(), &p, true).unwrap();
        assert_eq!(h.read("/proc/sys/vm/swappiness"), "1");
        assert!(crate::fixture::exists(&h, "/sys/block/nvme0n1/queue/nomerges"));
        assert_eq!(h.read("/sys/block/nvme0n1/queue/nomerges"), "2");
    }
}
