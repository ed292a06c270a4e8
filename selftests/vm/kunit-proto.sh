#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: kunit-proto.sh [--kdir DIR] [--sparse] [--build-only]
#
# Builds the Protocol layer alone -- drivers/net/wg/{noise,cookie,deadline}.c
# with their KUnit suites wg_noise, wg_cookie, wg_deadline -- as a small test
# module (drivers/net/wg/tests/proto/Kbuild, named "wireguard" so that
# kunit.sh collects it), with W=1, and fails on any compiler warning.  Then,
# unless --build-only, boots it in a VM and prints kunit.sh's TAP.
#
#   --kdir DIR    build against the kernel tree DIR (e.g.
#                 /lib/modules/6.1.0-57-amd64/build; implies --build-only
#                 unless DIR is the debug kernel's).  Default: the debug
#                 kernel of debug-kernel.sh, which must be complete already
#                 (this script never starts that 20-minute build).
#   --sparse      also run sparse (C=1)
#   --build-only  stop after the build
#
# Stock kernels have no CONFIG_KUNIT, so against them only the three units
# compile (the *_test.c are #included under IS_ENABLED(CONFIG_KUNIT)).
# The build directory is build/kunit-proto/KVER/ in the repository.
# Exit status: 0 if the build is clean and every case passed.

set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WG=$REPO/drivers/net/wg

usage() {
	sed -n '/^# usage:/,/^# Exit status/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

kdir='' sparse='' build_only=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--kdir) kdir=${2:?}; shift 2 ;;
	--sparse) sparse=C=1; shift ;;
	--build-only) build_only=1; shift ;;
	-h|--help) usage ;;
	*) usage ;;
	esac
done

ddir=$("$HERE/debug-kernel.sh" --check 2>/dev/null | tail -n 1)
if [[ -z $kdir ]]; then
	if [[ -z $ddir ]]; then
		echo "not ok 1 - no complete debug kernel (selftests/vm/debug-kernel.sh builds one)"
		exit 1
	fi
	kdir=$ddir/build
elif [[ -z $ddir || $(realpath "$kdir") != $(realpath "$ddir/build") ]]; then
	build_only=1
fi
[[ -d $kdir ]] || { echo "not ok 1 - no kernel tree at $kdir"; exit 1; }

kver=$(cat "$kdir/include/config/kernel.release")
out=$REPO/build/kunit-proto/$kver
rm -rf "$out"
mkdir -p "$out/tests" || exit 1
cp "$WG"/tests/proto/Kbuild "$WG"/tests/proto/proto_main.c "$out"/ &&
cp "$WG"/{noise,cookie,deadline}.[ch] "$WG"/wire.h "$out"/ &&
cp "$WG"/tests/{noise,cookie,deadline}_test.c "$out"/tests/ || exit 1

log=$out/build.log
make -C "$kdir" M="$out" W=1 $sparse -j"$(nproc)" modules >"$log" 2>&1
rc=$?
if ((rc != 0)) || grep -qiE 'warning:|error:' "$log"; then
	echo "not ok 1 - build for $kver (W=1${sparse:+, sparse}): $log"
	grep -iE 'warning:|error:' "$log" | head -30 | sed 's/^/# /'
	exit 1
fi
echo "ok 1 - build for $kver (W=1${sparse:+, sparse}, no warnings)"
((build_only)) && exit 0

exec "$HERE/run.sh" --kernel-image "$ddir/bzImage" --kver "$(cat "$ddir/kver")" \
	--module "$out/wireguard.ko" -- selftests/vm/kunit.sh
