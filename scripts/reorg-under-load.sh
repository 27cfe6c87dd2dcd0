#!/usr/bin/env bash
# L1 reorgs in the middle of a load (issue 18): a fresh release devnet (anvil with 1 s blocks,
# batcher and challenger at 0 confirmations), `rollup bench load` of TXS transfers fired as
# fast as it goes, and `anvil_reorg` of the depths given, one every GAP seconds from the
# start of the load, while the backlog is being posted. The L2 takes the bridge's queue 12 L1
# blocks deep, deeper than any reorg here: the devnet's L1-fee readings are queue entries, and
# one the L2 consumed that a deeper reorg takes out stalls posting by design (docs/bridge.md
# §2.3). Then waits until every sealed block is
# posted and verified, and prints the batcher's and the challenger's counts. Fails if the
# challenger judged any batch fraudulent, sent a proof, or did not catch up within 180 s.
#
#   scripts/reorg-under-load.sh [TXS] [DEPTHS] [GAP]
#
# TXS defaults to 100000, DEPTHS to "2 5 1 3", GAP to 5; MIX (environment) is the load's mix,
# transfers by default (`MIX=lending` for the money market's). Needs `cargo build --release -p
# rollup` and `make tools` (anvil and cast in .tools/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ROLLUP_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/optimistic-rollup/target}/release/rollup}
TOOLS=${ROLLUP_TOOLS_BIN:-$PWD/.tools/bin}
TXS=${1:-100000}
DEPTHS=${2:-2 5 1 3}
GAP=${3:-5}
MIX=${MIX:-transfers}
L2_PORT=${L2_PORT:-28547}
L1_PORT=${L1_PORT:-28545}
test -x "$BIN" || { echo "build first: cargo build --release -p rollup ($BIN missing)"; exit 1; }
test -x "$TOOLS/cast" || { echo "run 'make tools' first ($TOOLS/cast missing)"; exit 1; }
export FOUNDRY_DISABLE_NIGHTLY_WARNING=1 ROLLUP_TOOLS_BIN=$TOOLS

dir=$(mktemp -d)
L2=http://127.0.0.1:$L2_PORT
L1=http://127.0.0.1:$L1_PORT
# shellcheck source=scripts/background-devnet.sh
. scripts/background-devnet.sh
start_devnet "$dir" "$L2_PORT" "$L1_PORT" \
  --queue.confirmations 12 --inbox.inclusion-window 64

"$BIN" bench load --rpc "$L2" --accounts 2000 --txs "$TXS" --concurrency 32 --mix "$MIX" --batch 500 \
  >"$dir/load.txt" 2>&1 &
load=$!
started=$(date +%s)
for depth in $DEPTHS; do
  sleep "$GAP"
  echo "$(($(date +%s) - started)) s: anvil_reorg of depth $depth"
  "$TOOLS/cast" rpc --rpc-url "$L1" anvil_reorg "$depth" '[]' >/dev/null
done
wait "$load" || { cat "$dir/load.txt"; echo "the load failed"; exit 1; }
load=
grep -E 'accepted|included|firing' "$dir/load.txt"

status() { curl -fs "$L2/v1/status"; }
summary='
import json, sys
d = json.load(sys.stdin); b = d["batcher"]; c = d["challenger"]
done = c["lastVerifiedL2Block"] == d["head"]["number"] and b["unpostedBlocks"] == 0
print(json.dumps({
    "head": d["head"]["number"], "lastPostedL2Block": b["lastPostedL2Block"],
    "lastVerifiedL2Block": c["lastVerifiedL2Block"], "reorgedBatches": b["reorgedBatches"],
    "rebroadcasts": b["rebroadcasts"], "challengerReorgs": c["reorgs"],
    "mismatchVerdicts": c["mismatchVerdicts"], "proofs": len(c["proofs"]), "rollbacks": c["rollbacks"],
    "rootsEqual": c["lastVerifiedStateRoot"] == d["head"]["stateRoot"], "settled": done,
}))
'
for _ in $(seq 1 180); do
  line=$(status | python3 -c "$summary")
  grep -q '"settled": true' <<<"$line" && break
  sleep 1
done
echo "$(($(date +%s) - started)) s: $line"
grep -q '"settled": true' <<<"$line" || { echo "not settled within 180 s"; exit 1; }
grep -q '"mismatchVerdicts": 0, "proofs": 0, "rollbacks": 0, "rootsEqual": true' <<<"$line" ||
  { echo "a wrong verdict, a proof or a rollback"; exit 1; }
echo "every sealed block posted and verified through the reorgs, no wrong verdict, no proof"
