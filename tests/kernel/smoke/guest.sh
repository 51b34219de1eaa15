#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
#
# Guest side of the smoke scenario (run by /init once the NICs are up, in
# /scenario).  Writes into $PP_OUT:
#   symbols.txt       for each RX-path symbol: its /proc/kallsyms names and
#                     whether a kprobe can be placed on each
#   kprobe-mode.txt   ls -l of /proc/pktpath_smoke
#   inject-*.txt      the injector's key=value line (bulk run, paced run)
#   smoke.txt         /proc/pktpath_smoke after the injections
#   profile.txt       "SYMBOL HITS MISSED" of tracefs kprobes during them
#   netdev-*.txt      /proc/net/dev before and after
#   counters.env      the receiver's and sender's statistics, before/after
#   rmmod.rc          rmmod's exit code
#   blob.bin          /scenario/blob.bin, to be compared on the host
# The host (host.sh) makes the assertions; this script only fails when a
# step cannot run at all.
# shellcheck source=tests/kernel/guest/lib.sh
. /lib/pktpath/lib.sh
# PASSES, PACED_RATE, PACED_FRAMES (host.sh writes it)
# shellcheck disable=SC1091
. /scenario/smoke.env

pp_kallsyms eth_type_trans napi_gro_receive __netif_receive_skb_core ip_rcv ip_list_rcv ipv6_rcv \
	ipv6_list_rcv tcp_v4_rcv tcp_v6_rcv udp_rcv udpv6_rcv kfree_skb_reason sk_skb_reason_drop consume_skb |
	while read -r s n t; do
		if [ "$n" = - ]; then
			echo "$s -"
		elif pp_kprobe_ok "$n"; then
			echo "$s $n $t kprobe-ok"
		else
			echo "$s $n $t kprobe-fails"
		fi
	done >"$PP_OUT/symbols.txt"

R=$PP_RECEIVER_IF
S=$PP_SENDER_IF
{
	echo "rx_before=$(pp_stat "$R" rx_packets)"
	echo "rx_dropped_before=$(pp_stat "$R" rx_dropped)"
	echo "sender_tx_before=$(pp_stat "$S" tx_packets)"
} >"$PP_OUT/counters.env"
cp /proc/net/dev "$PP_OUT/netdev-before.txt"

# Which of them the injected traffic goes through (both NICs: the
# receiver's frames and the replies arriving at the sender).
# shellcheck disable=SC2046 # one symbol per word
pp_profile_start $(awk '$4 == "kprobe-ok" { print $2 }' "$PP_OUT/symbols.txt") ||
	echo "kprobe profile could not start" >"$PP_OUT/profile.err"

insmod /scenario/pktpath_smoke.ko || exit 10
ls -l /proc/pktpath_smoke >"$PP_OUT/kprobe-mode.txt"

# Bulk: the capture PASSES times, as fast as the socket takes it.
pktpath-inject -n "$PASSES" "$S" /scenario/smoke.pcap >"$PP_OUT/inject-bulk.txt" 2>"$PP_OUT/inject-bulk.err"
echo "rc=$?" >>"$PP_OUT/inject-bulk.txt"
# Paced: PACED_FRAMES frames at PACED_RATE frames/s.
pktpath-inject -r "$PACED_RATE" -c "$PACED_FRAMES" -n 1000 "$S" /scenario/smoke.pcap \
	>"$PP_OUT/inject-paced.txt" 2>"$PP_OUT/inject-paced.err"
echo "rc=$?" >>"$PP_OUT/inject-paced.txt"

rx_after=$(pp_settle "$R")
cat /proc/pktpath_smoke >"$PP_OUT/smoke.txt"
pp_profile_read >"$PP_OUT/profile.txt"
pp_profile_stop
cp /proc/net/dev "$PP_OUT/netdev-after.txt"
{
	echo "rx_after=$rx_after"
	echo "rx_dropped_after=$(pp_stat "$R" rx_dropped)"
	echo "sender_tx_after=$(pp_stat "$S" tx_packets)"
} >>"$PP_OUT/counters.env"

cp /scenario/blob.bin "$PP_OUT/blob.bin"

rmmod pktpath_smoke
echo $? >"$PP_OUT/rmmod.rc"
[ -e /proc/pktpath_smoke ] && echo "present" >"$PP_OUT/proc-after-rmmod.txt"
exit 0
