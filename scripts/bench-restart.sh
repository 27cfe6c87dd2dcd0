#!/usr/bin/env bash
# Restart time of the sequencer after a load, killed with SIGKILL (no clean-stop snapshot):
# once with periodic snapshots (the default, every 100 blocks) and once without (re-executes
# the whole chain from genesis). Prints the node's own startup report (GET /v1/status).
#
#   scripts/bench-restart.sh [TXS] [DB_URL_PREFIX]
#
# TXS defaults to 100000. DB_URL_PREFIX defaults to a temporary SQLite file; pass
# postgres://postgres@127.0.0.1:5432 to measure on PostgreSQL (a database per run is created
# and dropped with psql).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ROLLUP_BIN:-${CARGO_TARGET_DIR:-target}/release/rollup}
TXS=${1:-100000}
PREFIX=${2:-}
PORT=${PORT:-18650}
test -x "$BIN" || { echo "build first: cargo build --release -p rollup ($BIN missing)"; exit 1; }

wait_ready() {
  for _ in $(seq 1 1200); do
    curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "sequencer did not become ready"; exit 1
}

for interval in 100 0; do
  dir=$(mktemp -d)
  if [ -n "$PREFIX" ]; then
    name="rollup_restart_$$_$interval"
    psql "$PREFIX/postgres" -qc "CREATE DATABASE $name" >/dev/null
    db="$PREFIX/$name"
  else
    db="sqlite://$dir/chain.sqlite"
  fi
  "$BIN" sequencer --db.url "$db" --http.addr "127.0.0.1:$PORT" --state.snapshot-interval "$interval" \
    >"$dir/seq1.log" 2>&1 &
  pid=$!
  wait_ready
  "$BIN" bench load --rpc "http://127.0.0.1:$PORT" --accounts 2000 --txs "$TXS" --concurrency 8 \
    --mix mixed --batch 500 >"$dir/load.log" 2>&1
  head=$(curl -fs "http://127.0.0.1:$PORT/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["head"]["number"])')
  kill -9 "$pid"; wait "$pid" 2>/dev/null || true
  "$BIN" sequencer --db.url "$db" --http.addr "127.0.0.1:$PORT" --state.snapshot-interval "$interval" \
    >"$dir/seq2.log" 2>&1 &
  pid=$!
  wait_ready
  startup=$(curl -fs "http://127.0.0.1:$PORT/v1/status" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["startup"]))')
  echo "snapshot-interval $interval: head $head after $TXS txs; restart: $startup"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  if [ -n "$PREFIX" ]; then psql "$PREFIX/postgres" -qc "DROP DATABASE $name WITH (FORCE)" >/dev/null; fi
  rm -rf "$dir"
done
