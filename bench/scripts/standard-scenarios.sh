#!/usr/bin/env bash
# Standard percore-bench scenarios (see docs/benchmarks.md).
#
#   bench/scripts/standard-scenarios.sh [OUT_DIR]
#
# For each server shape (smp1: `percore --smp 1` pinned to core 0; smp2: `--smp 2`)
# it starts a fresh in-memory server, populates keyspace1.standard1 with every key
# once, then runs write, read and mixed (50/50) three times each with the client
# pinned to core 1, and prints the median of the three runs.
# Env: DURATION (15s), WARMUP (3s), PARTITIONS (200k), CONCURRENCY (64), RUNS (3),
#      SMPS ("1 2"), CQL_PORT (9042), SHARD_PORT (19042), METRICS_PORT (9180), REPLICATION.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/percore-bench-results}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-3s}
PARTITIONS=${PARTITIONS:-200k}
CONCURRENCY=${CONCURRENCY:-64}
RUNS=${RUNS:-3}
SERVER=target/release/percore
BENCH=target/release/percore-bench
mkdir -p "$OUT"

SMPS=${SMPS:-1 2}
CQL_PORT=${CQL_PORT:-9042}
SHARD_PORT=${SHARD_PORT:-19042}
METRICS_PORT=${METRICS_PORT:-9180}
ports=(--native-transport-port "$CQL_PORT" --native-shard-aware-transport-port "$SHARD_PORT" --prometheus-port "$METRICS_PORT")
start_server() { # $1 = smp
  local data=/tmp/percore-bench-data
  # A previous node may still be shutting down, and its metrics port may sit in
  # TIME_WAIT (the endpoint does not set SO_REUSEADDR): wait up to ~70 s.
  for _ in $(seq 350); do
    ss -tan | grep -qE ":($CQL_PORT|$SHARD_PORT|$METRICS_PORT)\s" || break; sleep 0.2
  done
  rm -rf "$data"
  if [ "$1" = 1 ]; then
    taskset -c 0 "$SERVER" --smp 1 --data-dir "$data" "${ports[@]}" >"$OUT/server-smp$1.log" 2>&1 &
  else
    "$SERVER" --smp "$1" --data-dir "$data" "${ports[@]}" >"$OUT/server-smp$1.log" 2>&1 &
  fi
  SERVER_PID=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >/dev/null && return; sleep 0.2; done
  echo "server did not start" >&2; exit 1
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; }
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT

# REPLICATION: e.g. "{'class': 'NetworkTopologyStrategy', 'datacenter1': 1}" (default: cassandra-stress's RF map)
schema=(); [ -n "${REPLICATION:-}" ] && schema=(--replication "$REPLICATION")
common=(--nodes "127.0.0.1:$CQL_PORT" --metrics-url "http://127.0.0.1:$METRICS_PORT/metrics" --partitions "$PARTITIONS" --concurrency "$CONCURRENCY" --cpu 1 --quiet)
for smp in $SMPS; do
  start_server "$smp"
  "$BENCH" write --ops "$PARTITIONS" --dist seq --warmup 0s "${common[@]}" "${schema[@]}" --no-metrics >/dev/null
  for wl in write read mixed; do
    extra=(); [ "$wl" = mixed ] && extra=(--ratio write=1,read=1)
    for run in $(seq "$RUNS"); do
      "$BENCH" "$wl" --duration "$DURATION" --warmup "$WARMUP" "${common[@]}" "${extra[@]}" "${schema[@]}" \
        --json "$OUT/$wl-smp$smp-run$run.json" >"$OUT/$wl-smp$smp-run$run.txt"
    done
  done
  stop_server
done

python3 - "$OUT" "$RUNS" $SMPS <<'PY'
import json, statistics, sys
out, runs, smps = sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3:]]
print("| server | workload | op/s | p50 ms | p99 ms | p99.9 ms | client µs/op | server µs/op | forwarded % | errors |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for smp in smps:
    for wl in ("write", "read", "mixed"):
        rs = [json.load(open(f"{out}/{wl}-smp{smp}-run{i}.json")) for i in range(1, runs + 1)]
        med = lambda f: statistics.median(f(r) for r in rs)
        srv = lambda r: (r.get("server") or {}).get("cpu_us_per_op") or float("nan")
        def fwd(r):
            s = r.get("server") or {}
            return 100.0 * sum(s.get("forwarded_per_shard", {}).values()) / max(1, s.get("requests", 0))
        print(f"| smp{smp} | {wl} | {med(lambda r: r['op_rate']):.0f} | {med(lambda r: r['latency']['median']):.3f} "
              f"| {med(lambda r: r['latency']['p99']):.3f} | {med(lambda r: r['latency']['p999']):.3f} "
              f"| {med(lambda r: r['client_cpu_us_per_op']):.2f} | {med(srv):.2f} | {med(fwd):.1f} "
              f"| {med(lambda r: r['total_errors']):.0f} |")
PY
