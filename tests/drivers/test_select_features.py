"""SELECT beyond key lookups: ALLOW FILTERING on regular, static and key columns (and the
exact refusal without it), clustering IN, CONTAINS / CONTAINS KEY, PER PARTITION LIMIT and
DISTINCT, with paging through them — as statement tables (statement_tables.py)."""

import pytest
from cassandra.query import SimpleStatement

from statement_tables import Invalid, run_case, with_flushes

REFUSED = ("Cannot execute this query as it might involve data filtering and thus may have unpredictable "
           "performance. If you want to execute this query despite the performance unpredictability, "
           "use ALLOW FILTERING")

SETUP = [
    "CREATE TABLE {ks}.t (k int, c int, v int, s text static, tags set<text>, m map<text, int>, PRIMARY KEY (k, c))",
    "INSERT INTO {ks}.t (k, c, v, s, tags, m) VALUES (1, 1, 10, 'one', {'a', 'b'}, {'x': 1})",
    "INSERT INTO {ks}.t (k, c, v, tags) VALUES (1, 2, 20, {'b'})",
    "INSERT INTO {ks}.t (k, c, v, s, m) VALUES (2, 1, 10, 'two', {'y': 2})",
    "INSERT INTO {ks}.t (k, c, v) VALUES (2, 2, 30)",
    "INSERT INTO {ks}.t (k, c, v) VALUES (2, 3, 40)",
]

FILTERING = SETUP + [
    ("SELECT k, c FROM {ks}.t WHERE v = 10", Invalid(REFUSED)),
    ("SELECT k, c FROM {ks}.t WHERE c = 2", Invalid(REFUSED)),
    ("SELECT k, c FROM {ks}.t WHERE k = 2 AND v > 10", Invalid(REFUSED)),
    ("SELECT k, c FROM {ks}.t WHERE k = 2 AND v > 10 ALLOW FILTERING", [(2, 2), (2, 3)]),
    ("SELECT c FROM {ks}.t WHERE k = 1 AND v >= 10 AND v < 20 ALLOW FILTERING", [(1,)]),
    ("SELECT k, c FROM {ks}.t WHERE s = 'two' ALLOW FILTERING", [(2, 1), (2, 2), (2, 3)]),
    ("SELECT k, c FROM {ks}.t WHERE tags CONTAINS 'b' ALLOW FILTERING", [(1, 1), (1, 2)]),
    ("SELECT k, c FROM {ks}.t WHERE m CONTAINS KEY 'y' ALLOW FILTERING", [(2, 1)]),
    ("SELECT k, c FROM {ks}.t WHERE m CONTAINS 1 ALLOW FILTERING", [(1, 1)]),
    ("SELECT k, c FROM {ks}.t WHERE v IN (20, 40) ALLOW FILTERING", [(1, 2), (2, 3)]),
    ("SELECT k, c FROM {ks}.t WHERE v CONTAINS 1 ALLOW FILTERING", Invalid("Cannot use CONTAINS on non-collection column v")),
    ("SELECT k, c FROM {ks}.t WHERE tags CONTAINS KEY 'a' ALLOW FILTERING",
     Invalid("Cannot use CONTAINS KEY on non-map column tags")),
    ("SELECT k, c FROM {ks}.t WHERE v != 10 ALLOW FILTERING", Invalid('Unsupported "!=" relation')),
]

CLUSTERING = SETUP + [
    ("SELECT c, v FROM {ks}.t WHERE k = 2 AND c IN (3, 1)", [(1, 10), (3, 40)]),
    ("SELECT c, v FROM {ks}.t WHERE k = 2 AND c IN (3, 1) ORDER BY c DESC", [(3, 40), (1, 10)]),
    ("SELECT k, c FROM {ks}.t WHERE c = 2 ALLOW FILTERING", [(1, 2), (2, 2)]),
    ("SELECT k, c FROM {ks}.t WHERE c > 1 AND c < 3 ALLOW FILTERING", [(1, 2), (2, 2)]),
    # Multi-column relations compare tuples in clustering order.
    "CREATE TABLE {ks}.mc (k int, a int, b int, c int, PRIMARY KEY (k, a, b, c))",
    "INSERT INTO {ks}.mc (k, a, b, c) VALUES (1, 1, 1, 1)",
    "INSERT INTO {ks}.mc (k, a, b, c) VALUES (1, 1, 2, 1)",
    "INSERT INTO {ks}.mc (k, a, b, c) VALUES (1, 2, 1, 1)",
    "INSERT INTO {ks}.mc (k, a, b, c) VALUES (1, 2, 2, 2)",
    ("SELECT a, b, c FROM {ks}.mc WHERE k = 1 AND (a, b) > (1, 1)", [(1, 2, 1), (2, 1, 1), (2, 2, 2)]),
    ("SELECT a, b, c FROM {ks}.mc WHERE k = 1 AND (a, b) >= (1, 2) AND (a, b) < (2, 2)", [(1, 2, 1), (2, 1, 1)]),
    ("SELECT a, b, c FROM {ks}.mc WHERE k = 1 AND (a, b) = (2, 2)", [(2, 2, 2)]),
    ("SELECT a, b, c FROM {ks}.mc WHERE k = 1 AND a = 1 AND (b, c) > (1, 1)", [(1, 2, 1)]),
    ("SELECT a, b, c FROM {ks}.mc WHERE k = 1 AND (a, b) > (1, 1) ORDER BY a DESC", [(2, 2, 2), (2, 1, 1), (1, 2, 1)]),
    ("SELECT a FROM {ks}.mc WHERE k = 1 AND (b, a) > (1, 1)",
     Invalid("Clustering columns must appear in the PRIMARY KEY order in multi-column relations")),
]

LIMITS = SETUP + [
    ("SELECT k, c FROM {ks}.t PER PARTITION LIMIT 1", [(1, 1), (2, 1)]),
    ("SELECT k, c FROM {ks}.t PER PARTITION LIMIT 2 LIMIT 3", [(1, 1), (1, 2), (2, 1)]),
    ("SELECT k, c FROM {ks}.t WHERE k IN (1, 2) PER PARTITION LIMIT 2", [(1, 1), (1, 2), (2, 1), (2, 2)]),
    ("SELECT k, c FROM {ks}.t WHERE v > 10 PER PARTITION LIMIT 1 ALLOW FILTERING", [(1, 2), (2, 2)]),
    ("SELECT count(*) FROM {ks}.t PER PARTITION LIMIT 2", Invalid("PER PARTITION LIMIT is not allowed with aggregate queries.")),
    ("SELECT k FROM {ks}.t PER PARTITION LIMIT 0", Invalid("PER PARTITION LIMIT must be strictly positive")),
    ("SELECT DISTINCT k FROM {ks}.t", [(1,), (2,)]),
    ("SELECT DISTINCT k, s FROM {ks}.t", [(1, "one"), (2, "two")]),
    ("SELECT DISTINCT k, v FROM {ks}.t",
     Invalid("SELECT DISTINCT queries must only request partition key columns and/or static columns (not v)")),
    "CREATE TABLE {ks}.two (a int, b int, c int, PRIMARY KEY ((a, b), c))",
    ("SELECT DISTINCT a FROM {ks}.two", Invalid("SELECT DISTINCT queries must request all the partition key columns (missing b)")),
    ("SELECT a, b FROM {ks}.two WHERE a = 1", Invalid(REFUSED)),
    "INSERT INTO {ks}.two (a, b, c) VALUES (1, 1, 1)",
    "INSERT INTO {ks}.two (a, b, c) VALUES (1, 2, 1)",
    "INSERT INTO {ks}.two (a, b, c) VALUES (2, 2, 1)",
    # Ring (token) order, as Cassandra returns it.
    ("SELECT a, b FROM {ks}.two WHERE a = 1 ALLOW FILTERING", [(1, 2), (1, 1)]),
]

CASES = {"filtering": FILTERING, "clustering": CLUSTERING, "limits": LIMITS}


@pytest.mark.parametrize("flushed", [False, True], ids=["memtable", "flushed"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_select_semantics(session, server, ks, case, flushed):
    steps = CASES[case]
    run_case(session, server, ks, with_flushes(steps) if flushed else steps)


def test_prepared_multi_column_slice(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int, a int, b text, PRIMARY KEY (k, a, b))")
    for a in range(3):
        for b in "xyz":
            session.execute(f"INSERT INTO {ks}.t (k, a, b) VALUES (1, {a}, '{b}')")
    stmt = session.prepare(f"SELECT a, b FROM {ks}.t WHERE k = ? AND (a, b) > ? AND (a, b) <= ?")
    rows = [tuple(r) for r in session.execute(stmt, (1, (0, "y"), (1, "y")))]
    assert rows == [(0, "z"), (1, "x"), (1, "y")]


def test_paging_through_filtered_and_per_partition_limited_scans(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int, c int, v int, PRIMARY KEY (k, c))")
    insert = session.prepare(f"INSERT INTO {ks}.t (k, c, v) VALUES (?, ?, ?)")
    for k in range(20):
        for c in range(10):
            session.execute(insert, (k, c, c % 3))
    filtered = SimpleStatement(f"SELECT k, c FROM {ks}.t WHERE v = 1 ALLOW FILTERING", fetch_size=7)
    got = sorted((r.k, r.c) for r in session.execute(filtered))
    assert got == sorted((k, c) for k in range(20) for c in range(10) if c % 3 == 1)
    limited = SimpleStatement(f"SELECT k, c FROM {ks}.t PER PARTITION LIMIT 3", fetch_size=4)
    got = sorted((r.k, r.c) for r in session.execute(limited))
    assert got == sorted((k, c) for k in range(20) for c in range(3))
    single = SimpleStatement(f"SELECT c FROM {ks}.t WHERE k = 5 PER PARTITION LIMIT 5", fetch_size=2)
    assert [r.c for r in session.execute(single)] == [0, 1, 2, 3, 4]
    distinct = SimpleStatement(f"SELECT DISTINCT k FROM {ks}.t", fetch_size=3)
    assert sorted(r.k for r in session.execute(distinct)) == list(range(20))
