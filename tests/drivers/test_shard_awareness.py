"""Shard-aware routing end to end: the driver opens a connection per shard, and a
token-aware prepared workload is served without any cross-shard forwarding;
requests that cannot be routed are forwarded (and counted)."""

import pytest
from cassandra.policies import RoundRobinPolicy, TokenAwarePolicy

from cql_wire import wait_for
from support import connect

LOCAL = "percore_cql_requests_local_total"
FORWARDED = "percore_cql_requests_forwarded_total"
REQUESTS = "percore_cql_requests_total"
N = 200


@pytest.fixture(scope="module")
def sa_server(tmp_path_factory):
    """A dedicated smp=2 server with the schema created by a cluster that is gone again
    (so no schema-event refresh of another client lands inside a measurement)."""
    from support import ServerFactory
    factory = ServerFactory(tmp_path_factory.mktemp("shard-aware"))
    server = factory.start(smp=2)
    cluster, session = connect(server)
    session.execute("CREATE KEYSPACE ks_sa WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE ks_sa.kv (k int PRIMARY KEY, v text)")
    session.execute("CREATE TABLE ks_sa.composite (a int, b text, c int, v int, PRIMARY KEY ((a, b), c))")
    cluster.shutdown()
    yield server
    problems = factory.stop_all()
    assert not problems, "\n".join(problems)


def delta(before, after, name):
    b, a = before.per_shard(name), after.per_shard(name)
    return {shard: a.get(shard, 0) - b.get(shard, 0) for shard in set(a) | set(b)}


def wait_for_all_shard_connections(session, timeout=10):
    """scylla-driver opens the per-shard connections in the background after connect()."""
    host = session.cluster.metadata.all_hosts()[0]
    assert host.sharding_info is not None, \
        "scylla-driver found no (complete) SCYLLA_* sharding info in SUPPORTED"
    n = host.sharding_info.shards_count
    pool = session._pools[host]
    wait_for(lambda: set(pool._connections) == set(range(n)), timeout=timeout,
             what=f"a connection to each of {n} shards (have {sorted(pool._connections)})")
    return host, pool


def run_workload(session, insert, select, args_of):
    for i in range(N):
        session.execute(insert, args_of(i))
    for i in range(N):
        row = session.execute(select, args_of(i)[:-1]).one()  # key columns only
        assert row is not None and row[0] == args_of(i)[-1]


def measured(server, work, expected_ops, timeout=5):
    """Run work(); return per-shard deltas of (local, forwarded, requests) once the
    local+forwarded counters account for expected_ops operations."""
    before = server.metrics()
    work()

    def settled():
        after = server.metrics()
        ops = sum(delta(before, after, LOCAL).values()) + sum(delta(before, after, FORWARDED).values())
        return after if ops >= expected_ops else None
    try:
        after = wait_for(settled, timeout=timeout, what=f"{expected_ops} ops in local+forwarded counters")
    except AssertionError:
        after = server.metrics()
        raise AssertionError(
            f"local+forwarded counters did not reach {expected_ops}: local {delta(before, after, LOCAL)}, "
            f"forwarded {delta(before, after, FORWARDED)}, requests {delta(before, after, REQUESTS)}")
    return delta(before, after, LOCAL), delta(before, after, FORWARDED), delta(before, after, REQUESTS)


@pytest.mark.scylla_driver_only
def test_driver_opens_one_connection_per_shard(sa_server):
    cluster, session = connect(sa_server)
    try:
        host, pool = wait_for_all_shard_connections(session)
        info = host.sharding_info
        assert info.shards_count == 2
        assert info.sharding_ignore_msb == 12
        assert info.shard_aware_port == sa_server.shard_port
        for shard, conn in pool._connections.items():
            assert conn.features.shard_id == shard, f"connection keyed {shard} reports {conn.features.shard_id}"
        assert not pool.advanced_shardaware_block_until, \
            "driver disabled the shard-aware port (a connection reported another shard than its source port)"
        assert sa_server.shard_port in {c.endpoint.port for c in pool._connections.values()}, \
            "no connection went through the shard-aware port"
        state = session.get_pool_state()[host]
        assert state["open_count"] == 2 and not state["shutdown"]
        # the server agrees: every shard holds at least one connection
        conns = sa_server.metrics().per_shard("percore_cql_connections")
        assert all(conns.get(s, 0) >= 1 for s in range(2)), f"server-side connections per shard: {conns}"
    finally:
        cluster.shutdown()


@pytest.mark.scylla_driver_only
@pytest.mark.parametrize("table", ["kv", "composite"])
def test_token_aware_prepared_workload_is_never_forwarded(sa_server, table):
    cluster, session = connect(sa_server, load_balancing_policy=TokenAwarePolicy(RoundRobinPolicy()))
    try:
        wait_for_all_shard_connections(session)
        if table == "kv":
            insert = session.prepare("INSERT INTO ks_sa.kv (k, v) VALUES (?, ?)")
            select = session.prepare("SELECT v FROM ks_sa.kv WHERE k = ?")
            args = lambda i: (i, f"value {i}")  # noqa: E731
        else:
            insert = session.prepare("INSERT INTO ks_sa.composite (a, b, c, v) VALUES (?, ?, ?, ?)")
            select = session.prepare("SELECT v FROM ks_sa.composite WHERE a = ? AND b = ? AND c = ?")
            args = lambda i: (i, f"b{i % 7}", i % 3, i)  # noqa: E731
        assert insert.routing_key_indexes and select.routing_key_indexes, "PREPARED lacks pk_index"

        local, forwarded, requests = measured(
            sa_server, lambda: run_workload(session, insert, select, args), expected_ops=2 * N)
        assert sum(forwarded.values()) == 0, \
            f"shard-aware driver traffic was forwarded between shards: forwarded {forwarded}, local {local}"
        assert sum(local.values()) == 2 * N, f"local {local}"
        assert all(requests.get(s, 0) > 0 for s in range(2)), \
            f"all traffic went to one shard ({requests}): the driver did not use per-shard connections"
    finally:
        cluster.shutdown()


@pytest.mark.scylla_driver_only
def test_unroutable_simple_statements_are_forwarded(sa_server):
    """Literal-valued simple statements carry no routing key: scylla-driver picks a random
    shard's connection, so about half of them must be forwarded to the owner shard."""
    cluster, session = connect(sa_server)
    try:
        wait_for_all_shard_connections(session)

        def work():
            for i in range(N):
                session.execute(f"INSERT INTO ks_sa.kv (k, v) VALUES ({10000 + i}, 'simple')")
        local, forwarded, _ = measured(sa_server, work, expected_ops=N)
        assert sum(forwarded.values()) > 0, f"no forwarding: local {local}, forwarded {forwarded}"
        assert sum(local.values()) > 0, f"nothing local: local {local}, forwarded {forwarded}"
        assert sum(local.values()) + sum(forwarded.values()) == N
    finally:
        cluster.shutdown()


@pytest.mark.cassandra_driver_only
def test_non_shard_aware_driver_is_forwarded(sa_server):
    """cassandra-driver keeps one connection (one shard): token-aware routing to the host
    cannot pick the shard, so the server forwards about half of the operations."""
    cluster, session = connect(sa_server, load_balancing_policy=TokenAwarePolicy(RoundRobinPolicy()))
    try:
        insert = session.prepare("INSERT INTO ks_sa.kv (k, v) VALUES (?, ?)")
        select = session.prepare("SELECT v FROM ks_sa.kv WHERE k = ?")
        local, forwarded, requests = measured(
            sa_server, lambda: run_workload(session, insert, select, lambda i: (20000 + i, "x")),
            expected_ops=2 * N)
        assert sum(forwarded.values()) > 0, f"no forwarding: local {local}, forwarded {forwarded}"
        assert sum(local.values()) > 0, f"nothing local: local {local}, forwarded {forwarded}"
        assert sum(local.values()) + sum(forwarded.values()) == 2 * N
        assert len([s for s, n in requests.items() if n > 0]) == 1, \
            f"one connection should mean one receiving shard: {requests}"
    finally:
        cluster.shutdown()
