#!/usr/bin/env bash
# I/O scheduler scenarios (issue "the server uses io_properties.yaml"; see docs/operations.md).
#
#   bench/scripts/io-scheduler-scenarios.sh [OUT_DIR]
#
# Server `percore --smp 1 --memory MEMORY` pinned to core 0, client pinned to core 1. A
# fixed-rate write load (RATE op/s for DURATION over 10M partitions) overflows the memtable
# budget, so flushes and size-tiered compactions run during the measurement. Configurations:
#   untuned     no io_properties_file: compaction unlimited
#   tuned       --io-properties-file: compaction limited to the rate derived from the measured disk
#   throughput  (only if COMPACTION_MBPS is set) compaction_throughput_mb_per_sec: COMPACTION_MBPS
# The io_properties file is IO_PROPERTIES if given, else measured once on the data directory's
# disk with `percore-tune io --dir DATA_PARENT --duration TUNE_DURATION` (OUT_DIR/io_properties.yaml).
# Each configuration runs RUNS times, interleaved; the table shows medians of the client's
# latency and of the server's flush/compaction counters.
# Env: RUNS (3), DURATION (60s), RATE (30000), MEMORY (256M), CONCURRENCY (256), IO_PROPERTIES,
#      TUNE_DURATION (30s), COMPACTION_MBPS, DATA (/var/tmp/percore-io-bench/data),
#      CQL_PORT (9042), SHARD_PORT (19042), METRICS_PORT (9180).
# Needs: cargo build --release -p percore -p percore-bench -p percore-tune
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/percore-io-bench}
RUNS=${RUNS:-3}
DURATION=${DURATION:-60s}
RATE=${RATE:-30000}
MEMORY=${MEMORY:-256M}
CONCURRENCY=${CONCURRENCY:-256}
TUNE_DURATION=${TUNE_DURATION:-30s}
COMPACTION_MBPS=${COMPACTION_MBPS:-}
SERVER=target/release/percore
BENCH=target/release/percore-bench
TUNE=target/release/percore-tune
CQL_PORT=${CQL_PORT:-9042}
SHARD_PORT=${SHARD_PORT:-19042}
METRICS_PORT=${METRICS_PORT:-9180}
# Not /tmp: percore-tune refuses memory filesystems, and the point is the real disk.
DATA=${DATA:-/var/tmp/percore-io-bench/data}
for binary in "$SERVER" "$BENCH" "$TUNE"; do
  [ -x "$binary" ] || { echo "missing $binary: cargo build --release -p percore -p percore-bench -p percore-tune" >&2; exit 2; }
done
mkdir -p "$OUT" "$(dirname "$DATA")"
OUT=$(cd "$OUT" && pwd)

if [ -n "${IO_PROPERTIES:-}" ]; then
  IO_FILE=$(cd "$(dirname "$IO_PROPERTIES")" && pwd)/$(basename "$IO_PROPERTIES")
else
  IO_FILE=$OUT/io_properties.yaml
  echo "measuring the disk of $(dirname "$DATA") for $TUNE_DURATION ..." >&2
  "$TUNE" io --dir "$(dirname "$DATA")" --duration "$TUNE_DURATION" --output "$IO_FILE" >"$OUT/percore-tune-io.txt"
fi
cat "$IO_FILE" >&2

configs=(untuned tuned)
if [ -n "$COMPACTION_MBPS" ]; then
  printf 'compaction_throughput_mb_per_sec: %s\n' "$COMPACTION_MBPS" >"$OUT/throughput.yaml"
  configs+=(throughput)
fi
config_args() {
  case $1 in
    untuned) ;;
    tuned) echo --io-properties-file "$IO_FILE" ;;
    throughput) echo --config "$OUT/throughput.yaml" ;;
  esac
}

ports=(--native-transport-port "$CQL_PORT" --native-shard-aware-transport-port "$SHARD_PORT" --prometheus-port "$METRICS_PORT")
metrics_url="http://127.0.0.1:$METRICS_PORT/metrics"
common=(--nodes "127.0.0.1:$CQL_PORT" --metrics-url "$metrics_url" --cpu 1 --quiet)
SERVER_PID=

start_server() { # $1 = log name, rest = extra server args
  local name=$1; shift
  for _ in $(seq 350); do
    ss -tln | grep -qE ":($CQL_PORT|$SHARD_PORT|$METRICS_PORT)\s" || break; sleep 0.2
  done
  rm -rf "$DATA"
  taskset -c 0 "$SERVER" --smp 1 --memory "$MEMORY" --data-dir "$DATA" "${ports[@]}" "$@" >"$OUT/server-$name.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do curl -sf "$metrics_url" >/dev/null && return; sleep 0.2; done
  echo "server did not start; see $OUT/server-$name.log" >&2; exit 1
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; true' EXIT
metric() { curl -sf "$metrics_url" | awk -v m="$1" '$1 ~ "^"m"[{ ]" || $1 == m {s += $2} END {print s + 0}'; }

for run in $(seq "$RUNS"); do
  for config in "${configs[@]}"; do
    # shellcheck disable=SC2046
    start_server "$config-run$run" $(config_args "$config")
    grep -E "io_properties_file|I/O properties" "$OUT/server-$config-run$run.log" >&2 || true
    "$BENCH" write --duration "$DURATION" --rate "$RATE" --concurrency "$CONCURRENCY" --partitions 10M "${common[@]}" \
      --json "$OUT/$config-run$run.json" >"$OUT/$config-run$run.txt"
    cat >"$OUT/$config-run$run.storage.json" <<EOF
{"flushes": $(metric percore_memtable_flushes_total), "compactions": $(metric percore_compactions_total),
 "sstables": $(metric percore_sstables), "compaction_read_bytes": $(metric percore_compaction_read_bytes_total),
 "limit_bytes_per_second": $(metric percore_compaction_bandwidth_limit_bytes_per_second),
 "throttled_seconds": $(metric percore_compaction_throttled_seconds_total)}
EOF
    stop_server
  done
done

python3 - "$OUT" "$RUNS" "${configs[@]}" <<'PY'
import json, statistics, sys
out, runs, configs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
med = statistics.median
print("| configuration | compaction limit MiB/s | op/s | p50 ms | p99 ms | p99.9 ms | errors | flushes | compactions | compacted MiB | throttled s |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for c in configs:
    rs = [json.load(open(f"{out}/{c}-run{i}.json")) for i in range(1, runs + 1)]
    st = [json.load(open(f"{out}/{c}-run{i}.storage.json")) for i in range(1, runs + 1)]
    limit = med([s["limit_bytes_per_second"] for s in st]) / 2**20
    print(f"| {c} | {limit:.1f} | {med([r['op_rate'] for r in rs]):.0f} | {med([r['latency']['median'] for r in rs]):.3f} "
          f"| {med([r['latency']['p99'] for r in rs]):.3f} | {med([r['latency']['p999'] for r in rs]):.3f} "
          f"| {med([r.get('total_errors', 0) for r in rs]):.0f} | {med([s['flushes'] for s in st]):.0f} "
          f"| {med([s['compactions'] for s in st]):.0f} | {med([s['compaction_read_bytes'] for s in st]) / 2**20:.0f} "
          f"| {med([s['throttled_seconds'] for s in st]):.1f} |")
print("(limit 0 = unlimited; per-run p99 values:", {c: [round(json.load(open(f'{out}/{c}-run{i}.json'))['latency']['p99'], 3)
                                                        for i in range(1, runs + 1)] for c in configs}, ")")
PY
