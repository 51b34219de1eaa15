# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
#
# Host side of the pktpath QEMU kernel harness, sourced by run.sh (and by any
# other test that boots a Debian kernel the same way).  Every function is
# prefixed kh_; every variable it sets is prefixed KH_.
#
# The flow for one kernel (run.sh does exactly this):
#
#   kh_deps                           install what is missing, or skip (77)
#   kh_kernel 6.1                     resolve headers + image, fetch the image
#   kh_module_build SRC DIR           build an out-of-tree module for it
#   kh_initramfs_new DIR              start an initramfs tree (busybox, /init)
#   kh_initramfs_kmod virtio_net      a module of the image, with its deps
#   kh_initramfs_file SRC DEST        any other file (helpers, captures)
#   kh_initramfs_scenario DIR         the guest scenario (guest.sh + files)
#   kh_initramfs_pack OUT             cpio.gz
#   kh_boot INITRD WORK               run the guest, unpack its results
#   kh_check_dmesg FILE ...           assertions (kh_assert_*)
#   kh_summary                        "N passed, N failed"; status
#
# Hard rules this file enforces: kernel code only ever runs inside a QEMU
# guest under TCG (-accel tcg; nothing is loaded into the host kernel), and
# the guest's NICs sit on an internal QEMU hub with no uplink (no user-mode
# networking, no tap).  All packages come from Debian through apt-get.

KH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KH_REPO=$(cd "$KH_LIB_DIR/../.." && pwd)
KH_CACHE=${PKTPATH_KERNEL_CACHE:-$KH_REPO/build-kernel}
KH_PASS=0
KH_FAIL=0
KH_FAILED=()

# Fixed MAC addresses of the two guest NICs (QEMU's locally administered
# 52:54:00 prefix).  The guest finds its interfaces by these, not by name, and
# the rewriter writes them into every frame it rewrites.
KH_SENDER_MAC=52:54:00:00:00:01
KH_RECEIVER_MAC=52:54:00:00:00:02
KH_RECEIVER_IP4=192.0.2.2
KH_RECEIVER_IP6=2001:db8::2

# Guest size and limits; a caller may override any of them before kh_boot.
KH_MEM=${KH_MEM:-512M}
KH_SMP=${KH_SMP:-1}
KH_TIMEOUT=${KH_TIMEOUT:-180}   # seconds for one boot, scenario included
KH_FAULT_RETRIES=${KH_FAULT_RETRIES:-2} # boots again after a QEMU fault (run.sh)
KH_OUT_SIZE=${KH_OUT_SIZE:-64M} # the results disk (see kh_boot)
KH_APPEND_EXTRA=${KH_APPEND_EXTRA:-}
KH_PVH=${KH_PVH:-1}             # 1: boot the uncompressed ELF (kh_vmlinux)
# More QEMU options, one a word: tests/kernel/perf adds "-icount shift=0,sleep=off"
# (the guest's clock counts its instructions, whatever the host's load).
KH_QEMU_EXTRA=${KH_QEMU_EXTRA:-}

kh_log() { printf 'pktpath-kernel: %s\n' "$*" >&2; }
# kh_lock / kh_unlock: one harness at a time fetches images or builds the
# helpers in a cache (two runs may share one, e.g. under ctest -j).
kh_lock() {
	mkdir -p "$KH_CACHE"
	exec {KH_LOCK_FD}>"$KH_CACHE/.lock"
	flock "$KH_LOCK_FD"
}
kh_unlock() { exec {KH_LOCK_FD}>&-; }

kh_die() {
	kh_log "error: $*"
	exit 1
}
# Exit code 77 is "skipped" for CTest (SKIP_RETURN_CODE) and automake.
kh_skip() {
	kh_log "SKIP: $*"
	exit 77
}

# Elapsed seconds with millisecond resolution since kh_t0 was last called
# (bash 5's EPOCHREALTIME, no subprocess).
kh_t0() { KH_T0=${EPOCHREALTIME/[.,]/}; }
kh_elapsed() {
	local now=${EPOCHREALTIME/[.,]/}
	local us=$((now - KH_T0))
	printf '%d.%03d' $((us / 1000000)) $((us % 1000000 / 1000))
}

# ---------------------------------------------------------------- packages

# The Debian packages the harness needs, as package:command-or-file pairs
# (checked by dpkg-query; the second field is only for the message).  The
# kernel images are not here: kh_kernel fetches them with apt-get download
# and never installs one.  Installing linux-headers-6.12-amd64 pulls in the
# 6.12 image package as a Depends; nothing boots it.
KH_DEPS=(qemu-system-x86 busybox-static cpio xz-utils zstd kmod util-linux gcc g++ make libc6-dev
	linux-headers-amd64 linux-headers-6.12-amd64)

# kh_deps [PACKAGE...]: KH_DEPS and any extra packages a scenario needs.
kh_deps() {
	local missing=() p
	for p in "${KH_DEPS[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -ne 0 ]; then
		local sudo=()
		if [ "$(id -u)" -ne 0 ]; then
			if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
				sudo=(sudo -n)
			else
				kh_skip "missing packages ${missing[*]} and not root (no passwordless sudo) to install them"
			fi
		fi
		kh_log "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		"${sudo[@]}" apt-get update -qq || kh_skip "apt-get update failed"
		"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
			kh_skip "apt-get install ${missing[*]} failed"
	fi
	command -v qemu-system-x86_64 >/dev/null || kh_skip "qemu-system-x86_64 not found"
	[ -x /bin/busybox ] || kh_skip "/bin/busybox (busybox-static) not found"
}

# ----------------------------------------------------------------- kernels

# kh_kernel 6.1|6.12
# Resolves the kernel series to the headers installed for it, then fetches the
# image package of exactly that version into the cache and extracts it.  Sets:
#   KH_KVER     the series asked for (6.1, 6.12)
#   KH_REL      the release string (uname -r): 6.1.0-57-amd64, 6.12.117+deb12-amd64
#   KH_KDIR     /usr/src/linux-headers-$KH_REL (make -C $KH_KDIR M=... modules)
#   KH_IMG      the extracted image package (boot/, lib/modules/$KH_REL/)
#   KH_VMLINUZ  the image's bzImage
#   KH_BOOT_KERNEL  what kh_boot gives QEMU's -kernel: the bzImage, or with
#               KH_PVH=1 (default) its uncompressed ELF (kh_vmlinux)
#   KH_MODROOT  $KH_IMG/lib/modules/$KH_REL
kh_kernel() {
	KH_KVER=$1
	KH_MODULE_SECONDS=-
	local meta
	case "$KH_KVER" in
	6.1) meta=linux-headers-amd64 ;; # bookworm's default series
	6.12) meta=linux-headers-6.12-amd64 ;;
	*) kh_die "unknown kernel series '$KH_KVER' (6.1 or 6.12)" ;;
	esac
	# The metapackage depends on the ABI package with an exact version:
	# "linux-headers-6.1.0-57-amd64 (= 6.1.192-3)".
	local dep hdr ver
	dep=$(dpkg-query -W -f='${Depends}' "$meta" 2>/dev/null) || kh_die "$meta is not installed"
	hdr=$(sed -n 's/^\(linux-headers-[^ ,]*\).*/\1/p' <<<"$dep")
	[ -n "$hdr" ] || kh_die "cannot read the headers package from '$meta: $dep'"
	ver=$(dpkg-query -W -f='${Version}' "$hdr" 2>/dev/null) || kh_die "$hdr is not installed"
	KH_REL=${hdr#linux-headers-}
	KH_KDIR=/usr/src/linux-headers-$KH_REL
	[ -f "$KH_KDIR/Makefile" ] || kh_die "$KH_KDIR missing (from $hdr $ver)"
	# The headers' own idea of the release, as the modules' vermagic will
	# carry it.  (Debian 6.1's include/config/kernel.release says "6.1.192",
	# the upstream version, while UTS_RELEASE is "6.1.0-57-amd64": read the
	# latter.)
	local uts
	uts=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$KH_KDIR/include/generated/utsrelease.h")
	[ "$uts" = "$KH_REL" ] || kh_die "$KH_KDIR is for release '$uts', expected '$KH_REL'"

	# The image of the same release and the same package version as the
	# headers (a newer ABI number would be another release string; the
	# same ABI rebuilt would be another version).
	local pkg=linux-image-$KH_REL
	KH_IMG=$KH_CACHE/images/$KH_REL
	KH_VMLINUZ=$KH_IMG/boot/vmlinuz-$KH_REL
	KH_MODROOT=$KH_IMG/lib/modules/$KH_REL
	local stamp=$KH_IMG/.pktpath-version
	kh_lock
	if [ ! -f "$KH_VMLINUZ" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$ver" ]; then
		local debs=$KH_CACHE/debs
		mkdir -p "$debs"
		local deb
		deb=$debs/${pkg}_$(kh_deb_version "$ver")_amd64.deb
		if [ ! -f "$deb" ]; then
			kh_log "downloading $pkg=$ver"
			# An old package list may not know the version: update once.
			(cd "$debs" && apt-get download -qq "$pkg=$ver" 2>/dev/null) ||
				{ apt-get update -qq 2>/dev/null; (cd "$debs" && apt-get download -qq "$pkg=$ver"); } ||
				kh_die "apt-get download $pkg=$ver failed (if the archive has moved on to a newer ABI, upgrade $meta so headers and image match again)"
			[ -f "$deb" ] || kh_die "apt-get download did not write $deb"
		fi
		rm -rf "$KH_IMG"
		mkdir -p "$KH_IMG"
		dpkg -x "$deb" "$KH_IMG"
		echo "$ver" >"$stamp"
	fi
	[ -f "$KH_VMLINUZ" ] || kh_die "no $KH_VMLINUZ in $pkg"
	[ -f "$KH_MODROOT/modules.builtin" ] || kh_die "no modules.builtin in $pkg"
	KH_BOOT_KERNEL=$KH_VMLINUZ
	if [ "$KH_PVH" = 1 ] && grep -qx 'CONFIG_PVH=y' "$KH_IMG/boot/config-$KH_REL"; then
		kh_vmlinux
		KH_BOOT_KERNEL=$KH_VMLINUX
	fi
	kh_unlock
	kh_log "kernel $KH_KVER: $KH_REL (headers and image $ver)"
}

# kh_vmlinux: the uncompressed kernel ELF out of $KH_VMLINUZ, cached as
# $KH_VMLINUX.  Under TCG the bzImage's own decompressor takes much of the
# boot: measured here (host busy with other builds), 6.1's bzImage (xz)
# reached /init 12.9-13.1 s after QEMU started and its ELF, booted through
# the PVH entry point (CONFIG_PVH=y; QEMU loads the ELF itself), 3.5-7.4 s;
# 6.12 (zstd) 10.8 s and 6.0-10.9 s.  A PVH boot has no KASLR.  Where the
# payload is comes from the bzImage setup header
# (Documentation/x86/boot.rst): setup_sects at 0x1f1,
# payload_offset and payload_length at 0x248 and 0x24c, the offset counted
# from the protected-mode code at (setup_sects + 1) * 512.  The payload is
# the compressed vmlinux followed by its 4-byte size; Debian compresses 6.1
# with xz and 6.12 with zstd.
kh_vmlinux() {
	KH_VMLINUX=$KH_IMG/vmlinux-$KH_REL
	[ -s "$KH_VMLINUX" ] && [ "$KH_VMLINUX" -nt "$KH_VMLINUZ" ] && return 0
	local setup_sects off len magic
	setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$KH_VMLINUZ" | tr -d ' ')
	off=$(od -An -tu4 -j $((0x248)) -N4 "$KH_VMLINUZ" | tr -d ' ')
	len=$(od -An -tu4 -j $((0x24c)) -N4 "$KH_VMLINUZ" | tr -d ' ')
	off=$(((setup_sects + 1) * 512 + off))
	dd if="$KH_VMLINUZ" of="$KH_VMLINUX.z" bs=64K iflag=skip_bytes,count_bytes skip="$off" \
		count=$((len - 4)) status=none
	magic=$(od -An -tx1 -N4 "$KH_VMLINUX.z" | tr -d ' ')
	local unz
	case "$magic" in
	fd377a58) unz=(xz -dc) ;;
	28b52ffd) unz=(zstd -dcq) ;;
	1f8b*) unz=(gzip -dc) ;;
	*) kh_die "$KH_VMLINUZ: payload magic $magic is not xz, zstd or gzip (set KH_PVH=0 to boot the bzImage)" ;;
	esac
	"${unz[@]}" "$KH_VMLINUX.z" >"$KH_VMLINUX.tmp" || kh_die "cannot decompress the payload of $KH_VMLINUZ"
	rm -f "$KH_VMLINUX.z"
	mv "$KH_VMLINUX.tmp" "$KH_VMLINUX"
}

# A version as apt-get download spells it in a file name (an epoch's ':'
# becomes "%3a").
kh_deb_version() { printf '%s' "${1//:/%3a}"; }

# kh_is_builtin NAME: true when the image has NAME built in (modules.builtin
# lists kernel/.../NAME.ko; '-' and '_' are the same in module names).
kh_is_builtin() {
	local n=${1//-/_}
	sed 's#.*/##; s#\.ko$##; s#-#_#g' "$KH_MODROOT/modules.builtin" | grep -qx "$n"
}

# kh_kmod_file NAME: the image's NAME.ko or NAME.ko.xz (or .zst), or nothing.
kh_kmod_file() {
	local n=${1//-/_}
	find "$KH_MODROOT/kernel" -type f \( -name "$n.ko" -o -name "$n.ko.xz" -o -name "$n.ko.zst" \
		-o -name "${n//_/-}.ko" -o -name "${n//_/-}.ko.xz" -o -name "${n//_/-}.ko.zst" \) | head -n1
}

# A module's modinfo field, from a plain .ko.
kh_modinfo() { modinfo -F "$2" "$1" 2>/dev/null; }

# kh_module_build SRC BUILD: copies the module source in SRC to BUILD (one
# tree per kernel, so objects of two kernels never mix) with the library's
# headers beside it as include/, the tree dkms lays out, and builds it with
# the kernel's Kbuild.  Fails when the module's vermagic is not the image's
# release.  Sets KH_MODULE_SECONDS.
kh_module_build() {
	local src=$1 build=$2
	rm -rf "$build"
	mkdir -p "$build"
	cp -a "$src"/. "$build"/
	cp -a "$KH_REPO/include" "$build/include"
	kh_t0
	make -s -C "$KH_KDIR" M="$build" modules >"$build/build.log" 2>&1 || {
		cat "$build/build.log" >&2
		kh_die "module build in $build failed"
	}
	KH_MODULE_SECONDS=$(kh_elapsed)
	if grep -qi 'warning' "$build/build.log"; then
		cat "$build/build.log" >&2
		kh_die "module build in $build has warnings"
	fi
	local ko vm
	for ko in "$build"/*.ko; do
		vm=$(kh_modinfo "$ko" vermagic)
		[ "${vm%% *}" = "$KH_REL" ] || kh_die "$ko has vermagic '$vm', image is $KH_REL"
	done
	kh_log "built $(cd "$build" && echo *.ko) for $KH_REL in ${KH_MODULE_SECONDS} s"
}

# ------------------------------------------------------------- host tools

# kh_build OUT SRC CMD...: CMD (which writes OUT) when OUT is missing or
# older than SRC or than a header of the library.
kh_build() {
	local out=$1 src=$2
	shift 2
	if [ ! -x "$out" ] || [ "$src" -nt "$out" ] ||
		[ -n "$(find "$KH_REPO/include" -newer "$out" -name '*.h*' -print -quit)" ]; then
		"$@" || kh_die "building $(basename "$out") failed"
	fi
}

# kh_tools: builds the static guest helpers (injector, neighbour tool) and
# the host rewriter once per cache (again when their source is newer).  Sets
# KH_INJECT, KH_NEIGH, KH_REWRITE.
kh_tools() {
	local bin=$KH_CACHE/bin
	kh_lock
	mkdir -p "$bin"
	KH_INJECT=$bin/pktpath-inject
	KH_NEIGH=$bin/pktpath-neigh
	KH_REWRITE=$bin/pktpath-rewrite
	local t
	for t in inject neigh; do
		kh_build "$bin/pktpath-$t" "$KH_LIB_DIR/$t.c" \
			gcc -static -std=gnu11 -O2 -Wall -Wextra -Werror -o "$bin/pktpath-$t" "$KH_LIB_DIR/$t.c"
	done
	kh_build "$KH_REWRITE" "$KH_LIB_DIR/rewrite.cpp" \
		g++ -std=c++17 -O2 -Wall -Wextra -Werror -I "$KH_REPO/include" -o "$KH_REWRITE" "$KH_LIB_DIR/rewrite.cpp"
	kh_unlock
}

# kh_rewrite IN OUT [options]: the capture IN rewritten for the guest's
# receiver (see rewrite.cpp); its summary goes to stderr and OUT.log.
kh_rewrite() {
	local in=$1 out=$2
	shift 2
	"$KH_REWRITE" --dst-mac "$KH_RECEIVER_MAC" --src-mac "$KH_SENDER_MAC" "$@" "$in" "$out" 2>"$out.log" ||
		{
			cat "$out.log" >&2
			kh_die "rewriting $in failed"
		}
	cat "$out.log" >&2
}

# --------------------------------------------------------------- initramfs

# kh_initramfs_new DIR: a fresh tree with static busybox, the guest /init and
# its library, the static helpers of kh_tools in /bin, and /etc/pktpath/env
# (the NICs' MAC addresses and the receiver's addresses).
# KH_INITRAMFS is the tree; KH_KMODS lists the modules /init loads, in order.
kh_initramfs_new() {
	KH_INITRAMFS=$1
	KH_KMODS=()
	rm -rf "$KH_INITRAMFS"
	mkdir -p "$KH_INITRAMFS"/{bin,dev,proc,sys,tmp,out,etc/pktpath,lib/pktpath,lib/modules/pktpath,scenario}
	cp /bin/busybox "$KH_INITRAMFS/bin/busybox"
	install -m 0755 "$KH_INJECT" "$KH_NEIGH" "$KH_INITRAMFS/bin/"
	install -m 0755 "$KH_LIB_DIR/guest/init" "$KH_INITRAMFS/init"
	install -m 0644 "$KH_LIB_DIR/guest/lib.sh" "$KH_INITRAMFS/lib/pktpath/lib.sh"
	cat >"$KH_INITRAMFS/etc/pktpath/env" <<-EOF
		PP_KVER=$KH_KVER
		PP_REL=$KH_REL
		PP_SENDER_MAC=$KH_SENDER_MAC
		PP_RECEIVER_MAC=$KH_RECEIVER_MAC
		PP_RECEIVER_IP4=$KH_RECEIVER_IP4
		PP_RECEIVER_IP6=$KH_RECEIVER_IP6
	EOF
}

# kh_initramfs_kmod NAME...: adds modules of the image (not built in) for
# /init to load at boot, each after the modules its modinfo "depends" names
# (the image package has no modules.dep, so the order is worked out here).
# Compressed modules are decompressed on the host, so the guest only ever
# sees plain .ko files and busybox insmod needs no decompressor.
kh_initramfs_kmod() {
	local n
	for n in "$@"; do
		n=${n//-/_}
		kh_is_builtin "$n" && continue
		local k seen=0
		for k in "${KH_KMODS[@]}"; do [ "$k" = "$n" ] && seen=1; done
		[ $seen -eq 1 ] && continue
		local f
		f=$(kh_kmod_file "$n")
		[ -n "$f" ] || kh_die "$n is neither built into $KH_REL nor a module of it"
		local dst=$KH_INITRAMFS/lib/modules/pktpath/$n.ko
		case "$f" in
		*.xz) xz -dc "$f" >"$dst" ;;
		*.zst) zstd -qdc "$f" >"$dst" ;;
		*) cp "$f" "$dst" ;;
		esac
		local deps
		deps=$(kh_modinfo "$dst" depends)
		# shellcheck disable=SC2086 # a comma-separated list, split on purpose
		[ -z "$deps" ] || kh_initramfs_kmod ${deps//,/ }
		KH_KMODS+=("$n")
	done
}

# kh_initramfs_file SRC DEST [MODE]: copies SRC to DEST inside the tree.
kh_initramfs_file() {
	local dst=$KH_INITRAMFS/${2#/}
	mkdir -p "$(dirname "$dst")"
	install -m "${3:-0644}" "$1" "$dst"
}

# kh_initramfs_scenario DIR: DIR/guest.sh becomes /scenario/guest.sh (what
# /init runs after the network is up); any other file the caller puts in
# /scenario with kh_initramfs_file is there too.
kh_initramfs_scenario() {
	[ -f "$1/guest.sh" ] || kh_die "$1/guest.sh missing"
	install -m 0755 "$1/guest.sh" "$KH_INITRAMFS/scenario/guest.sh"
}

# kh_initramfs_pack OUT: writes the module load order and packs the tree as
# a gzip-compressed newc cpio (every Debian kernel unpacks that), owned by
# root.
kh_initramfs_pack() {
	local out=$1
	printf '%s\n' "${KH_KMODS[@]}" >"$KH_INITRAMFS/etc/pktpath/modules"
	(cd "$KH_INITRAMFS" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$out"
}

# -------------------------------------------------------------------- boot

# kh_boot INITRD WORK: boots $KH_VMLINUZ with INITRD, waits for the guest to
# power off (at most KH_TIMEOUT seconds), and unpacks the guest's results
# into WORK/results.  Files in WORK: console.log (the serial console, each
# line prefixed with host seconds since QEMU started), qemu.log (QEMU's own
# stderr), out.img (the results disk).  Sets KH_BOOT_SECONDS (QEMU start to
# exit), KH_INIT_SECONDS (QEMU start to /init's first line on the console),
# KH_SCENARIO_SECONDS (guest.sh's run, from the console's time stamps).
# Returns non-zero (after saying why) when the guest timed out, did not
# finish, or its results are incomplete or corrupt.
#
# Results come back on a raw virtio disk the guest writes a tar stream onto
# (tar -cf /dev/vda).  This is binary safe and fast for the multi-MB table
# images the real module exports: nothing is encoded, no serial line
# discipline or console message can interleave with the data, and the host
# reads it with plain tar (the zeros after the archive end it).  The guest
# adds MANIFEST.sha256 (busybox sha256sum of every file) which is checked
# here.  virtio_blk is a module in 6.1 and 6.12 Debian images (kh_boot loads
# it like the NIC drivers; built-in would be fine too).
kh_boot() {
	local initrd=$1 work=$2
	local img=$work/out.img log=$work/console.log res=$work/results
	rm -rf "$res" "$img"
	mkdir -p "$res"
	truncate -s "$KH_OUT_SIZE" "$img"
	# shellcheck disable=SC2054 # the commas are QEMU's option syntax
	local qemu=(qemu-system-x86_64 -accel tcg -machine pc -m "$KH_MEM" -smp "$KH_SMP"
		-nographic -no-reboot -monitor none -serial stdio
		-kernel "$KH_BOOT_KERNEL" -initrd "$initrd"
		-append "console=ttyS0 panic=-1 $KH_APPEND_EXTRA"
		# Two NICs on one internal hub, nothing else on it: frames the
		# sender transmits arrive at the receiver and the other way round.
		# ctrl_vlan=off: with the VIRTIO_NET_F_CTRL_VLAN feature QEMU's
		# virtio-net drops every 802.1Q frame whose VLAN id the guest did
		# not register (measured here: all VLAN 100 frames of mix.pcap
		# vanished before the guest saw them); without it all VLANs pass.
		# romfile=: no iPXE option ROM (nothing boots from the network).
		-netdev hubport,id=snd,hubid=0
		-device "virtio-net-pci,netdev=snd,mac=$KH_SENDER_MAC,ctrl_vlan=off,romfile="
		-netdev hubport,id=rcv,hubid=0
		-device "virtio-net-pci,netdev=rcv,mac=$KH_RECEIVER_MAC,ctrl_vlan=off,romfile="
		-drive "file=$img,format=raw,if=virtio")
	# shellcheck disable=SC2206 # options, one a word
	qemu+=($KH_QEMU_EXTRA)
	kh_log "booting $KH_REL (timeout ${KH_TIMEOUT} s)"
	kh_t0
	local t0=$KH_T0 line us rc=0
	KH_INIT_SECONDS=
	# The console goes through a loop that stamps each line with the host's
	# elapsed time (the boot-to-init figure comes from it).
	set +e
	timeout -k 5 "$KH_TIMEOUT" "${qemu[@]}" </dev/null 2>"$work/qemu.log" |
		while IFS= read -r line; do
			line=${line%$'\r'}
			us=$((${EPOCHREALTIME/[.,]/} - t0))
			printf '[%5d.%03d] %s\n' $((us / 1000000)) $((us % 1000000 / 1000)) "$line"
		done >"$log"
	rc=${PIPESTATUS[0]}
	set -e
	KH_BOOT_SECONDS=$(kh_elapsed)
	KH_INIT_SECONDS=$(kh_console_time "$log" 'init start')
	local s0 s1
	s0=$(kh_console_time "$log" 'scenario start')
	s1=$(kh_console_time "$log" 'scenario rc=')
	KH_SCENARIO_SECONDS=-
	if [ -n "$s0" ] && [ -n "$s1" ]; then
		KH_SCENARIO_SECONDS=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.3f", b - a }')
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		kh_log "guest timed out after ${KH_TIMEOUT} s; console tail:"
		tail -n 40 "$log" >&2
		return 1
	fi
	if [ "$rc" -ne 0 ]; then
		kh_log "qemu exited with $rc:"
		cat "$work/qemu.log" >&2
		tail -n 40 "$log" >&2
		return 1
	fi
	if ! grep -q 'pktpath-guest: results written' "$log"; then
		kh_log "the guest powered off without writing its results; console tail:"
		tail -n 40 "$log" >&2
		return 1
	fi
	tar -xf "$img" -C "$res" || {
		kh_log "cannot unpack the results disk $img"
		return 1
	}
	(cd "$res" && sha256sum --quiet -c MANIFEST.sha256) || {
		kh_log "results in $res do not match their manifest"
		return 1
	}
	kh_log "guest done in ${KH_BOOT_SECONDS} s (/init after ${KH_INIT_SECONDS:-?} s, scenario ${KH_SCENARIO_SECONDS} s)"
}

# kh_oops LOG: the first kernel oops of a console log written by kh_boot, in
# brief: its first line, RIP, the RSP/EFLAGS line and the call trace's first
# frames, without time stamps.  Prints nothing when the log has no oops.
kh_oops() {
	sed 's/^\[ *[0-9.]*\] \(\[ *[0-9.]*\] \)\{0,1\}//' "$1" | awk '
		!on && /^(BUG: |Oops: |traps: PANIC|general protection fault)/ { on = 1 }
		!on { next }
		/^---\[ end trace/ { exit }
		/^(BUG: |Oops: |traps: |general protection|RIP: |RSP: )/ { print; next }
		/^ [a-z_.0-9]+\+0x/ && frames < 8 { print; frames++ }'
}

# kh_emulator_fault LOG: succeeds, printing the evidence, when the first oops
# of a console log carries an exception frame whose EFLAGS no x86 processor
# can push: a reserved bit set (3, 5, 15, 22-31) or bit 1 clear.  Software
# cannot cause that (POPF and IRET leave those bits alone; the processor
# writes the frame), so the fault is QEMU's, not the guest's (docs/kernel.md,
# "QEMU faults").
kh_emulator_fault() {
	local oops flags
	oops=$(kh_oops "$1")
	flags=$(sed -n 's/^RSP: .*EFLAGS: \([0-9a-f]\{1,16\}\).*/\1/p' <<<"$oops" | head -n1)
	[ -n "$flags" ] || return 1
	# 0x3f7fd7: CF 1 PF AF ZF SF TF IF DF OF IOPL NT RF VM AC VIF VIP ID.
	if (((0x$flags & ~0x3f7fd7) != 0 || (0x$flags & 2) == 0)); then
		printf 'EFLAGS %s in the exception frame of "%s" at %s\n' "$flags" \
			"$(head -n1 <<<"$oops")" "$(sed -n 's/^RIP: [0-9a-f]*://p' <<<"$oops" | head -n1)"
		return 0
	fi
	return 1
}

# kh_console_time LOG TEXT: host seconds of the first "pktpath-guest: TEXT"
# line of a console log written by kh_boot.
kh_console_time() {
	sed -n "s/^\[ *\([0-9.]*\)\] pktpath-guest: $2.*/\1/p" "$1" | head -n1
}

# ---------------------------------------------------------------- asserts

kh_pass() {
	KH_PASS=$((KH_PASS + 1))
	printf '  ok    %s\n' "$1"
}
kh_fail() {
	KH_FAIL=$((KH_FAIL + 1))
	KH_FAILED+=("$1")
	printf '  FAIL  %s\n' "$1"
}

# A measured fact, reported but not asserted.
kh_info() { printf '  info  %s\n' "$1"; }

# kh_assert_eq DESC EXPECTED ACTUAL
kh_assert_eq() {
	if [ "$2" = "$3" ]; then
		kh_pass "$1: $3"
	else
		kh_fail "$1: expected '$2', got '$3'"
	fi
}

# kh_assert_cmd DESC COMMAND...: passes when COMMAND succeeds.
kh_assert_cmd() {
	local desc=$1
	shift
	if "$@"; then kh_pass "$desc"; else kh_fail "$desc"; fi
}

# kh_check_dmesg FILE [ALLOW-REGEX]: no WARNING, BUG, Oops or leak report in a
# guest's kernel log (lines matching ALLOW-REGEX excepted).
kh_check_dmesg() {
	local hits
	hits=$(grep -E 'WARNING|BUG|Oops|leak|Call Trace' "$1" | grep -Ev "${2:-^\$}" || true)
	if [ -z "$hits" ]; then
		kh_pass "$KH_KVER: dmesg has no WARNING/BUG/Oops/leak/Call Trace"
	else
		kh_fail "$KH_KVER: dmesg reports: $(head -n 3 <<<"$hits" | tr '\n' '|')"
	fi
}

# kh_summary: the closing line CI reads; exit status 0 only when all passed.
kh_summary() {
	local f
	for f in "${KH_FAILED[@]}"; do printf 'failed: %s\n' "$f"; done
	printf '%d passed, %d failed\n' "$KH_PASS" "$KH_FAIL"
	[ "$KH_FAIL" -eq 0 ] && [ "$KH_PASS" -gt 0 ]
}
