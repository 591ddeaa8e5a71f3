#!/usr/bin/env bash
# Runs every test: the config loader, the stacks synthesised for every stage,
# the Lambda code against real PostgreSQL and Redis. Uses the servers on
# loopback when they answer (127.0.0.1:5432, database test; 127.0.0.1:6379),
# otherwise starts throwaway ones from the installed server binaries, and
# otherwise says what to install (see services.sh). Extra arguments go to
# `go test`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source scripts/services.sh

if [ -z "${HASIVU_TEST_DATABASE_URL:-}" ]; then
  services_postgres HASIVU_TEST_DATABASE_URL
  if [ "$HASIVU_PG_PORT" != 5432 ]; then services_createdb test; fi
  export HASIVU_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$HASIVU_PG_PORT/test?sslmode=disable"
fi

if [ -z "${HASIVU_TEST_REDIS_ADDR:-}" ]; then
  services_redis HASIVU_TEST_REDIS_ADDR
  export HASIVU_TEST_REDIS_ADDR="$HASIVU_REDIS_ADDR"
fi

go vet ./...
go test "$@" ./...
