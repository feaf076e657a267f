"""Counter tables: increments and decrements, counter batches, the refusals Cassandra
gives, no lost update under concurrent clients on every shard, and totals that survive
flushes and kill -9 (statement tables: see statement_tables.py)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from statement_tables import Invalid, run_case, with_flushes
from support import connect

COUNTERS = [
    "CREATE TABLE {ks}.c (k int, c int, hits counter, misses counter, PRIMARY KEY (k, c))",
    "UPDATE {ks}.c SET hits = hits + 1 WHERE k = 1 AND c = 1",
    "UPDATE {ks}.c SET hits = hits + 2 WHERE k = 1 AND c = 1",
    "UPDATE {ks}.c SET hits = hits - 5, misses = misses + 1 WHERE k = 1 AND c = 1",
    "UPDATE {ks}.c SET misses = misses + 3 WHERE k = 1 AND c = 2",
    ("SELECT c, hits, misses FROM {ks}.c WHERE k = 1", [(1, -2, 1), (2, None, 3)]),
    "UPDATE {ks}.c SET hits = hits + -1 WHERE k = 1 AND c = 1",
    ("SELECT hits FROM {ks}.c WHERE k = 1 AND c = 1", [(-3,)]),
    "BEGIN COUNTER BATCH UPDATE {ks}.c SET hits = hits + 10 WHERE k = 2 AND c = 1; "
    "UPDATE {ks}.c SET hits = hits + 5 WHERE k = 2 AND c = 1; APPLY BATCH",
    ("SELECT hits FROM {ks}.c WHERE k = 2", [(15,)]),
    "DELETE FROM {ks}.c WHERE k = 2",
    ("SELECT hits FROM {ks}.c WHERE k = 2", []),
    # A deletion always beats counter updates (Cassandra cannot order them): it stays deleted.
    "UPDATE {ks}.c SET hits = hits + 1 WHERE k = 2 AND c = 1",
    ("SELECT hits FROM {ks}.c WHERE k = 2", []),
    ("SELECT count(*) FROM {ks}.c", [(2,)]),
]

REFUSALS = [
    "CREATE TABLE {ks}.c (k int PRIMARY KEY, n counter)",
    "CREATE TABLE {ks}.r (k int PRIMARY KEY, v int)",
    ("CREATE TABLE {ks}.mixed (k int PRIMARY KEY, n counter, v int)",
     Invalid("Cannot mix counter and non counter columns in the same table")),
    ("INSERT INTO {ks}.c (k, n) VALUES (1, 1)",
     Invalid("INSERT statements are not allowed on counter tables, use UPDATE instead")),
    ("UPDATE {ks}.c SET n = 5 WHERE k = 1",
     Invalid("Cannot set the value of counter column n (counters can only be incremented/decremented, not set)")),
    ("UPDATE {ks}.c USING TIMESTAMP 5 SET n = n + 1 WHERE k = 1",
     Invalid("Cannot provide custom timestamp for counter updates")),
    ("UPDATE {ks}.c USING TTL 5 SET n = n + 1 WHERE k = 1", Invalid("Cannot provide custom TTL for counter updates")),
    ("BEGIN BATCH UPDATE {ks}.c SET n = n + 1 WHERE k = 1; APPLY BATCH",
     Invalid("Cannot include a counter statement in a logged batch")),
    ("BEGIN COUNTER BATCH UPDATE {ks}.r SET v = 1 WHERE k = 1; APPLY BATCH",
     Invalid("Cannot include non-counter statement in a counter batch")),
    ("BEGIN UNLOGGED BATCH UPDATE {ks}.c SET n = n + 1 WHERE k = 1; UPDATE {ks}.r SET v = 1 WHERE k = 1; APPLY BATCH",
     Invalid("Counter and non-counter mutations cannot exist in the same batch")),
    ("SELECT n FROM {ks}.c", []),
]

CASES = {"counters": COUNTERS, "refusals": REFUSALS}


@pytest.mark.parametrize("flushed", [False, True], ids=["memtable", "flushed"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_counter_semantics(session, server, ks, case, flushed):
    steps = CASES[case]
    run_case(session, server, ks, with_flushes(steps) if flushed else steps)


def test_concurrent_increments_lose_nothing(session2, ks2):
    """8 clients × 100 increments on 16 partitions (both shards), interleaved."""
    session2.execute(f"CREATE TABLE {ks2}.c (k int PRIMARY KEY, n counter)")
    increment = session2.prepare(f"UPDATE {ks2}.c SET n = n + ? WHERE k = ?")

    def client(i):
        futures = [session2.execute_async(increment, (1 + (j % 3), j % 16)) for j in range(100)]
        for f in futures:
            f.result()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(client, range(8)))
    expected = {k: 0 for k in range(16)}
    for j in range(100):
        expected[j % 16] += 8 * (1 + (j % 3))
    got = {r.k: r.n for r in session2.execute(f"SELECT k, n FROM {ks2}.c")}
    assert got == expected


def test_counters_survive_kill_and_restart(percore_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=2, data_dir=data_dir)
    cluster, session = connect(server)
    session.execute("CREATE KEYSPACE cs WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE cs.c (k int PRIMARY KEY, n counter)")
    increment = session.prepare("UPDATE cs.c SET n = n + 1 WHERE k = ?")
    for round_ in range(3):
        for k in range(20):
            session.execute(increment, (k,))
    cluster.shutdown()
    server.kill()
    server = percore_factory.start(smp=1, data_dir=data_dir)
    cluster, session = connect(server)
    assert {r.k: r.n for r in session.execute("SELECT k, n FROM cs.c")} == {k: 3 for k in range(20)}
    for k in range(20):
        session.execute(session.prepare("UPDATE cs.c SET n = n + 1 WHERE k = ?"), (k,))
    assert {r.k: r.n for r in session.execute("SELECT k, n FROM cs.c")} == {k: 4 for k in range(20)}
    cluster.shutdown()
