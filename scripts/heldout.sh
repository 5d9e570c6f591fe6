#!/usr/bin/env bash
# Held-out photographs: real QR photos that are NOT the shared corpus, for
# measuring only (never committed, never used to pick constants).
#
#   scripts/heldout.sh get DEST     assemble the held-out folder in DEST
#   scripts/heldout.sh FOLDER       hcscan vs zxing-cpp 2 (zxing-wasm) vs
#                                   ZXingReader 1.4 on every picture in FOLDER
#
# `get` clones three public test sets at pinned commits (or copies them
# from checkouts named by ZXING_CPP_SRC, JSQR_SRC, BOOFCV_SRC) and writes
# one layout, the one the comparison reads:
#   NAME.png|jpg|webp + NAME.txt      one code, its exact text (zxing's convention)
#   NAME.jpg + NAME.corners           codes outlined by hand, one line of
#                                     8 numbers (4 corners) each; texts unknown
#   NAME.webp + NAME.none             no QR code in the picture
#   NAME.png alone                    text unknown (reported, not scored)
# The sets:
#   zxing-cpp/   zxing-cpp's test/samples/qrcode-* pictures from user issues
#                (#1086, high-res, low-res, inverted, round dots, tilted) and
#                its falsepositives-* pictures; its numbered pictures in
#                qrcode-1..6 are zxing's black-box images (the shared corpus)
#                and are left out
#   jsqr/        jsQR's tests/end-to-end photos (text from its output.json;
#                where jsQR failed, output.json is null: text unknown)
#   boofcv/      BoofCV's QR benchmark (536 photos, 16 kinds: blurred,
#                curved, glare, monitor, lots, high_version, ...), hand-marked
#                corners; mirrored in the RustQR repository
# The comparison also skips any picture that looks like a shared-corpus
# image (same thumbnail), whatever folder it comes from.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENCV_LOG_LEVEL=SILENT

ZXING_CPP_REPO=https://github.com/zxing-cpp/zxing-cpp
ZXING_CPP_COMMIT=77dceca0687d46914b13f007447f5b354b078dd8
JSQR_REPO=https://github.com/cozmo/jsQR
JSQR_COMMIT=8e6a036beafa7053dd44b1b76ac578d22b1b3311
BOOFCV_REPO=https://github.com/rizwankce/RustQR
BOOFCV_COMMIT=824739f41e84dca72cd9b7eda10f75d6d814783e

usage() {
	echo "usage: scripts/heldout.sh get DEST | scripts/heldout.sh FOLDER" >&2
	exit 2
}

# checkout NAME REPO COMMIT VAR: a working tree of REPO at COMMIT (or $VAR).
checkout() {
	local name=$1 repo=$2 commit=$3 src=${!4:-}
	if [ -n "$src" ]; then
		echo "$src"
		return
	fi
	local d="$tmp/$name"
	echo "heldout: cloning $repo ($commit)" >&2
	git clone --quiet --filter=blob:none --no-checkout "$repo" "$d" >&2
	git -C "$d" checkout --quiet "$commit" >&2
	echo "$d"
}

get() {
	local dest=$1
	mkdir -p "$dest"
	dest=$(cd "$dest" && pwd)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT

	local zx n=0
	zx=$(checkout zxing-cpp "$ZXING_CPP_REPO" "$ZXING_CPP_COMMIT" ZXING_CPP_SRC)
	for dir in "$zx"/test/samples/qrcode-* "$zx"/test/samples/falsepositives-*; do
		[ -d "$dir" ] || continue
		local set
		set=$(basename "$dir")
		for img in "$dir"/*; do
			case "${img,,}" in *.png | *.jpg | *.jpeg | *.webp | *.gif | *.bmp) ;; *) continue ;; esac
			local stem=${img%.*} base
			base=$(basename "$stem")
			# zxing's black-box images: the shared corpus.
			if [[ $set =~ ^qrcode-[1-6]$ && $base =~ ^[0-9]+$ ]]; then continue; fi
			mkdir -p "$dest/zxing-cpp/$set"
			if [[ $set == falsepositives-* ]]; then
				cp "$img" "$dest/zxing-cpp/$set/"
				: >"$dest/zxing-cpp/$set/$base.none"
			elif [ -f "$stem.txt" ]; then
				cp "$img" "$stem.txt" "$dest/zxing-cpp/$set/"
			else
				continue
			fi
			n=$((n + 1))
		done
	done
	echo "heldout: zxing-cpp: $n pictures" >&2

	local js
	js=$(checkout jsqr "$JSQR_REPO" "$JSQR_COMMIT" JSQR_SRC)
	mkdir -p "$dest/jsqr"
	node -e '
		const fs = require("fs"), path = require("path");
		const [src, dst] = process.argv.slice(1);
		let n = 0, known = 0;
		for (const d of fs.readdirSync(src)) {
			const img = path.join(src, d, "input.png");
			if (!fs.existsSync(img)) continue;
			fs.copyFileSync(img, path.join(dst, d + ".png"));
			n++;
			const out = JSON.parse(fs.readFileSync(path.join(src, d, "output.json"), "utf8"));
			if (out && out.binaryData) {
				fs.writeFileSync(path.join(dst, d + ".txt"), Buffer.from(out.binaryData));
				known++;
			}
		}
		console.error(`heldout: jsqr: ${n} pictures, ${known} with known text`);
	' "$js/tests/end-to-end" "$dest/jsqr"

	local bf
	bf=$(checkout boofcv "$BOOFCV_REPO" "$BOOFCV_COMMIT" BOOFCV_SRC)
	n=0
	for dir in "$bf"/benches/images/boofcv/*/; do
		local set
		set=$(basename "$dir")
		mkdir -p "$dest/boofcv/$set"
		for img in "$dir"*.jpg "$dir"*.png; do
			[ -f "$img" ] || continue
			local stem=${img%.*}
			[ -f "$stem.txt" ] || continue
			cp "$img" "$dest/boofcv/$set/"
			# One line of 8 numbers per code: BoofCV writes either that
			# (after a SETS line) or four lines of 2 numbers.
			awk '$1 ~ /^-?[0-9.]+$/ { for (i = 1; i <= NF; i++) { q = q (n ? " " : "") $i; n++ } }
				n == 8 { print q; q = ""; n = 0 }' "$stem.txt" >"$dest/boofcv/$set/$(basename "$stem").corners"
			n=$((n + 1))
		done
	done
	echo "heldout: boofcv: $n pictures" >&2
	echo "heldout: held-out set in $dest; run scripts/heldout.sh $dest" >&2
}

run() {
	local folder
	folder=$(cd "$1" && pwd)
	for tool in ZXingReader node npm; do
		command -v "$tool" >/dev/null || { echo "heldout: $tool is missing (scripts/setup.sh: zxing-cpp-tools nodejs)" >&2; exit 1; }
	done
	if [ ! -d scripts/zxingwasm/node_modules/zxing-wasm ]; then
		echo "heldout: installing zxing-wasm (npm ci in scripts/zxingwasm, once)" >&2
		(cd scripts/zxingwasm && npm ci --no-audit --no-fund --silent) >&2
	fi
	HCSCAN_HELDOUT="$folder" go test -tags heldout -run '^TestHeldOut$' -count=1 -v -timeout 120m ./camera |
		grep -v -e '^=== RUN' -e '^--- PASS' -e '^PASS$' -e '^ok '
}

case "${1:-}" in
get) [ $# -eq 2 ] || usage; get "$2" ;;
"" | -h | --help) usage ;;
*) [ -d "$1" ] || { echo "heldout: $1 is not a folder" >&2; exit 1; }; run "$1" ;;
esac
