"""Nothing acknowledged is lost while nodes die: writers insert unique keys at QUORUM into a
3-node RF 3 cluster while a nemesis kill -9s a random node and restarts it; afterwards a
QUORUM read of every acknowledged key must find it. In both commitlog sync modes.

Every run prints its seed (the nemesis' schedule: which node, when); a failure reproduces
with `PERCORE_NEMESIS_SEED=<seed>`. The suite runs a short form; the soak is

    PERCORE_NEMESIS_SECONDS=60 PERCORE_NEMESIS_KILL_EVERY_S=15 PERCORE_NEMESIS_RUNS=10 \\
        bash tests/run.sh -k nemesis -o timeout=0
"""

import os
import random
import threading
import time

import pytest
from cassandra import ConsistencyLevel as CL
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.policies import FallthroughRetryPolicy, RoundRobinPolicy
from cassandra.query import SimpleStatement

pytestmark = pytest.mark.wire  # cluster tests run once (scylla venv)

SECONDS = float(os.environ.get("PERCORE_NEMESIS_SECONDS", "16"))
KILL_EVERY_S = float(os.environ.get("PERCORE_NEMESIS_KILL_EVERY_S", "5"))
RUNS = int(os.environ.get("PERCORE_NEMESIS_RUNS", "1"))
DOWN_FOR_S = 1.5            # a killed node stays down this long before it is restarted
WRITERS = 4
REQUEST_TIMEOUT_S = 10
CHECK_CONCURRENCY = 64


def seeds():
    fixed = os.environ.get("PERCORE_NEMESIS_SEED")
    if fixed:
        return [int(fixed)]
    return [random.SystemRandom().randrange(1 << 32) for _ in range(RUNS)]


class Writers:
    """Threads inserting unique keys at QUORUM; `acked` holds every key a write of which was
    acknowledged."""

    def __init__(self, session, n):
        self.session = session
        self.acked = set()
        self.failed = 0
        self.stop = threading.Event()
        self.insert = session.prepare("INSERT INTO ks.acked (k, v) VALUES (?, ?)")
        self.insert.consistency_level = CL.QUORUM
        self.insert.retry_policy = FallthroughRetryPolicy()
        self.threads = [threading.Thread(target=self.run, args=(w, n), daemon=True) for w in range(n)]

    def run(self, writer, n):
        k = writer
        while not self.stop.is_set():
            try:
                self.session.execute(self.insert, (k, k * 7), timeout=REQUEST_TIMEOUT_S)
                self.acked.add(k)
            except Exception:  # noqa: BLE001 - an unacknowledged write may or may not exist
                self.failed += 1
                time.sleep(0.05)
            k += n

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=REQUEST_TIMEOUT_S * 2)


def nemesis(cluster, rng, seconds, log):
    """kill -9 a random node every KILL_EVERY_S, restart it DOWN_FOR_S later."""
    deadline = time.monotonic() + seconds
    while time.monotonic() + KILL_EVERY_S < deadline:
        time.sleep(KILL_EVERY_S * rng.uniform(0.5, 1.0))
        victim = rng.randint(1, 3)
        log.append(f"kill -9 node{victim}")
        cluster.kill(victim)
        time.sleep(DOWN_FOR_S)
        cluster.start_node(victim)
        log.append(f"node{victim} back")
    time.sleep(max(0.0, deadline - time.monotonic()))


def missing_after_quorum_read(session, keys):
    select = session.prepare("SELECT v FROM ks.acked WHERE k = ?")
    select.consistency_level = CL.QUORUM
    missing = []
    keys = sorted(keys)
    for start in range(0, len(keys), CHECK_CONCURRENCY):
        batch = keys[start:start + CHECK_CONCURRENCY]
        futures = [(k, session.execute_async(select, (k,), timeout=REQUEST_TIMEOUT_S)) for k in batch]
        for k, f in futures:
            row = f.result().one()
            if row is None or row.v != k * 7:
                missing.append(k)
    return missing


@pytest.mark.parametrize("sync", ["batch", "periodic"])
@pytest.mark.parametrize("seed", seeds())
def test_no_acknowledged_write_is_lost_while_nodes_are_killed(local_cluster_factory, sync, seed):
    print(f"nemesis seed {seed} (commitlog_sync {sync}): PERCORE_NEMESIS_SEED={seed} reproduces the schedule")
    rng = random.Random(seed)
    yaml = {"commitlog_sync": sync}
    if sync == "periodic":
        yaml["commitlog_sync_period_in_ms"] = "1000"
    cluster = local_cluster_factory(3, yaml_extra=yaml).start()
    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(), request_timeout=REQUEST_TIMEOUT_S)
    driver = Cluster(cluster.contact_points(), port=cluster.port, protocol_version=4,
                     execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    try:
        session = driver.connect()
        session.execute("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
        session.execute("CREATE TABLE ks.acked (k int PRIMARY KEY, v int)")
        driver.control_connection.wait_for_schema_agreement()
        log = []
        with Writers(session, WRITERS) as writers:
            nemesis(cluster, rng, SECONDS, log)
        acked = set(writers.acked)
        print(f"seed {seed}: {len(acked)} writes acknowledged, {writers.failed} failed; {'; '.join(log)}")
        assert len(acked) > 0, "no write was acknowledged"
        for i in (1, 2, 3):
            cluster.start_node(i)
        missing = missing_after_quorum_read(session, acked)
        assert not missing, (f"seed {seed} ({sync}): {len(missing)} of {len(acked)} acknowledged writes lost, "
                             f"e.g. {missing[:10]}; nemesis: {'; '.join(log)}")
    finally:
        driver.shutdown()
