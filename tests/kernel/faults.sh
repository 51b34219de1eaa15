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

# fault_of LOG: whose fault kh_emulator_fault finds in LOG, qemu or guest.
fault_of() { if kh_emulator_fault "$1" >/dev/null; then echo qemu; else echo guest; fi; }
# check DESC WHOSE FLAGS: a console whose oops frame has FLAGS is WHOSE fault.
check() {
	console "$3" >"$tmp/console.log"
	kh_assert_eq "$1 (EFLAGS $3): the fault is" "$2" "$(fault_of "$tmp/console.log")"
}

# Frames a processor can push: a guest fault, never retried.
check "a plain kernel fault" guest 00010246
check "interrupts off, carry and sign set" guest 00000083
check "every flag a processor can set" guest 003f7fd7
# Frames none can push.
check "pointer bits over the flags (seen under TCG)" qemu 05705483
check "reserved bit 3" qemu 0000024e
check "reserved bit 5" qemu 00000266
check "reserved bit 15" qemu 00008246
check "reserved bit 22" qemu 00400246
check "bit 1 clear" qemu 00000244
# The evidence run.sh reports for a QEMU fault.
console 05705483 >"$tmp/console.log"
kh_assert_eq "the evidence of a QEMU fault" \
	'EFLAGS 05705483 in the exception frame of "BUG: kernel NULL pointer dereference, address: 0000000000000008" at net_rx_action+0xec/0x420' \
	"$(kh_emulator_fault "$tmp/console.log")"

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
kh_assert_eq "kh_oops: the report's brief" "$want" "$brief"

# No oops: nothing to report, nothing of QEMU's.
printf '[    4.102] pktpath-guest: scenario start\n[    9.000] pktpath-guest: results written\n' >"$tmp/console.log"
kh_assert_eq "a clean console: no oops" "" "$(kh_oops "$tmp/console.log")"
kh_assert_eq "a clean console: the fault is" guest "$(fault_of "$tmp/console.log")"

kh_summary
