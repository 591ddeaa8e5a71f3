#!/usr/bin/env bash
# Shows, offline, what the working tree changes in a stage's templates
# compared with the committed golden templates (stacks/testdata/<stage>/):
# one synth, then every stack's `cdk diff --template` at once (the CLI
# compares one stack with one template per run, and each run is mostly the
# CLI starting), printed one stack after the other in the order of their
# names, as a sequential run would print them. A stack without a golden
# template (a stage or a stack that is new) is compared with an empty
# template, so everything in it shows as added; a golden template whose
# stack is no longer synthesised is reported as removed.
set -euo pipefail
source "$(dirname "$0")/env.sh"
stage="${1:-dev}"
golden_dir="stacks/testdata/$stage"
cdk synth -q -c stage="$stage" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo '{}' >"$work/empty.template.json"
[ -d "$golden_dir" ] ||
  echo "no golden templates for stage $stage under stacks/testdata/: every stack is shown as added" >&2

# The synthesised stacks (from the cloud assembly's manifest) and the
# golden ones, each once, in order.
mapfile -t stacks < <({
  node -e 'const m = require(process.argv[1]);
    for (const [id, a] of Object.entries(m.artifacts ?? {})) if (a.type === "aws:cloudformation:stack") console.log(id);' \
    "$PWD/cdk.out/manifest.json"
  for golden in "$golden_dir"/*.template.json; do
    if [ -e "$golden" ]; then basename "$golden" .template.json; fi
  done
} | LC_ALL=C sort -u)

for i in "${!stacks[@]}"; do
  stack=${stacks[$i]}
  golden="$golden_dir/$stack.template.json"
  if [ ! -e "cdk.out/$stack.template.json" ]; then
    printf 'Stack %s\nremoved: %s has no synthesised stack\n\n' "$stack" "$golden" >"$work/$i.err"
    : >"$work/$i.out"
    echo 0 >"$work/$i.rc"
    continue
  fi
  [ -e "$golden" ] || golden="$work/empty.template.json"
  {
    rc=0
    cdk diff -c stage="$stage" --app cdk.out --exclusively --template "$golden" "$stack" \
      >"$work/$i.out" 2>"$work/$i.err" || rc=$?
    echo "$rc" >"$work/$i.rc"
  } &
done
wait

status=0
for i in "${!stacks[@]}"; do
  cat "$work/$i.out"
  cat "$work/$i.err" >&2
  rc=$(cat "$work/$i.rc")
  [ "$rc" = 0 ] || [ "$status" != 0 ] || status=$rc
done
exit "$status"
