#!/usr/bin/env bash
# Camera figures that are not plain Go benchmarks: the side-by-side decoder
# comparison on the QR corpus and the generated stress set (decode_*,
# zxingcpp2_*, zxingreader_*, zbarimg_*: *_corpus_matches,
# *_corpus_median_ms, *_stress_matches, *_stress_median_ms,
# *_stress_false_reads). The video720_* figures come from the Go benchmarks
# in camera/ that scripts/bench.sh runs first.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/compare-decoders.sh
