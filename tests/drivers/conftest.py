"""pytest fixtures: real percore servers on free ports, and driver sessions to them.

The same test files run in two venvs (see tests/run.sh): one with the DataStax
`cassandra-driver`, one with ScyllaDB's `scylla-driver`. Both install the
module `cassandra`; `IS_SCYLLA_DRIVER` tells them apart.

Markers:
  scylla_driver_only  - needs scylla-driver's shard awareness; skipped under cassandra-driver
  cassandra_driver_only - needs the DataStax driver (one connection, not shard-aware)
  wire                - raw-socket tests, independent of the driver; run once (scylla venv)
                        unless PERCORE_WIRE_TESTS=1
"""

import os
import re
import zlib

import pytest

from percore_harness import ServerError, server_binary
from support import DRIVER_NAME, IS_SCYLLA_DRIVER, ServerFactory, connect, create_keyspace


def pytest_sessionstart(session):
    try:
        server_binary()
    except ServerError as e:
        problem = str(e)
    else:
        return
    pytest.exit(problem, returncode=3)


def pytest_report_header(config):
    import cassandra
    return f"python driver: {DRIVER_NAME} {cassandra.__version__}"


def pytest_collection_modifyitems(config, items):
    run_wire = IS_SCYLLA_DRIVER or os.environ.get("PERCORE_WIRE_TESTS") == "1"
    for item in items:
        if "scylla_driver_only" in item.keywords and not IS_SCYLLA_DRIVER:
            item.add_marker(pytest.mark.skip(reason="needs scylla-driver (runs in the scylla venv)"))
        if "cassandra_driver_only" in item.keywords and IS_SCYLLA_DRIVER:
            item.add_marker(pytest.mark.skip(reason="needs cassandra-driver (runs in the cassandra venv)"))
        if "wire" in item.keywords and not run_wire:
            item.add_marker(pytest.mark.skip(
                reason="driver-independent wire test: runs in the scylla venv (PERCORE_WIRE_TESTS=1 to force)"))


# -- servers ---------------------------------------------------------------

@pytest.fixture
def percore_factory(tmp_path):
    """Start dedicated servers inside a test: `percore_factory.start(smp=2)`."""
    factory = ServerFactory(tmp_path)
    yield factory
    problems = factory.stop_all()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def _session_server(tmp_path_factory, smp):
    factory = ServerFactory(tmp_path_factory.mktemp(f"percore-smp{smp}"))
    server = factory.start(smp)
    return factory, server


@pytest.fixture(scope="session")
def server1(tmp_path_factory):
    """A shared smp=1 server (state accumulates: use the `ks` fixture's keyspace)."""
    factory, server = _session_server(tmp_path_factory, 1)
    yield server
    problems = factory.stop_all()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def server2(tmp_path_factory):
    """A shared smp=2 server (state accumulates: use the `ks` fixture's keyspace)."""
    factory, server = _session_server(tmp_path_factory, 2)
    yield server
    problems = factory.stop_all()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


@pytest.fixture(params=[1, 2], ids=["smp1", "smp2"])
def server(request):
    """The shared smp=1 and smp=2 servers, in turn."""
    return request.getfixturevalue(f"server{request.param}")


# -- driver sessions ---------------------------------------------------------

@pytest.fixture(scope="session")
def _sessions():
    opened = {}
    yield opened
    for cluster, _ in opened.values():
        cluster.shutdown()


@pytest.fixture
def session(server, _sessions):
    """A driver session to `server` (shared per server across tests)."""
    key = id(server)
    if key not in _sessions:
        _sessions[key] = connect(server)
    return _sessions[key][1]


@pytest.fixture
def session2(server2, _sessions):
    """A driver session to the shared smp=2 server."""
    key = id(server2)
    if key not in _sessions:
        _sessions[key] = connect(server2)
    return _sessions[key][1]


def keyspace_name(request):
    """ks_<test name>_<crc of node id>: unique per test, at most 48 characters."""
    name = re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())
    return ("ks_" + name)[:36] + f"_{zlib.crc32(request.node.nodeid.encode()) % 10**8}"


@pytest.fixture
def ks(request, session):
    """A fresh keyspace on `session`'s server, named after the test."""
    return create_keyspace(session, keyspace_name(request))


@pytest.fixture
def ks2(request, session2):
    """A fresh keyspace on the shared smp=2 server."""
    return create_keyspace(session2, keyspace_name(request))


# -- local clusters (scripts/percore-cluster; see local_cluster.py) -------------

@pytest.fixture
def local_cluster_factory(tmp_path):
    """`local_cluster_factory(3, racks=3)`: a LocalCluster under tmp_path (not started). Every
    node still running at the end is stopped (SIGTERM must exit 0; SIGKILL otherwise), even
    when the test failed."""
    from local_cluster import LocalCluster

    clusters = []

    def make(n, **options):
        cluster = LocalCluster(n, tmp_path / f"clusters{len(clusters) + 1}", **options)
        clusters.append(cluster)
        return cluster

    yield make
    problems = [p for c in clusters for p in c.teardown()]
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
