#!/usr/bin/env bash
# The Ethereum clients users point at this chain, against one fresh devnet: viem and ethers
# (pinned in package-lock.json), web3.py (pinned in python/requirements.txt, installed in
# clients/.venv), cast (the pinned foundry package in .tools), and the explorer page in
# headless Chromium (Debian's package, installed when missing; playwright-core pinned). Exits non-zero, naming
# them, if any client fails. The clients get the devnet's coordinates in ROLLUP_RPC_URL,
# ROLLUP_REST_URL, ROLLUP_CHAIN_ID, ROLLUP_L1_RPC_URL (its anvil) and ROLLUP_BRIDGE (the L1
# bridge).
#
#   ROLLUP_BIN            the rollup binary (default: the debug build in $CARGO_TARGET_DIR,
#                         else ~/.cache/optimistic-rollup/target)
#   ROLLUP_TOOLS_BIN      where anvil is (default: .tools/bin, `make tools` fills it)
#   ROLLUP_DEVNET_ARGS    more `rollup devnet` options
#   CLIENTS               which clients to run (default: "viem ethers web3 cast explorer
#                         conformance"; conformance checks every method of the execution-apis
#                         specification in clients/execution-apis against its schema)
#   CHROMIUM_BIN          the Chromium the explorer check drives (default: chromium on PATH)
#   EXPLORER_SCREENSHOT   where it saves its screenshot (default: $TMPDIR/rollup-explorer.png)
#   KEEP_DEVNET_DIR=1     keep the devnet's data directory and log after a success too
#   DEBUG_RPC=1           ethers.test.mjs prints every JSON-RPC request and answer

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
ROLLUP_BIN=${ROLLUP_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/optimistic-rollup/target}/debug/rollup}
export ROLLUP_TOOLS_BIN=${ROLLUP_TOOLS_BIN:-$root/.tools/bin}
CLIENTS=${CLIENTS:-viem ethers web3 cast explorer conformance}
READY_TIMEOUT_S=${READY_TIMEOUT_S:-180}
# Blocks whose states the devnet keeps in memory: few, so that reads at older blocks (the
# archive, cast check 15) come within the clients' run.
export STATE_HISTORY=32
CLIENT_TIMEOUT_S=${CLIENT_TIMEOUT_S:-90}

log() { printf '[clients] %s\n' "$*"; }
die() { printf '[clients] %s\n' "$*" >&2; exit 1; }

[[ -x $ROLLUP_BIN ]] || die "no rollup binary at $ROLLUP_BIN: run 'cargo build -p rollup' or set ROLLUP_BIN"
[[ -x $ROLLUP_TOOLS_BIN/anvil ]] || die "no anvil in $ROLLUP_TOOLS_BIN: run 'make tools' or set ROLLUP_TOOLS_BIN"
command -v node >/dev/null || die "node (20+) is required"
command -v python3 >/dev/null || die "python3 (3.10+) is required"
command -v curl >/dev/null || die "curl is required"

# --- the pinned clients, installed when missing or when their pins changed -----------------
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.installed-package-lock.json" 2>/dev/null; then
  log "installing viem and ethers (npm ci)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$here/node_modules/.installed-package-lock.json"
fi
venv=$here/.venv
if ! cmp -s "$here/python/requirements.txt" "$venv/.installed-requirements.txt" 2>/dev/null; then
  log "installing web3.py into $venv"
  [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/python/requirements.txt"
  cp "$here/python/requirements.txt" "$venv/.installed-requirements.txt"
fi

# Headless Chromium for the explorer page, Debian's package (playwright-core drives it).
if [[ " $CLIENTS " == *" explorer "* ]]; then
  export CHROMIUM_BIN=${CHROMIUM_BIN:-$(command -v chromium || true)}
  if [[ -z $CHROMIUM_BIN ]]; then
    log "installing Debian's chromium for the explorer check"
    sudo=
    ((EUID == 0)) || sudo=sudo
    command -v apt-get >/dev/null || die "no chromium and no apt-get: install Chromium and set CHROMIUM_BIN"
    $sudo apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 ||
      { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends chromium >/dev/null; } ||
      die "could not install chromium: install it (Debian: apt-get install chromium) or set CHROMIUM_BIN"
    CHROMIUM_BIN=$(command -v chromium) || die "chromium installed but not on PATH"
  fi
fi

# --- one devnet -----------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/rollup-clients.XXXXXX")
devnet_log=$work/devnet.log
banner=$work/banner.txt
devnet_pid=
status=1

alive() { kill -0 "$1" 2>/dev/null; }
stop_devnet() {
  [[ -n $devnet_pid ]] || return 0
  # The devnet's children (anvil runs in a process group of its own), to stop them
  # ourselves if the devnet does not: a devnet stopped before it has started up leaves its
  # anvil running.
  local children
  children=$(pgrep -P "$devnet_pid" 2>/dev/null || true)
  if alive "$devnet_pid"; then
    # SIGTERM stops the devnet as Ctrl-C does (anvil included), and unlike SIGINT it is not
    # ignored when this script runs in the background.
    kill -TERM "$devnet_pid" 2>/dev/null || true
    for _ in $(seq 1 200); do alive "$devnet_pid" || break; sleep 0.1; done
    if alive "$devnet_pid"; then
      log "the devnet did not stop within 20 s: killing its process group"
      kill -KILL -- "-$devnet_pid" 2>/dev/null || true
    fi
  fi
  wait "$devnet_pid" 2>/dev/null || true
  for child in $children; do
    alive "$child" || continue
    log "stopping process $child the devnet left behind"
    kill -TERM "$child" 2>/dev/null || true
    for _ in $(seq 1 50); do alive "$child" || break; sleep 0.1; done
    kill -KILL "$child" 2>/dev/null || true
  done
  devnet_pid=
}
on_exit() {
  stop_devnet
  if [[ $status -eq 0 && -z ${KEEP_DEVNET_DIR:-} ]]; then
    rm -rf "$work"
  else
    log "devnet data and log kept in $work"
  fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "starting a devnet ($ROLLUP_BIN) in $work"
# setsid: the devnet leads a process group of its own (see stop_devnet). Port 0: the sequencer
# binds a free port and keeps it, anvil takes a free one (another if it was taken first); the
# banner says which.
# shellcheck disable=SC2086
setsid "$ROLLUP_BIN" devnet \
  --data-dir "$work/devnet" \
  --http.addr "127.0.0.1:0" \
  --l1.port 0 \
  --block.time-ms 200 \
  --block.empty-ms 500 \
  --state.history "$STATE_HISTORY" \
  ${ROLLUP_DEVNET_ARGS:-} >"$banner" 2>"$devnet_log" &
devnet_pid=$!

# The banner is printed once everything runs: the L2 URL and chain id come from it.
t0=$(date +%s)
until_ready() {
  if ! kill -0 "$devnet_pid" 2>/dev/null; then
    tail -n 40 "$devnet_log" >&2
    die "the devnet exited before it was ready"
  fi
  if (($(date +%s) - t0 > READY_TIMEOUT_S)); then
    tail -n 40 "$devnet_log" >&2
    die "the devnet was not ready within ${READY_TIMEOUT_S} s"
  fi
  sleep 0.5
}
until grep -q 'L2 JSON-RPC' "$banner"; do until_ready; done
l2_line=$(grep -m1 'L2 JSON-RPC' "$banner")
rpc_url=$(grep -oE 'https?://[^ ]+' <<<"$l2_line" | head -1)
chain_id=$(grep -oE 'chain id [0-9]+' <<<"$l2_line" | grep -oE '[0-9]+')
[[ -n $rpc_url && -n $chain_id ]] || die "could not read the URL and chain id from: $l2_line"
until curl -fsS -m 2 "${rpc_url%/}/readyz" >/dev/null 2>&1; do until_ready; done
log "devnet ready in $(($(date +%s) - t0)) s: $l2_line"

# The L1 (the devnet's own anvil) from the banner's 'L1 (anvil)' line, and the L1 bridge as a
# dapp finds it, in GET /v1/status (l1.settlement.bridge): the deposit checks send to them.
l1_line=$(grep -m1 'L1 (anvil)' "$banner") || die "no 'L1 (anvil)' line in the devnet's banner: $(cat "$banner")"
l1_rpc_url=$(grep -oE 'https?://[^ ]+' <<<"$l1_line" | head -1)
[[ -n $l1_rpc_url ]] || die "could not read the L1 URL from: $l1_line"
status_json=$(curl -fsS "${rpc_url%/}/v1/status") || die "GET /v1/status failed"
bridge=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["l1"]["settlement"]["bridge"])' <<<"$status_json" 2>/dev/null) ||
  die "no l1.settlement.bridge in GET /v1/status: $status_json"
[[ $bridge =~ ^0x[0-9a-fA-F]{40}$ ]] || die "not an address for the bridge in GET /v1/status: $bridge"
log "L1 $l1_rpc_url, L1 bridge $bridge"

export ROLLUP_RPC_URL=$rpc_url ROLLUP_REST_URL=$rpc_url ROLLUP_CHAIN_ID=$chain_id
export ROLLUP_L1_RPC_URL=$l1_rpc_url ROLLUP_BRIDGE=$bridge

# --- the clients, one after the other -------------------------------------------------------
failed=()
summary=()
for client in $CLIENTS; do
  case $client in
    viem) cmd=(node "$here/viem.test.mjs") ;;
    ethers) cmd=(node "$here/ethers.test.mjs") ;;
    web3) cmd=("$venv/bin/python" "$here/python/test_web3.py") ;;
    cast) cmd=(bash "$here/cast.test.sh") ;;
    explorer) cmd=(node "$here/explorer.test.mjs") ;;
    conformance) cmd=("$venv/bin/python" "$here/python/conformance.py") ;;
    *) die "unknown client $client (viem, ethers, web3, cast, explorer or conformance)" ;;
  esac
  start=$(date +%s%N)
  if timeout -k 5 "$CLIENT_TIMEOUT_S" "${cmd[@]}"; then rc=0; else rc=$?; fi
  secs=$(awk -v ns=$(($(date +%s%N) - start)) 'BEGIN { printf "%.1f", ns / 1e9 }')
  if ((rc == 0)); then
    summary+=("  pass  $client  ${secs} s")
  else
    [[ $rc == 124 ]] && echo "[clients] $client was killed after ${CLIENT_TIMEOUT_S} s" >&2
    summary+=("  FAIL  $client  ${secs} s (exit $rc)")
    failed+=("$client")
  fi
  if ! kill -0 "$devnet_pid" 2>/dev/null; then
    tail -n 40 "$devnet_log" >&2
    summary+=("  the devnet exited during $client")
    failed+=("devnet")
    break
  fi
done

log "summary:"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  grep -E ' (ERROR|WARN) ' "$devnet_log" | tail -n 20 >&2 || true
  log "FAILED: ${failed[*]}"
  exit 1
fi
status=0
log "all clients passed"
