#!/usr/bin/env bash
# cast (foundry, the pinned npm package in .tools) against a running devnet: chain id and head
# over HTTP and WebSocket, a send waiting for two confirmations, an EIP-7966 sync send, the
# token's ERC-20 logs by numeric range, calls at an earlier block, a state proof checked
# against the block's stateRoot, geth's "nonce too low", a decoded revert, and ether as the chain's
# currency (cast balance, cast send --value and the fee it pays, the fee vault's type-0x7e credit,
# geth's "insufficient funds"), the router (swapPath, its deadline), and the money market
# (supply, borrow, the account's health, a borrow beyond the collateral refused by name), and
# reads at block 1 once it is older than the blocks kept in memory (the devnet's archive).
# Run by clients/run.sh; each check is reported, the exit status is 1 if any failed.

set -uo pipefail

: "${ROLLUP_RPC_URL:?run the client tests through clients/run.sh}" "${ROLLUP_CHAIN_ID:?}"
CAST=${ROLLUP_TOOLS_BIN:?}/cast
export FOUNDRY_DISABLE_NIGHTLY_WARNING=1
L2=$ROLLUP_RPC_URL
WS=${L2/http/ws}
SYSTEM=0x4200000000000000000000000000000000000010
USDC=0x7000000000000000000000000000000000000002
WETH=0x7000000000000000000000000000000000000001
# The bridged-ETH token: its ledger balance is an account's ether (eth_getBalance).
ETH_TOKEN=0x7e5dBF11c9EF14E152A19D5f8ea75a329092d5a6
# Anvil key #8, funded on L2 (types/src/genesis.rs); the other clients use #4 to #7.
KEY=0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97
ME=$("$CAST" wallet address --private-key "$KEY")
TO=0x00000000000000000000000000000000000000a4

echo "== cast against $L2 (chain id $ROLLUP_CHAIN_ID)"
passed=0
failed=()
started=$(date +%s%N)
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# check NAME FUNCTION: runs FUNCTION (in this shell: what it sets is kept for the next checks);
# a failure (non-zero status) is reported with its output.
out_file=$(mktemp)
trap 'rm -f "$out_file"' EXIT
check() {
  local name=$1 fn=$2 t0
  t0=$(date +%s%N)
  if "$fn" >"$out_file" 2>&1; then
    passed=$((passed + 1))
    echo "  ok   $name ($(ms_since "$t0") ms)"
  else
    failed+=("$name")
    echo "  FAIL $name ($(ms_since "$t0") ms)" >&2
    sed 's/^/       /' "$out_file" | tail -n 25 >&2
  fi
}

# expect WHAT GOT WANT
expect() {
  if [[ $2 != "$3" ]]; then
    echo "$1: got '$2', expected '$3'"
    return 1
  fi
}

json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

c1() {
  expect "chain-id" "$("$CAST" chain-id --rpc-url "$L2")" "$ROLLUP_CHAIN_ID" || return 1
  local http ws
  http=$("$CAST" block-number --rpc-url "$L2") || return 1
  ws=$("$CAST" block-number --rpc-url "$WS") || return 1
  ((ws >= http)) || { echo "head over the socket $ws before the head over HTTP $http"; return 1; }
  expect "symbol over the socket" "$("$CAST" call --rpc-url "$WS" "$USDC" 'symbol()(string)')" '"USDC"'
}

c2() {
  local receipt
  receipt=$("$CAST" send --rpc-url "$L2" --private-key "$KEY" "$USDC" 'transfer(address,uint256)' "$TO" 21 \
    --confirmations 2 --json) || return 1
  expect "status" "$(json 'd["status"]' <<<"$receipt")" 0x1 || return 1
  # The system contract's ledger Transfer, then the token's ERC-20 Transfer.
  expect "log addresses" "$(json '" ".join(l["address"].lower() for l in d["logs"])' <<<"$receipt")" \
    "$SYSTEM ${USDC,,}"
}

SYNC_BLOCK=
c3() {
  local receipt
  receipt=$("$CAST" send --rpc-url "$L2" --private-key "$KEY" "$USDC" 'transfer(address,uint256)' "$TO" 22 \
    --sync --json) || return 1
  expect "status" "$(json 'd["status"]' <<<"$receipt")" 0x1 || return 1
  SYNC_BLOCK=$(json 'int(d["blockNumber"], 16)' <<<"$receipt")
}

c4() {
  [[ -n $SYNC_BLOCK ]] || { echo "skipped: needs the block of check 3"; return 1; }
  local logs
  logs=$("$CAST" logs --rpc-url "$L2" --from-block $((SYNC_BLOCK - 20 > 0 ? SYNC_BLOCK - 20 : 0)) \
    --to-block "$SYNC_BLOCK" --address "$USDC" 'Transfer(address indexed,address indexed,uint256)' "$ME" --json) ||
    return 1
  expect "the last two transfers at the token (checks 2 and 3) and the last one's block" \
    "$(json '[int(l["data"], 16) for l in d][-2:], int(d[-1]["blockNumber"], 16)' <<<"$logs")" "[21, 22] $SYNC_BLOCK"
}

c5() {
  [[ -n $SYNC_BLOCK ]] || { echo "skipped: needs the block of check 3"; return 1; }
  local before after
  before=$("$CAST" call --rpc-url "$L2" "$USDC" 'balanceOf(address)(uint256)' "$TO" --block $((SYNC_BLOCK - 1))) ||
    return 1
  after=$("$CAST" call --rpc-url "$L2" "$USDC" 'balanceOf(address)(uint256)' "$TO" --block "$SYNC_BLOCK") || return 1
  expect "balance at the block over the block before" "$((after - before))" 22 || return 1
  local n0 n1
  n0=$("$CAST" nonce --rpc-url "$L2" "$ME" --block $((SYNC_BLOCK - 1))) || return 1
  n1=$("$CAST" nonce --rpc-url "$L2" "$ME" --block "$SYNC_BLOCK") || return 1
  expect "nonce at the block" "$n1" $((n0 + 1))
}

c6() {
  [[ -n $SYNC_BLOCK ]] || { echo "skipped: needs the block of check 3"; return 1; }
  local slot proof root balance
  slot=$("$CAST" keccak "$("$CAST" abi-encode 'f(uint256,address,address)' 2 "$USDC" "$TO")") || return 1
  proof=$("$CAST" proof --rpc-url "$L2" "$SYSTEM" "$slot" --block "$SYNC_BLOCK") || return 1
  root=$("$CAST" block --rpc-url "$L2" "$SYNC_BLOCK" --json | json 'd["stateRoot"]') || return 1
  balance=$("$CAST" call --rpc-url "$L2" "$USDC" 'balanceOf(address)(uint256)' "$TO" --block "$SYNC_BLOCK") || return 1
  expect "storageHash" "$(json 'd["storageHash"]' <<<"$proof")" "$root" || return 1
  expect "value" "$(json 'int(d["storageProof"][0]["value"], 16)' <<<"$proof")" "$balance" || return 1
  # The terminal is the slot's own leaf: key, then the value.
  expect "terminal" "$(json 'd["storageProof"][0]["proof"][-1][:66]' <<<"$proof")" "$slot"
}

c7() {
  local out
  if out=$("$CAST" send --rpc-url "$L2" --private-key "$KEY" "$USDC" 'transfer(address,uint256)' "$TO" 1 \
    --nonce 0 2>&1); then
    echo "a used nonce was accepted: $out"
    return 1
  fi
  grep -q 'nonce too low' <<<"$out" || { echo "$out"; return 1; }
}

c8() {
  local out
  if out=$("$CAST" call --rpc-url "$L2" --from "$ME" "$SYSTEM" 'swap(address,address,uint256,uint256)' \
    "$WETH" "$USDC" 1000000000000000 1000000000000000000000000000000 2>&1); then
    echo "an impossible swap called fine: $out"
    return 1
  fi
  grep -qE 'execution reverted: InsufficientOutput\([0-9]+, 1000000000000000000000000000000\)' <<<"$out" ||
    { echo "$out"; return 1; }
}

# A fresh random address (a new key's), so that reruns never find it funded.
fresh_address() { "$CAST" wallet address --private-key "0x$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"; }
# Arithmetic and comparisons on wei (bash's integers stop at 2^63).
wei() { python3 -c "print($1)"; }
holds() { python3 -c "import sys; sys.exit(0 if $1 else 1)"; }

c9() {
  local balance token fresh
  balance=$("$CAST" balance --rpc-url "$L2" "$ME") || return 1
  [[ $balance =~ ^[0-9]+$ && $balance != 0 ]] || { echo "cast balance of a dev account: '$balance'"; return 1; }
  token=$("$CAST" call --rpc-url "$L2" "$ETH_TOKEN" 'balanceOf(address)(uint256)' "$ME") || return 1
  # cast prints a uint256 with its scientific form after it ("100000000000000000000 [1e20]").
  expect "the ERC-20 balanceOf at the bridged-ETH token" "${token%% *}" "$balance" || return 1
  fresh=$(fresh_address) || return 1
  expect "cast balance of a fresh address" "$("$CAST" balance --rpc-url "$L2" "$fresh")" 0
}

# Every transaction pays its fee in ether (docs/fees.md §2): gasUsed × effectiveGasPrice, taken
# from its sender and credited to the fee vault in the same block (§6).
FEE_VAULT=0x4200000000000000000000000000000000000011
MIN_BASE_FEE=1000000

c10() {
  local fresh before receipt hash n tx base_fee gas_used price want_price fee vault_gain block_fees
  fresh=$(fresh_address) || return 1
  before=$("$CAST" balance --rpc-url "$L2" "$ME") || return 1
  receipt=$("$CAST" send --rpc-url "$L2" --private-key "$KEY" "$fresh" --value 1ether --json) || return 1
  expect "status" "$(json 'd["status"]' <<<"$receipt")" 0x1 || return 1
  hash=$(json 'd["transactionHash"]' <<<"$receipt") || return 1
  n=$(json 'int(d["blockNumber"], 16)' <<<"$receipt") || return 1
  # The fee, from cast receipt: the scheduled gas of a transfer of ether at the 1559 price over
  # the block's base fee (cast sends EIP-1559 by default; a legacy one pays its gasPrice).
  receipt=$("$CAST" receipt --rpc-url "$L2" "$hash" --json) || return 1
  gas_used=$(json 'int(d["gasUsed"], 16)' <<<"$receipt") || return 1
  price=$(json 'int(d["effectiveGasPrice"], 16)' <<<"$receipt") || return 1
  expect "gasUsed (the scheduled gas of a transfer of ether)" "$gas_used" 21000 || return 1
  tx=$("$CAST" tx --rpc-url "$L2" "$hash" --json) || return 1
  base_fee=$("$CAST" block --rpc-url "$L2" "$n" --json | json 'int(d["baseFeePerGas"], 16)') || return 1
  holds "$base_fee >= $MIN_BASE_FEE" || { echo "the block's base fee $base_fee is below $MIN_BASE_FEE wei"; return 1; }
  want_price=$(json "min(int(d['maxFeePerGas'], 16), $base_fee + int(d['maxPriorityFeePerGas'], 16)) \
    if int(d['type'], 16) == 2 else int(d['gasPrice'], 16)" <<<"$tx") || return 1
  holds "$price > 0" || { echo "effectiveGasPrice is $price"; return 1; }
  expect "effectiveGasPrice (min(maxFeePerGas, baseFeePerGas $base_fee + maxPriorityFeePerGas), or gasPrice)" \
    "$price" "$want_price" || return 1
  fee=$(wei "$gas_used * $price")
  # Exact balances: at the receipt's block against the block before, and now against before.
  expect "cast balance of the recipient at its block" "$("$CAST" balance --rpc-url "$L2" "$fresh" --block "$n")" \
    1000000000000000000 || return 1
  expect "cast balance of the recipient at the block before" \
    "$("$CAST" balance --rpc-url "$L2" "$fresh" --block $((n - 1)))" 0 || return 1
  expect "what the sender paid in the block (exactly 1 ether + gasUsed × effectiveGasPrice = $fee wei)" \
    "$(wei "$("$CAST" balance --rpc-url "$L2" "$ME" --block $((n - 1))) - $("$CAST" balance --rpc-url "$L2" "$ME" --block "$n")")" \
    "$(wei "10**18 + $fee")" || return 1
  expect "cast balance of the recipient" "$("$CAST" balance --rpc-url "$L2" "$fresh")" 1000000000000000000 || return 1
  expect "the sender's balance (exactly 1 ether + the fee less)" "$("$CAST" balance --rpc-url "$L2" "$ME")" \
    "$(wei "$before - 10**18 - $fee")" || return 1
  # The fee vault is credited in the same block: at least this fee (the block's other
  # transactions pay too), and exactly the fees of all the block's receipts.
  vault_gain=$(wei "$("$CAST" balance --rpc-url "$L2" "$FEE_VAULT" --block "$n") - $("$CAST" balance --rpc-url "$L2" "$FEE_VAULT" --block $((n - 1)))")
  holds "$vault_gain >= $fee" ||
    { echo "the fee vault gained $vault_gain wei in block $n, less than the fee $fee"; return 1; }
  block_fees=$("$CAST" rpc --rpc-url "$L2" eth_getBlockReceipts "$(printf '0x%x' "$n")" |
    json 'sum(int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16) for r in d)') || return 1
  expect "the fee vault's gain in block $n (the fees of the block's receipts)" "$vault_gain" "$block_fees" || return 1
  # The credit is visible (docs/fees.md §8): the block's last transaction is the vault's, of
  # type 0x7e, and cast reads it and its receipt.
  local credit
  credit=$("$CAST" block --rpc-url "$L2" "$n" --json | json 'd["transactions"][-1]') || return 1
  expect "the closing credit's type" "$("$CAST" tx --rpc-url "$L2" "$credit" --json | json 'd["type"]')" "0x7e" || return 1
  expect "the closing credit's receipt" \
    "$("$CAST" receipt --rpc-url "$L2" "$credit" --json | json 'd["status"] + " " + d["from"].lower() + " " + d["effectiveGasPrice"]')" \
    "0x1 ${FEE_VAULT,,} 0x0" || return 1
  # The ledger's Transfer at the system contract, then the ERC-20 Transfer at the token.
  expect "log addresses" "$(json '" ".join(l["address"].lower() for l in d["logs"])' <<<"$receipt")" \
    "$SYSTEM ${ETH_TOKEN,,}"
}

# More ether than the balance: refused at the door with geth's "insufficient funds" (a gas limit
# given, so that cast does not estimate), then as cast sends it by default (estimating first).
overdraft() {
  local fresh balance out
  fresh=$(fresh_address) || return 1
  balance=$("$CAST" balance --rpc-url "$L2" "$ME") || return 1
  if out=$("$CAST" send --rpc-url "$L2" --private-key "$KEY" "$fresh" --value "$(wei "$balance + 1")" "$@" 2>&1); then
    echo "a send of more than the balance was accepted: $out"
    return 1
  fi
  grep -qE 'insufficient funds for gas \* price \+ value: address 0x[0-9a-fA-F]{40} have [0-9]+ want [0-9]+' <<<"$out" ||
    { echo "$out"; return 1; }
  expect "the sender's balance" "$("$CAST" balance --rpc-url "$L2" "$ME")" "$balance"
}

c11() {
  local gas
  gas=$("$CAST" estimate --rpc-url "$L2" --from "$ME" "$(fresh_address)" --value 1) || return 1
  overdraft --gas-limit "$gas"
}

c12() { overdraft; }

# The router: USDC to DAI through WETH, as the README does; then a deadline already past,
# which reverts with Expired(deadline, timestamp) at the block's timestamp.
c13() {
  local dai=0x7000000000000000000000000000000000000003 before after status out
  before=$("$CAST" call --rpc-url "$L2" "$SYSTEM" 'balanceOf(address,address)(uint256)' "$dai" "$ME" | cut -d' ' -f1) ||
    return 1
  status=$("$CAST" send --rpc-url "$L2" --private-key "$KEY" --json "$SYSTEM" \
    'swapPath(address[],uint256,uint256,uint256)' "[$USDC,$WETH,$dai]" 1000000000 1 $(($(date +%s) + 60)) |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])') || return 1
  expect "the routed swap's status" "$status" 0x1
  after=$("$CAST" call --rpc-url "$L2" "$SYSTEM" 'balanceOf(address,address)(uint256)' "$dai" "$ME" | cut -d' ' -f1) ||
    return 1
  holds "$after - $before > 900 * 10**18" || { echo "DAI $before -> $after"; return 1; }
  if out=$("$CAST" call --rpc-url "$L2" --from "$ME" "$SYSTEM" 'swapPath(address[],uint256,uint256,uint256)' \
    "[$USDC,$WETH,$dai]" 1000000 1 1 2>&1); then
    echo "a swap past its deadline called fine: $out"
    return 1
  fi
  grep -qE 'execution reverted: Expired\(1, [0-9]+\)' <<<"$out" || { echo "$out"; return 1; }
}

c14() {
  local status health out
  status=$("$CAST" send --rpc-url "$L2" --private-key "$KEY" --json "$SYSTEM" \
    'supply(address,uint256)' "$WETH" 10000000000000000000 | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])') ||
    return 1
  expect "the supply's status" "$status" 0x1
  status=$("$CAST" send --rpc-url "$L2" --private-key "$KEY" --json "$SYSTEM" \
    'borrow(address,uint256)' "$WETH" 1000000000000000000 | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])') ||
    return 1
  expect "the borrow's status" "$status" 0x1
  # Collateral at 89.5 %, borrowing power at 82.5 %, debt, health: 10 WETH against 1.
  health=$("$CAST" call --rpc-url "$L2" "$SYSTEM" 'accountHealth(address)(uint256,uint256,uint256,uint256)' "$ME" |
    cut -d' ' -f1 | tr '\n' ' ') || return 1
  read -r collateral borrowable debt factor <<<"$health"
  holds "$borrowable * 895 == $collateral * 825 or abs($borrowable * 895 - $collateral * 825) < 10**6" ||
    { echo "health: $health"; return 1; }
  holds "$factor > 8 * 10**18 and $factor < 10 * 10**18" || { echo "health: $health"; return 1; }
  # The supply as a wallet reads it: the WETH market's ERC-20 face (sWETH at 0x4200…0101).
  local face=0x4200000000000000000000000000000000000101
  out=$("$CAST" call --rpc-url "$L2" "$face" 'symbol()(string)') || return 1
  grep -qx '"\?sWETH"\?' <<<"$out" || { echo "the face's symbol: $out"; return 1; }
  out=$("$CAST" call --rpc-url "$L2" "$face" 'balanceOf(address)(uint256)' "$ME" | cut -d' ' -f1) || return 1
  holds "$out >= 10 * 10**18 - 1 and $out < 11 * 10**18" || { echo "sWETH balance: $out"; return 1; }
  # 9 WETH more is in the market's cash but beyond what 10 WETH may back.
  if out=$("$CAST" call --rpc-url "$L2" --from "$ME" "$SYSTEM" 'borrow(address,uint256)' "$WETH" \
    9000000000000000000 2>&1); then
    echo "a borrow of 10 WETH against 10 called fine: $out"
    return 1
  fi
  grep -qE 'execution reverted: Undercollateralized\(' <<<"$out" || { echo "$out"; return 1; }
}

c15() {
  local head balance tokens nonce
  # Past the blocks the node keeps in memory (run.sh gives the devnet --state.history
  # $STATE_HISTORY): the devnet keeps the state's history for the older ones.
  local kept=${STATE_HISTORY:-128}
  for _ in $(seq 1 120); do
    head=$("$CAST" block-number --rpc-url "$L2") || return 1
    ((head > kept + 2)) && break
    sleep 0.5
  done
  ((head > kept + 2)) || { echo "the head is $head, not past the $kept blocks kept in memory"; return 1; }
  # At block 1 this key held what genesis gave it: 100 ETH, 5,000,000 USDC, nonce 0.
  balance=$("$CAST" balance --rpc-url "$L2" --block 1 "$ME") || return 1
  expect "ether at block 1" "$balance" 100000000000000000000
  tokens=$("$CAST" call --rpc-url "$L2" --block 1 "$USDC" 'balanceOf(address)(uint256)' "$ME" | cut -d' ' -f1) || return 1
  expect "USDC at block 1" "$tokens" 5000000000000
  nonce=$("$CAST" nonce --rpc-url "$L2" --block 1 "$ME") || return 1
  expect "nonce at block 1" "$nonce" 0
  # And now it has sent transactions and paid their fees.
  nonce=$("$CAST" nonce --rpc-url "$L2" "$ME") || return 1
  ((nonce > 0)) || { echo "nonce now: $nonce"; return 1; }
}

check "1 chain-id, block-number over HTTP and WebSocket, a call over the socket" c1
check "2 send --confirmations 2: a token transfer, the ledger's and the token's logs" c2
check "3 send --sync (eth_sendRawTransactionSync)" c3
check "4 logs by numeric range at the token, filtered by the indexed sender" c4
check "5 call and nonce at the block before and at the block" c5
check "6 proof at the block: storageHash is its stateRoot, the value and the leaf" c6
check "7 a used nonce: 'nonce too low'" c7
check "8 an impossible swap: 'execution reverted: InsufficientOutput(…)'" c8
check "9 balance of a dev account equals the ERC-20 balanceOf at 0x7e5d…" c9
check "10 send \$FRESH --value 1ether: cast balance \$FRESH is 1000000000000000000, the sender paid 1 ether + the fee" c10
check "11 send of more ether than the balance, gas limit given: the door's 'insufficient funds'" c11
check "12 send of more ether than the balance, gas estimated by cast: 'insufficient funds'" c12
check "13 swapPath [USDC,WETH,DAI] (the router), then one past its deadline: 'Expired(1, …)'" c13
check "14 supply 10 WETH, borrow 1 WETH, accountHealth, sWETH's balanceOf, 9 more: 'Undercollateralized(…)'" c14
check "15 archive reads: balance, USDC balanceOf and nonce at block 1, past the blocks kept in memory" c15

total=$((passed + ${#failed[@]}))
line="== cast: $passed/$total checks passed in $(ms_since "$started") ms"
if ((${#failed[@]})); then
  line+="; FAILED: $(IFS=';'; echo "${failed[*]}")"
fi
echo "$line"
((${#failed[@]} == 0))
