# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
#
# Host side of the module test (tests/kernel/kmod), sourced by run.sh: builds
# pktpath_kmod.ko against each kernel's headers from the dkms layout
# (examples/kernel with the library's include/ beside it), the guest's
# static helpers (pktpath-ktool, pktpath-kstat) and the host's
# (pktpath-kmodtest, pktpath-kstat), and makes every assertion on what the
# guest brings back (guest.sh describes the phases).  The expected counts
# come from the userspace library on the very captures the guest sent:
# pktpath-kmodtest expect builds the table image the module should have
# left, and pktpath-kstat reads both it and the module's files.
#
# PKTPATH_KMOD_BREAK=1 adds one frame to what the main phase expects: that
# run must fail (the assertions can fail).

KM_DIR=$KH_LIB_DIR/kmod
KM_PASSES=${PKTPATH_KMOD_PASSES:-4}
KM_CHURN=${PKTPATH_KMOD_CHURN:-20}
# The guest runs 60-90 s on an idle host (README.md's figures); a busy one (CI's parallel tests) stretches it.
KH_TIMEOUT=600

scenario_setup() {
	# The drop samples are read back by other tools than the project's.
	kh_deps tcpdump tshark
	local bin=$KH_CACHE/bin
	KM_DATA=$KH_CACHE/kmod
	mkdir -p "$bin" "$KM_DATA"
	KM_TOOL=$bin/pktpath-kmodtest
	KM_KTOOL=$bin/pktpath-ktool
	KM_KSTAT=$bin/pktpath-kstat
	kh_lock
	kh_build "$KM_TOOL" "$KM_DIR/kmodtest.cpp" g++ -std=c++17 -O2 -Wall -Wextra -Werror -I "$KH_REPO/include" \
		-o "$KM_TOOL" "$KM_DIR/kmodtest.cpp"
	kh_build "$KM_KTOOL" "$KM_DIR/ktool.c" gcc -static -std=gnu11 -O2 -Wall -Wextra -Werror -o "$KM_KTOOL" \
		"$KM_DIR/ktool.c"
	# Static: the same binary reads the guest's /proc/pktpath and, on the host, the copies.
	kh_build "$KM_KSTAT" "$KH_REPO/examples/kstat.cpp" g++ -static -std=c++17 -O2 -Wall -Wextra -Werror \
		-I "$KH_REPO/include" -o "$KM_KSTAT" "$KH_REPO/examples/kstat.cpp" -pthread
	kh_unlock
	kh_rewrite "$KH_REPO/examples/captures/mix.pcap" "$KM_DATA/mix.pcap" --stats "$KM_DATA/mix.pcap.stats"
	KM_FRAMES=$(sed -n 's/^written=//p' "$KM_DATA/mix.pcap.stats")
	"$KM_TOOL" losses "$KM_DATA/losses.pcap" || kh_die "writing the losses capture failed"
	# The expected images, one per phase, from the library on the same captures.
	local mix=$KM_DATA/mix.pcap
	"$KM_TOOL" expect "$KM_DATA/main.img" "$mix:$KM_PASSES" &&
		"$KM_TOOL" expect --promisc "$KM_DATA/losses.img" "$KM_DATA/losses.pcap" &&
		"$KM_TOOL" expect --capacity 4 "$KM_DATA/overflow.img" "$mix" &&
		"$KM_TOOL" expect --stages eth_type_trans,netif_receive_skb,ip_rcv,udp_rcv --filter proto=udp \
			"$KM_DATA/missing.img" "$mix" &&
		"$KM_TOOL" expect --stages eth_type_trans,napi_gro_receive "$KM_DATA/identical.img" "$mix" ||
		kh_die "computing the expected images failed"
	for p in main losses overflow missing identical; do
		"$KM_KSTAT" --image "$KM_DATA/$p.img" --json --top all >"$KM_DATA/$p.expected.json" ||
			kh_die "pktpath-kstat cannot read the expected $p image"
	done
}

scenario_prepare() {
	local work=$1
	kh_module_build "$KH_REPO/examples/kernel" "$work/module"
	kh_initramfs_file "$work/module/pktpath_kmod.ko" /scenario/pktpath_kmod.ko
	kh_initramfs_file "$KM_DATA/mix.pcap" /scenario/mix.pcap
	kh_initramfs_file "$KM_DATA/losses.pcap" /scenario/losses.pcap
	kh_initramfs_file "$KM_KTOOL" /bin/pktpath-ktool 0755
	kh_initramfs_file "$KM_KSTAT" /bin/pktpath-kstat 0755
	printf 'PASSES=%s\nCHURN=%s\n' "$KM_PASSES" "$KM_CHURN" >"$work/kmod.env"
	kh_initramfs_file "$work/kmod.env" /scenario/kmod.env
}

km_kv() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -n1; }

# km_json PHASE: the module's files of a phase through pktpath-kstat.
km_json() {
	"$KM_KSTAT" --dir "$KM_RES/$1" --json --top all >"$KM_RES/$1/kstat.json" 2>"$KM_RES/$1/kstat.err"
}

# km_check ARGS...: tests/kernel/kmod/checks.py; its lines are the assertion's detail.
km_check() { python3 "$KM_DIR/checks.py" "$@"; }

# km_assert DESC ARGS...: one assertion made by checks.py (its output is shown on failure).
km_assert() {
	local desc=$1 out
	shift
	if out=$(km_check "$@" 2>&1); then
		kh_pass "$desc: $(tail -n1 <<<"$out")"
	else
		kh_fail "$desc"
		printf '%s\n' "$out" | head -n 20 | sed 's/^/        /'
	fi
}

scenario_check() {
	local res=$1 k=$KH_KVER p
	KM_RES=$res
	for p in main losses overflow missing identical samples; do
		kh_assert_cmd "$k: pktpath-kstat reads the $p phase's files" km_json "$p"
	done

	km_assert "$k: pktpath-kstat --json of every phase against docs/schema/pktpath-kstat-1.schema.json" \
		schema "$KH_REPO/docs/schema/pktpath-kstat-1.schema.json" "$res"/{main,losses,overflow,missing,identical,samples}/kstat.json

	# Attachment: every default probe point attached; which symbol each one took.
	km_assert "$k: every default probe point attached" attached "$res/main/kstat.json"
	kh_info "$k: attached: $(km_check points "$res/main/kstat.json")"
	kh_info "$k: missing phase: $(km_check points "$res/missing/kstat.json")"
	kh_assert_eq "$k: the kprobe on __netif_receive_skb_core took the name kallsyms has" \
		"$(awk '$1 == "__netif_receive_skb_core" { print $2 }' "$res/kallsyms.txt" | paste -sd' ')" \
		"$(km_check symbol "$res/missing/kstat.json" netif_receive_skb)"

	# Main: mix.pcap PASSES times; per flow and stage, what the library computes from the same file.
	local sent rx
	sent=$(km_kv "$res/main/inject.txt" sent)
	rx=$(cat "$res/main/rx.txt")
	kh_assert_eq "$k: main: frames injected" $((KM_PASSES * KM_FRAMES)) "$sent"
	kh_assert_eq "$k: main: receiver rx_packets delta" "$sent" "$rx"
	kh_assert_eq "$k: main: frames counted at eth_type_trans" $((sent + ${PKTPATH_KMOD_BREAK:-0})) \
		"$(km_check total "$res/main/kstat.json" eth_type_trans)"
	km_assert "$k: main: per flow and stage, packets as the capture implies (bytes at the L2 stages)" \
		compare "$KM_DATA/main.expected.json" "$res/main/kstat.json" \
		--bytes eth_type_trans,napi_gro_receive --break "${PKTPATH_KMOD_BREAK:-0}"
	km_assert "$k: main: nothing missed or skipped" clean "$res/main/kstat.json"
	km_assert "$k: main: per flow, wire = dropped with a reason + consumed" conserve "$res/main/kstat.json"
	kh_info "$k: main: $(km_check reasons "$res/main/kstat.json")"

	# Losses provoked on purpose: the right stage and the right reason, every frame accounted for.
	kh_assert_eq "$k: losses: frames injected" "$(km_kv "$res/losses/inject.txt" sent)" "$(cat "$res/losses/rx.txt")"
	km_assert "$k: losses: per flow and stage as the capture implies" \
		compare "$KM_DATA/losses.expected.json" "$res/losses/kstat.json" --bytes eth_type_trans,napi_gro_receive
	km_assert "$k: losses: per flow, wire = dropped with a reason + consumed" conserve "$res/losses/kstat.json"
	local loss
	while read -r loss; do
		# shellcheck disable=SC2086 # FLOW STAGE REASON COUNT, one a word
		km_assert "$k: losses: $loss" loss "$res/losses/kstat.json" $loss
	done <<-EOF
		udp|192.0.2.10:4000|>|192.0.2.2:5001 udp_rcv none 20
		udp|[2001:db8::11]:4007|>|[2001:db8::2]:5001 udpv6_rcv none 20
		udp|192.0.2.11:4001|>|192.0.2.2:5003 udp_rcv NO_SOCKET 20
		udp|[2001:db8::10]:4006|>|[2001:db8::2]:5003 udpv6_rcv NO_SOCKET 20
		udp|192.0.2.12:4002|>|192.0.2.2:5001 udp_rcv UDP_CSUM 20
		udp|192.0.2.13:4003|>|192.0.2.2:5001 ip_rcv IP_CSUM 20
		udp|192.0.2.14:4004|>|192.0.2.2:5002 udp_rcv SOCKET_RCVBUFF some
		udp|192.0.2.15:4005|>|192.0.2.2:5001 ip_rcv OTHERHOST 20
		tcp|192.0.2.18:4008|>|192.0.2.2:5004 tcp_v4_rcv NO_SOCKET 40
	EOF
	# GRO merged the TCP stream: its frames are still counted one by one (gso_segs), at every stage.
	km_assert "$k: losses: GRO merged frames, counted by segment" gro "$res/losses/kstat.json" netif_receive_skb
	km_assert "$k: losses: GRO merged frames, counted by segment" gro "$res/losses/kstat.json" tcp_v4_rcv
	kh_info "$k: losses: $(km_check reasons "$res/losses/kstat.json")"

	# The losses' drop samples, drained into pcapng and read back by tcpdump and tshark.
	local dump=$res/losses/dump.txt
	kh_assert_eq "$k: losses: the sample ring dropped nothing" 0 "$(km_kv "$dump" ring_drops)"
	kh_assert_eq "$k: losses: samples drained = the module's samples written = packets tcpdump reads back" \
		"$(km_kv "$dump" written) $(km_kv "$dump" written)" \
		"$(sed -n 's/^samples .* written=\([0-9]*\) .*/\1/p' "$res/losses/status") $(tcpdump -nn -r "$res/losses/samples.pcapng" 2>/dev/null | wc -l)"
	# Frames the holding socket still queued are freed when it closes (NOT_SPECIFIED, in udp_destruct_common):
	# in process context, long after their softirq, so no stage is known for them.
	kh_assert_eq "$k: losses: the library's reader reads the pcapng back, every frame with its flow key" \
		"format=pcapng frames=$(km_kv "$dump" written) ok=$(km_kv "$dump" written)" \
		"$("$KM_TOOL" read "$res/losses/samples.pcapng")"
	km_assert "$k: losses: drop samples per flow and reason (tshark) = the drop table's, each at its flow's last stage" \
		samples "$res/losses/kstat.json" "$res/losses/samples.pcapng" --unstaged NOT_SPECIFIED

	# No reader: the ring keeps its first 64 samples and counts every later one as a drop.
	local provoked cap=64
	provoked=$(tcpdump -nn -r "$KM_DATA/losses.pcap" "ether dst $KH_RECEIVER_MAC and udp" 2>/dev/null | wc -l)
	dump=$res/samples/dump.txt
	kh_assert_eq "$k: samples: UDP frames for the receiver in losses.pcap (tcpdump) = frames the kernel dropped" \
		"$provoked" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["dropped"])' "$res/samples/kstat.json")"
	kh_assert_eq "$k: samples: ring drops = provoked - capacity, in the status and as drained" \
		"$((provoked - cap)) $((provoked - cap))" \
		"$(sed -n 's/^samples .* drops=\([0-9]*\)$/\1/p' "$res/samples/status") $(km_kv "$dump" ring_drops)"
	kh_assert_eq "$k: samples: drained, as pcap" "written=$cap capacity=$cap format=pcap" \
		"written=$(km_kv "$dump" written) capacity=$(km_kv "$dump" capacity) format=$(km_kv "$dump" format)"
	# Drops come in the order the stack reaches them, not the wire's (a batch's IP_CSUM frames fall in
	# ip_rcv before its UDP_CSUM ones reach udp_rcv): within a flow, the wire's.
	km_assert "$k: samples: the pcap holds $cap provoked frames byte for byte, per flow its first ones in order" \
		kept "$res/samples/samples.pcap" "$KM_DATA/losses.pcap" $cap
	kh_assert_eq "$k: samples: tcpdump and the library's reader read the pcap" "$cap format=pcap-nsec frames=$cap ok=$cap" \
		"$(tcpdump -nn -r "$res/samples/samples.pcap" 2>/dev/null | wc -l) $("$KM_TOOL" read "$res/samples/samples.pcap")"

	# A full table keeps counting in its overflow row.
	km_assert "$k: overflow: capacity 4, the rest in the overflow row, as the library's table does it" \
		compare "$KM_DATA/overflow.expected.json" "$res/overflow/kstat.json" --overflow
	# A probe on a missing function is reported; the others count.
	km_assert "$k: missing: pktpath_no_such_function reported, every other point attached" \
		missing "$res/missing/kstat.json" pktpath_no_such_function
	km_assert "$k: missing: the other probes count as the capture implies (filter proto=udp)" \
		compare "$KM_DATA/missing.expected.json" "$res/missing/kstat.json"
	# Same frames, same keys, same image: byte for byte.
	kh_assert_cmd "$k: identical: the module's image is the library's, byte for byte ($(stat -c %s "$res/identical/image") bytes)" \
		cmp -s "$KM_DATA/identical.img" "$res/identical/image"

	# Paused: seen and reported as not counted, the image unchanged.
	kh_assert_cmd "$k: paused: the image did not change" cmp -s "$res/identical/image" "$res/identical/paused.image"
	kh_assert_eq "$k: paused: frames at eth_type_trans reported as not counted (disabled)" "$KM_FRAMES" \
		"$(sed -n 's/^stage 0 eth_type_trans .* disabled=\([0-9]*\) .*/\1/p' "$res/identical/paused.status")"

	# Files: root only; a bad command is refused.
	kh_assert_eq "$k: image, drops, status, samples mode" "-r-------- -r-------- -r-------- -rw-------" \
		"$(awk '$NF == "image" || $NF == "drops" || $NF == "status" { printf "%s%s", sep, $1; sep = " " }
			$NF == "samples" { s = $1 } END { print " " s }' "$res/main/ls.txt")"
	kh_assert_eq "$k: control mode" "--w-------" "$(awk '$NF == "control" { print $1 }' "$res/main/ls.txt")"
	kh_assert_eq "$k: uid 65534 cannot open image, drops, status, samples or control" \
		"image open errno=13 (Permission denied)|drops open errno=13 (Permission denied)|status open errno=13 (Permission denied)|samples open errno=13 (Permission denied)|control open errno=13 (Permission denied)" \
		"$(paste -sd'|' "$res/nonroot.txt")"
	kh_assert_eq "$k: the samples map shared for root, not for uid 65534" \
		"0 open ok mmap ok|65534 open errno=13 (Permission denied)" "$(sed 's/ *$//' "$res/mmap.txt" | paste -sd'|')"
	kh_assert_eq "$k: bad control commands are refused" "bogus=1 bad_filter=1" "$(paste -sd' ' "$res/control.txt")"

	# The live view in the guest.
	kh_assert_eq "$k: live: pktpath-kstat --interval 1 --count 3 exit code" 0 "$(cat "$res/live/kstat.rc")"
	kh_assert_eq "$k: live: intervals printed" 3 "$(grep -c ': interval [0-9]*, the last 1 s' "$res/live/interval.txt")"

	# Load and unload under traffic.
	kh_assert_eq "$k: churn: loads and unloads under traffic" "cycles=$KM_CHURN ok=$KM_CHURN" \
		"$(cat "$res/churn/churn.txt")"
	kh_assert_cmd "$k: churn: /proc/pktpath gone after the last unload" test ! -e "$res/churn/proc-after.txt"
	kh_assert_eq "$k: rmmod exit codes (live, overflow, missing, identical, samples)" "0 0 0 0 0" "$(cat "$res"/{live,overflow,missing,identical,samples}/rmmod.rc 2>/dev/null | paste -sd' ')"
}
