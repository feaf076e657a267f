"""percore-bench as a user runs it, against a real node: every workload in a closed loop and at
a fixed rate, the cassandra-stress summary labels, the `--json` summary, the HDR interval log
read back by another implementation (the Python `hdrhistogram` package's log reader), the
server's Prometheus endpoint scraped by a plain HTTP client, errors counted (not a crash),
and the latency profile's report files.

Only counts and consistency between outputs are asserted: timings on a shared machine are
not (performance is measured with the tool, not in tests)."""

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest

from percore_harness import server_binary
from support import ServerFactory

hdrh_log = pytest.importorskip("hdrh.log", reason="the hdrhistogram package is in the scylla venv only")

BENCH_TIMEOUT_S = 120
SUMMARY_LABELS = [
    "Op rate",
    "Latency mean",
    "Latency median",
    "Latency 95th percentile",
    "Latency 99th percentile",
    "Latency 99.9th percentile",
    "Latency max",
    "Total errors",
    "Total operation time",
]
# percore-bench records nanoseconds and writes the log with this divisor (milliseconds).
HDR_MAX_VALUE_DIVISOR = 1e6
PROFILE = Path(__file__).resolve().parents[2] / "bench" / "profiles" / "example.yaml"


def bench_binary():
    return server_binary().parent / "percore-bench"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    """A fresh smp=2 node for this module (the bench creates keyspace1 and its tables)."""
    factory = ServerFactory(tmp_path_factory.mktemp("percore-bench"))
    yield factory.start(2)
    problems = factory.stop_all()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def run_bench(node, *args, check=True):
    cmd = [
        str(bench_binary()), *args,
        "--nodes", f"127.0.0.1:{node.port}",
        "--metrics-url", f"http://127.0.0.1:{node.prometheus_port}/metrics",
        "--warmup", "0s", "-q",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=BENCH_TIMEOUT_S)
    if check:
        assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stdout}\n{result.stderr}"
    return result


def summary(stdout):
    """The `Label : value` lines of the final summary."""
    out = {}
    for line in stdout.splitlines():
        label, sep, value = line.partition(":")
        if sep:
            out[label.strip()] = value.strip()
    return out


@pytest.mark.parametrize(
    "workload",
    [
        ["write", "--ops", "3000"],
        ["read", "--ops", "2000"],
        ["mixed", "--ratio", "write=1,read=2", "--ops", "2000"],
        ["counter", "--ops", "2000"],
        ["user", "--yaml", str(PROFILE), "--ops", "2000"],
    ],
    ids=["write", "read", "mixed", "counter", "user"],
)
def test_workloads_closed_loop(node, tmp_path, workload):
    json_path = tmp_path / "run.json"
    result = run_bench(node, *workload, "--partitions", "1000", "--json", str(json_path))
    lines = summary(result.stdout)
    for label in SUMMARY_LABELS:
        assert label in lines, f"missing {label!r} in\n{result.stdout}"
    ops = int(workload[workload.index("--ops") + 1])
    doc = json.loads(json_path.read_text())
    assert doc["total_ops"] == ops and doc["total_errors"] == 0
    assert lines["Total errors"] == "0"
    assert sum(op["ops"] for op in doc["per_op"]) == ops
    assert "Server CPU" in lines and "Client CPU" in lines


def test_fixed_rate_and_hdr_log_read_by_another_tool(node, tmp_path):
    hlog, json_path = tmp_path / "w.hlog", tmp_path / "w.json"
    run_bench(node, "write", "--rate", "2000", "--duration", "3s", "--partitions", "1000",
              "--hdr-log", str(hlog), "--json", str(json_path))
    doc = json.loads(json_path.read_text())
    assert doc["target_rate"] == 2000
    # Open loop: exactly rate x duration requests were due.
    assert doc["total_ops"] == 6000, doc["total_ops"]
    reader = hdrh_log.HistogramLogReader(str(hlog), hdrh_log.HdrHistogram(1, 3_600_000_000_000, 3))
    total = None
    intervals = 0
    while (interval := reader.get_next_interval_histogram()) is not None:
        intervals += 1
        if total is None:
            total = interval
        else:
            total.add(interval)
    assert intervals >= 3, "one interval per second"
    assert total.get_total_count() == doc["total_ops"]
    for percentile, key in [(50, "median"), (99, "p99"), (100, "max")]:
        from_log = total.get_value_at_percentile(percentile) / HDR_MAX_VALUE_DIVISOR
        from_json = doc["latency"][key]
        assert abs(from_log - from_json) <= 0.01 * from_json + 0.002, (percentile, from_log, from_json)


def test_errors_are_counted_not_fatal(node, tmp_path):
    json_path = tmp_path / "t.json"
    run_bench(node, "write", "--ops", "10", "--partitions", "10")  # the schema exists
    result = run_bench(node, "write", "--ops", "300", "--timeout", "1us", "--no-schema",
                       "--json", str(json_path), check=False)
    assert "panicked" not in result.stderr
    doc = json.loads(json_path.read_text())
    errors = doc["total_errors"]
    assert errors > 0 and doc["errors_by_kind"] == {"timeout": errors}
    assert doc["total_ops"] + errors == 300
    assert result.returncode == (1 if doc["total_ops"] == 0 else 0), "exit 1 when every operation failed"
    assert "first timeout error" in result.stdout


def test_metrics_endpoint_scraped_by_plain_http(node):
    run_bench(node, "write", "--ops", "500", "--partitions", "100")
    with urllib.request.urlopen(f"http://127.0.0.1:{node.prometheus_port}/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    served = sum(v for k, v in samples.items() if k.startswith("percore_cql_requests_total{"))
    assert served >= 500
    for shard in ("0", "1"):
        assert f'percore_cql_request_latency_seconds_count{{shard="{shard}"}}' in samples
    assert samples["process_cpu_seconds_total"] > 0


def test_latency_profile_report(node, tmp_path):
    out = tmp_path / "profile"
    run_bench(node, "profile", "--workload", "write", "--steps", "2", "--step-duration", "1s",
              "--partitions", "1000", "--out", str(out))
    for name in ("profile.svg", "profile.md", "profile.csv", "profile.json", "max.hlog"):
        assert (out / name).stat().st_size > 0, name
    svg = (out / "profile.svg").read_text()
    assert "<svg" in svg[:200]
    assert "p99" in svg
    steps = json.loads((out / "profile.json").read_text())
    assert steps
