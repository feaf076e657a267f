"""A local Percore cluster on one machine, ccm-style: `percore-cluster create NAME -n 3`,
`start`, `status`, `stop`, `kill`, `nodetool node2 status`, `remove`, ...

Every node runs the real `percore` binary with its own `percore.yaml`, on its own loopback
address (127.0.0.<i>: the whole of 127/8 is loopback on Linux, nothing to set up) and the
same ports as every other node. Layout of a cluster directory (default base
`~/.percore-cluster`, or $PERCORE_CLUSTER_DIR, or --dir):

    BASE/CURRENT                      name of the cluster the commands act on
    BASE/NAME/cluster.json            the cluster's settings (written by create/add)
    BASE/NAME/node<i>/percore.yaml    the node's configuration (cassandra.yaml's keys)
    BASE/NAME/node<i>/cassandra-rackdc.properties   dc= and rack= (GossipingPropertyFileSnitch)
    BASE/NAME/node<i>/data/           data_file_directories
    BASE/NAME/node<i>/commitlog/      commitlog_directory
    BASE/NAME/node<i>/node.log        the node's stdout and stderr (appended at each start)
    BASE/NAME/node<i>/percore.pid     pid of the running node

Standard library only (Python >= 3.9). Usable as a module:

    >>> import percore_cluster as pc
    >>> c = pc.Cluster.create("dev", 3, base_dir="/tmp/pcc", binary="target/debug/percore")
    >>> c.start(); print(c.status_text()); c.node(2).kill(); c.remove()
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Union

SCRIPTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = SCRIPTS_DIR.parent

DEFAULT_BASE_DIR = "~/.percore-cluster"
BASE_DIR_ENV = "PERCORE_CLUSTER_DIR"
CURRENT_FILE = "CURRENT"
CLUSTER_FILE = "cluster.json"
CONFIG_FILE = "percore.yaml"
RACKDC_FILE = "cassandra-rackdc.properties"
LOG_FILE = "node.log"
PID_FILE = "percore.pid"

DEFAULT_IP_PREFIX = "127.0.0."
DEFAULT_DC = "datacenter1"
DEFAULT_RACK = "rack1"
SIMPLE_SEED_PROVIDER = "org.apache.cassandra.locator.SimpleSeedProvider"
SNITCH = "GossipingPropertyFileSnitch"

# The same ports on every node (each on the node's own address); --port-offset adds to all.
BASE_PORTS = {
    "native_transport_port": 9042,
    "native_shard_aware_transport_port": 19042,
    "storage_port": 7000,
    "prometheus_port": 9180,
}

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
HANDSHAKE_TIMEOUT_S = 2.0
LOG_TAIL_LINES = 40

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ClusterError(Exception):
    """Anything the launcher cannot do; the message is meant for the user."""


# -- CQL handshake -------------------------------------------------------------------------

CQL_VERSION_V4 = 0x04
CQL_RESPONSE_V4 = 0x84
OP_ERROR, OP_OPTIONS, OP_SUPPORTED = 0x00, 0x05, 0x06
_HEADER = struct.Struct(">BBhBi")
_MAX_BODY = 1 << 20


class HandshakeError(Exception):
    """The port is closed, or something answered that is not a CQL server."""


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(n - got)
        if not chunk:
            raise HandshakeError(f"connection closed after {got} of {n} bytes")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _read_string(body: bytes, pos: int):
    (length,) = struct.unpack_from(">H", body, pos)
    pos += 2
    return body[pos:pos + length].decode("utf-8", "replace"), pos + length


def _parse_string_multimap(body: bytes) -> Dict[str, List[str]]:
    (count,) = struct.unpack_from(">H", body, 0)
    pos, out = 2, {}
    for _ in range(count):
        key, pos = _read_string(body, pos)
        (n,) = struct.unpack_from(">H", body, pos)
        pos += 2
        values = []
        for _ in range(n):
            value, pos = _read_string(body, pos)
            values.append(value)
        out[key] = values
    return out


def cql_handshake(host: str, port: int, timeout: float = HANDSHAKE_TIMEOUT_S) -> Dict[str, List[str]]:
    """Sends OPTIONS (protocol v4 framing) and returns the SUPPORTED options map
    (CQL_VERSION, COMPRESSION, SCYLLA_SHARD, ...). Raises HandshakeError otherwise."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(_HEADER.pack(CQL_VERSION_V4, 0, 0, OP_OPTIONS, 0))
            version, _flags, _stream, opcode, length = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
            if version != CQL_RESPONSE_V4:
                raise HandshakeError(f"not a CQL v4 response (version byte 0x{version:02x})")
            if not 0 <= length <= _MAX_BODY:
                raise HandshakeError(f"implausible frame length {length}")
            body = _recv_exact(sock, length)
    except OSError as e:
        raise HandshakeError(f"{host}:{port}: {e}") from None
    if opcode == OP_ERROR:
        message = body[6:].decode("utf-8", "replace") if len(body) > 6 else ""
        raise HandshakeError(f"{host}:{port} answered OPTIONS with an ERROR: {message}")
    if opcode != OP_SUPPORTED:
        raise HandshakeError(f"{host}:{port} answered OPTIONS with opcode 0x{opcode:02x}, not SUPPORTED")
    try:
        return _parse_string_multimap(body)
    except (struct.error, IndexError) as e:
        raise HandshakeError(f"{host}:{port}: malformed SUPPORTED body: {e}") from None


def answers_cql(host: str, port: int, timeout: float = HANDSHAKE_TIMEOUT_S) -> bool:
    try:
        cql_handshake(host, port, timeout)
        return True
    except HandshakeError:
        return False


# -- small helpers --------------------------------------------------------------------------

_UNITS = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MB": 1 << 20,
          "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30, "T": 1 << 40, "TB": 1 << 40,
          "TIB": 1 << 40}


def parse_memory_size(text: str) -> int:
    """`512M`, `1G`, `1073741824` -> bytes (the node's own `--memory` syntax)."""
    m = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", str(text))
    if not m or m.group(2).upper() not in _UNITS:
        raise ClusterError(f"memory '{text}' is not a size like 512M or 1G")
    return int(m.group(1)) * _UNITS[m.group(2).upper()]


def _yaml_str(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(str(value))


def _log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return f"(no log at {path})"
    tail = text.splitlines()[-lines:]
    return f"--- last {len(tail)} lines of {path} ---\n" + "\n".join(tail) + "\n--- end of log ---"


def _proc_state(pid: int) -> Optional[str]:
    """The one-letter state in /proc/<pid>/stat (R, S, T, Z, ...), None if there is no such pid."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()[0]


def _proc_cmdline(pid: int) -> List[str]:
    try:
        return [a.decode("utf-8", "replace") for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
    except OSError:
        return []


# Processes started by this Python process, so their exit codes are collected (no zombies).
_CHILDREN: Dict[int, subprocess.Popen] = {}


def _reap(pid: int, wait: bool = False) -> Optional[int]:
    """Exit code of our own child `pid` if it has exited (None: running, or not ours).
    `wait`: it is known to have exited (a zombie), so collect its code."""
    proc = _CHILDREN.get(pid)
    if proc is None:
        return None
    if wait:
        try:
            return proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None
    return proc.poll()


def _node_env() -> Dict[str, str]:
    """The node's environment: ours, with backtraces on and no colour codes in node.log
    (both unless already set)."""
    env = dict(os.environ)
    env.setdefault("RUST_BACKTRACE", "1")
    env.setdefault("NO_COLOR", "1")
    return env


def _signal(pid: int, sig: int) -> None:
    """os.kill, except that a process that has just gone is not an error."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _allowed_cpus() -> List[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return list(range(os.cpu_count() or 1))


def find_binary(explicit: Optional[str] = None) -> Path:
    """The `percore` binary: `explicit`, else $PERCORE_BIN, else this repository's
    target/debug/percore, else target/release/percore, else `percore` on PATH."""
    candidates = []
    if explicit:
        candidates.append(Path(explicit).expanduser())
    elif os.environ.get("PERCORE_BIN"):
        candidates.append(Path(os.environ["PERCORE_BIN"]).expanduser())
    else:
        target = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
        candidates += [target / "debug" / "percore", target / "release" / "percore"]
        on_path = shutil.which("percore")
        if on_path:
            candidates.append(Path(on_path))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path.resolve()
    tried = ", ".join(str(p) for p in candidates) or "nothing"
    raise ClusterError(f"no percore binary (tried {tried}): build it with `cargo build --bin percore`, "
                       "or pass --binary / set PERCORE_BIN")


def base_dir_path(base_dir: Optional[Union[str, Path]] = None) -> Path:
    if base_dir is None:
        base_dir = os.environ.get(BASE_DIR_ENV) or DEFAULT_BASE_DIR
    return Path(base_dir).expanduser().resolve()


def parse_dc_racks(specs: Sequence[str]) -> List[tuple]:
    """["dc1:r1,r2", "dc2:r1"] -> [("dc1", ["r1", "r2"]), ("dc2", ["r1"])]; one string may
    hold several data centers, separated by spaces or ';' ("dc1:r1,r2;dc2:r1")."""
    out = []
    for spec in (part for item in specs for part in re.split(r"[\s;]+", item) if part):
        dc, _, racks = spec.partition(":")
        dc = dc.strip()
        rack_list = [r.strip() for r in racks.split(",") if r.strip()] or [DEFAULT_RACK]
        if not dc or not all(NAME_RE.match(x) for x in [dc, *rack_list]):
            raise ClusterError(f"--dc-racks '{spec}': expected DC:RACK[,RACK...] with plain names, e.g. dc1:r1,r2")
        if dc in (d for d, _ in out):
            raise ClusterError(f"--dc-racks: data center {dc} given twice")
        out.append((dc, rack_list))
    return out


def place_nodes(counts: Sequence[int], dc_racks: Sequence[tuple]) -> List[tuple]:
    """(dc, rack) for each node: `counts[k]` nodes in the k-th data center, racks taken in
    turn inside each data center (node1 rack1, node2 rack2, ...)."""
    placement = []
    for count, (dc, racks) in zip(counts, dc_racks):
        placement += [(dc, racks[j % len(racks)]) for j in range(count)]
    return placement


def split_counts(nodes: Union[int, str], nr_dcs: int) -> List[int]:
    """`-n 6` over 2 DCs -> [3, 3]; `-n 3:2` -> [3, 2] (ccm's per-DC form)."""
    text = str(nodes)
    if ":" in text:
        try:
            counts = [int(x) for x in text.split(":")]
        except ValueError:
            raise ClusterError(f"-n '{text}': expected N or N1:N2:... (nodes per data center)") from None
        if len(counts) != nr_dcs:
            raise ClusterError(f"-n '{text}' names {len(counts)} data centers but {nr_dcs} are defined "
                               "(--dc-racks)")
    else:
        try:
            total = int(text)
        except ValueError:
            raise ClusterError(f"-n '{text}': expected a number of nodes") from None
        counts = [total // nr_dcs + (1 if k < total % nr_dcs else 0) for k in range(nr_dcs)]
    if any(c < 0 for c in counts) or sum(counts) < 1:
        raise ClusterError("a cluster needs at least one node")
    return counts


# -- settings ---------------------------------------------------------------------------------

@dataclass
class NodeSpec:
    index: int
    dc: str = DEFAULT_DC
    rack: str = DEFAULT_RACK

    @property
    def name(self) -> str:
        return f"node{self.index}"


@dataclass
class Settings:
    """What `create` was told; kept in cluster.json."""
    name: str
    nodes: List[NodeSpec]
    binary: Optional[str] = None         # None: find_binary() at each start
    smp: int = 1
    memory: str = "1G"
    port_offset: int = 0
    ip_prefix: str = DEFAULT_IP_PREFIX
    num_tokens: int = 16
    fd_timeout_ms: int = 2000
    seeds: int = 1                       # the first `seeds` nodes are the seeds
    cpu_spread: bool = True              # give each node its own CPUs (--cpuset) when they suffice
    yaml_extra: Dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Settings":
        raw = json.loads(text)
        raw["nodes"] = [NodeSpec(**n) for n in raw["nodes"]]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known})

    def ports(self) -> Dict[str, int]:
        return {k: v + self.port_offset for k, v in BASE_PORTS.items()}

    def address(self, index: int) -> str:
        return f"{self.ip_prefix}{index}"

    def seed_addresses(self) -> List[str]:
        indexes = sorted(n.index for n in self.nodes)[:max(1, self.seeds)]
        return [self.address(i) for i in indexes]

    def validate(self) -> None:
        if not NAME_RE.match(self.name):
            raise ClusterError(f"cluster name '{self.name}': use letters, digits, '_', '.', '-'")
        if not re.fullmatch(r"127\.\d{1,3}\.\d{1,3}\.", self.ip_prefix) or \
                any(int(x) > 255 for x in self.ip_prefix.split(".")[:3]):
            raise ClusterError(f"ip prefix '{self.ip_prefix}': expected 127.A.B. (loopback, ending with a dot)")
        if any(not 1 <= n.index <= 254 for n in self.nodes):
            raise ClusterError("node numbers must be between 1 and 254 (the last byte of the address)")
        ports = self.ports()
        if any(not 1 <= p <= 65535 for p in ports.values()):
            raise ClusterError(f"--port-offset {self.port_offset} puts ports outside 1..65535: {ports}")
        if self.smp < 1:
            raise ClusterError("--smp must be at least 1")
        parse_memory_size(self.memory)
        if not 1 <= self.num_tokens <= 1536:
            raise ClusterError("--num-tokens must be between 1 and 1536")
        if self.fd_timeout_ms < 500:
            raise ClusterError("--fd-timeout-ms must be at least 500 (the node refuses less)")
        for key in self.yaml_extra:
            if not re.fullmatch(r"[a-z0-9_]+", key):
                raise ClusterError(f"--yaml key '{key}' is not a percore.yaml key")


# -- one node -------------------------------------------------------------------------------

@dataclass
class NodeStatus:
    name: str
    address: str
    pid: Optional[int]
    state: str            # UP, DOWN, PAUSED, STARTING (running, CQL not answering)
    detail: str = ""

    def line(self) -> str:
        pid = str(self.pid) if self.pid else "-"
        return f"{self.name:<8} {self.address:<15} pid {pid:<8} {self.state}{'  ' + self.detail if self.detail else ''}"


class Node:
    def __init__(self, cluster: "Cluster", spec: NodeSpec):
        self.cluster = cluster
        self.spec = spec
        self.index = spec.index
        self.name = spec.name
        self.dir = cluster.dir / self.name
        self.config_path = self.dir / CONFIG_FILE
        self.rackdc_path = self.dir / RACKDC_FILE
        self.log_path = self.dir / LOG_FILE
        self.pid_path = self.dir / PID_FILE
        self.data_dir = self.dir / "data"
        self.commitlog_dir = self.dir / "commitlog"
        self.last_exit_code: Optional[int] = None
        self.not_running_why = ""

    def __repr__(self) -> str:
        return f"Node({self.name}, {self.address}, pid={self.pid()})"

    # -- addresses and ports --
    @property
    def settings(self) -> Settings:
        return self.cluster.settings

    @property
    def address(self) -> str:
        return self.settings.address(self.index)

    @property
    def ports(self) -> Dict[str, int]:
        return self.settings.ports()

    @property
    def cql_port(self) -> int:
        return self.ports["native_transport_port"]

    @property
    def shard_aware_port(self) -> int:
        return self.ports["native_shard_aware_transport_port"]

    @property
    def storage_port(self) -> int:
        return self.ports["storage_port"]

    @property
    def prometheus_port(self) -> int:
        return self.ports["prometheus_port"]

    @property
    def contact_point(self) -> tuple:
        return (self.address, self.cql_port)

    # -- files --
    def config_text(self) -> str:
        s = self.settings
        p = self.ports
        lines = [
            f"# Written by percore-cluster: cluster {s.name}, {self.name}. `percore-cluster create` rewrites it.",
            f"cluster_name: {_yaml_str(s.name)}",
            f"listen_address: {self.address}",
            f"rpc_address: {self.address}",
            "seed_provider:",
            f"  - class_name: {SIMPLE_SEED_PROVIDER}",
            "    parameters:",
            f"      - seeds: {_yaml_str(','.join(s.seed_addresses()))}",
            f"storage_port: {p['storage_port']}",
            f"num_tokens: {s.num_tokens}",
            f"endpoint_snitch: {SNITCH}",
            f"failure_detector_timeout_in_ms: {s.fd_timeout_ms}",
            f"native_transport_port: {p['native_transport_port']}",
            f"native_shard_aware_transport_port: {p['native_shard_aware_transport_port']}",
            f"prometheus_address: {self.address}",
            f"prometheus_port: {p['prometheus_port']}",
            "data_file_directories:",
            f"  - {_yaml_str(self.data_dir)}",
            f"commitlog_directory: {_yaml_str(self.commitlog_dir)}",
            f"smp: {s.smp}",
            f"memory_bytes: {parse_memory_size(s.memory)}",
        ]
        if s.yaml_extra:
            generated = {line.split(":", 1)[0] for line in lines if line and line[0].isalpha()}
            clash = sorted(generated & set(s.yaml_extra))
            if clash:
                raise ClusterError(f"--yaml cannot set {', '.join(clash)}: the launcher writes them "
                                   "(use the matching create option)")
            lines.append("# --yaml KEY=VALUE")
            lines += [f"{k}: {v}" for k, v in s.yaml_extra.items()]
        return "\n".join(lines) + "\n"

    def rackdc_text(self) -> str:
        return f"# Written by percore-cluster.\ndc={self.spec.dc}\nrack={self.spec.rack}\n"

    def write_files(self) -> None:
        for d in (self.dir, self.data_dir, self.commitlog_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config_text())
        self.rackdc_path.write_text(self.rackdc_text())

    # -- process --
    def pid(self) -> Optional[int]:
        """The pid of this node's running process (a paused one counts), else None. The pid
        file is trusted only if that process is a percore running this node's config."""
        try:
            pid = int(self.pid_path.read_text().strip())
        except (OSError, ValueError) as e:
            self.not_running_why = f"no pid in {self.pid_path} ({e.__class__.__name__})"
            return None
        state = _proc_state(pid)
        code = _reap(pid, wait=state in (None, "Z", "X"))
        if code is not None:
            self.last_exit_code = code
            self.not_running_why = f"pid {pid} exited with code {code}"
            return None
        if state is None or state in ("Z", "X"):
            self.not_running_why = f"pid {pid} is gone" + (f" (state {state})" if state else "")
            return None
        if pid in _CHILDREN:
            # Our own unreaped child: its pid cannot have been reused. (Its cmdline may even
            # be empty still: Popen returns once exec has begun, before argv is in place.)
            self.not_running_why = ""
            return pid
        cmdline = _proc_cmdline(pid)
        if str(self.config_path) not in cmdline:
            self.not_running_why = f"pid {pid} runs something else: {' '.join(cmdline)[:200]}"
            return None  # the pid was reused by something else
        self.not_running_why = ""
        return pid

    def is_running(self) -> bool:
        return self.pid() is not None

    def is_paused(self) -> bool:
        pid = self.pid()
        return pid is not None and _proc_state(pid) in ("T", "t")

    def answers_cql(self, timeout: float = HANDSHAKE_TIMEOUT_S) -> bool:
        return answers_cql(self.address, self.cql_port, timeout)

    def handshake(self, timeout: float = HANDSHAKE_TIMEOUT_S) -> Dict[str, List[str]]:
        return cql_handshake(self.address, self.cql_port, timeout)

    def command(self, binary: Path) -> List[str]:
        cmd = [str(binary), "--config", str(self.config_path)]
        cpuset = self._cpuset()
        if cpuset:
            cmd += ["--cpuset", cpuset]
        return cmd

    def _cpuset(self) -> Optional[str]:
        """Node i gets `smp` CPUs of its own, taken in turn from the CPUs this process may use,
        so that single-shard nodes are not all pinned to the first CPU. None (the node's own
        choice) when spreading is off or the node wants more shards than there are CPUs."""
        s = self.settings
        cpus = _allowed_cpus()
        if not s.cpu_spread or s.smp > len(cpus):
            return None
        ordinal = sorted(n.index for n in s.nodes).index(self.index)
        picked = sorted({cpus[(ordinal * s.smp + k) % len(cpus)] for k in range(s.smp)})
        return ",".join(str(c) for c in picked)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return _log_tail(self.log_path, lines)

    def start(self, wait: bool = True, timeout: float = START_TIMEOUT_S, binary: Optional[Path] = None,
              detach: Optional[bool] = None) -> int:
        """Starts the node in the background (nothing if it runs already) and, with `wait`,
        waits until it answers a CQL handshake. Returns its pid."""
        pid = self.pid()
        if pid is None:
            if not self.config_path.is_file():
                raise ClusterError(f"{self.name}: no {self.config_path} (was the cluster created?)")
            binary = binary or find_binary(self.settings.binary)
            cmd = self.command(binary)
            detach = self.cluster.detach if detach is None else detach
            with open(self.log_path, "ab") as log:
                stamp = time.strftime("%Y-%m-%d %H:%M:%S")
                log.write(f"=== percore-cluster {stamp}: starting {self.name}: {' '.join(cmd)}\n".encode())
                log.flush()
                proc = subprocess.Popen(
                    cmd, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    env=_node_env(),
                    start_new_session=detach, close_fds=True,
                )
            _CHILDREN[proc.pid] = proc
            self.pid_path.write_text(f"{proc.pid}\n")
            pid = proc.pid
        if wait:
            self.wait_cql(timeout)
        return pid

    def wait_cql(self, timeout: float = START_TIMEOUT_S) -> None:
        """Waits until the node answers OPTIONS with SUPPORTED on its CQL port."""
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            pid = self.pid()
            if pid is None:
                why = f"is not running ({self.not_running_why})" if self.last_exit_code is None else \
                    f"exited with code {self.last_exit_code} before answering CQL"
                raise ClusterError(f"{self.name} ({self.address}) {why}\n{self.log_tail()}")
            try:
                cql_handshake(self.address, self.cql_port, timeout=min(HANDSHAKE_TIMEOUT_S, timeout))
                return
            except HandshakeError as e:
                last = str(e)
            if time.monotonic() >= deadline:
                raise ClusterError(
                    f"{self.name} (pid {pid}) did not answer a CQL handshake on {self.address}:{self.cql_port} "
                    f"within {timeout:.0f}s (last: {last}); it is still running: look at {self.log_path}, "
                    f"then `percore-cluster stop {self.name}`\n{self.log_tail()}")
            time.sleep(0.1)

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid() != pid:
                return True
            time.sleep(0.05)
        return self.pid() != pid

    def _forget(self, pid: int) -> Optional[int]:
        proc = _CHILDREN.pop(pid, None)
        if proc is not None:
            try:
                self.last_exit_code = proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        try:
            if self.pid_path.read_text().strip() == str(pid):
                self.pid_path.unlink()
        except OSError:
            pass
        return self.last_exit_code if proc is not None else None

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> Optional[int]:
        """SIGTERM (and SIGCONT, in case it is paused), wait; SIGKILL after `timeout`.
        Returns the exit code when this process started the node (None otherwise, or if it
        was not running). Raises ClusterError if it had to be killed."""
        pid = self.pid()
        if pid is None:
            return None
        self.last_exit_code = None
        _signal(pid, signal.SIGTERM)
        _signal(pid, signal.SIGCONT)
        if self._wait_gone(pid, timeout):
            return self._forget(pid)
        _signal(pid, signal.SIGKILL)
        self._wait_gone(pid, 10)
        self._forget(pid)
        raise ClusterError(f"{self.name} (pid {pid}) did not exit within {timeout:.0f}s of SIGTERM: killed it "
                           f"(SIGKILL)\n{self.log_tail()}")

    def kill(self, sig: int = signal.SIGKILL) -> Optional[int]:
        """kill -9 (by default) and wait until it is gone."""
        pid = self.pid()
        if pid is None:
            return None
        self.last_exit_code = None
        _signal(pid, sig)
        if sig != signal.SIGKILL:
            _signal(pid, signal.SIGCONT)
        if not self._wait_gone(pid, 10):
            raise ClusterError(f"{self.name} (pid {pid}) is still there 10 s after signal {sig}")
        return self._forget(pid)

    def pause(self) -> None:
        """SIGSTOP, and wait until the process is stopped."""
        self._stop_or_continue(signal.SIGSTOP, stopped=True)

    def resume(self) -> None:
        """SIGCONT, and wait until the process runs again."""
        self._stop_or_continue(signal.SIGCONT, stopped=False)

    def _stop_or_continue(self, sig: int, stopped: bool) -> None:
        pid = self.pid()
        if pid is None:
            raise ClusterError(f"{self.name} is not running")
        _signal(pid, sig)
        deadline = time.monotonic() + 5
        while (_proc_state(pid) in ("T", "t")) != stopped and time.monotonic() < deadline:
            time.sleep(0.01)  # signals are delivered asynchronously

    def status(self) -> NodeStatus:
        pid = self.pid()
        if pid is None:
            return NodeStatus(self.name, self.address, None, "DOWN", "not running")
        if _proc_state(pid) in ("T", "t"):
            return NodeStatus(self.name, self.address, pid, "PAUSED", "SIGSTOP: `resume` continues it")
        try:
            cql_handshake(self.address, self.cql_port)
            return NodeStatus(self.name, self.address, pid, "UP")
        except HandshakeError as e:
            return NodeStatus(self.name, self.address, pid, "DOWN", f"running, no CQL answer: {e}")

    # -- tools --
    def nodetool_command(self, args: Sequence[str], binary: Optional[Path] = None) -> List[str]:
        binary = binary or find_binary(self.settings.binary)
        return [str(binary), "nodetool", "--host", self.address, "-p", str(self.prometheus_port), *args]

    def nodetool(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        """Runs `percore nodetool ARGS` against this node; output captured (text)."""
        proc = subprocess.run(self.nodetool_command(args), capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise ClusterError(f"nodetool {' '.join(args)} on {self.name} failed ({proc.returncode}): "
                               f"{proc.stderr.strip() or proc.stdout.strip()}")
        return proc

    def cqlsh_command(self, args: Sequence[str] = ()) -> List[str]:
        return ["cqlsh", self.address, str(self.cql_port), *args]


# -- the cluster -----------------------------------------------------------------------------

NodeRef = Union[int, str, Node]


class Cluster:
    def __init__(self, base_dir: Path, settings: Settings, detach: bool = True):
        self.base_dir = base_dir
        self.settings = settings
        self.dir = base_dir / settings.name
        self.detach = detach
        self.nodes = [Node(self, spec) for spec in sorted(settings.nodes, key=lambda n: n.index)]

    def __repr__(self) -> str:
        return f"Cluster({self.name}, {len(self.nodes)} nodes, {self.dir})"

    @property
    def name(self) -> str:
        return self.settings.name

    # -- creation and loading --
    @classmethod
    def create(cls, name: str, nodes: Union[int, str] = 3, base_dir: Optional[Union[str, Path]] = None,
               binary: Optional[str] = None, smp: int = 1, memory: str = "1G", port_offset: int = 0,
               ip_prefix: str = DEFAULT_IP_PREFIX, num_tokens: int = 16, fd_timeout_ms: int = 2000,
               dc_racks: Optional[Sequence[str]] = None, racks: Optional[int] = None, seeds: int = 1,
               cpu_spread: bool = True, yaml_extra: Optional[Dict[str, str]] = None,
               make_current: bool = True, detach: bool = True) -> "Cluster":
        """Writes BASE/NAME/node<i>/{percore.yaml,cassandra-rackdc.properties} for every node.
        `dc_racks` like ["dc1:r1,r2", "dc2:r1"] (with `nodes` N or "N1:N2"); `racks` K is
        short for one data center `datacenter1` with racks rack1..rackK."""
        base = base_dir_path(base_dir)
        if dc_racks and racks:
            raise ClusterError("give either --dc-racks or --racks, not both")
        layout = parse_dc_racks(dc_racks) if dc_racks else \
            [(DEFAULT_DC, [f"rack{k}" for k in range(1, (racks or 1) + 1)])]
        counts = split_counts(nodes, len(layout))
        placement = place_nodes(counts, layout)
        specs = [NodeSpec(i, dc, rack) for i, (dc, rack) in enumerate(placement, start=1)]
        if binary:
            binary = str(find_binary(binary))
        settings = Settings(name=name, nodes=specs, binary=binary, smp=smp, memory=memory,
                            port_offset=port_offset, ip_prefix=ip_prefix, num_tokens=num_tokens,
                            fd_timeout_ms=fd_timeout_ms, seeds=seeds, cpu_spread=cpu_spread,
                            yaml_extra=dict(yaml_extra or {}))
        settings.validate()
        cluster_dir = base / name
        if (cluster_dir / CLUSTER_FILE).exists():
            raise ClusterError(f"cluster {name} exists already in {cluster_dir} (`percore-cluster remove {name}` "
                               "first, or pick another name)")
        cluster = cls(base, settings, detach=detach)
        for node in cluster.nodes:
            node.config_text()  # raises on --yaml clashes before anything is written
        cluster.dir.mkdir(parents=True, exist_ok=True)
        cluster.save()
        for node in cluster.nodes:
            node.write_files()
        if make_current:
            (base / CURRENT_FILE).write_text(name + "\n")
        return cluster

    @classmethod
    def load(cls, name: Optional[str] = None, base_dir: Optional[Union[str, Path]] = None,
             detach: bool = True) -> "Cluster":
        base = base_dir_path(base_dir)
        if name is None:
            name = current_cluster_name(base)
            if name is None:
                raise ClusterError(f"no current cluster in {base}: `percore-cluster create NAME -n 3` "
                                   "or `percore-cluster switch NAME`")
        path = base / name / CLUSTER_FILE
        try:
            settings = Settings.from_json(path.read_text())
        except FileNotFoundError:
            raise ClusterError(f"no cluster {name} in {base} (`percore-cluster list`)") from None
        except (ValueError, TypeError, KeyError) as e:
            raise ClusterError(f"{path} is not a cluster file: {e}") from None
        return cls(base, settings, detach=detach)

    def save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / (CLUSTER_FILE + ".tmp")
        tmp.write_text(self.settings.to_json())
        tmp.replace(self.dir / CLUSTER_FILE)

    def add_node(self, dc: Optional[str] = None, rack: Optional[str] = None, seed: bool = False) -> Node:
        """Adds node<N+1> (files only; start it with `start`). `dc`/`rack` default to the
        last node's. With `seed`, it becomes a seed of every node's config."""
        last = self.nodes[-1].spec if self.nodes else NodeSpec(0)
        spec = NodeSpec(last.index + 1, dc or last.dc, rack or last.rack)
        if not NAME_RE.match(spec.dc) or not NAME_RE.match(spec.rack):
            raise ClusterError("--dc/--rack: plain names only")
        self.settings.nodes.append(spec)
        if seed:
            self.settings.seeds = max(self.settings.seeds, len(self.settings.nodes))
        self.settings.validate()
        self.nodes.append(Node(self, spec))
        self.save()
        for node in self.nodes:
            if node is self.nodes[-1] or seed:
                node.write_files()
        return self.nodes[-1]

    # -- nodes --
    def node(self, ref: NodeRef) -> Node:
        if isinstance(ref, Node):
            return ref
        text = str(ref)
        index = int(text[4:]) if text.startswith("node") and text[4:].isdigit() else \
            int(text) if text.isdigit() else None
        for node in self.nodes:
            if node.index == index:
                return node
        raise ClusterError(f"no node '{ref}' in cluster {self.name} (nodes: "
                           f"{', '.join(n.name for n in self.nodes)})")

    def select(self, refs: Optional[Iterable[NodeRef]] = None) -> List[Node]:
        refs = list(refs or [])
        if not refs:
            return list(self.nodes)
        picked = {self.node(r).index: self.node(r) for r in refs}
        return [picked[i] for i in sorted(picked)]

    def contact_points(self) -> List[str]:
        return [n.address for n in self.nodes]

    # -- lifecycle --
    def start(self, refs: Optional[Iterable[NodeRef]] = None, wait: bool = True,
              timeout: float = START_TIMEOUT_S, echo=None) -> None:
        """Starts the nodes in order, each only once the one before answers CQL (unless
        `wait` is False: then they are all started at once)."""
        binary = find_binary(self.settings.binary)
        for node in self.select(refs):
            was_running = node.is_running()
            pid = node.start(wait=wait, timeout=timeout, binary=binary)
            if echo:
                what = "already running" if was_running else ("started" if not wait else "up")
                echo(f"{node.name} {node.address}:{node.cql_port} pid {pid} {what}")

    def stop(self, refs: Optional[Iterable[NodeRef]] = None, timeout: float = STOP_TIMEOUT_S) -> Dict[str, Optional[int]]:
        """Stops the nodes (the last first); returns their exit codes (None if unknown).
        Every node is tried even if one fails; then the failures are raised together."""
        codes, problems = {}, []
        for node in reversed(self.select(refs)):
            try:
                codes[node.name] = node.stop(timeout)
            except ClusterError as e:
                problems.append(str(e))
        if problems:
            raise ClusterError("\n\n".join(problems))
        return codes

    def kill(self, refs: Optional[Iterable[NodeRef]] = None, sig: int = signal.SIGKILL) -> None:
        for node in self.select(refs):
            node.kill(sig)

    def pause(self, refs: Optional[Iterable[NodeRef]] = None) -> None:
        for node in self.select(refs):
            node.pause()

    def resume(self, refs: Optional[Iterable[NodeRef]] = None) -> None:
        for node in self.select(refs):
            node.resume()

    def running_pids(self) -> Dict[str, int]:
        return {n.name: pid for n in self.nodes if (pid := n.pid()) is not None}

    def status(self) -> List[NodeStatus]:
        return [n.status() for n in self.nodes]

    def status_text(self) -> str:
        ports = self.settings.ports()
        head = (f"Cluster {self.name} ({self.dir}): CQL {ports['native_transport_port']} "
                f"(shard-aware {ports['native_shard_aware_transport_port']}), storage {ports['storage_port']}, "
                f"prometheus/nodetool {ports['prometheus_port']}")
        return "\n".join([head] + [s.line() for s in self.status()])

    def remove(self, timeout: float = 10) -> None:
        """Stops every node (SIGKILL after `timeout`) and deletes the cluster's directory."""
        try:
            self.stop(timeout=timeout)
        except ClusterError:
            pass  # killed: nothing left running, which is all remove needs
        still = self.running_pids()
        if still:
            raise ClusterError(f"not removing {self.dir}: still running {still}")
        shutil.rmtree(self.dir, ignore_errors=True)
        if current_cluster_name(self.base_dir) == self.name:
            try:
                (self.base_dir / CURRENT_FILE).unlink()
            except OSError:
                pass


def current_cluster_name(base: Path) -> Optional[str]:
    try:
        name = (base / CURRENT_FILE).read_text().strip()
    except OSError:
        return None
    return name or None


def list_clusters(base: Path) -> List[str]:
    if not base.is_dir():
        return []
    return sorted(p.parent.name for p in base.glob(f"*/{CLUSTER_FILE}"))


# -- command line -----------------------------------------------------------------------------

def _yaml_pairs(items: Sequence[str]) -> Dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ClusterError(f"--yaml '{item}': expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", metavar="BASE", default=argparse.SUPPRESS,
                        help=f"where clusters live (default: ${BASE_DIR_ENV} or {DEFAULT_BASE_DIR})")
    common.add_argument("-c", "--cluster", metavar="NAME", default=argparse.SUPPRESS,
                        help="act on this cluster instead of the current one")

    parser = argparse.ArgumentParser(
        prog="percore-cluster", parents=[common],
        description="A local Percore cluster on one machine (ccm-style): node i runs on 127.0.0.<i> "
                    "with the same ports as every other node.",
        epilog="Example: percore-cluster create dev -n 3 && percore-cluster start && percore-cluster status")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def cmd(name, help_text, **kw):
        return sub.add_parser(name, parents=[common], help=help_text, description=help_text, **kw)

    p = cmd("create", "write a new cluster's node directories and configs (and make it current)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("-n", "--nodes", default="3", help="number of nodes, or N1:N2:... per data center (default 3)")
    p.add_argument("--binary", help="percore binary (default: $PERCORE_BIN, else target/debug/percore of this "
                                    "repository, else target/release/percore, else percore on PATH; looked up "
                                    "at each start)")
    p.add_argument("--smp", type=int, default=1, help="shards per node (default 1)")
    p.add_argument("--memory", default="1G", help="memory per node, e.g. 512M (default 1G)")
    p.add_argument("--port-offset", type=int, default=0, help="added to every port (default 0)")
    p.add_argument("--ip-prefix", default=DEFAULT_IP_PREFIX,
                   help=f"node i listens on PREFIX<i> (default {DEFAULT_IP_PREFIX})")
    p.add_argument("--num-tokens", type=int, default=16, help="num_tokens (default 16)")
    p.add_argument("--fd-timeout-ms", type=int, default=2000, help="failure_detector_timeout_in_ms (default 2000)")
    p.add_argument("--dc-racks", action="append", metavar="DC:R1,R2",
                   help="a data center and its racks; repeat (or separate with ';') for more data "
                        "centers: nodes are split between them in order (or -n N1:N2), racks taken in turn")
    p.add_argument("--racks", "--rf-racks", dest="racks", type=int, metavar="K",
                   help="one data center (datacenter1) with racks rack1..rackK, nodes in turn")
    p.add_argument("--seeds", type=int, default=1, help="the first K nodes are seeds (default 1: node1)")
    p.add_argument("--no-cpu-spread", dest="cpu_spread", action="store_false",
                   help="do not give each node its own CPUs with --cpuset")
    p.add_argument("--yaml", action="append", metavar="KEY=VALUE",
                   help="an extra percore.yaml line for every node, e.g. commitlog_sync=batch")

    p = cmd("add", "add node<N+1> to the cluster's files (then `start nodeN+1`)")
    p.add_argument("--dc", help="its data center (default: the last node's)")
    p.add_argument("--rack", help="its rack (default: the last node's)")
    p.add_argument("--seed", action="store_true", help="make it a seed too (rewrites every node's config)")

    p = cmd("start", "start all (or the named) nodes, one after another")
    p.add_argument("nodes", nargs="*", metavar="nodeI")
    p.add_argument("--no-wait", action="store_true", help="do not wait for a CQL answer")
    p.add_argument("--timeout", type=float, default=START_TIMEOUT_S,
                   help=f"seconds to wait for each node (default {START_TIMEOUT_S:.0f})")

    p = cmd("stop", "SIGTERM, wait, SIGKILL after the timeout")
    p.add_argument("nodes", nargs="*", metavar="nodeI")
    p.add_argument("--timeout", type=float, default=STOP_TIMEOUT_S,
                   help=f"seconds before SIGKILL (default {STOP_TIMEOUT_S:.0f})")

    for name, text in [("kill", "kill -9"), ("pause", "SIGSTOP"), ("resume", "SIGCONT")]:
        p = cmd(name, f"{text} all (or the named) nodes")
        p.add_argument("nodes", nargs="*", metavar="nodeI")

    cmd("status", "one line per node: name, address, pid, UP/DOWN/PAUSED (by CQL handshake)")

    p = cmd("nodetool", "run `percore nodetool` against a node's admin address (--host/-p are "
                        "filled in; everything after nodeI goes to nodetool)")
    p.add_argument("node", metavar="nodeI")
    p.add_argument("args", nargs=argparse.REMAINDER)

    p = cmd("cqlsh", "run cqlsh against a node (or print its command line when cqlsh is not on PATH); "
                     "options for cqlsh go after nodeI, --print before it")
    p.add_argument("node", metavar="nodeI")
    p.add_argument("--print", dest="print_only", action="store_true", help="only print the command line")
    p.add_argument("args", nargs=argparse.REMAINDER)

    p = cmd("logs", "print the path of a node's log (with --tail N: its last lines)")
    p.add_argument("node", metavar="nodeI")
    p.add_argument("--tail", type=int, metavar="N")

    p = cmd("remove", "stop every node (SIGKILL after 10 s) and delete the cluster's directory")
    p.add_argument("name", nargs="?", metavar="NAME", help="default: the current cluster")

    cmd("list", "the clusters in BASE (* marks the current one)")

    p = cmd("switch", "make NAME the current cluster")
    p.add_argument("name", metavar="NAME")

    p = cmd("show", "a cluster's settings, addresses, ports and files")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    base = base_dir_path(getattr(args, "dir", None))
    name = getattr(args, "cluster", None)
    try:
        return _run(args, base, name)
    except ClusterError as e:
        print(f"percore-cluster: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _run(args, base: Path, name: Optional[str]) -> int:
    c = args.command
    if c == "create":
        cluster = Cluster.create(
            args.name, args.nodes, base_dir=base, binary=args.binary, smp=args.smp, memory=args.memory,
            port_offset=args.port_offset, ip_prefix=args.ip_prefix, num_tokens=args.num_tokens,
            fd_timeout_ms=args.fd_timeout_ms, dc_racks=args.dc_racks, racks=args.racks, seeds=args.seeds,
            cpu_spread=args.cpu_spread, yaml_extra=_yaml_pairs(args.yaml))
        print(f"created {cluster.name} in {cluster.dir}: "
              + ", ".join(f"{n.name} {n.address} ({n.spec.dc}/{n.spec.rack})" for n in cluster.nodes))
        print("start it with: percore-cluster start" + _dir_flag(base))
        return 0
    if c == "list":
        current = current_cluster_name(base)
        for cname in list_clusters(base):
            try:
                cluster = Cluster.load(cname, base)
                running = len(cluster.running_pids())
                print(f"{'*' if cname == current else ' '} {cname:<20} {len(cluster.nodes)} nodes, "
                      f"{running} running")
            except ClusterError as e:
                print(f"? {cname:<20} {e}")
        return 0
    if c == "switch":
        Cluster.load(args.name, base)
        (base / CURRENT_FILE).write_text(args.name + "\n")
        return 0
    if c == "remove":
        cluster = Cluster.load(args.name or name, base)
        cluster.remove()
        print(f"removed {cluster.name} ({cluster.dir})")
        return 0

    cluster = Cluster.load(name, base)
    if c == "add":
        node = cluster.add_node(dc=args.dc, rack=args.rack, seed=args.seed)
        print(f"added {node.name} {node.address} ({node.spec.dc}/{node.spec.rack}); "
              f"start it with: percore-cluster start {node.name}{_dir_flag(base)}")
        return 0
    if c == "start":
        cluster.start(args.nodes, wait=not args.no_wait, timeout=args.timeout, echo=print)
        return 0
    if c == "stop":
        for node_name, code in sorted(cluster.stop(args.nodes, timeout=args.timeout).items()):
            print(f"{node_name} stopped" + ("" if code is None else f" (exit code {code})"))
        return 0
    if c in ("kill", "pause", "resume"):
        getattr(cluster, c)(args.nodes)
        return 0
    if c == "status":
        print(cluster.status_text())
        return 0 if all(s.state == "UP" for s in cluster.status()) else 3
    if c == "nodetool":
        node = cluster.node(args.node)
        return subprocess.run(node.nodetool_command(_strip_dashdash(args.args))).returncode
    if c == "cqlsh":
        node = cluster.node(args.node)
        cmd = node.cqlsh_command(_strip_dashdash(args.args))
        if args.print_only or shutil.which("cqlsh") is None:
            print(" ".join(_shell_quote(a) for a in cmd))
            return 0
        sys.stdout.flush()
        os.execvp(cmd[0], cmd)
    if c == "logs":
        node = cluster.node(args.node)
        if args.tail:
            print(node.log_tail(args.tail))
        else:
            print(node.log_path)
        return 0
    if c == "show":
        s = cluster.settings
        print(f"cluster {s.name} in {cluster.dir}")
        print(f"binary: {s.binary or '(found at each start: ' + _binary_or_why(s) + ')'}")
        print(f"smp {s.smp}, memory {s.memory}, num_tokens {s.num_tokens}, failure_detector_timeout_in_ms "
              f"{s.fd_timeout_ms}, seeds {','.join(s.seed_addresses())}")
        print("ports: " + ", ".join(f"{k} {v}" for k, v in s.ports().items()))
        for n in cluster.nodes:
            print(f"{n.name}: {n.address} {n.spec.dc}/{n.spec.rack} config {n.config_path} log {n.log_path}")
        return 0
    raise ClusterError(f"unknown command {c}")


def _binary_or_why(s: Settings) -> str:
    try:
        return str(find_binary(s.binary))
    except ClusterError as e:
        return str(e)


def _strip_dashdash(args: List[str]) -> List[str]:
    return args[1:] if args and args[0] == "--" else args


def _shell_quote(a: str) -> str:
    return a if re.fullmatch(r"[A-Za-z0-9_./:=,@+-]+", a) else "'" + a.replace("'", "'\\''") + "'"


def _dir_flag(base: Path) -> str:
    default = base_dir_path(None)
    return "" if base == default else f" --dir {base}"


if __name__ == "__main__":
    sys.exit(main())
