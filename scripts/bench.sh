#!/usr/bin/env bash
# `make bench`: Augur's benchmarks, printed beside the reference figures.
#  1. End to end: a running augur fed 512-span requests over OTLP/HTTP and OTLP/gRPC, in spans/s
#     per core of Augur's CPU time, beside libprotobuf's bare parse of the same payloads (the
#     decode limit) and the OpenTelemetry Collector's published figure; then memory per series.
#  2. Microbenchmarks: the decoders against libprotobuf, the HTTP server, the log template miner.
# BENCH_SECONDS (default 10) sets the measured time per protocol.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BUILD:-build}
echo "== augur bench: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, $(uname -m)"
echo
echo "== End to end"
"$B/bench/augur_ingest_bench" --augur "$B/augur" --seconds "${BENCH_SECONDS:-10}"
echo
echo "== Decoders (per core; bytes and items per second)"
"$B/src/ingest/augur_decoder_bench" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_min_time=0.5 2>/dev/null | grep -E "median|Benchmark"
echo
echo "== HTTP server (256 KiB POSTs over keep-alive)"
"$B/src/core/augur_http_bench" --benchmark_min_time=1 2>/dev/null | grep -E "BM_|Benchmark"
echo
echo "== Log template miner (Loghub 2k samples; lines/s per core: Match on 1,000,000 lines, Learn from scratch)"
"$B/src/derive/augur_log_miner_bench" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true 2>/dev/null | grep -E "median|Benchmark"
