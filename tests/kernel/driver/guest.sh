#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
#
# Guest side of the driver test (tests/kernel/driver): pktpath_vnic.ko, a
# virtual NAPI device, fed through its wire file by pktpath-inject -w.  Each
# phase loads the module, brings vnic up, injects, waits until the wire and
# the RX ring are empty and saves $PP_OUT/PHASE/: the shim's files (status,
# image, drops), the driver's figures (driver), rx_packets and
# rx_missed_errors of the device (rx.txt), the injector's line (inject.txt):
#   steady  ring 256, weight 16, 4 frames a 4 ms tick (1000 frames/s, below
#           what the guest's stack takes under TCG): mix.pcap PASSES times
#   burst   ring 64, weight 16, up to 1024 frames a 100 ms tick: the ring
#           overflows and every poll could take more than its budget
#   churn   CHURN loads and unloads under traffic (churn.txt; cycles.txt: the
#           frames the wire took and the polls of each load)
# BREAK=1 loads the burst phase with break_budget=1 (its budget check must fail).
# The host (host.sh) makes the assertions.
# shellcheck source=tests/kernel/guest/lib.sh
. /lib/pktpath/lib.sh
# PASSES, CHURN, BREAK (host.sh writes it)
# shellcheck disable=SC1091
. /scenario/driver.env

P=/proc/pktpath_vnic
KO=/scenario/pktpath_vnic.ko

# A driver figure: drv LINE KEY (the driver file's "LINE key=value ..." records).
drv() { sed -n "s/^$1 .*[ ]$2=\([0-9]*\).*/\1/p" "$P/driver"; }

# up: the device the module made, with the receiver's MAC (its frames are for it), up.
up() {
	V=$(sed -n 's/^device name=\([^ ]*\) .*/\1/p' "$P/driver")
	ip link set "$V" address "$PP_RECEIVER_MAC" && ip link set "$V" up
}

# phase NAME INSMOD-ARGS...
phase() {
	PHASE=$PP_OUT/$1
	shift
	mkdir -p "$PHASE"
	# shellcheck disable=SC2068 # module parameters, one a word
	insmod $KO $@ || return 1
	up || return 1
}

# Fragments whose datagram never completes are freed (FRAG_REASM_TIMEOUT)
# after ipfrag_time seconds: 1 s, so every frame is freed before a phase
# reads its counts.
echo 1 >/proc/sys/net/ipv4/ipfrag_time
echo 1 >/proc/sys/net/ipv6/ip6frag_time

# drained: nothing left on the wire or in the ring (at most 20 s), then the stack's last frees.
drained() {
	pp_wait 20 sh -c "grep -q '^wire .* count=0 ' $P/driver && grep -q '^ring .* count=0 ' $P/driver"
	_rc=$?
	sleep 3
	return $_rc
}

save() {
	echo "drained=$1" >"$PHASE/drained.txt"
	cat "$P/status" >"$PHASE/status"
	cat "$P/image" >"$PHASE/image"
	cat "$P/drops" >"$PHASE/drops"
	cat "$P/driver" >"$PHASE/driver"
	echo "rx_packets=$(pp_stat "$V" rx_packets) rx_missed_errors=$(pp_stat "$V" rx_missed_errors)" >"$PHASE/rx.txt"
	ls -l "$P" >"$PHASE/ls.txt"
	rmmod pktpath_vnic
	echo $? >"$PHASE/rmmod.rc"
}

phase steady ring_size=256 weight=16 burst=4 period_us=4000 || exit 10
pktpath-inject -w -n "$PASSES" "$P/wire" /scenario/mix.pcap >"$PHASE/inject.txt" 2>"$PHASE/inject.err"
drained
save $?

phase burst ring_size=64 weight=16 burst=1024 period_us=100000 break_budget="$BREAK" || exit 11
pktpath-inject -w -n "$PASSES" "$P/wire" /scenario/mix.pcap >"$PHASE/inject.txt" 2>"$PHASE/inject.err"
drained
save $?

PHASE=$PP_OUT/churn
mkdir -p "$PHASE"
pktpath-inject -w -r 1000 -c 100000 -n 1000 "$P/wire" /scenario/mix.pcap >"$PHASE/inject.txt" 2>&1 &
injector=$!
cycle() {
	insmod $KO period_us=200 && up && sleep 0.3 && cat "$P/status" >/dev/null &&
		echo "cycle=$1 frames=$(drv wire frames) polls=$(drv napi polls)" >>"$PHASE/cycles.txt" &&
		rmmod pktpath_vnic
}
pp_churn "$PHASE" "$P" "$CHURN" cycle
kill "$injector"
wait "$injector" 2>/dev/null
exit 0
