#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
#
# Guest side of the cost measurement (tests/kernel/perf): the same traffic,
# FRAMES frames of mix.pcap as fast as the injector sends them, through the
# guest without the module and with it in several configurations, the
# configurations interleaved within each of REPS rounds.  Per run, one line
# "CONFIG ROUND received=R elapsed_ns=T frames_per_s=F rc=C" in
# $PP_OUT/runs.txt, and the module's status after it in
# $PP_OUT/status/CONFIG.ROUND.
# shellcheck source=tests/kernel/guest/lib.sh
. /lib/pktpath/lib.sh
# FRAMES, REPS, CONFIGS (host.sh writes it: "NAME:PARAMS" words, PARAMS
# comma-separated module parameters, NAME none without the module)
# shellcheck disable=SC1091
. /scenario/perf.env

R=$PP_RECEIVER_IF
S=$PP_SENDER_IF
mkdir -p "$PP_OUT/status"
echo 1 >/proc/sys/net/ipv4/ipfrag_time
echo 1 >/proc/sys/net/ipv6/ip6frag_time
round=1
while [ $round -le "$REPS" ]; do
	for c in $CONFIGS; do
		name=${c%%:*}
		params=$(echo "${c#*:}" | tr ',' ' ')
		if [ "$name" != none ]; then
			# shellcheck disable=SC2086 # module parameters, one a word
			insmod /scenario/pktpath_kmod.ko ifindex="$PP_RECEIVER_IFINDEX" $params || exit 10
		fi
		line=$(pktpath-ktool through "$R" "$FRAMES" pktpath-inject -c "$FRAMES" -n 1000 "$S" /scenario/mix.pcap |
			grep '^received=')
		echo "$name $round $line" >>"$PP_OUT/runs.txt"
		pp_settle "$R" >/dev/null
		if [ "$name" != none ]; then
			cat /proc/pktpath/status >"$PP_OUT/status/$name.$round"
			rmmod pktpath_kmod || exit 11
		fi
	done
	round=$((round + 1))
done
exit 0
