"""Aggregates and GROUP BY: count(*), count(c), min, max, sum, avg over partitions, slices,
filtered scans and whole tables, grouped by a primary-key prefix, with LIMIT on groups,
plain columns taking the group's first row, and Cassandra's refusals — as statement tables
(statement_tables.py)."""

import pytest
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.query import SimpleStatement

from statement_tables import Invalid, run_case, with_flushes

SETUP = [
    "CREATE TABLE {ks}.t (k int, c int, v int, d double, s text, PRIMARY KEY (k, c))",
    "INSERT INTO {ks}.t (k, c, v, d, s) VALUES (1, 1, 10, 1.5, 'b')",
    "INSERT INTO {ks}.t (k, c, v, d, s) VALUES (1, 2, 20, 2.5, 'a')",
    "INSERT INTO {ks}.t (k, c, v, d) VALUES (1, 3, 30, 3.0)",
    "INSERT INTO {ks}.t (k, c, v, d, s) VALUES (2, 1, 5, 0.5, 'z')",
    "INSERT INTO {ks}.t (k, c) VALUES (2, 2)",
]

AGGREGATES = SETUP + [
    ("SELECT count(*), count(s), min(v), max(v), sum(v), avg(v) FROM {ks}.t WHERE k = 1", [(3, 2, 10, 30, 60, 20)]),
    ("SELECT min(s), max(s), sum(d), avg(d) FROM {ks}.t WHERE k = 1", [("a", "b", 7.0, 7.0 / 3)]),
    ("SELECT count(*), sum(v) FROM {ks}.t WHERE k = 1 AND c >= 2", [(2, 50)]),
    ("SELECT count(*), sum(v), max(v) FROM {ks}.t", [(5, 65, 30)]),
    ("SELECT count(*), sum(v), min(v), avg(v) FROM {ks}.t WHERE k = 9", [(0, 0, None, 0)]),
    ("SELECT k, c, sum(v) FROM {ks}.t WHERE k = 1", [(1, 1, 60)]),
    ("SELECT count(v) AS n FROM {ks}.t WHERE v > 10 ALLOW FILTERING", [(2,)]),
    ("SELECT sum(s) FROM {ks}.t", Invalid("Invalid call to function sum")),
]

GROUPS = SETUP + [
    ("SELECT k, count(*), sum(v) FROM {ks}.t GROUP BY k", [(1, 3, 60), (2, 2, 5)]),
    ("SELECT k, max(v) FROM {ks}.t GROUP BY k LIMIT 1", [(1, 30)]),
    ("SELECT k, c, v FROM {ks}.t WHERE k = 1 GROUP BY k, c", [(1, 1, 10), (1, 2, 20), (1, 3, 30)]),
    ("SELECT k, c FROM {ks}.t GROUP BY k", [(1, 1), (2, 1)]),
    ("SELECT k, count(*) FROM {ks}.t GROUP BY v", Invalid("Group by is currently only supported on the columns of the PRIMARY KEY, got v")),
    ("SELECT k, count(*) FROM {ks}.t GROUP BY c",
     Invalid("Group by currently only support groups of columns following their declared order in the PRIMARY KEY")),
]

CASES = {"aggregates": AGGREGATES, "groups": GROUPS}


@pytest.mark.parametrize("flushed", [False, True], ids=["memtable", "flushed"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_aggregate_semantics(session, server, ks, case, flushed):
    steps = CASES[case]
    run_case(session, server, ks, with_flushes(steps) if flushed else steps)


def test_aggregates_over_many_pages(session, ks):
    """More rows than one internal page, across partitions and shards."""
    session.execute(f"CREATE TABLE {ks}.t (k int, c int, v bigint, PRIMARY KEY (k, c))")
    insert = session.prepare(f"INSERT INTO {ks}.t (k, c, v) VALUES (?, ?, ?)")
    for k in range(30):
        futures = [session.execute_async(insert, (k, c, k * c)) for c in range(100)]
        for f in futures:
            f.result()
    row = session.execute(f"SELECT count(*), sum(v), max(v) FROM {ks}.t").one()
    assert tuple(row) == (3000, sum(k * c for k in range(30) for c in range(100)), 29 * 99)
    grouped = session.execute(SimpleStatement(f"SELECT k, count(*), sum(v) FROM {ks}.t GROUP BY k", fetch_size=7))
    assert sorted(tuple(r) for r in grouped) == [(k, 100, k * sum(range(100))) for k in range(30)]


def test_groups_are_paged(session, ks):
    """GROUP BY answers come in pages of groups; a group cut by a page boundary is carried in
    the paging state, and LIMIT / PER PARTITION LIMIT count groups across pages."""
    session.execute(f"CREATE TABLE {ks}.t (k int, c int, d int, v bigint, PRIMARY KEY (k, c, d))")
    insert = session.prepare(f"INSERT INTO {ks}.t (k, c, d, v) VALUES (?, ?, ?, ?)")
    rows = [(k, c, d, k + c + d) for k in range(20) for c in range(75) for d in range(2)]
    execute_concurrent_with_args(session, insert, rows, concurrency=64, raise_on_first_error=True)
    query = f"SELECT k, c, count(*), sum(v) FROM {ks}.t GROUP BY k, c"
    expected = sorted((k, c, 2, 2 * (k + c) + 1) for k in range(20) for c in range(75))

    paged = session.execute(SimpleStatement(query, fetch_size=100))
    first_page = list(paged.current_rows)
    assert paged.has_more_pages, "1500 groups do not come in one page of 100"
    assert 100 <= len(first_page) < 1500
    rows = [tuple(r) for r in session.execute(SimpleStatement(query, fetch_size=100))]
    assert sorted(rows) == expected and len(set(rows)) == len(rows), "every group exactly once"
    assert rows == [tuple(r) for r in session.execute(SimpleStatement(query, fetch_size=5000))], "same order"

    limited = [tuple(r) for r in session.execute(SimpleStatement(query + " LIMIT 1234", fetch_size=100))]
    assert limited == rows[:1234]
    per_partition = [tuple(r) for r in session.execute(SimpleStatement(query + " PER PARTITION LIMIT 3", fetch_size=10))]
    assert sorted(per_partition) == sorted(r for r in expected if r[1] < 3)
