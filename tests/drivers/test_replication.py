"""Replicated reads and writes on a cluster: every natural replica gets a write, any node
coordinates any request, consistency levels block for the right replicas (`Unavailable`
before anything is sent, `WriteTimeout` with what was received), and reads compare digests,
reconcile and repair a stale replica before they answer.

Real `percore` processes on 127.A.B.1-3 (tests/drivers/local_cluster.py), one shard each,
the Python driver pinned to one node per session (so the coordinator is known).
"""

import json
import time
import urllib.request

import pytest
from cassandra import ConsistencyLevel as CL
from cassandra import Unavailable, WriteTimeout
from cassandra.policies import FallthroughRetryPolicy
from cassandra.query import SimpleStatement

from local_cluster import connect_node

pytestmark = pytest.mark.wire  # cluster tests run once (scylla venv)

ROWS = 100
DOWN_WAIT_S = 15.0          # the launcher's 2 s detector timeout, with room
UNAVAILABLE_BUDGET_S = 0.1  # "QUORUM gets Unavailable within 100 ms"
PAUSED_FD_TIMEOUT_MS = 20_000  # long enough that a paused node is not marked DOWN
WRITE_TIMEOUT_S = 2.0       # write_request_timeout_in_ms default
PAGE_ROWS = 50
WIDE_ROWS = 300


def run(session, query, level, params=None, fetch_size=None):
    statement = SimpleStatement(query, consistency_level=level, retry_policy=FallthroughRetryPolicy(),
                                fetch_size=fetch_size)
    return session.execute(statement, params)


def create_keyspace(session, name, rf):
    session.execute(f"CREATE KEYSPACE {name} WITH replication = "
                    f"{{'class': 'SimpleStrategy', 'replication_factor': {rf}}}")
    session.execute(f"CREATE TABLE {name}.kv (k int PRIMARY KEY, v int)")
    session.execute(f"CREATE TABLE {name}.wide (k int, c int, v text, PRIMARY KEY (k, c))")
    session.cluster.control_connection.wait_for_schema_agreement()


def wait_until_unavailable(session, ks, level, deadline_s=DOWN_WAIT_S):
    """Polls until a write at `level` is refused as Unavailable (the detector marked enough
    nodes DOWN); returns the exception."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            run(session, f"INSERT INTO {ks}.kv (k, v) VALUES (-1, -1)", level)
        except Unavailable as e:
            return e
        except WriteTimeout:
            pass
        assert time.monotonic() < deadline, f"{CL.value_to_name[level]} never became Unavailable"
        time.sleep(0.2)


def fault_injection(cluster, i, rules):
    """Installs messaging fault rules on node i (none: clears them) through its admin API."""
    node = cluster.node(i)
    url = f"http://{node.address}:{node.ports['prometheus_port']}/messaging/fault_injection"
    body = json.dumps({"rules": rules}).encode() if rules else None
    req = urllib.request.Request(url, data=body, method="POST" if rules else "DELETE")
    with urllib.request.urlopen(req, timeout=10) as response:
        assert response.status == 200, response.read()


def test_every_replica_gets_the_write_and_any_node_coordinates(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    sessions = [connect_node(cluster, i) for i in (1, 2, 3)]
    try:
        s1 = sessions[0][1]
        create_keyspace(s1, "rf3", 3)
        create_keyspace(s1, "rf1", 1)
        for k in range(ROWS):
            run(s1, "INSERT INTO rf3.kv (k, v) VALUES (%s, %s)", CL.ALL, (k, k * 10))
        # A ONE read is served by the coordinator's own replica: each node holds every row.
        for i, (_, session) in enumerate(sessions, start=1):
            values = {k: run(session, "SELECT v FROM rf3.kv WHERE k = %s", CL.ONE, (k,)).one() for k in range(ROWS)}
            missing = [k for k, row in values.items() if row is None or row.v != k * 10]
            assert not missing, f"node {i} lacks {len(missing)} rows, e.g. {missing[:5]}"
        # RF 1: most keys live on another node than the coordinator; writes and reads travel.
        s2, s3 = sessions[1][1], sessions[2][1]
        for k in range(ROWS):
            run(s2, "INSERT INTO rf1.kv (k, v) VALUES (%s, %s)", CL.ONE, (k, k + 1))
        for level in (CL.ONE, CL.QUORUM, CL.ALL, CL.LOCAL_ONE):
            rows = {k: run(s3, "SELECT v FROM rf1.kv WHERE k = %s", level, (k,)).one() for k in range(ROWS)}
            assert all(rows[k] is not None and rows[k].v == k + 1 for k in range(ROWS)), CL.value_to_name[level]
        # Deletes and TTLs travel as well.
        run(s3, "DELETE FROM rf3.kv WHERE k = 0", CL.QUORUM)
        run(s2, "INSERT INTO rf3.kv (k, v) VALUES (1000, 1) USING TTL 1", CL.ALL)
        time.sleep(1.5)
        for _, session in sessions:
            assert run(session, "SELECT v FROM rf3.kv WHERE k = 0", CL.ALL).one() is None
            assert run(session, "SELECT v FROM rf3.kv WHERE k = 1000", CL.ALL).one() is None
    finally:
        for driver, _ in sessions:
            driver.shutdown()


def test_quorum_is_unavailable_at_once_when_two_of_three_are_down(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    driver, session = connect_node(cluster, 1)
    try:
        create_keyspace(session, "ks", 3)
        cluster.kill(2)
        cluster.kill(3)
        wait_until_unavailable(session, "ks", CL.QUORUM)
        started = time.monotonic()
        with pytest.raises(Unavailable) as raised:
            run(session, "INSERT INTO ks.kv (k, v) VALUES (1, 1)", CL.QUORUM)
        elapsed = time.monotonic() - started
        assert elapsed < UNAVAILABLE_BUDGET_S, f"Unavailable took {elapsed * 1000:.0f} ms"
        e = raised.value
        assert (e.consistency, e.required_replicas, e.alive_replicas) == (CL.QUORUM, 2, 1)
        with pytest.raises(Unavailable):
            run(session, "SELECT v FROM ks.kv WHERE k = 1", CL.QUORUM)
        run(session, "INSERT INTO ks.kv (k, v) VALUES (1, 1)", CL.ONE)
        assert run(session, "SELECT v FROM ks.kv WHERE k = 1", CL.ONE).one().v == 1
    finally:
        driver.shutdown()


def test_a_paused_replica_times_all_out_and_quorum_carries_on(local_cluster_factory):
    cluster = local_cluster_factory(3, fd_timeout_ms=PAUSED_FD_TIMEOUT_MS).start()
    driver, session = connect_node(cluster, 1, timeout=20)
    try:
        create_keyspace(session, "ks", 3)
        cluster.pause(3)
        try:
            for k in range(10):
                run(session, "INSERT INTO ks.kv (k, v) VALUES (%s, %s)", CL.QUORUM, (k, k))
            started = time.monotonic()
            with pytest.raises(WriteTimeout) as raised:
                run(session, "INSERT INTO ks.kv (k, v) VALUES (100, 100)", CL.ALL)
            waited = time.monotonic() - started
            e = raised.value
            assert (e.consistency, e.received_responses, e.required_responses, e.write_type) == (CL.ALL, 2, 3, 0)
            assert waited >= WRITE_TIMEOUT_S * 0.9, f"timed out after {waited:.2f} s"
            assert run(session, "SELECT v FROM ks.kv WHERE k = 5", CL.QUORUM).one().v == 5
        finally:
            cluster.resume(3)
        # The paused node applies what was sent to it once it runs again.
        deadline = time.monotonic() + 10
        while run(session, "SELECT v FROM ks.kv WHERE k = 100", CL.ALL).one() is None:
            assert time.monotonic() < deadline, "node 3 never applied the write it was sent"
            time.sleep(0.2)
    finally:
        driver.shutdown()


def test_a_quorum_read_repairs_a_stale_replica(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    driver1, s1 = connect_node(cluster, 1)
    try:
        create_keyspace(s1, "ks", 3)
        for c in range(WIDE_ROWS):
            run(s1, "INSERT INTO ks.wide (k, c, v) VALUES (2, %s, 'old')", CL.ALL, (c,))
        cluster.kill(3)
        wait_until_unavailable(s1, "ks", CL.ALL)
        # Node 3 misses these: no hints yet, so it stays stale until a read repairs it.
        run(s1, "INSERT INTO ks.kv (k, v) VALUES (1, 1)", CL.QUORUM)
        for c in range(100):
            run(s1, "DELETE FROM ks.wide WHERE k = 2 AND c = %s", CL.QUORUM, (c,))
        for c in range(100, 200):
            run(s1, "UPDATE ks.wide SET v = 'new' WHERE k = 2 AND c = %s", CL.QUORUM, (c,))
        cluster.start_node(3)
    finally:
        driver1.shutdown()
    driver3, s3 = connect_node(cluster, 3)
    try:
        assert run(s3, "SELECT v FROM ks.kv WHERE k = 1", CL.ONE).one() is None, "node 3 should be stale"
        assert run(s3, "SELECT v FROM ks.kv WHERE k = 1", CL.QUORUM).one().v == 1
        assert run(s3, "SELECT v FROM ks.kv WHERE k = 1", CL.ONE).one().v == 1, "the read did not repair node 3"
        # A paged read over rows node 3 still holds live but the others deleted or changed.
        rows = list(run(s3, "SELECT c, v FROM ks.wide WHERE k = 2", CL.QUORUM, fetch_size=PAGE_ROWS))
        assert [r.c for r in rows] == list(range(100, WIDE_ROWS))
        assert [r.v for r in rows] == ["new"] * 100 + ["old"] * (WIDE_ROWS - 200)
        rows = list(run(s3, "SELECT c, v FROM ks.wide WHERE k = 2", CL.ONE, fetch_size=PAGE_ROWS))
        assert [r.c for r in rows] == list(range(100, WIDE_ROWS)), "node 3 was not repaired"
    finally:
        driver3.shutdown()


def test_mutations_dropped_to_a_replica_are_repaired_by_a_quorum_read(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    sessions = {i: connect_node(cluster, i) for i in (1, 3)}
    s1, s3 = sessions[1][1], sessions[3][1]
    try:
        create_keyspace(s1, "ks", 3)
        drop = [{"verb": "MUTATION", "peer": cluster.node_address(3), "action": "drop"}]
        for i in (1, 2):
            fault_injection(cluster, i, drop)
        try:
            for k in range(20):
                run(s1, "INSERT INTO ks.kv (k, v) VALUES (%s, %s)", CL.QUORUM, (k, k))
        finally:
            for i in (1, 2):
                fault_injection(cluster, i, None)
        stale = [k for k in range(20) if run(s3, "SELECT v FROM ks.kv WHERE k = %s", CL.ONE, (k,)).one() is None]
        assert stale == list(range(20)), "node 3 got writes the fault layer should have dropped"
        for k in range(20):
            assert run(s3, "SELECT v FROM ks.kv WHERE k = %s", CL.QUORUM, (k,)).one().v == k
        for k in range(20):
            row = run(s3, "SELECT v FROM ks.kv WHERE k = %s", CL.ONE, (k,)).one()
            assert row is not None and row.v == k, f"key {k} was not repaired on node 3"
    finally:
        for driver, _ in sessions.values():
            driver.shutdown()


SCAN_PARTITIONS = 300
SCAN_ROWS_PER_PARTITION = 3


def test_scans_return_every_row_once_from_any_node(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    sessions = [connect_node(cluster, i) for i in (1, 2, 3)]
    try:
        s1 = sessions[0][1]
        for rf in (1, 2):
            create_keyspace(s1, f"rf{rf}", rf)
            for k in range(SCAN_PARTITIONS):
                for c in range(SCAN_ROWS_PER_PARTITION):
                    run(s1, f"INSERT INTO rf{rf}.wide (k, c, v) VALUES (%s, %s, %s)", CL.ONE, (k, c, f"{k}.{c}"))
        expected = sorted((k, c) for k in range(SCAN_PARTITIONS) for c in range(SCAN_ROWS_PER_PARTITION))
        for rf in (1, 2):
            for i, (_, session) in enumerate(sessions, start=1):
                for level in (CL.ONE, CL.QUORUM, CL.ALL):
                    rows = list(run(session, f"SELECT k, c, v FROM rf{rf}.wide", level, fetch_size=PAGE_ROWS))
                    got = sorted((r.k, r.c) for r in rows)
                    assert got == expected, f"rf {rf}, node {i}, {CL.value_to_name[level]}: {len(got)} rows"
                    assert all(r.v == f"{r.k}.{r.c}" for r in rows)
                count = run(session, f"SELECT COUNT(*) FROM rf{rf}.wide", CL.QUORUM).one()[0]
                assert count == len(expected), f"rf {rf}, node {i}: COUNT(*) {count}"
                filtered = list(run(session, f"SELECT k FROM rf{rf}.wide WHERE c = 1 ALLOW FILTERING", CL.QUORUM,
                                    fetch_size=PAGE_ROWS))
                assert sorted(r.k for r in filtered) == list(range(SCAN_PARTITIONS))
                # A token range: exactly the keys whose tokens fall in it, in token order.
                ranged = list(run(session, f"SELECT k, token(k) AS t FROM rf{rf}.wide WHERE token(k) > 0 "
                                  "AND token(k) <= 4611686018427387904", CL.QUORUM, fetch_size=PAGE_ROWS))
                tokens = [r.t for r in ranged]
                assert tokens == sorted(tokens) and all(0 < t <= 4611686018427387904 for t in tokens)
                assert len({r.k for r in ranged}) * SCAN_ROWS_PER_PARTITION == len(ranged)
                whole = list(run(session, f"SELECT k, token(k) AS t FROM rf{rf}.wide", CL.ONE))
                assert len(ranged) == sum(1 for r in whole if 0 < r.t <= 4611686018427387904)
    finally:
        for driver, _ in sessions:
            driver.shutdown()


RESTART_SCAN_ROWS = 10_000
RESTART_SCAN_PAGE = 100


def test_a_paged_scan_returns_each_row_once_while_a_node_restarts(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    driver, session = connect_node(cluster, 1, timeout=20)
    try:
        create_keyspace(session, "ks", 3)
        insert = session.prepare("INSERT INTO ks.kv (k, v) VALUES (?, ?)")
        insert.consistency_level = CL.ALL
        for start in range(0, RESTART_SCAN_ROWS, 500):
            futures = [session.execute_async(insert, (k, k)) for k in range(start, start + 500)]
            for f in futures:
                f.result()
        statement = SimpleStatement("SELECT k, v FROM ks.kv", consistency_level=CL.QUORUM,
                                    fetch_size=RESTART_SCAN_PAGE, retry_policy=FallthroughRetryPolicy())
        result = session.execute(statement)
        seen = []
        restarted = False
        for row in result:
            seen.append(row.k)
            if len(seen) == RESTART_SCAN_ROWS // 3 and not restarted:
                cluster.kill(2)
                cluster.start_node(2)
                restarted = True
        assert restarted
        assert len(seen) == len(set(seen)), "a row came back twice"
        assert sorted(seen) == list(range(RESTART_SCAN_ROWS))
    finally:
        driver.shutdown()


def test_truncate_empties_every_node_and_needs_them_all(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    sessions = [connect_node(cluster, i) for i in (1, 2, 3)]
    try:
        s1 = sessions[0][1]
        create_keyspace(s1, "ks", 2)
        s1.execute("CREATE INDEX ON ks.kv (v)")
        for k in range(ROWS):
            run(s1, "INSERT INTO ks.kv (k, v) VALUES (%s, %s)", CL.ALL, (k, k % 7))
        run(sessions[1][1], "TRUNCATE ks.kv", CL.ONE)
        for i, (_, session) in enumerate(sessions, start=1):
            assert list(run(session, "SELECT k FROM ks.kv", CL.ONE)) == [], f"node {i} kept rows"
            assert list(run(session, "SELECT k FROM ks.kv WHERE v = 3", CL.ONE)) == [], f"node {i} kept index entries"
        cluster.kill(3)
        with pytest.raises(Unavailable):
            deadline = time.monotonic() + DOWN_WAIT_S
            while time.monotonic() < deadline:
                try:
                    run(s1, "TRUNCATE ks.kv", CL.ONE)
                except Unavailable:
                    raise
                except Exception:  # noqa: BLE001 - node 3 not yet known down: the truncate times out
                    pass
                time.sleep(0.2)
    finally:
        for driver, _ in sessions:
            driver.shutdown()


def test_index_reads_find_rows_stored_on_other_nodes(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    sessions = [connect_node(cluster, i) for i in (1, 2, 3)]
    try:
        s1 = sessions[0][1]
        create_keyspace(s1, "rf1", 1)
        for k in range(ROWS // 2):
            run(s1, "INSERT INTO rf1.kv (k, v) VALUES (%s, %s)", CL.ONE, (k, k % 7))
        # Rows written before the index are indexed by the backfill of every node.
        s1.execute("CREATE INDEX ON rf1.kv (v)")
        s1.cluster.control_connection.wait_for_schema_agreement()
        for k in range(ROWS // 2, ROWS):
            run(sessions[k % 3][1], "INSERT INTO rf1.kv (k, v) VALUES (%s, %s)", CL.ONE, (k, k % 7))
        expected = sorted(k for k in range(ROWS) if k % 7 == 3)
        deadline = time.monotonic() + 10
        for i, (_, session) in enumerate(sessions, start=1):
            while True:
                got = sorted(r.k for r in run(session, "SELECT k FROM rf1.kv WHERE v = 3", CL.ONE, fetch_size=5))
                if got == expected or time.monotonic() > deadline:
                    break
                time.sleep(0.2)  # another node's backfill may still be running
            assert got == expected, f"node {i} found {got}"
            assert run(session, "SELECT COUNT(*) FROM rf1.kv WHERE v = 3", CL.ONE).one()[0] == len(expected)
        # An overwrite leaves a stale entry that reads drop.
        run(s1, "UPDATE rf1.kv SET v = 4 WHERE k = 3", CL.ONE)
        for _, session in sessions:
            assert 3 not in {r.k for r in run(session, "SELECT k FROM rf1.kv WHERE v = 3", CL.ONE)}
    finally:
        for driver, _ in sessions:
            driver.shutdown()
