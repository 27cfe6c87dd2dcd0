# Sourced by the scripts that drive a release devnet in the background
# (reorg-under-load.sh, liquidation-walkthrough.sh): `start_devnet DIR L2_PORT L1_PORT [ARGS…]`
# starts `$BIN devnet` with its data and log in DIR and waits until it serves; on exit the
# devnet (and a load whose pid is in `load`) is stopped and DIR named.
load=
devnet=
cleanup() {
  [ -n "$load" ] && kill "$load" 2>/dev/null || true
  [ -n "$devnet" ] && kill -TERM "$devnet" 2>/dev/null || true
  [ -n "$devnet" ] && wait "$devnet" 2>/dev/null || true
  echo "devnet data and log in $dir"
}

start_devnet() {
  dir=$1
  local l2=$2 l1=$3
  shift 3
  setsid "$BIN" devnet --data-dir "$dir/devnet" --http.addr "127.0.0.1:$l2" --l1.port "$l1" "$@" \
    >"$dir/banner" 2>"$dir/devnet.log" &
  devnet=$!
  trap cleanup EXIT
  for _ in $(seq 1 600); do
    curl -fs "http://127.0.0.1:$l2/readyz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fs "http://127.0.0.1:$l2/readyz" >/dev/null || { echo "the devnet did not become ready"; exit 1; }
}
