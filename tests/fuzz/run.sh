#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
# Coverage-guided fuzzing of every parser and image reader with libFuzzer,
# under ASan and UBSan:
#   tests/fuzz/run.sh [SECONDS]        SECONDS per target (20)
# Builds the targets with clang into $PKTPATH_FUZZ_BUILD_DIR (build-fuzz),
# seeds each corpus (build-fuzz/corpus/<target>, kept between runs) from
# pktpath-fuzz-seeds, the bundled and generated captures and, when present,
# the tshark corpus ($PKTPATH_CORPUS_DIR, default ../shared/corpus), runs each
# target for SECONDS with its dictionary, and prints per target: executions,
# edges covered, features, corpus size.  Fails on any crash, leak, timeout,
# out-of-memory or sanitizer report; the input is minimised into
# tests/fuzz/regressions/<target>/, which the normal suite then replays
# (CTest fuzz.<target>): commit it with the fix.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-20}
bash "$root/cmake/install-deps.sh" fuzz
build=${PKTPATH_FUZZ_BUILD_DIR:-$root/build-fuzz}
corpus_src=${PKTPATH_CORPUS_DIR:-$root/../shared/corpus}
targets=(parse pcap pcapng stream table_image ring_attach replay_cli)

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DPKTPATH_FUZZ=ON -DPKTPATH_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target pktpath-fuzz-seeds pktpath-gencap \
	"${targets[@]/#/pktpath-libfuzzer-}" >/dev/null

# Seeds: added to what earlier runs found (libFuzzer keeps the corpus small).
gen=$build/fuzz-generated
mkdir -p "$gen"
for p in mix drops encaps raw12 raw14; do
	"$build/examples/pktpath-gencap" "$p" "$gen/$p.pcap" 2>/dev/null
done
captures=("$root"/examples/captures/*.pcap "$gen"/*.pcap)
real=()
if [ -d "$corpus_src" ]; then
	mapfile -t real < <(find "$corpus_src" -type f \( -name '*.pcap' -o -name '*.pcapng' \) -size -64k | sort)
	echo "fuzz: seeding from ${#real[@]} captures of $corpus_src"
else
	echo "fuzz: $corpus_src absent: seeds from the project's own captures only"
fi
"$build/tests/fuzz/pktpath-fuzz-seeds" "$build/corpus" "${captures[@]}" "${real[@]}" >/dev/null
for f in "${captures[@]}" "${real[@]}"; do
	case "$f" in
	*.pcapng) cp -f "$f" "$build/corpus/pcapng/" ;;
	*) cp -f "$f" "$build/corpus/pcap/" ;;
	esac
done
# The stream reader starts from both readers' seeds.
mkdir -p "$build/corpus/stream"
cp -f "$build/corpus/pcap/"* "$build/corpus/pcapng/"* "$build/corpus/stream/"

dict_of() {
	case "$1" in
	pcap | pcapng | stream) echo "$root/tests/fuzz/dict/capture.dict" ;;
	*) echo "$root/tests/fuzz/dict/$1.dict" ;;
	esac
}

failed=()
printf '\n%-12s %12s %9s %8s %8s %8s\n' target executions exec/s edges features corpus
for t in "${targets[@]}"; do
	art=$build/artifacts/$t
	rm -rf "$art"
	mkdir -p "$art"
	log=$build/fuzz-$t.log
	rc=0
	"$build/tests/fuzz/pktpath-libfuzzer-$t" "$build/corpus/$t" -dict="$(dict_of "$t")" \
		-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -close_fd_mask=3 \
		-print_final_stats=1 -artifact_prefix="$art/" >"$log" 2>&1 || rc=$?
	# The last status line: "#N <event> cov: E ft: F corp: C/..."
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	edges=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
	printf '%-12s %12s %9s %8s %8s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "${edges:-?}" "${ft:-?}" "${corp:-?}"
	found=$(find "$art" -type f | head -n 1)
	if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
		failed+=("$t")
		echo "--- $t failed (exit $rc); its log: $log"
		grep -E 'ERROR|SUMMARY|invariant failed|runtime error' "$log" | head -n 20 || true
		if [ -n "$found" ]; then
			mkdir -p "$root/tests/fuzz/regressions/$t"
			out=$root/tests/fuzz/regressions/$t/$(basename "$found")
			"$build/tests/fuzz/pktpath-libfuzzer-$t" -minimize_crash=1 -runs=5000 -exact_artifact_path="$out" \
				"$found" >"$log.minimize" 2>&1 || true
			[ -f "$out" ] || cp "$found" "$out"
			echo "--- the input, minimised: $out ($(stat -c %s "$out") bytes); commit it with the fix"
		fi
	fi
done
if [ ${#failed[@]} -ne 0 ]; then
	echo "fuzz: failed: ${failed[*]}" >&2
	exit 1
fi
echo "fuzz: ${#targets[@]} targets, $secs s each, no crash, leak, timeout or sanitizer report"
