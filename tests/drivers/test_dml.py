"""UPDATE, DELETE (row and cell) and BATCH."""

import pytest
from cassandra.query import BatchStatement, BatchType


@pytest.fixture
def table(session, ks):
    session.execute(f"CREATE TABLE {ks}.t (p int, c int, a text, b int, PRIMARY KEY (p, c))")
    return f"{ks}.t"


def rows(session, table, p):
    return [tuple(r) for r in session.execute(f"SELECT c, a, b FROM {table} WHERE p = {p}")]


def test_update_existing_row(session, table):
    session.execute(f"INSERT INTO {table} (p, c, a, b) VALUES (1, 1, 'x', 10)")
    session.execute(f"UPDATE {table} SET a = 'y' WHERE p = 1 AND c = 1")
    assert rows(session, table, 1) == [(1, "y", 10)]
    session.execute(f"UPDATE {table} SET a = 'z', b = 11 WHERE p = 1 AND c = 1")
    assert rows(session, table, 1) == [(1, "z", 11)]


def test_update_is_an_upsert(session, table):
    session.execute(f"UPDATE {table} SET b = 5 WHERE p = 2 AND c = 7")
    assert rows(session, table, 2) == [(7, None, 5)]


def test_prepared_update(session, table):
    stmt = session.prepare(f"UPDATE {table} SET a = ?, b = ? WHERE p = ? AND c = ?")
    session.execute(stmt, ("prep", 99, 3, 1))
    assert rows(session, table, 3) == [(1, "prep", 99)]


def test_last_write_wins(session, table):
    for i in range(5):
        session.execute(f"INSERT INTO {table} (p, c, a, b) VALUES (4, 1, 'v{i}', {i})")
    assert rows(session, table, 4) == [(1, "v4", 4)]


def test_delete_row(session, table):
    for c in range(3):
        session.execute(f"INSERT INTO {table} (p, c, a, b) VALUES (5, {c}, 'r{c}', {c})")
    session.execute(f"DELETE FROM {table} WHERE p = 5 AND c = 1")
    assert rows(session, table, 5) == [(0, "r0", 0), (2, "r2", 2)]


def test_delete_partition(session, table):
    for c in range(3):
        session.execute(f"INSERT INTO {table} (p, c, a, b) VALUES (6, {c}, 'r', 1)")
    session.execute(f"DELETE FROM {table} WHERE p = 6")
    assert rows(session, table, 6) == []
    session.execute(f"INSERT INTO {table} (p, c, a, b) VALUES (6, 9, 'back', 1)")
    assert rows(session, table, 6) == [(9, "back", 1)]


def test_delete_cell(session, table):
    session.execute(f"INSERT INTO {table} (p, c, a, b) VALUES (7, 1, 'x', 10)")
    session.execute(f"DELETE a FROM {table} WHERE p = 7 AND c = 1")
    assert rows(session, table, 7) == [(1, None, 10)]
    stmt = session.prepare(f"DELETE b FROM {table} WHERE p = ? AND c = ?")
    session.execute(stmt, (7, 1))
    # the row marker from INSERT keeps the row alive with all cells null
    assert rows(session, table, 7) == [(1, None, None)]


def test_update_to_null_deletes_cell(session, table):
    session.execute(f"INSERT INTO {table} (p, c, a, b) VALUES (8, 1, 'x', 10)")
    session.execute(f"UPDATE {table} SET a = null WHERE p = 8 AND c = 1")
    assert rows(session, table, 8) == [(1, None, 10)]


@pytest.mark.parametrize("kind", ["LOGGED", "UNLOGGED"])
def test_batch_text(session, table, kind):
    logged = "" if kind == "LOGGED" else "UNLOGGED "
    session.execute(f"""
        BEGIN {logged}BATCH
          INSERT INTO {table} (p, c, a, b) VALUES (10, 1, 'one', 1);
          INSERT INTO {table} (p, c, a, b) VALUES (10, 2, 'two', 2);
          INSERT INTO {table} (p, c, a, b) VALUES (11, 1, 'other partition', 3);
          UPDATE {table} SET b = 20 WHERE p = 10 AND c = 2;
        APPLY BATCH""")
    assert rows(session, table, 10) == [(1, "one", 1), (2, "two", 20)]
    assert rows(session, table, 11) == [(1, "other partition", 3)]


@pytest.mark.parametrize("batch_type", [BatchType.LOGGED, BatchType.UNLOGGED], ids=["logged", "unlogged"])
def test_batch_of_prepared_inserts(session, table, batch_type):
    insert = session.prepare(f"INSERT INTO {table} (p, c, a, b) VALUES (?, ?, ?, ?)")
    batch = BatchStatement(batch_type=batch_type)
    for p in (20, 21, 22, 23):  # several partitions: on smp=2 they span shards
        for c in range(3):
            batch.add(insert, (p, c, f"{p}-{c}", p * c))
    batch.add(f"INSERT INTO {table} (p, c, a, b) VALUES (%s, %s, %s, %s)", (24, 0, "simple", 0))
    session.execute(batch)
    for p in (20, 21, 22, 23):
        assert rows(session, table, p) == [(c, f"{p}-{c}", p * c) for c in range(3)]
    assert rows(session, table, 24) == [(0, "simple", 0)]


def test_batch_with_delete(session, table):
    session.execute(f"INSERT INTO {table} (p, c, a, b) VALUES (30, 1, 'doomed', 1)")
    session.execute(f"""
        BEGIN UNLOGGED BATCH
          DELETE FROM {table} WHERE p = 30 AND c = 1;
          INSERT INTO {table} (p, c, a, b) VALUES (30, 2, 'new', 2);
        APPLY BATCH""")
    assert rows(session, table, 30) == [(2, "new", 2)]
