"""Helpers shared by the driver tests (importable from test files, unlike conftest)."""

import importlib.util
import time

import pytest

from percore_harness import PercoreServer, ServerError

# scylla-driver ships cassandra/shard_info.py; the DataStax driver does not.
IS_SCYLLA_DRIVER = importlib.util.find_spec("cassandra.shard_info") is not None
DRIVER_NAME = "scylla-driver" if IS_SCYLLA_DRIVER else "cassandra-driver"

CONNECT_TIMEOUT_S = 10
REQUEST_TIMEOUT_S = 10


_startup_timeouts = []  # after two servers never became ready, fail fast instead of 20 s each


class ServerFactory:
    """Starts servers for one test (or session) and stops them all afterwards."""

    def __init__(self, base_dir):
        self.base_dir = base_dir
        self.servers = []

    def start(self, smp, data_dir=None, extra_args=()):
        data_dir = data_dir or self.base_dir / f"data-smp{smp}-{len(self.servers)}"
        if len(_startup_timeouts) >= 2:
            pytest.fail("not starting percore: two earlier starts never accepted connections:\n"
                        + _startup_timeouts[-1], pytrace=False)
        server = PercoreServer(smp=smp, data_dir=data_dir, extra_args=extra_args)
        self.servers.append(server)
        try:
            return server.start()
        except ServerError as e:
            problem = str(e)
            if "did not accept connections" in problem:
                _startup_timeouts.append(problem)
        pytest.fail(problem, pytrace=False)

    def stop_all(self):
        """Stop every server still running; return failure messages (bad exit codes)."""
        problems = []
        for server in self.servers:
            if not server.is_running():
                continue
            try:
                code = server.stop()
            except ServerError as e:
                problems.append(str(e))
                continue
            if code != 0:
                problems.append(f"{server!r} exited with code {code} after SIGTERM\n{server.log_excerpt()}")
        return problems


def stop_checked(server):
    """SIGTERM a server and assert a clean exit (code 0)."""
    try:
        code = server.stop()
    except ServerError as e:
        code, problem = None, str(e)
    if code is None:
        pytest.fail(problem, pytrace=False)
    assert code == 0, f"percore exited with code {code} after SIGTERM\n{server.log_excerpt()}"


def make_cluster(server, load_balancing_policy=None, **kwargs):
    """A driver Cluster for `server`, protocol v4 unless told otherwise
    (protocol_version=None: let the driver negotiate)."""
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import RoundRobinPolicy, TokenAwarePolicy

    profile = ExecutionProfile(
        load_balancing_policy=load_balancing_policy or TokenAwarePolicy(RoundRobinPolicy()),
        request_timeout=REQUEST_TIMEOUT_S,
    )
    kwargs.setdefault("protocol_version", 4)
    kwargs.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    kwargs.setdefault("control_connection_timeout", CONNECT_TIMEOUT_S)
    if kwargs["protocol_version"] is None:
        del kwargs["protocol_version"]
    return Cluster(contact_points=[server.contact[0]], port=server.port,
                   execution_profiles={EXEC_PROFILE_DEFAULT: profile}, **kwargs)


def connect(server, keyspace=None, **kwargs):
    """(cluster, session); call cluster.shutdown() when done."""
    from cassandra.cluster import NoHostAvailable

    cluster = make_cluster(server, **kwargs)
    try:
        session = cluster.connect(keyspace)
    except NoHostAvailable as e:
        cluster.shutdown()
        pytest.fail(f"{DRIVER_NAME} could not connect: {e}\n{server.log_excerpt()}", pytrace=False)
    return cluster, session


def create_keyspace(session, name):
    session.execute(
        f"CREATE KEYSPACE {name} WITH replication = "
        "{'class': 'SimpleStrategy', 'replication_factor': 1}"
    )
    return name


def timed(fn, *args, **kwargs):
    """(result, seconds)"""
    t0 = time.monotonic()
    result = fn(*args, **kwargs)
    return result, time.monotonic() - t0
