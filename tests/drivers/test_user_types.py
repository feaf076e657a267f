"""User-defined types as Cassandra 3.x/4.0 has them: CREATE/ALTER/DROP TYPE with Cassandra's
refusals, UDT literals, frozen UDTs (one value, usable in primary keys), non-frozen UDTs
(one cell per field: field writes and deletions, overwrites), field selection, types
nested in collections and in other types, ALTER TYPE on stored data — as statement tables
(see statement_tables.py), each also run with a flush before every SELECT. Then what
drivers see: `cluster.metadata` user types, prepared statements binding UDT values, and
types surviving a restart.

UDT values come back from the drivers as named tuples, which the statement tables compare
as plain tuples in field order; the dedicated tests check the field names too."""

from collections import namedtuple

import pytest

from statement_tables import Invalid, run_case, with_flushes
from support import connect

FROZEN = [
    "CREATE TYPE {ks}.addr (street text, zip int)",
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, a frozen<addr>)",
    "INSERT INTO {ks}.t (k, a) VALUES (1, {street: 'Main', zip: 42})",
    "INSERT INTO {ks}.t (k, a) VALUES (2, {zip: 7})",
    ("SELECT k, a FROM {ks}.t WHERE k = 1", [(1, ("Main", 42))]),
    ("SELECT a FROM {ks}.t WHERE k = 2", [((None, 7),)]),
    ("SELECT a.zip, a.street FROM {ks}.t WHERE k = 2", [(7, None)]),
    ("SELECT a.zip AS z FROM {ks}.t WHERE k = 1", [(42,)]),
    "UPDATE {ks}.t SET a = {street: 'Side'} WHERE k = 1",
    ("SELECT a FROM {ks}.t WHERE k = 1", [(("Side", None),)]),
    "UPDATE {ks}.t SET a = null WHERE k = 1",
    ("SELECT k, a FROM {ks}.t WHERE k = 1", [(1, None)]),
    ("INSERT INTO {ks}.t (k, a) VALUES (3, {nope: 1})", Invalid("Unknown field 'nope' in value of user defined type addr")),
    ("INSERT INTO {ks}.t (k, a) VALUES (3, {zip: 'x'})", Invalid("Invalid user type literal for a: field zip is not of type int")),
    ("INSERT INTO {ks}.t (k, a) VALUES (3, 5)", Invalid("Invalid INTEGER constant (5) for \"a\" of type frozen<addr>")),
    ("UPDATE {ks}.t SET a.zip = 1 WHERE k = 1", Invalid("Invalid operation (a.zip = 1) for frozen UDT column a")),
    ("DELETE a.zip FROM {ks}.t WHERE k = 1", Invalid("Frozen UDT column a does not support field deletion")),
    ("SELECT a.nope FROM {ks}.t", Invalid("a of type frozen<addr> has no field nope")),
    ("SELECT k.x FROM {ks}.t", Invalid("Invalid field selection: k of type int is not a user type")),
]

NON_FROZEN = [
    "CREATE TYPE {ks}.p (a int, b text)",
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, v p, n int)",
    "INSERT INTO {ks}.t (k, v) VALUES (0, {a: 0, b: 'abc'})",
    ("SELECT * FROM {ks}.t WHERE k = 0", [(0, None, (0, "abc"))]),
    # An overwrite replaces every field: the old ones are deleted just below it.
    "UPDATE {ks}.t SET v = {a: 1} WHERE k = 0",
    ("SELECT v FROM {ks}.t WHERE k = 0", [((1, None),)]),
    "UPDATE {ks}.t SET v.b = 'x' WHERE k = 0",
    ("SELECT v, v.a, v.b FROM {ks}.t WHERE k = 0", [((1, "x"), 1, "x")]),
    "UPDATE {ks}.t SET v.a = null WHERE k = 0",
    ("SELECT v FROM {ks}.t WHERE k = 0", [((None, "x"),)]),
    # Every field null: the column is null; the INSERT's row marker keeps the row.
    "DELETE v.b FROM {ks}.t WHERE k = 0",
    ("SELECT k, v FROM {ks}.t WHERE k = 0", [(0, None)]),
    "UPDATE {ks}.t SET v.b = 'y', v.a = 5 WHERE k = 0",
    ("SELECT v FROM {ks}.t WHERE k = 0", [((5, "y"),)]),
    "DELETE v.a, v.b FROM {ks}.t WHERE k = 0",
    ("SELECT v FROM {ks}.t WHERE k = 0", [(None,)]),
    "UPDATE {ks}.t SET v = {a: 7, b: 'z'} WHERE k = 0",
    "DELETE v FROM {ks}.t WHERE k = 0",
    ("SELECT v FROM {ks}.t WHERE k = 0", [(None,)]),
    # A row made by a field write alone lives through its field cells.
    "UPDATE {ks}.t SET v.a = 1 WHERE k = 1",
    ("SELECT k, v FROM {ks}.t WHERE k = 1", [(1, (1, None))]),
    "DELETE v.a FROM {ks}.t WHERE k = 1",
    ("SELECT k, v FROM {ks}.t WHERE k = 1", []),
    ("UPDATE {ks}.t SET v.nope = 1 WHERE k = 0", Invalid("UDT column v does not have a field named nope")),
    ("DELETE v.nope FROM {ks}.t WHERE k = 0", Invalid("UDT column v does not have a field named nope")),
    ("UPDATE {ks}.t SET n.a = 1 WHERE k = 0", Invalid("Invalid operation (n.a = 1) for non-UDT column n")),
    ("DELETE n.a FROM {ks}.t WHERE k = 0", Invalid("Invalid field deletion operation for non-UDT column n")),
    ("UPDATE {ks}.t SET v.a = 'x' WHERE k = 0", Invalid('for "v.a" of type int')),
    ("UPDATE {ks}.t SET v = {a: 1}, v.b = 'x' WHERE k = 0", Invalid("Multiple incompatible setting of column v")),
    ("INSERT INTO {ks}.t (k, v) VALUES (1, {a: 0, foo: 0})", Invalid("Unknown field 'foo' in value of user defined type p")),
    ("SELECT writetime(v) FROM {ks}.t", Invalid("Cannot use selection function writeTime on non-frozen UDT v")),
]

STATIC = [
    "CREATE TYPE {ks}.p (a int, b text)",
    "CREATE TABLE {ks}.t (k int, c int, s p static, v int, PRIMARY KEY (k, c))",
    "INSERT INTO {ks}.t (k, c, v) VALUES (1, 1, 10)",
    "INSERT INTO {ks}.t (k, c, v) VALUES (1, 2, 20)",
    "UPDATE {ks}.t SET s = {a: 1, b: 'one'} WHERE k = 1",
    "UPDATE {ks}.t SET s.b = 'uno' WHERE k = 1",
    ("SELECT c, s, v FROM {ks}.t WHERE k = 1", [(1, (1, "uno"), 10), (2, (1, "uno"), 20)]),
]

SCHEMA = [
    "CREATE TYPE {ks}.t (a int)",
    ("CREATE TYPE {ks}.t (a int)", Invalid("A user type with name 't' already exists")),
    "CREATE TYPE IF NOT EXISTS {ks}.t (b int)",
    ("CREATE TYPE {ks}.u (a int, a text)", Invalid("Duplicate field name 'a' in type 'u'")),
    ("CREATE TYPE {ks}.u (c counter)", Invalid("A user type cannot contain counters")),
    ("CREATE TYPE {ks}.u (x t)", Invalid("A user type cannot contain non-frozen UDTs")),
    ("CREATE TYPE {ks}.u (x frozen<nope>)", Invalid("Unknown type ")),
    ("CREATE TYPE {ks}.u (x list<t>)", Invalid("Non-frozen UDTs are not allowed inside collections: list<t>")),
    ("CREATE TYPE nokeyspace.u (a int)", Invalid("Keyspace 'nokeyspace' does not exist")),
    "CREATE TYPE {ks}.u (x frozen<t>, l list<int>)",
    ("CREATE TABLE {ks}.x (k t PRIMARY KEY)", Invalid("Invalid non-frozen user-defined type for PRIMARY KEY component k")),
    ("CREATE TABLE {ks}.x (k int PRIMARY KEY, v list<t>)", Invalid("Non-frozen UDTs are not allowed inside collections: list<t>")),
    ("CREATE TABLE {ks}.x (k int PRIMARY KEY, v u)", Invalid("Non-frozen UDTs with nested non-frozen collections are not supported")),
    ("CREATE TABLE {ks}.x (k int PRIMARY KEY, v frozen<system.t>)", Invalid("user types can only be used in the keyspace they are defined in")),
    "CREATE TABLE {ks}.x (k int PRIMARY KEY, v frozen<u>)",
    ("ALTER TABLE {ks}.x ADD w nope", Invalid("Unknown type ")),
    "ALTER TABLE {ks}.x ADD w t",
    ("DROP TYPE {ks}.t", Invalid("as it is still used by user type u")),
    ("DROP TYPE {ks}.u", Invalid("as it is still used by table")),
    ("ALTER TYPE {ks}.nope ADD b int", Invalid("No user type named")),
    ("ALTER TYPE {ks}.t ADD a int", Invalid("Cannot add new field a to type")),
    ("ALTER TYPE {ks}.t ADD c frozen<u>", Invalid("would create a circular reference")),
    ("ALTER TYPE {ks}.t ADD l list<int>", Invalid("Non-frozen UDTs with nested non-frozen collections are not supported")),
    ("ALTER TYPE {ks}.t RENAME nope TO b", Invalid("Unknown field nope in type")),
    ("ALTER TYPE {ks}.t ALTER a TYPE bigint", Invalid("Altering field types is no longer supported")),
    "DROP TABLE {ks}.x",
    "DROP TYPE {ks}.u",
    "DROP TYPE {ks}.t",
    "DROP TYPE IF EXISTS {ks}.t",
    ("DROP TYPE {ks}.t", Invalid("No user type named")),
]

ALTER = [
    "CREATE TYPE {ks}.p (a int)",
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, f frozen<p>, n p)",
    "INSERT INTO {ks}.t (k, f, n) VALUES (1, {a: 1}, {a: 1})",
    "ALTER TYPE {ks}.p ADD b text",
    # Rows written before show the new field as null.
    ("SELECT f, n, f.b, n.b FROM {ks}.t WHERE k = 1", [((1, None), (1, None), None, None)]),
    "UPDATE {ks}.t SET n.b = 'x' WHERE k = 1",
    "INSERT INTO {ks}.t (k, f, n) VALUES (2, {a: 2, b: 'y'}, {b: 'z'})",
    ("SELECT k, f, n FROM {ks}.t WHERE k IN (1, 2)", [(1, (1, None), (1, "x")), (2, (2, "y"), (None, "z"))]),
    # A rename changes only the name.
    "ALTER TYPE {ks}.p RENAME a TO z AND b TO w",
    ("SELECT f.z, n.z, n.w FROM {ks}.t WHERE k = 1", [(1, 1, "x")]),
    ("SELECT n.a FROM {ks}.t", Invalid("has no field a")),
    "UPDATE {ks}.t SET n.z = 10 WHERE k = 1",
    ("SELECT n FROM {ks}.t WHERE k = 1", [((10, "x"),)]),
]

NESTED = [
    "CREATE TYPE {ks}.pt (x int, y int)",
    "CREATE TYPE {ks}.shape (origin frozen<pt>, tags frozen<set<text>>)",
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, s shape, l list<frozen<pt>>, m map<text, frozen<pt>>, "
    "fm frozen<map<int, pt>>, tp tuple<int, pt>)",
    "INSERT INTO {ks}.t (k, s, l, m, fm, tp) VALUES (1, {origin: {x: 1, y: 2}, tags: {'b', 'a'}}, "
    "[{x: 3}], {'k': {y: 4}}, {1: {x: 5, y: 6}}, (7, {x: 8}))",
    ("SELECT s, l, m, fm, tp FROM {ks}.t WHERE k = 1",
     [(((1, 2), {"a", "b"}), [(3, None)], {"k": (None, 4)}, {1: (5, 6)}, (7, (8, None)))]),
    ("SELECT s.origin.y, s.tags FROM {ks}.t WHERE k = 1", [(2, {"a", "b"})]),
    "UPDATE {ks}.t SET s.origin = {x: 9} WHERE k = 1",
    "UPDATE {ks}.t SET m['z'] = {x: 5, y: 6}, l = l + [{y: 1}] WHERE k = 1",
    ("SELECT s, l, m FROM {ks}.t WHERE k = 1",
     [(((9, None), {"a", "b"}), [(3, None), (None, 1)], {"k": (None, 4), "z": (5, 6)})]),
    ("CREATE TABLE {ks}.bad (k int PRIMARY KEY, m map<text, pt>)",
     Invalid("Non-frozen UDTs are not allowed inside collections: map<text, pt>")),
]

KEYS = [
    "CREATE TYPE {ks}.pt (x int, y int)",
    "CREATE TABLE {ks}.t (p frozen<pt>, c frozen<pt>, v int, PRIMARY KEY (p, c))",
    "INSERT INTO {ks}.t (p, c, v) VALUES ({x: 1, y: 1}, {x: 2, y: 1}, 1)",
    "INSERT INTO {ks}.t (p, c, v) VALUES ({x: 1, y: 1}, {x: 1, y: 5}, 2)",
    "INSERT INTO {ks}.t (p, c, v) VALUES ({x: 1, y: 1}, {x: 1}, 3)",
    "INSERT INTO {ks}.t (p, c, v) VALUES ({x: 1, y: 1}, {x: -1, y: 9}, 4)",
    "INSERT INTO {ks}.t (p, c, v) VALUES ({x: 2, y: 1}, {x: 0, y: 0}, 5)",
    # Clustering order is field by field, a null first (Cassandra's tuple comparator).
    ("SELECT c, v FROM {ks}.t WHERE p = {x: 1, y: 1}",
     [((-1, 9), 4), ((1, None), 3), ((1, 5), 2), ((2, 1), 1)]),
    ("SELECT v FROM {ks}.t WHERE p = {x: 1, y: 1} AND c = {x: 1, y: 5}", [(2,)]),
    ("SELECT v FROM {ks}.t WHERE p = {x: 1, y: 1} AND c > {x: 1, y: 0}", [(2,), (1,)]),
    ("SELECT p, v FROM {ks}.t WHERE p = {x: 2, y: 1}", [((2, 1), 5)]),
    ("ALTER TYPE {ks}.pt ADD z int", Invalid("as the type is being used in partition key by the following tables")),
]

LWT = [
    "CREATE TYPE {ks}.p (a int, b text)",
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, v p, f frozen<p>, n int)",
    "INSERT INTO {ks}.t (k, v, f) VALUES (1, {a: 1, b: 'x'}, {a: 2})",
    ("UPDATE {ks}.t SET v.b = 'y' WHERE k = 1 IF v.a = 1", [(True,)]),
    ("UPDATE {ks}.t SET v.b = 'z' WHERE k = 1 IF v.a = 2", [(False, (1, "y"))]),
    ("UPDATE {ks}.t SET n = 1 WHERE k = 1 IF f.a > 1 AND f.b = null", [(True,)]),
    ("UPDATE {ks}.t SET n = 2 WHERE k = 1 IF v = {a: 1, b: 'y'} AND f = {a: 2}", [(True,)]),
    ("UPDATE {ks}.t SET n = 3 WHERE k = 1 IF v.b IN ('q', 'y')", [(True,)]),
    ("SELECT n, v FROM {ks}.t WHERE k = 1", [(3, (1, "y"))]),
    ("UPDATE {ks}.t SET n = 4 WHERE k = 1 IF v.nope = 1", Invalid("Unknown field nope for column v")),
    ("UPDATE {ks}.t SET v.a = 4 WHERE k = 1 IF n.a = 1", Invalid("Invalid field selection: n of type int is not a user type")),
]

CASES = {"frozen": FROZEN, "non_frozen": NON_FROZEN, "static": STATIC, "schema": SCHEMA, "alter": ALTER,
         "nested": NESTED, "keys": KEYS, "lwt": LWT}


@pytest.mark.parametrize("flushed", [False, True], ids=["memtable", "flushed"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_user_type_semantics(session, server, ks, case, flushed):
    steps = CASES[case]
    run_case(session, server, ks, with_flushes(steps) if flushed else steps)


def test_metadata_shows_types(session, ks):
    session.execute(f"CREATE TYPE {ks}.addr (street text, \"Zip\" int, tags frozen<list<text>>)")
    session.execute(f"CREATE TYPE {ks}.person (name text, home frozen<addr>)")
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, p person, a frozen<addr>)")
    types = session.cluster.metadata.keyspaces[ks].user_types
    assert set(types) == {"addr", "person"}
    assert types["addr"].field_names == ["street", "Zip", "tags"]
    assert types["addr"].field_types == ["text", "int", "frozen<list<text>>"]
    assert types["person"].field_types == ["text", "frozen<addr>"]
    columns = session.cluster.metadata.keyspaces[ks].tables["t"].columns
    assert (columns["p"].cql_type, columns["a"].cql_type) == ("person", "frozen<addr>")
    rows = session.execute(
        "SELECT type_name, field_names, field_types FROM system_schema.types WHERE keyspace_name = %s", (ks,))
    assert sorted((r.type_name, list(r.field_names)) for r in rows) == [
        ("addr", ["street", "Zip", "tags"]), ("person", ["name", "home"])]
    session.execute(f"ALTER TYPE {ks}.addr ADD floor int")
    assert session.cluster.metadata.keyspaces[ks].user_types["addr"].field_names == ["street", "Zip", "tags", "floor"]
    session.execute(f"DROP TABLE {ks}.t")
    session.execute(f"DROP TYPE {ks}.person")
    assert set(session.cluster.metadata.keyspaces[ks].user_types) == {"addr"}
    # The driver's own rendering of the keyspace puts the type before what uses it.
    export = session.cluster.metadata.keyspaces[ks].export_as_string()
    assert f"CREATE TYPE {ks}.addr" in export


def test_results_are_named_by_field(session, ks):
    session.execute(f"CREATE TYPE {ks}.addr (street text, zip int)")
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, f frozen<addr>, n addr)")
    session.execute(f"INSERT INTO {ks}.t (k, f, n) VALUES (1, {{street: 'Main', zip: 1}}, {{zip: 2}})")
    row = session.execute(f"SELECT f, n FROM {ks}.t WHERE k = 1").one()
    assert (row.f.street, row.f.zip) == ("Main", 1)
    assert (row.n.street, row.n.zip) == (None, 2)
    assert row.n._fields == ("street", "zip")


class Address:
    def __init__(self, street=None, zip=None):
        self.street = street
        self.zip = zip


def test_prepared_statements_bind_user_types(session, ks):
    session.execute(f"CREATE TYPE {ks}.addr (street text, zip int)")
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, f frozen<addr>, n addr)")
    insert = session.prepare(f"INSERT INTO {ks}.t (k, f, n) VALUES (?, ?, ?)")
    bound_type = insert.column_metadata[1].type
    assert (bound_type.typename, list(bound_type.fieldnames)) == ("addr", ["street", "zip"])
    Addr = namedtuple("Addr", ["street", "zip"])
    session.execute(insert, (1, Addr("Main", 10), Addr(None, 11)))
    session.execute(insert, (2, ("Side", 20), None))
    field_markers = session.prepare(f"INSERT INTO {ks}.t (k, n) VALUES (?, {{street: ?, zip: ?}})")
    assert [c.name for c in field_markers.column_metadata] == ["k", "n.street", "n.zip"]
    session.execute(field_markers, (3, "Third", 30))
    set_field = session.prepare(f"UPDATE {ks}.t SET n.zip = ? WHERE k = ?")
    assert [c.name for c in set_field.column_metadata] == ["n.zip", "k"]
    session.execute(set_field, (31, 3))
    select = session.prepare(f"SELECT k, f, n FROM {ks}.t WHERE k = ?")
    rows = {k: tuple(session.execute(select, (k,)).one())[1:] for k in (1, 2, 3)}
    assert (rows[1][0].street, rows[1][0].zip, rows[1][1].street, rows[1][1].zip) == ("Main", 10, None, 11)
    assert (rows[2][0].street, rows[2][1]) == ("Side", None)
    assert (rows[3][1].street, rows[3][1].zip) == ("Third", 31)
    # A class registered for the type: values bind from its attributes and come back as it.
    session.cluster.register_user_type(ks, "addr", Address)
    session.execute(insert, (4, Address("Fourth", 40), Address(zip=41)))
    row = session.execute(select, (4,)).one()
    assert isinstance(row.f, Address) and isinstance(row.n, Address)
    assert (row.f.street, row.f.zip, row.n.street, row.n.zip) == ("Fourth", 40, None, 41)


def test_types_survive_restart(percore_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=2, data_dir=data_dir)
    cluster, session = connect(server)
    session.execute("CREATE KEYSPACE udt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TYPE udt.pt (x int, y int)")
    session.execute("CREATE TYPE udt.shape (origin frozen<pt>, name text)")
    session.execute("CREATE TABLE udt.t (k int PRIMARY KEY, s shape, p frozen<pt>)")
    session.execute("ALTER TYPE udt.pt ADD z int")
    session.execute("INSERT INTO udt.t (k, s, p) VALUES (1, {origin: {x: 1, y: 2, z: 3}, name: 'a'}, {x: 4})")
    session.execute("UPDATE udt.t SET s.name = 'b' WHERE k = 2")
    cluster.shutdown()
    server.kill()
    server = percore_factory.start(smp=1, data_dir=data_dir)
    cluster, session = connect(server)
    types = cluster.metadata.keyspaces["udt"].user_types
    assert types["pt"].field_names == ["x", "y", "z"]
    assert types["shape"].field_types == ["frozen<pt>", "text"]
    rows = {r.k: (r.s, r.p) for r in session.execute("SELECT k, s, p FROM udt.t")}
    assert rows[1][0].origin == (1, 2, 3) and rows[1][0].name == "a"
    assert tuple(rows[1][1]) == (4, None, None)
    assert tuple(rows[2][0]) == (None, "b") and rows[2][1] is None
    session.execute("UPDATE udt.t SET s.origin = {x: 9, z: 9} WHERE k = 2")
    assert tuple(session.execute("SELECT s.origin FROM udt.t WHERE k = 2").one()[0]) == (9, None, 9)
    cluster.shutdown()
