#!/usr/bin/env bash
# The gate video figures: the generated 1280×720 queue of 73 people
# (camera/stressset, rendered once into the temporary directory and kept
# there, a few minutes) decoded as a live camera on one core, beside
# zxing-cpp 2 (zxing-wasm) given one still per person:
# gate_video_texts and zxingcpp2_gate_video_texts (distinct texts read, of
# those shown), gate_video_decode_p95_ms (CPU per decoded frame).
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENCV_LOG_LEVEL=SILENT
if [ ! -d scripts/zxingwasm/node_modules/zxing-wasm ]; then
	(cd scripts/zxingwasm && npm ci --no-audit --no-fund --silent) >&2
fi
out=$(go test -tags compare -run '^TestGateVideo$' -count=1 -v -timeout 60m ./camera) || { echo "$out" >&2; exit 1; }
echo "$out" | grep -v -e '^=== RUN' -e '^--- PASS' -e '^PASS$' -e '^ok '
