#!/usr/bin/env bash
# Camera figures that are not plain Go benchmarks: the side-by-side decoder
# comparison on the QR corpus (decode_corpus_*, zxingreader_corpus_*,
# zbarimg_corpus_*). The video720_* figures come from the Go benchmarks in
# camera/ that scripts/bench.sh runs first.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/compare-decoders.sh
