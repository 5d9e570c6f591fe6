#!/usr/bin/env bash
# The demo `make demo` runs. Until the scanner screen lands it issues codes
# and verifies them offline; the scanner-screen work replaces this with
# `bin/hcscan demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
if bin/hcscan help 2>&1 | grep -q '^  demo '; then
	exec bin/hcscan demo "$@"
fi
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
bin/hcserver keys init --dir "$d/keys"
for c in green yellow red; do
	code=$(bin/hcserver issue --dir "$d/keys" --colour $c --name 张三丰 --id 110105199001011234)
	echo "issued $c: ${code:0:40}…"
	bin/hcscan verify --lang zh --trust "$d/keys/trust.json" "$code" || true
done
echo "a forged code:"
bin/hcscan verify --lang zh --trust "$d/keys/trust.json" "HCN1:ZZZZZZ" || true
