"""Composite partition key + two clustering columns ordered (c1 DESC, c2 ASC)."""

import random

import pytest

C1 = range(5)
C2 = ["a", "b", "c"]


def expected_order(c1_values=C1, c2_values=C2):
    """Rows in clustering order: c1 descending, then c2 ascending."""
    return [(c1, c2) for c1 in sorted(c1_values, reverse=True) for c2 in sorted(c2_values)]


@pytest.fixture
def table(session, ks):
    t = f"{ks}.clustered"
    session.execute(f"""
        CREATE TABLE {t} (p1 int, p2 text, c1 int, c2 text, v bigint, w text,
                          PRIMARY KEY ((p1, p2), c1, c2))
        WITH CLUSTERING ORDER BY (c1 DESC, c2 ASC)""")
    insert = session.prepare(f"INSERT INTO {t} (p1, p2, c1, c2, v, w) VALUES (?, ?, ?, ?, ?, ?)")
    rows = [(c1, c2) for c1 in C1 for c2 in C2]
    random.Random(7).shuffle(rows)  # insertion order must not matter
    for c1, c2 in rows:
        session.execute(insert, (1, "x", c1, c2, c1 * 10 + ord(c2), f"{c1}{c2}"))
    # neighbours that must never leak into the (1, 'x') partition
    for p1, p2 in [(1, "y"), (2, "x"), (0, "x")]:
        session.execute(insert, (p1, p2, 0, "a", -1, "other"))
    return t


def keys(rows):
    return [(r.c1, r.c2) for r in rows]


PK = "p1 = 1 AND p2 = 'x'"


def test_partition_rows_in_clustering_order(session, table):
    rows = list(session.execute(f"SELECT * FROM {table} WHERE {PK}"))
    assert keys(rows) == expected_order()
    assert all(r.p1 == 1 and r.p2 == "x" for r in rows)
    assert all(r.v == r.c1 * 10 + ord(r.c2) and r.w == f"{r.c1}{r.c2}" for r in rows)


def test_clustering_equality(session, table):
    assert keys(session.execute(f"SELECT * FROM {table} WHERE {PK} AND c1 = 3")) == \
        [(3, "a"), (3, "b"), (3, "c")]
    rows = list(session.execute(f"SELECT * FROM {table} WHERE {PK} AND c1 = 3 AND c2 = 'b'"))
    assert keys(rows) == [(3, "b")]
    assert rows[0].v == 30 + ord("b")
    assert list(session.execute(f"SELECT * FROM {table} WHERE {PK} AND c1 = 3 AND c2 = 'zz'")) == []


@pytest.mark.parametrize("where, want", [
    ("c1 > 1 AND c1 <= 3", expected_order([2, 3])),
    ("c1 >= 4", expected_order([4])),
    ("c1 < 1", expected_order([0])),
    ("c1 > 10", []),
    ("c1 = 2 AND c2 >= 'b'", [(2, "b"), (2, "c")]),
    ("c1 = 2 AND c2 < 'b'", [(2, "a")]),
    ("c1 = 2 AND c2 > 'a' AND c2 < 'c'", [(2, "b")]),
])
def test_clustering_range_slices(session, table, where, want):
    assert keys(session.execute(f"SELECT * FROM {table} WHERE {PK} AND {where}")) == want


def test_prepared_range_slice(session, table):
    stmt = session.prepare(f"SELECT c1, c2 FROM {table} WHERE p1 = ? AND p2 = ? AND c1 >= ? AND c1 < ?")
    assert keys(session.execute(stmt, (1, "x", 1, 3))) == expected_order([1, 2])


def test_limit(session, table):
    assert keys(session.execute(f"SELECT * FROM {table} WHERE {PK} LIMIT 4")) == expected_order()[:4]
    assert keys(session.execute(f"SELECT * FROM {table} WHERE {PK} AND c1 <= 2 LIMIT 2")) == \
        [(2, "a"), (2, "b")]
    stmt = session.prepare(f"SELECT c1, c2 FROM {table} WHERE p1 = ? AND p2 = ? LIMIT ?")
    assert keys(session.execute(stmt, (1, "x", 5))) == expected_order()[:5]


def test_count(session, table):
    row = session.execute(f"SELECT COUNT(*) FROM {table} WHERE {PK}").one()
    assert row[0] == len(C1) * len(C2)
    assert row._fields == ("count",)
    assert session.execute(f"SELECT COUNT(*) FROM {table} WHERE {PK} AND c1 = 4").one()[0] == 3
    assert session.execute(f"SELECT COUNT(*) FROM {table} WHERE p1 = 9 AND p2 = 'none'").one()[0] == 0


def test_column_lists(session, table):
    rows = list(session.execute(f"SELECT w, c2, v FROM {table} WHERE {PK} AND c1 = 0"))
    assert [r._fields for r in rows] == [("w", "c2", "v")] * 3
    assert [tuple(r) for r in rows] == [("0a", "a", ord("a")), ("0b", "b", ord("b")), ("0c", "c", ord("c"))]


def test_other_partitions_are_separate(session, table):
    for p1, p2 in [(1, "y"), (2, "x"), (0, "x")]:
        rows = list(session.execute(f"SELECT c1, c2, w FROM {table} WHERE p1 = {p1} AND p2 = '{p2}'"))
        assert [tuple(r) for r in rows] == [(0, "a", "other")]


@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_text_and_blob_clustering_order_with_prefixes(session, ks, order):
    """Prefixes sort first (ASC) / last (DESC): 'a' < 'ab' < 'b', 0x01 < 0x0100 < 0x02."""
    t = f"{ks}.prefixes_{order.lower()}"
    session.execute(f"CREATE TABLE {t} (p int, c text, b blob, PRIMARY KEY (p, c, b)) "
                    f"WITH CLUSTERING ORDER BY (c {order}, b {order})")
    texts = ["", "a", "ab", "abc", "b", "ba", "é"]
    for c in texts:
        for b in ("0x01", "0x0100", "0x02"):
            session.execute(f"INSERT INTO {t} (p, c, b) VALUES (1, '{c}', {b})")
    rows = [(r.c, r.b) for r in session.execute(f"SELECT c, b FROM {t} WHERE p = 1")]
    want = [(c, b) for c in sorted(texts, key=str.encode) for b in (b"\x01", b"\x01\x00", b"\x02")]
    if order == "DESC":
        want.reverse()
    assert rows == want
