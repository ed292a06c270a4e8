#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh ARCH - our KUnit suites on another architecture, under QEMU's
# software emulation: a small kernel with the module built in (kernel.sh
# ARCH kunit, cached, rebuilt incrementally with this checkout's sources)
# boots without any root filesystem; the suites run at boot and the kernel
# reboots, which ends QEMU (-no-reboot).  Its console's KTAP becomes TAP
# (selftests/vm/kunit.sh --parse): one line per case.
#
#   mips   32-bit big-endian MIPS, QEMU malta
#   armhf  32-bit ARMv7, QEMU virt
#
# usage: selftests/cross/kunit.sh [--log FILE] ARCH
#
# Output: TAP lines, the "# kunit:" totals, then "ok - kernel log clean
# (ARCH)" or not.  Exit status 0 iff all passed.  Environment:
# WG_CROSS_KUNIT_TIMEOUT (seconds for the boot, default 1800).

set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
log=''
if [[ ${1:-} == --log ]]; then log=${2:?}; shift 2; fi
arch=${1:-}
case $arch in
mips)  qemu=(qemu-system-mips -M malta -m 256)
       append="console=ttyS0" ;;
armhf) qemu=(qemu-system-arm -M virt -cpu cortex-a15 -m 512)
       append="console=ttyAMA0" ;;
*) echo "usage: $0 [--log FILE] mips|armhf" >&2; exit 2 ;;
esac
timeout=${WG_CROSS_KUNIT_TIMEOUT:-1800}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wg-cross-kunit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
[[ -n $log ]] || log=$tmp/console.log

t0=$SECONDS
if ! "$HERE/kernel.sh" "$arch" kunit "$REPO" "$tmp/image" >/dev/null 2>"$tmp/kernel.err"; then
	echo "not ok - $arch kernel with the module built in (selftests/cross/kernel.sh)"
	tail -n 30 "$tmp/kernel.err" | sed 's/^/# /'
	exit 1
fi
echo "# $arch: kernel built in $((SECONDS - t0))s"

# The console goes to a file, unbuffered; the run ends when the kernel
# says it restarts (or halts, or panics): not every board's reset ends
# QEMU (malta's does not, with this config), so it is killed then.
# kunit.enable=1: allnoconfig leaves KUNIT_DEFAULT_ENABLED off.
t0=$SECONDS
raw=$tmp/console.raw
: >"$raw"
"${qemu[@]}" -display none -serial "file:$raw" -monitor none -no-reboot -nic none \
	-kernel "$tmp/image" \
	-append "$append panic=-1 oops=panic kunit.enable=1 kunit_shutdown=reboot" \
	</dev/null >"$tmp/qemu.out" 2>&1 &
qpid=$!
rc=0 ended=0
while kill -0 "$qpid" 2>/dev/null; do
	if grep -qaE 'reboot: (Restarting system|Power down)|System halted|Kernel panic' "$raw"; then
		ended=1
		sleep 2
		break
	fi
	if ((SECONDS - t0 >= timeout)); then
		rc=124
		break
	fi
	sleep 2
done
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
tr -d '\r' <"$raw" >"$log"
if ((ended)); then
	echo "# $arch: QEMU ran $((SECONDS - t0))s, until the kernel ended the run"
elif ((rc)); then
	echo "# $arch: QEMU timed out after $((SECONDS - t0))s"
else
	echo "# $arch: QEMU exited after $((SECONDS - t0))s: $(head -n 3 "$tmp/qemu.out" | tr '\n' ' ')"
fi

"$REPO/selftests/vm/kunit.sh" --parse <"$log"
status=$?

# The top-level plan: every suite the kernel announced must have ended.
plan=$(sed -E 's/^\[[^]]*\] ?//' "$log" | grep -m1 -E '^1\.\.[0-9]+$' | cut -c4-)
nended=$(sed -E 's/^\[[^]]*\] ?//' "$log" | grep -cE '^(not )?ok [0-9]+ ')
if [[ -z $plan || $plan != "$nended" ]]; then
	echo "not ok - $arch: all suites ran to their end (planned ${plan:-none}, ended $nended)"
	status=1
fi
bad=$(grep -E 'WARNING:|BUG:|Oops|Kernel panic|UBSAN|Unable to handle|Call Trace' "$log")
if [[ -n $bad ]] || ((rc == 124)); then
	echo "not ok - kernel log clean ($arch$( ((rc == 124)) && echo ", timed out after ${timeout}s"))"
	grep -m1 -B5 -A40 -E 'WARNING:|BUG:|Oops|Kernel panic|UBSAN|Unable to handle|Call Trace' \
		"$log" | sed 's/^/# /'
	((rc == 124)) && tail -n 20 "$log" | sed 's/^/# /'
	status=1
else
	echo "ok - kernel log clean ($arch)"
fi
exit "$status"
