#!/usr/bin/env bash
# Builds every libFuzzer target (src/*/*_fuzz.cc; the target is named after the file) with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer in build-fuzz/, then runs each for RUNS inputs
# (default 20000) starting from its seed corpus testdata/fuzz/<target>/, with the dictionary
# testdata/fuzz/<target>.dict when there is one. Fails on the first crash, leak, timeout or
# sanitizer report; the input that caused it is left in build-fuzz/artifacts/ and belongs in the
# seed corpus once fixed. New inputs found while fuzzing go to a scratch directory, so the
# checked-in corpus stays small.
#
#   scripts/fuzz.sh [RUNS]
set -euo pipefail

RUNS="${1:-20000}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${ROOT}/build-fuzz"
JOBS="${JOBS:-2}"

mapfile -t TARGETS < <(cd "${ROOT}/src" && ls -1 */*_fuzz.cc | xargs -n1 basename | sed 's/\.cc$//' | sort)
if [ "${#TARGETS[@]}" -eq 0 ]; then
  echo "fuzz: no *_fuzz.cc targets found" >&2
  exit 1
fi

CC=clang CXX=clang++ cmake -S "${ROOT}" -B "${BUILD}" -G Ninja \
  -DAUGUR_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "${BUILD}" -j"${JOBS}" "${TARGETS[@]}"

mkdir -p "${BUILD}/artifacts" "${BUILD}/logs"
for target in "${TARGETS[@]}"; do
  binary="$(find "${BUILD}/src" -type f -name "${target}" -perm -u+x | head -n1)"
  seeds="${ROOT}/testdata/fuzz/${target}"
  scratch="${BUILD}/scratch/${target}"
  log="${BUILD}/logs/${target}.log"
  mkdir -p "${seeds}"
  rm -rf "${scratch}" && mkdir -p "${scratch}"
  dict=()
  if [ -f "${seeds}.dict" ]; then dict=(-dict="${seeds}.dict"); fi
  echo "fuzz: ${target}: ${RUNS} runs from $(ls -1 "${seeds}" | wc -l) seeds"
  if ! "${binary}" -runs="${RUNS}" -max_len=16384 -timeout=10 -rss_limit_mb=2048 "${dict[@]}" \
      -print_final_stats=1 -artifact_prefix="${BUILD}/artifacts/${target}-" \
      "${scratch}" "${seeds}" >"${log}" 2>&1; then
    tail -n 40 "${log}" >&2
    echo "fuzz: ${target} FAILED; the input is in ${BUILD}/artifacts/, the log in ${log}" >&2
    exit 1
  fi
  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added)' "${log}" |
    sed 's/^/  /'
done
echo "fuzz: all ${#TARGETS[@]} targets ran ${RUNS} inputs each without a crash"
