#!/usr/bin/env bash
# Storage-engine scenarios (issue "durable per-shard storage"; see docs/benchmarks.md).
#
#   bench/scripts/storage-scenarios.sh [OUT_DIR]
#
# Server `percore --smp 1` pinned to core 0, client pinned to core 1, commitlog on.
#  1. sustained: fixed-rate writes (RATE op/s, DURATION) with the dataset fitting in the
#     memtable (--memory 4G) vs. a small memtable budget (--memory MEMORY_SMALL) so that
#     flushes and compactions run during the run: p99 of both, flushes and compactions.
#  2. batch: closed-loop writes with CONCURRENCY writers, commitlog_sync periodic vs batch.
#  3. reads: populate READ_PARTITIONS keys (about 10x the memtable budget of
#     --memory READ_MEMORY), major compaction, then uniform point reads: SSTables touched per
#     read from the server's metrics (before and after `nodetool compact`).
# Each measured run is repeated RUNS times; the tables show medians.
# Env: SCENARIOS ("sustained commit reads"), RUNS (3), DURATION (20s), RATE (30000), MEMORY_SMALL (256M), CONCURRENCY (64),
#      READ_MEMORY (128M), READ_PARTITIONS (2M), CQL_PORT (9042), SHARD_PORT (19042),
#      METRICS_PORT (9180).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/percore-storage-bench}
RUNS=${RUNS:-3}
DURATION=${DURATION:-20s}
RATE=${RATE:-30000}
MEMORY_SMALL=${MEMORY_SMALL:-256M}
CONCURRENCY=${CONCURRENCY:-64}
READ_MEMORY=${READ_MEMORY:-128M}
READ_PARTITIONS=${READ_PARTITIONS:-2M}
SERVER=target/release/percore
BENCH=target/release/percore-bench
CQL_PORT=${CQL_PORT:-9042}
SHARD_PORT=${SHARD_PORT:-19042}
METRICS_PORT=${METRICS_PORT:-9180}
DATA=${DATA:-/tmp/percore-storage-bench-data}
SCENARIOS=${SCENARIOS:-sustained commit reads}
mkdir -p "$OUT"
wanted() { [[ " $SCENARIOS " == *" $1 "* ]]; }
ports=(--native-transport-port "$CQL_PORT" --native-shard-aware-transport-port "$SHARD_PORT" --prometheus-port "$METRICS_PORT")
metrics_url="http://127.0.0.1:$METRICS_PORT/metrics"
common=(--nodes "127.0.0.1:$CQL_PORT" --metrics-url "$metrics_url" --cpu 1 --quiet)

start_server() { # $1 = log name, rest = extra server args
  local name=$1; shift
  for _ in $(seq 350); do
    ss -tln | grep -qE ":($CQL_PORT|$SHARD_PORT|$METRICS_PORT)\s" || break; sleep 0.2
  done
  rm -rf "$DATA"
  taskset -c 0 "$SERVER" --smp 1 --data-dir "$DATA" "${ports[@]}" "$@" >"$OUT/server-$name.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do curl -sf "$metrics_url" >/dev/null && return; sleep 0.2; done
  echo "server did not start" >&2; exit 1
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; }
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
metric() { curl -sf "$metrics_url" | awk -v m="$1" '$1 ~ "^"m"[{ ]" || $1 == m {s += $2} END {print s + 0}'; }
nodetool() { "$SERVER" nodetool -p "$METRICS_PORT" "$@"; }

# 1. Sustained fixed-rate writes: in-memtable vs flushing + compacting.
wanted sustained && for shape in fits flushing; do
  for run in $(seq "$RUNS"); do
    if [ "$shape" = fits ]; then start_server "$shape" --memory 4G; else start_server "$shape" --memory "$MEMORY_SMALL"; fi
    "$BENCH" write --duration "$DURATION" --rate "$RATE" --concurrency 256 --partitions 10M "${common[@]}" \
      --json "$OUT/sustained-$shape-run$run.json" >"$OUT/sustained-$shape-run$run.txt"
    echo "{\"flushes\": $(metric percore_memtable_flushes_total), \"compactions\": $(metric percore_compactions_total), \"sstables\": $(metric percore_sstables)}" \
      >"$OUT/sustained-$shape-run$run.storage.json"
    stop_server
  done
done

# 2. Group commit: periodic vs batch with CONCURRENCY writers, closed loop.
wanted commit && for mode in periodic batch; do
  for run in $(seq "$RUNS"); do
    start_server "$mode" --memory 4G --commitlog-sync "$mode"
    "$BENCH" write --duration "$DURATION" --concurrency "$CONCURRENCY" --partitions 1M "${common[@]}" \
      --json "$OUT/commit-$mode-run$run.json" >"$OUT/commit-$mode-run$run.txt"
    stop_server
  done
done

# 3. Point reads of a dataset ~10x the memtable budget, before and after major compaction.
if wanted reads; then
start_server reads --memory "$READ_MEMORY"
"$BENCH" write --ops "$READ_PARTITIONS" --dist seq --warmup 0s --concurrency 128 --partitions "$READ_PARTITIONS" \
  "${common[@]}" --json "$OUT/reads-populate.json" >"$OUT/reads-populate.txt"
nodetool flush
sleep 5
echo "{\"flushes\": $(metric percore_memtable_flushes_total), \"compactions\": $(metric percore_compactions_total), \"sstables\": $(metric percore_sstables), \"data_bytes\": $(du -sb "$DATA/data" | cut -f1)}" \
  >"$OUT/reads-populated.storage.json"
for phase in before after; do
  if [ "$phase" = after ]; then nodetool compact; fi
  for run in $(seq "$RUNS"); do
    r0=$(metric percore_partition_reads_total); s0=$(metric percore_partition_read_sstables_total)
    "$BENCH" read --duration "$DURATION" --concurrency "$CONCURRENCY" --partitions "$READ_PARTITIONS" "${common[@]}" \
      --json "$OUT/reads-$phase-run$run.json" >"$OUT/reads-$phase-run$run.txt"
    r1=$(metric percore_partition_reads_total); s1=$(metric percore_partition_read_sstables_total)
    echo "{\"reads\": $((r1 - r0)), \"sstables_read\": $((s1 - s0)), \"sstables\": $(metric percore_sstables)}" \
      >"$OUT/reads-$phase-run$run.storage.json"
  done
done
stop_server
fi

python3 - "$OUT" "$RUNS" <<'PY'
import json, os, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
have = lambda name: os.path.exists(f"{out}/{name}-run1.json")
def load(name):
    return [json.load(open(f"{out}/{name}-run{i}.json")) for i in range(1, runs + 1)]
def storage(name):
    return [json.load(open(f"{out}/{name}-run{i}.storage.json")) for i in range(1, runs + 1)]
med = lambda xs: statistics.median(xs)
srv = lambda r: (r.get("server") or {}).get("cpu_us_per_op") or float("nan")
print("| scenario | op/s | p50 ms | p99 ms | p99.9 ms | server µs/op | errors | storage |")
print("|---|---:|---:|---:|---:|---:|---:|---|")
def row(label, rs, extra=""):
    print(f"| {label} | {med([r['op_rate'] for r in rs]):.0f} | {med([r['latency']['median'] for r in rs]):.3f} "
          f"| {med([r['latency']['p99'] for r in rs]):.3f} | {med([r['latency']['p999'] for r in rs]):.3f} "
          f"| {med([srv(r) for r in rs]):.2f} | {med([r.get('total_errors', 0) for r in rs]):.0f} | {extra} |")
for shape in [s for s in ("fits", "flushing") if have(f"sustained-{s}")]:
    st = storage(f"sustained-{shape}")
    row(f"writes @ fixed rate, {shape}", load(f"sustained-{shape}"),
        f"flushes {med([s['flushes'] for s in st]):.0f}, compactions {med([s['compactions'] for s in st]):.0f}, "
        f"SSTables at end {med([s['sstables'] for s in st]):.0f}")
for mode in [m for m in ("periodic", "batch") if have(f"commit-{m}")]:
    row(f"writes, closed loop, commitlog {mode}", load(f"commit-{mode}"))
for phase in [p for p in ("before", "after") if have(f"reads-{p}")]:
    st = storage(f"reads-{phase}")
    per_read = med([s["sstables_read"] / max(1, s["reads"]) for s in st])
    row(f"point reads, {phase} major compaction", load(f"reads-{phase}"),
        f"SSTables/read {per_read:.3f}, SSTables {med([s['sstables'] for s in st]):.0f}")
if os.path.exists(f"{out}/reads-populated.storage.json"):
    print(open(f"{out}/reads-populated.storage.json").read())
PY
