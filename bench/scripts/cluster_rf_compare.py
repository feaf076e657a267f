#!/usr/bin/env python3
"""RF 3 at QUORUM against RF 1 at ONE on the same local 3-node cluster, in one session:
throughput and server CPU (all three nodes' user+system time) per write and per read.

    python3 bench/scripts/cluster_rf_compare.py --binary target/release/percore \\
        --bench target/release/percore-bench --out /tmp/rf-compare [--runs 3] [--ops 200k]

Each run writes `--ops` rows into a fresh keyspace per configuration (token- and shard-aware
Rust driver, `--concurrency` in flight), then reads as many. Medians over the runs are
printed as a Markdown table, with the ratio RF 3 / RF 1 (the issue's bound: CPU per QUORUM
write at most 3.5 times the RF 1 figure). The cluster is created under --out and removed.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import percore_cluster as launcher  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CONFIGS = [("rf1", 1, "ONE"), ("rf3", 3, "QUORUM")]


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLOCK_TICKS


IDLE_SAMPLE_S = 2.0


def idle_cpu_rate(pids):
    """CPU seconds per second the idle nodes use (measured over IDLE_SAMPLE_S)."""
    before = cpu_seconds(pids)
    time.sleep(IDLE_SAMPLE_S)
    return (cpu_seconds(pids) - before) / IDLE_SAMPLE_S


def bench(args, nodes, workload, keyspace, rf, level, out):
    cmd = [args.bench, workload, "--nodes", nodes, "--keyspace", keyspace, "--replication", str(rf),
           "--consistency", level, "--ops", args.ops, "--partitions", args.partitions,
           "--concurrency", str(args.concurrency), "--json", str(out), "--no-metrics", "--quiet",
           # No warm-up: the CPU measured covers exactly the operations counted.
           "--warmup", "0s"]
    if workload == "read":
        cmd.append("--no-schema")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.loads(Path(out).read_text())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", required=True)
    p.add_argument("--bench", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--ops", default="200k")
    p.add_argument("--partitions", default="100k")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--memory", default="1G")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cluster = launcher.Cluster.create("rfbench", 3, base_dir=out, binary=args.binary, memory=args.memory,
                                      make_current=False, detach=True)
    results = {}  # (config, workload) -> [(ops/s, cpu µs/op)]
    try:
        cluster.start()
        nodes = ",".join(f"{n.address}:{n.cql_port}" for n in cluster.nodes)
        pids = list(cluster.running_pids().values())
        for run in range(args.runs):
            for name, rf, level in CONFIGS:
                keyspace = f"{name}_run{run}"
                for workload in ("write", "read"):
                    idle = idle_cpu_rate(pids)
                    before, started = cpu_seconds(pids), time.monotonic()
                    summary = bench(args, nodes, workload, keyspace, rf, level, out / f"{keyspace}-{workload}.json")
                    # The nodes' idle work (failure detector, group 0 heartbeats, polling) is
                    # not the operations' cost.
                    used = cpu_seconds(pids) - before - idle * (time.monotonic() - started)
                    ops = summary["total_ops"]
                    rate = summary["op_rate"]
                    if summary["total_errors"]:
                        print(f"run {run} {name} {workload}: {summary['total_errors']} errors "
                              f"{summary['errors_by_kind']}", flush=True)
                    results.setdefault((name, workload), []).append((rate, used * 1e6 / ops))
                    print(f"run {run} {name} {workload}: {rate:,.0f} op/s, {used * 1e6 / ops:.1f} µs server CPU/op",
                          flush=True)
    finally:
        cluster.remove(timeout=30)
    print("\n| workload | RF 1 at ONE: op/s | µs CPU/op | RF 3 at QUORUM: op/s | µs CPU/op | CPU ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for workload in ("write", "read"):
        (r1, c1), (r3, c3) = [tuple(statistics.median(x[i] for x in results[(name, workload)]) for i in (0, 1))
                              for name, _, _ in CONFIGS]
        print(f"| {workload} | {r1:,.0f} | {c1:.1f} | {r3:,.0f} | {c3:.1f} | {c3 / c1:.2f} |")


if __name__ == "__main__":
    main()
