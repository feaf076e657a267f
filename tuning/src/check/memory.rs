//! Memory checks: transparent huge pages and swappiness; also the generic finding for a [`Setting`].

use crate::settings::{self, Setting};
use crate::status::Finding;
use crate::sysroot::{selected, SysRoot};

/// A setting as a finding: ok when it already has the wanted value, else a warning with the command.
pub fn from_setting(s: &Setting) -> Finding {
    if s.needs_change() {
        Finding::warn(
            s.name.clone(),
            format!("{} (wanted {}): {}", s.current, s.desired, s.why),
            format!("{}  (or percore-tune apply --yes)", s.set_command()),
        )
    } else {
        Finding::ok(s.name.clone(), s.current.clone())
    }
}

/// THP: `always` + synchronous `defrag=always` stalls allocations in direct compaction.
pub fn transparent_hugepages(root: &SysRoot) -> Finding {
    const NAME: &str = "memory.transparent_hugepages";
    let base = "/sys/kernel/mm/transparent_hugepage";
    let (Some(enabled), Some(defrag)) = (root.read(&format!("{base}/enabled")), root.read(&format!("{base}/defrag")))
    else {
        return Finding::ok(NAME, "not exposed by this kernel");
    };
    let (e, d) = (selected(&enabled).unwrap_or("?"), selected(&defrag).unwrap_or("?"));
    if d == "always" && e != "never" {
        Finding::warn(
            NAME,
            format!("enabled={e}, defrag={d}: page faults may stall in direct compaction"),
            format!("echo madvise > {base}/defrag"),
        )
    } else {
        Finding::ok(NAME, format!("enabled={e}, defrag={d}"))
    }
}

/// `fs.aio-max-nr` and `vm.swappiness`.
pub fn sysctls(root: &SysRoot) -> Vec<Finding> {
    settings::sysctls(root).iter().map(from_setting).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::FakeHost;
    use crate::status::Status;

    #[test]
    fn thp_and_sysctls() {
        let h = FakeHost::typical();
        assert_eq!(transparent_hugepages(&h.root()).status, Status::Ok);
        h.file("/sys/kernel/mm/transparent_hugepage/defrag", "[always] defer madvise never");
        assert_eq!(transparent_hugepages(&h.root()).status, Status::Warn);
        let f = sysctls(&h.root());
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|x| x.status == Status::Warn));
        assert_eq!(f[1].fix.as_deref(), Some("sysctl -w vm.swappiness=1  (or percore-tune apply --yes)"));
        h.file("/proc/sys/vm/swappiness", "1").file("/proc/sys/fs/aio-max-nr", "2097152");
        assert!(sysctls(&h.root()).iter().all(|x| x.status == Status::Ok));
    }
}
