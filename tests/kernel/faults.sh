#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
#
# CTest kernel.faults: lib.sh's kh_oops and kh_emulator_fault on console logs
# shaped as kh_boot writes them (no QEMU).  run.sh boots a guest again only
# when kh_emulator_fault holds, so an oops the guest's own code can cause must
# never pass for a QEMU fault.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/kernel/lib.sh
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# console FLAGS: a log whose oops frame has EFLAGS FLAGS (a NULL write in
# net_rx_action, from the softirq a sendto ran), then the user frame.
console() {
	cat <<EOF
[    4.102] pktpath-guest: scenario start
[   27.888] [   27.392181] BUG: kernel NULL pointer dereference, address: 0000000000000008
[   27.888] [   27.392190] #PF: supervisor write access in kernel mode
[   27.892] [   27.400879] Oops: Oops: 0002 [#1] PREEMPT SMP NOPTI
[   27.895] [   27.403104] RIP: 0010:net_rx_action+0xec/0x420
[   27.895] [   27.404985] RSP: 0018:ffffc90000003ea0 EFLAGS: $1
[   27.895] [   27.405127] RAX: 0000000000000000 RBX: ffff88801f237340 RCX: ffff8880054fd808
[   27.896] [   27.406598] Call Trace:
[   27.896] [   27.407666]  <IRQ>
[   27.896] [   27.408637]  ? __napi_schedule+0xa2/0xc0
[   27.896] [   27.409002]  handle_softirqs+0xd0/0x2c0
[   27.896] [   27.409268]  do_softirq.part.0+0x3b/0x60
[   27.896] [   27.409801]  </IRQ>
[   27.896] [   27.410128]  __dev_queue_xmit+0x608/0xf70
[   27.897] [   27.414344] RIP: 0033:0x446009
[   27.897] [   27.415309] RSP: 002b:00007ffdc4d00888 EFLAGS: 00000246 ORIG_RAX: 000000000000002c
[   27.897] [   27.417457] ---[ end trace 0000000000000000 ]---
[   27.897] [   27.417800] RIP: 0010:net_rx_action+0xec/0x420
[   27.897] [   27.418249] RSP: 0018:ffffc90000003ea0 EFLAGS: 00000000
[   27.898] [   27.419665] Kernel panic - not syncing: Fatal exception in interrupt
EOF
}

pass=0 fail=0
check() { # check DESC EXPECTED-RC FLAGS
	local rc=0 out
	console "$3" >"$tmp/console.log"
	out=$(kh_emulator_fault "$tmp/console.log") || rc=$?
	if [ "$rc" -eq "$2" ]; then
		pass=$((pass + 1))
		printf '  ok    %s (EFLAGS %s)%s\n' "$1" "$3" "${out:+: $out}"
	else
		fail=$((fail + 1))
		printf '  FAIL  %s (EFLAGS %s): exit %s, expected %s\n' "$1" "$3" "$rc" "$2"
	fi
}

# Frames a processor can push: a guest fault, never retried.
check "a plain kernel fault" 1 00010246
check "interrupts off, carry and sign set" 1 00000083
check "every flag a processor can set" 1 003f7fd7
# Frames none can push.
check "pointer bits over the flags (seen under TCG)" 0 05705483
check "reserved bit 3" 0 0000024e
check "reserved bit 5" 0 00000266
check "reserved bit 15" 0 00008246
check "reserved bit 22" 0 00400246
check "bit 1 clear" 0 00000244

# The brief: the report's first line, the kernel frame, frames without '?',
# nothing after the end of the trace.
console 00010246 >"$tmp/console.log"
brief=$(kh_oops "$tmp/console.log")
want='BUG: kernel NULL pointer dereference, address: 0000000000000008
Oops: Oops: 0002 [#1] PREEMPT SMP NOPTI
RIP: 0010:net_rx_action+0xec/0x420
RSP: 0018:ffffc90000003ea0 EFLAGS: 00010246
 handle_softirqs+0xd0/0x2c0
 do_softirq.part.0+0x3b/0x60
 __dev_queue_xmit+0x608/0xf70
RIP: 0033:0x446009
RSP: 002b:00007ffdc4d00888 EFLAGS: 00000246 ORIG_RAX: 000000000000002c'
if [ "$brief" = "$want" ]; then
	pass=$((pass + 1))
	echo "  ok    kh_oops: the report's brief"
else
	fail=$((fail + 1))
	printf '  FAIL  kh_oops: got\n%s\n' "$brief"
fi

# No oops: nothing to report, no fault.
printf '[    4.102] pktpath-guest: scenario start\n[    9.000] pktpath-guest: results written\n' >"$tmp/console.log"
if [ -z "$(kh_oops "$tmp/console.log")" ] && ! kh_emulator_fault "$tmp/console.log" >/dev/null; then
	pass=$((pass + 1))
	echo "  ok    a clean console: no oops, no fault"
else
	fail=$((fail + 1))
	echo "  FAIL  a clean console reported an oops or a fault"
fi

printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
