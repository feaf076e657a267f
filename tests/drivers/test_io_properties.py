"""The server reads io_properties.yaml (`--io-properties-file` or `io_properties_file:` in
percore.yaml): it logs what it found per directory, derives each shard's compaction bandwidth
limit from the data disk's figures (or `compaction_throughput_mb_per_sec`) and exports it;
a configured file that is missing or invalid stops start-up; without one it runs untuned;
and a compaction under a low limit really waits for it."""

import random
import string
import subprocess

from percore_harness import HOST, free_ports, server_binary
from support import connect
from test_compaction import wait_for
from test_flush_sstables import metric_total, nodetool

MIB = 1 << 20
READ_BANDWIDTH = 800 * MIB
WRITE_BANDWIDTH = 400 * MIB
# runtime::io_scheduling: COMPACTION_DISK_TIME_PERCENT of the disk's time, both ways at one rate.
COMPACTION_DISK_TIME_PERCENT = 50


def io_properties(path, mountpoints=("/",), write_bandwidth=f"{WRITE_BANDWIDTH}"):
    """A Seastar-format file with one entry per mount point (Seastar's indented list)."""
    entries = "".join(
        f"  - mountpoint: {m}\n    read_iops: 90000\n    read_bandwidth: {READ_BANDWIDTH}\n"
        f"    write_iops: 80000\n    write_bandwidth: {write_bandwidth}\n"
        for m in mountpoints
    )
    path.write_text(f"# test\ndisks:\n{entries}")
    return path


def derived_limit_per_shard(smp):
    r, w = READ_BANDWIDTH, WRITE_BANDWIDTH
    return COMPACTION_DISK_TIME_PERCENT * r * w // (100 * (r + w)) // smp


def log_text(server):
    return server.log_path.read_text(errors="replace")


def limits(server):
    return server.metrics().per_shard("percore_compaction_bandwidth_limit_bytes_per_second")


def test_a_valid_file_configures_the_compaction_limit(percore_factory, tmp_path):
    path = io_properties(tmp_path / "io_properties.yaml")
    server = percore_factory.start(smp=2, extra_args=["--io-properties-file", str(path)])
    log = log_text(server)
    assert f"I/O properties from {path}: data directory" in log, log
    assert f"I/O properties from {path}: commitlog directory" in log, log
    assert "read 90000 IOPS / 800.0 MiB/s, write 80000 IOPS / 400.0 MiB/s" in log, log
    expected = derived_limit_per_shard(2)
    assert f"compaction limited to {expected / MIB:.1f} MiB/s per shard" in log, log
    assert "untuned" not in log
    assert limits(server) == {0: expected, 1: expected}
    assert server.metrics().per_shard("percore_compaction_throttled_seconds_total") == {0: 0.0, 1: 0.0}


def test_the_config_file_key_and_an_explicit_throughput(percore_factory, tmp_path):
    path = io_properties(tmp_path / "io_properties.yaml")
    config = tmp_path / "percore.yaml"
    config.write_text(f"io_properties_file: {path}\ncompaction_throughput_mb_per_sec: 10\n")
    server = percore_factory.start(smp=2, extra_args=["--config", str(config)])
    log = log_text(server)
    assert f"I/O properties from {path}: data directory" in log, log
    assert "compaction limited to 5.0 MiB/s per shard (compaction_throughput_mb_per_sec: 10)" in log, log
    assert limits(server) == {0: 5 * MIB, 1: 5 * MIB}


def test_without_a_file_the_node_runs_untuned(percore_factory):
    server = percore_factory.start(smp=1)
    log = log_text(server)
    assert "no io_properties_file configured: running untuned (run `percore-tune io --dir" in log, log
    assert "compaction unlimited" in log, log
    assert limits(server) == {0: 0}


def test_an_unmatched_directory_with_several_entries_is_untuned(percore_factory, tmp_path):
    path = io_properties(tmp_path / "io_properties.yaml", mountpoints=("/nonexistent/a", "/nonexistent/b"))
    server = percore_factory.start(smp=1, extra_args=["--io-properties-file", str(path)])
    log = log_text(server)
    assert "no entry for data directory" in log and "(mount points: /nonexistent/a, /nonexistent/b): untuned" in log
    assert limits(server) == {0: 0}


def start_expecting_failure(tmp_path, *args):
    """Runs the server that must refuse to start; (exit code, stderr)."""
    port, shard_port, prometheus_port, storage_port = free_ports(4)
    command = [
        str(server_binary()), "--smp", "1", "--data-dir", str(tmp_path / "data"), "--listen-address", HOST,
        "--native-transport-port", str(port), "--native-shard-aware-transport-port", str(shard_port),
        "--prometheus-port", str(prometheus_port), "--storage-port", str(storage_port), *args,
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stderr


def test_a_missing_file_stops_start_up(tmp_path):
    missing = tmp_path / "nope" / "io_properties.yaml"
    code, stderr = start_expecting_failure(tmp_path, "--io-properties-file", str(missing))
    assert code != 0
    assert f"cannot read io_properties_file {missing}" in stderr, stderr


def test_an_invalid_file_stops_start_up_naming_the_field(tmp_path):
    path = tmp_path / "io_properties.yaml"
    path.write_text("disks:\n  - mountpoint: /\n    read_iops: 1\n    read_bandwidth: 2\n    write_iops: 3\n")
    code, stderr = start_expecting_failure(tmp_path, "--io-properties-file", str(path))
    assert code != 0
    assert f"invalid io_properties_file {path}" in stderr and "write_bandwidth" in stderr, stderr
    zero = io_properties(tmp_path / "zero.yaml", write_bandwidth="0")
    code, stderr = start_expecting_failure(tmp_path, "--io-properties-file", str(zero))
    assert code != 0
    assert "write_bandwidth must be positive" in stderr, stderr


def test_a_compaction_waits_for_a_low_limit(percore_factory, tmp_path):
    config = tmp_path / "percore.yaml"
    config.write_text("compaction_throughput_mb_per_sec: 1\n")
    server = percore_factory.start(smp=1, extra_args=["--config", str(config)])
    assert limits(server) == {0: MIB}
    cluster, session = connect(server)
    try:
        session.execute("CREATE KEYSPACE iop WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute("CREATE TABLE iop.t (p int PRIMARY KEY, v text)")
        insert = session.prepare("INSERT INTO iop.t (p, v) VALUES (?, ?)")
        rng = random.Random(7)
        # Four similar SSTables of ~100 KiB of incompressible text: size-tiered compacts them,
        # reading ~400 KiB at 1 MiB/s (50 ms of burst).
        for flush in range(4):
            for i in range(100):
                value = "".join(rng.choices(string.ascii_letters, k=1024))
                session.execute(insert, (flush * 100 + i, value))
            result = nodetool(server, "flush")
            assert result.returncode == 0, result.stderr
        wait_for(lambda: metric_total(server, "percore_compactions_total") >= 1, what="the compaction")
        throttled = metric_total(server, "percore_compaction_throttled_seconds_total")
        assert throttled >= 0.15, f"compaction waited {throttled} s for its 1 MiB/s limit"
        assert session.execute("SELECT count(*) FROM iop.t").one()[0] == 400
    finally:
        cluster.shutdown()
