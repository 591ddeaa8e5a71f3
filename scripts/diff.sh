#!/usr/bin/env bash
# Shows, offline, what the working tree changes in a stage's templates
# compared with the committed golden templates (stacks/testdata/<stage>/).
set -euo pipefail
source "$(dirname "$0")/env.sh"
stage="${1:-dev}"
[ -d "stacks/testdata/$stage" ] || { echo "no golden templates for stage $stage under stacks/testdata/" >&2; exit 1; }
cdk synth -q -c stage="$stage" >/dev/null
for golden in stacks/testdata/"$stage"/*.template.json; do
  stack=$(basename "$golden" .template.json)
  cdk diff -c stage="$stage" --app cdk.out --exclusively --template "$golden" "$stack"
done
