"""INSERT JSON (DEFAULT NULL / DEFAULT UNSET), SELECT JSON, toJson() and fromJson() with
Cassandra's JSON forms, and selector functions and casts (toTimestamp, toDate,
toUnixTimestamp, blobAs*/*AsBlob, CAST) — as statement tables (statement_tables.py)."""

import uuid

import pytest

from statement_tables import Invalid, run_case, with_flushes

JSON = [
    "CREATE TABLE {ks}.j (k int PRIMARY KEY, t text, l list<int>, m map<text, int>, ts timestamp, b blob, "
    "s frozen<set<int>>)",
    "INSERT INTO {ks}.j JSON '{\"k\": 1, \"t\": \"hello\", \"l\": [1, 2], \"m\": {\"a\": 1}, "
    "\"ts\": \"2026-11-21 10:00:00.000Z\", \"b\": \"0x0102\", \"s\": [3, 1, 3]}'",
    ("SELECT JSON k, t, l, m FROM {ks}.j WHERE k = 1", [('{"k": 1, "t": "hello", "l": [1, 2], "m": {"a": 1}}',)]),
    ("SELECT JSON * FROM {ks}.j WHERE k = 1",
     [('{"k": 1, "b": "0x0102", "l": [1, 2], "m": {"a": 1}, "s": [1, 3], "t": "hello", '
       '"ts": "2026-11-21 10:00:00.000Z"}',)]),
    ("SELECT toJson(l), toJson(t), toJson(s) FROM {ks}.j WHERE k = 1", [("[1, 2]", '"hello"', "[1, 3]")]),
    # Columns the document leaves out become null, unless DEFAULT UNSET.
    "INSERT INTO {ks}.j JSON '{\"k\": 1, \"t\": \"only\"}'",
    ("SELECT t, l, s FROM {ks}.j WHERE k = 1", [("only", None, None)]),
    "INSERT INTO {ks}.j JSON '{\"k\": 2, \"t\": \"x\", \"l\": [5]}'",
    "INSERT INTO {ks}.j JSON '{\"k\": 2, \"t\": \"y\"}' DEFAULT UNSET",
    ("SELECT t, l FROM {ks}.j WHERE k = 2", [("y", [5])]),
    "INSERT INTO {ks}.j (k, l, m) VALUES (4, fromJson('[7, 8]'), fromJson('{\"z\": 26}'))",
    ("SELECT l, m FROM {ks}.j WHERE k = 4", [([7, 8], {"z": 26})]),
    ("INSERT INTO {ks}.j JSON '{\"k\": 3, \"nope\": 1}'", Invalid("JSON values map contains unrecognized column: nope")),
    ("INSERT INTO {ks}.j JSON '{\"k\": \"x\"}'", Invalid("Error decoding JSON value for k")),
    ("INSERT INTO {ks}.j JSON '{\"t\": \"no key\"}'", Invalid("Invalid null value")),
    ("INSERT INTO {ks}.j JSON '[1]'", Invalid("Could not decode JSON string as a map")),
    "CREATE TABLE {ks}.q (k int PRIMARY KEY, \"Val\" int)",
    "INSERT INTO {ks}.q JSON '{\"k\": 1, \"\\\"Val\\\"\": 2}'",
    ("SELECT JSON * FROM {ks}.q", [('{"k": 1, "\\"Val\\"": 2}',)]),
]

U = "50554d6e-29bb-11e5-b345-feff819cdc9f"
U_MILLIS = (uuid.UUID(U).time - 0x01B21DD213814000) // 10_000

FUNCTIONS = [
    "CREATE TABLE {ks}.f (k int PRIMARY KEY, u timeuuid, ts timestamp, d date, b blob, v int, x double)",
    f"INSERT INTO {{ks}}.f (k, u, ts, d, b, v, x) VALUES (1, {U}, '2015-07-17 12:00:00+0000', '2015-07-17', "
    "0x68656c6c6f, 7, 2.75)",
    ("SELECT toUnixTimestamp(ts), toUnixTimestamp(d), toUnixTimestamp(u) FROM {ks}.f WHERE k = 1",
     [(1437134400000, 1437091200000, U_MILLIS)]),
    ("SELECT toUnixTimestamp(toDate(ts)), toUnixTimestamp(toTimestamp(d)) FROM {ks}.f WHERE k = 1",
     [(1437091200000, 1437091200000)]),
    ("SELECT blobAsText(b), intAsBlob(v), blobAsBigint(bigintAsBlob(toUnixTimestamp(ts))) FROM {ks}.f WHERE k = 1",
     [("hello", b"\x00\x00\x00\x07", 1437134400000)]),
    ("SELECT CAST(v AS double), CAST(x AS int), CAST(v AS text), CAST(x AS text) FROM {ks}.f WHERE k = 1",
     [(7.0, 2, "7", "2.75")]),
    ("SELECT toJson(ts), toJson(d), toJson(u) AS id FROM {ks}.f WHERE k = 1",
     [('"2015-07-17 12:00:00.000Z"', '"2015-07-17"', f'"{U}"')]),
    ("SELECT blobAsInt(b) FROM {ks}.f WHERE k = 1", Invalid("is not a valid binary representation for type int")),
    # Functions in values and restrictions.
    "INSERT INTO {ks}.f (k, b, v) VALUES (2, textAsBlob('hi'), blobAsInt(0x0000000b))",
    ("SELECT blobAsText(b), v FROM {ks}.f WHERE k = 2", [("hi", 11)]),
    "CREATE TABLE {ks}.e (k int, t timeuuid, PRIMARY KEY (k, t))",
    f"INSERT INTO {{ks}}.e (k, t) VALUES (1, {U})",
    "INSERT INTO {ks}.e (k, t) VALUES (1, maxTimeuuid('2013-01-01 00:00:00+0000'))",
    ("SELECT toUnixTimestamp(t) FROM {ks}.e WHERE k = 1 AND t > maxTimeuuid('2015-07-01 00:00:00+0000') "
     "AND t < minTimeuuid('2016-01-01 00:00:00+0000')", [(U_MILLIS,)]),
    ("SELECT toUnixTimestamp(t) FROM {ks}.e WHERE k = 1 AND t <= maxTimeuuid('2013-01-01 00:00:00+0000')",
     [(1356998400000,)]),
    ("SELECT toDate(v) FROM {ks}.f WHERE k = 1", Invalid("Type error")),
    ("SELECT nosuchfn(v) FROM {ks}.f WHERE k = 1", Invalid("Unknown function")),
]

CASES = {"json": JSON, "functions": FUNCTIONS}


@pytest.mark.parametrize("flushed", [False, True], ids=["memtable", "flushed"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_json_and_function_semantics(session, server, ks, case, flushed):
    steps = CASES[case]
    run_case(session, server, ks, with_flushes(steps) if flushed else steps)


def test_prepared_insert_json_and_select_json_paging(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int, c int, v text, PRIMARY KEY (k, c))")
    insert = session.prepare(f"INSERT INTO {ks}.t JSON ?")
    assert [c.name for c in insert.column_metadata] == ["[json]"]
    for c in range(25):
        session.execute(insert, (f'{{"k": 1, "c": {c}, "v": "v{c}"}}',))
    from cassandra.query import SimpleStatement
    rows = list(session.execute(SimpleStatement(f"SELECT JSON c, v FROM {ks}.t WHERE k = 1", fetch_size=10)))
    assert [r[0] for r in rows] == [f'{{"c": {c}, "v": "v{c}"}}' for c in range(25)]
