#!/usr/bin/env bash
# Installs the npm packages of the tests from their committed lockfiles (skips when up to date).
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in tests/integration/otel_js; do
  [ -f "$dir/package-lock.json" ] || continue
  stamp="$dir/node_modules/.augur-lock-stamp"
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then continue; fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$stamp"
done
