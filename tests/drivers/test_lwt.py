"""Lightweight transactions on one node: IF NOT EXISTS, IF EXISTS, column conditions (on
whole columns, collection elements, statics, IN), conditional batches, the `[applied]`
answer with the current values on failure, SERIAL reads, Cassandra's refusals — as
statement tables (statement_tables.py) — and no lost update under concurrent clients."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from cassandra import ConsistencyLevel
from cassandra.query import SimpleStatement

from statement_tables import Invalid, run_case, with_flushes

ROWS = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, v text, n int)",
    ("INSERT INTO {ks}.t (k, v, n) VALUES (1, 'a', 1) IF NOT EXISTS", [(True,)]),
    # Failure shows the existing row, columns as SELECT * orders them.
    ("INSERT INTO {ks}.t (k, v, n) VALUES (1, 'b', 2) IF NOT EXISTS", [(False, 1, 1, "a")]),
    ("SELECT v, n FROM {ks}.t WHERE k = 1", [("a", 1)]),
    ("UPDATE {ks}.t SET v = 'c' WHERE k = 1 IF v = 'a'", [(True,)]),
    ("UPDATE {ks}.t SET v = 'd' WHERE k = 1 IF v = 'a'", [(False, "c")]),
    ("UPDATE {ks}.t SET v = 'd' WHERE k = 1 IF v = 'c' AND n = 1", [(True,)]),
    ("UPDATE {ks}.t SET n = 5 WHERE k = 1 IF n > 3", [(False, 1)]),
    ("UPDATE {ks}.t SET n = 5 WHERE k = 1 IF n IN (0, 1)", [(True,)]),
    ("UPDATE {ks}.t SET n = 6 WHERE k = 1 IF n >= 5 AND v != 'x'", [(True,)]),
    ("UPDATE {ks}.t SET n = 7 WHERE k = 2 IF EXISTS", [(False,)]),
    ("UPDATE {ks}.t SET n = 7 WHERE k = 1 IF EXISTS", [(True,)]),
    ("UPDATE {ks}.t SET v = 'new' WHERE k = 3 IF v = null", [(True,)]),
    ("SELECT k, v, n FROM {ks}.t WHERE k = 3", [(3, "new", None)]),
    ("DELETE FROM {ks}.t WHERE k = 1 IF n = 0", [(False, 7)]),
    ("DELETE FROM {ks}.t WHERE k = 1 IF EXISTS", [(True,)]),
    ("DELETE FROM {ks}.t WHERE k = 1 IF EXISTS", [(False,)]),
    ("SELECT * FROM {ks}.t WHERE k = 1", []),
    ("INSERT INTO {ks}.t (k, v) VALUES (1, 'again') IF NOT EXISTS", [(True,)]),
    ("SELECT v, n FROM {ks}.t WHERE k = 1", [("again", None)]),
]

COLLECTIONS = [
    "CREATE TABLE {ks}.c (k int PRIMARY KEY, m map<text, int>, l list<int>, f frozen<set<int>>)",
    "INSERT INTO {ks}.c (k, m, l, f) VALUES (1, {'a': 1}, [1, 2], {5})",
    ("UPDATE {ks}.c SET m['b'] = 2 WHERE k = 1 IF m['a'] = 1", [(True,)]),
    ("UPDATE {ks}.c SET l = l + [3] WHERE k = 1 IF l = [1, 2]", [(True,)]),
    ("UPDATE {ks}.c SET l = [] WHERE k = 1 IF l[0] = 5", [(False, [1, 2, 3])]),
    ("UPDATE {ks}.c SET l = [9] WHERE k = 1 IF m = {'a': 1, 'b': 2} AND f = {5}", [(True,)]),
    ("SELECT m, l FROM {ks}.c WHERE k = 1", [({"a": 1, "b": 2}, [9])]),
]

STATICS = [
    "CREATE TABLE {ks}.s (k int, c int, owner text static, v int, PRIMARY KEY (k, c))",
    ("UPDATE {ks}.s SET owner = 'me' WHERE k = 1 IF owner = null", [(True,)]),
    ("UPDATE {ks}.s SET owner = 'you' WHERE k = 1 IF owner = null", [(False, "me")]),
    ("INSERT INTO {ks}.s (k, c, v) VALUES (1, 1, 10) IF NOT EXISTS", [(True,)]),
    ("SELECT c, owner, v FROM {ks}.s WHERE k = 1", [(1, "me", 10)]),
]

BATCHES = [
    "CREATE TABLE {ks}.b (k int, c int, v int, PRIMARY KEY (k, c))",
    "INSERT INTO {ks}.b (k, c, v) VALUES (1, 1, 1)",
    ("BEGIN BATCH UPDATE {ks}.b SET v = 2 WHERE k = 1 AND c = 1 IF v = 1; "
     "INSERT INTO {ks}.b (k, c, v) VALUES (1, 2, 0); APPLY BATCH", [(True,)]),
    # A failed batch shows the key of each conditioned row with its condition columns.
    ("BEGIN BATCH UPDATE {ks}.b SET v = 3 WHERE k = 1 AND c = 1 IF v = 1; "
     "INSERT INTO {ks}.b (k, c, v) VALUES (1, 3, 0); APPLY BATCH", [(False, 1, 1, 2)]),
    ("SELECT c, v FROM {ks}.b WHERE k = 1", [(1, 2), (2, 0)]),
    ("BEGIN BATCH INSERT INTO {ks}.b (k, c, v) VALUES (2, 1, 0) IF NOT EXISTS; "
     "INSERT INTO {ks}.b (k, c, v) VALUES (3, 1, 0); APPLY BATCH",
     Invalid("Batch with conditions cannot span multiple partitions")),
]

REFUSALS = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, v text, n int)",
    "CREATE TABLE {ks}.cnt (k int PRIMARY KEY, n counter)",
    ("UPDATE {ks}.t SET v = 'x' WHERE k IN (1, 2) IF v = 'a'",
     Invalid("IN on the partition key is not supported with conditional updates")),
    ("UPDATE {ks}.t USING TIMESTAMP 5 SET v = 'x' WHERE k = 1 IF v = 'a'",
     Invalid("Cannot provide custom timestamp for conditional updates")),
    ("UPDATE {ks}.cnt SET n = n + 1 WHERE k = 1 IF n = 1",
     Invalid("Conditional updates are not supported on counter tables")),
    ("UPDATE {ks}.t SET v = 'x' WHERE k = 1 IF k = 1", Invalid("PRIMARY KEY column 'k' cannot have IF conditions")),
    ("UPDATE {ks}.t SET n = 1 WHERE k = 1 IF n > null", Invalid('Invalid comparison with null for operator ">"')),
    ("UPDATE {ks}.t SET n = 1 WHERE k = 1 IF nope = 1", Invalid("nope")),
]

CASES = {"rows": ROWS, "collections": COLLECTIONS, "statics": STATICS, "batches": BATCHES, "refusals": REFUSALS}


@pytest.mark.parametrize("flushed", [False, True], ids=["memtable", "flushed"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_lwt_semantics(session, server, ks, case, flushed):
    steps = CASES[case]
    run_case(session, server, ks, with_flushes(steps) if flushed else steps)


def test_prepared_conditional_update_and_serial_read(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v int)")
    insert = session.prepare(f"INSERT INTO {ks}.t (k, v) VALUES (?, ?) IF NOT EXISTS")
    cas = session.prepare(f"UPDATE {ks}.t SET v = ? WHERE k = ? IF v = ?")
    assert session.execute(insert, (1, 10)).one()[0] is True
    assert session.execute(insert, (1, 11)).one()[0] is False
    assert session.execute(cas, (12, 1, 10)).was_applied
    failed = session.execute(cas, (13, 1, 10))
    assert not failed.was_applied and failed.one().v == 12
    serial = SimpleStatement(f"SELECT v FROM {ks}.t WHERE k = 1", consistency_level=ConsistencyLevel.SERIAL)
    assert session.execute(serial).one().v == 12


def test_concurrent_compare_and_set_loses_no_update(session2, ks2):
    """8 clients increment one value only through `IF v = <what I read>`: the final value
    is exactly the number of applied transactions."""
    session2.execute(f"CREATE TABLE {ks2}.t (k int PRIMARY KEY, v int)")
    session2.execute(f"INSERT INTO {ks2}.t (k, v) VALUES (7, 0)")
    read = session2.prepare(f"SELECT v FROM {ks2}.t WHERE k = 7")
    cas = session2.prepare(f"UPDATE {ks2}.t SET v = ? WHERE k = 7 IF v = ?")

    def client(_):
        applied = 0
        for _ in range(30):
            current = session2.execute(read).one().v
            if session2.execute(cas, (current + 1, current)).was_applied:
                applied += 1
        return applied

    with ThreadPoolExecutor(8) as pool:
        total = sum(pool.map(client, range(8)))
    assert total > 0
    assert session2.execute(read).one().v == total
