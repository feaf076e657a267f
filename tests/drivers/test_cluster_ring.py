"""nodetool and DESCRIBE CLUSTER against a real 3-node cluster (tests/drivers/local_cluster.py):
every node's `status`, `ring`, `describecluster`, `describering` and `getendpoints` show the
cluster the drivers see in system.local/system.peers, and replica lists equal the Python
driver's `token_map.get_replicas` key by key.

Keys per keyspace: 10 000 (PERCORE_RING_KEYS changes it). They are asked of
the admin API's natural_endpoints path (what `nodetool getendpoints` prints) over one kept-alive
HTTP connection per node, plus a few real `nodetool getendpoints` runs.

The replica comparison runs with both drivers (their placement code differs); the nodetool
output checks run once, in the scylla venv (PERCORE_CLUSTER_TESTS=1 runs them in the cassandra
venv too)."""

import http.client
import json
import os
import random
import re
import struct
import time
import urllib.parse

import pytest

from support import IS_SCYLLA_DRIVER

KEY_COUNT = int(os.environ.get("PERCORE_RING_KEYS", "10000"))
CLI_KEYS = 5
SEED = int(os.environ.get("PERCORE_RING_SEED", "20261204"))
NUM_TOKENS = 16          # the launcher's num_tokens
RACKS = 2
DOWN_TIMEOUT_S = 15.0    # the launcher's 2 s failure detector, with room
HTTP_TIMEOUT_S = 10
# Cassandra's ring: every i64 but the minimum.
RING_SIZE = 2 ** 64 - 1
DISPLAY_SLACK = 0.05 + 1e-9   # a share printed with one decimal

KEYSPACES = {
    "simple1": "{'class': 'SimpleStrategy', 'replication_factor': 1}",
    "simple2": "{'class': 'SimpleStrategy', 'replication_factor': 2}",
    "simple3": "{'class': 'SimpleStrategy', 'replication_factor': 3}",
    "nts2": "{'class': 'NetworkTopologyStrategy', 'datacenter1': 2}",
}
REPLICAS = {"simple1": 1, "simple2": 2, "simple3": 3, "nts2": 2}

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
LOAD = r"\?|\d+(?:\.\d{1,2})? (?:bytes|KiB|MiB|GiB|TiB)"
STATUS_ROW = re.compile(rf"^([UD]N)  (\S+)\s+({LOAD})\s+(\d+)\s+(\S+)\s+({UUID})  (\S+)\s*$", re.M)
RING_ROW = re.compile(rf"^(\S+)\s+(\S+)\s+(Up|Down)\s+Normal\s+({LOAD})\s+(\S+)\s+(-?\d+)\s*$", re.M)

cluster_tests_here = pytest.mark.skipif(
    not IS_SCYLLA_DRIVER and os.environ.get("PERCORE_CLUSTER_TESTS") != "1",
    reason="driver-independent nodetool shapes: run in the scylla venv (PERCORE_CLUSTER_TESTS=1 to force)")


class Driver:
    """A driver with the cluster's metadata (token map), its queries all sent to node 1 (so
    system.local and system.peers are one node's view)."""

    def __init__(self, cluster):
        from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
        from cassandra.policies import WhiteListRoundRobinPolicy

        address = cluster.node_address(1)
        profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([address]))
        self.cluster = Cluster([address], port=cluster.port, protocol_version=4,
                               execution_profiles={EXEC_PROFILE_DEFAULT: profile})
        self.session = self.cluster.connect()
        assert len(self.cluster.metadata.all_hosts()) == 3, "the driver sees every node"

    def members(self):
        """{address: (host_id, tokens)} from system.local and system.peers."""
        local = self.session.execute("SELECT rpc_address, host_id, tokens FROM system.local").one()
        rows = [(local.rpc_address, local.host_id, local.tokens)]
        rows += [(p.peer, p.host_id, p.tokens)
                 for p in self.session.execute("SELECT peer, host_id, tokens FROM system.peers")]
        return {str(a): (h, sorted(int(t) for t in tokens)) for a, h, tokens in rows}

    def replicas(self, keyspace, token):
        from cassandra.metadata import Murmur3Token

        return [h.address for h in self.cluster.metadata.token_map.get_replicas(keyspace, Murmur3Token(token))]

    def key_replicas(self, keyspace, routing_key):
        from cassandra.metadata import Murmur3Token

        token = Murmur3Token.from_key(routing_key)
        return [h.address for h in self.cluster.metadata.token_map.get_replicas(keyspace, token)]

    def effective_ownership(self, keyspace):
        """{address: share of the ring} as the driver's replica lists give it."""
        ring = sorted(t.value for t in self.cluster.metadata.token_map.ring)
        owned = {}
        for i, end in enumerate(ring):
            size = (end - ring[i - 1]) % RING_SIZE or RING_SIZE
            for address in self.replicas(keyspace, end):
                owned[address] = owned.get(address, 0) + size / RING_SIZE
        return owned

    def shutdown(self):
        self.cluster.shutdown()


class AdminApi:
    """One kept-alive HTTP connection to a node's admin API."""

    def __init__(self, node):
        self.conn = http.client.HTTPConnection(node.address, node.prometheus_port, timeout=HTTP_TIMEOUT_S)

    def get_json(self, path):
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        body = response.read().decode()
        assert response.status == 200, f"GET {path}: {response.status} {body}"
        assert response.getheader("Connection") == "keep-alive"
        return json.loads(body)

    def natural_endpoints(self, keyspace, table, key):
        query = urllib.parse.urlencode({"cf": table, "key": key})
        return self.get_json(f"/storage_service/natural_endpoints/{keyspace}?{query}")

    def close(self):
        self.conn.close()


def parse_gossipinfo(out):
    """{address: {KEY: value}} of `nodetool gossipinfo`."""
    members, current = {}, None
    for line in out.splitlines():
        if line.startswith("/"):
            current = members.setdefault(line[1:], {})
        elif line.startswith("  ") and current is not None:
            key, _, value = line.strip().partition(":")
            current[key] = value
    return members


def run_cqlsh(host, port, cql):
    """cqlsh's output for `cql` against host:port, or None where this venv has no cqlsh."""
    import subprocess
    import sys
    from pathlib import Path

    cqlsh = Path(sys.executable).parent / "cqlsh"
    if not cqlsh.exists():
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CQLSH", "PYTHON"))}
    env.update(TERM="xterm", COLUMNS="200", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    proc = subprocess.run([str(cqlsh), host, str(port), "--connect-timeout", "10", "--request-timeout", "10",
                           "-e", cql], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def nodetool(cluster, i, *args):
    return cluster.node(i).nodetool(*args).stdout


def status_rows(out):
    """{host_id: (state, address, load, tokens, owns, rack)}"""
    return {m[5]: (m[0], m[1], m[2], int(m[3]), m[4], m[6]) for m in STATUS_ROW.findall(out)}


def create_keyspaces(session):
    for name, replication in KEYSPACES.items():
        session.execute(f"CREATE KEYSPACE {name} WITH replication = {replication}")
        session.execute(f"CREATE TABLE {name}.t (k int PRIMARY KEY, v int)")
    session.execute("CREATE TABLE simple2.b (k blob PRIMARY KEY, v int)")


@pytest.fixture
def ring_cluster(local_cluster_factory):
    """A 3-node cluster on two racks, the keyspaces made, and a driver to it."""
    cluster = local_cluster_factory(3, racks=RACKS).start()
    driver = Driver(cluster)
    try:
        create_keyspaces(driver.session)
        yield cluster, driver
    finally:
        driver.shutdown()


def test_getendpoints_equals_the_drivers_replicas(ring_cluster):
    cluster, driver = ring_cluster
    rng = random.Random(SEED)
    keys = rng.sample(range(-2 ** 31, 2 ** 31), KEY_COUNT)
    apis = [AdminApi(cluster.node(i)) for i in (1, 2, 3)]
    try:
        for keyspace, rf in REPLICAS.items():
            mismatches, lists = [], set()
            for n, key in enumerate(keys):
                expected = driver.key_replicas(keyspace, struct.pack(">i", key))
                # Every node places every key: each key is asked of the next node in turn.
                answer = apis[n % len(apis)].natural_endpoints(keyspace, "t", str(key))
                lists.add(tuple(answer))
                if answer != expected or len(answer) != rf:
                    mismatches.append((key, answer, expected))
            assert not mismatches, f"{keyspace}: {len(mismatches)}/{len(keys)} keys differ (seed {SEED}), " \
                                   f"first: {mismatches[:3]}"
            assert len(lists) >= 3, f"{keyspace}: keys land on different replicas ({lists})"
    finally:
        for api in apis:
            api.close()

    for keyspace in KEYSPACES:
        for i, key in enumerate(keys[:CLI_KEYS], start=1):
            node = (i % 3) + 1
            printed = nodetool(cluster, node, "getendpoints", keyspace, "t", str(key)).splitlines()
            assert printed == driver.key_replicas(keyspace, struct.pack(">i", key)), (keyspace, key, node)
    blob = bytes.fromhex("cafe0042")
    for text in ("cafe0042", "0xcafe0042"):
        printed = nodetool(cluster, 2, "getendpoints", "simple2", "b", text).splitlines()
        assert printed == driver.key_replicas("simple2", blob), text


def compare_keys(driver, api, keyspace, keys):
    """The keys whose natural endpoints differ from the driver's replicas."""
    differ = []
    for key in keys:
        expected = driver.key_replicas(keyspace, struct.pack(">i", key))
        answer = api.natural_endpoints(keyspace, "t", str(key))
        if answer != expected:
            differ.append((key, answer, expected))
    return differ


TWO_DC_KEYSPACES = {
    "nts_both": ("{'class': 'NetworkTopologyStrategy', 'dc1': 2, 'dc2': 1}", 300),
    "nts_one_each": ("{'class': 'NetworkTopologyStrategy', 'dc1': 1, 'dc2': 1}", 200),
    "nts_dc2": ("{'class': 'NetworkTopologyStrategy', 'dc2': 1}", 100),
    "simple2": ("{'class': 'SimpleStrategy', 'replication_factor': 2}", 200),
}


def test_two_datacenters(local_cluster_factory):
    """dc1 (node1 on r1, node2 on r2) and dc2 (node3): a status block per data center, and
    NetworkTopologyStrategy's lists (data centers grouped, in the driver's order)."""
    cluster = local_cluster_factory(3, dc_racks=["dc1:r1,r2", "dc2:r1"]).start()
    driver = Driver(cluster)
    api = AdminApi(cluster.node(3))
    try:
        for name, (replication, _) in TWO_DC_KEYSPACES.items():
            driver.session.execute(f"CREATE KEYSPACE {name} WITH replication = {replication}")
            driver.session.execute(f"CREATE TABLE {name}.t (k int PRIMARY KEY, v int)")
        keys = random.Random(SEED).sample(range(-2 ** 31, 2 ** 31), KEY_COUNT)
        for name in TWO_DC_KEYSPACES:
            differ = compare_keys(driver, api, name, keys)
            assert not differ, f"{name}: {len(differ)}/{len(keys)} keys differ (seed {SEED}), first: {differ[:3]}"
        if not IS_SCYLLA_DRIVER and os.environ.get("PERCORE_CLUSTER_TESTS") != "1":
            return
        for name, (_, total) in TWO_DC_KEYSPACES.items():
            out = nodetool(cluster, 2, "status", name)
            blocks = out.split("\n\n")
            assert [b.splitlines()[0] for b in blocks[:2]] == ["Datacenter: dc1", "Datacenter: dc2"], out
            assert blocks[0].splitlines()[4] == blocks[1].splitlines()[4], "one header: the columns are shared"
            rows = status_rows(out)
            assert sorted((r[1], r[5]) for r in rows.values()) == [
                (cluster.node_address(1), "r1"), (cluster.node_address(2), "r2"), (cluster.node_address(3), "r1")]
            shares = sum(float(r[4].rstrip("%")) for r in rows.values())
            assert abs(shares - total) <= 3 * DISPLAY_SLACK, (name, out)
        out = nodetool(cluster, 1, "describecluster")
        assert "\tdc1 #Nodes: 2 #Down: 0\n\tdc2 #Nodes: 1 #Down: 0\n" in out, out
    finally:
        api.close()
        driver.shutdown()


@cluster_tests_here
def test_every_node_shows_the_cluster(ring_cluster):
    cluster, driver = ring_cluster
    members = driver.members()
    host_ids = {str(h): a for a, (h, _) in members.items()}
    assert len(members) == 3
    racks = {cluster.node_address(i): f"rack{(i - 1) % RACKS + 1}" for i in (1, 2, 3)}
    expected_owns = driver.effective_ownership("simple2")
    all_tokens = sorted(t for _, tokens in members.values() for t in tokens)
    version = driver.session.execute("SELECT schema_version FROM system.local").one().schema_version

    for i in (1, 2, 3):
        out = nodetool(cluster, i, "status")
        assert out.startswith("Datacenter: datacenter1\n=======================\nStatus=Up/Down\n"), out
        assert "Note: Non-system keyspaces don't have the same replication settings" in out, out
        rows = status_rows(out)
        assert set(rows) == set(host_ids), out
        for host, (state, address, load, tokens, owns, rack) in rows.items():
            assert (state, address, tokens, owns, rack) == ("UN", host_ids[host], NUM_TOKENS, "?", racks[address])
            assert load != "?", f"every up member told its load: {out}"
        # Rows by host id as Java compares UUIDs (signed halves).
        order = [uuid_java_key(m[5]) for m in STATUS_ROW.findall(out)]
        assert order == sorted(order), out

        out = nodetool(cluster, i, "status", "simple2")
        assert "Owns (effective)" in out and "Note:" not in out, out
        shares = {address: float(owns.rstrip("%")) for (_, address, _, _, owns, _) in status_rows(out).values()}
        assert shares.keys() == expected_owns.keys()
        for address, share in shares.items():
            assert abs(share - 100 * expected_owns[address]) <= DISPLAY_SLACK, (address, share, expected_owns)
        assert abs(sum(shares.values()) - 200) <= 3 * DISPLAY_SLACK, "RF 2: the shares add up to 200%"

    ring = nodetool(cluster, 1, "ring", "simple2")
    rows = RING_ROW.findall(ring)
    assert [int(r[5]) for r in rows] == all_tokens, "every token once, in token order"
    owner = {t: a for a, (_, tokens) in members.items() for t in tokens}
    for address, rack, up, _, owns, token in rows:
        assert (address, rack, up) == (owner[int(token)], racks[address], "Up")
        assert abs(float(owns.rstrip("%")) - 100 * expected_owns[address]) <= 0.005 + 1e-9
    assert re.search(rf"^\s+{all_tokens[-1]}\s*$", ring, re.M), "the header's last-token line"
    assert ring.endswith("\n  "), "Cassandra's closing printf"
    assert 'Warning: "nodetool ring" is used to output all the tokens of a node.' in ring

    addresses = sorted(members, key=lambda a: tuple(int(x) for x in a.split(".")))
    for i in (1, 2, 3):
        out = nodetool(cluster, i, "describecluster")
        assert f"\tSchema versions:\n\t\t{version}: [{', '.join(addresses)}]\n\n" in out, out
        assert "\tLive: 3\n" in out and "\tUnreachable: 0\n" in out, out
        assert "\tdatacenter1 #Nodes: 3 #Down: 0\n" in out, out
        assert "\tsimple3 -> Replication class: SimpleStrategy {replication_factor=3}\n" in out, out
        assert "\tnts2 -> Replication class: NetworkTopologyStrategy {datacenter1=2}\n" in out, out
        gossip = parse_gossipinfo(nodetool(cluster, i, "gossipinfo"))
        assert sorted(gossip) == addresses, gossip
        for address, state in gossip.items():
            assert state["STATUS"] == f"NORMAL,{members[address][1][0]}", state
            assert (state["RACK"], state["SCHEMA"], state["TOKENS"]) == (racks[address], str(version), "<hidden>")
            assert int(state["generation"]) > 0 and "HOST_ID" in state
        answer = run_cqlsh(cluster.node_address(i), cluster.port, "USE simple3; DESCRIBE CLUSTER")
        if answer is not None:
            assert "Range ownership:" in answer and all(f"'{a}'" in answer or a in answer for a in addresses), answer

    lines = nodetool(cluster, 3, "describering", "nts2").splitlines()
    assert lines[:2] == [f"Schema Version:{version}", "TokenRange: "]
    ranges = [parse_token_range(line) for line in lines[2:]]
    assert [r["end"] for r in ranges] == all_tokens
    for r in ranges:
        assert r["endpoints"] == driver.replicas("nts2", r["end"]) == r["rpc_endpoints"]
        assert [(d, k) for d, k in r["details"]] == [("datacenter1", racks[a]) for a in r["endpoints"]]
        assert len({racks[a] for a in r["endpoints"]}) == RACKS, "NTS spreads over the racks"

    from local_cluster import connect_node
    describe_driver, session = connect_node(cluster, 2, keyspace="simple3")
    try:
        row = session.execute("DESCRIBE CLUSTER").one()
    finally:
        describe_driver.shutdown()
    ownership = dict(row.range_ownership)
    assert set(ownership) == {str(t) for t in all_tokens}
    for token, endpoints in ownership.items():
        assert list(endpoints) == driver.replicas("simple3", int(token)), token

    down_address = cluster.node_address(3)
    cluster.kill(3)
    deadline = time.monotonic() + DOWN_TIMEOUT_S
    while True:
        rows = status_rows(nodetool(cluster, 1, "status", "simple2"))
        states = {address: (state, load) for (state, address, load, *_rest) in rows.values()}
        if states[down_address][0] == "DN" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert states[down_address] == ("DN", "?"), states
    assert all(state == "UN" for a, (state, _) in states.items() if a != down_address), states
    out = nodetool(cluster, 1, "describecluster")
    live = [a for a in addresses if a != down_address]
    assert f"\t\t{version}: [{', '.join(live)}]\n\n\t\tUNREACHABLE: [{down_address}]\n\n" in out, out
    assert "\tLive: 2\n" in out and "\tUnreachable: 1\n" in out and "#Nodes: 3 #Down: 1\n" in out, out
    ring = nodetool(cluster, 1, "ring")
    assert {(r[2], r[3]) for r in RING_ROW.findall(ring) if r[0] == down_address} == {("Down", "?")}, ring


def uuid_java_key(text):
    """Java's UUID.compareTo as a sort key: both 64-bit halves signed."""
    value = int(text.replace("-", ""), 16)
    signed = lambda v: v - (1 << 64) if v >= 1 << 63 else v  # noqa: E731
    return signed(value >> 64), signed(value & ((1 << 64) - 1))


TOKEN_RANGE = re.compile(
    r"^\tTokenRange\(start_token:(-?\d+), end_token:(-?\d+), endpoints:\[([^\]]*)\], "
    r"rpc_endpoints:\[([^\]]*)\], endpoint_details:\[(.*)\]\)$")
DETAILS = re.compile(r"EndpointDetails\(host:(\S+), datacenter:(\S+), rack:(\S+)\)")


def parse_token_range(line):
    m = TOKEN_RANGE.match(line)
    assert m, line
    details = DETAILS.findall(m[5])
    assert [h for h, _, _ in details] == m[3].split(", ")
    return {"start": int(m[1]), "end": int(m[2]), "endpoints": m[3].split(", "), "rpc_endpoints": m[4].split(", "),
            "details": [(d, r) for _, d, r in details]}
