#!/usr/bin/env bash
# Runs the benchmark harness (bench/) against PostgreSQL and Redis on
# loopback: the servers on 127.0.0.1:5432 and 127.0.0.1:6379 when they
# answer, otherwise throwaway ones (see services.sh). HASIVU_BENCH_POSTGRES_URL
# (a database to connect to for administration) and HASIVU_BENCH_REDIS_ADDR
# point it elsewhere. Extra arguments go to the bench command, e.g. -quick.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source scripts/services.sh

if [ -z "${HASIVU_BENCH_POSTGRES_URL:-}" ]; then
  services_postgres HASIVU_BENCH_POSTGRES_URL
  HASIVU_BENCH_POSTGRES_URL="postgres://postgres@127.0.0.1:$HASIVU_PG_PORT/postgres?sslmode=disable"
fi
if [ -z "${HASIVU_BENCH_REDIS_ADDR:-}" ]; then
  services_redis HASIVU_BENCH_REDIS_ADDR
  HASIVU_BENCH_REDIS_ADDR="$HASIVU_REDIS_ADDR"
fi

go build -o "$services_scratch/bench" ./bench
# Not exec: the services started above stop when this script ends.
"$services_scratch/bench" -postgres "$HASIVU_BENCH_POSTGRES_URL" -redis "$HASIVU_BENCH_REDIS_ADDR" "$@"
