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

if ! command -v dot >/dev/null; then
  command -v apt-get >/dev/null || { echo "Graphviz is missing: install the graphviz package (it provides dot)" >&2; exit 1; }
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "installing Graphviz (apt-get install graphviz)..." >&2
  $sudo apt-get install -y --no-install-recommends graphviz >/dev/null ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends graphviz >/dev/null; } ||
    { echo "could not install graphviz with apt-get" >&2; exit 1; }
fi

work=".cdk/diagram/$stage"
rm -rf "$work"
mkdir -p "$work" docs/diagrams
cdk synth -q -c stage="$stage" -o "$work/cdk.out"
cdk-dia --tree "$work/cdk.out/tree.json" --target "$work/$stage.png" >/dev/null
# Graphviz warns about labels wider than their icons; the picture is fine.
dot -Tpng -Gdpi="$dpi" "$work/$stage.dot" -o "docs/diagrams/$stage.png" 2> >(grep -v 'size too small for label' >&2)
echo "docs/diagrams/$stage.png"
