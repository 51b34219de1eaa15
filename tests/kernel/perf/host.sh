# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
#
# Host side of the cost measurement (tests/kernel/perf): what the module
# costs the receive path, measured in the guest under TCG.  The module,
# helpers and captures are the module test's (kmod/host.sh); the figures:
# frames/s through the guest without the module and with it (median and
# range over the rounds), and per configuration the time it adds per
# injected frame (the median over the rounds of each pair's difference) and
# per frame counted at its stage; and from the timed runs, the time spent
# in each stage's handler per frame it counted (two local_clock() reads
# around the parse and the count: the kprobe's own entry is not in it).
# The guest's clock is QEMU's instruction counter (-icount shift=0,sleep=off:
# one nanosecond per guest instruction), so the figures count instructions
# and do not move with the host's load (measured here in real time, the
# same configuration ranged over 4x between rounds on a busy host); frames/s
# are per virtual second.  Only the assertion that every run received every
# frame is made.
#
#   bash tests/kernel/run.sh --scenario tests/kernel/perf [--kernel 6.1|6.12]
#   PKTPATH_PERF_FRAMES (4000), PKTPATH_PERF_REPS (7), PKTPATH_PERF_CONFIGS
#   ("NAME:PARAMS" words instead of the ones below; "timed" is the one whose
#   handler times are reported)

# shellcheck source=tests/kernel/kmod/host.sh
. "$KH_LIB_DIR/kmod/host.sh"

KH_TIMEOUT=1800
KH_QEMU_EXTRA="-icount shift=0,sleep=off"
PERF_FRAMES=${PKTPATH_PERF_FRAMES:-4000}
PERF_REPS=${PKTPATH_PERF_REPS:-7}
# Everything; everything with its handlers timed (timing=1: ns= per stage in
# the status); one stage at a time without the drop tracepoints; the drop
# tracepoints alone.
PERF_CONFIGS=${PKTPATH_PERF_CONFIGS:-"all:- timed:timing=1 $(for s in eth_type_trans napi_gro_receive netif_receive_skb ip_rcv \
	ipv6_rcv tcp_v4_rcv udp_rcv tcp_v6_rcv udpv6_rcv; do printf '%s:stages=%s,frees=0 ' "$s" "$s"; done)frees:stages=none"}

eval "km_$(declare -f scenario_prepare)"
scenario_prepare() {
	km_scenario_prepare "$@"
	local work=$1
	printf 'FRAMES=%s\nREPS=%s\nCONFIGS="%s"\n' "$PERF_FRAMES" "$PERF_REPS" "${PERF_CONFIGS//:-/:}" >"$work/perf.env"
	kh_initramfs_file "$work/perf.env" /scenario/perf.env
}

scenario_check() {
	local res=$1 k=$KH_KVER
	kh_assert_eq "$k: perf: runs" $((2 * $(wc -w <<<"$PERF_CONFIGS") * PERF_REPS)) "$(wc -l <"$res/runs.txt")"
	kh_assert_eq "$k: perf: runs that received every frame" "$(wc -l <"$res/runs.txt")" \
		"$(grep -c " received=$PERF_FRAMES " "$res/runs.txt")"
	python3 "$KH_LIB_DIR/perf/figures.py" "$res" "$PERF_FRAMES" | while IFS= read -r l; do kh_info "$k: $l"; done
}
