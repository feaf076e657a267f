"""A tiny raw CQL native-protocol client (v3/v4 framing) over plain sockets.

Used by the tests that must control bytes on the wire or the client's source
port, which no driver lets us do. Only what the tests need: OPTIONS, STARTUP,
QUERY, and decoding SUPPORTED / READY / ERROR / RESULT headers.
Spec: apache/cassandra doc/native_protocol_v4.spec.
"""

import errno
import socket
import struct
import time

HOST = "127.0.0.1"

# opcodes
ERROR, STARTUP, READY, AUTHENTICATE, OPTIONS, SUPPORTED, QUERY, RESULT = 0x00, 0x01, 0x02, 0x03, 0x05, 0x06, 0x07, 0x08

# error codes
PROTOCOL_ERROR = 0x000A
SYNTAX_ERROR = 0x2000
INVALID = 0x2200

CONSISTENCY_ONE = 0x0001

SCYLLA_SHARDING_KEYS = (
    "SCYLLA_SHARD",
    "SCYLLA_NR_SHARDS",
    "SCYLLA_PARTITIONER",
    "SCYLLA_SHARDING_ALGORITHM",
    "SCYLLA_SHARDING_IGNORE_MSB",
    "SCYLLA_SHARD_AWARE_PORT",
)


class ConnectionClosed(Exception):
    """The server closed (or reset) the connection."""


class Frame:
    def __init__(self, version, flags, stream, opcode, body):
        self.version, self.flags, self.stream, self.opcode, self.body = version, flags, stream, opcode, body

    def __repr__(self):
        return (f"Frame(version=0x{self.version:02x}, flags={self.flags}, stream={self.stream}, "
                f"opcode=0x{self.opcode:02x}, body={self.body[:80]!r})")


# -- encoding --------------------------------------------------------------

def frame(opcode, body=b"", version=4, stream=0, flags=0, length=None):
    """Encode a request frame; `length` overrides the declared body length."""
    if length is None:
        length = len(body)
    return struct.pack(">BBhBI", version, flags, stream, opcode, length) + body


def string(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def long_string(s):
    b = s.encode()
    return struct.pack(">i", len(b)) + b


def string_map(d):
    return struct.pack(">H", len(d)) + b"".join(string(k) + string(v) for k, v in d.items())


def startup_body(cql_version="3.0.0"):
    return string_map({"CQL_VERSION": cql_version})


def query_body(cql, consistency=CONSISTENCY_ONE):
    return long_string(cql) + struct.pack(">HB", consistency, 0)


# -- decoding --------------------------------------------------------------

class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError(f"body too short: need {n} bytes at {self.pos}, have {len(self.data)}")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def short(self):
        return struct.unpack(">H", self.take(2))[0]

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def string(self):
        return self.take(self.short()).decode()

    def string_list(self):
        return [self.string() for _ in range(self.short())]

    def string_multimap(self):
        return {self.string(): self.string_list() for _ in range(self.short())}


def parse_error(body):
    """(code, message) of an ERROR body."""
    r = Reader(body)
    return r.int(), r.string()


def parse_supported(body):
    return Reader(body).string_multimap()


# -- a connection ----------------------------------------------------------

class RawConnection:
    """One socket speaking frames; optionally bound to a chosen local source port."""

    def __init__(self, port, source_port=None, timeout=5.0, host=HOST):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.settimeout(timeout)
        if source_port is not None:
            self.sock.bind((host, source_port))
        self.sock.connect((host, port))
        self.source_port = self.sock.getsockname()[1]
        self._stream = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except ConnectionResetError as e:
                raise ConnectionClosed(str(e)) from e
            if not chunk:
                raise ConnectionClosed(f"EOF after {len(buf)} of {n} bytes")
            buf += chunk
        return buf

    def recv_frame(self):
        """Read one response frame (raises socket.timeout if none comes in time)."""
        header = self._recv_exact(9)
        version, flags, stream, opcode, length = struct.unpack(">BBhBI", header)
        if length > 256 * 1024 * 1024:
            raise AssertionError(f"server declared an absurd body length {length}")
        return Frame(version, flags, stream, opcode, self._recv_exact(length))

    def request(self, opcode, body=b"", version=4):
        self._stream = (self._stream + 1) % 32768
        self.send_raw(frame(opcode, body, version=version, stream=self._stream))
        while True:
            f = self.recv_frame()
            if f.stream == self._stream:
                return f
            # stream -1 = server event; anything else is unexpected but skipped

    def options(self, version=4):
        """OPTIONS -> {key: [values]} of SUPPORTED (raises on ERROR)."""
        f = self.request(OPTIONS, version=version)
        if f.opcode == ERROR:
            raise AssertionError(f"OPTIONS got ERROR {parse_error(f.body)}")
        assert f.opcode == SUPPORTED, f"expected SUPPORTED, got {f}"
        return parse_supported(f.body)

    def startup(self, version=4):
        f = self.request(STARTUP, startup_body(), version=version)
        if f.opcode == ERROR:
            raise AssertionError(f"STARTUP got ERROR {parse_error(f.body)}")
        assert f.opcode == READY, f"expected READY, got {f}"

    def query(self, cql, version=4):
        """QUERY -> RESULT frame (raises on ERROR)."""
        f = self.request(QUERY, query_body(cql), version=version)
        if f.opcode == ERROR:
            raise AssertionError(f"QUERY {cql!r} got ERROR {parse_error(f.body)}")
        assert f.opcode == RESULT, f"expected RESULT, got {f}"
        return f

    def read_until_closed_or_error(self, timeout=5.0):
        """After bad input: return ("error", code, msg) or ("closed",) — or ("open",) on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                f = self.recv_frame()
            except ConnectionClosed:
                return ("closed",)
            except socket.timeout:
                return ("open",)
            except OSError as e:
                if e.errno in (errno.ECONNRESET, errno.EPIPE):
                    return ("closed",)
                raise
            if f.opcode == ERROR:
                code, msg = parse_error(f.body)
                return ("error", code, msg)
        return ("open",)


def bind_port_for_shard(server_port, shard, nr_shards, tries=200, start=49152):
    """Connect from a free local port p with p % nr_shards == shard; returns the connection."""
    import random
    rng = random.Random(shard * 7919 + nr_shards)
    last = None
    for _ in range(tries):
        p = rng.randrange(start, 65535)
        p -= p % nr_shards
        p += shard
        if p > 65535:
            continue
        try:
            return RawConnection(server_port, source_port=p)
        except OSError as e:  # port in use: try another
            last = e
    raise AssertionError(f"could not bind a source port for shard {shard}: {last}")


def wait_for(predicate, timeout=5.0, interval=0.05, what="condition"):
    """Poll predicate() until it returns a truthy value; return it, or fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
