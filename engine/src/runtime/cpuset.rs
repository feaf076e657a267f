//! Where shards run: only on CPUs this process may use — the affinity it was started with
//! (taskset, a cgroup cpuset) or an explicit `--cpuset` within it — so a load generator
//! pinned to another core is never disturbed. More shards than CPUs run unpinned (but still
//! fenced to those CPUs).

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CpusetError {
    #[error("cannot read the process CPU affinity: {0}")]
    Affinity(std::io::Error),
    #[error("invalid --cpuset '{0}': expected a list like 0-3,6")]
    Syntax(String),
    #[error("--cpuset {requested:?} names CPUs this process may not use (allowed: {allowed:?})")]
    NotAllowed { requested: Vec<usize>, allowed: Vec<usize> },
}

/// How one shard's executor is placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardPlacement {
    /// Pinned to this CPU.
    Pinned(usize),
    /// Free to run on any of these CPUs (more shards than CPUs).
    Fenced(Vec<usize>),
}

/// The CPUs this process may run on (`sched_getaffinity`).
#[allow(unsafe_code)] // libc/fd calls; each `unsafe` block states its SAFETY
pub fn process_cpus() -> Result<Vec<usize>, CpusetError> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills it for the calling thread.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Err(CpusetError::Affinity(std::io::Error::last_os_error()));
    }
    Ok((0..libc::CPU_SETSIZE as usize).filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) }).collect())
}

/// Parses `0-3,6,8-9`.
pub fn parse_cpuset(text: &str) -> Result<Vec<usize>, CpusetError> {
    let bad = || CpusetError::Syntax(text.to_string());
    let mut cpus = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (usize, usize) =
                    (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
                if a > b || b >= libc::CPU_SETSIZE as usize {
                    return Err(bad());
                }
                cpus.extend(a..=b);
            }
            None => cpus.push(part.parse().map_err(|_| bad())?),
        }
    }
    cpus.sort_unstable();
    cpus.dedup();
    if cpus.is_empty() {
        return Err(bad());
    }
    Ok(cpus)
}

/// One placement per shard: pinned one-per-CPU when there are enough CPUs, otherwise all
/// shards fenced to the allowed CPUs.
pub fn plan(
    smp: Option<usize>,
    requested: Option<Vec<usize>>,
    allowed: Vec<usize>,
) -> Result<Vec<ShardPlacement>, CpusetError> {
    let cpus = match requested {
        Some(req) => {
            if !req.iter().all(|c| allowed.contains(c)) {
                return Err(CpusetError::NotAllowed { requested: req, allowed });
            }
            req
        }
        None => allowed,
    };
    let nr_shards = smp.unwrap_or(cpus.len()).max(1);
    if nr_shards <= cpus.len() {
        Ok(cpus.into_iter().take(nr_shards).map(ShardPlacement::Pinned).collect())
    } else {
        Ok(vec![ShardPlacement::Fenced(cpus); nr_shards])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_ranges() {
        assert_eq!(parse_cpuset("0-2,5").unwrap(), vec![0, 1, 2, 5]);
        assert!(parse_cpuset("3-1").is_err());
        assert!(parse_cpuset("x").is_err());
    }

    #[test]
    fn pins_when_cpus_suffice_and_fences_otherwise() {
        assert_eq!(
            plan(Some(2), None, vec![0, 1]).unwrap(),
            vec![ShardPlacement::Pinned(0), ShardPlacement::Pinned(1)]
        );
        assert_eq!(plan(None, Some(vec![1]), vec![0, 1]).unwrap(), vec![ShardPlacement::Pinned(1)]);
        assert_eq!(plan(Some(4), None, vec![0, 1]).unwrap().len(), 4);
        assert!(matches!(plan(Some(4), None, vec![0, 1]).unwrap()[0], ShardPlacement::Fenced(_)));
        assert!(plan(None, Some(vec![7]), vec![0, 1]).is_err());
    }

    #[test]
    fn process_affinity_is_readable() {
        assert!(!process_cpus().unwrap().is_empty());
    }
}
