#!/usr/bin/env bash
# Runs every test: the config loader, the stacks synthesised for every stage,
# the Lambda code against real PostgreSQL and Redis. Uses the servers on
# loopback when they answer (127.0.0.1:5432, database test; 127.0.0.1:6379),
# otherwise starts throwaway ones from the installed server binaries, and
# otherwise says what to install. Extra arguments go to `go test`.
set -euo pipefail
source "$(dirname "$0")/env.sh"

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
scratch=$(mktemp -d /tmp/hasivu-test.XXXXXX)
cleanup() {
  [ -f "$scratch/pg/postmaster.pid" ] && $pgrun pg_ctl -D "$scratch/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$scratch/redis.pid" ] && kill "$(cat "$scratch/redis.pid")" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
pgrun=""

if [ -z "${HASIVU_TEST_DATABASE_URL:-}" ]; then
  if answers 5432; then
    export HASIVU_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
  else
    bindir=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -1)" 2>/dev/null || true)
    if [ ! -x "$bindir/initdb" ]; then
      echo "PostgreSQL is not answering on 127.0.0.1:5432 and no server is installed: apt-get install postgresql (or set HASIVU_TEST_DATABASE_URL)" >&2
      exit 1
    fi
    export PATH="$bindir:$PATH"
    # initdb refuses to run as root; run the throwaway server as postgres.
    if [ "$(id -u)" = 0 ]; then pgrun="runuser -u postgres --"; chown postgres "$scratch"; fi
    echo "starting a throwaway PostgreSQL on 127.0.0.1:55432..." >&2
    $pgrun initdb -D "$scratch/pg" -U postgres -A trust >/dev/null
    $pgrun pg_ctl -D "$scratch/pg" -o "-p 55432 -k $scratch -c listen_addresses=127.0.0.1" -w start >/dev/null
    $pgrun createdb -h 127.0.0.1 -p 55432 -U postgres test
    export HASIVU_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:55432/test?sslmode=disable"
  fi
fi

if [ -z "${HASIVU_TEST_REDIS_ADDR:-}" ]; then
  if answers 6379; then
    export HASIVU_TEST_REDIS_ADDR="127.0.0.1:6379"
  elif command -v redis-server >/dev/null; then
    echo "starting a throwaway Redis on 127.0.0.1:56379..." >&2
    redis-server --port 56379 --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
      --pidfile "$scratch/redis.pid" --dir "$scratch" --logfile "$scratch/redis.log"
    for _ in $(seq 50); do answers 56379 && break; sleep 0.1; done
    export HASIVU_TEST_REDIS_ADDR="127.0.0.1:56379"
  else
    echo "Redis is not answering on 127.0.0.1:6379 and redis-server is not installed: apt-get install redis-server (or set HASIVU_TEST_REDIS_ADDR)" >&2
    exit 1
  fi
fi

go vet ./...
go test "$@" ./...
