"""The driver connects with schema metadata on, DDL is fast, and metadata matches the DDL."""

import pytest

from support import connect, timed

SCHEMA_AGREEMENT_BUDGET_S = 5.0  # the driver waits up to 10 s when schema_version misbehaves


def test_connect_with_schema_metadata(server):
    cluster, session = connect(server)  # schema_metadata_enabled is the default
    try:
        assert cluster.schema_metadata_enabled
        keyspaces = set(cluster.metadata.keyspaces)
        for name in ("system", "system_schema"):
            assert name in keyspaces, f"{name} missing from driver metadata: {sorted(keyspaces)}"
        hosts = cluster.metadata.all_hosts()
        assert len(hosts) == 1, hosts
        assert hosts[0].is_up
        assert hosts[0].release_version == "3.0.8"
        assert cluster.metadata.partitioner == "org.apache.cassandra.dht.Murmur3Partitioner"
        assert cluster.metadata.token_map is not None and cluster.metadata.token_map.ring, \
            "driver built no token map (system.local tokens missing?)"
    finally:
        cluster.shutdown()


def test_system_local(session):
    row = session.execute(
        "SELECT key, release_version, cql_version, native_protocol_version, partitioner, "
        "schema_version, host_id, tokens, data_center, rack FROM system.local WHERE key='local'"
    ).one()
    assert row is not None
    assert row.key == "local"
    assert row.release_version == "3.0.8"
    assert row.cql_version == "3.3.1"
    assert row.native_protocol_version == "4"
    assert row.partitioner == "org.apache.cassandra.dht.Murmur3Partitioner"
    assert row.schema_version is not None
    assert row.host_id is not None
    assert row.tokens, "system.local has no tokens"
    for t in row.tokens:
        assert -2**63 <= int(t) < 2**63  # decimal i64 strings
    assert row.data_center and row.rack
    assert list(session.execute("SELECT * FROM system.peers")) == []


@pytest.mark.parametrize("table", [
    "keyspaces", "tables", "columns", "types", "functions", "aggregates", "indexes", "views",
])
def test_system_schema_tables_selectable(session, table):
    session.execute(f"SELECT * FROM system_schema.{table}")


def test_ddl_is_fast_and_visible_in_metadata(server, session, request):
    cluster = session.cluster
    ks = f"ddl_{request.node.callspec.id}"
    rs, secs = timed(session.execute,
                     f"CREATE KEYSPACE {ks} WITH replication = "
                     "{'class': 'NetworkTopologyStrategy', 'replication_factor': 1}")
    assert rs.response_future.is_schema_agreed, "driver gave up waiting for schema agreement"
    assert secs < SCHEMA_AGREEMENT_BUDGET_S, f"CREATE KEYSPACE took {secs:.1f}s (schema agreement?)"

    rs, secs = timed(session.execute, f"""
        CREATE TABLE {ks}.events (
            tenant int, day text, at timestamp, id uuid, payload blob, n bigint,
            PRIMARY KEY ((tenant, day), at, id)
        ) WITH CLUSTERING ORDER BY (at DESC, id ASC)""")
    assert rs.response_future.is_schema_agreed, "driver gave up waiting for schema agreement"
    assert secs < SCHEMA_AGREEMENT_BUDGET_S, f"CREATE TABLE took {secs:.1f}s (schema agreement?)"

    ksm = cluster.metadata.keyspaces.get(ks)
    assert ksm is not None, f"keyspace {ks} not in driver metadata"
    assert type(ksm.replication_strategy).__name__ == "NetworkTopologyStrategy", ksm.replication_strategy
    table = ksm.tables.get("events")
    assert table is not None, f"table not in driver metadata: {list(ksm.tables)}"
    assert [c.name for c in table.partition_key] == ["tenant", "day"]
    assert [c.name for c in table.clustering_key] == ["at", "id"]
    assert [c.is_reversed for c in table.clustering_key] == [True, False]
    types = {name: col.cql_type for name, col in table.columns.items()}
    assert types == {"tenant": "int", "day": "text", "at": "timestamp", "id": "uuid",
                     "payload": "blob", "n": "bigint"}
    assert not table.is_compact_storage  # flags must be {'compound'}
    cql = table.export_as_string()
    assert "PRIMARY KEY ((tenant, day), at, id)" in cql, cql
    assert "CLUSTERING ORDER BY (at DESC, id ASC)" in cql, cql


def test_drop_table_and_keyspace_leave_metadata(session, request):
    cluster = session.cluster
    ks = f"drop_{request.node.callspec.id}"
    session.execute(f"CREATE KEYSPACE {ks} WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v text)")
    assert "t" in cluster.metadata.keyspaces[ks].tables
    _, secs = timed(session.execute, f"DROP TABLE {ks}.t")
    assert secs < SCHEMA_AGREEMENT_BUDGET_S
    assert "t" not in cluster.metadata.keyspaces[ks].tables
    _, secs = timed(session.execute, f"DROP KEYSPACE {ks}")
    assert secs < SCHEMA_AGREEMENT_BUDGET_S
    assert ks not in cluster.metadata.keyspaces
    rows = session.execute("SELECT keyspace_name FROM system_schema.keyspaces")
    assert ks not in {r.keyspace_name for r in rows}


def test_default_protocol_negotiation_lands_on_v4(server2):
    """The driver starts above v4 and must step down on 'unsupported protocol version'."""
    cluster, session = connect(server2, protocol_version=None)
    try:
        assert cluster.protocol_version == 4
        assert session.execute("SELECT release_version FROM system.local").one()[0] == "3.0.8"
    finally:
        cluster.shutdown()


def test_protocol_v3(server2):
    cluster, session = connect(server2, protocol_version=3)
    try:
        assert cluster.protocol_version == 3
        assert session.execute("SELECT release_version FROM system.local").one()[0] == "3.0.8"
        session.execute("CREATE KEYSPACE IF NOT EXISTS ks_v3 WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute("CREATE TABLE IF NOT EXISTS ks_v3.t (k int PRIMARY KEY, v text)")
        session.execute("INSERT INTO ks_v3.t (k, v) VALUES (1, 'three')")
        prepared = session.prepare("SELECT v FROM ks_v3.t WHERE k = ?")
        assert session.execute(prepared, (1,)).one().v == "three"
    finally:
        cluster.shutdown()
