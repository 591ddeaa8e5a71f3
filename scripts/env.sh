# Sourced by the scripts in this folder: puts the project's pinned Node.js
# and CDK CLI first on PATH, installing them with `npm ci` when missing or
# older than package-lock.json.
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
if [ ! -x node_modules/.bin/node ] || [ ! -x node_modules/.bin/cdk ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  command -v npm >/dev/null || { echo "npm is missing: install Node.js (any version with npm; the project pins its own Node 24)" >&2; exit 1; }
  echo "installing the pinned CDK CLI and Node.js (npm ci)..." >&2
  npm ci --no-audit --no-fund >&2 || { echo "npm ci failed" >&2; exit 1; }
fi
export PATH="$PWD/node_modules/.bin:$PATH"
export JSII_RUNTIME_PACKAGE_CACHE=enabled
