#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
# The README's test command: installs what is missing, builds everything
# (library checks, tests, examples, benchmarks) and runs every test.
#   tests/run.sh [extra CMake arguments]     build directory: $PKTPATH_BUILD_DIR or ./build
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/cmake/install-deps.sh" test
build=${PKTPATH_BUILD_DIR:-$root/build}
jobs=$(nproc)
cmake -S "$root" -B "$build" "$@"
cmake --build "$build" -j"$jobs"
ctest --test-dir "$build" --output-on-failure -j"$jobs"
