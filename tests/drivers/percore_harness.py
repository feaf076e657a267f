"""Start and stop the real `percore` binary for the end-to-end tests.

Nothing here knows pytest: `conftest.py` wraps it in fixtures, and it can be
used from a Python shell to poke at a server by hand:

    >>> from percore_harness import PercoreServer
    >>> s = PercoreServer(smp=2, data_dir="/tmp/pc"); s.start()
    >>> s.metrics()["percore_cql_connections"]
    >>> s.stop()
"""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"

READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 15.0


class ServerError(Exception):
    """The server could not be found, did not start, or did not stop cleanly."""


def server_binary():
    """Path of the server under test: $PERCORE_BIN or <repo>/target/debug/percore."""
    env = os.environ.get("PERCORE_BIN")
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
    path = Path(env) if env else target_dir / "debug" / "percore"
    if not path.is_file() or not os.access(path, os.X_OK):
        raise ServerError(
            f"percore binary not found at {path}: run `bash tests/run.sh` "
            "or `cargo build --bin percore` first (or set PERCORE_BIN)"
        )
    return path


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on right now (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def free_ports(n):
    """n distinct free ports (all sockets held open together so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def port_open(port, timeout=0.2):
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


_METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text):
    """{metric name: {frozenset(labels.items()): value}} from Prometheus text format."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _METRIC_LINE.match(line)
        if not m:
            continue
        name, labels, value = m.group(1), m.group(3) or "", m.group(4)
        key = frozenset(_LABEL.findall(labels))
        out.setdefault(name, {})[key] = float(value)
    return out


class Metrics:
    """One scrape of /metrics, with per-shard accessors."""

    def __init__(self, text):
        self.text = text
        self.samples = parse_prometheus(text)

    def __contains__(self, name):
        return name in self.samples

    def per_shard(self, name):
        """{shard number: value} for a metric with a `shard` label."""
        if name not in self.samples:
            raise KeyError(f"metric {name!r} not exported; got: {sorted(self.samples)}")
        result = {}
        for labels, value in self.samples[name].items():
            shard = dict(labels).get("shard")
            if shard is not None:
                result[int(shard)] = result.get(int(shard), 0.0) + value
        return result

    def total(self, name):
        if name not in self.samples:
            raise KeyError(f"metric {name!r} not exported; got: {sorted(self.samples)}")
        return sum(self.samples[name].values())


class PercoreServer:
    """One percore process on fresh free ports, with its own data dir."""

    def __init__(self, smp, data_dir, extra_args=(), log_dir=None):
        self.smp = smp
        self.data_dir = Path(data_dir)
        self.log_dir = Path(log_dir) if log_dir else self.data_dir.parent
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = self.shard_port = self.prometheus_port = self.storage_port = None
        self.log_path = None
        self.starts = 0

    # -- lifecycle ---------------------------------------------------------

    def command(self):
        """The command line that runs this server on its current ports."""
        return [
            str(server_binary()),
            "--smp", str(self.smp),
            "--data-dir", str(self.data_dir),
            "--listen-address", HOST,
            "--native-transport-port", str(self.port),
            "--native-shard-aware-transport-port", str(self.shard_port),
            "--prometheus-port", str(self.prometheus_port),
            "--storage-port", str(self.storage_port),
            *self.extra_args,
        ]

    def start(self, timeout=READY_TIMEOUT_S, same_ports=False):
        """Start on new free ports (same_ports=True: on the ports already set, e.g. those of
        the previous start) and wait until both CQL ports accept connections."""
        if self.proc is not None and self.proc.poll() is None:
            raise ServerError("server already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not same_ports:
            self.port, self.shard_port, self.prometheus_port, self.storage_port = free_ports(4)
        elif None in (self.port, self.shard_port, self.prometheus_port, self.storage_port):
            raise ServerError("same_ports=True but the ports are not set: start once first")
        self.starts += 1
        self.log_path = self.log_dir / f"{self.data_dir.name}-stderr-{self.starts}.log"
        args = self.command()
        self.args = args
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "RUST_BACKTRACE": "1"},
            )
        deadline = time.monotonic() + timeout
        pending = [self.port, self.shard_port]
        while pending:
            code = self.proc.poll()
            if code is not None:
                raise ServerError(
                    f"percore exited with code {code} before accepting connections\n"
                    f"command: {' '.join(args)}\n{self.log_excerpt()}"
                )
            if port_open(pending[0]):
                pending.pop(0)
                continue
            if time.monotonic() > deadline:
                self.kill()
                raise ServerError(
                    f"percore did not accept connections on port(s) {pending} within "
                    f"{timeout:.0f}s\ncommand: {' '.join(args)}\n{self.log_excerpt()}"
                )
            time.sleep(0.05)
        return self

    def stop(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM and wait; return the exit code. Raises if it does not exit in time."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise ServerError(
                    f"percore did not exit within {timeout:.0f}s of SIGTERM (killed it)\n"
                    f"{self.log_excerpt()}"
                )
        return self.proc.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- observation -------------------------------------------------------

    def log_excerpt(self, limit=6000):
        """The last `limit` characters of the server's stderr, for failure messages."""
        try:
            text = Path(self.log_path).read_text(errors="replace")
        except (OSError, TypeError):
            return "(no server log)"
        if len(text) > limit:
            text = "...\n" + text[-limit:]
        return f"--- percore stderr ({self.log_path}) ---\n{text}--- end of stderr ---"

    def metrics_text(self, timeout=5.0):
        url = f"http://{HOST}:{self.prometheus_port}/metrics"
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.read().decode()

    def metrics(self):
        return Metrics(self.metrics_text())

    @property
    def contact(self):
        return (HOST, self.port)

    def __repr__(self):
        return (f"PercoreServer(smp={self.smp}, port={self.port}, shard_port={self.shard_port}, "
                f"prometheus_port={self.prometheus_port}, data_dir={self.data_dir})")
