"""cqlsh (from this venv) against the server: -e mode and an interactive pty session."""

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

CQLSH = Path(sys.executable).parent / "cqlsh"
TIMEOUT_S = 60

pytestmark = pytest.mark.skipif(not CQLSH.exists(), reason=f"no cqlsh in this venv ({CQLSH})")


def cqlsh_env(tmp_path):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CQLSH", "PYTHON"))}
    env.update(HOME=str(home), TERM="xterm", COLUMNS="200", LC_ALL="C.UTF-8", LANG="C.UTF-8")
    return env


def cqlsh_args(server):
    return [str(CQLSH), server.contact[0], str(server.port),
            "--connect-timeout", "10", "--request-timeout", "10"]


def run_cqlsh(server, tmp_path, cql):
    proc = subprocess.run(cqlsh_args(server) + ["-e", cql], env=cqlsh_env(tmp_path),
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    return proc


def test_version():
    out = subprocess.run([str(CQLSH), "--version"], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("cqlsh ")


def test_execute_mode_ddl_dml_select(server2, tmp_path):
    cql = (
        "CREATE KEYSPACE cqlsh_e WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}; "
        "CREATE TABLE cqlsh_e.people (id int PRIMARY KEY, name text, score double); "
        "INSERT INTO cqlsh_e.people (id, name, score) VALUES (1, 'Ada', 9.5); "
        "INSERT INTO cqlsh_e.people (id, name, score) VALUES (2, 'Linus', 7.25); "
        "SELECT id, name, score FROM cqlsh_e.people WHERE id = 1; "
        "SELECT id, name, score FROM cqlsh_e.people WHERE id = 2;"
    )
    proc = run_cqlsh(server2, tmp_path, cql)
    assert proc.returncode == 0, f"cqlsh failed ({proc.returncode})\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    out = proc.stdout
    for text in ("Ada", "9.5", "Linus", "7.25", "(1 rows)"):
        assert text in out, f"{text!r} missing from cqlsh output:\n{out}\nstderr:\n{proc.stderr}"
    assert "name" in out and "score" in out, f"no column header in:\n{out}"


def test_execute_mode_reports_errors(server2, tmp_path):
    proc = run_cqlsh(server2, tmp_path, "SELECT * FROM no_such_ks.no_such_table;")
    assert proc.returncode != 0
    assert "InvalidRequest" in proc.stderr or "InvalidRequest" in proc.stdout, proc.stderr


def is_scylla_cqlsh():
    try:
        importlib.metadata.distribution("scylla-cqlsh")
        return True
    except importlib.metadata.PackageNotFoundError:
        return False


@pytest.mark.skipif(not is_scylla_cqlsh(), reason="Apache cqlsh only DESCRIBEs server-side on Cassandra >= 4 "
                    "(we present as 3.0.8, like ScyllaDB); scylla-cqlsh sends DESCRIBE to the server")
def test_describe(server2, tmp_path):
    setup = ("CREATE KEYSPACE IF NOT EXISTS cqlsh_d WITH replication = "
             "{'class': 'SimpleStrategy', 'replication_factor': 1}; "
             "CREATE TABLE IF NOT EXISTS cqlsh_d.t (p int, c text, v bigint, PRIMARY KEY (p, c)) "
             "WITH CLUSTERING ORDER BY (c DESC);")
    proc = run_cqlsh(server2, tmp_path, setup)
    assert proc.returncode == 0, proc.stderr
    proc = run_cqlsh(server2, tmp_path, "DESCRIBE KEYSPACES")
    assert proc.returncode == 0, proc.stderr
    assert "cqlsh_d" in proc.stdout and "system" in proc.stdout, proc.stdout
    proc = run_cqlsh(server2, tmp_path, "DESCRIBE TABLE cqlsh_d.t")
    assert proc.returncode == 0, proc.stderr
    assert "CREATE TABLE cqlsh_d.t" in proc.stdout, proc.stdout
    assert "CLUSTERING ORDER BY (c DESC)" in proc.stdout, proc.stdout


def test_interactive_session(server2, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(cqlsh_args(server2)[0], cqlsh_args(server2)[1:], env=cqlsh_env(tmp_path),
                          encoding="utf-8", timeout=30, dimensions=(50, 200))
    transcript = []
    child.logfile_read = _Collector(transcript)
    prompt = r"cqlsh(:\w+)?> "

    def step(line, *expect):
        child.sendline(line)
        for pattern in expect:
            child.expect(pattern)
        child.expect(prompt)

    try:
        child.expect("Connected to")
        child.expect(prompt)
        step("CREATE KEYSPACE cqlsh_i WITH replication = "
             "{'class': 'SimpleStrategy', 'replication_factor': 1};")
        child.sendline("USE cqlsh_i;")
        child.expect(r"cqlsh:cqlsh_i> ")
        step("CREATE TABLE kv (k int PRIMARY KEY, v text);")
        step("INSERT INTO kv (k, v) VALUES (42, 'answer');")
        step("INSERT INTO kv (k, v) VALUES (7, 'seven');")
        step("SELECT k, v FROM kv WHERE k = 42;", "answer", r"\(1 rows\)")
        step("SELECT COUNT(*) FROM kv WHERE k = 7;", r"\(1 rows\)")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    except (pexpect.TIMEOUT, pexpect.EOF) as e:
        raise AssertionError(f"cqlsh session stalled ({type(e).__name__}); transcript:\n"
                             + "".join(transcript)[-4000:]) from None
    finally:
        child.close(force=True)
    text = "".join(transcript)
    assert "Error" not in text, text[-4000:]


class _Collector:
    """A file-like sink for pexpect's logfile_read."""

    def __init__(self, sink):
        self.sink = sink

    def write(self, data):
        self.sink.append(data)

    def flush(self):
        pass
