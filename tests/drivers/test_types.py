"""Every native scalar type round-trips: CQL literal INSERT, prepared INSERT, and SELECT."""

import datetime
import math
import uuid
from decimal import Decimal

import pytest
from cassandra.util import Date, Duration, Time

# (type, CQL literal, value the driver must return). Literals are written by hand,
# not by the driver's encoder, so the server's literal parser is what is tested.
CASES = [
    ("ascii", "'hello ascii'", "hello ascii"),
    ("ascii", "''", ""),
    ("bigint", "-9223372036854775808", -2**63),
    ("bigint", "9223372036854775807", 2**63 - 1),
    ("blob", "0xcafebabe00ff", b"\xca\xfe\xba\xbe\x00\xff"),
    ("blob", "0x", b""),
    ("boolean", "true", True),
    ("boolean", "false", False),
    ("date", "'2024-02-29'", Date(datetime.date(2024, 2, 29))),
    ("date", "'1970-01-01'", Date(datetime.date(1970, 1, 1))),
    ("date", "'1900-12-31'", Date(datetime.date(1900, 12, 31))),
    ("decimal", "-123.4500", Decimal("-123.4500")),
    ("decimal", "12345678901234567890.123456789", Decimal("12345678901234567890.123456789")),
    ("decimal", "0", Decimal("0")),
    ("double", "-1.5E300", -1.5e300),
    ("double", "0.1", 0.1),
    ("double", "NaN", math.nan),
    ("double", "Infinity", math.inf),
    ("double", "-Infinity", -math.inf),
    ("float", "3.5", 3.5),
    ("float", "-0.25", -0.25),
    ("float", "NaN", math.nan),
    ("float", "-Infinity", -math.inf),
    ("inet", "'127.0.0.1'", "127.0.0.1"),
    ("inet", "'255.255.255.255'", "255.255.255.255"),
    ("inet", "'::1'", "::1"),
    ("inet", "'2001:db8::ff00:42:8329'", "2001:db8::ff00:42:8329"),
    ("int", "-2147483648", -2**31),
    ("int", "2147483647", 2**31 - 1),
    ("smallint", "-32768", -2**15),
    ("smallint", "32767", 2**15 - 1),
    ("text", "'héllo wörld ✓ 日本語 🚀'", "héllo wörld ✓ 日本語 🚀"),
    ("text", "'it''s quoted'", "it's quoted"),
    ("text", "$$dollar 'quoted'$$", "dollar 'quoted'"),
    ("text", "''", ""),
    ("time", "'13:45:30.123456789'", Time(49530123456789)),
    ("time", "'00:00:00'", Time(0)),
    ("time", "'23:59:59.999999999'", Time(86399999999999)),
    ("timestamp", "'2024-01-02 03:04:05.678+0000'", datetime.datetime(2024, 1, 2, 3, 4, 5, 678000)),
    ("timestamp", "1700000000123", datetime.datetime(2023, 11, 14, 22, 13, 20, 123000)),
    ("timestamp", "'1969-12-31 23:59:59.000+0000'", datetime.datetime(1969, 12, 31, 23, 59, 59)),
    ("timeuuid", "50554d6e-29bb-11e5-b345-feff819cdc9f", uuid.UUID("50554d6e-29bb-11e5-b345-feff819cdc9f")),
    ("tinyint", "-128", -128),
    ("tinyint", "127", 127),
    ("uuid", "123e4567-e89b-12d3-a456-426614174000", uuid.UUID("123e4567-e89b-12d3-a456-426614174000")),
    ("uuid", "00000000-0000-0000-0000-000000000000", uuid.UUID(int=0)),
    ("varchar", "'varchar ✓'", "varchar ✓"),
    ("varint", "-123456789012345678901234567890", -123456789012345678901234567890),
    ("varint", "0", 0),
    ("varint", "18446744073709551616", 2**64),
    ("duration", "1y2mo3w4d5h6m7s8ms9us10ns",
     Duration(months=14, days=25, nanoseconds=((5 * 60 + 6) * 60 + 7) * 10**9 + 8 * 10**6 + 9 * 10**3 + 10)),
    ("duration", "-3d", Duration(months=0, days=-3, nanoseconds=0)),
    ("duration", "P1Y2M3DT4H5M6S", Duration(months=14, days=3, nanoseconds=(4 * 3600 + 5 * 60 + 6) * 10**9)),
]

TYPES = sorted({t for t, _, _ in CASES})
IDS = [f"{t}-{i}" for i, (t, _, _) in enumerate(CASES)]


def col(cql_type):
    return f"c_{cql_type}"


def same(actual, expected):
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    if isinstance(expected, Decimal):  # scale matters: -123.4500 is not -123.45 on the wire
        return isinstance(actual, Decimal) and actual.as_tuple() == expected.as_tuple()
    return type(actual) is type(expected) and actual == expected


@pytest.fixture(scope="module")
def types_table(server2):
    """A table with one column per type, in its own keyspace and driver session."""
    from support import connect
    cluster, session = connect(server2)
    session.execute("CREATE KEYSPACE IF NOT EXISTS ks_types WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    columns = ", ".join(f"{col(t)} {t}" for t in TYPES)
    session.execute(f"CREATE TABLE IF NOT EXISTS ks_types.all_types (k int PRIMARY KEY, {columns})")
    yield session, "ks_types.all_types"
    cluster.shutdown()


def read_back(session, table, k, cql_type):
    row = session.execute(f"SELECT {col(cql_type)} FROM {table} WHERE k = {k}").one()
    assert row is not None, f"row k={k} not found"
    return row[0]


@pytest.mark.parametrize("case", range(len(CASES)), ids=IDS)
def test_literal_insert_round_trips(types_table, case):
    session, table = types_table
    cql_type, literal, expected = CASES[case]
    k = 1000 + case
    session.execute(f"INSERT INTO {table} (k, {col(cql_type)}) VALUES ({k}, {literal})")
    actual = read_back(session, table, k, cql_type)
    assert same(actual, expected), f"{cql_type} literal {literal}: got {actual!r}, want {expected!r}"


@pytest.mark.parametrize("case", range(len(CASES)), ids=IDS)
def test_prepared_insert_round_trips(types_table, case):
    session, table = types_table
    cql_type, _, expected = CASES[case]
    k = 2000 + case
    insert = session.prepare(f"INSERT INTO {table} (k, {col(cql_type)}) VALUES (?, ?)")
    session.execute(insert, (k, expected))
    select = session.prepare(f"SELECT {col(cql_type)} FROM {table} WHERE k = ?")
    actual = session.execute(select, (k,)).one()[0]
    assert same(actual, expected), f"{cql_type}: got {actual!r}, want {expected!r}"


@pytest.mark.parametrize("cql_type", TYPES)
def test_null_literal_and_null_bind(types_table, cql_type):
    session, table = types_table
    k = 3000 + TYPES.index(cql_type)
    session.execute(f"INSERT INTO {table} (k, {col(cql_type)}) VALUES ({k}, null)")
    assert read_back(session, table, k, cql_type) is None
    insert = session.prepare(f"INSERT INTO {table} (k, {col(cql_type)}) VALUES (?, ?)")
    session.execute(insert, (k + 100, None))
    assert read_back(session, table, k + 100, cql_type) is None


def test_all_columns_in_one_row(types_table):
    """One INSERT of every type at once; SELECT * returns each column with its value."""
    session, table = types_table
    first = {}
    for cql_type, literal, expected in CASES:
        first.setdefault(cql_type, (literal, expected))
    names = ", ".join(col(t) for t in TYPES)
    literals = ", ".join(first[t][0] for t in TYPES)
    session.execute(f"INSERT INTO {table} (k, {names}) VALUES (1, {literals})")
    row = session.execute(f"SELECT * FROM {table} WHERE k = 1").one()
    assert row is not None
    got = row._asdict()
    assert set(got) == {"k"} | {col(t) for t in TYPES}
    for t in TYPES:
        assert same(got[col(t)], first[t][1]), f"{t}: got {got[col(t)]!r}, want {first[t][1]!r}"

    # The result metadata carries the right CQL types.
    rs = session.execute(f"SELECT * FROM {table} WHERE k = 1")
    coltypes = dict(zip(rs.column_names, (t.typename for t in rs.column_types)))
    for t in TYPES:
        allowed = {"text", "varchar"} if t in ("text", "varchar") else {t}  # aliases
        assert coltypes[col(t)] in allowed, f"{col(t)} described as {coltypes[col(t)]}"


def test_missing_row_is_empty(types_table):
    session, table = types_table
    assert session.execute(f"SELECT * FROM {table} WHERE k = -1").one() is None
