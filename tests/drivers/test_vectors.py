"""Vectors as Cassandra 5.0 has them: `vector<float, n>` and vectors of other element types,
literals of exactly the dimension, nulls, whole-value writes only (no element operations:
vectors are not collections), vectors as partition and clustering keys ordered element by
element, JSON, and Cassandra's refusals — as statement tables (see statement_tables.py),
each also run with a flush before every SELECT. Then what drivers see: prepared statements
binding lists (and markers inside a literal), values of the wrong byte length, the custom
`VectorType` in result metadata decoded into lists of floats, `cluster.metadata`,
DESCRIBE, and vectors surviving a restart.

Float values are chosen exactly representable in 32 bits, so that they compare equal to
the Python floats the drivers return."""

import pytest
from cassandra import InvalidRequest

from statement_tables import Invalid, run_case, with_flushes
from support import connect

FLOATS = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, v vector<float, 3>)",
    "INSERT INTO {ks}.t (k, v) VALUES (1, [1.0, 2.5, 3])",
    "INSERT INTO {ks}.t (k, v) VALUES (2, [-0.5, 0, 1e3])",
    ("SELECT k, v FROM {ks}.t WHERE k = 1", [(1, [1.0, 2.5, 3.0])]),
    ("SELECT v FROM {ks}.t WHERE k = 2", [([-0.5, 0.0, 1000.0],)]),
    # A vector is one value: an UPDATE replaces it whole.
    "UPDATE {ks}.t SET v = [4, 5, 6.25] WHERE k = 1",
    ("SELECT v FROM {ks}.t WHERE k = 1", [([4.0, 5.0, 6.25],)]),
    "UPDATE {ks}.t SET v = null WHERE k = 1",
    ("SELECT k, v FROM {ks}.t WHERE k = 1", [(1, None)]),
    "INSERT INTO {ks}.t (k, v) VALUES (3, null)",
    ("SELECT k, v FROM {ks}.t WHERE k = 3", [(3, None)]),
    "DELETE v FROM {ks}.t WHERE k = 2",
    ("SELECT k, v FROM {ks}.t WHERE k = 2", [(2, None)]),
    "INSERT INTO {ks}.t (k, v) VALUES (4, [1, 1, 1]) USING TIMESTAMP 42",
    ("SELECT writetime(v), v FROM {ks}.t WHERE k = 4", [(42, [1.0, 1.0, 1.0])]),
    ("SELECT k FROM {ks}.t WHERE v = [1, 1, 1] ALLOW FILTERING", [(4,)]),
    ("INSERT INTO {ks}.t (k, v) VALUES (5, [1.0, 2.5])",
     Invalid("Invalid vector literal for v of type vector<float, 3>; expected 3 elements, but given 2")),
    ("INSERT INTO {ks}.t (k, v) VALUES (5, [1, 2, 3, 4])",
     Invalid("Invalid vector literal for v of type vector<float, 3>; expected 3 elements, but given 4")),
    ("INSERT INTO {ks}.t (k, v) VALUES (5, [1, 'a', 3])", Invalid("Invalid vector literal for v: value 'a' is not of type float")),
    ("INSERT INTO {ks}.t (k, v) VALUES (5, [1, null, 3])", Invalid("null is not supported inside vectors")),
    ("INSERT INTO {ks}.t (k, v) VALUES (5, 0x)", Invalid('Invalid HEX constant (0x) for "v" of type vector<float, 3>')),
    ("INSERT INTO {ks}.t (k, v) VALUES (5, 1.5)", Invalid('Invalid FLOAT constant (1.5) for "v" of type vector<float, 3>')),
    # Not a collection: no element writes, additions or element deletions.
    ("UPDATE {ks}.t SET v[0] = 1 WHERE k = 4", Invalid("Invalid operation (v[0] = 1) for non collection column v")),
    ("UPDATE {ks}.t SET v = v + [1] WHERE k = 4", Invalid("Invalid operation (v = v + [1]) for non counter column v")),
    ("UPDATE {ks}.t SET v = [1] + v WHERE k = 4", Invalid("Invalid operation (v = [1] + v) for non list column v")),
    ("DELETE v[0] FROM {ks}.t WHERE k = 4", Invalid("Invalid deletion operation for non collection column v")),
    ("SELECT CAST(v AS text) FROM {ks}.t", Invalid("v cannot be cast to text")),
    ("SELECT k FROM {ks}.t WHERE v CONTAINS 1.0 ALLOW FILTERING", Invalid("Cannot use CONTAINS on non-collection column v")),
    ("SELECT k, v FROM {ks}.t WHERE k = 4", [(4, [1.0, 1.0, 1.0])]),
]

ELEMENT_TYPES = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, i vector<int, 2>, s vector<text, 2>, d vector<double, 1>, "
    "b vector<bigint, 2>, l vector<frozen<list<int>>, 2>, n vector<vector<int, 2>, 2>)",
    "INSERT INTO {ks}.t (k, i, s, d, b, l, n) VALUES (1, [1, -2], ['a', ''], [0.25], [9000000000, 0], "
    "[[1, 2], []], [[1, 2], [3, 4]])",
    ("SELECT i, s, d, b, l, n FROM {ks}.t WHERE k = 1",
     [([1, -2], ["a", ""], [0.25], [9000000000, 0], [[1, 2], []], [[1, 2], [3, 4]])]),
    "UPDATE {ks}.t SET s = ['xyz', 'é'] WHERE k = 1",
    ("SELECT s FROM {ks}.t WHERE k = 1", [(["xyz", "é"],)]),
    ("INSERT INTO {ks}.t (k, i) VALUES (2, ['a', 'b'])", Invalid("Invalid vector literal for i: value 'a' is not of type int")),
    ("INSERT INTO {ks}.t (k, i) VALUES (2, [1.5, 2])", Invalid("Invalid vector literal for i: value 1.5 is not of type int")),
    ("INSERT INTO {ks}.t (k, s) VALUES (2, [1, 2])", Invalid("Invalid vector literal for s: value 1 is not of type text")),
    ("INSERT INTO {ks}.t (k, s) VALUES (2, ['a', 'b', 'c'])",
     Invalid("Invalid vector literal for s of type vector<text, 2>; expected 2 elements, but given 3")),
    ("INSERT INTO {ks}.t (k, i) VALUES (2, [3000000000, 1])", Invalid("Unable to make int from '3000000000'")),
]

KEYS = [
    # Vectors are frozen values: they can be partition and clustering keys, ordered
    # element by element (each element as its type orders).
    "CREATE TABLE {ks}.t (p vector<int, 2>, c vector<float, 2>, v int, PRIMARY KEY (p, c))",
    "INSERT INTO {ks}.t (p, c, v) VALUES ([1, 2], [0.5, 1], 1)",
    "INSERT INTO {ks}.t (p, c, v) VALUES ([1, 2], [-1, 7], 2)",
    "INSERT INTO {ks}.t (p, c, v) VALUES ([1, 2], [0.5, -3], 3)",
    "INSERT INTO {ks}.t (p, c, v) VALUES ([1, 2], [-2.5, 0], 4)",
    "INSERT INTO {ks}.t (p, c, v) VALUES ([-1, 2], [0, 0], 5)",
    ("SELECT c, v FROM {ks}.t WHERE p = [1, 2]",
     [([-2.5, 0.0], 4), ([-1.0, 7.0], 2), ([0.5, -3.0], 3), ([0.5, 1.0], 1)]),
    ("SELECT v FROM {ks}.t WHERE p = [1, 2] AND c = [0.5, -3]", [(3,)]),
    ("SELECT v FROM {ks}.t WHERE p = [1, 2] AND c > [-1, 7] AND c <= [0.5, 1]", [(3,), (1,)]),
    ("SELECT p, v FROM {ks}.t WHERE p IN ([-1, 2], [9, 9])", [([-1, 2], 5)]),
    ("SELECT v FROM {ks}.t WHERE p = [1]", Invalid("expected 2 elements, but given 1")),
    "CREATE TABLE {ks}.d (p int, c vector<text, 2>, PRIMARY KEY (p, c)) WITH CLUSTERING ORDER BY (c DESC)",
    "INSERT INTO {ks}.d (p, c) VALUES (0, ['a', 'b'])",
    "INSERT INTO {ks}.d (p, c) VALUES (0, ['', 'z'])",
    "INSERT INTO {ks}.d (p, c) VALUES (0, ['ab', ''])",
    "INSERT INTO {ks}.d (p, c) VALUES (0, ['a', ''])",
    ("SELECT c FROM {ks}.d WHERE p = 0", [(["ab", ""],), (["a", "b"],), (["a", ""],), (["", "z"],)]),
]

JSON = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, v vector<float, 3>, s vector<text, 2>)",
    "INSERT INTO {ks}.t JSON '{\"k\": 1, \"v\": [1, 2.5, -3.75], \"s\": [\"a\", \"b\"]}'",
    ("SELECT JSON k, v, s FROM {ks}.t WHERE k = 1", [('{"k": 1, "v": [1.0, 2.5, -3.75], "s": ["a", "b"]}',)]),
    ("SELECT toJson(v), toJson(s) FROM {ks}.t WHERE k = 1", [("[1.0, 2.5, -3.75]", '["a", "b"]')]),
    "INSERT INTO {ks}.t JSON '{\"k\": 2, \"v\": \"[0.5, 0.5, 0.5]\"}'",
    ("SELECT k, v, s FROM {ks}.t WHERE k = 2", [(2, [0.5, 0.5, 0.5], None)]),
    "INSERT INTO {ks}.t (k, v) VALUES (3, fromJson('[4, 5, 6]'))",
    ("SELECT v FROM {ks}.t WHERE k = 3", [([4.0, 5.0, 6.0],)]),
    "INSERT INTO {ks}.t JSON '{\"k\": 4, \"v\": null}'",
    ("SELECT JSON v FROM {ks}.t WHERE k = 4", [('{"v": null}',)]),
    ("INSERT INTO {ks}.t JSON '{\"k\": 5, \"v\": [1, 2]}'",
     Invalid("Error decoding JSON value for v: List had incorrect size: expected 3 but given 2; [1, 2]")),
    ("INSERT INTO {ks}.t JSON '{\"k\": 5, \"v\": [1, null, 2]}'",
     Invalid("Error decoding JSON value for v: Invalid null element in list")),
    ("INSERT INTO {ks}.t JSON '{\"k\": 5, \"v\": 7}'",
     Invalid("Error decoding JSON value for v: Expected a list, but got a Integer: 7")),
    ("INSERT INTO {ks}.t JSON '{\"k\": 5, \"s\": [1, \"b\"]}'",
     Invalid("Error decoding JSON value for s: Expected a UTF-8 string, but got a Integer: 1")),
]

SCHEMA = [
    ("CREATE TABLE {ks}.x (k int PRIMARY KEY, v vector<float, 0>)",
     Invalid("vectors may only have positive dimensions; given 0")),
    ("CREATE TABLE {ks}.x (k int PRIMARY KEY, v vector<float, -3>)",
     Invalid("vectors may only have positive dimensions; given -3")),
    ("CREATE TABLE {ks}.x (k int PRIMARY KEY, v vector<counter, 2>)",
     Invalid("Counters are not allowed inside vectors: vector<counter, 2>")),
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, v vector<float, 3>)",
    "ALTER TABLE {ks}.t ADD w vector<text, 2>",
    "INSERT INTO {ks}.t (k, v, w) VALUES (1, [1, 2, 3], ['x', 'y'])",
    ("SELECT k, v, w FROM {ks}.t", [(1, [1.0, 2.0, 3.0], ["x", "y"])]),
    ("SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = '{ks}' AND table_name = 't'",
     [("k", "int"), ("v", "vector<float, 3>"), ("w", "vector<text, 2>")]),
    # The type's name goes hex-encoded in VectorType's class name; the drivers misread an
    # all-digit hex name (`pt` is 7074) as a number, so this one has a letter in its hex.
    "CREATE TYPE {ks}.point (x int, y int)",
    "CREATE TABLE {ks}.u (k int PRIMARY KEY, v vector<frozen<point>, 2>)",
    "INSERT INTO {ks}.u (k, v) VALUES (1, [{x: 1, y: 2}, {x: 3}])",
    ("SELECT v FROM {ks}.u WHERE k = 1", [([(1, 2), (3, None)],)]),
    ("DROP TYPE {ks}.point", Invalid("as it is still used by table")),
]

CASES = {"floats": FLOATS, "element_types": ELEMENT_TYPES, "keys": KEYS, "json": JSON, "schema": SCHEMA}


@pytest.mark.parametrize("flushed", [False, True], ids=["memtable", "flushed"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_vector_semantics(session, server, ks, case, flushed):
    steps = CASES[case]
    run_case(session, server, ks, with_flushes(steps) if flushed else steps)


def test_prepared_statements_bind_lists(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v vector<float, 3>, s vector<text, 2>)")
    insert = session.prepare(f"INSERT INTO {ks}.t (k, v, s) VALUES (?, ?, ?)")
    vector_type = insert.column_metadata[1].type
    assert (vector_type.vector_size, vector_type.subtype.typename) == (3, "float")
    session.execute(insert, (1, [1.0, 2.5, -3.75], ["a", ""]))
    session.execute(insert, (2, None, None))
    inside = session.prepare(f"INSERT INTO {ks}.t (k, v) VALUES (?, [?, 2, ?])")
    assert [c.name for c in inside.column_metadata] == ["k", "value(v)", "value(v)"]
    session.execute(inside, (3, 1.5, 0.25))
    with pytest.raises(InvalidRequest, match="null is not supported inside vectors"):
        session.execute(inside, (4, 1.5, None))
    select = session.prepare(f"SELECT v, s FROM {ks}.t WHERE k = ?")
    assert tuple(session.execute(select, (1,)).one()) == ([1.0, 2.5, -3.75], ["a", ""])
    assert tuple(session.execute(select, (2,)).one()) == (None, None)
    assert tuple(session.execute(select, (3,)).one()) == ([1.5, 2.0, 0.25], None)
    session.execute(f"CREATE TABLE {ks}.keyed (p vector<int, 2>, c vector<float, 1>, PRIMARY KEY (p, c))")
    put = session.prepare(f"INSERT INTO {ks}.keyed (p, c) VALUES (?, ?)")
    for c in (2.0, -1.0, 0.5):
        session.execute(put, ([7, 8], [c]))
    rows = session.execute(session.prepare(f"SELECT c FROM {ks}.keyed WHERE p = ?"), ([7, 8],))
    assert [r.c for r in rows] == [[-1.0], [0.5], [2.0]]


def test_values_of_the_wrong_length_are_refused(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v vector<float, 3>, s vector<text, 2>)")
    insert = session.prepare(f"INSERT INTO {ks}.t (k, v, s) VALUES (?, ?, ?)")

    def execute_with(index, raw):
        """Sends the statement with the serialized value at `index` replaced by `raw`."""
        bound = insert.bind((1, [1.0, 2.0, 3.0], ["a", "b"]))
        bound.values[index] = raw
        session.execute(bound)

    cases = [
        (1, b"\x00" * 8, "Not enough bytes to read a vector<float, 3>"),
        (1, b"\x00" * 16, "Unexpected 4 extraneous bytes after vector<float, 3> value"),
        (1, b"", "Invalid empty vector value"),
        (2, b"\x01a", "Not enough bytes to read a vector<text, 2>"),
        (2, b"\x01a\x05b", "Not enough bytes to read a vector<text, 2>"),
        (2, b"\x01a\x01b\x01c", "Unexpected 2 extraneous bytes after vector<text, 2> value"),
    ]
    for index, raw, message in cases:
        with pytest.raises(InvalidRequest, match=message):
            execute_with(index, raw)
    assert list(session.execute(f"SELECT k FROM {ks}.t")) == []
    execute_with(1, b"\x3f\x80\x00\x00" * 3)
    assert session.execute(f"SELECT v FROM {ks}.t WHERE k = 1").one().v == [1.0, 1.0, 1.0]


def test_drivers_see_a_vector_type(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v vector<float, 3>, i vector<int, 2>)")
    session.execute(f"INSERT INTO {ks}.t (k, v, i) VALUES (1, [1, 2, 3], [4, 5])")
    result = session.execute(f"SELECT v, i FROM {ks}.t WHERE k = 1")
    # Result metadata: the custom type VectorType(FloatType , 3), which the driver parses.
    v_type, i_type = result.column_types
    assert v_type.typename == "org.apache.cassandra.db.marshal.VectorType"
    assert (v_type.vector_size, v_type.subtype.typename) == (3, "float")
    assert (i_type.vector_size, i_type.subtype.typename) == (2, "int")
    row = result.one()
    assert isinstance(row.v, list) and all(isinstance(x, float) for x in row.v)
    assert (row.v, row.i) == ([1.0, 2.0, 3.0], [4, 5])
    columns = session.cluster.metadata.keyspaces[ks].tables["t"].columns
    assert (columns["v"].cql_type, columns["i"].cql_type) == ("vector<float, 3>", "vector<int, 2>")
    assert "v vector<float, 3>" in session.cluster.metadata.keyspaces[ks].tables["t"].export_as_string()
    described = session.execute(f"DESCRIBE TABLE {ks}.t").one()
    assert "    v vector<float, 3>,\n" in described.create_statement
    assert "    i vector<int, 2>,\n" in described.create_statement


def test_vectors_survive_restart(percore_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=2, data_dir=data_dir)
    cluster, session = connect(server)
    session.execute("CREATE KEYSPACE vec WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE vec.t (p vector<int, 2>, c vector<text, 1>, v vector<float, 3>, "
                    "PRIMARY KEY (p, c))")
    session.execute("INSERT INTO vec.t (p, c, v) VALUES ([1, 2], ['b'], [1, 2, 3])")
    session.execute("INSERT INTO vec.t (p, c, v) VALUES ([1, 2], ['a'], [-1, 0.5, 8])")
    cluster.shutdown()
    server.kill()
    server = percore_factory.start(smp=1, data_dir=data_dir)
    cluster, session = connect(server)
    assert cluster.metadata.keyspaces["vec"].tables["t"].columns["v"].cql_type == "vector<float, 3>"
    rows = session.execute("SELECT c, v FROM vec.t WHERE p = [1, 2]")
    assert [(r.c, r.v) for r in rows] == [(["a"], [-1.0, 0.5, 8.0]), (["b"], [1.0, 2.0, 3.0])]
    cluster.shutdown()
