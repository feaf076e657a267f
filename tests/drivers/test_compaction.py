"""Compaction against the real binary: size-tiered compaction starts by itself after
flushes; `percore nodetool compact` merges a table into one SSTable per shard; tombstones
are purged only after gc_grace_seconds; leveled and time-window tables keep their data;
a kill -9 during compaction loses nothing and leaves no garbage; DROP TABLE deletes the
table's SSTables."""

import random
import string
import subprocess
import time
from pathlib import Path

import pytest

from percore_harness import server_binary
from support import connect
from test_flush_sstables import metric_total, nodetool, rows_of, sstable_files

KS = "CREATE KEYSPACE {} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}"


def wait_for(predicate, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def write_and_flush(server, session, table, rounds, rows_per_round, expected, start=0):
    """`rounds` flushes, each of `rows_per_round` fresh rows (and some overwrites)."""
    insert = session.prepare(f"INSERT INTO {table} (p, c, v) VALUES (?, ?, ?)")
    for r in range(rounds):
        for i in range(rows_per_round):
            p, c = (start + r * rows_per_round + i) % 97, start + r * rows_per_round + i
            v = f"r{start + r}-{i}"
            session.execute(insert, (p, c, v))
            expected[(p, c)] = v
        overwritten = random.choice(sorted(expected))
        session.execute(insert, (*overwritten, f"over-{r}"))
        expected[overwritten] = f"over-{r}"
        result = nodetool(server, "flush")
        assert result.returncode == 0, result.stderr


def test_size_tiered_compacts_by_itself_and_major_compaction(percore_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=2, data_dir=data_dir)
    cluster, session = connect(server)
    session.execute(KS.format("stcs"))
    session.execute("CREATE TABLE stcs.t (p int, c int, v text, PRIMARY KEY (p, c))")
    expected = {}
    write_and_flush(server, session, "stcs.t", 3, 200, expected)
    assert metric_total(server, "percore_compactions_total") == 0, "3 similar SSTables are below min_threshold"
    per_shard_before = metric_total(server, "percore_sstables")
    assert per_shard_before == 6  # 3 flushes x 2 shards
    write_and_flush(server, session, "stcs.t", 1, 200, expected, start=3)
    # The fourth similar-sized SSTable on each shard triggers a size-tiered compaction.
    wait_for(lambda: metric_total(server, "percore_compactions_total") >= 2, what="background compactions")
    wait_for(lambda: metric_total(server, "percore_sstables") == 2, what="one SSTable per shard")
    assert rows_of(server, "stcs.t") == expected

    write_and_flush(server, session, "stcs.t", 2, 100, expected, start=10)
    assert metric_total(server, "percore_sstables") == 6
    result = nodetool(server, "compact", "stcs", "t")
    assert result.returncode == 0, result.stderr
    assert metric_total(server, "percore_sstables") == 2, "a major compaction leaves one SSTable per shard"
    assert len(sstable_files(data_dir)) == 2
    assert metric_total(server, "percore_compaction_failures_total") == 0
    assert nodetool(server, "compact", "nope").returncode != 0, "an unknown keyspace is an error"
    cluster.shutdown()
    assert rows_of(server, "stcs.t") == expected
    server.kill()
    server.start()
    assert rows_of(server, "stcs.t") == expected, "compacted SSTables after kill -9 and restart"


# (gc_grace_seconds, SSTables left per shard after deleting everything and compacting)
@pytest.mark.parametrize("gc_grace, sstables_left", [(0, 0), (864000, 1)], ids=["gc_grace_0", "gc_grace_default"])
def test_tombstones_purged_only_after_gc_grace(percore_factory, gc_grace, sstables_left):
    server = percore_factory.start(smp=1)
    cluster, session = connect(server)
    session.execute(KS.format("gc"))
    session.execute(f"CREATE TABLE gc.t (p int, c int, v text, PRIMARY KEY (p, c)) WITH gc_grace_seconds = {gc_grace}")
    for p in range(20):
        for c in range(5):
            session.execute("INSERT INTO gc.t (p, c, v) VALUES (%s, %s, 'x')", (p, c))
    assert nodetool(server, "flush").returncode == 0
    for p in range(20):
        if p % 2:
            session.execute("DELETE FROM gc.t WHERE p = %s", (p,))
        else:
            session.execute("DELETE FROM gc.t WHERE p = %s AND c >= 0", (p,))  # range tombstones
    assert nodetool(server, "flush").returncode == 0
    time.sleep(1.1)  # local deletion times are in seconds: let them be strictly in the past
    assert nodetool(server, "compact", "gc").returncode == 0
    assert metric_total(server, "percore_sstables") == sstables_left
    assert list(session.execute("SELECT * FROM gc.t")) == []
    session.execute("INSERT INTO gc.t (p, c, v) VALUES (1, 1, 'back')")
    assert [tuple(r) for r in session.execute("SELECT * FROM gc.t")] == [(1, 1, "back")]
    cluster.shutdown()


def test_tombstone_kept_while_older_data_is_outside_the_compaction(percore_factory):
    """A big SSTable holds a partition; small SSTables hold its deletion and other
    deletions. Size-tiered compaction merges the small ones without the big one: past
    gc_grace the other tombstones go, but the one shadowing data in the big SSTable stays."""
    server = percore_factory.start(smp=1)
    cluster, session = connect(server)
    session.execute(KS.format("ov"))
    session.execute(
        "CREATE TABLE ov.t (p int, c int, v text, PRIMARY KEY (p, c)) WITH gc_grace_seconds = 0 "
        "AND compaction = {'class': 'SizeTieredCompactionStrategy', 'min_threshold': 2, 'min_sstable_size': 1}"
    )
    rng = random.Random(3)
    for c in range(300):  # a large SSTable holding p = 1 (incompressible values)
        big = "".join(rng.choices(string.ascii_letters, k=2000))
        session.execute("INSERT INTO ov.t (p, c, v) VALUES (1, %s, %s)", (c, big))
    assert nodetool(server, "flush").returncode == 0
    for p in (1, 2):  # two small SSTables of one tier: compacted together within gc_grace
        session.execute("DELETE FROM ov.t WHERE p = %s", (p,))
        assert nodetool(server, "flush").returncode == 0
    wait_for(lambda: metric_total(server, "percore_compactions_total") >= 1, what="a size-tiered compaction")
    time.sleep(1.1)  # local deletion times are in seconds: now they are past gc_grace (0)
    for p in (3, 4):
        session.execute("DELETE FROM ov.t WHERE p = %s", (p,))
    assert nodetool(server, "flush").returncode == 0
    wait_for(lambda: metric_total(server, "percore_compactions_total") >= 2, what="a second compaction")
    assert metric_total(server, "percore_sstables") == 2, "the big SSTable and the small tier's output"
    assert list(session.execute("SELECT p, c FROM ov.t")) == [], "the deleted partition must not come back"
    # p = 2's tombstone went; p = 1's stayed (and p = 3, 4's: this second's). Once they are
    # all past gc_grace, a major compaction (with the big SSTable) purges everything.
    time.sleep(1.1)
    assert nodetool(server, "compact").returncode == 0
    assert metric_total(server, "percore_sstables") == 0
    assert list(session.execute("SELECT p, c FROM ov.t")) == []
    cluster.shutdown()


@pytest.mark.parametrize("compaction", [
    "{'class': 'LeveledCompactionStrategy', 'sstable_size_in_mb': 1}",
    "{'class': 'TimeWindowCompactionStrategy', 'compaction_window_unit': 'MINUTES', 'compaction_window_size': 1}",
], ids=["leveled", "time_window"])
def test_other_strategies_keep_every_row(percore_factory, tmp_path, compaction):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=1, data_dir=data_dir)
    cluster, session = connect(server)
    session.execute(KS.format("st"))
    session.execute(f"CREATE TABLE st.t (p int, c int, v text, PRIMARY KEY (p, c)) WITH compaction = {compaction}")
    expected = {}
    write_and_flush(server, session, "st.t", 6, 300, expected)
    wait_for(lambda: metric_total(server, "percore_compactions_total") >= 1, what="a background compaction")
    assert rows_of(server, "st.t") == expected
    assert nodetool(server, "compact", "st", "t").returncode == 0
    assert rows_of(server, "st.t") == expected
    assert metric_total(server, "percore_compaction_failures_total") == 0
    cluster.shutdown()
    server.kill()
    server.start()
    assert rows_of(server, "st.t") == expected


def test_unknown_compaction_class_is_refused(server1):
    cluster, session = connect(server1)
    session.execute(KS.format("badc"))
    with pytest.raises(Exception, match=r"Unable to find compaction strategy class '(org\.apache\.cassandra\.db\.compaction\.)?NoSuchStrategy'"):
        session.execute("CREATE TABLE badc.t (p int PRIMARY KEY) WITH compaction = {'class': 'NoSuchStrategy'}")
    cluster.shutdown()


def test_kill_during_compaction_loses_nothing(percore_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=1, data_dir=data_dir)
    cluster, session = connect(server)
    session.execute(KS.format("kc"))
    session.execute("CREATE TABLE kc.t (p int, c int, v text, PRIMARY KEY (p, c)) WITH gc_grace_seconds = 0")
    expected = {}
    write_and_flush(server, session, "kc.t", 3, 2000, expected)
    for p in range(0, 97, 3):  # deletions whose shadowed rows live in other SSTables
        session.execute("DELETE FROM kc.t WHERE p = %s", (p,))
        expected = {k: v for k, v in expected.items() if k[0] != p}
    assert nodetool(server, "flush").returncode == 0
    cluster.shutdown()
    rng = random.Random(7)
    for attempt in range(3):
        compact = subprocess.Popen(
            [*nodetool_command(server), "compact"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.0, 0.3))
        server.kill()
        compact.wait(timeout=30)
        server.start()
        assert rows_of(server, "kc.t") == expected, f"attempt {attempt}"
        leftovers = [p for p in Path(data_dir, "data").rglob("*") if p.name.endswith((".tmp", ".log"))]
        assert leftovers == [], "start-up finishes or removes interrupted compactions"


def nodetool_command(server):
    return [str(server_binary()), "nodetool", "-p", str(server.prometheus_port)]


def test_drop_table_deletes_its_sstables(percore_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=2, data_dir=data_dir)
    cluster, session = connect(server)
    session.execute(KS.format("dr"))
    session.execute("CREATE TABLE dr.gone (p int PRIMARY KEY, v int)")
    session.execute("CREATE TABLE dr.kept (p int PRIMARY KEY, v int)")
    for p in range(100):
        session.execute("INSERT INTO dr.gone (p, v) VALUES (%s, 1)", (p,))
        session.execute("INSERT INTO dr.kept (p, v) VALUES (%s, 2)", (p,))
    assert nodetool(server, "flush").returncode == 0
    assert any("gone-" in str(f) for f in sstable_files(data_dir))
    session.execute("DROP TABLE dr.gone")
    wait_for(lambda: not any("gone-" in str(f) for f in sstable_files(data_dir)), what="the dropped SSTables' removal")
    assert any("kept-" in str(f) for f in sstable_files(data_dir))
    assert session.execute("SELECT count(*) FROM dr.kept").one()[0] == 100
    cluster.shutdown()
