//! CPU checks: frequency governor, cores and NUMA nodes vs `--smp`, clocksource.

use crate::limits::GOOD_CLOCKSOURCES;
use crate::settings;
use crate::status::Finding;
use crate::sysroot::{count_cpu_list, SysRoot};

/// Online CPUs (from `/sys/devices/system/cpu/online`).
pub fn online_cpus(root: &SysRoot) -> Option<usize> {
    count_cpu_list(&root.read("/sys/devices/system/cpu/online")?)
}

/// Online NUMA nodes (1 when the kernel exposes none).
pub fn numa_nodes(root: &SysRoot) -> usize {
    root.read("/sys/devices/system/node/online").and_then(|l| count_cpu_list(&l)).unwrap_or(1)
}

/// The `performance` governor on every CPU that has cpufreq.
pub fn governor(root: &SysRoot) -> Finding {
    const NAME: &str = "cpu.governor";
    let govs = settings::governors(root);
    if govs.is_empty() {
        return Finding::ok(NAME, "cpufreq not exposed (usual in VMs: the hypervisor owns the frequency)");
    }
    let slow: Vec<&settings::Setting> = govs.iter().filter(|s| s.needs_change()).collect();
    if slow.is_empty() {
        let cur: Vec<&str> = govs.iter().map(|s| s.current.as_str()).collect();
        return Finding::ok(NAME, format!("{} on {} CPU(s)", dedup(&cur), govs.len()));
    }
    let which: Vec<String> =
        slow.iter().map(|s| format!("{}={}", s.name.split('.').nth(1).unwrap_or("?"), s.current)).collect();
    Finding::warn(NAME, which.join(", "), "percore-tune apply --yes (or cpupower frequency-set -g performance)")
}

fn dedup(v: &[&str]) -> String {
    let mut u: Vec<&str> = v.to_vec();
    u.sort_unstable();
    u.dedup();
    u.join("/")
}

/// Shards (`--smp`) against online CPUs and NUMA nodes.
pub fn cores(root: &SysRoot, smp: Option<usize>) -> Finding {
    const NAME: &str = "cpu.cores";
    let nodes = numa_nodes(root);
    let Some(cpus) = online_cpus(root) else {
        return Finding::warn(NAME, "cannot read /sys/devices/system/cpu/online", "check that /sys is mounted");
    };
    let base = format!("{cpus} online CPU(s), {nodes} NUMA node(s)");
    match smp {
        Some(s) if s > cpus => Finding::critical(
            NAME,
            format!("{base}; --smp {s} oversubscribes the cores (shards would share CPUs)"),
            format!("start Percore with --smp {cpus} or fewer"),
        ),
        Some(s) if nodes > 1 && s % nodes != 0 => Finding::warn(
            NAME,
            format!("{base}; --smp {s} does not divide evenly across NUMA nodes"),
            format!("use a multiple of {nodes} shards"),
        ),
        Some(s) => Finding::ok(NAME, format!("{base}; --smp {s} fits")),
        None => Finding::ok(NAME, format!("{base}; one shard per CPU by default")),
    }
}

/// A clocksource with a fast vDSO clock_gettime.
pub fn clocksource(root: &SysRoot) -> Finding {
    const NAME: &str = "clocksource";
    let base = "/sys/devices/system/clocksource/clocksource0";
    let Some(cur) = root.read(&format!("{base}/current_clocksource")) else {
        return Finding::ok(NAME, "not exposed");
    };
    if GOOD_CLOCKSOURCES.contains(&cur.as_str()) {
        return Finding::ok(NAME, cur);
    }
    let available = root.read(&format!("{base}/available_clocksource")).unwrap_or_default();
    let better = available.split_whitespace().find(|c| GOOD_CLOCKSOURCES.contains(c));
    let fix = match better {
        Some(b) => format!("echo {b} > {base}/current_clocksource (and clocksource={b} on the kernel command line)"),
        None => "use a host/VM type with a TSC or kvm-clock clocksource".to_string(),
    };
    Finding::warn(NAME, format!("{cur}: every clock read is a slow system call"), fix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::FakeHost;
    use crate::status::Status;

    #[test]
    fn governor_cores_clock() {
        let h = FakeHost::typical();
        let g = governor(&h.root());
        assert_eq!(g.status, Status::Warn);
        assert!(g.detail.contains("cpu0=powersave"), "{}", g.detail);
        assert_eq!(governor(&FakeHost::new().root()).status, Status::Ok);
        assert!(governor(&FakeHost::new().root()).detail.contains("VM"));

        assert_eq!(cores(&h.root(), Some(2)).status, Status::Ok);
        assert_eq!(cores(&h.root(), Some(3)).status, Status::Critical);
        assert_eq!(cores(&h.root(), None).status, Status::Ok);
        h.file("/sys/devices/system/node/online", "0-1").file("/sys/devices/system/cpu/online", "0-7");
        assert_eq!(cores(&h.root(), Some(3)).status, Status::Warn);

        assert_eq!(clocksource(&h.root()).status, Status::Ok);
        h.file("/sys/devices/system/clocksource/clocksource0/current_clocksource", "hpet");
        let c = clocksource(&h.root());
        assert_eq!(c.status, Status::Warn);
        assert!(c.fix.unwrap().starts_with("echo tsc >"));
    }
}
