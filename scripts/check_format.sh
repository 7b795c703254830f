#!/usr/bin/env bash
# Fails when a C++ file differs from .clang-format; with --fix, rewrites them.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- 'src/*.h' 'src/*.cc' 'bench/*.cc' 'bench/*.h' 'tests/*.cc' 'tests/*.h')
[ "${#files[@]}" -eq 0 ] && exit 0
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/augur-format.log; then
  grep -E '^[^ ].*: (error|warning)' /tmp/augur-format.log | cut -d: -f1 | sort -u | sed 's/^/format drift: /'
  echo "run 'make format' to fix" >&2
  exit 1
fi
