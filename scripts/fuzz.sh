#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME each (default 1000x:
# a thousand generated inputs), one `go test -fuzz` at a time, against the
# same PostgreSQL and Redis as test.sh (see services.sh). Prints one line
# per target (status, package, target, seconds, executions as go test last
# reported them) and fails if any target fails. go test writes a failing
# input to the package's testdata/fuzz/<Target>/: commit it with the fix,
# as a regression seed. Extra arguments go to `go test` (e.g. -parallel=2).
#
# The budget is a count, not a duration, by default: with a duration, Go
# 1.26's fuzzing coordinator can fail a target that found nothing, with a
# bare "context deadline exceeded", when the -fuzztime deadline races the
# cancellation of its workers (golang/go#75804, fixed in Go 1.27). A count
# has no deadline to race. FUZZTIME=5m still works for a long campaign; a
# failure of that shape is then named as the coordinator's, not a finding.
#
# The first run builds the packages' dependencies with fuzzing
# instrumentation, which takes minutes; later runs reuse the build cache.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source scripts/services.sh
services_test_env

fuzztime=${FUZZTIME:-1000x}
logs=$(mktemp -d "/tmp/hasivu-fuzz.XXXXXX")
trap 'rm -rf "$logs"; services_cleanup' EXIT # replaces services.sh's trap, so calls it

# The packages with a Fuzz function in a test file; `go test -list` then
# names their targets as the test binary sees them.
mapfile -t pkgs < <(grep -rlE --include='*_test.go' --exclude-dir=node_modules --exclude-dir=testdata \
  '^func Fuzz[A-Z0-9_]' . | xargs -n1 dirname | sort -u)
[ ${#pkgs[@]} -gt 0 ] || { echo "no fuzz targets found" >&2; exit 1; }

# explain LOG PKG TARGET says what a failure left behind: the input go test
# saved (and how to replay it), or, for a bare deadline with no input, that
# it is the coordinator's race rather than a finding.
explain() {
  local input
  input=$(sed -n 's/.*Failing input written to \(testdata\/fuzz\/[^ ]*\).*/\1/p' "$1" | tail -1)
  if [ -n "$input" ]; then
    echo "     | input: $2/$input (replay: go test -run='$3/$(basename "$input")' $2)"
    sed 's/^/     |   /' "$2/$input"
  elif grep -q '^    context deadline exceeded$' "$1"; then
    echo "     | no input saved and a bare deadline: Go's fuzzing coordinator ended on its -fuzztime"
    echo "     | deadline (golang/go#75804), not a finding. Counted budgets (FUZZTIME=1000x) cannot hit it."
  fi
}

failed=0 total=0
for pkg in "${pkgs[@]}"; do
  if ! list=$(go test -list '^Fuzz' "$pkg" 2>&1); then
    total=$((total + 1)) failed=$((failed + 1))
    echo "FAIL $pkg: cannot list its fuzz targets"
    tail -30 <<<"$list" | sed 's/^/     | /'
    continue
  fi
  for target in $(grep '^Fuzz' <<<"$list"); do
    total=$((total + 1))
    log="$logs/$total.log"
    start=$SECONDS
    if go test -run='^$' -fuzz="^$target\$" -fuzztime="$fuzztime" "$@" "$pkg" >"$log" 2>&1; then
      status=ok
    else
      status=FAIL failed=$((failed + 1))
    fi
    execs=$(sed -n 's/.*execs: \([0-9]*\).*/\1/p' "$log" | tail -1)
    printf '%-4s %-20s %-24s %4ss %8s execs\n' "$status" "$pkg" "$target" $((SECONDS - start)) "${execs:-0}"
    if [ "$status" = FAIL ]; then
      grep -v '^fuzz: elapsed' "$log" | tail -30 | sed 's/^/     | /'
      explain "$log" "$pkg" "$target"
    fi
  done
done
echo "$total fuzz targets, $failed failed"
[ "$failed" = 0 ]
