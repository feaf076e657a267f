"""Server errors map to the driver's exception classes (0x2000, 0x2200, 0x2400)."""

import pytest
from cassandra import AlreadyExists, InvalidRequest
from cassandra.protocol import SyntaxException


@pytest.fixture
def table(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (k int PRIMARY KEY, v int, s text)")
    return f"{ks}.t"


@pytest.mark.parametrize("cql", [
    "SELEC * FROM system.local",
    "SELECT * FROM",
    "CREATE TABLE (k int PRIMARY KEY)",
    "INSERT INTO system.local (key) VALUES ('x'",
    "SELECT * FROM system.local WHERE key = 'local' AND AND",
    "'unterminated",
])
def test_syntax_error(session, cql):
    with pytest.raises(SyntaxException):
        session.execute(cql)


def test_syntax_error_when_preparing(session):
    with pytest.raises(SyntaxException):
        session.prepare("SELECT FROM WHERE ?")


def test_unknown_keyspace(session):
    with pytest.raises(InvalidRequest):
        session.execute("SELECT * FROM no_such_keyspace.t")
    with pytest.raises(InvalidRequest):
        session.execute("USE no_such_keyspace")
    with pytest.raises(InvalidRequest):
        session.execute("CREATE TABLE no_such_keyspace.t (k int PRIMARY KEY)")


def test_unknown_table(session, ks):
    with pytest.raises(InvalidRequest):
        session.execute(f"SELECT * FROM {ks}.no_such_table")
    with pytest.raises(InvalidRequest):
        session.execute(f"INSERT INTO {ks}.no_such_table (k) VALUES (1)")
    with pytest.raises(InvalidRequest):
        session.prepare(f"SELECT * FROM {ks}.no_such_table WHERE k = ?")


def test_unknown_column(session, table):
    with pytest.raises(InvalidRequest):
        session.execute(f"SELECT nope FROM {table} WHERE k = 1")
    with pytest.raises(InvalidRequest):
        session.execute(f"INSERT INTO {table} (k, nope) VALUES (1, 2)")
    with pytest.raises(InvalidRequest):
        session.execute(f"UPDATE {table} SET nope = 1 WHERE k = 1")


@pytest.mark.parametrize("value", ["'text'", "1.5", "0xff", "true", "2147483648"])
def test_wrong_value_type(session, table, value):
    with pytest.raises(InvalidRequest):
        session.execute(f"INSERT INTO {table} (k, v) VALUES (1, {value})")


def test_wrong_type_for_text_column(session, table):
    with pytest.raises(InvalidRequest):
        session.execute(f"INSERT INTO {table} (k, s) VALUES (1, 42)")


def test_missing_primary_key(session, table):
    with pytest.raises(InvalidRequest):
        session.execute(f"INSERT INTO {table} (v) VALUES (1)")
    with pytest.raises(InvalidRequest):
        session.execute(f"SELECT * FROM {table} WHERE v = 1")  # not a key, no ALLOW FILTERING


def test_keyspace_already_exists(session, ks):
    with pytest.raises(AlreadyExists) as err:
        session.execute(f"CREATE KEYSPACE {ks} WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    assert err.value.keyspace == ks
    assert not err.value.table
    session.execute(f"CREATE KEYSPACE IF NOT EXISTS {ks} WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}")


def test_table_already_exists(session, table):
    ks, name = table.split(".")
    with pytest.raises(AlreadyExists) as err:
        session.execute(f"CREATE TABLE {table} (k int PRIMARY KEY)")
    assert (err.value.keyspace, err.value.table) == (ks, name)
    session.execute(f"CREATE TABLE IF NOT EXISTS {table} (k int PRIMARY KEY)")


def test_drop_missing(session, ks):
    with pytest.raises(InvalidRequest):
        session.execute(f"DROP TABLE {ks}.never_created")
    session.execute(f"DROP TABLE IF EXISTS {ks}.never_created")
    with pytest.raises(InvalidRequest):
        session.execute("DROP KEYSPACE never_created_ks")
    session.execute("DROP KEYSPACE IF EXISTS never_created_ks")


def test_session_survives_errors(session, table):
    for _ in range(3):
        with pytest.raises(SyntaxException):
            session.execute("NOT CQL AT ALL")
        with pytest.raises(InvalidRequest):
            session.execute(f"SELECT nope FROM {table}")
    session.execute(f"INSERT INTO {table} (k, v) VALUES (1, 1)")
    assert session.execute(f"SELECT v FROM {table} WHERE k = 1").one().v == 1
