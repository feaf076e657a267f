"""Memtables flushed to SSTables: by `percore nodetool flush` and automatically under
memory pressure; data read back from SSTables merged with memtables, after kill -9 and
restarts with another shard count; TRUNCATE removes flushed data too."""

import random
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from percore_harness import Metrics, server_binary
from support import connect, stop_checked


def nodetool(server, *args):
    cmd = [str(server_binary()), "nodetool", "-p", str(server.prometheus_port), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def metric_total(server, name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{server.prometheus_port}/metrics", timeout=10).read().decode()
    return Metrics(text).total(name)


def sstable_files(data_dir):
    return sorted(Path(data_dir, "data").rglob("*-Data.db"))


def rows_of(server, table):
    cluster, session = connect(server)
    try:
        return {tuple(r[:-1]): r[-1] for r in session.execute(f"SELECT * FROM {table}")}
    finally:
        cluster.shutdown()


def test_nodetool_flush_then_restart_with_other_smp(percore_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=2, data_dir=data_dir)
    cluster, session = connect(server)
    session.execute("CREATE KEYSPACE fl WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE fl.t (p int, c int, v text, PRIMARY KEY (p, c))")
    insert = session.prepare("INSERT INTO fl.t (p, c, v) VALUES (?, ?, ?)")
    expected = {}
    for p in range(50):
        for c in range(20):
            session.execute(insert, (p, c, f"old-{p}-{c}"))
            expected[(p, c)] = f"old-{p}-{c}"
    assert nodetool(server, "flush", "nope").returncode != 0, "an unknown keyspace is an error"
    result = nodetool(server, "flush", "fl", "t")
    assert result.returncode == 0, result.stderr
    assert sstable_files(data_dir), "flush wrote no SSTable"
    assert metric_total(server, "percore_memtable_flushes_total") >= 1
    # Newer writes and deletes live in the memtable, over the flushed data.
    for p in range(0, 50, 5):
        session.execute("UPDATE fl.t SET v = %s WHERE p = %s AND c = 0", (f"new-{p}", p))
        expected[(p, 0)] = f"new-{p}"
    session.execute("DELETE FROM fl.t WHERE p = 7")
    for c in range(20):
        expected.pop((7, c))
    session.execute("DELETE FROM fl.t WHERE p = 8 AND c = 3")
    expected.pop((8, 3))
    cluster.shutdown()
    assert rows_of(server, "fl.t") == expected

    for smp in (3, 1):
        server.kill()
        server.smp = smp
        server.start()
        assert rows_of(server, "fl.t") == expected, f"after kill -9 and restart with --smp {smp}"
        cluster, session = connect(server)
        for p in (1, 7, 8):  # point reads merge SSTables and memtables
            got = {r.c: r.v for r in session.execute("SELECT c, v FROM fl.t WHERE p = %s", (p,))}
            assert got == {c: v for (pp, c), v in expected.items() if pp == p}
        cluster.shutdown()
        assert nodetool(server, "flush").returncode == 0

    cluster, session = connect(server)
    session.execute("TRUNCATE fl.t")
    cluster.shutdown()
    assert rows_of(server, "fl.t") == {}
    server.kill()
    server.start()
    assert rows_of(server, "fl.t") == {}, "truncated data must not come back from SSTables"
    stop_checked(server)


def test_fresh_shard_flushes_and_reads_back_its_sstables(percore_factory, tmp_path):
    """A shard whose first DMA file is an empty one (a new commitlog segment) must still read
    the SSTables it flushes: glommio settles io_uring polling per device on the first file a
    shard opens, and an empty file used to make it pick the poll ring, which this disk does
    not support (reads then failed with EOPNOTSUPP). Each restart gives shards with no SSTable
    of the table yet, so every cycle flushes from fresh shards."""
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=2, data_dir=data_dir)
    cluster, session = connect(server)
    session.execute("CREATE KEYSPACE fresh WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE fresh.t (k int PRIMARY KEY, v text)")
    cluster.shutdown()
    expected = {}
    # One key per cycle: after the first cycle one shard starts with no SSTable of the table
    # (keys 0 and 2 are owned by different shards at --smp 2).
    for cycle, k in enumerate((0, 2, 5, 7)):
        cluster, session = connect(server)
        session.execute("INSERT INTO fresh.t (k, v) VALUES (%s, %s)", (k, f"v{k}"))
        expected[k] = f"v{k}"
        cluster.shutdown()
        result = nodetool(server, "flush", "fresh", "t")
        assert result.returncode == 0, f"cycle {cycle}: {result.stderr}"
        assert {k: v for (k,), v in rows_of(server, "fresh.t").items()} == expected, f"cycle {cycle}"
        stop_checked(server)
        server.start()
    assert {k: v for (k,), v in rows_of(server, "fresh.t").items()} == expected
    stop_checked(server)


def test_memtables_flush_under_memory_pressure(percore_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=2, data_dir=data_dir, extra_args=["--memory", "64M"])
    cluster, session = connect(server)
    session.execute("CREATE KEYSPACE mp WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE mp.blobs (k int PRIMARY KEY, v blob)")
    insert = session.prepare("INSERT INTO mp.blobs (k, v) VALUES (?, ?)")
    rng = random.Random(7)
    expected = {}
    value = bytes(rng.getrandbits(8) for _ in range(4096))
    for k in range(6000):  # ~24 MiB: several times the memtable flush threshold
        if k % 1000 == 0:
            print("written", k, flush=True)
        session.execute(insert, (k, value[k % 64:] + k.to_bytes(4, "big")))
        expected[k] = value[k % 64:] + k.to_bytes(4, "big")
    cluster.shutdown()
    assert metric_total(server, "percore_memtable_flushes_total") >= 2, "memory pressure must trigger flushes"
    assert len(sstable_files(data_dir)) >= 2
    got = {r.k: r.v for r in connect_and_select(server, "SELECT k, v FROM mp.blobs")}
    assert got == expected
    server.kill()
    server.start()
    got = {r.k: r.v for r in connect_and_select(server, "SELECT k, v FROM mp.blobs")}
    assert got == expected, "after kill -9: flushed data from SSTables, the rest from the commitlog"
    stop_checked(server)


def connect_and_select(server, query):
    cluster, session = connect(server)
    try:
        return list(session.execute(query))
    finally:
        cluster.shutdown()


def test_failed_flush_keeps_data_and_is_retried(percore_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=1, data_dir=data_dir)
    cluster, session = connect(server)
    session.execute("CREATE KEYSPACE ff WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE ff.t (k int PRIMARY KEY, v text)")
    table_id = session.execute(
        "SELECT id FROM system_schema.tables WHERE keyspace_name = 'ff' AND table_name = 't'").one().id
    insert = session.prepare("INSERT INTO ff.t (k, v) VALUES (?, ?)")
    for k in range(300):
        session.execute(insert, (k, f"v{k}"))
    cluster.shutdown()

    # A file where the shard's SSTable directory must go makes the flush fail.
    blocker = Path(data_dir, "data", "ff", f"t-{table_id.hex}", "shard-0-of-1")
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a directory")
    result = nodetool(server, "flush", "ff", "t")
    assert result.returncode != 0, "the flush must report the failure"
    assert len(rows_of(server, "ff.t")) == 300, "the sealed memtable stays readable"

    blocker.unlink()  # the disk "recovers": the background retry must finish the flush
    deadline = time.monotonic() + 10
    while not sstable_files(data_dir):
        assert time.monotonic() < deadline, "the failed flush was never retried"
        time.sleep(0.1)
    server.kill()
    server.start()
    assert len(rows_of(server, "ff.t")) == 300
    stop_checked(server)


def test_flipped_bit_in_a_data_block_is_an_error_never_wrong_data(percore_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=1, data_dir=data_dir)
    cluster, session = connect(server)
    session.execute("CREATE KEYSPACE bf WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE bf.t (k int PRIMARY KEY, v text) WITH compression = {'enabled': 'false'}")
    insert = session.prepare("INSERT INTO bf.t (k, v) VALUES (?, ?)")
    expected = {k: f"value-{k}-" + "x" * (k % 300) for k in range(3000)}
    for k, v in expected.items():
        session.execute(insert, (k, v))
    cluster.shutdown()
    assert nodetool(server, "flush").returncode == 0
    stop_checked(server)

    [data_file] = sstable_files(data_dir)
    raw = bytearray(data_file.read_bytes())
    raw[len(raw) // 2] ^= 0x10  # one bit, in the middle of some data block's payload
    data_file.write_bytes(bytes(raw))

    server.start()
    cluster, session = connect(server)
    select = session.prepare("SELECT v FROM bf.t WHERE k = ?")
    failed = 0
    for k, v in expected.items():
        try:
            row = session.execute(select, (k,)).one()
        except Exception as e:  # noqa: BLE001 - the driver raises its server-error type
            assert "corrupt" in str(e).lower(), e
            failed += 1
            continue
        assert row is not None and row.v == v, f"row {k}: wrong data from a corrupt SSTable"
    assert 0 < failed < len(expected), f"{failed} reads failed: only the damaged block's partitions should"
    with pytest.raises(Exception, match="(?i)corrupt"):
        list(session.execute("SELECT * FROM bf.t"))  # a scan reaching the block fails too
    session.execute(insert, (5000, "newer"))
    cluster.shutdown()
    log = Path(server.log_path).read_text()
    assert str(data_file) in log and "corrupt" in log.lower(), "the damaged file is named in the log"
    # A compaction reading the damaged input fails and keeps it (no data is dropped).
    assert nodetool(server, "flush").returncode == 0
    assert nodetool(server, "compact").returncode != 0
    assert metric_total(server, "percore_compaction_failures_total") >= 1
    assert data_file.exists() and len(sstable_files(data_dir)) == 2
