#!/usr/bin/env bash
# Decodes every image of the QR corpus (../shared/testdata/qr, or
# $HCSCAN_QR_CORPUS) and of the generated stress set (camera/stressset,
# written to a temporary folder) with hcscan's decoder, zxing-cpp 2 (the
# npm package zxing-wasm, pinned in scripts/zxingwasm and installed there
# with npm ci for this measurement only), zxing-cpp 1.4's ZXingReader and
# zbar's zbarimg in one run, and prints the tables: exact matches (byte for
# byte), false reads and median time per image (loading included, process
# start-up excluded). Under scripts/bench.sh the figures also become
# `bench:` lines. Needs the Debian packages zxing-cpp-tools and zbar-tools,
# and Node with npm.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENCV_LOG_LEVEL=SILENT
for tool in ZXingReader zbarimg node npm; do
	command -v "$tool" >/dev/null || { echo "compare-decoders: $tool is missing (scripts/setup.sh zxing-cpp-tools zbar-tools nodejs)" >&2; exit 1; }
done
if [ ! -d scripts/zxingwasm/node_modules/zxing-wasm ]; then
	echo "compare-decoders: installing zxing-wasm (npm ci in scripts/zxingwasm, once)" >&2
	(cd scripts/zxingwasm && npm ci --no-audit --no-fund --silent) >&2
fi
out=$(go test -tags compare -run '^TestCompareDecoders$' -count=1 -v -timeout 60m ./camera) || { echo "$out" >&2; exit 1; }
# Keep the tables and the lists of misses; drop go test's own lines.
echo "$out" | grep -v -e '^=== RUN' -e '^--- PASS' -e '^PASS$' -e '^ok '
