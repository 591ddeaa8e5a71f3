#!/usr/bin/env bash
# Synthesises one stage (default dev) into cdk.out, offline.
set -euo pipefail
source "$(dirname "$0")/env.sh"
exec cdk synth -q -c stage="${1:-dev}"
