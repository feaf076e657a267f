"""ALTER TABLE as Cassandra has it: ADD, DROP (with its drop time), adding a dropped column
back, RENAME of key columns, WITH options — as statement tables (see statement_tables.py),
each also run with a flush before every SELECT. Then what drivers see after a drop
(metadata, prepared statements, system_schema.dropped_columns) and drops surviving a
restart.

A drop hides the column's cells written at or before the drop time for ever: they do not
come back when a column of that name is added again, and a row that only had cells in the
dropped column (created by UPDATE, so without a row marker) disappears."""

import subprocess

import pytest
from cassandra import InvalidRequest
from percore_harness import server_binary

from statement_tables import Invalid, flush, run_case, with_flushes
from support import connect


def compact(server, keyspace):
    cmd = [str(server_binary()), "nodetool", "-p", str(server.prometheus_port), "compact", keyspace]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"nodetool compact failed: {result.stderr}"

ADD_AND_DROP = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, v int, w text)",
    "INSERT INTO {ks}.t (k, v, w) VALUES (1, 10, 'a')",
    "UPDATE {ks}.t SET v = 20 WHERE k = 2",
    "ALTER TABLE {ks}.t ADD x int",
    ("SELECT * FROM {ks}.t WHERE k = 1", [(1, 10, "a", None)]),
    "UPDATE {ks}.t SET x = 5 WHERE k = 1",
    "ALTER TABLE {ks}.t DROP v",
    # Gone from SELECT *; the INSERT's row marker keeps row 1, row 2 had only v.
    ("SELECT * FROM {ks}.t WHERE k = 1", [(1, "a", 5)]),
    ("SELECT * FROM {ks}.t WHERE k = 2", []),
    ("SELECT k FROM {ks}.t", [(1,)]),
    ("SELECT v FROM {ks}.t WHERE k = 1", Invalid("Undefined column name v")),
    ("UPDATE {ks}.t SET v = 1 WHERE k = 1", Invalid("Undefined column name v")),
    ("INSERT INTO {ks}.t (k, v) VALUES (3, 1)", Invalid("Undefined column name v")),
    # Added back: the same name and type, but what was written before the drop stays hidden.
    "ALTER TABLE {ks}.t ADD v int",
    ("SELECT k, v FROM {ks}.t WHERE k = 1", [(1, None)]),
    ("SELECT * FROM {ks}.t WHERE k = 2", []),
    "UPDATE {ks}.t SET v = 30 WHERE k = 2",
    ("SELECT k, v, w FROM {ks}.t WHERE k = 2", [(2, 30, None)]),
    "INSERT INTO {ks}.t JSON '{\"k\": 4, \"w\": \"j\"}'",
    ("SELECT k, v, w, x FROM {ks}.t WHERE k = 4", [(4, None, "j", None)]),
]

DROP_SEVERAL = [
    "CREATE TABLE {ks}.t (k int, c int, s int static, a int, b list<int>, PRIMARY KEY (k, c))",
    "INSERT INTO {ks}.t (k, c, s, a, b) VALUES (1, 1, 7, 1, [1, 2])",
    "UPDATE {ks}.t SET b = b + [3] WHERE k = 1 AND c = 2",
    "ALTER TABLE {ks}.t DROP (s, b)",
    ("SELECT * FROM {ks}.t WHERE k = 1", [(1, 1, 1)]),
    # A drop at an explicit time hides only what was written at or before it.
    "INSERT INTO {ks}.t (k, c, a) VALUES (2, 1, 5) USING TIMESTAMP 1000",
    "INSERT INTO {ks}.t (k, c, a) VALUES (2, 2, 6) USING TIMESTAMP 3000",
    "ALTER TABLE {ks}.t DROP a USING TIMESTAMP 2000",
    "ALTER TABLE {ks}.t ADD a int",
    ("SELECT k, c, a FROM {ks}.t WHERE k = 2", [(2, 1, None), (2, 2, 6)]),
]

REFUSALS = [
    "CREATE TABLE {ks}.t (k int, c int, v int, PRIMARY KEY (k, c))",
    ("ALTER TABLE {ks}.t DROP k", Invalid("Cannot drop PRIMARY KEY part k")),
    ("ALTER TABLE {ks}.t DROP c", Invalid("Cannot drop PRIMARY KEY part c")),
    ("ALTER TABLE {ks}.t DROP nope", Invalid("Column nope was not found in table t")),
    ("ALTER TABLE {ks}.t ADD v text", Invalid("Invalid column name v because it conflicts with an existing column")),
    "ALTER TABLE {ks}.t DROP v",
    ("ALTER TABLE {ks}.t DROP v", Invalid("Column v was not found in table t")),
    (
        "ALTER TABLE {ks}.t ADD v text",
        Invalid("Cannot re-add previously dropped column 'v' of type text, incompatible with previous type int"),
    ),
    ("ALTER TABLE {ks}.t RENAME v TO w", Invalid("Cannot rename unknown column v in table t")),
    "ALTER TABLE {ks}.t RENAME c TO cc",
    "INSERT INTO {ks}.t (k, cc) VALUES (1, 2)",
    ("SELECT * FROM {ks}.t", [(1, 2)]),
    "ALTER TABLE {ks}.t WITH comment = 'altered' AND gc_grace_seconds = 10",
]

CASES = {"add_and_drop": ADD_AND_DROP, "drop_several": DROP_SEVERAL, "refusals": REFUSALS}


@pytest.mark.parametrize("flushed", [False, True], ids=["memtable", "flushed"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_alter_table_semantics(session, server, ks, case, flushed):
    steps = CASES[case]
    run_case(session, server, ks, with_flushes(steps) if flushed else steps)


def test_drivers_see_the_drop(session, ks):
    session.execute(f"CREATE TABLE {ks}.d (k int PRIMARY KEY, v int, w int)")
    session.execute(f"INSERT INTO {ks}.d (k, v, w) VALUES (1, 2, 3)")
    prepared = session.prepare(f"SELECT v FROM {ks}.d WHERE k = ?")
    assert session.execute(prepared, [1]).one().v == 2
    session.execute(f"ALTER TABLE {ks}.d DROP v USING TIMESTAMP 1700000000000000")
    # The server dropped the prepared statement; the driver prepares it again and is refused.
    with pytest.raises(InvalidRequest, match="Undefined column name v"):
        session.execute(prepared, [1])
    rows = list(session.execute(
        "SELECT column_name, dropped_time, type FROM system_schema.dropped_columns "
        "WHERE keyspace_name = %s AND table_name = 'd'", [ks]))
    assert [(r.column_name, r.type) for r in rows] == [("v", "int")]
    assert int(rows[0].dropped_time.timestamp()) == 1_700_000_000
    names = [r.column_name for r in session.execute(
        "SELECT column_name FROM system_schema.columns WHERE keyspace_name = %s AND table_name = 'd'", [ks])]
    assert sorted(names) == ["k", "w"]
    session.cluster.refresh_table_metadata(ks, "d")
    assert list(session.cluster.metadata.keyspaces[ks].tables["d"].columns) == ["k", "w"]
    assert "v int" not in session.cluster.metadata.keyspaces[ks].tables["d"].export_as_string()


def test_drops_survive_restart(percore_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=2, data_dir=data_dir)
    cluster, session = connect(server)
    session.execute("CREATE KEYSPACE alt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE alt.t (k int PRIMARY KEY, v int, w int)")
    for k in range(20):
        session.execute("INSERT INTO alt.t (k, v, w) VALUES (%s, %s, %s)", [k, k, k])
    session.execute("UPDATE alt.t SET v = 1 WHERE k = 100")
    flush(server, "alt")
    session.execute("ALTER TABLE alt.t DROP v")
    session.execute("ALTER TABLE alt.t ADD v int")
    session.execute("ALTER TABLE alt.t DROP w")
    session.execute("UPDATE alt.t SET v = 7 WHERE k = 3")
    flush(server, "alt")
    compact(server, "alt")  # purges the hidden cells; the answers must not change
    assert sorted(tuple(r) for r in session.execute("SELECT * FROM alt.t WHERE k IN (3, 4, 100)")) == [(3, 7), (4, None)]
    cluster.shutdown()
    server.kill()
    server = percore_factory.start(smp=1, data_dir=data_dir)
    cluster, session = connect(server)
    rows = sorted(tuple(r) for r in session.execute("SELECT * FROM alt.t"))
    assert rows == [(k, 7 if k == 3 else None) for k in range(20)]
    dropped = {r.column_name for r in session.execute(
        "SELECT column_name FROM system_schema.dropped_columns WHERE keyspace_name = 'alt'")}
    assert dropped == {"v", "w"}
    cluster.shutdown()
