#!/usr/bin/env bash
# Build, test and package the VS Code extension from a clean install:
#   npm ci → npm run build → npm test → npm run package
# The tests start a real `symphony serve --demo`; SYMPHONY_BIN names the executable
# (default: the repository's .venv, created by scripts/setup when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null 2>&1 || { echo "ci.sh: npm not found (needs Node >= 20.19 with npm)" >&2; exit 1; }
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || { echo "ci.sh: Node $(node --version) is too old: mocha 12 needs >= 20.19" >&2; exit 1; }
if [ -z "${SYMPHONY_BIN:-}" ] && [ ! -x ../../.venv/bin/symphony ]; then
  echo "== symphony venv (../../scripts/setup)"; ../../scripts/setup
fi
echo "== npm ci";       npm ci --prefer-offline --no-audit --no-fund
echo "== build";        npm run build
echo "== test";         npm test
echo "== package";      npm run package
ls -l ./*.vsix
