#!/usr/bin/env bash
# Runs every test: go vet and actionlint (the delivery workflows), the config
# loader, the stacks synthesised for every stage, the Lambda code against
# real PostgreSQL and Redis; then every fuzz target
# for a few seconds (fuzz.sh). Uses the servers on
# loopback when they answer (127.0.0.1:5432, database test; 127.0.0.1:6379),
# otherwise starts throwaway ones from the installed server binaries, and
# otherwise says what to install (see services.sh). Extra arguments go to
# `go test`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source scripts/services.sh
services_test_env

go vet ./...
scripts/actionlint.sh
go test "$@" ./...
# Then every fuzz target for a few seconds (FUZZTIME, default 3s).
scripts/fuzz.sh
