#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Builds allowedips.c alone, with a stand-in peer.h, as a throwaway module
# for each Debian kernel whose headers are installed: W=1, plus sparse (C=1)
# when it is installed. Where the KUnit headers can be found (the kernel's
# own, or a directory holding kunit/ given as KUNIT_INC), a second module
# also compiles the KUnit suite, #included after allowedips.c as the real
# module will do; it is only compiled and linked with undefined KUnit
# symbols allowed, since these kernels have no KUnit. Work happens under
# $OUT (default /var/tmp/wg-allowedips-standalone), never in the tree.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
wg=$here/../..
out=${OUT:-/var/tmp/wg-allowedips-standalone}
kvers=${KVERS:-"6.1.0-56-amd64 6.12.117+deb12-amd64"}
c=
command -v sparse >/dev/null && c=C=1

build_one() {	# dir build-dir objs extra-ccflags
	cat >"$1/Kbuild" <<EOK
ccflags-y += $4
obj-m := wg_allowedips_standalone.o
wg_allowedips_standalone-y := $3
EOK
	make -s -C "$2" M="$1" W=1 $c KBUILD_MODPOST_WARN=1 modules \
		>"$1/build.log" 2>&1 || { cat "$1/build.log"; return 1; }
	# KUnit symbols are undefined on kernels without KUnit: expected.
	if grep -v -e 'undefined!' -e 'Skipping BTF' "$1/build.log" |
	   grep -E 'warning|error' >/dev/null; then
		cat "$1/build.log"
		return 1
	fi
}

fail=0
for ver in $kvers; do
	build=/lib/modules/$ver/build
	[ -d "$build" ] || { echo "skip $ver: no headers"; continue; }
	d=$out/$ver
	rm -rf "$d"
	mkdir -p "$d/plain" "$d/kunit/tests"
	for x in plain kunit; do
		cp "$wg/allowedips.c" "$wg/allowedips.h" "$here/peer.h" \
			"$here/main.c" "$d/$x/"
	done
	if build_one "$d/plain" "$build" "main.o allowedips.o" ""; then
		echo "$ver: allowedips.c OK (W=1 ${c:-no sparse})"
	else
		echo "$ver: allowedips.c FAILED"
		fail=1
	fi

	common=/usr/src/linux-headers-${ver%-amd64}-common/include
	inc=
	if [ -n "${KUNIT_INC:-}" ]; then
		inc=-I$KUNIT_INC
	elif [ ! -f "$common/kunit/test.h" ] &&
	     [ ! -f "$build/include/kunit/test.h" ]; then
		echo "$ver: KUnit suite skipped (no kunit/test.h; set KUNIT_INC)"
		continue
	fi
	cp "$wg/tests/allowedips_test.c" "$d/kunit/tests/"
	printf '#include "allowedips.c"\n#include "tests/allowedips_test.c"\n' \
		>"$d/kunit/kunit.c"
	if build_one "$d/kunit" "$build" "main.o kunit.o" "$inc"; then
		echo "$ver: KUnit suite OK"
	else
		echo "$ver: KUnit suite FAILED"
		fail=1
	fi
done
exit $fail
