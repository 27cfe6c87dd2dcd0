#!/usr/bin/env bash
# Finds the PostgreSQL the tests use (ROLLUP_TEST_POSTGRES_URL, default
# postgres://postgres@127.0.0.1:5432/test), starts the machine's own cluster if it is
# installed but stopped, and says plainly which tests will not run when there is none.
set -uo pipefail
url="${ROLLUP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
skipped="sequencer: ingest::restarts_resume_from_the_newest_snapshot_on_postgres, ingest::postgres_serves_the_same_chain_as_sqlite; rollup-db: postgres store tests"

answers() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -d "$url" 2>/dev/null
  else
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
  fi
}

if answers; then
  echo "PostgreSQL: $url answers; the PostgreSQL tests run."
  exit 0
fi
if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -1)
  echo "PostgreSQL: not answering; starting the local cluster $version/main"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>&1 | sed 's/^/  /' || true
  for _ in $(seq 1 20); do
    answers && { echo "PostgreSQL: $url answers; the PostgreSQL tests run."; exit 0; }
    sleep 0.5
  done
fi
echo "PostgreSQL: NONE at $url."
echo "  These tests will print SKIPPED and not run: $skipped."
echo "  Install one (apt-get install postgresql) or set ROLLUP_TEST_POSTGRES_URL; ROLLUP_REQUIRE_POSTGRES=1 makes them fail instead."
exit 0
