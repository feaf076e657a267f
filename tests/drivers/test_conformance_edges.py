"""Edge cases a conformance pass against Cassandra's documented behaviour found, as
statement tables (statement_tables.py): schema rules for counters and durations, batch
attributes, TTL and time literals, static-only inserts, and restrictions Cassandra refuses
or reads differently. The messages are Cassandra's (its CQLTester-based unit tests)."""

import pytest
from cassandra.query import SimpleStatement

from statement_tables import ConfigError, Invalid, flush, run_case, with_flushes

SCHEMA_RULES = [
    "CREATE TABLE {ks}.plain (k int PRIMARY KEY, v int)",
    "CREATE TABLE {ks}.counts (k int PRIMARY KEY, n counter)",
    ("ALTER TABLE {ks}.plain ADD c counter", ConfigError('Cannot have a counter column ("c") in a non counter table')),
    ("ALTER TABLE {ks}.counts ADD t text", ConfigError('Cannot have a non counter column ("t") in a counter table')),
    # The refused ALTER left the table writable.
    "INSERT INTO {ks}.plain (k, v) VALUES (1, 1)",
    ("SELECT k, v FROM {ks}.plain", [(1, 1)]),
    ("CREATE TABLE {ks}.c2 (k int PRIMARY KEY, n counter) WITH default_time_to_live = 10",
     Invalid("Cannot set default_time_to_live on a table with counters")),
    ("ALTER TABLE {ks}.counts WITH default_time_to_live = 10",
     Invalid("Cannot set default_time_to_live on a table with counters")),
    ("CREATE TABLE {ks}.d1 (k int PRIMARY KEY, s set<duration>)",
     Invalid("Durations are not allowed inside sets: set<duration>")),
    ("CREATE TABLE {ks}.d2 (k int PRIMARY KEY, m map<duration, int>)",
     Invalid("Durations are not allowed as map keys: map<duration, int>")),
    ("CREATE TABLE {ks}.d3 (k int, c frozen<tuple<int, duration>>, PRIMARY KEY (k, c))",
     Invalid("duration type is not supported for PRIMARY KEY column 'c'")),
    "CREATE TABLE {ks}.d4 (k int PRIMARY KEY, d duration, m map<int, duration>)",
    "INSERT INTO {ks}.d4 (k, d) VALUES (1, 1h)",
    ("SELECT k FROM {ks}.d4 WHERE d > 1m ALLOW FILTERING",
     Invalid("Slice restrictions are not supported on duration columns")),
    ("SELECT k FROM {ks}.d4 WHERE d = 1h ALLOW FILTERING", [(1,)]),
]

WRITE_RULES = [
    "CREATE TABLE {ks}.t (k int, c int, v int, st int static, ti time, PRIMARY KEY (k, c))",
    ("BEGIN BATCH USING TTL 50 INSERT INTO {ks}.t (k, c, v) VALUES (1, 1, 1); APPLY BATCH",
     Invalid("Global TTL on the BATCH statement is not supported.")),
    ("BEGIN BATCH USING TIMESTAMP 5 INSERT INTO {ks}.t (k, c, v) VALUES (1, 1, 1) USING TIMESTAMP 6; APPLY BATCH",
     Invalid("Timestamp must be set either on BATCH or individual statements")),
    ("INSERT INTO {ks}.t (k, c, ti) VALUES (1, 1, -1)", Invalid("Unable to make long (for time) from: '-1'")),
    ("INSERT INTO {ks}.t (k, c, ti) VALUES (1, 1, 86400000000000)",
     Invalid("Unable to make long (for time) from: '86400000000000'")),
    "INSERT INTO {ks}.t (k, c, ti) VALUES (1, 1, 86399999999999)",
    ("INSERT INTO {ks}.t (k, c, v) VALUES (1, 1, 2147483648)", Invalid("Unable to make int from '2147483648'")),
    "CREATE TABLE {ks}.lit (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>, tu frozen<tuple<int, text>>, "
    "d date, du duration, tid timeuuid, a ascii)",
    ("INSERT INTO {ks}.lit (k, l) VALUES (1, ['a'])", Invalid("Invalid list literal for l: value 'a' is not of type int")),
    ("INSERT INTO {ks}.lit (k, s) VALUES (1, {1})", Invalid("Invalid set literal for s: value 1 is not of type text")),
    ("INSERT INTO {ks}.lit (k, m) VALUES (1, {1: 1})", Invalid("Invalid map literal for m: key 1 is not of type text")),
    ("INSERT INTO {ks}.lit (k, tu) VALUES (1, (1, 2))", Invalid("Invalid tuple literal for tu: component 1 is not of type text")),
    ("UPDATE {ks}.lit SET s = s + ['x'] WHERE k = 1", Invalid("Invalid list literal for s of type set<text>")),
    ("INSERT INTO {ks}.lit (k, l) VALUES (1, [1, null])", Invalid("null is not supported inside collections")),
    "CREATE TYPE {ks}.addr (street text, zip int)",
    "CREATE TABLE {ks}.people (k int PRIMARY KEY, a frozen<addr>)",
    ("INSERT INTO {ks}.people (k, a) VALUES (1, {street: 's', zip: 'a'})",
     Invalid("Invalid user type literal for a: field zip is not of type int")),
    ("INSERT INTO {ks}.lit (k, d) VALUES (1, '2020-13-01')",
     Invalid("Unable to coerce '2020-13-01' to a formatted date (long)")),
    ("INSERT INTO {ks}.lit (k, d) VALUES (1, -1)", Invalid("Unable to make unsigned int (for date) from: '-1'")),
    ("INSERT INTO {ks}.lit (k, du) VALUES (1, 1)", Invalid("Unable to convert '1' to a duration")),
    ("INSERT INTO {ks}.lit (k, tid) VALUES (1, 62c36092-82a1-3a00-93d1-46196ee77204)",
     Invalid("TimeUUID supports only version 1 UUIDs")),
    ("INSERT INTO {ks}.lit (k, a) VALUES (1, 'héllo')", Invalid("Invalid ASCII character in string literal")),
    ("DELETE st FROM {ks}.t WHERE k = 3 AND c = 1",
     Invalid("Invalid restrictions on clustering columns since the DELETE statement modifies only static columns")),
    ("DELETE v FROM {ks}.t WHERE k = 5 AND c > 1", Invalid("Range deletions are not supported for specific columns")),
    # Static columns alone need no clustering key; the partition then has no rows.
    "INSERT INTO {ks}.t (k, st) VALUES (2, 5)",
    ("SELECT k, c, v, st FROM {ks}.t WHERE k = 2", [(2, None, None, 5)]),
    ("INSERT INTO {ks}.t (k, st, v) VALUES (3, 5, 1)", Invalid("Some clustering keys are missing: c")),
]

RESTRICTION_RULES = [
    "CREATE TABLE {ks}.r (k int, c int, d int, v int, PRIMARY KEY (k, c, d))",
    "INSERT INTO {ks}.r (k, c, d, v) VALUES (0, 0, 0, 0)",
    "INSERT INTO {ks}.r (k, c, d, v) VALUES (0, 1, 0, 1)",
    "INSERT INTO {ks}.r (k, c, d, v) VALUES (0, 2, 0, 2)",
    "INSERT INTO {ks}.r (k, c, d, v) VALUES (0, 3, 1, 3)",
    # A one-column tuple is that column's relation.
    ("SELECT c FROM {ks}.r WHERE k = 0 AND (c) = (1)", [(1,)]),
    ("SELECT c FROM {ks}.r WHERE k = 0 AND (c) > (1)", [(2,), (3,)]),
    ("SELECT c FROM {ks}.r WHERE k = 0 AND (c) < (2)", [(0,), (1,)]),
    ("SELECT c FROM {ks}.r WHERE k = 0 AND c = 3 AND (d) > (0)", [(3,)]),
    ("SELECT c FROM {ks}.r WHERE k = 0 AND (c, d) > (0, 0) AND (c) < (3)", [(1,), (2,)]),
    ("SELECT c FROM {ks}.r WHERE k = 0 AND c = 0 AND c = 1",
     Invalid("c cannot be restricted by more than one relation if it includes an Equal")),
    ("SELECT c FROM {ks}.r WHERE k = 0 AND k = 1",
     Invalid("k cannot be restricted by more than one relation if it includes an Equal")),
    ("SELECT DISTINCT k FROM {ks}.r PER PARTITION LIMIT 1",
     Invalid("PER PARTITION LIMIT is not allowed with SELECT DISTINCT queries")),
    ("SELECT count(*) FROM {ks}.r PER PARTITION LIMIT 1",
     Invalid("PER PARTITION LIMIT is not allowed with aggregate queries.")),
]

GROUPING = [
    "CREATE TABLE {ks}.g (a int, b int, c int, e int, PRIMARY KEY (a, b, c))",
    "INSERT INTO {ks}.g (a, b, c, e) VALUES (1, 1, 1, 10)",
    "INSERT INTO {ks}.g (a, b, c, e) VALUES (1, 1, 2, 20)",
    "INSERT INTO {ks}.g (a, b, c, e) VALUES (1, 2, 1, 30)",
    "INSERT INTO {ks}.g (a, b, c, e) VALUES (1, 3, 1, 40)",
    "INSERT INTO {ks}.g (a, b, c, e) VALUES (2, 1, 1, 50) USING TIMESTAMP 1000",
    # PER PARTITION LIMIT counts groups, not rows.
    ("SELECT a, b, count(*), max(e) FROM {ks}.g WHERE a = 1 GROUP BY a, b PER PARTITION LIMIT 2",
     [(1, 1, 2, 20), (1, 2, 1, 30)]),
    ("SELECT a, b, count(*) FROM {ks}.g WHERE a IN (1, 2) GROUP BY a, b PER PARTITION LIMIT 1",
     [(1, 1, 2), (2, 1, 1)]),
    # A partition key column restricted by = may be left out of GROUP BY.
    ("SELECT a, b, count(*) FROM {ks}.g WHERE a = 1 GROUP BY b", [(1, 1, 2), (1, 2, 1), (1, 3, 1)]),
    ("SELECT b, count(*) FROM {ks}.g GROUP BY b",
     Invalid("Group by currently only support groups of columns following their declared order in the PRIMARY KEY")),
    ("SELECT JSON a, count(*) FROM {ks}.g WHERE a = 1 GROUP BY a", [('{"a": 1, "count": 4}',)]),
    ("SELECT JSON count(*) FROM {ks}.g WHERE a = 2", [('{"count": 1}',)]),
    ("SELECT a, max(e), writetime(e) FROM {ks}.g WHERE a = 2", [(2, 50, 1000)]),
    "CREATE TABLE {ks}.g2 (a int, b int, c int, PRIMARY KEY ((a, b), c))",
    ("SELECT a, count(*) FROM {ks}.g2 GROUP BY a",
     Invalid("Group by is not supported on only a part of the partition key")),
]

SELECTORS = [
    "CREATE TABLE {ks}.f (k int PRIMARY KEY, m map<text, int>, s set<text>, l list<int>, u uuid, "
    "fm frozen<map<int, text>>)",
    "INSERT INTO {ks}.f (k, m, s, l, u, fm) VALUES (1, {'a': 1, 'b': 2}, {'x', 'y'}, [1, 2], now(), {1: 'one'})",
    ("SELECT m['a'], m['zz'], s['x'], s['q'], fm[1] FROM {ks}.f WHERE k = 1", [(1, None, "x", None, "one")]),
    ("SELECT l[0] FROM {ks}.f WHERE k = 1", Invalid("Element selection is only allowed on sets and maps, but l is a list")),
    ("SELECT CAST(m AS text) FROM {ks}.f WHERE k = 1", Invalid("cannot be cast to text")),
    ("SELECT toUnixTimestamp(minTimeuuid('2013-01-01 00:00:00+0000')) FROM {ks}.f WHERE k = 1", [(1356998400000,)]),
    ("SELECT k FROM {ks}.f WHERE k = 1 AND u = now() ALLOW FILTERING", []),
    ("SELECT blobAsBoolean(0x01), intAsBlob(3) FROM {ks}.f WHERE k = 1", [(True, b"\x00\x00\x00\x03")]),
]

MAP_ELEMENT_FILTERS = [
    "CREATE TABLE {ks}.me (k int, c int, m map<text, int>, fm frozen<map<text, int>>, PRIMARY KEY (k, c))",
    "INSERT INTO {ks}.me (k, c, m, fm) VALUES (1, 1, {'a': 1, 'b': 2}, {'a': 1})",
    "INSERT INTO {ks}.me (k, c, m, fm) VALUES (1, 2, {'a': 5}, {'a': 7})",
    "INSERT INTO {ks}.me (k, c, m) VALUES (2, 1, {'b': 1})",
    ("SELECT k, c FROM {ks}.me WHERE m['a'] = 1", Invalid("Cannot execute this query as it might involve data filtering")),
    ("SELECT k, c FROM {ks}.me WHERE m['a'] = 1 ALLOW FILTERING", [(1, 1)]),
    ("SELECT k, c FROM {ks}.me WHERE m['a'] > 1 ALLOW FILTERING", [(1, 2)]),
    ("SELECT k, c FROM {ks}.me WHERE fm['a'] = 7 ALLOW FILTERING", [(1, 2)]),
    ("SELECT k, c FROM {ks}.me WHERE k = 1 AND m['b'] = 2 ALLOW FILTERING", [(1, 1)]),
    ("SELECT k, c FROM {ks}.me WHERE m['zz'] = 2 ALLOW FILTERING", []),
]

CASES = {
    "map_element_filters": MAP_ELEMENT_FILTERS,
    "schema_rules": SCHEMA_RULES,
    "write_rules": WRITE_RULES,
    "restriction_rules": RESTRICTION_RULES,
    "grouping": GROUPING,
    "selectors": SELECTORS,
}


@pytest.mark.parametrize("flushed", [False, True], ids=["memtable", "flushed"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_statement_table(session, server, ks, case, flushed):
    steps = CASES[case]
    run_case(session, server, ks, with_flushes(steps) if flushed else steps)


def test_null_ttl_is_no_ttl(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v int) WITH default_time_to_live = 1000")
    insert = session.prepare(f"INSERT INTO {ks}.t (k, v) VALUES (?, ?) USING TTL ?")
    session.execute(insert, (1, 1, None))
    session.execute(f"INSERT INTO {ks}.t (k, v) VALUES (2, 2)")
    ttls = {r.k: r.t for r in session.execute(f"SELECT k, ttl(v) AS t FROM {ks}.t")}
    assert ttls[1] is None, "a null TTL writes a cell that never expires"
    assert 0 < ttls[2] <= 1000, "the table default applies when no TTL is given"


def test_ordered_in_query_cannot_be_paged(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int, c int, PRIMARY KEY (k, c))")
    query = f"SELECT * FROM {ks}.t WHERE k IN (1, 2) ORDER BY c DESC"
    with pytest.raises(Exception, match="Cannot page queries with both ORDER BY and a IN restriction"):
        session.execute(SimpleStatement(query, fetch_size=10))


def test_functions_of_no_arguments_in_a_selection(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY)")
    session.execute(f"INSERT INTO {ks}.t (k) VALUES (1)")
    row = session.execute(f"SELECT now(), uuid(), currentTimestamp(), currentDate(), toDate(now()) FROM {ks}.t").one()
    assert row[0].version == 1 and row[1].version == 4
    assert row[2] is not None and row[3] == row[4]


def test_failed_condition_columns_in_cassandra_order(session, ks):
    session.execute(f"CREATE TABLE {ks}.lw (k int, c int, v int, w text, s int static, PRIMARY KEY (k, c))")
    session.execute(f"INSERT INTO {ks}.lw (k, c, v, w, s) VALUES (1, 1, 7, 'x', 5)")
    single = session.execute(f"UPDATE {ks}.lw SET v = 1 WHERE k = 1 AND c = 1 IF s = 99 AND w = 'zz'")
    assert single.column_names == ["[applied]", "w", "s"], "regular conditions first, then static ones"
    assert tuple(single.one()) == (False, "x", 5)
    batch = session.execute(
        f"BEGIN BATCH UPDATE {ks}.lw SET v = 2 WHERE k = 1 AND c = 1 IF v = 99; "
        f"UPDATE {ks}.lw SET w = 'y' WHERE k = 1 AND c = 2 IF EXISTS; APPLY BATCH")
    assert batch.column_names == ["[applied]", "k", "c", "s", "v", "w"], "an existence test shows every column"
    assert not batch.one()[0]


MESSAGES = [
    "CREATE TABLE {ks}.m (a int, b int, c int, d int, v int, PRIMARY KEY (a, b, c, d))",
    ("SELECT * FROM {ks}.m WHERE a = 1 AND b = 1 AND c > 0 AND d = 1",
     Invalid('Clustering column "d" cannot be restricted (preceding column "c" is restricted by a non-EQ relation)')),
    ("SELECT * FROM {ks}.m WHERE a = 1 AND b = 1 AND d > 0",
     Invalid('PRIMARY KEY column "d" cannot be restricted as preceding column "c" is not restricted')),
    ("SELECT * FROM {ks}.m WHERE a = 1 AND b = 1 AND c > 0 AND d > 1",
     Invalid('Clustering column "d" cannot be restricted (preceding column "c" is restricted by a non-EQ relation)')),
    ("SELECT * FROM {ks}.m WHERE a = 1 AND b = null", Invalid("Invalid null value in condition for column b")),
    ("SELECT * FROM {ks}.m WHERE a = 1 AND v = null ALLOW FILTERING", Invalid("Unsupported null value for column v")),
]


def test_restriction_messages(session, server, ks):
    run_case(session, server, ks, MESSAGES)


def test_ordered_in_query_merges_partitions(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int, c int, v text, PRIMARY KEY (k, c))")
    for k, c in [(1, 1), (1, 3), (1, 5), (2, 2), (2, 4), (2, 6)]:
        session.execute(f"INSERT INTO {ks}.t (k, c, v) VALUES ({k}, {c}, 'v{c}')")

    def unpaged(query):
        return [tuple(r) for r in session.execute(SimpleStatement(query, fetch_size=None))]

    assert unpaged(f"SELECT k, c FROM {ks}.t WHERE k IN (1, 2) ORDER BY c DESC") == \
        [(2, 6), (1, 5), (2, 4), (1, 3), (2, 2), (1, 1)]
    assert unpaged(f"SELECT k, c FROM {ks}.t WHERE k IN (2, 1) ORDER BY c ASC LIMIT 4") == \
        [(1, 1), (2, 2), (1, 3), (2, 4)]
    # The ORDER BY column need not be selected.
    assert unpaged(f"SELECT v FROM {ks}.t WHERE k IN (1, 2) ORDER BY c DESC LIMIT 2") == [("v6",), ("v5",)]
    assert unpaged(f"SELECT JSON k, v FROM {ks}.t WHERE k IN (1, 2) ORDER BY c LIMIT 2") == \
        [('{"k": 1, "v": "v1"}',), ('{"k": 2, "v": "v2"}',)]


def test_select_star_lists_static_columns_before_regular_ones(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int, c int, v int, z int static, a int, l list<int>, PRIMARY KEY (k, c))")
    session.execute(f"INSERT INTO {ks}.t (k, c, v, z, a, l) VALUES (1, 2, 3, 4, 5, [6])")
    rows = session.execute(f"SELECT * FROM {ks}.t")
    assert rows.column_names == ["k", "c", "z", "a", "l", "v"]
    assert tuple(rows.one()) == (1, 2, 4, 5, [6], 3)


def test_unset_in_a_condition_is_refused(session, ks):
    from cassandra.query import UNSET_VALUE
    session.execute(f"CREATE TABLE {ks}.t (k int, c int, v int, a int, m map<int, int>, PRIMARY KEY (k, c))")
    update = session.prepare(f"UPDATE {ks}.t SET a = ? WHERE k = ? AND c = ? IF v = ?")
    with pytest.raises(Exception, match="Invalid 'unset' value in condition"):
        session.execute(update, (1, 1, 1, UNSET_VALUE))
    assert list(session.execute(f"SELECT * FROM {ks}.t")) == [], "nothing was written"
    in_list = session.prepare(f"UPDATE {ks}.t SET a = ? WHERE k = ? AND c = ? IF v IN ?")
    with pytest.raises(Exception, match="Invalid null list in IN condition"):
        session.execute(in_list, (1, 1, 1, None))
    element = session.prepare(f"UPDATE {ks}.t SET a = ? WHERE k = ? AND c = ? IF m[?] = 1")
    with pytest.raises(Exception, match="Invalid null value for map element access"):
        session.execute(element, (1, 1, 1, None))


def test_timestamp_tie_prefers_the_expiring_cell(session, server, ks):
    """Cassandra 4 (CASSANDRA-14592): on equal timestamps an expiring cell wins over a
    permanent one before values are compared, so the answer never depends on when cells
    are merged: the same from memtables and after a flush between the writes."""
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v int)")
    session.execute(f"INSERT INTO {ks}.t (k, v) VALUES (1, 9) USING TIMESTAMP 100")
    session.execute(f"INSERT INTO {ks}.t (k, v) VALUES (1, 1) USING TIMESTAMP 100 AND TTL 1000")
    session.execute(f"INSERT INTO {ks}.t (k, v) VALUES (2, 1) USING TIMESTAMP 100 AND TTL 1000")
    flush(server, ks)
    session.execute(f"INSERT INTO {ks}.t (k, v) VALUES (2, 9) USING TIMESTAMP 100")
    for k in (1, 2):
        row = session.execute(f"SELECT v, ttl(v) AS t FROM {ks}.t WHERE k = {k}").one()
        assert row.v == 1 and 0 < row.t <= 1000, (k, row)


INDEX_AND_CONSISTENCY = [
    "CREATE TABLE {ks}.i (k int, c int, v int, PRIMARY KEY (k, c))",
    "CREATE INDEX ON {ks}.i (v)",
    ("SELECT * FROM {ks}.i WHERE k = 1 AND v = 2 ORDER BY c DESC", Invalid("ORDER BY with 2ndary indexes is not supported.")),
    ("SELECT * FROM {ks}.i WHERE v = 2 ORDER BY c DESC", Invalid("ORDER BY with 2ndary indexes is not supported.")),
    ("SELECT c AS x FROM {ks}.i WHERE k = 1 ORDER BY x DESC", Invalid("Aliases are not allowed in order by clause ('x')")),
    ("SELECT c FROM {ks}.i WHERE k = 1 ORDER BY nope DESC", Invalid("Order by on unknown column nope")),
]


def test_index_order_and_alias_refusals(session, server, ks):
    run_case(session, server, ks, INDEX_AND_CONSISTENCY)


def test_serial_commit_consistency_is_refused_for_conditional_writes(session, ks):
    from cassandra import ConsistencyLevel
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v int)")
    insert = SimpleStatement(f"INSERT INTO {ks}.t (k, v) VALUES (1, 1) IF NOT EXISTS",
                             consistency_level=ConsistencyLevel.SERIAL)
    with pytest.raises(Exception, match="SERIAL is not supported as conditional update commit consistency"):
        session.execute(insert)


def test_element_key_messages(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, m map<int, int>, l list<int>)")
    set_map = session.prepare(f"UPDATE {ks}.t SET m[?] = 1 WHERE k = 1")
    with pytest.raises(Exception, match="Invalid null map key"):
        session.execute(set_map, (None,))
    set_list = session.prepare(f"UPDATE {ks}.t SET l[?] = 1 WHERE k = 1")
    with pytest.raises(Exception, match="Invalid null value for list index"):
        session.execute(set_list, (None,))


def test_token_of_bound_values(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (a int, b text, v int, PRIMARY KEY ((a, b)))")
    for a in range(10):
        session.execute(f"INSERT INTO {ks}.t (a, b, v) VALUES ({a}, 'x', {a})")
    literal = [tuple(r) for r in session.execute(f"SELECT a FROM {ks}.t WHERE token(a, b) > token(3, 'x')")]
    prepared = session.prepare(f"SELECT a FROM {ks}.t WHERE token(a, b) > token(?, ?)")
    assert [tuple(r) for r in session.execute(prepared, (3, "x"))] == literal
    between = session.prepare(f"SELECT a FROM {ks}.t WHERE token(a, b) >= token(?, ?) AND token(a, b) <= token(?, ?)")
    assert [tuple(r) for r in session.execute(between, (3, "x", 3, "x"))] == [(3,)]


def test_driver_batches_with_client_timestamps(session, ks):
    """Drivers put a client timestamp in every BATCH message; that is not USING TIMESTAMP,
    so conditional and counter batches are accepted (Cassandra refuses only the clause)."""
    from cassandra.query import BatchStatement, BatchType
    session.execute(f"CREATE TABLE {ks}.orders (cust int, oid int, total int, PRIMARY KEY (cust, oid))")
    session.execute(f"CREATE TABLE {ks}.hits (page text PRIMARY KEY, n counter)")
    conditional = BatchStatement()
    conditional.add(session.prepare(f"INSERT INTO {ks}.orders (cust, oid, total) VALUES (?, ?, ?) IF NOT EXISTS"), (1, 1, 5))
    assert session.execute(conditional).one()[0] is True
    counter = BatchStatement(batch_type=BatchType.COUNTER)
    counter.add(session.prepare(f"UPDATE {ks}.hits SET n = n + 1 WHERE page = ?"), ("a",))
    session.execute(counter)
    assert session.execute(f"SELECT n FROM {ks}.hits WHERE page = 'a'").one().n == 1


def test_unset_map_key_in_an_element_delete_is_refused(session, ks):
    from cassandra.query import UNSET_VALUE
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, m map<int, int>)")
    session.execute(f"INSERT INTO {ks}.t (k, m) VALUES (1, {{1: 1}})")
    delete = session.prepare(f"DELETE m[?] FROM {ks}.t WHERE k = 1")
    with pytest.raises(Exception, match="Invalid unset map key"):
        session.execute(delete, (UNSET_VALUE,))
    assert session.execute(f"SELECT m FROM {ks}.t WHERE k = 1").one().m == {1: 1}


def test_bind_markers_in_the_selection(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, m map<text, int>, s set<int>)")
    session.execute(f"INSERT INTO {ks}.t (k, m, s) VALUES (1, {{'a': 1, 'b': 2}}, {{5, 6}})")
    element = session.prepare(f"SELECT m[?], s[?] FROM {ks}.t WHERE k = ?")
    assert tuple(session.execute(element, ("b", 6, 1)).one()) == (2, 6)
    assert tuple(session.execute(element, ("zz", 7, 1)).one()) == (None, None)
    function = session.prepare(f"SELECT intAsBlob(?), k FROM {ks}.t WHERE k = 1")
    assert tuple(session.execute(function, (3,)).one()) == (b"\x00\x00\x00\x03", 1)


SELECTION_AND_WHERE_MESSAGES = [
    "CREATE TABLE {ks}.t (k int PRIMARY KEY, v int, m map<int, int>)",
    ("SELECT v AS x FROM {ks}.t WHERE x = 5 ALLOW FILTERING", Invalid("Aliases aren't allowed in the where clause ('x = 5')")),
    ("SELECT fromJson('1') FROM {ks}.t", Invalid("fromJson() cannot be used in the selection clause of a SELECT statement")),
    ("UPDATE {ks}.t SET v = 1 WHERE k = 1 IF m CONTAINS 1", Invalid("Unsupported operator CONTAINS in a condition on m")),
    ("SELECT * FROM {ks}.t WHERE token(k) > 1 AND k = 1",
     Invalid('Columns "k" cannot be restricted by both a normal relation and a token relation')),
]


def test_selection_and_where_messages(session, server, ks):
    run_case(session, server, ks, SELECTION_AND_WHERE_MESSAGES)
