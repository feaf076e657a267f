#!/usr/bin/env bash
# The project's test command: bash tests/run.sh [extra pytest args]
#
#  1. builds the server and the bench (debug): cargo build --bin percore --bin percore-bench
#  2. creates/updates two Python venvs under target/venvs/ (cassandra-driver and
#     scylla-driver both install the module `cassandra`, hence two), from the
#     pinned tests/drivers/requirements-*.txt, wheels only; a stamp file makes
#     this a no-op when nothing changed
#     and installs nftables (the partition test's tool) when it is missing and we are root
#  3. cargo test --workspace (unit tests + Rust e2e with the scylla driver)
#  4. pytest tests/drivers/ in each venv
# and exits non-zero if any step failed. Every step runs even if an earlier test
# step failed, so one run shows everything that is broken.
#
# Environment:
#   PYTHON=python3.11        interpreter for the venvs (default: python3.11, else python3)
#   PERCORE_BIN=path         server binary to test (default: target/debug/percore)
#   RUN_CARGO_TESTS=0        skip step 3
#   VENVS="scylla"           which venvs to run pytest in (default: "cassandra scylla")
#   PIP_OPTS="..."           extra options for pip install
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
VENV_ROOT=$TARGET_DIR/venvs
VENVS=${VENVS:-"cassandra scylla"}
SUITE_TIMEOUT_S=${SUITE_TIMEOUT_S:-1200}
failed=()
start_all=$(date +%s)

say() { printf '\n=== %s\n' "$*"; }

pick_python() {
    if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"; return; fi
    for p in python3.11 python3; do
        if command -v "$p" >/dev/null 2>&1; then echo "$p"; return; fi
    done
    echo "no python3 found" >&2
    exit 2
}

# ensure_venv NAME REQUIREMENTS: create or refresh target/venvs/NAME
ensure_venv() {
    local name=$1 req=$2 dir=$VENV_ROOT/$1
    local stamp_want
    stamp_want="$(sha256sum "$req" | cut -d' ' -f1) $("$PY" -c 'import sys; print(sys.version.split()[0])')"
    if [[ -x $dir/bin/python && -f $dir/.requirements-stamp && "$(cat "$dir/.requirements-stamp")" == "$stamp_want" ]]; then
        echo "venv $name up to date ($dir)"
        return 0
    fi
    echo "creating venv $name in $dir from $req"
    rm -rf "$dir"
    "$PY" -m venv "$dir" || return 1
    # shellcheck disable=SC2086
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --only-binary=:all: ${PIP_OPTS:-} -r "$req" || return 1
    echo "$stamp_want" > "$dir/.requirements-stamp"
}

PY=$(pick_python)
"$PY" -c 'import sys; assert sys.version_info >= (3, 10), sys.version' || {
    echo "need Python >= 3.10 for the driver venvs (set PYTHON=...)" >&2; exit 2; }

# -- 1. server ------------------------------------------------------------
if [[ -z "${PERCORE_BIN:-}" ]]; then
    say "build: cargo build --bin percore --bin percore-bench"
    if ! cargo build --bin percore --bin percore-bench; then
        echo "FAILED: cargo build --bin percore --bin percore-bench (the tests would run a stale or missing binary)" >&2
        exit 1
    fi
fi

# -- 2. venvs --------------------------------------------------------------
say "python venvs ($PY)"
mkdir -p "$VENV_ROOT"
for v in $VENVS; do
    ensure_venv "$v" "tests/drivers/requirements-$v.txt" || failed+=("venv $v")
done

# nftables for tests/drivers/test_partition.py (skipped without it)
if ! command -v nft >/dev/null 2>&1 && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "installing nftables (apt-get)"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables >/dev/null; }; } \
        || echo "could not install nftables: the partition test will be skipped" >&2
fi

# -- 3. cargo test ------------------------------------------------------------
if [[ "${RUN_CARGO_TESTS:-1}" != 0 ]]; then
    say "cargo test --workspace --no-fail-fast"
    t0=$(date +%s)
    cargo test --workspace --no-fail-fast || failed+=("cargo test")
    echo "cargo test took $(( $(date +%s) - t0 ))s"
fi

# -- 4. pytest in each venv ------------------------------------------------------
for v in $VENVS; do
    [[ -x $VENV_ROOT/$v/bin/python ]] || continue
    say "pytest tests/drivers with the $v venv"
    t0=$(date +%s)
    timeout --kill-after=30 "$SUITE_TIMEOUT_S" \
        "$VENV_ROOT/$v/bin/python" -m pytest tests/drivers "$@"
    rc=$?
    echo "pytest ($v) took $(( $(date +%s) - t0 ))s, exit code $rc"
    [[ $rc == 0 ]] || failed+=("pytest $v")
done

say "done in $(( $(date +%s) - start_all ))s"
if (( ${#failed[@]} )); then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "all test steps passed"
