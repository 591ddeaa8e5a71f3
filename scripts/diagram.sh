#!/usr/bin/env bash
# Renders one stage's (default dev) architecture diagram from the
# synthesised app to docs/diagrams/<stage>.png: cdk-dia (pinned in
# package.json) reads the cloud assembly's construct tree and Graphviz
# lays it out. Installs Graphviz from Debian's packages when `dot` is
# missing.
set -euo pipefail
source "$(dirname "$0")/env.sh"
stage="${1:-dev}"
dpi="${DIAGRAM_DPI:-72}" # cdk-dia renders at 200 dpi: a 12 000-pixel-wide prod picture

"$(dirname "$0")/need.sh" dot graphviz

work=".cdk/diagram/$stage"
rm -rf "$work"
mkdir -p "$work" docs/diagrams
cdk synth -q -c stage="$stage" -o "$work/cdk.out"
cdk-dia --tree "$work/cdk.out/tree.json" --target "$work/$stage.png" >/dev/null
# Graphviz warns about labels wider than their icons; the picture is fine.
dot -Tpng -Gdpi="$dpi" "$work/$stage.dot" -o "docs/diagrams/$stage.png" 2> >(grep -v 'size too small for label' >&2)
echo "docs/diagrams/$stage.png"
