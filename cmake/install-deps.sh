#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
# Installs the Debian packages a pktpath job needs, only those missing.
#   install-deps.sh build   compiler and CMake (the examples)
#   install-deps.sh test    + Catch2, Python, Google Benchmark and the benchmark peers,
#                             tcpdump and promtool (the tests that cross-check with them),
#                             python3-jsonschema (the replay's JSON schema test),
#                             tshark (the parser against tshark on generated captures),
#                             iproute2, tcpreplay (pktpath-live's network-namespace tests)
#   install-deps.sh format  clang-format (CI's style check, tests/format.sh)
#   install-deps.sh fuzz    + clang and its libFuzzer runtime (tests/fuzz/run.sh)
# pktpath itself needs no package at run time: it is headers only.
set -euo pipefail

want=(cmake make g++ pkg-config)
case "${1:-build}" in
build) ;;
test)
	want+=(clang catch2 python3 libbenchmark-dev libdpdk-dev libboost-dev libtbb-dev liburcu-dev libpcap-dev
	       tcpdump prometheus python3-jsonschema tshark iproute2 tcpreplay)
	;;
format)
	want=(clang-format git)
	;;
fuzz)
	want+=(clang libclang-rt-14-dev)
	;;
*)
	echo "usage: $0 build|test|format|fuzz" >&2
	exit 2
	;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "pktpath: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
