# Sourced by test.sh, fuzz.sh and bench.sh: PostgreSQL and Redis on
# loopback. Uses the servers on 127.0.0.1:5432 and 127.0.0.1:6379 when they
# answer, otherwise starts throwaway ones from the installed server binaries
# (on ports 55432 and 56379, in a scratch directory removed on exit), and
# otherwise says what to install.
#
#   services_postgres VAR   sets HASIVU_PG_PORT; VAR is the variable that
#                           would point elsewhere, named in the message
#   services_createdb NAME  creates a database in the throwaway server
#   services_redis VAR      sets HASIVU_REDIS_ADDR
#   services_test_env       exports HASIVU_TEST_DATABASE_URL (database test)
#                           and HASIVU_TEST_REDIS_ADDR for the tests, unless
#                           already set

services_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
services_scratch=$(mktemp -d "/tmp/hasivu-$(basename "$0" .sh).XXXXXX")
services_pgrun=""
services_cleanup() {
  [ -f "$services_scratch/pg/postmaster.pid" ] && $services_pgrun pg_ctl -D "$services_scratch/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$services_scratch/redis.pid" ] && kill "$(cat "$services_scratch/redis.pid")" 2>/dev/null || true
  rm -rf "$services_scratch"
}
trap services_cleanup EXIT

services_postgres() {
  if services_answers 5432; then
    HASIVU_PG_PORT=5432
    return
  fi
  local bindir
  bindir=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -1)" 2>/dev/null || true)
  if [ ! -x "$bindir/initdb" ]; then
    echo "PostgreSQL is not answering on 127.0.0.1:5432 and no server is installed: apt-get install postgresql (or set $1)" >&2
    exit 1
  fi
  export PATH="$bindir:$PATH"
  # initdb refuses to run as root; run the throwaway server as postgres.
  if [ "$(id -u)" = 0 ]; then services_pgrun="runuser -u postgres --"; chown postgres "$services_scratch"; fi
  echo "starting a throwaway PostgreSQL on 127.0.0.1:55432..." >&2
  $services_pgrun initdb -D "$services_scratch/pg" -U postgres -A trust >/dev/null
  $services_pgrun pg_ctl -D "$services_scratch/pg" -o "-p 55432 -k $services_scratch -c listen_addresses=127.0.0.1" -w start >/dev/null
  HASIVU_PG_PORT=55432
}

services_createdb() {
  $services_pgrun createdb -h 127.0.0.1 -p 55432 -U postgres "$1"
}

services_redis() {
  if services_answers 6379; then
    HASIVU_REDIS_ADDR="127.0.0.1:6379"
  elif command -v redis-server >/dev/null; then
    echo "starting a throwaway Redis on 127.0.0.1:56379..." >&2
    redis-server --port 56379 --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
      --pidfile "$services_scratch/redis.pid" --dir "$services_scratch" --logfile "$services_scratch/redis.log"
    for _ in $(seq 50); do services_answers 56379 && break; sleep 0.1; done
    HASIVU_REDIS_ADDR="127.0.0.1:56379"
  else
    echo "Redis is not answering on 127.0.0.1:6379 and redis-server is not installed: apt-get install redis-server (or set $1)" >&2
    exit 1
  fi
}

services_test_env() {
  if [ -z "${HASIVU_TEST_DATABASE_URL:-}" ]; then
    services_postgres HASIVU_TEST_DATABASE_URL
    if [ "$HASIVU_PG_PORT" != 5432 ]; then services_createdb test; fi
    export HASIVU_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$HASIVU_PG_PORT/test?sslmode=disable"
  fi
  if [ -z "${HASIVU_TEST_REDIS_ADDR:-}" ]; then
    services_redis HASIVU_TEST_REDIS_ADDR
    export HASIVU_TEST_REDIS_ADDR="$HASIVU_REDIS_ADDR"
  fi
}
