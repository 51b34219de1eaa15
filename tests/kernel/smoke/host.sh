# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
#
# Host side of the smoke scenario, sourced by run.sh.  A scenario directory
# holds guest.sh (run in the guest) and this file, which defines:
#   scenario_setup            once, before any kernel (kernel-independent inputs)
#   scenario_prepare WORK     per kernel, after kh_kernel and kh_initramfs_new:
#                             build modules, add files to the initramfs
#   scenario_check RESULTS    per kernel, after kh_boot: the assertions
# (a real module's test copies this shape: its own module, capture, guest
# steps and expected counts).
#
# The smoke assertion: the kprobe on eth_type_trans counts, for the
# receiver's ifindex, exactly the frames the injector sent, and so does the
# receiver's rx_packets.  PKTPATH_SMOKE_EXPECT_EXTRA=N adds N to what is
# expected, to see the assertion fail (a run with N=1 must exit 1).

SMOKE_DIR=$KH_LIB_DIR/smoke
SMOKE_PASSES=${PKTPATH_SMOKE_PASSES:-20}
SMOKE_PACED_RATE=1000
SMOKE_PACED_FRAMES=500

scenario_setup() {
	SMOKE_PCAP=$KH_CACHE/smoke/smoke.pcap
	mkdir -p "$(dirname "$SMOKE_PCAP")"
	# The bundled mix (IPv4/IPv6, TCP/UDP/ICMP, VLAN, QinQ, fragments,
	# VXLAN, ARP) addressed to the receiver.
	kh_rewrite "$KH_REPO/examples/captures/mix.pcap" "$SMOKE_PCAP" \
		--stats "$SMOKE_PCAP.stats" --map "$SMOKE_PCAP.map"
	SMOKE_FRAMES=$(sed -n 's/^written=//p' "$SMOKE_PCAP.stats")
	[ "${SMOKE_FRAMES:-0}" -gt 0 ] || kh_die "the rewritten smoke capture has no frame"
}

scenario_prepare() {
	local work=$1
	SMOKE_WORK=$work
	kh_module_build "$SMOKE_DIR" "$work/module"
	kh_initramfs_file "$work/module/pktpath_smoke.ko" /scenario/pktpath_smoke.ko
	kh_initramfs_file "$SMOKE_PCAP" /scenario/smoke.pcap
	printf 'PASSES=%s\nPACED_RATE=%s\nPACED_FRAMES=%s\n' \
		"$SMOKE_PASSES" "$SMOKE_PACED_RATE" "$SMOKE_PACED_FRAMES" >"$work/smoke.env"
	kh_initramfs_file "$work/smoke.env" /scenario/smoke.env
	# A 4 MiB random blob the guest hands back through the results disk: the
	# real module's binary table image takes the same way.
	head -c 4194304 /dev/urandom >"$work/blob.bin"
	kh_initramfs_file "$work/blob.bin" /scenario/blob.bin
}

# smoke_kv FILE KEY: the value of KEY=VALUE or "KEY VALUE" in FILE.
smoke_kv() {
	tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | tail -n1
}
smoke_proc() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

scenario_check() {
	local res=$1 k=$KH_KVER
	# Written by the guest: PP_*_IF, PP_*_IFINDEX (net.env) and
	# rx_before, rx_after, rx_dropped_*, sender_tx_* (counters.env).
	local rx_before rx_after rx_dropped_before rx_dropped_after sender_tx_before sender_tx_after
	local PP_SENDER_IFINDEX PP_RECEIVER_IFINDEX
	# shellcheck disable=SC1091
	. "$res/net.env"
	# shellcheck disable=SC1091
	. "$res/counters.env"
	local bulk=$res/inject-bulk.txt paced=$res/inject-paced.txt
	local bulk_sent paced_sent
	bulk_sent=$(smoke_kv "$bulk" sent)
	paced_sent=$(smoke_kv "$paced" sent)
	kh_assert_eq "$k: bulk injection sent passes x frames" $((SMOKE_PASSES * SMOKE_FRAMES)) "$bulk_sent"
	kh_assert_eq "$k: bulk injection errors" 0 "$(smoke_kv "$bulk" errors)"
	kh_assert_eq "$k: paced injection sent" "$SMOKE_PACED_FRAMES" "$paced_sent"
	kh_assert_eq "$k: paced injection errors" 0 "$(smoke_kv "$paced" errors)"
	# Pacing by absolute deadlines: frame i leaves no earlier than i/rate.
	local paced_ns min_ns
	paced_ns=$(smoke_kv "$paced" elapsed_ns)
	min_ns=$(((SMOKE_PACED_FRAMES - 1) * 1000000000 / SMOKE_PACED_RATE))
	kh_assert_cmd "$k: paced injection took >= $((min_ns / 1000000)) ms (${paced_ns:-?} ns)" \
		test "${paced_ns:-0}" -ge "$min_ns"

	local expected=$((bulk_sent + paced_sent + ${PKTPATH_SMOKE_EXPECT_EXTRA:-0}))
	local smoke=$res/smoke.txt
	kh_assert_eq "$k: eth_type_trans hits on the receiver (ifindex $PP_RECEIVER_IFINDEX)" "$expected" \
		"$(smoke_proc "$smoke" "eth_type_trans.hits.$PP_RECEIVER_IFINDEX")"
	kh_assert_eq "$k: receiver rx_packets delta" "$expected" $((rx_after - rx_before))
	kh_assert_eq "$k: kprobe nmissed" 0 "$(smoke_proc "$smoke" eth_type_trans.nmissed)"
	kh_assert_eq "$k: /proc/pktpath_smoke mode" "-r--------" "$(cut -c1-10 "$res/kprobe-mode.txt")"
	kh_assert_eq "$k: rmmod exit code" 0 "$(cat "$res/rmmod.rc")"
	kh_assert_cmd "$k: /proc/pktpath_smoke gone after rmmod" test ! -e "$res/proc-after-rmmod.txt"
	kh_assert_cmd "$k: a 4 MiB binary file comes back byte for byte" cmp -s "$SMOKE_WORK/blob.bin" "$res/blob.bin"
	kh_assert_cmd "$k: eth_type_trans is in kallsyms" grep -q '^eth_type_trans eth_type_trans ' "$res/symbols.txt"

	# Facts for the real module (reported, not asserted).
	local tp
	for tp in netif_receive_skb kfree_skb consume_skb; do
		kh_info "$k: tracepoint $tp found=$(smoke_proc "$smoke" "$tp.found") registered=$(smoke_proc "$smoke" "$tp.registered")"
	done
	kh_info "$k: netif_receive_skb tracepoint hits on the receiver: $(smoke_proc "$smoke" "netif_receive_skb.hits.$PP_RECEIVER_IFINDEX")"
	kh_info "$k: eth_type_trans hits on the sender (replies): $(smoke_proc "$smoke" "eth_type_trans.hits.$PP_SENDER_IFINDEX")"
	kh_info "$k: kfree_skb hits $(smoke_proc "$smoke" kfree_skb.hits), consume_skb hits $(smoke_proc "$smoke" consume_skb.hits)"
	kh_info "$k: kfree_skb reasons: $(grep '^kfree_skb.reason.' "$smoke" | sed 's/^kfree_skb.reason.//' | tr '\n' ' ')"
	kh_info "$k: drop reason names $(smoke_proc "$smoke" drop_reasons.names), SKB_DROP_REASON_MAX $(smoke_proc "$smoke" drop_reasons.max)"
	kh_info "$k: symbols: $(awk '{ printf "%s%s", sep, ($2 == "-" ? $1 "=absent" : $2 "(" $4 ")"); sep = " " }' "$res/symbols.txt")"
	kh_info "$k: kprobe hits during the injections (both NICs): $(awk '{ printf "%s%s=%s", sep, $1, $2; sep = " " }' "$res/profile.txt")"
	kh_info "$k: injector $(smoke_kv "$bulk" frames_per_s) frames/s ($bulk_sent frames, $(smoke_kv "$bulk" bytes) bytes in $(smoke_kv "$bulk" elapsed_ns) ns)"
	kh_info "$k: receiver rx_dropped delta $((rx_dropped_after - rx_dropped_before)), sender tx_packets delta $((sender_tx_after - sender_tx_before))"
}
