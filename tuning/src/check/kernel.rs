//! Kernel-facing checks: io_uring availability (sysctl and a real `io_uring_setup`), RLIMIT_MEMLOCK.

use crate::limits::GLOMMIO_IO_MEMORY_BYTES;
use crate::status::Finding;
use crate::sysroot::SysRoot;

const MIB: u64 = 1024 * 1024;

/// `kernel.io_uring_disabled` and the result of actually creating a ring.
pub fn io_uring(root: &SysRoot, setup: &Result<(), String>) -> Finding {
    const NAME: &str = "io_uring";
    let disabled = root.read_u64("/proc/sys/kernel/io_uring_disabled");
    let fix_sysctl = "sysctl -w kernel.io_uring_disabled=0 (and persist it in /etc/sysctl.d/)";
    match (disabled, setup) {
        (Some(2), _) => Finding::critical(NAME, "kernel.io_uring_disabled=2: io_uring is off for everyone", fix_sysctl),
        (_, Err(e)) => Finding::critical(
            NAME,
            format!("io_uring_setup failed: {e}"),
            "allow io_uring_setup/io_uring_enter/io_uring_register in the seccomp profile (containers: \
             --security-opt seccomp=<profile allowing io_uring>), or set kernel.io_uring_disabled=0",
        ),
        (Some(1), Ok(())) => Finding::warn(
            NAME,
            "kernel.io_uring_disabled=1: only privileged processes or kernel.io_uring_group may create rings \
             (this one could)",
            format!("{fix_sysctl}, or run Percore in kernel.io_uring_group"),
        ),
        (_, Ok(())) => Finding::ok(NAME, "available (io_uring_setup succeeded)"),
    }
}

/// RLIMIT_MEMLOCK (soft, bytes; `None` = unlimited) against glommio's registered buffers for `shards` shards.
pub fn memlock(soft_limit: Option<u64>, shards: usize) -> Finding {
    const NAME: &str = "rlimit.memlock";
    let needed = shards.max(1) as u64 * GLOMMIO_IO_MEMORY_BYTES;
    match soft_limit {
        None => Finding::ok(NAME, "unlimited"),
        Some(l) if l >= needed => {
            Finding::ok(NAME, format!("{} MiB >= {} MiB for {shards} shard(s)", l / MIB, needed / MIB))
        }
        Some(l) => Finding::warn(
            NAME,
            format!(
                "{} MiB < {} MiB needed for glommio's registered I/O buffers of {shards} shard(s); it falls back to \
                 slower unregistered buffers",
                l / MIB,
                needed / MIB
            ),
            "ulimit -l unlimited before starting, LimitMEMLOCK=infinity in the systemd unit, or \
             '* - memlock unlimited' in /etc/security/limits.conf",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::FakeHost;
    use crate::status::Status;

    #[test]
    fn io_uring_states() {
        let h = FakeHost::typical();
        assert_eq!(io_uring(&h.root(), &Ok(())).status, Status::Ok);
        assert_eq!(io_uring(&h.root(), &Err("EPERM".into())).status, Status::Critical);
        h.file("/proc/sys/kernel/io_uring_disabled", "1");
        assert_eq!(io_uring(&h.root(), &Ok(())).status, Status::Warn);
        h.file("/proc/sys/kernel/io_uring_disabled", "2");
        assert_eq!(io_uring(&h.root(), &Ok(())).status, Status::Critical);
        let empty = FakeHost::new();
        assert_eq!(io_uring(&empty.root(), &Ok(())).status, Status::Ok, "old kernels have no sysctl");
    }

    #[test]
    fn memlock_limits() {
        assert_eq!(memlock(None, 64).status, Status::Ok);
        assert_eq!(memlock(Some(8 * MIB), 2).status, Status::Warn);
        assert_eq!(memlock(Some(64 * MIB), 2).status, Status::Ok);
    }
}
