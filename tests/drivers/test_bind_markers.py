"""Prepared statements: positional and named markers, routing metadata, unset and null."""

import pytest
from cassandra import InvalidRequest
from cassandra.query import UNSET_VALUE


@pytest.fixture
def table(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, a text, b int)")
    return f"{ks}.t"


def fetch(session, table, k):
    return session.execute(f"SELECT k, a, b FROM {table} WHERE k = {k}").one()


def test_positional_markers(session, table):
    insert = session.prepare(f"INSERT INTO {table} (k, a, b) VALUES (?, ?, ?)")
    session.execute(insert, (1, "one", 11))
    select = session.prepare(f"SELECT a, b FROM {table} WHERE k = ?")
    row = session.execute(select, (1,)).one()
    assert (row.a, row.b) == ("one", 11)


def test_named_markers(session, table):
    insert = session.prepare(f"INSERT INTO {table} (k, a, b) VALUES (:k, :a, :b)")
    assert [c.name for c in insert.column_metadata] == ["k", "a", "b"]
    session.execute(insert, {"b": 22, "k": 2, "a": "two"})  # dict order does not matter
    select = session.prepare(f"SELECT a, b FROM {table} WHERE k = :key")
    assert [c.name for c in select.column_metadata] == ["key"]
    row = session.execute(select, {"key": 2}).one()
    assert (row.a, row.b) == ("two", 22)


def test_prepared_metadata_has_partition_key_indexes(session, ks):
    """pk_index in the PREPARED result lets drivers route by token (v4 spec 4.2.5.4)."""
    session.execute(f"CREATE TABLE {ks}.c (a int, b text, c int, v text, PRIMARY KEY ((a, b), c))")
    stmt = session.prepare(f"INSERT INTO {ks}.c (v, c, b, a) VALUES (?, ?, ?, ?)")
    assert stmt.routing_key_indexes == [3, 2]
    stmt = session.prepare(f"SELECT v FROM {ks}.c WHERE a = ? AND b = ? AND c = ?")
    assert stmt.routing_key_indexes == [0, 1]
    assert stmt.bind((1, "x", 3)).routing_key is not None


def test_result_metadata_of_prepared_select(session, table):
    select = session.prepare(f"SELECT b, a FROM {table} WHERE k = ?")
    # result_metadata: (keyspace, table, name, type) per column
    assert [c[2] for c in select.result_metadata] == ["b", "a"]
    assert [c[3].typename for c in select.result_metadata] in (["int", "text"], ["int", "varchar"])


def test_unset_value_leaves_old_cell(session, table):
    session.execute(f"INSERT INTO {table} (k, a, b) VALUES (3, 'keep me', 33)")
    insert = session.prepare(f"INSERT INTO {table} (k, a, b) VALUES (?, ?, ?)")
    session.execute(insert, (3, UNSET_VALUE, 34))
    row = fetch(session, table, 3)
    assert (row.a, row.b) == ("keep me", 34)

    update = session.prepare(f"UPDATE {table} SET a = :a, b = :b WHERE k = :k")
    session.execute(update, {"k": 3, "a": "changed", "b": UNSET_VALUE})
    row = fetch(session, table, 3)
    assert (row.a, row.b) == ("changed", 34)


def test_null_bind_deletes_cell(session, table):
    session.execute(f"INSERT INTO {table} (k, a, b) VALUES (4, 'gone soon', 44)")
    insert = session.prepare(f"INSERT INTO {table} (k, a, b) VALUES (?, ?, ?)")
    session.execute(insert, (4, None, 45))
    row = fetch(session, table, 4)
    assert (row.a, row.b) == (None, 45)


def test_client_side_parameters(session, table):
    """Non-prepared statement with driver-side %s interpolation (quoting handled by the driver)."""
    session.execute(f"INSERT INTO {table} (k, a, b) VALUES (%s, %s, %s)", (5, "it's", -5))
    row = fetch(session, table, 5)
    assert (row.a, row.b) == ("it's", -5)


def test_prepared_statement_reused_many_times(session, table):
    insert = session.prepare(f"INSERT INTO {table} (k, a, b) VALUES (?, ?, ?)")
    for k in range(100, 150):
        session.execute(insert, (k, f"v{k}", k * 2))
    select = session.prepare(f"SELECT b FROM {table} WHERE k = ?")
    assert [session.execute(select, (k,)).one().b for k in range(100, 150)] == \
        [k * 2 for k in range(100, 150)]


def test_markers_inside_collection_tuple_and_user_type_literals(session, ks):
    session.execute(f"CREATE TYPE {ks}.item (name text, tags list<text>)")
    session.execute(
        f"CREATE TABLE {ks}.lit (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>, "
        f"t frozen<tuple<int, text>>, u frozen<item>, us list<frozen<item>>)")
    insert = session.prepare(
        f"INSERT INTO {ks}.lit (k, l, s, m, t, u, us) VALUES "
        f"(?, [?, ?], {{?, ?}}, {{?: ?}}, (?, ?), {{name: ?, tags: [?, ?]}}, [{{name: ?, tags: []}}])")
    session.execute(insert, (1, 3, 1, "b", "a", "x", 7, 5, "five", "n", "t1", "t2", "m"))
    row = session.execute(f"SELECT l, s, m, t, u, us FROM {ks}.lit WHERE k = 1").one()
    assert row.l == [3, 1] and sorted(row.s) == ["a", "b"] and dict(row.m) == {"x": 7} and row.t == (5, "five")
    assert (row.u.name, row.u.tags) == ("n", ["t1", "t2"]) and row.us[0].name == "m"
    add = session.prepare(f"UPDATE {ks}.lit SET s = s + {{?}}, m = m + {{?: ?}}, l = l + [?] WHERE k = ?")
    session.execute(add, ("c", "y", 8, 9, 1))
    row = session.execute(f"SELECT l, s, m FROM {ks}.lit WHERE k = 1").one()
    assert row.l == [3, 1, 9] and sorted(row.s) == ["a", "b", "c"] and dict(row.m) == {"x": 7, "y": 8}
    with pytest.raises(InvalidRequest, match="null is not supported inside collections"):
        session.execute(add, (None, "z", 1, 1, 1))
