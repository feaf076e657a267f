"""A cluster of equal nodes: group 0 membership, DDL through group 0, the driver contract
(system.local / system.peers / events), failure detection, whole-cluster restarts.

Real `percore` processes on 127.A.B.1-4 (tests/drivers/local_cluster.py), one shard each,
real drivers. Failure detector timeout: the launcher's 2 s.
"""

import ipaddress
import logging
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import cql_wire
from local_cluster import connect_node

# Tests marked `wire` run once (scylla venv); the driver-contract test runs with both drivers.

FD_TIMEOUT_S = 2.0
EVENT_SLACK_S = 1.0            # the budget beyond the detector timeout
SCHEMA_AGREEMENT_S = 2.0
REGISTER = 0x0B
EVENT = 0x0C
CONCURRENT_CLIENTS = 3
PAUSE_S = 4.0                  # SIGSTOP of a node: longer than the detector timeout
CREATES_PER_CLIENT = 50


def string_list(items):
    return struct.pack(">H", len(items)) + b"".join(cql_wire.string(s) for s in items)


class EventListener:
    """A raw connection to one node REGISTERed for topology and status events."""

    def __init__(self, host, port):
        self.conn = cql_wire.RawConnection(port, host=host, timeout=10)
        self.conn.startup()
        f = self.conn.request(REGISTER, string_list(["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"]))
        assert f.opcode == cql_wire.READY, f"REGISTER answered {f}"

    def next_event(self, timeout):
        """(type, change, address) of the next event, or None after `timeout` seconds."""
        self.conn.sock.settimeout(timeout)
        try:
            while True:
                f = self.conn.recv_frame()
                if f.stream == -1 and f.opcode == EVENT:
                    return parse_event(f.body)
        except socket.timeout:
            return None

    def wait_for(self, kind, change, address, timeout):
        deadline = time.monotonic() + timeout
        seen = []
        while (left := deadline - time.monotonic()) > 0:
            event = self.next_event(left)
            if event is None:
                break
            seen.append(event)
            if event[:2] == (kind, change) and event[2] == address:
                return time.monotonic()
        raise AssertionError(f"no {kind} {change} {address} within {timeout} s; saw {seen}")

    def close(self):
        self.conn.close()


def parse_event(body):
    r = cql_wire.Reader(body)
    kind = r.string()
    if kind == "SCHEMA_CHANGE":
        return (kind, r.string(), r.string())
    change = r.string()
    size = r.take(1)[0]
    address = str(ipaddress.ip_address(r.take(size)))
    return (kind, change, address)


def local_row(session):
    return session.execute("SELECT host_id, tokens, schema_version, rpc_address FROM system.local").one()


def test_drivers_see_every_node_from_one_contact_point(local_cluster_factory, caplog):
    cluster = local_cluster_factory(3).start()
    host_ids = {}
    for i in (1, 2, 3):
        driver, session = connect_node(cluster, i)
        row = local_row(session)
        host_ids[cluster.node_address(i)] = row.host_id
        assert str(row.rpc_address) == cluster.node_address(i)
        assert len(row.tokens) == 16, "the launcher's num_tokens"
        driver.shutdown()

    from cassandra.cluster import Cluster
    for i in (1, 2, 3):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="cassandra"):
            driver = Cluster([cluster.node_address(i)], port=cluster.port, protocol_version=4)
            session = driver.connect()
            hosts = {h.address: h.host_id for h in driver.metadata.all_hosts()}
            peers = session.execute("SELECT peer, host_id, data_center, rack, rpc_address, tokens FROM system.peers")
            peers = list(peers)
            driver.shutdown()
        assert hosts == host_ids, f"contact point {i}: the driver sees {hosts}"
        assert len(peers) == 2 and all(p.data_center and p.rack and p.tokens for p in peers)
        invalid = [r.getMessage() for r in caplog.records if "peer" in r.getMessage().lower()]
        assert not invalid, invalid


@pytest.mark.wire
def test_ddl_on_any_node_reaches_every_node(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    sessions = [connect_node(cluster, i) for i in (1, 2, 3)]
    try:
        drivers = [d for d, _ in sessions]
        s1, s2, s3 = (s for _, s in sessions)
        s2.execute("CREATE KEYSPACE k WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
        s3.execute("CREATE TABLE k.t (a int PRIMARY KEY, b text)")
        started = time.monotonic()
        assert drivers[0].control_connection.wait_for_schema_agreement(wait_time=SCHEMA_AGREEMENT_S)
        assert time.monotonic() - started < SCHEMA_AGREEMENT_S
        versions = {local_row(s).schema_version for s in (s1, s2, s3)}
        assert len(versions) == 1, versions
        ids = {s.execute("SELECT id FROM system_schema.tables WHERE keyspace_name = 'k' AND table_name = 't'").one().id
               for s in (s1, s2, s3)}
        assert len(ids) == 1, ids
    finally:
        for d, _ in sessions:
            d.shutdown()


@pytest.mark.wire
def test_concurrent_create_if_not_exists_through_three_coordinators(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    sessions = [connect_node(cluster, i, timeout=30) for i in (1, 2, 3)]
    try:
        sessions[0][1].execute(
            "CREATE KEYSPACE race WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
        barrier = threading.Barrier(CONCURRENT_CLIENTS)

        def client(session):
            barrier.wait()
            futures = [session.execute_async("CREATE TABLE IF NOT EXISTS race.t (k int PRIMARY KEY, v int)")
                       for _ in range(CREATES_PER_CLIENT)]
            for f in futures:
                f.result()

        with ThreadPoolExecutor(CONCURRENT_CLIENTS) as pool:
            list(pool.map(client, [s for _, s in sessions]))
        ids = set()
        for _, s in sessions:
            rows = list(s.execute("SELECT id FROM system_schema.tables WHERE keyspace_name = 'race'"))
            assert len(rows) == 1, rows
            ids.add(rows[0].id)
        assert len(ids) == 1, f"one table, one id on every node: {ids}"
    finally:
        for d, _ in sessions:
            d.shutdown()


@pytest.mark.wire
def test_kill_one_node_down_event_ddl_still_works_up_after_restart(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    listener = EventListener(cluster.node_address(1), cluster.port)
    driver, session = connect_node(cluster, 1, timeout=20)
    try:
        killed = time.monotonic()
        cluster.kill(3)
        seen = listener.wait_for("STATUS_CHANGE", "DOWN", cluster.node_address(3), FD_TIMEOUT_S + EVENT_SLACK_S + 1)
        assert seen - killed <= FD_TIMEOUT_S + EVENT_SLACK_S, f"DOWN after {seen - killed:.2f} s"
        session.execute("CREATE KEYSPACE minority_down WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        cluster.start_node(3)
        listener.wait_for("STATUS_CHANGE", "UP", cluster.node_address(3), 30)
        d3, s3 = connect_node(cluster, 3)
        try:
            names = {r.keyspace_name for r in s3.execute("SELECT keyspace_name FROM system_schema.keyspaces")}
            assert "minority_down" in names, "the restarted node caught up with the DDL it missed"
        finally:
            d3.shutdown()
    finally:
        listener.close()
        driver.shutdown()


@pytest.mark.wire
def test_majority_down_ddl_fails_cleanly(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    driver, session = connect_node(cluster, 1, timeout=30)
    try:
        cluster.kill(2)
        cluster.kill(3)
        started = time.monotonic()
        with pytest.raises(Exception) as refused:
            session.execute("CREATE KEYSPACE no_quorum WITH replication = "
                            "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        assert time.monotonic() - started < 20, "a clear error, not a hang"
        assert "quorum" in str(refused.value).lower() or "leader" in str(refused.value).lower(), refused.value
        names = {r.keyspace_name for r in session.execute("SELECT keyspace_name FROM system_schema.keyspaces")}
        assert "no_quorum" not in names, "no divergent schema"
    finally:
        driver.shutdown()


@pytest.mark.wire
def test_killing_the_leader_ddl_works_again_within_5s(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    # Node 1 founded group 0, so it leads until something happens.
    driver, session = connect_node(cluster, 2, timeout=20)
    try:
        session.execute("CREATE KEYSPACE before WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        cluster.kill(1)
        started = time.monotonic()
        session.execute("CREATE KEYSPACE after_leader WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        assert time.monotonic() - started < 5.0
    finally:
        driver.shutdown()


@pytest.mark.wire
def test_a_fourth_node_joins_and_clients_get_new_node(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    listener = EventListener(cluster.node_address(1), cluster.port)
    try:
        cluster.cluster.add_node()
        cluster.start_node(4)
        listener.wait_for("TOPOLOGY_CHANGE", "NEW_NODE", cluster.node_address(4), 30)
        driver, session = connect_node(cluster, 1)
        try:
            peers = {str(r.peer) for r in session.execute("SELECT peer FROM system.peers")}
            assert cluster.node_address(4) in peers
        finally:
            driver.shutdown()
    finally:
        listener.close()


@pytest.mark.wire
def test_whole_cluster_kill_and_restart_keeps_everything(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    before = {}
    driver, session = connect_node(cluster, 1)
    session.execute("CREATE KEYSPACE kept WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
    session.execute("CREATE TABLE kept.t (a int PRIMARY KEY)")
    driver.shutdown()
    for i in (1, 2, 3):
        d, s = connect_node(cluster, i)
        row = local_row(s)
        before[i] = (row.host_id, sorted(row.tokens), row.schema_version)
        d.shutdown()
    for i in (1, 2, 3):
        cluster.kill(i)
    cluster.start()
    for i in (1, 2, 3):
        d, s = connect_node(cluster, i)
        row = local_row(s)
        assert (row.host_id, sorted(row.tokens), row.schema_version) == before[i]
        assert len(list(s.execute("SELECT peer FROM system.peers"))) == 2
        d.shutdown()
    d, s = connect_node(cluster, 2)
    s.execute("CREATE TABLE kept.t2 (a int PRIMARY KEY)")
    d.shutdown()


@pytest.mark.wire
def test_a_paused_node_is_down_then_up_and_convicts_nobody_for_its_pause(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    watcher = EventListener(cluster.node_address(1), cluster.port)
    paused_view = EventListener(cluster.node_address(3), cluster.port)
    try:
        paused = time.monotonic()
        cluster.pause(3)
        seen = watcher.wait_for("STATUS_CHANGE", "DOWN", cluster.node_address(3), FD_TIMEOUT_S + EVENT_SLACK_S + 1)
        assert seen - paused <= FD_TIMEOUT_S + EVENT_SLACK_S, f"DOWN after {seen - paused:.2f} s"
        time.sleep(PAUSE_S - (time.monotonic() - paused))
        cluster.resume(3)
        watcher.wait_for("STATUS_CHANGE", "UP", cluster.node_address(3), 10)
        # What node 3 told its own clients after waking up: nobody went DOWN for its pause.
        quiet_until = time.monotonic() + FD_TIMEOUT_S + EVENT_SLACK_S
        while (left := quiet_until - time.monotonic()) > 0:
            event = paused_view.next_event(left)
            if event is None:
                break
            assert event[:2] != ("STATUS_CHANGE", "DOWN"), f"node 3 convicted {event[2]} for its own pause"
    finally:
        watcher.close()
        paused_view.close()


@pytest.mark.wire
def test_a_node_of_another_cluster_is_refused_with_a_clear_log_line(local_cluster_factory, tmp_path):
    import subprocess

    from percore_harness import server_binary

    cluster = local_cluster_factory(1).start()
    node1 = cluster.node(1)
    prefix = cluster.node_address(1).rsplit(".", 1)[0]
    stranger = f"{prefix}.9"
    log = tmp_path / "stranger.log"
    command = [str(server_binary()), "--smp", "1", "--memory", "256M", "--data-dir", str(tmp_path / "stranger"),
               "--listen-address", stranger, "--cluster-name", "Another Cluster", "--seeds", cluster.node_address(1),
               "--storage-port", str(node1.storage_port),
               "--native-transport-port", str(cluster.port), "--native-shard-aware-transport-port",
               str(node1.ports["native_shard_aware_transport_port"]), "--prometheus-port",
               str(node1.ports["prometheus_port"])]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        refusal = "cluster name 'Another Cluster' is not"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and refusal not in node1.log_tail(200):
            time.sleep(0.2)
        assert refusal in node1.log_tail(200), node1.log_tail(50)
        assert proc.wait(timeout=20) != 0, "a node refused by its seeds stops instead of retrying for ever"
        text = log.read_text(errors="replace")
        assert "cannot join the cluster" in text and "Another Cluster" in text, text[-2000:]
        assert not cql_wire_answers(stranger, cluster.port), "a refused node never opens its CQL port"
        driver, session = connect_node(cluster, 1)
        try:
            assert not list(session.execute("SELECT peer FROM system.peers"))
        finally:
            driver.shutdown()
    finally:
        proc.kill()
        proc.wait()


def cql_wire_answers(host, port):
    try:
        with cql_wire.RawConnection(port, host=host, timeout=1) as conn:
            conn.options()
        return True
    except OSError:
        return False


# More group 0 entries than a node keeps behind its last snapshot (512 between snapshots,
# 100 kept): a node joining after them gets the snapshot, not the log.
ENTRIES_PAST_SNAPSHOT = 650


@pytest.mark.wire
def test_a_node_joining_after_the_log_was_purged_gets_a_snapshot(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    with cql_wire.RawConnection(cluster.port, host=cluster.node_address(2), timeout=30) as conn:
        conn.startup()
        conn.query("CREATE KEYSPACE snap WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        conn.query("CREATE TABLE snap.t (k int PRIMARY KEY, v int)")
        for i in range(ENTRIES_PAST_SNAPSHOT):
            conn.query(f"ALTER TABLE snap.t WITH comment = 'change {i}'")
    cluster.cluster.add_node()
    cluster.start_node(4)
    driver, session = connect_node(cluster, 4)
    try:
        row = session.execute("SELECT comment FROM system_schema.tables WHERE keyspace_name = 'snap' "
                              "AND table_name = 't'").one()
        assert row.comment == f"change {ENTRIES_PAST_SNAPSHOT - 1}"
        session.execute("ALTER TABLE snap.t WITH comment = 'from the new node'")
        assert len(list(session.execute("SELECT peer FROM system.peers"))) == 3
    finally:
        driver.shutdown()


@pytest.mark.wire
def test_ddl_through_one_node_sees_ddl_just_done_through_another(local_cluster_factory):
    """No driver in between (drivers wait for schema agreement after DDL): the second
    node's read barrier makes it apply the first change before computing its own."""
    cluster = local_cluster_factory(3).start()
    connections = [cql_wire.RawConnection(cluster.port, host=cluster.node_address(i), timeout=20) for i in (1, 2, 3)]
    try:
        for conn in connections:
            conn.startup()
        for round_ in range(20):
            first, second = connections[round_ % 3], connections[(round_ + 1) % 3]
            first.query(f"CREATE KEYSPACE chain{round_} WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
            second.query(f"CREATE TABLE chain{round_}.t (k int PRIMARY KEY)")
    finally:
        for conn in connections:
            conn.close()
