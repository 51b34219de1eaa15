#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
#
# Guest side of the module test (run by /init once the NICs are up, in
# /scenario).  Each phase loads pktpath_kmod.ko, injects a capture from the
# sender NIC, pauses counting and saves the module's files into
# $PP_OUT/PHASE/ (status, image, drops, ls.txt) with the injector's line
# (inject.txt) and the receiver's rx_packets delta (rx.txt):
#   main       default stages, mix.pcap PASSES times
#   losses     reset, promiscuous receiver, UDP sinks, losses.pcap once;
#              the drop samples drained into samples.pcapng (dump.txt)
#   live       pktpath-kstat --interval in the guest during paced traffic
#   overflow   capacity=4, mix.pcap once
#   missing    a probe on a function that does not exist, the
#              netif_receive_skb stage by kprobe on its clone, filter proto=udp
#   identical  eth_type_trans and napi_gro_receive only, mix.pcap once; then
#              once more with counting paused (paused.status, paused.image)
#   samples    sample_capacity=64, filter proto=udp, no socket, no reader:
#              losses.pcap once, then the ring drained into samples.pcap
#   churn      20 loads and unloads under paced traffic (churn.txt)
# and kallsyms.txt (the RX-path functions' names in /proc/kallsyms), nonroot.txt (opening the files as uid 65534,
# and mapping the samples as root and as 65534: mmap.txt), control.txt (a bad command's exit status).  The host (host.sh) makes the assertions; this
# script fails only when a step cannot run at all.
# shellcheck source=tests/kernel/guest/lib.sh
. /lib/pktpath/lib.sh
# PASSES, CHURN (host.sh writes it)
# shellcheck disable=SC1091
. /scenario/kmod.env

R=$PP_RECEIVER_IF
S=$PP_SENDER_IF
P=/proc/pktpath
KO=/scenario/pktpath_kmod.ko

pp_kallsyms eth_type_trans napi_gro_receive __netif_receive_skb_core ip_rcv ip_list_rcv ipv6_rcv ipv6_list_rcv \
	tcp_v4_rcv tcp_v6_rcv udp_rcv udpv6_rcv >"$PP_OUT/kallsyms.txt"

# Fragments whose datagram never completes are freed (FRAG_REASM_TIMEOUT)
# after ipfrag_time seconds: 1 s, so every frame is freed before a phase
# reads its counts.
echo 1 >/proc/sys/net/ipv4/ipfrag_time
echo 1 >/proc/sys/net/ipv6/ip6frag_time

# settle: frames in flight have landed, incomplete fragments have expired.
settle() {
	pp_settle "$R" >/dev/null
	sleep 3
}

# phase NAME INSMOD-ARGS... : loads the module for a phase.
phase() {
	PHASE=$PP_OUT/$1
	shift
	mkdir -p "$PHASE"
	RX0=$(pp_stat "$R" rx_packets)
	# shellcheck disable=SC2068 # module parameters, one a word
	insmod $KO ifindex="$PP_RECEIVER_IFINDEX" $@ || return 1
}

# inject FILE [OPTIONS...]: the injector's key=value line into the phase.
inject() {
	_file=$1
	shift
	pktpath-inject "$@" "$S" "$_file" >>"$PHASE/inject.txt" 2>>"$PHASE/inject.err"
	echo "rc=$?" >>"$PHASE/inject.txt"
}

# save: pauses counting and copies the module's files.
save() {
	echo disable >"$P/control"
	echo $(($(pp_stat "$R" rx_packets) - RX0)) >"$PHASE/rx.txt"
	cat "$P/status" >"$PHASE/status"
	cat "$P/image" >"$PHASE/image"
	cat "$P/drops" >"$PHASE/drops"
	ls -l "$P" >"$PHASE/ls.txt"
}

unload() {
	rmmod pktpath_kmod
	echo $? >"$PHASE/rmmod.rc"
}

phase main || exit 10
inject /scenario/mix.pcap -n "$PASSES"
settle
save
for f in image drops status samples; do
	echo "$f $(pktpath-ktool open-as 65534 "$P/$f" r)"
done >"$PP_OUT/nonroot.txt"
echo "control $(pktpath-ktool open-as 65534 "$P/control" w)" >>"$PP_OUT/nonroot.txt"
for u in 0 65534; do
	echo "$u $(pktpath-ktool open-as $u "$P/samples" m | tr '\n' ' ')"
done >"$PP_OUT/mmap.txt"
echo bogus >"$P/control" 2>/dev/null
echo "bogus=$?" >"$PP_OUT/control.txt"
echo "filter port=99999" >"$P/control" 2>/dev/null
echo "bad_filter=$?" >>"$PP_OUT/control.txt"

echo reset >"$P/control"
echo enable >"$P/control"
PHASE=$PP_OUT/losses
mkdir -p "$PHASE"
# The main phase's samples out of the way: reset leaves the reader's side of the ring alone.
pktpath-kstat --dump-drops /tmp/main.pcap >"$PHASE/before.txt" 2>&1
RX0=$(pp_stat "$R" rx_packets)
ip link set "$R" promisc on
# GRO keeps what it holds past the end of a poll, up to a jiffy old (flushed
# within 20 ms), so the TCP stream merges however the host schedules QEMU:
# on a busy host each segment can arrive in a poll of its own.
echo 20000000 >"/sys/class/net/$R/gro_flush_timeout"
pktpath-ktool sink 5001 read >"$PHASE/sink-read.txt" &
reader=$!
pktpath-ktool sink 5002 hold 2048 >"$PHASE/sink-hold.txt" &
holder=$!
pp_wait 5 grep -q bound "$PHASE/sink-read.txt"
pp_wait 5 grep -q bound "$PHASE/sink-hold.txt"
inject /scenario/losses.pcap
settle
# Closing the sockets frees what they still hold, so every frame is freed.
kill "$reader" "$holder"
wait "$reader" "$holder" 2>/dev/null
settle
echo 0 >"/sys/class/net/$R/gro_flush_timeout"
ip link set "$R" promisc off
save
pktpath-kstat --dump-drops "$PHASE/samples.pcapng" >"$PHASE/dump.txt" 2>"$PHASE/dump.err"

echo reset >"$P/control"
echo enable >"$P/control"
PHASE=$PP_OUT/live
mkdir -p "$PHASE"
pktpath-kstat --interval 1 --count 3 >"$PHASE/interval.txt" 2>"$PHASE/interval.err" &
kstat=$!
inject /scenario/mix.pcap -r 400 -c 1500 -n 100
wait "$kstat"
echo $? >"$PHASE/kstat.rc"
unload

phase overflow capacity=4 || exit 11
inject /scenario/mix.pcap
settle
save
unload

phase missing "stages=eth_type_trans,netif_receive_skb=__netif_receive_skb_core@p0,ip_rcv,udp_rcv=udp_rcv@0+pktpath_no_such_function" || exit 12
echo "filter proto=udp" >"$P/control"
inject /scenario/mix.pcap
settle
save
unload

phase identical stages=eth_type_trans,napi_gro_receive || exit 13
inject /scenario/mix.pcap
settle
save
# Counting paused: the frames are seen, not counted, and the image stays as it was.
inject /scenario/mix.pcap
settle
cat "$P/status" >"$PHASE/paused.status"
cat "$P/image" >"$PHASE/paused.image"
unload

# Nobody drains the ring: past its 64 slots every sample is a counted drop.
phase samples sample_capacity=64 || exit 14
echo "filter proto=udp" >"$P/control"
inject /scenario/losses.pcap
settle
save
pktpath-kstat --dump-drops "$PHASE/samples.pcap" >"$PHASE/dump.txt" 2>"$PHASE/dump.err"
unload

PHASE=$PP_OUT/churn
mkdir -p "$PHASE"
pktpath-inject -r 1000 -c 100000 -n 1000 "$S" /scenario/mix.pcap >"$PHASE/inject.txt" 2>&1 &
injector=$!
cycle() { insmod $KO && cat "$P/status" >/dev/null && sleep 0.2 && rmmod pktpath_kmod; }
pp_churn "$PHASE" "$P" "$CHURN" cycle
kill "$injector"
wait "$injector" 2>/dev/null
exit 0
