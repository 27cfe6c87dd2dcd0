#!/usr/bin/env bash
# Reads with followers (issue 57, BENCHMARKS.md "Followers"): requests per second that wrk gets
# from three JSON-RPC reads against a leader alone, then spread over the leader and one
# follower, then over the leader and two followers, all `rollup sequencer` processes on one
# PostgreSQL database on this machine (the three run throughout; a follower not read idles); then a write load of TXS transfers submitted through a
# follower (forwarded to the leader), with the follower's lag behind the leader sampled every
# 50 ms.
#
#   scripts/bench-followers.sh [SECONDS_PER_RUN] [ROUNDS] [TXS]
#
# Each read runs ROUNDS times per setup; the median is reported. 32 connections in all, split
# evenly over the processes read from (one wrk each). Needs a release build of `rollup` ($BIN,
# default target/release/rollup under $CARGO_TARGET_DIR), cast (`make tools`), PostgreSQL
# (found or started by scripts/postgres-check.sh) and wrk (installed from Debian when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${2:-3}
txs=${3:-50000}
# The lease: longer than the default (2 s) because the readers here load the machine that also
# runs the database until its statements take seconds (docs/deployment.md §6).
lease_ms=${LEASE_MS:-5000}
tools=$PWD/.tools/bin
target=${CARGO_TARGET_DIR:-$PWD/target}
BIN=${BIN:-$target/release/rollup}
[ -x "$BIN" ] || { echo "no release build at $BIN (cargo build --release --locked -p rollup)"; exit 1; }
[ -x "$tools/cast" ] || make tools >/dev/null
if ! command -v wrk >/dev/null; then
  echo "installing wrk from Debian"
  (apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null)) ||
    { echo "wrk is missing and could not be installed"; exit 1; }
fi
pg=$(bash scripts/postgres-check.sh | tail -1)
case "$pg" in postgres://*) ;; *) echo "no PostgreSQL: $pg"; exit 1 ;; esac
db=bench_followers_$$
base=${pg%/*}
psql "$pg" -qc "CREATE DATABASE $db" >/dev/null
url="$base/$db"

dir=$(mktemp -d /tmp/bench-followers.XXXXXX)
ports=(18747 18748 18749)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$pg" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  echo "logs in $dir"
}
trap cleanup EXIT

start() { # INDEX
  "$BIN" sequencer --db.url "$url" --http.addr "127.0.0.1:${ports[$1]}" --block.time-ms 100 --lease.ms "$lease_ms" \
    >"$dir/sequencer-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:${ports[$1]}/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "sequencer $1 did not start"; exit 1
}
role() { curl -fs "http://127.0.0.1:${ports[$1]}/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["role"])'; }
head_of() { curl -fs "http://127.0.0.1:${ports[$1]}/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["head"]["number"])'; }

# All three first (the followers idle while only the leader is read): the history below is
# then among the recent blocks each holds in memory, as it is on the leader.
start 0
[ "$(role 0)" = leader ] || { echo "the first sequencer does not lead"; exit 1; }
for i in 1 2; do
  start "$i"
  [ "$(role "$i")" = follower ] || { echo "sequencer $i does not follow"; exit 1; }
done
leader=http://127.0.0.1:${ports[0]}
key=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
me=$("$tools/cast" wallet address "$key")
token=0x7000000000000000000000000000000000000002
echo "history: 20 transfers, then $((txs / 10)) more from a load"
for _ in $(seq 1 20); do
  tx=$("$tools/cast" send --json -r "$leader" --private-key "$key" "$token" "transfer(address,uint256)" \
    0x00000000000000000000000000000000000000b0 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["transactionHash"])')
done
"$BIN" bench load --rpc "$leader" --accounts 500 --txs $((txs / 10)) --concurrency 16 --batch 200 >"$dir/history.txt" 2>&1

cat >"$dir/post.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BODY")
EOF
reads() {
  cat <<EOF
eth_blockNumber|{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}
eth_getBalance|{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["$me","latest"]}
eth_getTransactionReceipt|{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionReceipt","params":["$tx"]}
EOF
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# Requests per second over the first N processes: one wrk each, 32 connections in all.
spread() { # N BODY
  local n=$1 out=()
  for i in $(seq 0 $((n - 1))); do
    BODY=$2 wrk -t1 -c$((32 / n)) -d"${secs}s" -s "$dir/post.lua" "http://127.0.0.1:${ports[$i]}" >"$dir/wrk-$i.txt" 2>&1 &
    out+=($!)
  done
  for p in "${out[@]}"; do wait "$p"; done
  for i in $(seq 0 $((n - 1))); do awk '/Requests\/sec/ {print $2}' "$dir/wrk-$i.txt"; done | awk '{s += $1} END {print s}'
}

declare -A results
for n in 1 2 3; do
  for i in $(seq 1 $((n - 1))); do
    until [ "$(head_of "$i")" -ge "$(head_of 0)" ]; do sleep 0.1; done
  done
  while IFS='|' read -r name body; do
    for i in $(seq 0 $((n - 1))); do
      curl -fs -H 'content-type: application/json' -d "$body" "http://127.0.0.1:${ports[$i]}" | grep -q '"result"' ||
        { echo "sequencer $i does not answer $name"; exit 1; }
    done
    : >"$dir/r"
    for _ in $(seq 1 "$rounds"); do spread "$n" "$body" >>"$dir/r"; done
    results["$name,$n"]=$(median <"$dir/r")
  done < <(reads)
done
printf '\n| read | leader alone (req/s) | leader + 1 follower | leader + 2 followers |\n| --- | ---: | ---: | ---: |\n'
while IFS='|' read -r name _; do
  printf '| %s | %.0f | %.0f | %.0f |\n' "$name" "${results[$name,1]}" "${results[$name,2]}" "${results[$name,3]}"
done < <(reads)

echo
echo "write load: $txs transfers submitted through follower 1 (forwarded to the leader)"
follower=http://127.0.0.1:${ports[1]}
: >"$dir/lag"
(
  while true; do
    l=$(head_of 0 2>/dev/null || echo); f=$(head_of 1 2>/dev/null || echo)
    [ -n "$l" ] && [ -n "$f" ] && echo $((l - f)) >>"$dir/lag"
    sleep 0.05
  done
) &
sampler=$!
"$BIN" bench load --rpc "$follower" --accounts 2000 --txs "$txs" --concurrency 32 --batch 500 >"$dir/load.txt" 2>&1 ||
  { kill "$sampler"; cat "$dir/load.txt"; echo "the load through the follower failed"; exit 1; }
kill "$sampler" 2>/dev/null || true
grep -E 'accepted|included' "$dir/load.txt" || true
python3 - "$dir/lag" <<'EOF'
import sys
lags = sorted(max(0, int(x)) for x in open(sys.argv[1]) if x.strip())
if lags:
    pick = lambda p: lags[min(len(lags) - 1, int(p * len(lags)))]
    print(f"follower lag behind the leader, blocks, over {len(lags)} samples: median {pick(0.5)}, p99 {pick(0.99)}, max {lags[-1]}")
EOF
