"""A network partition: nftables rules cut node 3 from nodes 1 and 2 (both ways, every port,
only the test's own addresses). The majority side carries on at QUORUM; the minority answers
Unavailable for QUORUM; after healing, nothing acknowledged is lost.

The rules live in their own nftables table, named after the test's address prefix, and are
always removed. Needs `nft` and root (tests/run.sh installs nftables); skipped otherwise.
"""

import os
import shutil
import subprocess
import time

import pytest
from cassandra import ConsistencyLevel as CL
from cassandra import ReadTimeout, Unavailable, WriteTimeout
from cassandra.policies import FallthroughRetryPolicy
from cassandra.query import SimpleStatement

from local_cluster import connect_node

pytestmark = pytest.mark.wire  # cluster tests run once (scylla venv)

DETECT_S = 15.0          # the launcher's 2 s detector timeout, with room
PARTITIONED_WRITES_S = 4.0


def nft(*args, input_text=None):
    subprocess.run(["nft", *args], input=input_text, text=True, check=True, capture_output=True)


class Partition:
    """Drops every packet between `alone` and `others` (lists of addresses) while active."""

    def __init__(self, name, alone, others):
        self.table = f"percore_test_{name}"
        self.alone, self.others = alone, others

    def __enter__(self):
        others = ", ".join(self.others)
        alone = ", ".join(self.alone)
        nft("-f", "-", input_text=f"""
table ip {self.table} {{
    chain input {{
        type filter hook input priority 0; policy accept;
        ip saddr {{ {alone} }} ip daddr {{ {others} }} drop
        ip saddr {{ {others} }} ip daddr {{ {alone} }} drop
    }}
}}
""")
        return self

    def heal(self):
        subprocess.run(["nft", "delete", "table", "ip", self.table], capture_output=True)

    def __exit__(self, *exc):
        self.heal()


def nft_usable():
    if shutil.which("nft") is None or os.geteuid() != 0:
        return False
    return subprocess.run(["nft", "list", "tables"], capture_output=True).returncode == 0


def run(session, query, level, params=None):
    statement = SimpleStatement(query, consistency_level=level, retry_policy=FallthroughRetryPolicy())
    return session.execute(statement, params)


def value(session, k):
    row = run(session, "SELECT v FROM ks.kv WHERE k = %s", CL.QUORUM, (k,)).one()
    return None if row is None else row.v


def eventually(what, check, timeout=DETECT_S):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def refused(session, query, level):
    """Whether `query` at `level` is refused as Unavailable (a timeout: not yet decided)."""
    try:
        run(session, query, level)
        return False
    except Unavailable:
        return True
    except (WriteTimeout, ReadTimeout):
        return False


@pytest.mark.skipif(not nft_usable(), reason="needs nft and root (tests/run.sh installs nftables)")
def test_the_majority_carries_on_and_nothing_acknowledged_is_lost(local_cluster_factory):
    cluster = local_cluster_factory(3).start()
    addresses = [cluster.node_address(i) for i in (1, 2, 3)]
    driver1, s1 = connect_node(cluster, 1)
    driver3, s3 = connect_node(cluster, 3)
    acked = []
    try:
        s1.execute("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}")
        s1.execute("CREATE TABLE ks.kv (k int PRIMARY KEY, v int)")
        s1.cluster.control_connection.wait_for_schema_agreement()
        name = addresses[0].replace(".", "_")
        with Partition(name, [addresses[2]], addresses[:2]) as partition:
            eventually("node 1 never saw node 3 down",
                       lambda: refused(s1, "INSERT INTO ks.kv (k, v) VALUES (-1, -1)", CL.ALL))
            eventually("node 3 never saw nodes 1 and 2 down",
                       lambda: refused(s3, "INSERT INTO ks.kv (k, v) VALUES (-3, -3)", CL.QUORUM))
            # The minority refuses QUORUM at once, for reads too; ONE still works there.
            with pytest.raises(Unavailable) as raised:
                run(s3, "SELECT v FROM ks.kv WHERE k = 1", CL.QUORUM)
            assert (raised.value.required_replicas, raised.value.alive_replicas) == (2, 1)
            # The majority carries on.
            k = 0
            deadline = time.monotonic() + PARTITIONED_WRITES_S
            while time.monotonic() < deadline:
                run(s1, "INSERT INTO ks.kv (k, v) VALUES (%s, %s)", CL.QUORUM, (k, k))
                acked.append(k)
                k += 1
            assert len(acked) > 10
            partition.heal()
            eventually("node 3 never saw the others up again",
                       lambda: not refused(s3, "SELECT v FROM ks.kv WHERE k = 0", CL.QUORUM))
        for session in (s1, s3):
            missing = [k for k in acked if value(session, k) != k]
            assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:10]}"
    finally:
        driver1.shutdown()
        driver3.shutdown()
