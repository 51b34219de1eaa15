# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
#
# Host side of the driver test (tests/kernel/driver), sourced by run.sh:
# builds pktpath_vnic.ko (examples/kernel/driver) against each kernel's
# headers from the dkms layout (the library's include/ beside it), the
# static pktpath-kstat for the guest and the host, and pktpath-replay, whose
# JSON of the very capture the guest injects is the expected count per flow
# (guest.sh describes the phases).
#
# PKTPATH_VNIC_BREAK=1 loads the burst phase with break_budget=1 (the poll
# takes twice its budget): that run must fail.

KD_DIR=$KH_LIB_DIR/driver
KD_PASSES=${PKTPATH_VNIC_PASSES:-4}
KD_CHURN=${PKTPATH_VNIC_CHURN:-10}
KD_BREAK=${PKTPATH_VNIC_BREAK:-0}
KD_WEIGHT=16 # both phases' NAPI weight (guest.sh)
KH_TIMEOUT=600

scenario_setup() {
	local bin=$KH_CACHE/bin
	KD_DATA=$KH_CACHE/driver
	mkdir -p "$bin" "$KD_DATA"
	KD_KSTAT=$bin/pktpath-kstat
	KD_REPLAY=$bin/pktpath-replay
	kh_lock
	# Static: the same binary reads the guest's /proc/pktpath_vnic and, on the host, the copies.
	kh_build "$KD_KSTAT" "$KH_REPO/examples/kstat.cpp" g++ -static -std=c++17 -O2 -Wall -Wextra -Werror \
		-I "$KH_REPO/include" -o "$KD_KSTAT" "$KH_REPO/examples/kstat.cpp" -pthread
	kh_build "$KD_REPLAY" "$KH_REPO/examples/replay.cpp" g++ -std=c++17 -O2 -Wall -Wextra -Werror \
		-I "$KH_REPO/include" -o "$KD_REPLAY" "$KH_REPO/examples/replay.cpp" -pthread
	kh_unlock
	kh_rewrite "$KH_REPO/examples/captures/mix.pcap" "$KD_DATA/mix.pcap" --stats "$KD_DATA/mix.pcap.stats"
	KD_FRAMES=$(sed -n 's/^written=//p' "$KD_DATA/mix.pcap.stats")
	"$KD_REPLAY" --json --top all "$KD_DATA/mix.pcap" >"$KD_DATA/mix.json" ||
		kh_die "pktpath-replay cannot read the rewritten capture"
}

scenario_prepare() {
	local work=$1
	kh_module_build "$KH_REPO/examples/kernel/driver" "$work/module"
	kh_initramfs_file "$work/module/pktpath_vnic.ko" /scenario/pktpath_vnic.ko
	kh_initramfs_file "$KD_DATA/mix.pcap" /scenario/mix.pcap
	kh_initramfs_file "$KD_KSTAT" /bin/pktpath-kstat 0755
	printf 'PASSES=%s\nCHURN=%s\nBREAK=%s\n' "$KD_PASSES" "$KD_CHURN" "$KD_BREAK" >"$work/driver.env"
	kh_initramfs_file "$work/driver.env" /scenario/driver.env
}

kd_kv() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -n1; }
# kd_drv PHASE LINE KEY: a figure of the driver file ("LINE key=value ...").
kd_drv() { sed -n "s/^$2 .*[ ]$3=\([0-9]*\).*/\1/p" "$KD_RES/$1/driver"; }
kd_check() { python3 "$KD_DIR/checks.py" "$@"; }

# kd_assert DESC [SCRIPT] ARGS...: one assertion made by checks.py, or SCRIPT (its output is shown on failure).
kd_assert() {
	local desc=$1 out script=$KD_DIR/checks.py
	shift
	case "$1" in *.py) script=$1 && shift ;; esac
	if out=$(python3 "$script" "$@" 2>&1); then
		kh_pass "$desc: $(tail -n1 <<<"$out")"
	else
		kh_fail "$desc"
		printf '%s\n' "$out" | head -n 20 | sed 's/^/        /'
	fi
}

# kd_budget PHASE: no poll took more than its budget, and some polls used all of it (so the check could fail).
kd_budget() {
	local p=$1 k=$KH_KVER
	kh_assert_cmd "$k: $p: the largest poll ($(kd_drv "$p" napi max_poll) frames) within the weight $KD_WEIGHT" \
		test "$(kd_drv "$p" napi max_poll)" -le "$KD_WEIGHT"
	kh_assert_eq "$k: $p: polls past their budget" 0 "$(kd_drv "$p" napi over_budget)"
}

scenario_check() {
	local res=$1 k=$KH_KVER p sent t
	KD_RES=$res
	for p in steady burst; do
		kh_assert_cmd "$k: $p: pktpath-kstat --dir reads the driver's files" \
			sh -c "'$KD_KSTAT' --dir '$res/$p' --json --top all >'$res/$p/kstat.json' 2>'$res/$p/kstat.err'"
		kh_assert_eq "$k: $p: wire and ring drained" "drained=0" "$(cat "$res/$p/drained.txt")"
		kh_assert_eq "$k: $p: the injector's writes all taken" \
			"sent=$((KD_PASSES * KD_FRAMES)) errors=0" \
			"sent=$(kd_kv "$res/$p/inject.txt" sent) errors=$(kd_kv "$res/$p/inject.txt" errors)"
		kh_assert_eq "$k: $p: frames the wire took" "$((KD_PASSES * KD_FRAMES))" "$(kd_drv "$p" wire frames)"
		kh_assert_eq "$k: $p: rmmod exit code" 0 "$(cat "$res/$p/rmmod.rc")"
		# tests/kernel/kmod's check, on the drop table: every skb the driver made was freed, consumed or with a reason.
		kd_assert "$k: $p: per flow, frames at ring_enqueue = dropped with a reason + consumed" \
			"$KH_LIB_DIR/kmod/checks.py" conserve "$res/$p/kstat.json"
	done

	kd_assert "$k: pktpath-kstat --json of both phases against docs/schema/pktpath-kstat-1.schema.json" \
		"$KH_LIB_DIR/kmod/checks.py" schema "$KH_REPO/docs/schema/pktpath-kstat-1.schema.json" \
		"$res"/{steady,burst}/kstat.json

	# Steady: below the ring's capacity, every frame counted alike at every driver stage, per flow as injected.
	sent=$((KD_PASSES * KD_FRAMES))
	t=$(kd_check totals "$res/steady/kstat.json")
	kh_info "$k: steady: $t; $(grep '^napi' "$res/steady/driver")"
	kh_assert_eq "$k: steady: frames at ring_enqueue, ring_full, napi_poll, to_stack" \
		"ring_enqueue=$sent ring_full=0 napi_poll=$sent to_stack=$sent" \
		"$(tr ' ' '\n' <<<"$t" | grep -E '^(ring_enqueue|ring_full|napi_poll|to_stack)=' | paste -sd' ')"
	kh_assert_eq "$k: steady: the device's rx_packets, rx_missed_errors; the ring's drops" \
		"rx_packets=$sent rx_missed_errors=0 drops=0" \
		"$(cat "$res/steady/rx.txt") drops=$(kd_drv steady ring drops)"
	kd_assert "$k: steady: per flow, $KD_PASSES x the capture (pktpath-replay) at every driver stage" \
		flows "$KD_DATA/mix.json" "$KD_PASSES" "$res/steady/kstat.json" ring_enqueue napi_poll to_stack
	kd_assert "$k: steady: the stack's L3 entry (the shim's probes) took what the driver handed it" \
		l3 "$res/steady/kstat.json" "$KD_DATA/mix.pcap" "$KD_PASSES"
	kd_budget steady

	# Burst: more than the ring holds in one tick; the ring stage's drops are the ring's own, exactly.
	local full drops napi rx missed
	t=$(kd_check totals "$res/burst/kstat.json")
	kh_info "$k: burst: $t; $(grep '^napi' "$res/burst/driver")"
	full=$(kd_kv <(echo "$t") ring_full)
	napi=$(kd_kv <(echo "$t") napi_poll)
	drops=$(kd_drv burst ring drops)
	rx=$(kd_kv "$res/burst/rx.txt" rx_packets)
	missed=$(kd_kv "$res/burst/rx.txt" rx_missed_errors)
	kh_assert_cmd "$k: burst: the ring overflowed ($full frames at ring_full)" test "$full" -gt 0
	kh_assert_eq "$k: burst: ring_full = the ring's drops = rx_missed_errors = injected - polled = injected - rx_packets" \
		"$full $full $full $full $full" "$drops $missed $((sent - napi)) $((sent - rx)) $full"
	kh_assert_eq "$k: burst: ring_enqueue = napi_poll = to_stack" "$napi $napi" \
		"$(kd_kv <(echo "$t") ring_enqueue) $(kd_kv <(echo "$t") to_stack)"
	kd_assert "$k: burst: per flow, ring_enqueue + ring_full = $KD_PASSES x the capture" \
		flows "$KD_DATA/mix.json" "$KD_PASSES" "$res/burst/kstat.json" ring_enqueue+ring_full
	kh_assert_cmd "$k: burst: polls that used their whole budget ($(kd_drv burst napi full_polls))" \
		test "$(kd_drv burst napi full_polls)" -gt 0
	kd_budget burst

	# Load and unload under traffic.
	kh_assert_eq "$k: churn: loads and unloads under traffic" "cycles=$KD_CHURN ok=$KD_CHURN" \
		"$(cat "$res/churn/churn.txt")"
	kh_assert_eq "$k: churn: loads whose wire took frames and whose NAPI polled" "$KD_CHURN" \
		"$(awk '{ split($2, f, "="); split($3, q, "="); if (f[2] > 0 && q[2] > 0) n++ } END { print n + 0 }' \
			"$res/churn/cycles.txt")"
	kh_assert_cmd "$k: churn: /proc/pktpath_vnic gone after the last unload" test ! -e "$res/churn/proc-after.txt"
}
