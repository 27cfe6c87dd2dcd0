#!/usr/bin/env bash
# Finds or provides the PostgreSQL the tests use, and prints its URL on stdout (nothing when
# there is none); everything else goes to stderr.
#
# 1. ROLLUP_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test (CI's server),
#    if a query succeeds there;
# 2. otherwise the machine's own cluster, started if it is installed but stopped;
# 3. otherwise a private server for the tests: PostgreSQL from Debian's packages
#    (`apt-get install postgresql`, when it is missing and this runs as root), a data
#    directory of its own with trust authentication on 127.0.0.1:55432, started once and
#    reused by later runs;
# 4. otherwise it says plainly which tests will be skipped.
set -uo pipefail
url="${ROLLUP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
private_port=55432
private_url="postgres://postgres@127.0.0.1:$private_port/test"
private_dir="${ROLLUP_TEST_POSTGRES_DIR:-/var/tmp/rollup-test-postgres}"
skipped="sequencer: ingest::*_on_postgres, ingest::postgres_serves_the_same_chain_as_sqlite"

say() { echo "PostgreSQL: $*" >&2; }

works() {
  command -v psql >/dev/null && psql "$1" -qtAc 'SELECT 1' >/dev/null 2>&1
}

found() {
  say "$1 answers; the PostgreSQL tests run against it."
  echo "$1"
  exit 0
}

works "$url" && found "$url"
works "$private_url" && found "$private_url"

if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  if ! pg_lsclusters 2>/dev/null | grep -q online; then
    say "starting the local cluster $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 2>&1 || true
    for _ in $(seq 1 20); do
      works "$url" && found "$url"
      sleep 0.5
    done
  fi
fi

bin_dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin_dir" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  say "not installed; installing Debian's postgresql package"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1; } \
    || say "apt-get install postgresql failed"
  bin_dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
fi

if [ -n "$bin_dir" ]; then
  # PostgreSQL refuses to run as root: the private server runs as the `postgres` user.
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  if [ ! -f "$private_dir/PG_VERSION" ]; then
    say "creating a private test server in $private_dir (trust authentication, 127.0.0.1:$private_port)"
    mkdir -p "$private_dir" && { [ "$(id -u)" != 0 ] || chown postgres: "$private_dir"; }
    as_pg "$bin_dir/initdb" -D "$private_dir" -U postgres --auth=trust >/dev/null 2>&1 \
      || say "initdb failed in $private_dir"
  fi
  if [ -f "$private_dir/PG_VERSION" ]; then
    as_pg "$bin_dir/pg_ctl" -D "$private_dir" -l "$private_dir/server.log" -w \
      -o "-p $private_port -c listen_addresses=127.0.0.1 -k $private_dir" start >/dev/null 2>&1 || true
    as_pg "$bin_dir/createdb" -h 127.0.0.1 -p "$private_port" -U postgres test >/dev/null 2>&1 || true
    works "$private_url" && found "$private_url"
    say "the private server in $private_dir did not start (see $private_dir/server.log)"
  fi
fi

say "NONE at $url."
say "  These tests will print SKIPPED and not run: $skipped."
say "  Install one (apt-get install postgresql) or set ROLLUP_TEST_POSTGRES_URL; ROLLUP_REQUIRE_POSTGRES=1 makes them fail instead."
exit 0
