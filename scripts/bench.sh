#!/usr/bin/env bash
# Runs every benchmark and prints each named figure as one line:
#   bench: NAME VALUE UNIT
# Benchmarks write their figures through internal/benchfig into
# $HCSCAN_BENCH_DIR; scripts in scripts/bench.d/ add figures that are not Go
# benchmarks (e.g. the side-by-side decoder comparison).
set -euo pipefail
cd "$(dirname "$0")/.."
export HCSCAN_BENCH_DIR
HCSCAN_BENCH_DIR=$(mktemp -d)
trap 'rm -rf "$HCSCAN_BENCH_DIR"' EXIT
log=${BENCH_LOG:-bench.log}
: >"$log"
echo "running benchmarks (full output in $log) ..." >&2
# Figures named "1core" or "one core" set GOMAXPROCS=1 inside the benchmark.
go test -run '^$' -bench . -benchtime 2s -timeout 60m ./... >>"$log" 2>&1 || { echo "benchmarks failed, see $log" >&2; tail -30 "$log" >&2; exit 1; }
for s in scripts/bench.d/*.sh; do
	[ -e "$s" ] || continue
	bash "$s" >>"$log" 2>&1 || { echo "$s failed, see $log" >&2; exit 1; }
done
cat "$HCSCAN_BENCH_DIR"/*.txt 2>/dev/null | sort
