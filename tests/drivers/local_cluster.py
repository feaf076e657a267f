"""Local multi-node clusters for the tests, built on the launcher (`scripts/percore_cluster.py`).

    c = LocalCluster(3, tmp_path)          # files only: tmp_path/test/node<i>/percore.yaml ...
    c.start()                              # node1, then node2 once node1 answers CQL, ...
    c.kill(2); c.start_node(2); c.stop()   # kill -9, restart, SIGTERM all (exit codes checked)
    c.node_address(2), c.contact_points(), c.port
    c.remove()                             # stop everything, delete the directory

Ports and addresses: every node uses the same ports, each on its own loopback address.
The ports are the launcher's defaults + TEST_PORT_OFFSET (CQL 12142, shard-aware 22142,
storage 10100, prometheus/nodetool 12280): below Linux's ephemeral range (32768-60999),
where the single-node test servers' free ports on 127.0.0.1 come from, and away from a
developer's cluster on the default ports. The addresses are 127.A.B.<i> with A.B picked at
random (and the ports checked free on each address), so two test runs on one machine, or
a developer's `percore-cluster` on 127.0.0.<i>, never meet. Pass ip_prefix="127.0.0." for
the launcher's own addresses.

Nodes are started in this process's process group (not detached, unlike the command
line), so a Ctrl-C or `timeout` reaches them too; `teardown()` (the fixture finalizer) and
an atexit hook stop whatever is still running.
"""

from __future__ import annotations

import atexit
import os
import random
import socket
import sys
import weakref
from pathlib import Path

from percore_harness import REPO_ROOT, server_binary

sys.path.insert(0, str(REPO_ROOT / "scripts"))

import percore_cluster as launcher  # noqa: E402
from percore_cluster import ClusterError, answers_cql, cql_handshake  # noqa: E402,F401

TEST_PORT_OFFSET = 3100
TEST_MEMORY = "256M"
TEST_START_TIMEOUT_S = 60.0
TEST_STOP_TIMEOUT_S = 15.0

_LIVE = weakref.WeakSet()


def _ports_free(addresses, ports):
    socks = []
    try:
        for address in addresses:
            for port in ports:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(s)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((address, port))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def pick_ip_prefix(n, port_offset=TEST_PORT_OFFSET, attempts=50):
    """A random 127.A.B. prefix whose addresses .1 .. .n have all the cluster's ports free."""
    ports = [p + port_offset for p in launcher.BASE_PORTS.values()]
    rng = random.Random(os.urandom(8))
    for _ in range(attempts):
        prefix = f"127.{rng.randint(1, 254)}.{rng.randint(1, 254)}."
        if _ports_free([f"{prefix}{i}" for i in range(1, n + 1)], ports):
            return prefix
    raise ClusterError(f"no free 127.A.B. prefix for {n} nodes on ports {ports} after {attempts} tries")


class LocalCluster:
    """An n-node cluster under `base_dir` (a pytest tmp_path), on the launcher's Python API."""

    def __init__(self, n, base_dir, binary=None, name="test", port_offset=TEST_PORT_OFFSET, ip_prefix=None,
                 memory=TEST_MEMORY, **options):
        binary = str(binary or server_binary())
        if ip_prefix is None:
            ip_prefix = pick_ip_prefix(n, port_offset)
        self.cluster = launcher.Cluster.create(
            name, n, base_dir=Path(base_dir), binary=binary, port_offset=port_offset, ip_prefix=ip_prefix,
            memory=memory, make_current=False, detach=False, **options)
        _LIVE.add(self)

    def __repr__(self):
        return f"LocalCluster({self.cluster.dir}, {self.contact_points()}, port {self.port})"

    # -- where --
    @property
    def nodes(self):
        return self.cluster.nodes

    def node(self, i):
        """Node i (1-based, as node<i>); a launcher `Node`."""
        return self.cluster.node(i)

    def node_address(self, i):
        return self.node(i).address

    def contact_points(self):
        return self.cluster.contact_points()

    @property
    def port(self):
        """The CQL port (the same on every node)."""
        return self.nodes[0].cql_port

    @property
    def dir(self):
        return self.cluster.dir

    # -- lifecycle --
    def start(self, wait=True, timeout=TEST_START_TIMEOUT_S):
        """All nodes, in order, each once the previous one answers CQL."""
        self.cluster.start(wait=wait, timeout=timeout)
        return self

    def start_node(self, i, wait=True, timeout=TEST_START_TIMEOUT_S):
        """Starts node i (nothing if it runs); returns its pid."""
        return self.node(i).start(wait=wait, timeout=timeout)

    def stop(self, i=None, timeout=TEST_STOP_TIMEOUT_S, check=True):
        """SIGTERM node i (or all); returns {name: exit code}. With `check`, an exit code other
        than 0 raises ClusterError with the node's log."""
        codes = self.cluster.stop(None if i is None else [i], timeout=timeout)
        bad = {name: code for name, code in codes.items() if code not in (0, None)}
        if check and bad:
            raise ClusterError("\n\n".join(f"{name} exited with code {code} after SIGTERM\n"
                                           f"{self.node(name).log_tail()}" for name, code in bad.items()))
        return codes

    def kill(self, i):
        """kill -9 node i and wait until it is gone."""
        self.node(i).kill()

    def pause(self, i):
        self.node(i).pause()

    def resume(self, i):
        self.node(i).resume()

    def status(self):
        """{node name: UP | DOWN | PAUSED}."""
        return {s.name: s.state for s in self.cluster.status()}

    def running_pids(self):
        return self.cluster.running_pids()

    def log_excerpt(self, lines=30):
        return "\n".join(n.log_tail(lines) for n in self.nodes)

    def teardown(self):
        """Stops every node still running (SIGKILL after the stop timeout); returns problems
        (bad exit codes, nodes that had to be killed) as messages. Keeps the files."""
        problems = []
        try:
            self.stop(check=True)
        except ClusterError as e:
            problems.append(str(e))
        for name, pid in self.running_pids().items():
            self.node(name).kill()
            problems.append(f"{name} (pid {pid}) was still running after stop: killed it")
        _LIVE.discard(self)
        return problems

    def remove(self):
        """Stops everything and deletes the cluster's directory."""
        self.cluster.remove(timeout=TEST_STOP_TIMEOUT_S)
        _LIVE.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.teardown()


def connect_node(cluster, i, keyspace=None, timeout=10):
    """(driver Cluster, session) talking to node i only (WhiteListRoundRobinPolicy), protocol v4.
    Call .shutdown() on the first when done."""
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import WhiteListRoundRobinPolicy

    address = cluster.node_address(i)
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([address]), request_timeout=timeout)
    driver = Cluster([address], port=cluster.port, protocol_version=4, connect_timeout=timeout,
                     control_connection_timeout=timeout, execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    try:
        return driver, driver.connect(keyspace)
    except Exception:
        driver.shutdown()
        raise


@atexit.register
def _stop_leftovers():
    for cluster in list(_LIVE):
        for node in cluster.nodes:
            try:
                node.kill()
            except Exception:
                pass
