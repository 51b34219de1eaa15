#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
# The README's first command: installs what is missing, builds the examples and
# runs the main job, pktpath-replay, on a capture bundled with pktpath
# (examples/captures/drops.pcap: traffic that drives the default modelled
# Linux receive path into RX-ring and backlog drops).
#   examples/quickstart.sh [pktpath-replay options and captures]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/cmake/install-deps.sh" build
build=${PKTPATH_BUILD_DIR:-$root/build-examples}
cmake -S "$root" -B "$build" -DPKTPATH_BUILD_TESTS=OFF -DPKTPATH_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
[ $# -gt 0 ] || set -- "$root/examples/captures/drops.pcap"
exec "$build/examples/pktpath-replay" "$@"
