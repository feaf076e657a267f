"""Non-frozen collections, element by element: list append/prepend/index writes and
removals, set and map additions and removals, element deletion, overwrites with their
tombstone, TTLs per element, static collections, and the refusals — as statement tables
(see statement_tables.py), each also run with a flush before every SELECT."""

import time

import pytest

from statement_tables import Invalid, run_case, with_flushes

LISTS = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, l list<int>)",
    "INSERT INTO {ks}.t (k, l) VALUES (1, [1, 2])",
    "UPDATE {ks}.t SET l = l + [3] WHERE k = 1",
    "UPDATE {ks}.t SET l = [0] + l WHERE k = 1",
    ("SELECT l FROM {ks}.t WHERE k = 1", [([0, 1, 2, 3],)]),
    "UPDATE {ks}.t SET l = [-2, -1] + l WHERE k = 1",
    "UPDATE {ks}.t SET l = l + [4, 5] WHERE k = 1",
    ("SELECT l FROM {ks}.t WHERE k = 1", [([-2, -1, 0, 1, 2, 3, 4, 5],)]),
    "UPDATE {ks}.t SET l[1] = 10 WHERE k = 1",
    "DELETE l[0] FROM {ks}.t WHERE k = 1",
    ("SELECT l FROM {ks}.t WHERE k = 1", [([10, 0, 1, 2, 3, 4, 5],)]),
    "UPDATE {ks}.t SET l = l - [2, 4, 99] WHERE k = 1",
    ("SELECT l FROM {ks}.t WHERE k = 1", [([10, 0, 1, 3, 5],)]),
    ("UPDATE {ks}.t SET l[7] = 1 WHERE k = 1", Invalid("List index 7 out of bound, list has size 5")),
    ("UPDATE {ks}.t SET l[0] = 1 WHERE k = 9", Invalid("Attempted to set an element on a list which is null")),
    ("DELETE l[0] FROM {ks}.t WHERE k = 9", Invalid("Attempted to delete an element from a list which is null")),
    "UPDATE {ks}.t SET l = [7, 7] WHERE k = 1",
    ("SELECT l FROM {ks}.t WHERE k = 1", [([7, 7],)]),
    "UPDATE {ks}.t SET l = l - [7] WHERE k = 1",
    ("SELECT k, l FROM {ks}.t WHERE k = 1", [(1, None)]),
    "INSERT INTO {ks}.t (k, l) VALUES (2, [])",
    ("SELECT k, l FROM {ks}.t WHERE k = 2", [(2, None)]),
]

SETS = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, s set<text>)",
    "INSERT INTO {ks}.t (k, s) VALUES (1, {'b', 'a'})",
    "UPDATE {ks}.t SET s = s + {'c', 'a'} WHERE k = 1",
    ("SELECT s FROM {ks}.t WHERE k = 1", [({"a", "b", "c"},)]),
    "UPDATE {ks}.t SET s = s - {'a', 'zz'} WHERE k = 1",
    ("SELECT s FROM {ks}.t WHERE k = 1", [({"b", "c"},)]),
    "UPDATE {ks}.t SET s = {'x'} WHERE k = 1",
    ("SELECT s FROM {ks}.t WHERE k = 1", [({"x"},)]),
    ("UPDATE {ks}.t SET s[0] = 'y' WHERE k = 1", Invalid("Invalid operation (s[0] = 'y') for set column s")),
    ("UPDATE {ks}.t SET s = {'y'} + s WHERE k = 1", Invalid("Invalid operation (s = {'y'} + s) for non list column s")),
    "DELETE s FROM {ks}.t WHERE k = 1",
    ("SELECT k, s FROM {ks}.t WHERE k = 1", [(1, None)]),
]

MAPS = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, m map<int, text>)",
    "INSERT INTO {ks}.t (k, m) VALUES (1, {3: 'c', 1: 'a'})",
    "UPDATE {ks}.t SET m[2] = 'b' WHERE k = 1",
    "UPDATE {ks}.t SET m = m + {4: 'd', 1: 'A'} WHERE k = 1",
    ("SELECT m FROM {ks}.t WHERE k = 1", [({1: "A", 2: "b", 3: "c", 4: "d"},)]),
    "UPDATE {ks}.t SET m = m - {1, 9} WHERE k = 1",
    "DELETE m[2] FROM {ks}.t WHERE k = 1",
    "UPDATE {ks}.t SET m[3] = null WHERE k = 1",
    ("SELECT m FROM {ks}.t WHERE k = 1", [({4: "d"},)]),
    "UPDATE {ks}.t SET m = {5: 'e'} WHERE k = 1",
    ("SELECT m FROM {ks}.t WHERE k = 1", [({5: "e"},)]),
    ("SELECT writetime(m) FROM {ks}.t", Invalid("Cannot use selection function writeTime on non-frozen collection m")),
]

ROW_MARKERS = [
    # A row created by UPDATE lives through its cells: deleting the last element ends it;
    # one created by INSERT keeps its marker.
    "CREATE TABLE {ks}.t (k int, c int, s set<int>, PRIMARY KEY (k, c))",
    "UPDATE {ks}.t SET s = s + {1} WHERE k = 1 AND c = 1",
    "INSERT INTO {ks}.t (k, c, s) VALUES (1, 2, {1})",
    "UPDATE {ks}.t SET s = s - {1} WHERE k = 1 AND c = 1",
    "UPDATE {ks}.t SET s = s - {1} WHERE k = 1 AND c = 2",
    ("SELECT c, s FROM {ks}.t WHERE k = 1", [(2, None)]),
]

STATIC = [
    "CREATE TABLE {ks}.t (k int, c int, tags set<text> static, v int, PRIMARY KEY (k, c))",
    "INSERT INTO {ks}.t (k, c, v) VALUES (1, 1, 10)",
    "INSERT INTO {ks}.t (k, c, v) VALUES (1, 2, 20)",
    "UPDATE {ks}.t SET tags = tags + {'x'} WHERE k = 1",
    "UPDATE {ks}.t SET tags = tags + {'y'} WHERE k = 1",
    ("SELECT c, tags, v FROM {ks}.t WHERE k = 1", [(1, {"x", "y"}, 10), (2, {"x", "y"}, 20)]),
]

REFUSALS = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, f frozen<list<int>>, v int, l list<int>)",
    ("UPDATE {ks}.t SET f = f + [1] WHERE k = 1", Invalid("Invalid operation (f = f + [1]) for frozen collection column f")),
    ("UPDATE {ks}.t SET v = v + 1 WHERE k = 1", Invalid("Invalid operation (v = v + 1) for non counter column v")),
    ("UPDATE {ks}.t SET v[0] = 1 WHERE k = 1", Invalid("Invalid operation (v[0] = 1) for non collection column v")),
    ("UPDATE {ks}.t SET l = l + ['x'] WHERE k = 1", Invalid("Invalid")),
    ("UPDATE {ks}.t SET l = [1], l = l + [2] WHERE k = 1", Invalid("Multiple incompatible setting of column l")),
    ("DELETE v[0] FROM {ks}.t WHERE k = 1", Invalid("Invalid deletion operation for non collection column v")),
    # Frozen collections are one value: whole overwrites only.
    "INSERT INTO {ks}.t (k, f) VALUES (1, [3, 1])",
    ("SELECT f FROM {ks}.t WHERE k = 1", [([3, 1],)]),
]

CASES = {"lists": LISTS, "sets": SETS, "maps": MAPS, "row_markers": ROW_MARKERS, "static": STATIC,
         "refusals": REFUSALS}


@pytest.mark.parametrize("flushed", [False, True], ids=["memtable", "flushed"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_collection_semantics(session, server, ks, case, flushed):
    steps = CASES[case]
    run_case(session, server, ks, with_flushes(steps) if flushed else steps)


def test_prepared_collection_operations(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, l list<int>, m map<text, int>, s set<int>)")
    append = session.prepare(f"UPDATE {ks}.t SET l = l + ? WHERE k = ?")
    put = session.prepare(f"UPDATE {ks}.t SET m[?] = ? WHERE k = ?")
    remove = session.prepare(f"UPDATE {ks}.t SET s = s - ? WHERE k = ?")
    assert [c.name for c in put.column_metadata] == ["key(m)", "value(m)", "k"]
    session.execute(append, ([1, 2], 1))
    session.execute(append, ([3], 1))
    session.execute(put, ("a", 1, 1))
    session.execute(put, ("b", 2, 1))
    session.execute(f"UPDATE {ks}.t SET s = {{1, 2, 3}} WHERE k = 1")
    session.execute(remove, ({2}, 1))
    row = session.execute(f"SELECT l, m, s FROM {ks}.t WHERE k = 1").one()
    assert (row.l, dict(row.m), set(row.s)) == ([1, 2, 3], {"a": 1, "b": 2}, {1, 3})


def test_element_ttl_expires_alone(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, m map<text, int>)")
    session.execute(f"UPDATE {ks}.t SET m = m + {{'keep': 1}} WHERE k = 1")
    session.execute(f"UPDATE {ks}.t USING TTL 1 SET m = m + {{'gone': 2}} WHERE k = 1")
    assert dict(session.execute(f"SELECT m FROM {ks}.t WHERE k = 1").one().m) == {"keep": 1, "gone": 2}
    time.sleep(2.1)
    assert dict(session.execute(f"SELECT m FROM {ks}.t WHERE k = 1").one().m) == {"keep": 1}


def test_concurrent_appends_keep_every_element(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, l list<int>)")
    append = session.prepare(f"UPDATE {ks}.t SET l = l + ? WHERE k = 1")
    futures = [session.execute_async(append, ([i],)) for i in range(200)]
    for f in futures:
        f.result()
    values = session.execute(f"SELECT l FROM {ks}.t WHERE k = 1").one().l
    assert sorted(values) == list(range(200))
