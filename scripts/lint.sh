#!/usr/bin/env bash
# `make lint`: clang-tidy (.clang-tidy: Google naming as in STYLE.md, bugprone, performance) over
# Augur's own sources, using the build's compile_commands.json. Fails on naming violations.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BUILD:-build}
[ -f "$B/compile_commands.json" ] || { echo "run 'make build' first" >&2; exit 1; }
mapfile -t files < <(git ls-files 'src/*.cc' | grep -v '_fuzz.cc$')
runner=$(command -v run-clang-tidy-14 || command -v run-clang-tidy || true)
if [ -n "$runner" ]; then
  "$runner" -quiet -p "$B" -j "${JOBS:-2}" "${files[@]}"
else
  status=0
  for f in "${files[@]}"; do clang-tidy -quiet -p "$B" "$f" || status=1; done
  exit $status
fi
