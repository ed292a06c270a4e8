#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - boot a stock kernel in QEMU (TCG) on the host's root, load a
# WireGuard module and run one script in the guest.
#
# usage: run.sh [--kernel KVER | --kernel-image BZIMAGE [--kver KVER]]
#               [--modroot DIR]
#               [--module PATH.ko | --intree | --none] [--timeout SECONDS]
#               [--log FILE] [--env NAME=VALUE]... [--append KERNEL-ARGS]
#               [--mem SIZE] [--smp N] [--extra-qemu QEMU-ARGS...]
#               -- SCRIPT [ARGS...]
#
#   --kernel KVER        boot /boot/vmlinuz-KVER (default: newest installed)
#   --kernel-image FILE  boot this bzImage; its modules are looked up as
#                        --kver (default: the version in the image header)
#   --modroot DIR        mount DIR/lib/modules over the guest's /lib/modules
#                        (DIR as INSTALL_MOD_PATH of modules_install), for a
#                        kernel whose modules are not installed on the host.
#                        Default with --kernel-image: the "modroot" next to
#                        the image, if the host has no /lib/modules/KVER.
#   --module PATH.ko     modprobe its dependencies, then insmod it (default
#                        when built: build/KVER/drivers/net/wg/wireguard.ko)
#   --intree             modprobe the kernel's own wireguard
#   --none               load nothing
#   --timeout S          whole-VM time limit (default 600); the script gets
#                        S-30 (at least 2/3 of S) inside the guest
#   --log FILE           keep the full console log there (default: a
#                        temporary file, kept and named only on failure)
#   --env NAME=VALUE     export into the script's environment
#   --append ARGS        extra kernel command line words
#   --extra-qemu ARGS... passed to QEMU verbatim, up to the `--`; e.g.
#       -netdev socket,id=n,listen=127.0.0.1:PORT -device virtio-net-pci,netdev=n,mac=52:54:00:12:34:01
#     (and connect= in the peer VM) for a two-VM wire; eth0 after
#     `modprobe virtio_net` in the guest.
#
# SCRIPT is a path inside this repository (absolute or relative to the
# current directory); it runs with bash from /run/repo with WG_REPO=/run/repo,
# KVER, WG_SCRATCH (writable), WG_MODULE (guest path of the module, "intree"
# or "none") and WG_VM=1 in its environment.  The repository is shared
# read-only at /run/repo wherever it lives on the host.
#
# Output: the script's output (TAP lines) on stdout, live.  Exit status: the
# script's, made non-zero if the kernel log shows warnings/bugs; 125 if the VM
# died without reporting (panic, timeout: "not ok - VM FAILED" and the last
# 60 console lines follow); 2 on usage errors.
#
# Environment: WG_VM_DIR (cache of initramfs images and uncompressed
# kernels, default /var/tmp/wg-vm), WG_VM_PVH=0 (boot the bzImage itself),
# QEMU (binary).

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
QEMU=${QEMU:-qemu-system-x86_64}

usage() {
	sed -n '/^# usage:/,/^$/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
die() { echo "run.sh: $*" >&2; exit 2; }

kver='' image='' modroot='' mode='' module='' timeout=600 log='' append='' mem=1G smp=2
extra=() envs=()
while [[ $# -gt 0 ]]; do
	case $1 in
	--kernel) kver=${2:?}; shift 2 ;;
	--kernel-image) image=${2:?}; shift 2 ;;
	--kver) kver=${2:?}; shift 2 ;;
	--modroot) modroot=${2:?}; shift 2 ;;
	--module) mode=module module=${2:?}; shift 2 ;;
	--intree) mode=intree; shift ;;
	--none) mode=none; shift ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--log) log=${2:?}; shift 2 ;;
	--env) [[ ${2:?} == [A-Za-z_]*=* ]] || die "--env wants NAME=VALUE"
	       envs+=("$2"); shift 2 ;;
	--append) append=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--smp) smp=${2:?}; shift 2 ;;
	--extra-qemu)
		shift
		while [[ $# -gt 0 && $1 != -- ]]; do extra+=("$1"); shift; done ;;
	--) shift; break ;;
	-h|--help) usage ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
[[ $# -ge 1 ]] || usage
script=$1; shift
[[ $timeout =~ ^[0-9]+$ ]] || die "bad --timeout $timeout"

# Map a host path inside the repository to its guest path under /run/repo.
guest_path() {
	local p
	p=$(readlink -f "$1")
	[[ $p == "$REPO" || $p == "$REPO"/* ]] || return 1
	echo "/run/repo${p#"$REPO"}"
}

# --- kernel ---------------------------------------------------------------
if [[ -n $image ]]; then
	[[ -r $image ]] || die "cannot read $image"
	if [[ -z $kver ]]; then
		# `file` reports "..., version 6.12.1-foo (user@host) #1 ...".
		kver=$(file -bL "$image" | sed -n 's/.*version \([^ ]*\).*/\1/p')
		[[ -n $kver ]] || die "cannot tell the version of $image; use --kver"
	fi
	# A kernel built by selftests/vm/debug-kernel.sh keeps its modules there.
	if [[ -z $modroot && ! -d /lib/modules/$kver &&
	      -d $(dirname "$image")/modroot/lib/modules/$kver ]]; then
		modroot=$(dirname "$image")/modroot
	fi
else
	if [[ -z $kver ]]; then
		kver=$(for f in /boot/vmlinuz-*; do
			[[ -e $f ]] && echo "${f#/boot/vmlinuz-}"
		done | sort -V | tail -n 1)
		[[ -n $kver ]] || die "no /boot/vmlinuz-*"
	fi
	image=/boot/vmlinuz-$kver
	[[ -r $image ]] || die "no $image"
fi

if [[ -n $modroot ]]; then
	[[ -d $modroot/lib/modules ]] || die "no $modroot/lib/modules"
	modroot=$(readlink -f "$modroot")
fi

# --- module ---------------------------------------------------------------
if [[ -z $mode ]]; then
	module=$REPO/build/$kver/drivers/net/wg/wireguard.ko
	[[ -e $module ]] || die "no --module/--intree/--none given and no $module"
	mode=module
fi

# --- per-run directory (shared with the guest as /run/wgvm) ---------------
run=$(mktemp -d "${TMPDIR:-/tmp}/wgvm.XXXXXX")
tmp_log=0
if [[ -z $log ]]; then
	log=$run.console.log
	tmp_log=1   # removed on exit, unless the VM failed
fi
# shellcheck disable=SC2317 # run by the traps
kill_qemu() {
	local pid
	pid=$(cat "$run/qemu.pid" 2>/dev/null) || return 0
	# Only if it is still our QEMU (its command line names $run).
	if [[ -n $pid ]] && grep -qF "$run" "/proc/$pid/cmdline" 2>/dev/null; then
		kill "$pid"
	fi
}
# shellcheck disable=SC2317
cleanup() {
	kill_qemu
	rm -rf "$run"
	if ((tmp_log)); then rm -f "$log"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

gmodule=
if [[ $mode == module ]]; then
	[[ -r $module ]] || die "cannot read $module"
	if ! gmodule=$(guest_path "$module"); then
		# Outside the repository: hand the guest a copy.
		cp "$module" "$run/$(basename "$module")"
		gmodule=/run/wgvm/$(basename "$module")
	fi
fi
[[ -f $script ]] || die "no script $script"
gscript=$(guest_path "$script") || die "$script is not inside $REPO"

# Time for the script inside the guest: leave room for boot and the checks.
gtimeout=$((timeout - 30))
((gtimeout >= timeout * 2 / 3)) || gtimeout=$((timeout * 2 / 3))

# A random marker, so that nothing the test prints can fake the end.
nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
{
	printf 'WGVM_NONCE=%q\n' "$nonce"
	printf 'WGVM_MODE=%q\n' "$mode"
	printf 'WGVM_MODULE=%q\n' "$gmodule"
	printf 'WGVM_TIMEOUT=%q\n' "$gtimeout"
	printf 'WGVM_SCRIPT=%q\n' "$gscript"
	printf 'WGVM_ARGS=('; (($#)) && printf '%q ' "$@"; echo ')'
	printf 'WGVM_ENV=('; ((${#envs[@]})) && printf '%q ' "${envs[@]}"; echo ')'
} >"$run/cmd"

initrd=$("$HERE/initramfs.sh" "$kver")
# An uncompressed copy boots faster (no decompression under TCG).
boot=$("$HERE/vmlinux.sh" "$image" "$kver")

# --- boot -----------------------------------------------------------------
# shellcheck disable=SC2054 # the commas are QEMU's
qemu=(
	"$QEMU" -accel tcg,thread=multi -cpu max -smp "$smp" -m "$mem"
	-nographic -no-reboot -nic none -pidfile "$run/qemu.pid"
	-kernel "$boot" -initrd "$initrd"
	-append "console=ttyS0 panic=-1 oops=panic quiet no_timer_check wgvm.init=/run/repo/selftests/vm/guest.sh $append"
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap
	-virtfs "local,path=$REPO,mount_tag=repo,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$run,mount_tag=wgrun,security_model=none,multidevs=remap"
)
if [[ -n $modroot ]]; then
	qemu+=(-virtfs "local,path=$modroot/lib/modules,mount_tag=wgmods,security_model=none,readonly=on,multidevs=remap")
fi
qemu+=("${extra[@]}")

# Console -> log (CRs stripped); the part between the markers -> stdout.
# Other VMs on this host (team members, parallel runs) slow this one down a
# lot under TCG; say so, since timing-sensitive tests may then fail.
others=$(pgrep -c '^qemu-system-' || true)
if ((others >= $(nproc))); then
	echo "# run.sh: $others other QEMU processes on $(nproc) CPUs: expect a slow VM" >&2
fi

# Run in the background and wait: bash would only run the signal traps
# (which stop QEMU) after a foreground pipeline ends. A kernel that dies
# while booting, before the guest's init has said a word (under TCG an
# early oops in patched kernel text was seen, once in hundreds of boots),
# has tested nothing: it boots once more, and says so.
for attempt in 1 2; do
	start=$SECONDS
	{
		timeout -k 10 "$timeout" "${qemu[@]}" </dev/null 2>&1 |
			tr -d '\r' | tee "$log" |
			awk -v b="WGVM-BEGIN-$nonce" -v e="WGVM-EXIT-$nonce" '
				index($0, e) { on = 0 }
				on { print; fflush() }
				index($0, b) { on = 1 }'
	} &
	wait $! || true
	if grep -aq "WGVM-BEGIN-$nonce" "$log" ||
	   ((SECONDS - start >= timeout || attempt == 2)); then
		break
	fi
	echo "# run.sh: $kver died while booting, before the guest's init; booting again" >&2
	grep -a -m 3 'Oops\|panic\|RIP' "$log" | sed 's/^/#   /' >&2 || true
done

status=$(grep -ao "WGVM-EXIT-$nonce [0-9]*" "$log" | tail -n 1 | cut -d' ' -f2 || true)
if [[ -z $status ]]; then
	tmp_log=0
	if ((SECONDS - start >= timeout)); then
		why="timed out after ${timeout}s"
	else
		why="no exit marker: kernel panic or QEMU failure"
	fi
	echo "not ok - VM FAILED ($kver: $why)"
	echo "# host load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# last 60 console lines ($log):"
	tail -n 60 "$log" | sed 's/^/# /'
	exit 125
fi
echo "# VM $kver: ${SECONDS}s (status $status)" >&2
exit "$status"
