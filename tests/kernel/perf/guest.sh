#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
#
# Guest side of the cost measurement (tests/kernel/perf): the same traffic,
# FRAMES frames of mix.pcap as fast as the injector sends them, through the
# guest with the module in several configurations, each run right after one
# without it (a pair), the configurations interleaved within each of REPS
# rounds.  Per run, one line "NAME ROUND received=R elapsed_ns=T
# frames_per_s=F rc=C" in $PP_OUT/runs.txt (NAME none@CONFIG for the run
# without the module), and the module's status after it in
# $PP_OUT/status/CONFIG.ROUND.
# shellcheck source=tests/kernel/guest/lib.sh
. /lib/pktpath/lib.sh
# FRAMES, REPS, CONFIGS (host.sh writes it: "NAME:PARAMS" words, PARAMS
# comma-separated module parameters)
# shellcheck disable=SC1091
. /scenario/perf.env

R=$PP_RECEIVER_IF
S=$PP_SENDER_IF
mkdir -p "$PP_OUT/status"
echo 1 >/proc/sys/net/ipv4/ipfrag_time
echo 1 >/proc/sys/net/ipv6/ip6frag_time
# run NAME: one measured injection, its line into runs.txt.
run() {
	line=$(pktpath-ktool through "$R" "$FRAMES" pktpath-inject -c "$FRAMES" -n 1000 "$S" /scenario/mix.pcap |
		grep '^received=')
	echo "$1 $round $line" >>"$PP_OUT/runs.txt"
	pp_settle "$R" >/dev/null
}

round=1
while [ $round -le "$REPS" ]; do
	for c in $CONFIGS; do
		name=${c%%:*}
		params=$(echo "${c#*:}" | tr ',' ' ')
		# Each configuration right after a run without the module: a pair a few seconds apart.
		run "none@$name"
		# shellcheck disable=SC2086 # module parameters, one a word
		insmod /scenario/pktpath_kmod.ko ifindex="$PP_RECEIVER_IFINDEX" $params || exit 10
		run "$name"
		cat /proc/pktpath/status >"$PP_OUT/status/$name.$round"
		rmmod pktpath_kmod || exit 11
	done
	round=$((round + 1))
done
exit 0
