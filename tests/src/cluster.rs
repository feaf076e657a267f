//! A local cluster for the Rust driver's tests: `n` real `percore` processes, node i on
//! `127.A.B.i` (A.B random, so concurrent runs never meet), all on the same four ports (the
//! Rust driver reaches every node on its control connection's port), node 1 the seed.

use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::Path;

use anyhow::{bail, Result};

use crate::{NodeLaunch, Server};

/// Candidate address prefixes and ports tried before giving up.
const PLACEMENT_ATTEMPTS: usize = 50;
/// Ports are drawn from here: below the kernel's ephemeral range, where single-node test
/// servers' free ports come from.
const PORT_RANGE: std::ops::Range<u16> = 20_000..32_000;

pub struct TestCluster {
    pub nodes: Vec<Server>,
    _dir: tempfile::TempDir,
}

fn all_bindable(hosts: &[IpAddr], ports: &[u16; 4]) -> bool {
    let mut held = Vec::new();
    for host in hosts {
        for &port in ports {
            match TcpListener::bind((*host, port)) {
                Ok(l) => held.push(l),
                Err(_) => return false,
            }
        }
    }
    true
}

/// A pseudo-random number from the clock and the process id (no rand dependency).
fn entropy(salt: u64) -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    (nanos ^ (u64::from(std::process::id()) << 20) ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_mul(0xBF58_476D_1CE4_E5B9)
}

impl TestCluster {
    /// Starts `n` one-shard nodes, one after the other (each once the previous answers).
    pub fn start(n: usize) -> Result<TestCluster> {
        Self::start_with_shards(n, 1)
    }

    /// Starts `n` nodes of `smp` shards each, one after the other.
    pub fn start_with_shards(n: usize, smp: usize) -> Result<TestCluster> {
        let dir = tempfile::Builder::new().prefix("percore-cluster-").tempdir()?;
        let (hosts, ports) = Self::placement(n)?;
        let mut nodes = Vec::new();
        for (i, host) in hosts.iter().enumerate() {
            let launch = NodeLaunch {
                smp,
                host: *host,
                ports,
                seeds: Some(hosts[0].to_string()),
                extra: vec!["--memory".into(), "256M".into()],
            };
            nodes.push(Server::launch(&launch, &dir.path().join(format!("node{}", i + 1)))?);
        }
        Ok(TestCluster { nodes, _dir: dir })
    }

    fn placement(n: usize) -> Result<(Vec<IpAddr>, [u16; 4])> {
        for attempt in 0..PLACEMENT_ATTEMPTS as u64 {
            let r = entropy(attempt);
            let (a, b) = (1 + (r % 254) as u8, 1 + ((r >> 8) % 254) as u8);
            let hosts: Vec<IpAddr> = (1..=n as u8).map(|i| IpAddr::V4(Ipv4Addr::new(127, a, b, i))).collect();
            let base = PORT_RANGE.start + ((r >> 16) % u64::from(PORT_RANGE.end - PORT_RANGE.start - 4)) as u16;
            let ports = [base, base + 1, base + 2, base + 3];
            if all_bindable(&hosts, &ports) {
                return Ok((hosts, ports));
            }
        }
        bail!("no free addresses and ports for a {n}-node cluster")
    }

    /// Where node data lives (for tests that restart nodes).
    pub fn directory(&self) -> &Path {
        self._dir.path()
    }
}
