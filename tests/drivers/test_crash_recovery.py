"""Acknowledged means durable: kill -9 the real server during a write workload, restart it,
and check against a model of what was acknowledged — in both commitlog sync modes.

Iterations and seed: PERCORE_CRASH_ITERATIONS (default 4 per mode), PERCORE_CRASH_SEED.
The long soak is the same test with more iterations (see tests/README.md)."""

import os
import random
import subprocess
import threading
import time
from pathlib import Path

import pytest

from percore_harness import server_binary
from support import connect, stop_checked

ITERATIONS = int(os.environ.get("PERCORE_CRASH_ITERATIONS", "4"))
SEED = int(os.environ.get("PERCORE_CRASH_SEED", "20261121"))
IN_FLIGHT = 64
KEYS_PER_ITERATION = 1_000_000


FIRST_ACK_WAIT_SECONDS = 30


class Writer:
    """Writes unique keys with bounded concurrency, recording what was acknowledged."""

    def __init__(self, session, insert, base):
        self.session, self.insert, self.base = session, insert, base
        self.sent, self.acked = {}, {}
        self.lock = threading.Lock()
        self.window = threading.Semaphore(IN_FLIGHT)
        self.stop = threading.Event()
        self.first_ack = threading.Event()

    def run(self):
        i = 0
        while not self.stop.is_set():
            if not self.window.acquire(timeout=0.2):
                continue
            key, value = self.base + i, f"v{self.base + i}"
            i += 1
            with self.lock:
                self.sent[key] = value
            future = self.session.execute_async(self.insert, (key, value))
            future.add_callbacks(self._acked, self._failed, callback_args=(key, value))

    def _acked(self, _rows, key, value):
        with self.lock:
            self.acked[key] = value
        self.first_ack.set()
        self.window.release()

    def _failed(self, _exc):
        self.window.release()


def flush_repeatedly(server, stop):
    """`nodetool flush` in a loop: SSTables appear and (every few flushes) compactions run
    while the node is killed."""
    command = [str(server_binary()), "nodetool", "-p", str(server.prometheus_port), "flush"]
    while not stop.is_set():
        subprocess.run(command, capture_output=True, timeout=30)
        stop.wait(0.05)


def crash_once(server, rng, base, flushing=False):
    cluster, session = connect(server)
    writer = None
    try:
        insert = session.prepare("INSERT INTO crash.kv (k, v) VALUES (?, ?)")
        writer = Writer(session, insert, base)
        threads = [threading.Thread(target=writer.run, daemon=True)]
        if flushing:
            threads.append(threading.Thread(target=flush_repeatedly, args=(server, writer.stop), daemon=True))
        for thread in threads:
            thread.start()
        # The kill lands a random time after writes are flowing (a node just restarted,
        # replaying and flushing, may take a while to acknowledge the first one).
        writer.first_ack.wait(timeout=FIRST_ACK_WAIT_SECONDS)
        time.sleep(rng.uniform(0.3, 1.2))
        server.kill()  # SIGKILL while writes are in flight
        writer.stop.set()
        for thread in threads:
            thread.join(timeout=10)
    finally:
        cluster.shutdown()
    with writer.lock:
        return dict(writer.sent), dict(writer.acked)


@pytest.mark.parametrize("mode", ["periodic", "batch", "periodic-flushing", "batch-recycling"])
def test_acknowledged_writes_survive_kill_9(percore_factory, tmp_path, mode):
    """`periodic-flushing` also flushes all the time, so kills land during flushes,
    compactions (with their logs) and commitlog segment recycling; `batch-recycling` does
    the same with 1 MiB segments, so most segments are reused files whose old entries
    follow the new ones."""
    rng = random.Random(f"{SEED}-{mode}")
    flushing = mode.endswith(("-flushing", "-recycling"))
    sync = mode.split("-")[0]
    extra = ["--commitlog-sync", sync]
    if mode.endswith("-recycling"):
        config = tmp_path / "percore.yaml"
        config.write_text("commitlog_segment_size_in_mb: 1\n")
        extra += ["--config", str(config)]
    server = percore_factory.start(smp=2, data_dir=tmp_path / "data", extra_args=extra)
    cluster, session = connect(server)
    session.execute("CREATE KEYSPACE crash WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE crash.kv (k bigint PRIMARY KEY, v text)")
    cluster.shutdown()

    sent_all, acked_all = {}, {}
    for iteration in range(ITERATIONS):
        sent, acked = crash_once(server, rng, iteration * KEYS_PER_ITERATION, flushing)
        assert acked, f"iteration {iteration}: no write was acknowledged before the kill"
        sent_all.update(sent)
        acked_all.update(acked)
        server.start()  # replays the commitlog
        cluster, session = connect(server)
        try:
            rows = {r.k: r.v for r in session.execute("SELECT k, v FROM crash.kv")}
        finally:
            cluster.shutdown()
        lost = [k for k in acked_all if rows.get(k) != acked_all[k]]
        assert not lost, f"{mode} iteration {iteration}: {len(lost)} acknowledged writes lost, e.g. {lost[:5]}"
        invented = [k for k in rows if sent_all.get(k) != rows[k]]
        assert not invented, f"{mode} iteration {iteration}: rows that were never written: {invented[:5]}"
    stop_checked(server)


def newest_segment(data_dir):
    segments = sorted(Path(data_dir, "commitlog").glob("CommitLog-*.log"), key=lambda p: p.stat().st_mtime)
    assert segments, "no commitlog segment written"
    return segments[-1]


def used_bytes(path):
    """Offset just past the last non-zero byte (segments are preallocated with zeros)."""
    data = path.read_bytes()
    return len(data.rstrip(b"\0"))


def test_corrupt_commitlog_tail_is_skipped_not_replayed(percore_factory, tmp_path):
    data_dir = tmp_path / "data"
    server = percore_factory.start(smp=1, data_dir=data_dir, extra_args=["--commitlog-sync", "batch"])
    cluster, session = connect(server)
    session.execute("CREATE KEYSPACE torn WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    session.execute("CREATE TABLE torn.kv (k int PRIMARY KEY, v text)")
    insert = session.prepare("INSERT INTO torn.kv (k, v) VALUES (?, ?)")
    for k in range(200):
        session.execute(insert, (k, f"value-{k}"))
    cluster.shutdown()
    server.kill()

    segment = newest_segment(data_dir)
    end = used_bytes(segment)
    with open(segment, "r+b") as f:  # flip a bit two thirds into the written entries
        f.seek(end * 2 // 3)
        byte = f.read(1)
        f.seek(end * 2 // 3)
        f.write(bytes([byte[0] ^ 0x40]))

    server.start()
    cluster, session = connect(server)
    try:
        rows = {r.k: r.v for r in session.execute("SELECT k, v FROM torn.kv")}
    finally:
        cluster.shutdown()
    assert 0 < len(rows) < 200, "entries before the corruption replay, those from it on do not"
    assert all(v == f"value-{k}" for k, v in rows.items()), "no corrupted value is ever returned"
    assert sorted(rows) == list(range(len(rows))), "replay stops at the corrupt entry: a prefix survives"
    assert "stopped early" in Path(server.log_path).read_text()
    stop_checked(server)
