#!/usr/bin/env bash
# The README's liquidation, run end to end against a fresh release devnet with cast: key #3
# supplies 1,000,000 USDC; key #2 supplies 10 WETH and borrows 24,000 USDC against it (its
# borrowing power is 24,750); key #4 sells 400 WETH into the WETH/USDC pool, halving its spot
# price; a transfer a second keeps blocks coming, each sampling the oracles, until the WETH
# oracle's 30-minute mean has fallen far enough that key #2's health factor is below one (about
# ten minutes); then key #3 liquidates 5,000 USDC of the debt, and the health factor is read
# before and after. Fails if any step does not do what the README says.
#
#   scripts/liquidation-walkthrough.sh
#
# Needs `cargo build --release -p rollup` and `make tools` (cast in .tools/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ROLLUP_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/optimistic-rollup/target}/release/rollup}
TOOLS=${ROLLUP_TOOLS_BIN:-$PWD/.tools/bin}
L2_PORT=${L2_PORT:-28647}
L1_PORT=${L1_PORT:-28645}
test -x "$BIN" || { echo "build first: cargo build --release -p rollup ($BIN missing)"; exit 1; }
test -x "$TOOLS/cast" || { echo "run 'make tools' first ($TOOLS/cast missing)"; exit 1; }
export FOUNDRY_DISABLE_NIGHTLY_WARNING=1 ROLLUP_TOOLS_BIN=$TOOLS
CAST=$TOOLS/cast

dir=$(mktemp -d)
L2=http://127.0.0.1:$L2_PORT
# shellcheck source=scripts/background-devnet.sh
. scripts/background-devnet.sh
start_devnet "$dir" "$L2_PORT" "$L1_PORT"

SYS=0x4200000000000000000000000000000000000010
WETH=0x7000000000000000000000000000000000000001
USDC=0x7000000000000000000000000000000000000002
KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a   # anvil key #2
ME=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
KEY3=0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6  # anvil key #3
KEY4=0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a  # anvil key #4
send() { "$CAST" send --rpc-url "$L2" --json "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
health() { "$CAST" call --rpc-url "$L2" "$SYS" "accountHealth(address)(uint256,uint256,uint256,uint256)" "$ME" | cut -d' ' -f1 | tr '\n' ' '; }
ok() { [ "$1" = 0x1 ] || { echo "$2 failed (status $1)"; exit 1; }; }

ok "$(send --private-key "$KEY3" "$SYS" "supply(address,uint256)" "$USDC" 1000000000000)" "key #3's supply"
ok "$(send --private-key "$KEY" "$SYS" "supply(address,uint256)" "$WETH" 10000000000000000000)" "key #2's supply"
ok "$(send --private-key "$KEY" "$SYS" "borrow(address,uint256)" "$USDC" 24000000000)" "key #2's borrow"
read -r collateral borrowable debt before <<<"$(health)"
echo "health before: collateral $collateral, borrowing power $borrowable, debt $debt, factor $before"
ok "$(send --private-key "$KEY4" "$SYS" "swap(address,address,uint256,uint256)" "$WETH" "$USDC" 400000000000000000000 1)" "key #4's sale of 400 WETH"
started=$(date +%s)
"$BIN" bench load --rpc "$L2" --accounts 10 --txs 3600 --rate 1 --mix transfers >"$dir/load.txt" 2>&1 &
load=$!
factor=$before
while python3 -c "import sys; sys.exit(0 if $factor >= 10**18 else 1)"; do
  (($(date +%s) - started < 2400)) || { echo "still healthy after 40 minutes: $factor"; exit 1; }
  sleep 15
  read -r _ _ _ factor <<<"$(health)"
  echo "$(($(date +%s) - started)) s: health factor $factor"
done
kill "$load" 2>/dev/null || true
load=
quote=$("$CAST" call --rpc-url "$L2" "$SYS" "liquidationQuote(address,address,address,uint256)(uint256,uint256)" \
  "$ME" "$USDC" "$WETH" 5000000000 | cut -d' ' -f1 | tr '\n' ' ')
echo "liquidation quote (repaid USDC, seized WETH): $quote"
ok "$(send --private-key "$KEY3" "$SYS" "liquidate(address,address,address,uint256,uint256)" "$ME" "$USDC" "$WETH" 5000000000 0)" "key #3's liquidation"
read -r collateral borrowable debt after <<<"$(health)"
echo "health after: collateral $collateral, borrowing power $borrowable, debt $debt, factor $after"
python3 -c "import sys; sys.exit(0 if $after > $factor else 1)" || { echo "the liquidation did not raise the health factor"; exit 1; }
echo "liquidated after $(($(date +%s) - started)) s: the health factor went from $factor to $after"
