#!/usr/bin/env bash
# `make demo`: the scanner screen on a generated video of people at a gate,
# with a local provincial server, all in a temporary folder (see
# `bin/hcscan demo -h`). Needs a terminal (a window, or tmux).
set -euo pipefail
cd "$(dirname "$0")/.."
exec bin/hcscan demo "$@"
