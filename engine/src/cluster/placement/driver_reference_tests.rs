//! Placement checked against the Python driver, token by token.
//!
//! Random rings (3–6 nodes joining with [`random_tokens`], 1–256 vnodes each; one data
//! center of two racks, or two data centers of two racks each) and keyspaces (SimpleStrategy
//! RF 1–3, NetworkTopologyStrategy with factors up to 4) are sent as JSON to
//! `tests/drivers/placement_reference.py`, which answers with the replica lists
//! `cassandra.metadata` computes (`TokenMap.get_replicas`) for 10 000 random tokens per
//! keyspace plus every ring token, its neighbours and the ring's ends. Every list must equal
//! ours — same nodes, same order — except where the driver lists a node twice (its
//! NetworkTopologyStrategy remembers a node skipped twice twice, see
//! [`network_topology`](super::replication::network_topology)): there its list without the
//! repeats must be, per data center, a prefix of ours.
//!
//! Runs with each driver venv `tests/run.sh` creates (`target/venvs/{cassandra,scylla}`), or
//! the interpreter named by `PERCORE_PLACEMENT_PYTHON`; without either it says so and checks
//! nothing. `PERCORE_PLACEMENT_SEED` replays a run (every run prints its seed).

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use super::effective_replication_map::EffectiveReplicationMap;
use super::node::{HostId, NodeEndpoint, NodeIndex};
use super::replication::ReplicationStrategy;
use super::token_allocation::random_tokens;
use super::token_metadata::{RingNode, TokenMetadata};
use crate::model::token::Token;

const TOKENS_PER_CASE: usize = 10_000;
const SCRIPT: &str = "tests/drivers/placement_reference.py";
const PYTHON_ENV: &str = "PERCORE_PLACEMENT_PYTHON";
const SEED_ENV: &str = "PERCORE_PLACEMENT_SEED";
const VNODE_CHOICES: [usize; 5] = [1, 4, 16, 64, 256];
/// Mismatches printed before the test fails.
const MISMATCHES_SHOWN_MAX: usize = 10;

struct Case {
    name: String,
    replication: BTreeMap<String, String>,
    map: EffectiveReplicationMap,
    tokens: Vec<Token>,
}

#[derive(Clone, Copy)]
enum Layout {
    /// dc1, racks r1 and r2 alternating.
    OneDatacenter,
    /// dc1 and dc2 alternating, each with racks r1 and r2 alternating.
    TwoDatacenters,
}

#[test]
fn replicas_equal_the_python_drivers() {
    let pythons = driver_pythons();
    if pythons.is_empty() {
        eprintln!(
            "placement driver cross-check skipped: no driver venv under target/venvs; run `bash tests/run.sh` \
             once, or set {PYTHON_ENV}=<python with scylla-driver or cassandra-driver>"
        );
        return;
    }
    let seed = std::env::var(SEED_ENV).ok().and_then(|s| s.parse().ok()).unwrap_or_else(seed_from_clock);
    eprintln!("placement driver cross-check: seed {seed} ({SEED_ENV}={seed} replays it)");
    let cases = random_cases(&mut StdRng::seed_from_u64(seed));
    for python in &pythons {
        check_against(python, &cases, seed);
    }
}

fn check_against(python: &Path, cases: &[Case], seed: u64) {
    let answer = run_reference(python, cases);
    let driver = answer["driver"].as_str().unwrap_or("?").to_string();
    let answered = answer["cases"].as_array().expect("the reference answers a list of cases");
    assert_eq!(answered.len(), cases.len(), "{driver} answered every case");
    let mut mismatches: Vec<String> = Vec::new();
    let (mut compared, mut repeated) = (0usize, 0usize);
    for (case, answer) in cases.iter().zip(answered) {
        let lists = answer["replicas"].as_array().expect("one replica list per token");
        assert_eq!(lists.len(), case.tokens.len(), "{driver}: one list per token in {}", case.name);
        for (&token, list) in case.tokens.iter().zip(lists) {
            let theirs: Vec<NodeIndex> = list
                .as_array()
                .expect("a list of node indices")
                .iter()
                .map(|v| NodeIndex::new(v.as_u64().expect("a node index") as usize))
                .collect();
            let ours = case.map.replicas_for_token(token);
            assert!(!ours.is_empty(), "every checked keyspace has replicas");
            compared += 1;
            let agreed = if has_repeats(&theirs) {
                repeated += 1;
                rf_exceeds_racks(&case.map) && per_datacenter_prefix(&case.map, &without_repeats(&theirs), ours)
            } else {
                theirs == ours
            };
            if !agreed && mismatches.len() < MISMATCHES_SHOWN_MAX {
                mismatches.push(format!("{}: token {token}: ours {ours:?}, {driver} {theirs:?}", case.name));
            }
        }
    }
    eprintln!(
        "placement vs {driver} ({}): {} keyspaces, {compared} tokens; {repeated} driver lists repeat a node",
        python.display(),
        cases.len()
    );
    assert!(
        mismatches.is_empty(),
        "replica lists differ from {driver} (seed {seed}, {SEED_ENV}={seed} replays):\n{}",
        mismatches.join("\n")
    );
    assert!(compared >= cases.len() * TOKENS_PER_CASE);
}

/// The driver venvs to check against: `PERCORE_PLACEMENT_PYTHON`, else those of tests/run.sh.
fn driver_pythons() -> Vec<PathBuf> {
    if let Some(python) = std::env::var_os(PYTHON_ENV) {
        return vec![PathBuf::from(python)];
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    ["cassandra", "scylla"]
        .iter()
        .map(|v| target.join("venvs").join(v).join("bin/python"))
        .filter(|p| p.exists())
        .collect()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the engine crate is in the workspace").to_path_buf()
}

fn seed_from_clock() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
}

fn random_cases(rng: &mut StdRng) -> Vec<Case> {
    let mut cases = Vec::new();
    for node_count in 3..=6 {
        for layout in [Layout::OneDatacenter, Layout::TwoDatacenters] {
            let vnodes = VNODE_CHOICES[rng.random_range(0..VNODE_CHOICES.len())];
            let ring = Arc::new(random_ring(rng, node_count, vnodes, layout));
            for replication in replication_maps(layout) {
                let strategy =
                    ReplicationStrategy::from_replication_map(&replication).expect("a valid replication map");
                let name = format!("{node_count} nodes × {vnodes} vnodes, {replication:?}");
                let map = EffectiveReplicationMap::new(Arc::clone(&ring), strategy, ring.nodes()[0].endpoint.host_id);
                let tokens = tokens_to_check(rng, &ring);
                cases.push(Case { name, replication, map, tokens });
            }
        }
    }
    cases
}

/// Nodes joining one by one, each with random tokens the ring does not own yet.
fn random_ring(rng: &mut StdRng, node_count: usize, vnodes: usize, layout: Layout) -> TokenMetadata {
    let mut ring = TokenMetadata::empty();
    for n in 0..node_count {
        let (datacenter, rack) = match layout {
            Layout::OneDatacenter => ("dc1".to_string(), format!("r{}", n % 2 + 1)),
            Layout::TwoDatacenters => (format!("dc{}", n % 2 + 1), format!("r{}", (n / 2) % 2 + 1)),
        };
        let endpoint = NodeEndpoint {
            host_id: HostId::from_u128(rng.random()),
            address: IpAddr::V4(Ipv4Addr::new(127, 0, 0, n as u8 + 1)),
            datacenter,
            rack,
        };
        let tokens = random_tokens(rng, vnodes, &ring).expect("random tokens");
        ring = ring.with_normal_node(RingNode { endpoint, tokens }).expect("a new node joins");
    }
    assert_eq!(ring.version(), node_count as u64);
    ring
}

fn replication_maps(layout: Layout) -> Vec<BTreeMap<String, String>> {
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let simple = |rf: &str| map(&[("class", "SimpleStrategy"), ("replication_factor", rf)]);
    let nts = "org.apache.cassandra.locator.NetworkTopologyStrategy";
    match layout {
        Layout::OneDatacenter => vec![
            simple("1"),
            simple("2"),
            simple("3"),
            map(&[("class", nts), ("dc1", "1")]),
            map(&[("class", nts), ("dc1", "2")]),
            map(&[("class", nts), ("dc1", "3")]),
            // Two more replicas than racks: where the driver's repeated skips show.
            map(&[("class", nts), ("dc1", "4")]),
        ],
        Layout::TwoDatacenters => vec![
            simple("3"),
            map(&[("class", nts), ("dc1", "2"), ("dc2", "1")]),
            map(&[("class", nts), ("dc1", "1"), ("dc2", "2")]),
            map(&[("class", nts), ("dc1", "3"), ("dc2", "3")]),
            map(&[("class", nts), ("dc2", "2"), ("dc3", "1")]),
        ],
    }
}

/// Random tokens, every ring token and its neighbours, and the ring's ends.
fn tokens_to_check(rng: &mut StdRng, ring: &TokenMetadata) -> Vec<Token> {
    let mut tokens: Vec<Token> = (0..TOKENS_PER_CASE).map(|_| rng.random_range(i64::MIN + 1..=i64::MAX)).collect();
    for &(t, _) in ring.ring() {
        tokens.extend([t.saturating_sub(1), t, t.saturating_add(1)]);
    }
    tokens.extend([i64::MIN, i64::MIN + 1, 0, i64::MAX]);
    tokens
}

fn run_reference(python: &Path, cases: &[Case]) -> Value {
    let request = json!({
        "cases": cases.iter().map(|c| {
            let ring = c.map.token_metadata();
            json!({
                "name": c.name,
                "nodes": ring.nodes().iter().map(|n| json!({
                    "host_id": n.endpoint.host_id.to_string(),
                    "address": n.endpoint.address.to_string(),
                    "datacenter": n.endpoint.datacenter,
                    "rack": n.endpoint.rack,
                    "tokens": n.tokens,
                })).collect::<Vec<_>>(),
                "replication": c.replication,
                "tokens": c.tokens,
            })
        }).collect::<Vec<_>>(),
    });
    let mut child = Command::new(python)
        .arg(workspace_root().join(SCRIPT))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let body = request.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(body.as_bytes()));
    let output = child.wait_with_output().expect("the reference script runs");
    writer.join().expect("the writer thread").expect("the request is written");
    assert!(
        output.status.success(),
        "{} {SCRIPT} failed ({}):\n{}",
        python.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the reference answers JSON")
}

fn has_repeats(list: &[NodeIndex]) -> bool {
    list.iter().enumerate().any(|(i, n)| list[..i].contains(n))
}

fn without_repeats(list: &[NodeIndex]) -> Vec<NodeIndex> {
    let mut out: Vec<NodeIndex> = Vec::new();
    for &n in list {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// The driver's repeats come only from NetworkTopologyStrategy with more replicas than racks.
fn rf_exceeds_racks(map: &EffectiveReplicationMap) -> bool {
    let ReplicationStrategy::NetworkTopology { datacenters } = map.strategy() else { return false };
    let topology = map.token_metadata().topology();
    topology.datacenters().iter().any(|dc| datacenters.get(&dc.name).is_some_and(|&rf| rf > dc.racks.len()))
}

/// Whether, in every data center, `theirs`'s replicas there are a prefix of `ours`'s.
fn per_datacenter_prefix(map: &EffectiveReplicationMap, theirs: &[NodeIndex], ours: &[NodeIndex]) -> bool {
    let topology = map.token_metadata().topology();
    (0..topology.datacenters().len()).all(|dc| {
        let in_dc = |list: &[NodeIndex]| -> Vec<NodeIndex> {
            list.iter().copied().filter(|&n| topology.datacenter_of(n) == dc).collect()
        };
        in_dc(ours).starts_with(&in_dc(theirs))
    })
}
