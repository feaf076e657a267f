"""Protocol negotiation and hostile input on raw sockets: errors, never a dead server."""

import random
import socket

import pytest

import cql_wire
from cql_wire import OPTIONS, PROTOCOL_ERROR, QUERY, RawConnection
from support import ServerFactory

pytestmark = pytest.mark.wire


@pytest.fixture(scope="module")
def abused(tmp_path_factory):
    """A dedicated smp=2 server for this module (so abuse cannot hurt other tests)."""
    factory = ServerFactory(tmp_path_factory.mktemp("abused"))
    server = factory.start(smp=2)
    yield server
    problems = factory.stop_all()
    assert not problems, "\n".join(problems)


def assert_server_healthy(server):
    """The process is alive and a fresh connection can query."""
    assert server.is_running(), f"percore died\n{server.log_excerpt()}"
    with RawConnection(server.port) as conn:
        conn.options()
        conn.startup()
        conn.query("SELECT release_version FROM system.local")
    with RawConnection(server.shard_port) as conn:
        conn.startup()
        conn.query("SELECT key FROM system.local WHERE key = 'local'")


@pytest.mark.parametrize("version", [5, 6])
def test_newer_protocol_version_is_refused_so_drivers_step_down(abused, version):
    with RawConnection(abused.port) as conn:
        conn.send_raw(cql_wire.frame(OPTIONS, version=version))
        f = conn.recv_frame()
        assert f.opcode == cql_wire.ERROR, f"expected ERROR, got {f}"
        assert f.version & 0x80, "response direction bit not set"
        assert f.version & 0x7F in (3, 4, version), f"answered in frame version {f.version & 0x7F}"
        code, msg = cql_wire.parse_error(f.body)
        assert code == PROTOCOL_ERROR, f"code 0x{code:04x}: {msg}"
        assert "unsupported protocol version" in msg, msg  # the Python driver matches this text
    assert_server_healthy(abused)


@pytest.mark.parametrize("version", [3, 4])
def test_supported_versions_answer(abused, version):
    with RawConnection(abused.port) as conn:
        supported = conn.options(version=version)
        assert "CQL_VERSION" in supported
        conn.startup(version=version)
        f = conn.query("SELECT release_version FROM system.local", version=version)
        assert f.version == 0x80 | version


@pytest.mark.parametrize("length", [0x7FFFFFFF, 0x80000000, 0xFFFFFFFF], ids=["2GiB-1", "2GiB", "4GiB-1"])
@pytest.mark.parametrize("after_startup", [False, True], ids=["before-startup", "after-startup"])
def test_huge_declared_body_length(abused, length, after_startup):
    with RawConnection(abused.port) as conn:
        if after_startup:
            conn.startup()
        conn.send_raw(cql_wire.frame(QUERY, b"", length=length) + b"\x00" * 64)
        outcome = conn.read_until_closed_or_error(timeout=5)
        assert outcome[0] in ("error", "closed"), \
            "server kept waiting for a body it must refuse (no error, connection still open)"
        if outcome[0] == "error":
            assert outcome[1] == PROTOCOL_ERROR, f"code 0x{outcome[1]:04x}: {outcome[2]}"
    assert_server_healthy(abused)


@pytest.mark.parametrize("seed", range(4))
def test_garbage_bytes_do_not_kill_the_server(abused, seed):
    data = random.Random(seed).randbytes(8192)
    with RawConnection(abused.port) as conn:
        try:
            conn.send_raw(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may hang up early: fine
        conn.read_until_closed_or_error(timeout=2)
    assert_server_healthy(abused)


def test_garbage_after_startup(abused):
    with RawConnection(abused.shard_port) as conn:
        conn.startup()
        conn.send_raw(b"\x04\x00\x00\x01\x07\x00\x00\x00\x10" + b"\xff" * 16)  # QUERY with a bogus body
        outcome = conn.read_until_closed_or_error(timeout=5)
        assert outcome[0] in ("error", "closed"), outcome
        if outcome[0] == "error":
            assert outcome[1] in (PROTOCOL_ERROR, 0x0000, cql_wire.INVALID), outcome
    assert_server_healthy(abused)


@pytest.mark.parametrize("opcode", [0x42, 0xFF, cql_wire.READY], ids=["0x42", "0xff", "READY(response)"])
def test_unknown_opcode_gets_protocol_error(abused, opcode):
    with RawConnection(abused.port) as conn:
        conn.send_raw(cql_wire.frame(opcode))
        outcome = conn.read_until_closed_or_error(timeout=5)
        assert outcome[0] == "error", f"expected a protocol ERROR, got {outcome}"
        assert outcome[1] == PROTOCOL_ERROR, f"code 0x{outcome[1]:04x}: {outcome[2]}"
    assert_server_healthy(abused)


def test_truncated_frame_then_hangup(abused):
    for cut in (1, 5, 9, 12):
        with RawConnection(abused.port) as conn:
            conn.send_raw(cql_wire.frame(QUERY, cql_wire.query_body("SELECT * FROM system.local"))[:cut])
    assert_server_healthy(abused)


def test_many_connections_open_and_close(abused):
    for _ in range(50):
        s = socket.create_connection((abused.contact[0], abused.port), timeout=5)
        s.close()
    assert_server_healthy(abused)
