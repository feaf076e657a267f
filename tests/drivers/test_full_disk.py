"""A full disk: the node's data and commitlog live on a small ext4 filesystem (a loop
device, so O_DIRECT and io_uring behave as on a real drive) that a filler file fills.
Writes then fail with a clear error instead of being acknowledged, a flush fails and
keeps its memtable, nothing acknowledged is lost, and writes resume once space returns —
also across a kill -9. Needs root (mount); skipped otherwise."""

import os
import random
import shutil
import string
import subprocess
import time

import pytest

from percore_harness import PercoreServer
from support import connect
from test_flush_sstables import metric_total, nodetool

DISK_MB = 64
# Left free when the disk is "full": a few commitlog segments' worth.
FREE_WHEN_FULL_MB = 6
SEGMENT_MB = 1
VALUE_BYTES = 1024
WRITES_MAX = 20_000


def run(*cmd):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True)


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0 or not shutil.which("mkfs.ext4"):
        pytest.skip("needs root and mkfs.ext4 to mount a small filesystem")
    image, mount_point = tmp_path / "disk.img", tmp_path / "mnt"
    mount_point.mkdir()
    if run("truncate", "-s", f"{DISK_MB}M", image).returncode or run("mkfs.ext4", "-q", "-F", image).returncode:
        pytest.skip("cannot make an ext4 image")
    mounted = run("mount", "-o", "loop", image, mount_point)
    if mounted.returncode:
        pytest.skip(f"cannot mount a loop device here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        run("umount", "-l", mount_point)


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def test_full_disk_refuses_writes_loses_nothing_and_recovers(small_disk, tmp_path):
    config = tmp_path / "percore.yaml"
    config.write_text(f"commitlog_segment_size_in_mb: {SEGMENT_MB}\n")
    server = PercoreServer(
        smp=1, data_dir=small_disk / "data", log_dir=tmp_path,
        extra_args=["--memory", "256M", "--config", str(config)],
    )
    server.start()
    try:
        cluster, session = connect(server)
        session.execute("CREATE KEYSPACE fd WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute("CREATE TABLE fd.t (k int PRIMARY KEY, v text)")
        insert = session.prepare("INSERT INTO fd.t (k, v) VALUES (?, ?)")
        filler = small_disk / "filler"
        assert run("fallocate", "-l", str(free_bytes(small_disk) - FREE_WHEN_FULL_MB * 2**20), filler).returncode == 0

        rng = random.Random(11)
        acknowledged, errors = {}, []
        for k in range(WRITES_MAX):
            value = "".join(rng.choices(string.ascii_letters, k=VALUE_BYTES))
            try:
                session.execute(insert, (k, value))
                acknowledged[k] = value
            except Exception as e:  # noqa: BLE001 - any driver error counts as "refused"
                errors.append(str(e))
                if len(errors) >= 20:
                    break
        assert errors, f"{len(acknowledged)} writes of {VALUE_BYTES} bytes all fit in {FREE_WHEN_FULL_MB} MiB?"
        assert any("No space left on device" in e for e in errors), errors[:3]
        failed_flush = nodetool(server, "flush")
        assert failed_flush.returncode != 0, "a flush to a full disk cannot succeed"
        assert "No space left on device" in failed_flush.stdout + failed_flush.stderr
        # Everything acknowledged is still readable (the sealed memtable stays readable).
        check = session.prepare("SELECT v FROM fd.t WHERE k = ?")
        for k in rng.sample(sorted(acknowledged), 200):
            assert session.execute(check, (k,)).one().v == acknowledged[k]

        filler.unlink()
        deadline = time.time() + 60
        while True:
            try:
                session.execute(insert, (-1, "after"))
                break
            except Exception:  # noqa: BLE001
                assert time.time() < deadline, "writes did not resume after space returned"
                time.sleep(0.5)
        acknowledged[-1] = "after"
        deadline = time.time() + 30
        while metric_total(server, "percore_memtable_flushes_total") < 1:
            assert time.time() < deadline, "the failed flush was not retried once space returned"
            time.sleep(0.2)
        cluster.shutdown()

        for attempt in ("running", "after kill -9"):
            cluster, session = connect(server)
            check = session.prepare("SELECT v FROM fd.t WHERE k = ?")
            for k, value in acknowledged.items():
                row = session.execute(check, (k,)).one()
                assert row is not None and row.v == value, f"{attempt}: row {k} lost"
            cluster.shutdown()
            if attempt == "running":
                server.kill()
                server.start()
    finally:
        if server.is_running():
            server.kill()
