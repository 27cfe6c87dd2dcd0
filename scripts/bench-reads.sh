#!/usr/bin/env bash
# The read path side by side with anvil (issue 55, BENCHMARKS.md "Reads against anvil"):
# requests per second that wrk gets from five JSON-RPC reads, 32 connections, against a fresh
# anvil and a fresh `rollup sequencer` on this machine, each holding the same 100 blocks of
# one ERC-20 transfer each, neither under write load while it is measured.
#
#   scripts/bench-reads.sh [SECONDS_PER_RUN] [ROUNDS]
#
# Each read runs ROUNDS times on each node, alternating (anvil, rollup, rollup, anvil, …), and
# the median is reported with the ratio rollup / anvil. Needs a release build of `rollup`
# ($BIN, default target/release/rollup under $CARGO_TARGET_DIR), the pinned anvil and cast in
# .tools/bin (`make tools`), and wrk (installed from Debian when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-3}
tools=$PWD/.tools/bin
target=${CARGO_TARGET_DIR:-$PWD/target}
BIN=${BIN:-$target/release/rollup}
[ -x "$BIN" ] || { echo "no release build at $BIN (cargo build --release --locked -p rollup)"; exit 1; }
[ -x "$tools/anvil" ] && [ -x "$tools/cast" ] || make tools >/dev/null
if ! command -v wrk >/dev/null; then
  echo "installing wrk from Debian"
  (apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y wrk >/dev/null)) ||
    { echo "wrk is missing and could not be installed"; exit 1; }
fi

dir=$(mktemp -d /tmp/bench-reads.XXXXXX)
l1=18645
l2=18647
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "logs in $dir"
}
trap cleanup EXIT

"$tools/anvil" --port "$l1" --silent >"$dir/anvil.log" 2>&1 &
pids+=($!)
"$BIN" sequencer --db.url "sqlite://$dir/seq.sqlite" --http.addr "127.0.0.1:$l2" --block.time-ms 100 \
  --block.empty-ms 0 >"$dir/sequencer.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do
  curl -fs "http://127.0.0.1:$l2/readyz" >/dev/null 2>&1 && "$tools/cast" block-number -r "http://127.0.0.1:$l1" >/dev/null 2>&1 && break
  sleep 0.2
done

# anvil's and the devnet's first account (the same key on both chains).
key=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
me=$("$tools/cast" wallet address "$key")
to=0x00000000000000000000000000000000000000b0
anvil_rpc="http://127.0.0.1:$l1"
rollup_rpc="http://127.0.0.1:$l2"

# anvil: the project's ERC-20 test token, minted to the first account.
code=$(python3 -c 'import json,sys; print(json.load(open("contracts/artifacts/TestToken.json"))["bytecode"]["object"])')
anvil_token=$("$tools/cast" send --json -r "$anvil_rpc" --private-key "$key" --create "$code" \
  "constructor(string,string,uint8)" Test TT 18 | python3 -c 'import json,sys; print(json.load(sys.stdin)["contractAddress"])')
"$tools/cast" send -r "$anvil_rpc" --private-key "$key" "$anvil_token" "mint(address,uint256)" "$me" 1000000 >/dev/null
# The rollup: its USDC (genesis funds the dev accounts; rollup_types::genesis::USDC).
rollup_token=0x7000000000000000000000000000000000000002

echo "sending 100 transfers to each node, one block each"
for _ in $(seq 1 100); do
  anvil_tx=$("$tools/cast" send --json -r "$anvil_rpc" --private-key "$key" "$anvil_token" "transfer(address,uint256)" "$to" 1 |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["transactionHash"])')
  rollup_tx=$("$tools/cast" send --json -r "$rollup_rpc" --private-key "$key" "$rollup_token" "transfer(address,uint256)" "$to" 1 |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["transactionHash"])')
done

# The last 100 blocks of each, by number.
range() {
  local head
  head=$("$tools/cast" block-number -r "$1")
  echo "\"fromBlock\":\"$(printf '0x%x' $((head - 99)))\",\"toBlock\":\"$(printf '0x%x' "$head")\""
}
balance_of=0x70a08231000000000000000000000000${to#0x}
bodies() { # NODE TOKEN TX RPC
  local r
  r=$(range "$4")
  cat <<EOF
eth_blockNumber|{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}
eth_getBalance|{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["$me","latest"]}
eth_call balanceOf|{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"$2","data":"$balance_of"},"latest"]}
eth_getTransactionReceipt|{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionReceipt","params":["$3"]}
eth_getLogs (100 blocks)|{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{$r}]}
EOF
}
cat >"$dir/post.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BODY")
EOF
# The same load, counting the answers that are not a result (an error, a refusal): run apart
# from the timed runs, whose client would otherwise spend its time reading bodies.
cat >"$dir/check.lua" <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BODY")
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"result"', 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("bad") end
  io.write(string.format("Bad-answers: %d of %d\n", n, summary.requests))
end
EOF
bodies anvil "$anvil_token" "$anvil_tx" "$anvil_rpc" >"$dir/anvil.bodies"
bodies rollup "$rollup_token" "$rollup_tx" "$rollup_rpc" >"$dir/rollup.bodies"

# Checks that both answer each read with a result before anything is timed.
while IFS='|' read -r name body; do
  for url in "$anvil_rpc" "$rollup_rpc"; do
    body_for=$(grep -F "$name|" "$dir/$([ "$url" = "$anvil_rpc" ] && echo anvil || echo rollup).bodies" | cut -d'|' -f2-)
    curl -fs -H 'content-type: application/json' -d "$body_for" "$url" | grep -q '"result"' ||
      { echo "$url does not answer $name: $(curl -s -H 'content-type: application/json' -d "$body_for" "$url")"; exit 1; }
  done
done <"$dir/anvil.bodies"

rps() { # URL BODY
  BODY=$2 wrk -t2 -c32 -d"${secs}s" -s "$dir/post.lua" "$1" 2>/dev/null | awk '/Requests\/sec/ {print $2}'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
bad() { # URL BODY: how many answers of a 3 s run are not a result
  BODY=$2 wrk -t2 -c32 -d3s -s "$dir/check.lua" "$1" 2>/dev/null | awk '/Bad-answers/ {print $2 " of " $4}'
}

printf '\n| read | anvil (req/s) | rollup (req/s) | rollup / anvil | answers not a result (anvil, rollup) |\n| --- | ---: | ---: | ---: | --- |\n'
while IFS='|' read -r name anvil_body; do
  rollup_body=$(grep -F "$name|" "$dir/rollup.bodies" | cut -d'|' -f2-)
  : >"$dir/a" && : >"$dir/r"
  for i in $(seq 1 "$rounds"); do
    if [ $((i % 2)) -eq 1 ]; then
      rps "$anvil_rpc" "$anvil_body" >>"$dir/a"; rps "$rollup_rpc" "$rollup_body" >>"$dir/r"
    else
      rps "$rollup_rpc" "$rollup_body" >>"$dir/r"; rps "$anvil_rpc" "$anvil_body" >>"$dir/a"
    fi
  done
  a=$(median <"$dir/a"); r=$(median <"$dir/r")
  bad_a=$(bad "$anvil_rpc" "$anvil_body"); bad_r=$(bad "$rollup_rpc" "$rollup_body")
  printf '| %s | %.0f | %.0f | %.2f× | %s, %s |\n' "$name" "$a" "$r" "$(python3 -c "print($r / $a)")" "$bad_a" "$bad_r"
done <"$dir/anvil.bodies"
