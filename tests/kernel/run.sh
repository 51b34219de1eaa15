#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
#
# pktpath kernel tests: boots Debian's 6.1 and 6.12 kernels in QEMU (TCG, no
# KVM; NICs on an internal hub, no uplink), runs a guest scenario with an
# out-of-tree module built against each kernel's headers, and checks its
# results on the host.  Nothing is ever loaded into the host kernel.
#
#   tests/kernel/run.sh [--kernel 6.1|6.12|all] [--scenario DIR] [--keep]
#
#   --kernel    which kernel series (default all: 6.1 then 6.12)
#   --scenario  a scenario directory with guest.sh and host.sh (default
#               tests/kernel/kmod, the module's test; README.md has the interface)
#   --keep      keep each kernel's work directory (initramfs tree, results
#               disk, console log) also when every check passed; on a
#               failure it is always kept
#
# Environment: PKTPATH_KERNEL_CACHE (default <repo>/build-kernel) holds the
# fetched images, the built helpers and the work directories; KH_TIMEOUT,
# KH_MEM, KH_SMP, KH_OUT_SIZE, KH_APPEND_EXTRA tune the guest, and
# KH_FAULT_RETRIES bounds the boots again after a QEMU fault (lib.sh).
# Installs the Debian packages it needs when missing (as root, or with
# passwordless sudo); exits 77 (skipped) when it cannot.  Exit 0 only when
# every assertion held.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/kernel/lib.sh
. "$here/lib.sh"

usage() {
	{
		echo "usage:"
		sed -n 's/^#   \{0,1\}//p' "$0" | sed -n '/^tests\/kernel\/run.sh/,/^$/p'
	} >&2
	exit 2
}

kernels=(6.1 6.12)
scenario=$here/kmod
keep=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel)
		[ $# -ge 2 ] || usage
		case "$2" in
		all) kernels=(6.1 6.12) ;;
		6.1 | 6.12) kernels=("$2") ;;
		*) usage ;;
		esac
		shift 2
		;;
	--scenario)
		[ $# -ge 2 ] || usage
		scenario=$(cd "$2" && pwd)
		shift 2
		;;
	--keep)
		keep=1
		shift
		;;
	*) usage ;;
	esac
done
if [ ! -f "$scenario/guest.sh" ] || [ ! -f "$scenario/host.sh" ]; then
	kh_die "$scenario needs guest.sh and host.sh"
fi

start=$SECONDS
# shellcheck disable=SC2119 # extra packages are optional arguments
kh_deps
kh_tools
# shellcheck source=tests/kernel/kmod/host.sh
. "$scenario/host.sh"
if declare -F scenario_setup >/dev/null; then scenario_setup; fi

name=$(basename "$scenario")
timings=()
for kver in "${kernels[@]}"; do
	echo "=== kernel $kver: $name"
	t_kernel=$SECONDS
	kh_kernel "$kver"
	work=$KH_CACHE/work/$KH_REL/$name
	rm -rf "$work"
	mkdir -p "$work"
	kh_initramfs_new "$work/initramfs"
	# NIC and results-disk drivers (and what they depend on), when modules.
	kh_initramfs_kmod virtio_pci virtio_net virtio_blk
	kh_initramfs_scenario "$scenario"
	scenario_prepare "$work"
	kh_initramfs_pack "$work/initramfs.cpio.gz"
	kh_log "guest modules: ${KH_KMODS[*]}"
	fail_before=$KH_FAIL
	# A guest that QEMU itself corrupted (kh_emulator_fault) boots again, at
	# most KH_FAULT_RETRIES times; every check runs on the run that had none.
	faults=0
	while :; do
		booted=0
		kh_boot "$work/initramfs.cpio.gz" "$work" && booted=1
		fault=$(kh_emulator_fault "$work/console.log") || break
		faults=$((faults + 1))
		mv "$work/console.log" "$work/console.fault$faults.log"
		kh_info "$kver: QEMU fault $faults, the guest's run discarded: $fault ($work/console.fault$faults.log)"
		if [ "$faults" -gt "$KH_FAULT_RETRIES" ]; then
			kh_fail "$kver: QEMU faulted on all $faults runs"
			booted=-1
			break
		fi
	done
	if [ "$booted" = 1 ]; then
		res=$work/results
		guest_rc=$(cat "$res/guest.rc")
		kh_assert_eq "$kver: guest exit code" 0 "$guest_rc"
		kh_assert_cmd "$kver: every guest module loaded" \
			test "$(grep -c ' ok$' "$res/kmods.txt")" -eq "${#KH_KMODS[@]}"
		kh_assert_eq "$kver: guest kernel release" "$KH_REL" "$(cut -d' ' -f3 "$res/uname.txt")"
		kh_check_dmesg "$res/dmesg.txt"
		if [ "$guest_rc" = 0 ]; then
			scenario_check "$res"
		else
			kh_fail "$kver: no scenario checks (guest exit code $guest_rc)"
			tail -n 20 "$res"/net-setup.log "$res"/scenario.log 2>/dev/null || true
		fi
		kh_info "$kver: boot to /init $KH_INIT_SECONDS s (host clock), kernel uptime at /init $(cat "$res/init-uptime") s; scenario $KH_SCENARIO_SECONDS s; QEMU ran $KH_BOOT_SECONDS s; module build $KH_MODULE_SECONDS s"
	elif [ "$booted" = 0 ]; then
		kh_fail "$kver: the guest run did not complete (see $work/console.log)"
		kh_oops "$work/console.log" | sed 's/^/        /'
	fi
	timings+=("$kver: $((SECONDS - t_kernel)) s in all (fetch, build, boot, checks)")
	if [ "$KH_FAIL" -eq "$fail_before" ] && [ $keep -eq 0 ] && [ "$faults" -eq 0 ]; then
		rm -rf "$work"
	else
		kh_log "kept $work"
	fi
done

echo "=== timings"
printf '  %s\n' "${timings[@]}"
echo "  total: $((SECONDS - start)) s"
kh_summary
