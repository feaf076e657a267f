"""The local-cluster launcher (`scripts/percore-cluster`, `local_cluster.LocalCluster`) with
today's binary: every node runs standalone on its own loopback address and the same ports.
Once membership lands the same configs form one cluster; these tests only need each node
to answer on its own address.

The launcher does not depend on the driver, so this file runs once, in the scylla venv
(PERCORE_CLUSTER_TESTS=1 runs it in the cassandra venv too)."""

import os
import subprocess
import sys
import time

import pytest

from local_cluster import (REPO_ROOT, TEST_PORT_OFFSET, ClusterError, answers_cql, connect_node,
                           cql_handshake, launcher, pick_ip_prefix)
from percore_harness import server_binary
from support import IS_SCYLLA_DRIVER

pytestmark = pytest.mark.skipif(
    not IS_SCYLLA_DRIVER and os.environ.get("PERCORE_CLUSTER_TESTS") != "1",
    reason="driver-independent launcher test: runs in the scylla venv (PERCORE_CLUSTER_TESTS=1 to force)")

LAUNCHER = REPO_ROOT / "scripts" / "percore-cluster"


def pid_alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def local_row(cluster, i):
    driver, session = connect_node(cluster, i)
    try:
        return session.execute(
            "SELECT release_version, cluster_name, data_center, rack, listen_address, rpc_address, host_id "
            "FROM system.local").one()
    finally:
        driver.shutdown()


def test_three_nodes_kill_restart_stop(local_cluster_factory):
    cluster = local_cluster_factory(3, racks=3)
    cluster.start()
    pids = cluster.running_pids()
    assert sorted(pids) == ["node1", "node2", "node3"] and len(set(pids.values())) == 3
    assert cluster.status() == {"node1": "UP", "node2": "UP", "node3": "UP"}

    host_ids = {}
    for i in (1, 2, 3):
        node = cluster.node(i)
        address = cluster.node_address(i)
        assert cql_handshake(address, cluster.port)["CQL_VERSION"], "SUPPORTED without CQL_VERSION"
        # A port that accepts TCP is not enough: the HTTP endpoint does, and fails the handshake.
        assert not answers_cql(address, node.prometheus_port)
        row = local_row(cluster, i)
        assert row.release_version
        assert (row.cluster_name, row.data_center, row.rack) == ("test", "datacenter1", f"rack{i}")
        assert (str(row.listen_address), str(row.rpc_address)) == (address, address)
        host_ids[i] = row.host_id
    assert len(set(host_ids.values())) == 3, "each node has its own data directory and host id"

    cluster.kill(2)
    assert not pid_alive(pids["node2"])
    assert cluster.status() == {"node1": "UP", "node2": "DOWN", "node3": "UP"}
    assert not answers_cql(cluster.node_address(2), cluster.port)

    new_pid = cluster.start_node(2)
    assert new_pid != pids["node2"]
    assert cluster.status()["node2"] == "UP"
    assert local_row(cluster, 2).host_id == host_ids[2], "restarted on the same data directory"

    codes = cluster.stop()
    assert codes == {"node1": 0, "node2": 0, "node3": 0}, "SIGTERM exits 0"
    assert cluster.running_pids() == {}
    assert not any(pid_alive(p) for p in [*pids.values(), new_pid])
    assert set(cluster.status().values()) == {"DOWN"}
    assert all(not n.pid_path.exists() for n in cluster.nodes)


def test_pause_and_resume(local_cluster_factory):
    cluster = local_cluster_factory(1).start()
    cluster.pause(1)
    assert cluster.status() == {"node1": "PAUSED"}
    assert not answers_cql(cluster.node_address(1), cluster.port, timeout=0.5)
    cluster.resume(1)
    assert cluster.status() == {"node1": "UP"}
    cluster.pause(1)
    assert cluster.stop() == {"node1": 0}, "stop continues a paused node so SIGTERM takes effect"


def test_a_node_that_dies_at_start_is_reported_with_its_log(local_cluster_factory):
    cluster = local_cluster_factory(2, yaml_extra={"no_such_key": "1"})
    t0 = time.monotonic()
    with pytest.raises(ClusterError) as failure:
        cluster.start()
    assert time.monotonic() - t0 < 20, "a dead node is noticed at once, not after the timeout"
    message = str(failure.value)
    assert "node1" in message and "exited with code 2" in message
    assert "no_such_key" in message and str(cluster.node(1).log_path) in message
    assert cluster.running_pids() == {}, "node2 is not started after node1 failed"


def test_config_files(tmp_path):
    yaml = pytest.importorskip("yaml")
    c = launcher.Cluster.create("cfg", "2:1", base_dir=tmp_path, binary=str(server_binary()), port_offset=5,
                                dc_racks=["dc1:r1,r2", "dc2:r9"], num_tokens=8, fd_timeout_ms=1500, smp=2,
                                memory="512M", make_current=False)
    assert [(n.spec.dc, n.spec.rack) for n in c.nodes] == [("dc1", "r1"), ("dc1", "r2"), ("dc2", "r9")]
    for node in c.nodes:
        address = f"127.0.0.{node.index}"
        assert node.dir == tmp_path / "cfg" / node.name
        config = yaml.safe_load(node.config_path.read_text())
        assert config == {
            "cluster_name": "cfg",
            "listen_address": address,
            "rpc_address": address,
            "seed_provider": [{"class_name": "org.apache.cassandra.locator.SimpleSeedProvider",
                               "parameters": [{"seeds": "127.0.0.1"}]}],
            "storage_port": 7005,
            "num_tokens": 8,
            "endpoint_snitch": "GossipingPropertyFileSnitch",
            "failure_detector_timeout_in_ms": 1500,
            "native_transport_port": 9047,
            "native_shard_aware_transport_port": 19047,
            "prometheus_address": address,
            "prometheus_port": 9185,
            "data_file_directories": [str(node.dir / "data")],
            "commitlog_directory": str(node.dir / "commitlog"),
            "smp": 2,
            "memory_bytes": 512 << 20,
        }
        rackdc = dict(line.split("=", 1) for line in node.rackdc_path.read_text().splitlines()
                      if line and not line.startswith("#"))
        assert rackdc == {"dc": node.spec.dc, "rack": node.spec.rack}
    assert launcher.Cluster.load("cfg", tmp_path).settings == c.settings, "cluster.json round-trips"
    added = c.add_node(seed=True)
    assert (added.name, added.address, added.spec.dc) == ("node4", "127.0.0.4", "dc2")
    assert yaml.safe_load(c.node(1).config_path.read_text())["seed_provider"][0]["parameters"] == [
        {"seeds": "127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4"}]
    with pytest.raises(ClusterError, match="exists already"):
        launcher.Cluster.create("cfg", 1, base_dir=tmp_path)


def run_cli(base, *args, check=True):
    proc = subprocess.run([sys.executable, str(LAUNCHER), "--dir", str(base), *args],
                          capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, f"percore-cluster {' '.join(args)}: {proc.returncode}\n{proc.stdout}{proc.stderr}"
    return proc


def test_command_line(tmp_path):
    base = tmp_path / "clusters"
    prefix = pick_ip_prefix(2)
    run_cli(base, "create", "cli", "-n", "2", "--racks", "2", "--port-offset", str(TEST_PORT_OFFSET),
            "--ip-prefix", prefix, "--memory", "256M", "--binary", str(server_binary()))
    try:
        assert "cli" in run_cli(base, "list").stdout
        out = run_cli(base, "start").stdout
        assert f"node1 {prefix}1:" in out and f"node2 {prefix}2:" in out
        status = run_cli(base, "status")
        assert [line.split()[-1] for line in status.stdout.splitlines()[1:]] == ["UP", "UP"]
        info = run_cli(base, "nodetool", "node2", "info").stdout
        assert any(line.split(":")[0].strip() == "Rack" and line.split(":")[1].strip() == "rack2"
                   for line in info.splitlines()), info
        assert run_cli(base, "cqlsh", "--print", "node2").stdout.split() == [
            "cqlsh", f"{prefix}2", str(9042 + TEST_PORT_OFFSET)]
        log = run_cli(base, "logs", "node1").stdout.strip()
        assert log == str(base / "cli" / "node1" / "node.log")

        run_cli(base, "kill", "node1")
        status = run_cli(base, "status", check=False)
        assert status.returncode == 3, "status exits 3 when a node is not UP"
        assert "node1" in status.stdout and "DOWN" in status.stdout.splitlines()[1]
        run_cli(base, "start", "node1")
        run_cli(base, "stop")
        assert "DOWN" in run_cli(base, "status", check=False).stdout
    finally:
        cluster = launcher.Cluster.load("cli", base)
        pids = list(cluster.running_pids().values())
        run_cli(base, "remove", check=False)
        assert not (base / "cli").exists()
        assert not any(pid_alive(p) for p in pids), "remove leaves nothing running"
