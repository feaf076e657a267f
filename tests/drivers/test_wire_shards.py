"""Each connection reports (in SUPPORTED) the shard that really serves it.

Raw sockets, so we choose the client's source port: on the shard-aware port
the shard must be source_port % nr_shards; on the plain port connections are
spread over shards. A QUERY on a connection must count on that shard's
percore_cql_requests_total.
"""

import pytest

import cql_wire
from cql_wire import SCYLLA_SHARDING_KEYS, wait_for

pytestmark = pytest.mark.wire

REQUESTS = "percore_cql_requests_total"
CONNECTIONS = "percore_cql_connections"


def check_supported(supported, server):
    for key in SCYLLA_SHARDING_KEYS + ("CQL_VERSION", "COMPRESSION"):
        assert key in supported, f"SUPPORTED lacks {key}: {supported}"
    assert supported["SCYLLA_NR_SHARDS"] == [str(server.smp)]
    assert supported["SCYLLA_PARTITIONER"] == ["org.apache.cassandra.dht.Murmur3Partitioner"]
    assert supported["SCYLLA_SHARDING_ALGORITHM"] == ["biased-token-round-robin"]
    assert supported["SCYLLA_SHARDING_IGNORE_MSB"] == ["12"]
    assert supported["SCYLLA_SHARD_AWARE_PORT"] == [str(server.shard_port)]
    assert "3.3.1" in supported["CQL_VERSION"]
    assert {"lz4", "snappy"} <= set(supported["COMPRESSION"])
    shard = int(supported["SCYLLA_SHARD"][0])
    assert 0 <= shard < server.smp
    return shard


def query_counts_on_shard(server, conn, shard):
    """Send one QUERY on conn; that shard's request counter (and only it) goes up by one."""
    before = server.metrics().per_shard(REQUESTS)
    conn.query("SELECT release_version FROM system.local WHERE key = 'local'")

    def counted():
        after = server.metrics().per_shard(REQUESTS)
        return after if after.get(shard, 0) >= before.get(shard, 0) + 1 else None

    after = wait_for(counted, timeout=5, what=f"{REQUESTS}{{shard={shard}}} to increase")
    for other in range(server.smp):
        if other != shard:
            assert after.get(other, 0) == before.get(other, 0), \
                f"query on shard {shard}'s connection counted on shard {other}: {before} -> {after}"
    assert after[shard] == before.get(shard, 0) + 1, f"{before} -> {after}"


@pytest.mark.parametrize("smp", [2, 3])
def test_shard_aware_port_routes_by_source_port(percore_factory, smp):
    server = percore_factory.start(smp=smp)
    conns = []
    try:
        for shard in list(range(smp)) * 2:
            conn = cql_wire.bind_port_for_shard(server.shard_port, shard, smp)
            conns.append(conn)
            assert conn.source_port % smp == shard
            reported = check_supported(conn.options(), server)
            assert reported == shard, \
                f"source port {conn.source_port} should land on shard {shard}, SUPPORTED says {reported}"
            conn.startup()
        for conn in conns:
            query_counts_on_shard(server, conn, conn.source_port % smp)
    finally:
        for conn in conns:
            conn.close()


def test_plain_port_balances_connections(percore_factory):
    server = percore_factory.start(smp=2)
    conns = []
    try:
        shards = []
        for _ in range(4):
            conn = cql_wire.RawConnection(server.port)
            conns.append(conn)
            shards.append(check_supported(conn.options(), server))
        assert sorted(shards) == [0, 0, 1, 1], f"4 connections over 2 shards landed on {shards}"

        def balanced():
            per_shard = server.metrics().per_shard(CONNECTIONS)
            return per_shard if per_shard == {0: 2.0, 1: 2.0} else None
        wait_for(balanced, timeout=5, what=f"{CONNECTIONS} == 2 per shard")

        for conn, shard in zip(conns, shards):
            conn.startup()
            query_counts_on_shard(server, conn, shard)
    finally:
        for conn in conns:
            conn.close()


def test_connection_gauge_drops_on_close(percore_factory):
    server = percore_factory.start(smp=2)
    conns = [cql_wire.RawConnection(server.port) for _ in range(3)]
    for conn in conns:
        conn.options()
    wait_for(lambda: sum(server.metrics().per_shard(CONNECTIONS).values()) == 3,
             timeout=5, what="3 connections in the gauge")
    for conn in conns:
        conn.close()
    wait_for(lambda: sum(server.metrics().per_shard(CONNECTIONS).values()) == 0,
             timeout=5, what="the gauge to return to 0 after close")


def test_metrics_endpoint(percore_factory):
    server = percore_factory.start(smp=2)
    metrics = server.metrics()
    for name in ("percore_cql_requests_total", "percore_cql_requests_local_total",
                 "percore_cql_requests_forwarded_total", CONNECTIONS):
        assert set(metrics.per_shard(name)) == {0, 1}, f"{name} lacks a series per shard"
    assert "process_cpu_seconds_total" in metrics
