#!/usr/bin/env bash
# Decodes every image of the QR corpus (../shared/testdata/qr, or
# $HCSCAN_QR_CORPUS) with hcscan's decoder, zxing-cpp's ZXingReader and
# zbar's zbarimg in one run, and prints the table: exact matches (byte for
# byte against the .txt files) and median time per image (loading included,
# process start-up excluded). Under scripts/bench.sh the figures also become
# `bench:` lines. Needs the Debian packages zxing-cpp-tools and zbar-tools.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENCV_LOG_LEVEL=SILENT
for tool in ZXingReader zbarimg; do
	command -v "$tool" >/dev/null || { echo "compare-decoders: $tool is missing (scripts/setup.sh zxing-cpp-tools zbar-tools)" >&2; exit 1; }
done
out=$(go test -tags compare -run '^TestCompareDecoders$' -count=1 -v -timeout 30m ./camera) || { echo "$out" >&2; exit 1; }
# Keep the table and the lists of misses; drop go test's own lines.
echo "$out" | grep -v -e '^=== RUN' -e '^--- PASS' -e '^PASS$' -e '^ok '
