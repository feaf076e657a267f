#!/usr/bin/env bash
# A/B comparison of two server binaries on the same machine in the same session
# (see docs/benchmarks.md): server CPU per prepared write and per memtable read.
#
#   bench/scripts/ab-compare.sh BASE_BINARY NEW_BINARY [OUT_DIR]
#
# For each of RUNS rounds, and for each binary in alternating order (A B, B A, …, so
# slow drifts of a noisy machine hit both alike), it starts a fresh server `--smp 1`
# pinned to core 0 (commitlog on, periodic mode), populates keyspace1.standard1 with
# every key once, then runs `write` and `read` with the client pinned to core 1, and
# prints each run and the medians per binary with the ratio NEW/BASE.
# Env: WORKLOADS ("write read"), DURATION (10s), WARMUP (2s), PARTITIONS (200k), CONCURRENCY (64), RUNS (3),
#      BENCH (target/release/percore-bench), CQL_PORT (9642), SHARD_PORT (19642), METRICS_PORT (9680).
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=$(realpath "$1"); NEW=$(realpath "$2")
OUT=${3:-/tmp/percore-ab}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
PARTITIONS=${PARTITIONS:-200k}
CONCURRENCY=${CONCURRENCY:-64}
RUNS=${RUNS:-3}
WORKLOADS=${WORKLOADS:-write read}
BENCH=${BENCH:-target/release/percore-bench}
CQL_PORT=${CQL_PORT:-9642}
SHARD_PORT=${SHARD_PORT:-19642}
METRICS_PORT=${METRICS_PORT:-9680}
mkdir -p "$OUT"
ports=(--native-transport-port "$CQL_PORT" --native-shard-aware-transport-port "$SHARD_PORT" --prometheus-port "$METRICS_PORT")
SERVER_PID=
start_server() { # $1 = binary, $2 = log
  local data=$OUT/data
  rm -rf "$data"
  taskset -c 0 "$1" --smp 1 --data-dir "$data" "${ports[@]}" >"$2" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" >/dev/null && return; sleep 0.2; done
  echo "server $1 did not start (see $2)" >&2; exit 1
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }
trap '[ -n "$SERVER_PID" ] && kill $SERVER_PID 2>/dev/null || true' EXIT

common=(--nodes "127.0.0.1:$CQL_PORT" --metrics-url "http://127.0.0.1:$METRICS_PORT/metrics" --partitions "$PARTITIONS" --concurrency "$CONCURRENCY" --cpu 1 --quiet)
for run in $(seq "$RUNS"); do
  order="base new"; (( run % 2 == 0 )) && order="new base"
  for which in $order; do
    bin=$BASE; [ "$which" = new ] && bin=$NEW
    start_server "$bin" "$OUT/server-$which-run$run.log"
    taskset -c 1 "$BENCH" write --ops "$PARTITIONS" --dist seq --warmup 0s "${common[@]}" --no-metrics >/dev/null
    for wl in $WORKLOADS; do
      taskset -c 1 "$BENCH" "$wl" --duration "$DURATION" --warmup "$WARMUP" "${common[@]}" \
        --json "$OUT/$wl-$which-run$run.json" >"$OUT/$wl-$which-run$run.txt"
    done
    stop_server
  done
done

python3 - "$OUT" "$RUNS" $WORKLOADS <<'PY'
import json, statistics, sys
out, runs, workloads = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
srv = lambda r: (r.get("server") or {}).get("cpu_us_per_op") or float("nan")
print("| workload | binary | runs: op/s (server µs/op) | median op/s | median server µs/op |")
print("|---|---|---|---:|---:|")
medians = {}
for wl in workloads:
    for which in ("base", "new"):
        rs = [json.load(open(f"{out}/{wl}-{which}-run{i}.json")) for i in range(1, runs + 1)]
        each = ", ".join(f"{r['op_rate']:.0f} ({srv(r):.2f})" for r in rs)
        m_ops, m_srv = statistics.median(r["op_rate"] for r in rs), statistics.median(srv(r) for r in rs)
        medians[(wl, which)] = m_srv
        print(f"| {wl} | {which} | {each} | {m_ops:.0f} | {m_srv:.2f} |")
for wl in workloads:
    print(f"{wl}: new/base server CPU per op = {medians[(wl, 'new')] / medians[(wl, 'base')]:.3f}")
PY
