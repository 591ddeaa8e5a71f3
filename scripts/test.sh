#!/usr/bin/env bash
# Runs every test: go vet, gofmt and actionlint (the delivery workflows), the config
# loader, the stacks synthesised for every stage, the Lambda code against
# real PostgreSQL and Redis; then every fuzz target
# for a thousand inputs (fuzz.sh). Uses the servers on
# loopback when they answer (127.0.0.1:5432, database test; 127.0.0.1:6379),
# otherwise starts throwaway ones from the installed server binaries, and
# otherwise says what to install (see services.sh). Extra arguments go to
# `go test`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source scripts/services.sh
services_test_env

go vet ./...
unformatted=$(git ls-files -z '*.go' | xargs -0 gofmt -l)
[ -z "$unformatted" ] || { echo "not gofmt-formatted (run gofmt -w):" >&2; echo "$unformatted" >&2; exit 1; }
scripts/actionlint.sh
go test "$@" ./...
# Then every fuzz target for a thousand inputs (FUZZTIME, default 1000x).
scripts/fuzz.sh
