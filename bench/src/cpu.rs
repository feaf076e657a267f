//! The tool's own CPU time (getrusage, all threads) and thread pinning.

use anyhow::{bail, Result};

/// User + system CPU seconds consumed by this process so far.
#[allow(unsafe_code)]
pub fn process_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut ru) != 0 {
            return 0.0;
        }
        ru
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Pin the calling thread to `cpu`.
pub fn pin_current(cpu: usize) -> Result<()> {
    // Not looked up in get_core_ids(): that lists only the CPUs of the current
    // (possibly already pinned) mask, which threads inherit from their spawner.
    if !core_affinity::set_for_current(core_affinity::CoreId { id: cpu }) {
        bail!("could not pin to cpu {cpu}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_time_advances() {
        let a = super::process_cpu_seconds();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(super::process_cpu_seconds() >= a);
    }
}
