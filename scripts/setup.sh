#!/usr/bin/env bash
# Installs what hcscan needs to build and test, if it is missing:
# OpenCV 4 headers (libopencv-dev) and pkg-config for gocv, tmux for the
# screen tests, the PostgreSQL server programs (postgresql: initdb, pg_ctl)
# that the server's store tests start in a temporary directory, Debian's
# chromium that the portal's browser tests drive headless. Extra
# packages can be named as arguments (make bench asks for the reference
# decoders, and Node with npm for zxing-wasm). On Debian/Ubuntu it uses
# apt (with sudo when not root); elsewhere it says what to install and stops.
set -euo pipefail

need=()
command -v go >/dev/null || { echo "setup: Go is not installed; install Go 1.26 or newer from your distribution or go.dev" >&2; exit 1; }
command -v pkg-config >/dev/null || need+=(pkg-config)
if ! pkg-config --exists opencv4 2>/dev/null; then need+=(libopencv-dev); fi
command -v tmux >/dev/null || need+=(tmux)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
for p in "$@"; do
	case "$p" in
	zxing-cpp-tools) command -v ZXingReader >/dev/null || need+=("$p") ;;
	zbar-tools) command -v zbarimg >/dev/null || need+=("$p") ;;
	nodejs) command -v node >/dev/null && command -v npm >/dev/null || need+=(nodejs npm) ;;
	*) dpkg -s "$p" >/dev/null 2>&1 || need+=("$p") ;;
	esac
done

if [ ${#need[@]} -gt 0 ]; then
	if command -v apt-get >/dev/null; then
		sudo=""
		if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
		echo "setup: installing ${need[*]} with apt (this happens once)" >&2
		export DEBIAN_FRONTEND=noninteractive
		$sudo apt-get update -qq
		$sudo apt-get install -y -qq "${need[@]}" >/dev/null
	else
		echo "setup: please install these packages, then run the command again: ${need[*]}" >&2
		echo "setup: (OpenCV 4.6 development files and pkg-config are what gocv v0.31 builds against)" >&2
		exit 1
	fi
fi

go mod download
