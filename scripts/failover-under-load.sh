#!/usr/bin/env bash
# Failover under load, to the L1 (issue 57's "done when", BENCHMARKS.md "Failover"): anvil
# (1 s blocks), the contracts deployed, three `rollup sequencer` and two `rollup batcher` on one
# PostgreSQL database, each under a supervisor loop that starts it again when it exits, and a
# `rollup challenger` on its own SQLite; `rollup bench load` runs one after the other (at RATE
# tx/s, through any sequencer: followers forward) while, ROUNDS times each, the leading
# sequencer is killed (`kill -9`, and every other round the posting batcher with it), stopped
# (SIGSTOP for STALL seconds, then continued: it must find itself deposed and exit), or every
# database connection is cut (`pg_terminate_backend`). For each round: how long until the
# database holds a block past the newest at the fault. Then: every load's accepted transactions
# included (0 lost), the chain linked block to block, every block posted by the batchers and
# verified by the challenger, no wrong verdict.
#
#   scripts/failover-under-load.sh [ROUNDS] [RATE] [STALL] [GAP]
#
# ROUNDS of each kind (default 10), RATE tx/s (default 2000), STALL seconds (default 30), GAP
# seconds between rounds (default 3). Needs `cargo build --release -p rollup`, `make tools`
# (anvil, cast) and PostgreSQL (found or started by scripts/postgres-check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ROLLUP_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/optimistic-rollup/target}/release/rollup}
TOOLS=${ROLLUP_TOOLS_BIN:-$PWD/.tools/bin}
ROUNDS=${1:-10}
RATE=${2:-2000}
STALL=${3:-30}
GAP=${4:-3}
LEASE_MS=${LEASE_MS:-2000}
test -x "$BIN" || { echo "build first: cargo build --release -p rollup ($BIN missing)"; exit 1; }
test -x "$TOOLS/anvil" || { echo "run 'make tools' first ($TOOLS/anvil missing)"; exit 1; }
pg=$(bash scripts/postgres-check.sh | tail -1)
case "$pg" in postgres://*) ;; *) echo "no PostgreSQL: $pg"; exit 1 ;; esac
db=failover_load_$$
psql "$pg" -qc "CREATE DATABASE $db" >/dev/null
url="${pg%/*}/$db"
dir=$(mktemp -d /tmp/failover-load.XXXXXX)
echo "logs in $dir, database $db"
L1_PORT=38545
ports=(38547 38548 38549)
L1=http://127.0.0.1:$L1_PORT
# anvil's accounts 0 (deployer) and 1 (batcher).
deployer=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
batcher_key=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
supervisors=()
others=()
cleanup() {
  touch "$dir/stop"
  for p in "${supervisors[@]}"; do kill "$p" 2>/dev/null || true; done
  # The sequencers and batchers name the database; the loads, the sequencers' ports.
  for pattern in "$db" "rpc.failover http://127.0.0.1:3854" "$dir"; do
    pkill -CONT -f "$pattern" 2>/dev/null || true
    pkill -TERM -f "$pattern" 2>/dev/null || true
  done
  for p in "${others[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for pattern in "$db" "rpc.failover http://127.0.0.1:3854" "$dir"; do pkill -KILL -f "$pattern" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$pg" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  echo "logs in $dir"
}
trap cleanup EXIT

"$TOOLS/anvil" --port "$L1_PORT" --block-time 1 --silent >"$dir/anvil.log" 2>&1 &
others+=($!)
for _ in $(seq 1 100); do "$TOOLS/cast" block-number -r "$L1" >/dev/null 2>&1 && break; sleep 0.1; done
batcher_address=$("$TOOLS/cast" wallet address "$batcher_key")
"$BIN" deploy --l1.rpc "$L1" --l1.deployer-key "$deployer" --inbox.batcher "$batcher_address" >"$dir/deployment.json"
inbox=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["batchInbox"])' "$dir/deployment.json")
from=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inboxBlock"])' "$dir/deployment.json")

# A supervisor: runs the command again whenever it exits, until the run stops.
supervise() { # NAME COMMAND…
  local name=$1
  shift
  (
    n=0
    while [ ! -e "$dir/stop" ]; do
      "$@" >>"$dir/$name.log" 2>&1 || true
      n=$((n + 1))
      echo "$n" >"$dir/$name.restarts"
      sleep 0.2
    done
  ) &
  supervisors+=($!)
}
for i in 0 1 2; do
  supervise "sequencer-$i" "$BIN" sequencer --db.url "$url" --http.addr "127.0.0.1:${ports[$i]}" --lease.ms "$LEASE_MS" \
    --block.time-ms 250 --state.snapshot-interval 100 --http.advertise "http://127.0.0.1:${ports[$i]}"
  # The first one lays out the chain before the others start.
  [ "$i" -eq 0 ] && for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:${ports[0]}/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
done
for i in 0 1; do
  supervise "batcher-$i" "$BIN" batcher --db.url "$url" --l1.rpc "$L1" --l1.inbox "$inbox" --batcher.key "$batcher_key" \
    --lease.ms "$LEASE_MS"
done
"$BIN" challenger --l1.rpc "$L1" --l1.inbox "$inbox" --l1.from-block "$from" --db.url "sqlite://$dir/challenger.sqlite" \
  --challenger.metrics-addr 127.0.0.1:38601 >"$dir/challenger.log" 2>&1 &
others+=($!)

q() { psql "$url" -qtAc "$1"; }
# The leading sequencer: its index and head, from the one that says it leads.
leader() {
  for i in 0 1 2; do
    s=$(curl -fs -m 0.3 "http://127.0.0.1:${ports[$i]}/v1/status" 2>/dev/null) || continue
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d["role"] == "leader" else 1)' "$s" || continue
    echo "$i $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["head"]["number"])' "$s")"
    return 0
  done
  return 1
}
# The pid of the process holding lease row ROW (its holder id is host:pid:clock).
holder_pid() { q "SELECT holder FROM sequencer_lease WHERE id = $1" | cut -d: -f2; }
# Seconds from START until the database holds a block past TOP: the chain moved again (read
# from the database, which clients' load on the sequencers' APIs does not slow).
moved_on() { # TOP START
  while [ "$(q 'SELECT MAX(number) FROM blocks')" -le "$1" ]; do sleep 0.02; done
  python3 -c "import time; print(f'{time.time() - $2:.2f}')"
}
for _ in $(seq 1 600); do leader >/dev/null && [ "$(q 'SELECT COUNT(*) FROM sequencer_members')" -ge 3 ] && break; sleep 0.1; done

# The load: runs one after the other (a new seed each) until the rounds are done.
(
  seed=1
  while [ ! -e "$dir/rounds-done" ]; do
    "$BIN" bench load --rpc "http://127.0.0.1:${ports[1]}" --rpc.failover "http://127.0.0.1:${ports[2]},http://127.0.0.1:${ports[0]}" \
      --accounts 1000 --txs $((RATE * 30)) --rate "$RATE" --concurrency 16 --batch 100 --mix transfers --seed "$seed" \
      --inclusion-timeout 120 --json >"$dir/load-$seed.json" 2>"$dir/load-$seed.log" || echo "load $seed failed" >>"$dir/load-failures"
    seed=$((seed + 1))
  done
) &
loads=$!
sleep 10

: >"$dir/rounds"
for round in $(seq 0 $((3 * ROUNDS - 1))); do
  sleep "$GAP"
  read -r at head < <(until leader; do sleep 0.05; done)
  pid=$(holder_pid 1)
  start=$(python3 -c 'import time; print(time.time())')
  # The newest block once the fault is in (a killed or stopped leader writes no more; a cut
  # one may go on, which is the chain moving again).
  case $((round % 3)) in
    0)
      kill -9 "$pid"
      top=$(q 'SELECT MAX(number) FROM blocks')
      what="kill -9"
      if [ $((round % 6)) -eq 0 ]; then
        bpid=$(holder_pid 2)
        [ -n "$bpid" ] && kill -9 "$bpid" 2>/dev/null && what="kill -9 (and the posting batcher)"
      fi
      took=$(moved_on "$top" "$start")
      ;;
    1)
      kill -STOP "$pid"
      top=$(q 'SELECT MAX(number) FROM blocks')
      what="SIGSTOP ${STALL} s"
      took=$(moved_on "$top" "$start")
      sleep "$(python3 -c "print(max(0, $STALL - ($took)))")"
      kill -CONT "$pid"
      for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && { echo "round $round: the stalled leader woke up and did not stop"; exit 1; }
      ;;
    2)
      top=$(q 'SELECT MAX(number) FROM blocks')
      q "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
      what="connections cut"
      took=$(moved_on "$top" "$start")
      ;;
  esac
  echo "round $round: $what of sequencer $at at block $head: moved again after $took s" | tee -a "$dir/rounds"
  echo "$what $took" >>"$dir/took"
done
touch "$dir/rounds-done"
wait "$loads"
[ -e "$dir/load-failures" ] && { cat "$dir/load-failures"; tail -5 "$dir"/load-*.log; exit 1; }

python3 - "$dir" <<'EOF'
import glob, json, statistics, sys
d = sys.argv[1]
accepted = missing = 0
for f in sorted(glob.glob(f"{d}/load-*.json")):
    r = json.load(open(f))
    accepted += r["accepted"]; missing += r["missing"]
print(f"loads: {accepted} accepted, {missing} not included")
kinds = {}
for line in open(f"{d}/took"):
    what, took = line.rsplit(" ", 1)
    kinds.setdefault(what.split(" (")[0], []).append(float(took))
for what, t in kinds.items():
    t.sort()
    print(f"{what}: {len(t)} rounds, moved again after {statistics.median(t):.2f} s median, {t[-1]:.2f} s worst")
sys.exit(1 if missing else 0)
EOF

# The chain: one block a height (the primary key), each on its parent.
head=$(q "SELECT MAX(number) FROM blocks")
count=$(q "SELECT COUNT(*) FROM blocks")
broken=$(q "SELECT COUNT(*) FROM blocks b JOIN blocks p ON p.number = b.number - 1 WHERE b.parent_hash <> p.hash")
[ "$count" -eq $((head + 1)) ] && [ "$broken" -eq 0 ] || { echo "the chain has gaps or breaks: $count blocks to $head, $broken breaks"; exit 1; }
echo "chain: $count blocks, each on its parent"

# Posted and verified: the newest block in a batch on L1, and the challenger past it.
for _ in $(seq 1 300); do
  posted=$(q "SELECT COALESCE(MAX(last_block), 0) FROM batches")
  verified=$(curl -fs 127.0.0.1:38601/status | python3 -c 'import json,sys; print(json.load(sys.stdin).get("lastVerifiedL2Block") or 0)')
  [ "$posted" -ge "$head" ] && [ "$verified" -ge "$head" ] && break
  sleep 1
done
curl -fs 127.0.0.1:38601/status | python3 -c '
import json, sys
c = json.load(sys.stdin)
print(json.dumps({k: c.get(k) for k in ["batchesChecked", "lastVerifiedBatch", "lastVerifiedL2Block", "mismatchVerdicts", "rollbacks"]} | {"proofs": len(c.get("proofs", []))}))
sys.exit(0 if c.get("mismatchVerdicts") == 0 and not c.get("proofs") and not c.get("rollbacks") else 1)
' || { echo "a wrong verdict, a proof or a rollback"; exit 1; }
[ "$verified" -ge "$head" ] || { echo "not every block verified: posted to $posted, verified to $verified, head $head"; exit 1; }
echo "batchers' restarts: $(cat "$dir"/batcher-*.restarts 2>/dev/null | paste -sd' ' -); sequencers' restarts: $(cat "$dir"/sequencer-*.restarts 2>/dev/null | paste -sd' ' -)"
echo "every accepted transaction included, every block posted and verified by the challenger, no wrong verdict"
