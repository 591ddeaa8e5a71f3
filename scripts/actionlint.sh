#!/usr/bin/env bash
# Lints the GitHub Actions workflows with actionlint (a Go tool dependency)
# and, through it, the shell of their run: steps with ShellCheck, which
# need.sh installs from Debian's packages when it is missing: without it
# actionlint silently skips the shell.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/need.sh shellcheck shellcheck
go tool actionlint -shellcheck "$(command -v shellcheck)" .github/workflows/*.yml
