"""Start/stop with various --smp, and schema that survives a restart."""

import pytest

import cql_wire
from support import connect, stop_checked


@pytest.mark.parametrize("smp", [1, 2, 4])
def test_starts_serves_and_stops_cleanly(percore_factory, smp):
    server = percore_factory.start(smp=smp)
    with cql_wire.RawConnection(server.port) as conn:
        supported = conn.options()
        assert supported["SCYLLA_NR_SHARDS"] == [str(smp)]
        conn.startup()
        conn.query("SELECT release_version FROM system.local")
    cluster, session = connect(server)
    try:
        assert session.execute("SELECT release_version FROM system.local").one()[0] == "3.0.8"
    finally:
        cluster.shutdown()
    stop_checked(server)


def test_stop_with_clients_connected(percore_factory):
    server = percore_factory.start(smp=2)
    cluster, session = connect(server)
    try:
        session.execute("SELECT * FROM system.local")
        stop_checked(server)  # must not hang on open client connections
    finally:
        cluster.shutdown()


SCHEMA = """
    CREATE TABLE ks_restart.events (
        tenant int, day text, at timestamp, id uuid, payload blob,
        PRIMARY KEY ((tenant, day), at, id)
    ) WITH CLUSTERING ORDER BY (at DESC, id ASC)"""


@pytest.mark.parametrize("smp", [2, 4])
def test_schema_survives_restart(percore_factory, tmp_path, smp):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=smp, data_dir=data_dir)
    cluster, session = connect(server)
    try:
        session.execute("CREATE KEYSPACE ks_restart WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute(SCHEMA)
        session.execute("CREATE KEYSPACE ks_dropped WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute("CREATE TABLE ks_restart.gone (k int PRIMARY KEY)")
        session.execute("DROP TABLE ks_restart.gone")
        session.execute("DROP KEYSPACE ks_dropped")
    finally:
        cluster.shutdown()
    stop_checked(server)

    server.start()  # same data dir, new ports
    cluster, session = connect(server)
    try:
        keyspaces = cluster.metadata.keyspaces
        assert "ks_restart" in keyspaces, f"keyspace lost on restart: {sorted(keyspaces)}"
        assert "ks_dropped" not in keyspaces, "dropped keyspace came back after restart"
        tables = keyspaces["ks_restart"].tables
        assert set(tables) == {"events"}, f"tables after restart: {sorted(tables)}"
        table = tables["events"]
        assert [c.name for c in table.partition_key] == ["tenant", "day"]
        assert [c.name for c in table.clustering_key] == ["at", "id"]
        assert [c.is_reversed for c in table.clustering_key] == [True, False]
        assert {n: c.cql_type for n, c in table.columns.items()} == {
            "tenant": "int", "day": "text", "at": "timestamp", "id": "uuid", "payload": "blob"}
        # and the table is usable
        session.execute("INSERT INTO ks_restart.events (tenant, day, at, id, payload) "
                        "VALUES (1, 'mon', '2024-01-01 00:00:00+0000', 123e4567-e89b-12d3-a456-426614174000, 0x01)")
        assert session.execute("SELECT COUNT(*) FROM ks_restart.events WHERE tenant = 1 AND day = 'mon'").one()[0] == 1
    finally:
        cluster.shutdown()
    stop_checked(server)


def test_relative_data_directory(percore_factory, tmp_path, monkeypatch):
    """The README's first command runs with the default relative ./percore-data."""
    from pathlib import Path

    monkeypatch.chdir(tmp_path)
    server = percore_factory.start(smp=1, data_dir=Path("relative-data"))
    cluster, session = connect(server)
    try:
        session.execute("CREATE KEYSPACE ks_rel WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute("CREATE TABLE ks_rel.t (k int PRIMARY KEY)")
        session.execute("INSERT INTO ks_rel.t (k) VALUES (1)")
    finally:
        cluster.shutdown()
    assert (tmp_path / "relative-data" / "group0" / "state").exists(), "group 0 keeps the schema under the data dir"
    stop_checked(server)


def test_a_node_from_before_the_cluster_founds_one_with_its_schema(percore_factory, tmp_path):
    """A data directory written before group 0 existed (its schema in schema/schema.json)
    founds a one-node cluster whose group 0 holds that schema."""
    import json

    data = tmp_path / "old-node"
    (data / "schema").mkdir(parents=True)
    statements = [
        "CREATE KEYSPACE legacy WITH replication = {'class': 'org.apache.cassandra.locator.SimpleStrategy', "
        "'replication_factor': '1'} AND durable_writes = true",
        "CREATE TABLE legacy.t (k int PRIMARY KEY, v text) WITH id = 5a1c3b2e-0000-4000-8000-000000000001",
    ]
    (data / "schema" / "schema.json").write_text(json.dumps({"format_version": 1, "statements": statements}))
    server = percore_factory.start(smp=1, data_dir=data)
    cluster, session = connect(server)
    try:
        row = session.execute("SELECT id FROM system_schema.tables WHERE keyspace_name = 'legacy'").one()
        assert str(row.id) == "5a1c3b2e-0000-4000-8000-000000000001"
        session.execute("CREATE TABLE legacy.t2 (k int PRIMARY KEY)")
    finally:
        cluster.shutdown()
    stop_checked(server)
    server.start()  # same data dir, new ports
    cluster, session = connect(server)
    try:
        tables = {r.table_name for r in session.execute("SELECT table_name FROM system_schema.tables "
                                                        "WHERE keyspace_name = 'legacy'")}
        assert tables == {"t", "t2"}, "after the restart the schema comes from group 0"
    finally:
        cluster.shutdown()
