"""Multi-column clustering relations — `(b, c) IN ((..), (..))`, tuple slices after an IN —
and clustering `IN` in UPDATE and DELETE, as statement tables (statement_tables.py). The
expected rows are those of Cassandra's MultiColumnRelationTest and UpdateTest/DeleteTest."""

import pytest

from statement_tables import Invalid, run_case, with_flushes

SETUP = [
    "CREATE TABLE {ks}.t (a int, b int, c int, d int, PRIMARY KEY (a, b, c, d))",
    "INSERT INTO {ks}.t (a, b, c, d) VALUES (0, 0, 0, 0)",
    "INSERT INTO {ks}.t (a, b, c, d) VALUES (0, 0, 1, 0)",
    "INSERT INTO {ks}.t (a, b, c, d) VALUES (0, 0, 1, 1)",
    "INSERT INTO {ks}.t (a, b, c, d) VALUES (0, 1, 0, 0)",
    "INSERT INTO {ks}.t (a, b, c, d) VALUES (0, 1, 1, 0)",
    "INSERT INTO {ks}.t (a, b, c, d) VALUES (0, 1, 1, 1)",
    "INSERT INTO {ks}.t (a, b, c, d) VALUES (1, 0, 1, 0)",
]

MULTI_COLUMN_IN = SETUP + [
    ("SELECT * FROM {ks}.t WHERE a = 0 AND b = 1 AND (c, d) IN ((0, 0))", [(0, 1, 0, 0)]),
    ("SELECT * FROM {ks}.t WHERE a = 0 AND b = 1 AND (c, d) IN ((1, 1), (0, 0))", [(0, 1, 0, 0), (0, 1, 1, 1)]),
    ("SELECT * FROM {ks}.t WHERE a = 0 AND b IN (0, 1) AND (c, d) IN ((0, 0), (1, 1))",
     [(0, 0, 0, 0), (0, 0, 1, 1), (0, 1, 0, 0), (0, 1, 1, 1)]),
    ("SELECT * FROM {ks}.t WHERE a = 0 AND (b, c) IN ((0, 1), (0, 0)) AND d = 0", [(0, 0, 0, 0), (0, 0, 1, 0)]),
    ("SELECT * FROM {ks}.t WHERE a = 0 AND b = 1 AND (c) IN ((0), (1))", [(0, 1, 0, 0), (0, 1, 1, 0), (0, 1, 1, 1)]),
    ("SELECT * FROM {ks}.t WHERE a = 0 AND (b, c, d) IN ((1, 1, 1), (9, 9, 9))", [(0, 1, 1, 1)]),
    ("SELECT * FROM {ks}.t WHERE a = 0 AND (b, c, d) IN ((1, 1, 1), (0, 0, 0)) ORDER BY b DESC",
     [(0, 1, 1, 1), (0, 0, 0, 0)]),
    # Partitions named by IN come in token order, as ScyllaDB returns them.
    ("SELECT * FROM {ks}.t WHERE a IN (0, 1) AND (b, c) IN ((0, 1))", [(1, 0, 1, 0), (0, 0, 1, 0), (0, 0, 1, 1)]),
    # A tuple slice after an IN is checked row by row.
    ("SELECT * FROM {ks}.t WHERE a = 0 AND b IN (0, 1) AND (c, d) > (0, 0)",
     [(0, 0, 1, 0), (0, 0, 1, 1), (0, 1, 1, 0), (0, 1, 1, 1)]),
    ("SELECT * FROM {ks}.t WHERE a = 0 AND b IN (0, 1) AND (c, d) >= (1, 0) AND (c, d) < (1, 1)",
     [(0, 0, 1, 0), (0, 1, 1, 0)]),
    # Without the partition key: filtering.
    ("SELECT * FROM {ks}.t WHERE (b, c) IN ((0, 1))",
     Invalid("Cannot execute this query as it might involve data filtering")),
    ("SELECT * FROM {ks}.t WHERE (b, c) IN ((0, 1)) ALLOW FILTERING", [(1, 0, 1, 0), (0, 0, 1, 0), (0, 0, 1, 1)]),
    # Cassandra's refusals.
    ("SELECT * FROM {ks}.t WHERE a = 0 AND (b, c, d) IN ((0, 1))",
     Invalid("Expected 3 elements in value tuple, but got 2")),
    ("SELECT * FROM {ks}.t WHERE (a, b) IN ((0, 1))",
     Invalid("Multi-column relations can only be applied to clustering columns but was applied to: a")),
    ("SELECT * FROM {ks}.t WHERE a = 0 AND (c, b) IN ((0, 1))",
     Invalid("Clustering columns must appear in the PRIMARY KEY order in multi-column relations")),
]

CLUSTERING_IN_WRITES = [
    "CREATE TABLE {ks}.w (k int, c1 int, c2 int, v int, s int static, PRIMARY KEY (k, c1, c2))",
    "UPDATE {ks}.w SET v = 7 WHERE k = 0 AND c1 IN (1, 2) AND c2 IN (10, 20)",
    ("SELECT c1, c2, v FROM {ks}.w WHERE k = 0", [(1, 10, 7), (1, 20, 7), (2, 10, 7), (2, 20, 7)]),
    "UPDATE {ks}.w SET v = 8 WHERE k IN (0, 5) AND c1 = 1 AND c2 IN (20, 30)",
    ("SELECT c1, c2, v FROM {ks}.w WHERE k = 0", [(1, 10, 7), (1, 20, 8), (1, 30, 8), (2, 10, 7), (2, 20, 7)]),
    ("SELECT c1, c2, v FROM {ks}.w WHERE k = 5", [(1, 20, 8), (1, 30, 8)]),
    # Rows created by UPDATE vanish with their last cell; cell deletes name rows through IN.
    "DELETE v FROM {ks}.w WHERE k = 0 AND c1 = 2 AND c2 IN (10, 20)",
    ("SELECT c1, c2, v FROM {ks}.w WHERE k = 0", [(1, 10, 7), (1, 20, 8), (1, 30, 8)]),
    "DELETE FROM {ks}.w WHERE k = 0 AND c1 = 1 AND c2 IN (10, 30)",
    ("SELECT c1, c2, v FROM {ks}.w WHERE k = 0", [(1, 20, 8)]),
    # A range tombstone per IN value.
    "INSERT INTO {ks}.w (k, c1, c2, v) VALUES (1, 1, 1, 1)",
    "INSERT INTO {ks}.w (k, c1, c2, v) VALUES (1, 2, 1, 2)",
    "INSERT INTO {ks}.w (k, c1, c2, v) VALUES (1, 3, 1, 3)",
    "DELETE FROM {ks}.w WHERE k = 1 AND c1 IN (1, 3)",
    ("SELECT c1, c2, v FROM {ks}.w WHERE k = 1", [(2, 1, 2)]),
    ("UPDATE {ks}.w SET v = 1 WHERE k = 0 AND c1 IN (1, 2) AND c2 = 1 IF v = 1",
     Invalid("IN on the clustering key columns is not supported with conditional updates")),
    ("DELETE FROM {ks}.w WHERE k = 0 AND c1 = 1 AND c2 IN (1, 2) IF EXISTS",
     Invalid("IN on the clustering key columns is not supported with conditional deletions")),
    ("UPDATE {ks}.w SET v = 1 WHERE k = 0 AND c1 IN (1, 2)", Invalid("Missing mandatory PRIMARY KEY part c2")),
    ("UPDATE {ks}.w SET v = 1 WHERE k = 0 AND c1 IN (" + ", ".join(map(str, range(11))) + ") AND c2 IN ("
     + ", ".join(map(str, range(10))) + ")",
     Invalid("clustering key cartesian product size 110 is greater than maximum 100")),
]

CASES = {"multi_column_in": MULTI_COLUMN_IN, "clustering_in_writes": CLUSTERING_IN_WRITES}


@pytest.mark.parametrize("flushed", [False, True], ids=["memtable", "flushed"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_statement_table(session, server, ks, case, flushed):
    steps = CASES[case]
    run_case(session, server, ks, with_flushes(steps) if flushed else steps)


def test_prepared_multi_column_in(session, ks):
    for step in SETUP:
        session.execute(step.replace("{ks}", ks))
    listed = session.prepare(f"SELECT c, d FROM {ks}.t WHERE a = ? AND b = ? AND (c, d) IN ((?, ?), (?, ?))")
    assert [tuple(r) for r in session.execute(listed, (0, 1, 1, 1, 0, 0))] == [(0, 0), (1, 1)]
    whole = session.prepare(f"SELECT c, d FROM {ks}.t WHERE a = ? AND b = ? AND (c, d) IN ?")
    assert [tuple(r) for r in session.execute(whole, (0, 0, [(1, 0), (1, 1), (5, 5)]))] == [(1, 0), (1, 1)]


def test_prepared_clustering_in_update(session, ks):
    session.execute(f"CREATE TABLE {ks}.u (k int, c int, v text, PRIMARY KEY (k, c))")
    update = session.prepare(f"UPDATE {ks}.u SET v = ? WHERE k = ? AND c IN ?")
    session.execute(update, ("x", 1, [3, 1, 3]))
    assert [tuple(r) for r in session.execute(f"SELECT c, v FROM {ks}.u WHERE k = 1")] == [(1, "x"), (3, "x")]
