"""Secondary indexes as Cassandra/ScyllaDB users expect them: CREATE INDEX on a regular
column answers `WHERE col = ?` without ALLOW FILTERING — on data written before (backfill)
and after the index, across partitions of every shard, with clustering rows, overwrites,
deletes and TTLs dropping stale entries — plus Cassandra's refusals, as statement tables
(see statement_tables.py), each also run with a flush before every SELECT. Then paging,
LIMIT, prepared statements, DROP INDEX, driver metadata, DESCRIBE and restarts."""

import time

import pytest
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.query import SimpleStatement

from statement_tables import Invalid, flush, run_case, with_flushes
from support import connect

FILTERING = "Cannot execute this query as it might involve data filtering"

BASICS = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, v int, w text)",
    "INSERT INTO {ks}.t (k, v, w) VALUES (1, 10, 'a')",
    "INSERT INTO {ks}.t (k, v, w) VALUES (2, 20, 'b')",
    ("SELECT k FROM {ks}.t WHERE v = 10", Invalid(FILTERING)),
    # Created on existing rows: they are indexed (backfill).
    "CREATE INDEX t_v ON {ks}.t (v)",
    ("SELECT k, v, w FROM {ks}.t WHERE v = 10", [(1, 10, "a")]),
    ("SELECT k FROM {ks}.t WHERE v = 30", []),
    "INSERT INTO {ks}.t (k, v, w) VALUES (3, 30, 'c')",
    ("SELECT k, w FROM {ks}.t WHERE v = 30", [(3, "c")]),
    # An overwrite: the old value is no longer found.
    "UPDATE {ks}.t SET v = 31 WHERE k = 3",
    ("SELECT k FROM {ks}.t WHERE v = 30", []),
    ("SELECT k FROM {ks}.t WHERE v = 31", [(3,)]),
    # Deleting the cell, the row.
    "DELETE v FROM {ks}.t WHERE k = 3",
    ("SELECT k FROM {ks}.t WHERE v = 31", []),
    "DELETE FROM {ks}.t WHERE k = 2",
    ("SELECT k FROM {ks}.t WHERE v = 20", []),
    # Written back after the delete: found again.
    "INSERT INTO {ks}.t (k, v) VALUES (2, 20)",
    ("SELECT k, w FROM {ks}.t WHERE v = 20", [(2, None)]),
    # Other regular columns still need ALLOW FILTERING; the full key needs nothing.
    ("SELECT k FROM {ks}.t WHERE v = 10 AND w = 'a'", Invalid(FILTERING)),
    ("SELECT k FROM {ks}.t WHERE v = 10 AND w = 'a' ALLOW FILTERING", [(1,)]),
    ("SELECT k FROM {ks}.t WHERE v = 10 AND w = 'z' ALLOW FILTERING", []),
    ("SELECT k FROM {ks}.t WHERE k = 1 AND v = 10", [(1,)]),
    ("SELECT k FROM {ks}.t WHERE k = 1 AND v = 11", []),
    ("SELECT count(*) FROM {ks}.t WHERE v = 10", [(1,)]),
    ("SELECT k FROM {ks}.t WHERE v = 10 LIMIT 1", [(1,)]),
    ("SELECT k FROM {ks}.t WHERE w = 'a'", Invalid(FILTERING)),
    ("SELECT k FROM {ks}.t WHERE v = 'x'", Invalid("")),
    "DROP INDEX {ks}.t_v",
    ("SELECT k FROM {ks}.t WHERE v = 10", Invalid(FILTERING)),
    ("SELECT k FROM {ks}.t WHERE v = 10 ALLOW FILTERING", [(1,)]),
]

CLUSTERING = [
    "CREATE TABLE {ks}.t (k int, c int, v text, PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (c DESC)",
    "CREATE INDEX ON {ks}.t (v)",
    "INSERT INTO {ks}.t (k, c, v) VALUES (1, 1, 'x')",
    "INSERT INTO {ks}.t (k, c, v) VALUES (1, 2, 'x')",
    "INSERT INTO {ks}.t (k, c, v) VALUES (1, 3, 'y')",
    # Entries of one partition come in its clustering order.
    ("SELECT k, c FROM {ks}.t WHERE v = 'x'", [(1, 2), (1, 1)]),
    ("SELECT c FROM {ks}.t WHERE k = 1 AND v = 'y'", [(3,)]),
    "DELETE FROM {ks}.t WHERE k = 1 AND c = 2",
    ("SELECT k, c FROM {ks}.t WHERE v = 'x'", [(1, 1)]),
    "UPDATE {ks}.t SET v = 'y' WHERE k = 1 AND c = 1",
    ("SELECT c FROM {ks}.t WHERE v = 'x'", []),
    ("SELECT c FROM {ks}.t WHERE v = 'y'", [(3,), (1,)]),
    ("SELECT c FROM {ks}.t WHERE v = 'y' AND c = 1", Invalid(FILTERING)),
    ("SELECT c FROM {ks}.t WHERE v = 'y' AND c = 1 ALLOW FILTERING", [(1,)]),
    "DELETE FROM {ks}.t WHERE k = 1",
    ("SELECT c FROM {ks}.t WHERE v = 'y'", []),
]

TTL = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, v int)",
    "CREATE INDEX ON {ks}.t (v)",
    "INSERT INTO {ks}.t (k, v) VALUES (1, 5) USING TTL 1",
    "INSERT INTO {ks}.t (k, v) VALUES (2, 5)",
    ("SELECT k FROM {ks}.t WHERE v = 5 AND k = 2", [(2,)]),
]

FROZEN = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, l frozen<list<int>>, m map<int, int>)",
    "INSERT INTO {ks}.t (k, l) VALUES (1, [1, 2])",
    "CREATE INDEX ON {ks}.t (FULL(l))",
    ("SELECT k FROM {ks}.t WHERE l = [1, 2]", [(1,)]),
    ("SELECT k FROM {ks}.t WHERE l = [1]", []),
]

REFUSALS = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, v int, l list<int>, f frozen<set<int>>, d duration)",
    "CREATE TABLE {ks}.c (k int PRIMARY KEY, n counter)",
    "CREATE TABLE {ks}.s (k int, c int, s int static, PRIMARY KEY (k, c))",
    ("CREATE INDEX ON {ks}.t (k)", Invalid("Cannot create secondary index on the only partition key column k")),
    ("CREATE INDEX ON {ks}.c (n)", Invalid("Secondary indexes on counter tables aren't supported")),
    ("CREATE INDEX ON {ks}.t (KEYS(v))", Invalid("Cannot create keys() index on v. Non-collection columns only support simple indexes")),
    ("CREATE INDEX ON {ks}.t (VALUES(v))", Invalid("Non-collection columns only support simple indexes")),
    ("CREATE INDEX ON {ks}.t (ENTRIES(l))", Invalid("Cannot create index on entries of column l with non-map type")),
    ("CREATE INDEX ON {ks}.t (FULL(v))", Invalid("full() indexes can only be created on frozen collections")),
    ("CREATE INDEX ON {ks}.t (f)", Invalid("Frozen collections are immutable and must be fully indexed by using the 'full(f)' modifier")),
    ("CREATE INDEX ON {ks}.t (d)", Invalid("Secondary indexes are not supported on duration columns")),
    ("CREATE INDEX ON {ks}.t (nope)", Invalid("Column 'nope' doesn't exist")),
    ("CREATE INDEX ON {ks}.nope (v)", Invalid("Table 'nope' doesn't exist")),
    ("CREATE CUSTOM INDEX ON {ks}.t (v) USING 'org.apache.cassandra.index.sasi.SASIIndex'", Invalid("CUSTOM indexes are not supported")),
    ("CREATE INDEX ON {ks}.s (s)", Invalid("Indexes on static columns (s) are not supported yet")),
    "CREATE INDEX i ON {ks}.t (v)",
    ("CREATE INDEX i ON {ks}.t (FULL(f))", Invalid("Index 'i' already exists")),
    "CREATE INDEX IF NOT EXISTS i ON {ks}.t (FULL(f))",
    ("CREATE INDEX j ON {ks}.t (v)", Invalid("Index j is a duplicate of existing index i")),
    ("ALTER TABLE {ks}.t DROP v", Invalid("Cannot drop column v because it has dependent secondary indexes (i)")),
    ("SELECT * FROM {ks}.i_index", Invalid("unconfigured table i_index")),
    ("CREATE TABLE {ks}.i_index (k int PRIMARY KEY)", Invalid("backing table")),
    ("DROP INDEX {ks}.nope", Invalid(".nope' doesn't exist")),
    "DROP INDEX IF EXISTS {ks}.nope",
    "DROP INDEX {ks}.i",
    "ALTER TABLE {ks}.t DROP v",
]

CASES = {"basics": BASICS, "clustering": CLUSTERING, "ttl": TTL, "frozen": FROZEN, "refusals": REFUSALS}


@pytest.mark.parametrize("flushed", [False, True], ids=["memtable", "flushed"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_index_semantics(session, server, ks, case, flushed):
    steps = CASES[case]
    run_case(session, server, ks, with_flushes(steps) if flushed else steps)


def test_ttl_expiry_drops_entries(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v int)")
    session.execute(f"CREATE INDEX ON {ks}.t (v)")
    session.execute(f"INSERT INTO {ks}.t (k, v) VALUES (1, 5) USING TTL 1")
    session.execute(f"INSERT INTO {ks}.t (k, v) VALUES (2, 5)")
    assert sorted(r.k for r in session.execute(f"SELECT k FROM {ks}.t WHERE v = 5")) == [1, 2]
    time.sleep(2.1)
    assert [r.k for r in session.execute(f"SELECT k FROM {ks}.t WHERE v = 5")] == [2]


def test_many_partitions_paging_limit_and_prepared(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int, c int, v int, PRIMARY KEY (k, c))")
    insert = session.prepare(f"INSERT INTO {ks}.t (k, c, v) VALUES (?, ?, ?)")
    for k in range(40):
        for c in range(2):
            session.execute(insert, (k, c, k % 4))
    session.execute(f"CREATE INDEX ON {ks}.t (v)")  # backfill of 80 rows
    for k in range(40, 60):
        session.execute(insert, (k, 0, k % 4))
    # Overwrite half of value 0's rows to 9: stale entries for the pager to skip.
    for k in range(0, 60, 8):
        session.execute(f"UPDATE {ks}.t SET v = 9 WHERE k = {k} AND c = 0")
    expected = sorted((k, c) for k in range(60) for c in range(2 if k < 40 else 1)
                      if k % 4 == 0 and not (k % 8 == 0 and c == 0))
    statement = SimpleStatement(f"SELECT k, c, v FROM {ks}.t WHERE v = 0", fetch_size=3)
    result = session.execute(statement)
    rows = [(r.k, r.c) for r in result]
    assert sorted(rows) == expected and len(rows) == len(expected)
    tokens = [r.t for r in session.execute(f"SELECT token(k) AS t FROM {ks}.t WHERE v = 0")]
    assert tokens == sorted(tokens), "rows come in token order"
    limited = SimpleStatement(f"SELECT k, c FROM {ks}.t WHERE v = 0 LIMIT 5", fetch_size=2)
    assert [(r.k, r.c) for r in session.execute(limited)] == rows[:5]
    select = session.prepare(f"SELECT k, c FROM {ks}.t WHERE v = ?")
    bound = select.bind((9,))
    bound.fetch_size = 2
    assert sorted((r.k, r.c) for r in session.execute(bound)) == [(k, 0) for k in range(0, 60, 8)]
    assert session.execute(f"SELECT count(*) FROM {ks}.t WHERE v = 0").one()[0] == len(expected)
    # Manual paging: the paging state resumes after the last entry.
    first = session.execute(SimpleStatement(f"SELECT k, c FROM {ks}.t WHERE v = 1", fetch_size=4))
    page = list(first.current_rows)
    assert len(page) == 4 and first.paging_state is not None
    rest = session.execute(SimpleStatement(f"SELECT k, c FROM {ks}.t WHERE v = 1", fetch_size=100),
                           paging_state=first.paging_state)
    assert len(page) + len(list(rest)) == 25


def test_truncate_and_drop_table_empty_indexes(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v int)")
    session.execute(f"CREATE INDEX ON {ks}.t (v)")
    session.execute(f"INSERT INTO {ks}.t (k, v) VALUES (1, 1)")
    session.execute(f"TRUNCATE {ks}.t")
    session.execute(f"INSERT INTO {ks}.t (k, v) VALUES (2, 1)")
    assert [r.k for r in session.execute(f"SELECT k FROM {ks}.t WHERE v = 1")] == [2]
    session.execute(f"DROP TABLE {ks}.t")
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v int)")
    session.execute(f"CREATE INDEX ON {ks}.t (v)")
    assert list(session.execute(f"SELECT k FROM {ks}.t WHERE v = 1")) == []


def test_metadata_and_describe(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v int, f frozen<list<int>>)")
    session.execute(f"CREATE INDEX by_v ON {ks}.t (v)")
    session.execute(f"CREATE INDEX ON {ks}.t (FULL(f))")
    rows = session.execute(
        "SELECT index_name, kind, options FROM system_schema.indexes WHERE keyspace_name = %s", (ks,))
    assert sorted((r.index_name, r.kind, dict(r.options)) for r in rows) == [
        ("by_v", "COMPOSITES", {"target": "v"}), ("t_f_idx", "COMPOSITES", {"target": "full(f)"})]
    tables = [r.table_name for r in session.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", (ks,))]
    assert tables == ["t"]
    session.cluster.refresh_schema_metadata()
    meta = session.cluster.metadata.keyspaces[ks]
    assert sorted(meta.indexes) == ["by_v", "t_f_idx"]
    assert sorted(meta.tables["t"].indexes) == ["by_v", "t_f_idx"]
    assert list(meta.tables) == ["t"]
    exported = meta.export_as_string()
    assert f"CREATE INDEX by_v ON {ks}.t (v);" in exported
    assert f"CREATE INDEX t_f_idx ON {ks}.t (full(f));" in exported
    described = [(r.type, r.name, r.create_statement) for r in session.execute(f"DESCRIBE TABLE {ks}.t")]
    assert [(t, n) for t, n, _ in described] == [("table", "t"), ("index", "by_v"), ("index", "t_f_idx")]
    assert described[1][2] == f"CREATE INDEX by_v ON {ks}.t (v);"
    keyspace = [(r.type, r.name) for r in session.execute(f"DESCRIBE KEYSPACE {ks}")]
    assert ("index", "by_v") in keyspace and ("table", "by_v_index") not in keyspace
    assert [r.name for r in session.execute(f"DESCRIBE INDEX {ks}.by_v")] == ["by_v"]


def test_indexes_survive_restart_with_another_smp(percore_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=2, data_dir=data_dir)
    cluster, session = connect(server)
    session.execute("CREATE KEYSPACE si WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE si.t (k int PRIMARY KEY, v int)")
    for k in range(20):
        session.execute(f"INSERT INTO si.t (k, v) VALUES ({k}, {k % 2})")
    session.execute("CREATE INDEX by_v ON si.t (v)")
    for k in range(20, 30):
        session.execute(f"INSERT INTO si.t (k, v) VALUES ({k}, {k % 2})")
    session.execute("CREATE TABLE si.c (k int PRIMARY KEY, m map<text, int>)")
    session.execute("CREATE INDEX by_entry ON si.c (ENTRIES(m))")
    session.execute("INSERT INTO si.c (k, m) VALUES (1, {'a': 1})")
    cluster.shutdown()
    server.kill()  # kill -9: the entries written after the backfill are in the commitlog only
    server = percore_factory.start(smp=1, data_dir=data_dir)
    cluster, session = connect(server)
    assert sorted(r.k for r in session.execute("SELECT k FROM si.t WHERE v = 1")) == list(range(1, 30, 2))
    assert [r.k for r in session.execute("SELECT k FROM si.c WHERE m['a'] = 1")] == [1]
    session.execute("INSERT INTO si.t (k, v) VALUES (31, 1)")
    assert session.execute("SELECT count(*) FROM si.t WHERE v = 1").one()[0] == 16
    assert "by_v" in cluster.metadata.keyspaces["si"].indexes
    cluster.shutdown()
    server.kill()
    server = percore_factory.start(smp=2, data_dir=data_dir)
    cluster, session = connect(server)
    assert session.execute("SELECT count(*) FROM si.t WHERE v = 1").one()[0] == 16
    cluster.shutdown()


def test_reads_delete_stale_entries(session, ks):
    """Overwritten values leave stale entries; an index read deletes the ones it finds stale
    (at their own timestamps), so the next read of that value examines only live entries.
    5000 stale entries are more than one page examines (4096): before the cleanup a page
    stops early with a paging state, after it the one live row comes in a single page."""
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v int)")
    session.execute(f"CREATE INDEX ON {ks}.t (v)")
    insert = session.prepare(f"INSERT INTO {ks}.t (k, v) VALUES (?, ?)")
    execute_concurrent_with_args(session, insert, [(k, 1) for k in range(5000)], concurrency=64, raise_on_first_error=True)
    execute_concurrent_with_args(session, insert, [(k, 2) for k in range(5000)], concurrency=64, raise_on_first_error=True)
    session.execute(insert, (123456, 1))
    query = SimpleStatement(f"SELECT k FROM {ks}.t WHERE v = 1", fetch_size=100)
    first = session.execute(query)
    assert first.has_more_pages, "5001 entries take more than one page to examine"
    assert [r.k for r in first] == [123456]
    again = session.execute(query)
    assert [r.k for r in again.current_rows] == [123456] and not again.has_more_pages
    # A value written again after the cleanup is found: its entry is newer than the deletion.
    session.execute(insert, (7, 1))
    assert sorted(r.k for r in session.execute(query)) == [7, 123456]


def test_indexes_on_clustering_columns_and_partition_key_parts(session, server, ks):
    """An index on a key column lists every row with that value: existing rows (backfill)
    and new ones, rows made by INSERT or UPDATE, and none once the row is gone."""
    session.execute(f"CREATE TABLE {ks}.ck (k int, c1 int, c2 text, v int, PRIMARY KEY (k, c1, c2))")
    for k, c1, c2, v in [(1, 1, "a", 10), (1, 2, "b", 20), (2, 1, "c", 30), (3, 5, "a", 40)]:
        session.execute(f"INSERT INTO {ks}.ck (k, c1, c2, v) VALUES ({k}, {c1}, '{c2}', {v})")
    session.execute(f"CREATE INDEX ON {ks}.ck (c2)")
    session.execute(f"INSERT INTO {ks}.ck (k, c1, c2, v) VALUES (4, 0, 'a', 50)")
    session.execute(f"UPDATE {ks}.ck SET v = 60 WHERE k = 5 AND c1 = 0 AND c2 = 'a'")

    def rows(where):
        return sorted(tuple(r) for r in session.execute(f"SELECT k, c1, v FROM {ks}.ck WHERE {where}"))

    expected = [(1, 1, 10), (3, 5, 40), (4, 0, 50), (5, 0, 60)]
    assert rows("c2 = 'a'") == expected
    assert rows("k = 1 AND c2 = 'a'") == [(1, 1, 10)]
    session.execute(f"DELETE FROM {ks}.ck WHERE k = 3 AND c1 = 5 AND c2 = 'a'")
    session.execute(f"DELETE v FROM {ks}.ck WHERE k = 5 AND c1 = 0 AND c2 = 'a'")  # an UPDATE-made row vanishes
    flush(server, ks)
    assert rows("c2 = 'a'") == [(1, 1, 10), (4, 0, 50)]

    session.execute(f"CREATE TABLE {ks}.pk (a int, b int, c int, v int, PRIMARY KEY ((a, b), c))")
    session.execute(f"CREATE INDEX ON {ks}.pk (a)")
    for a, b, c in [(1, 1, 1), (1, 1, 2), (1, 2, 1), (2, 1, 1)]:
        session.execute(f"INSERT INTO {ks}.pk (a, b, c, v) VALUES ({a}, {b}, {c}, {a * 100 + b * 10 + c})")
    assert sorted(r.v for r in session.execute(f"SELECT v FROM {ks}.pk WHERE a = 1")) == [111, 112, 121]
    assert [r.v for r in session.execute(f"SELECT v FROM {ks}.pk WHERE a = 1 AND b = 2")] == [121]


def test_indexes_on_collections(session, server, ks):
    """values() (the default on lists and sets), keys() and entries() indexes on non-frozen
    collections answer CONTAINS, CONTAINS KEY and m[k] = v without ALLOW FILTERING, on
    existing (backfilled) and new rows, and stop listing removed elements."""
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, tags set<text>, l list<int>, m map<text, int>)")
    session.execute(f"INSERT INTO {ks}.t (k, tags, l, m) VALUES (1, {{'a', 'b'}}, [1, 2], {{'x': 1, 'y': 2}})")
    session.execute(f"CREATE INDEX ON {ks}.t (tags)")
    session.execute(f"CREATE INDEX ON {ks}.t (l)")
    session.execute(f"CREATE INDEX ON {ks}.t (KEYS(m))")
    session.execute(f"CREATE INDEX ON {ks}.t (ENTRIES(m))")
    session.execute(f"CREATE INDEX m_values ON {ks}.t (VALUES(m))")
    session.execute(f"INSERT INTO {ks}.t (k, tags, l, m) VALUES (2, {{'a'}}, [2], {{'x': 5}})")
    session.execute(f"UPDATE {ks}.t SET tags = tags + {{'c'}}, m['z'] = 1 WHERE k = 3")

    def keys(where):
        return sorted(r.k for r in session.execute(f"SELECT k FROM {ks}.t WHERE {where}"))

    assert keys("tags CONTAINS 'a'") == [1, 2]
    assert keys("tags CONTAINS 'c'") == [3]
    assert keys("l CONTAINS 2") == [1, 2]
    assert keys("m CONTAINS KEY 'x'") == [1, 2]
    assert keys("m['x'] = 1") == [1]
    assert keys("m CONTAINS 1") == [1, 3]
    prepared = session.prepare(f"SELECT k FROM {ks}.t WHERE m[?] = ?")
    assert [r.k for r in session.execute(prepared, ("x", 5))] == [2]

    session.execute(f"UPDATE {ks}.t SET tags = tags - {{'a'}}, m['x'] = 7 WHERE k = 1")
    session.execute(f"UPDATE {ks}.t SET l = [9] WHERE k = 2")
    flush(server, ks)
    assert keys("tags CONTAINS 'a'") == [2]
    assert keys("m['x'] = 1") == []
    assert keys("m['x'] = 7") == [1]
    assert keys("l CONTAINS 2") == [1]
    targets = {r.index_name: r.options["target"] for r in session.execute(
        f"SELECT index_name, options FROM system_schema.indexes WHERE keyspace_name = '{ks}'")}
    assert targets == {"t_tags_idx": "values(tags)", "t_l_idx": "values(l)", "t_m_idx": "keys(m)",
                       "t_m_idx_1": "entries(m)", "m_values": "values(m)"}
