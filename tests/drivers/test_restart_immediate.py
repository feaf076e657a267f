"""A node restarts at once on the same ports after kill -9 or SIGTERM with clients connected.

When the server closes connections first (a kill -9 closes all its ends; so does a clean
stop), their server-side sockets linger on the node's ports in TIME-WAIT / FIN-WAIT for up
to a minute. They inherit the listener's socket options: with SO_REUSEADDR on the CQL
listeners they do not keep the restarted node from binding its ports; without it the node
refused to start (`cannot listen on 127.0.0.1:9042: Address already in use`) until they
expired. A port held by a LIVE process must still be refused, with a clear message.

"At once" means the moment the old process is reaped, as a supervisor restarts it. After a
kill -9 the old node's listening sockets outlive the reaped process by a few milliseconds
(its io_uring rings are torn down asynchronously); the start-up check retries a port in use
for a short while (`PORT_RELEASE_WAIT` in engine/src/node/mod.rs) before taking it for a
live node's, so the restart still succeeds at its first attempt.

Cycles per test: PERCORE_RESTART_CYCLES (default 8); a soak runs the same tests with more
(about a second per cycle; past ~150 cycles lift pytest's per-test limit: `-o timeout=0`).
"""

import os
import socket
import subprocess
import threading
import time

import pytest

import cql_wire
from percore_harness import HOST, READY_TIMEOUT_S, PercoreServer, ServerError, free_ports
from support import connect, stop_checked

CYCLES = int(os.environ.get("PERCORE_RESTART_CYCLES", "8"))
SMP = 2
DRIVER_CLIENTS = 2        # driver Clusters writing while the node goes down
RAW_PER_PORT = 2          # idle raw connections per CQL port (on the shard-aware one: per shard)
IN_FLIGHT = 32            # concurrent writes per driver client
ACKS_BEFORE_STOP = 200    # writes acknowledged per driver client before the node is stopped
WAIT_S = 30               # generous bound on waiting for a workload or kernel event

# /proc/net/tcp states
LISTEN = "0A"
CLOSED_BY_OWNER = {"04": "FIN-WAIT-1", "05": "FIN-WAIT-2", "06": "TIME-WAIT", "0B": "CLOSING"}


# -- clients -----------------------------------------------------------------

class Writer:
    """Writes unique rows with bounded concurrency until told to stop (the errors once the
    node is gone are expected and ignored)."""

    def __init__(self, session, insert, base):
        self.session, self.insert, self.base = session, insert, base
        self.acked = 0
        self.lock = threading.Lock()
        self.window = threading.Semaphore(IN_FLIGHT)
        self.stop = threading.Event()
        self.busy = threading.Event()  # set once ACKS_BEFORE_STOP writes were acknowledged
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        i = 0
        while not self.stop.is_set():
            if not self.window.acquire(timeout=0.1):
                continue
            try:
                future = self.session.execute_async(self.insert, (self.base + i, f"v{i}"))
            except Exception:  # the driver may refuse new requests once the node is gone
                self.window.release()
                continue
            i += 1
            future.add_callbacks(self._acked, self._failed)

    def _acked(self, _rows):
        with self.lock:
            self.acked += 1
            if self.acked >= ACKS_BEFORE_STOP:
                self.busy.set()
        self.window.release()

    def _failed(self, _exc):
        self.window.release()

    def finish(self):
        self.stop.set()
        self.thread.join(timeout=WAIT_S)


class Clients:
    """Driver clients writing in the background, and raw connections on both CQL ports that
    completed a request and sit idle (an idle connection's server end is closed with a FIN,
    not reset, so it lingers), all connected to `server` until `close()`."""

    def __init__(self, server, cycle):
        self.clusters, self.sessions, self.writers, self.raw = [], [], [], []
        try:
            for n in range(DRIVER_CLIENTS):
                cluster, session = connect(server)
                self.clusters.append(cluster)
                self.sessions.append(session)
                insert = session.prepare("INSERT INTO restart.kv (k, v) VALUES (?, ?)")
                self.writers.append(Writer(session, insert, (cycle * DRIVER_CLIENTS + n) * 10**7))
            self.raw = [cql_wire.RawConnection(server.port) for _ in range(RAW_PER_PORT)]
            self.raw += [cql_wire.bind_port_for_shard(server.shard_port, n % SMP, SMP) for n in range(RAW_PER_PORT)]
            for conn in self.raw:
                conn.startup()
                conn.query("SELECT key FROM system.local")
        except BaseException:
            self.close()
            raise

    def wait_busy(self, server):
        for writer in self.writers:
            assert writer.busy.wait(WAIT_S), (
                f"writes not acknowledged within {WAIT_S}s (acked {writer.acked})\n{server.log_excerpt()}")

    def after_stop(self):
        """The node is gone: stop writing; close half the raw connections once they saw the
        server's FIN (their server ends go to TIME-WAIT) and keep the rest open across the
        restart (their server ends stay in FIN-WAIT-2)."""
        for writer in self.writers:
            writer.finish()
        half = len(self.raw) // 2
        for conn in self.raw[:half]:
            conn.read_until_closed_or_error(timeout=WAIT_S)
            conn.close()
        self.raw = self.raw[half:]

    def close(self):
        for writer in self.writers:
            writer.finish()
        for conn in self.raw:
            conn.close()
        for cluster in self.clusters:
            cluster.shutdown()
        self.clusters, self.sessions, self.writers, self.raw = [], [], [], []


# -- the kernel's view -----------------------------------------------------------

def tcp_sockets(ports):
    """[(local port, state)] of the IPv4 TCP sockets (TIME-WAIT ones included) whose local
    port is in `ports`; None if /proc/net/tcp cannot be read."""
    try:
        with open("/proc/net/tcp") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return None
    found = []
    for line in lines:
        fields = line.split()
        port, state = int(fields[1].rsplit(":", 1)[1], 16), fields[3]
        if port in ports:
            found.append((port, state))
    return found


def lingering_ends(ports):
    """{port: sockets on it in a state of a closed-first end}; None if unknown."""
    sockets = tcp_sockets(ports)
    if sockets is None:
        return None
    counts = {port: 0 for port in ports}
    for port, state in sockets:
        if state in CLOSED_BY_OWNER:
            counts[port] += 1
    return counts


# -- a node's first requests after a restart ---------------------------------------

def text_rows(result):
    """Rows of a ROWS result whose columns are all text (enough for `SELECT note ...`)."""
    r = cql_wire.Reader(result.body)
    assert r.int() == 0x0002, f"not a ROWS result: {result}"
    flags, columns = r.int(), r.int()
    if flags & 0x0002:  # has_more_pages: paging state
        r.take(r.int())
    if not flags & 0x0004:  # metadata present
        if flags & 0x0001:  # global table spec
            r.string(), r.string()
        for _ in range(columns):
            if not flags & 0x0001:
                r.string(), r.string()
            r.string()
            assert r.short() == 0x000D, "text columns only"
    rows = []
    for _ in range(r.int()):
        row = []
        for _ in range(columns):
            n = r.int()
            row.append(None if n < 0 else r.take(n).decode())
        rows.append(row)
    return rows


def note(cycle):
    return f"acknowledged before stop {cycle}"


def restart_at_once(server, lingering):
    """One start on the same ports and data dir: no second attempt."""
    ports = (server.port, server.shard_port, server.prometheus_port, server.storage_port)
    try:
        server.start(same_ports=True)
    except ServerError as e:
        pytest.fail(f"restart on the same ports {ports} failed at the first attempt "
                    f"(closed-first sockets lingering on them: {lingering}):\n{e}", pytrace=False)
    assert (server.port, server.shard_port, server.prometheus_port, server.storage_port) == ports


def first_requests(server, cycle):
    """The restarted node's first requests: on the plain port the row acknowledged before
    the stop, a query on the shard-aware port, then /metrics."""
    with cql_wire.RawConnection(server.port) as conn:
        conn.startup()
        rows = text_rows(conn.query(f"SELECT note FROM restart.marks WHERE cycle = {cycle}"))
        assert rows == [[note(cycle)]], f"cycle {cycle}: row acknowledged before the stop: {rows}"
    with cql_wire.RawConnection(server.shard_port) as conn:
        conn.startup()
        conn.query("SELECT key FROM system.local")
    assert "percore_cql_connections" in server.metrics()


# -- the tests -----------------------------------------------------------------

def stop_and_restart_with_clients(percore_factory, tmp_path, stop, extra_args=()):
    server = percore_factory.start(smp=SMP, data_dir=tmp_path / "data", extra_args=extra_args)
    cluster, session = connect(server)
    try:
        session.execute("CREATE KEYSPACE restart WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute("CREATE TABLE restart.kv (k bigint PRIMARY KEY, v text)")
        session.execute("CREATE TABLE restart.marks (cycle int PRIMARY KEY, note text)")
    finally:
        cluster.shutdown()
    ports = (server.port, server.shard_port, server.prometheus_port)

    for cycle in range(CYCLES):
        clients = Clients(server, cycle)
        try:
            clients.wait_busy(server)
            clients.sessions[0].execute("INSERT INTO restart.marks (cycle, note) VALUES (%s, %s)",
                                        (cycle, note(cycle)))
            connected = server.metrics().total("percore_cql_connections")
            least = len(clients.raw) + 2 * DRIVER_CLIENTS  # a driver: control + pool connection
            assert connected >= least, f"cycle {cycle}: {connected} connections, expected at least {least}"

            stop(server)  # clients connected, writes in flight
            clients.after_stop()
            lingering = lingering_ends(ports)
            restart_at_once(server, lingering)
            first_requests(server, cycle)
            if lingering is not None:  # the restart happened with the old ends lingering
                assert lingering[server.port] and lingering[server.shard_port], (
                    f"cycle {cycle}: no closed-first server ends on both CQL ports at restart "
                    f"({lingering}): the test did not set up what it tests")
        finally:
            clients.close()

        cluster, session = connect(server)
        try:
            marks = {r.cycle: r.note for r in session.execute("SELECT cycle, note FROM restart.marks")}
            assert marks == {c: note(c) for c in range(cycle + 1)}, f"cycle {cycle}: {marks}"
            # Nothing is flushed: without this every start would replay all earlier cycles' writes.
            session.execute("TRUNCATE restart.kv")
        finally:
            cluster.shutdown()
    stop_checked(server)


def test_restart_at_once_after_kill_9_with_clients_connected(percore_factory, tmp_path):
    # batch: every acknowledged write survives the kill, so the first request can read one
    stop_and_restart_with_clients(percore_factory, tmp_path, lambda server: server.kill(),
                                  extra_args=["--commitlog-sync", "batch"])


def test_restart_at_once_after_sigterm_with_clients_connected(percore_factory, tmp_path):
    # default (periodic) commitlog: a clean stop keeps every acknowledged write
    stop_and_restart_with_clients(percore_factory, tmp_path, stop_checked)


# -- a port held by a live process ------------------------------------------------

def run_refused(server):
    """Run percore on `server`'s ports and return (exit code, output). Not `start()`: its
    readiness check would take the other process's listener for the node's."""
    server.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(server.command(), capture_output=True, text=True, timeout=READY_TIMEOUT_S)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"percore kept running on a port held by a live process:\n{e.stdout}{e.stderr}",
                    pytrace=False)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.wire  # driver-independent: runs once (scylla venv)
@pytest.mark.parametrize("held", ["port", "shard_port", "prometheus_port", "storage_port"])
def test_port_held_by_a_live_listener_is_refused(tmp_path, held):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:  # no SO_REUSEADDR/PORT
        holder.bind((HOST, 0))
        holder.listen(8)
        held_port = holder.getsockname()[1]
        server = PercoreServer(smp=SMP, data_dir=tmp_path / "data")
        server.port, server.shard_port, server.prometheus_port, server.storage_port = free_ports(4)
        setattr(server, held, held_port)

        code, output = run_refused(server)
        assert code > 0, f"percore exited with {code} with port {held_port} held:\n{output}"
        assert f"cannot listen on {HOST}:{held_port}" in output, output
        assert "Address already in use" in output, output

        with socket.create_connection((HOST, held_port), timeout=5):  # the holder still has it
            holder.settimeout(5)
            accepted, _ = holder.accept()
            accepted.close()


@pytest.mark.wire  # driver-independent: runs once (scylla venv)
def test_second_node_on_the_ports_of_a_live_node_is_refused(percore_factory, tmp_path):
    """The listeners' SO_REUSEPORT would let a second node share a running node's ports:
    the start-up check refuses it, and the first node keeps serving."""
    first = percore_factory.start(smp=SMP, data_dir=tmp_path / "first")
    second = PercoreServer(smp=SMP, data_dir=tmp_path / "second")
    second.port, second.shard_port, second.prometheus_port = first.port, first.shard_port, first.prometheus_port
    second.storage_port = first.storage_port

    code, output = run_refused(second)
    assert code > 0, f"second node exited with {code}:\n{output}"
    assert f"cannot listen on {HOST}:{first.port}" in output, output
    assert "Address already in use" in output, output

    assert first.is_running(), first.log_excerpt()
    for port in (first.port, first.shard_port):
        with cql_wire.RawConnection(port) as conn:
            conn.startup()
            conn.query("SELECT key FROM system.local")
    assert "percore_cql_connections" in first.metrics()
    stop_checked(first)
