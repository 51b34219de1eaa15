# shellcheck shell=sh
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
#
# Guest-side helpers of the pktpath kernel harness (busybox ash), at
# /lib/pktpath/lib.sh in the initramfs.  /init sources it; a scenario sources
# it too (". /lib/pktpath/lib.sh") for these functions and variables:
#
#   PP_OUT            /out: everything written there comes back to the host
#   PP_KVER, PP_REL   kernel series (6.1, 6.12) and release (uname -r)
#   PP_SENDER_IF      the sender NIC (no address; AF_PACKET only), e.g. eth0
#   PP_RECEIVER_IF    the receiver NIC: 192.0.2.2/24, 2001:db8::2/64, e.g. eth1
#   PP_SENDER_IFINDEX, PP_RECEIVER_IFINDEX   their ifindex
#   pp_log MSG        a "pktpath-guest:" line on the console
#   pp_wait SECS CMD  retries CMD every 0.1 s until it succeeds or SECS pass
#   pp_stat IF NAME   /sys/class/net/IF/statistics/NAME (rx_packets, ...)
#   pp_kallsyms SYM.. /proc/kallsyms names SYM or SYM.<suffix>, per SYM
#   pp_settle IF      waits until IF receives nothing more; prints rx_packets
#   pp_churn OUT PROC N CYCLE   N load/unload cycles under traffic, counted
PP_OUT=/out
# Written by the host's kh_initramfs_new: PP_KVER, PP_REL, PP_SENDER_MAC,
# PP_RECEIVER_MAC, PP_RECEIVER_IP4, PP_RECEIVER_IP6.
# shellcheck disable=SC1091
[ -f /etc/pktpath/env ] && . /etc/pktpath/env
# Written by pp_net_setup.
# shellcheck disable=SC1091
[ -f /etc/pktpath/net.env ] && . /etc/pktpath/net.env

pp_log() { echo "pktpath-guest: $*" >/dev/console; }

pp_wait() {
	_pp_n=$(($1 * 10))
	shift
	while ! "$@" 2>/dev/null; do
		_pp_n=$((_pp_n - 1))
		[ $_pp_n -gt 0 ] || return 1
		sleep 0.1
	done
}

# The interface whose MAC address is $1 (QEMU's mac= of the NIC).
pp_iface_by_mac() {
	for _pp_d in /sys/class/net/*; do
		[ "$(cat "$_pp_d/address" 2>/dev/null)" = "$1" ] && {
			basename "$_pp_d"
			return 0
		}
	done
	return 1
}

pp_stat() { cat "/sys/class/net/$1/statistics/$2"; }

# The receiver is the only addressed interface.  The sender has IPv6 off
# before it comes up, so it sends nothing on its own (no DAD, router
# solicitation or MLD report): every frame the receiver gets is one a
# scenario sent.  The receiver has DAD off (its address is usable at once,
# and it sends no neighbour solicitation for it).
#
# Replies (RSTs, ICMP errors) leave the receiver and arrive on the sender
# NIC.  So that they are sent at once, without ARP/ND for each source the
# rewriter mapped into 192.0.2.0/24 or 2001:db8::/64, 192.0.2.1 and
# 2001:db8::1 stand for the sender: permanent neighbour entries give them the
# sender's MAC, and two routes of half the prefix each via them, more
# specific than the connected /24 (/64), cover every other address of it.
# (IPv6 checks a gateway against the routes already there, and ::/65 covers
# ::1: a /128 route on the link comes first so ::1 stays on-link.)
# (The rewriter therefore never maps a source to .1, .2, ::1 or ::2.)
# shellcheck disable=SC2153 # PP_RECEIVER_IP4/6 come from /etc/pktpath/env
pp_net_setup() {
	pp_wait 10 pp_iface_by_mac "$PP_SENDER_MAC" >/dev/null || {
		echo "no NIC with MAC $PP_SENDER_MAC"
		return 1
	}
	pp_wait 10 pp_iface_by_mac "$PP_RECEIVER_MAC" >/dev/null || {
		echo "no NIC with MAC $PP_RECEIVER_MAC"
		return 1
	}
	PP_SENDER_IF=$(pp_iface_by_mac "$PP_SENDER_MAC")
	PP_RECEIVER_IF=$(pp_iface_by_mac "$PP_RECEIVER_MAC")
	PP_SENDER_IFINDEX=$(cat "/sys/class/net/$PP_SENDER_IF/ifindex")
	PP_RECEIVER_IFINDEX=$(cat "/sys/class/net/$PP_RECEIVER_IF/ifindex")
	S=$PP_SENDER_IF
	R=$PP_RECEIVER_IF
	# Each step must succeed (no set -e: this runs in PID 1).
	_pp_do sh -c "echo 1 >/proc/sys/net/ipv6/conf/$S/disable_ipv6" &&
		_pp_do sh -c "echo 0 >/proc/sys/net/ipv6/conf/$R/accept_dad" &&
		_pp_do sh -c "echo 0 >/proc/sys/net/ipv6/conf/$R/router_solicitations" &&
		_pp_do ip link set lo up &&
		_pp_do ip link set "$S" up &&
		_pp_do ip link set "$R" up &&
		_pp_do ip addr add "$PP_RECEIVER_IP4/24" dev "$R" &&
		_pp_do ip -6 addr add "$PP_RECEIVER_IP6/64" dev "$R" &&
		_pp_do pktpath-neigh "$R" 192.0.2.1 "$PP_SENDER_MAC" &&
		_pp_do pktpath-neigh "$R" 2001:db8::1 "$PP_SENDER_MAC" &&
		_pp_do ip route add 192.0.2.0/25 via 192.0.2.1 dev "$R" &&
		_pp_do ip route add 192.0.2.128/25 via 192.0.2.1 dev "$R" &&
		_pp_do ip -6 route add 2001:db8::1/128 dev "$R" &&
		_pp_do ip -6 route add 2001:db8::/65 via 2001:db8::1 dev "$R" &&
		_pp_do ip -6 route add 2001:db8::8000:0:0:0/65 via 2001:db8::1 dev "$R" &&
		# The links' carrier comes up asynchronously.
		_pp_do pp_wait 10 grep -qx 1 "/sys/class/net/$S/carrier" &&
		_pp_do pp_wait 10 grep -qx 1 "/sys/class/net/$R/carrier" || return 1
	cat >/etc/pktpath/net.env <<-EOF
		PP_SENDER_IF=$S
		PP_RECEIVER_IF=$R
		PP_SENDER_IFINDEX=$PP_SENDER_IFINDEX
		PP_RECEIVER_IFINDEX=$PP_RECEIVER_IFINDEX
	EOF
	cp /etc/pktpath/net.env "$PP_OUT/net.env"
	{
		ip addr
		ip route
		ip -6 route
		ip neigh
	} >"$PP_OUT/net.txt" 2>&1
}

_pp_do() {
	"$@" || {
		echo "failed: $*"
		return 1
	}
}

# Every name in /proc/kallsyms that is one of the arguments, or one of them
# with a compiler suffix (.constprop.0, .isra.0, .part.0, .cold), as lines
# "ASKED NAME TYPE", and "ASKED -" for one not there (one pass: reading
# kallsyms takes seconds under TCG).
pp_kallsyms() {
	awk -v want="$*" '
		BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) asked[w[i]] = 1 }
		{ b = $3; sub(/\..*/, "", b); if (b in asked) { seen[b] = 1; print b, $3, $2 } }
		END { for (i = 1; i <= n; i++) if (!(w[i] in seen)) print w[i], "-" }
	' /proc/kallsyms | sort -u
}

# Waits until interface $1's rx_packets has not moved for 0.6 s (frames in
# flight through the hub and the receiver's NAPI poll have landed), at most
# ${2:-20} s; prints the final count.
pp_settle() {
	_pp_last=-1
	_pp_same=0
	_pp_n=$((${2:-20} * 5))
	while [ $_pp_n -gt 0 ]; do
		_pp_now=$(pp_stat "$1" rx_packets)
		if [ "$_pp_now" = "$_pp_last" ]; then
			_pp_same=$((_pp_same + 1))
			[ $_pp_same -ge 3 ] && break
		else
			_pp_same=0
		fi
		_pp_last=$_pp_now
		_pp_n=$((_pp_n - 1))
		sleep 0.2
	done
	echo "$_pp_now"
}

# Calls the function $4 (one load, use and unload of a module; its argument
# is the cycle's number) $3 times, under traffic the caller runs; writes
# "cycles=N ok=K" to $1/churn.txt, and $1/proc-after.txt when the module's
# proc directory $2 outlived the last unload.
pp_churn() {
	_pp_i=0
	_pp_ok=0
	while [ $_pp_i -lt "$3" ]; do
		"$4" $_pp_i && _pp_ok=$((_pp_ok + 1))
		_pp_i=$((_pp_i + 1))
	done
	echo "cycles=$_pp_i ok=$_pp_ok" >"$1/churn.txt"
	[ -e "$2" ] && echo present >"$1/proc-after.txt"
	return 0
}
