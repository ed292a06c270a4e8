#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest script: what `wg show dump` costs the tool itself, ours against the
# in-tree module in one boot. Configures N peers (WG_DUMP_PEERS, default
# 20000; as bench-scale's, conf_idle of lib.sh), then for each module times
# the dump twice (wall, user, system) and counts the tool's user-space
# instructions under callgrind, with the share of the three libc functions
# that format its output. Run it in a VM:
#
#   selftests/vm/run.sh --kernel 6.12.118+deb12-amd64 \
#       --module build/6.12.118+deb12-amd64/drivers/net/wg/wireguard.ko \
#       -- selftests/bench/dump-cost.sh
. "$WG_REPO/selftests/bench/lib.sh"
n=${WG_DUMP_PEERS:-20000}
conf=$BENCH_TMP/dump.conf
conf_idle "$conf" "$n" || die "cannot write the configuration"
for m in ours in-tree; do
	mod_load $m
	ip link add wg0 type wireguard && wg setconf wg0 "$conf" ||
		die "cannot configure wg0 ($m)"
	say "$m, $n peers"
	for i in 1 2; do
		/usr/bin/time -f "#   wg show dump: %e s wall, %U s user, %S s system" \
			wg show wg0 dump >/dev/null
	done
	valgrind --tool=callgrind --callgrind-out-file="$BENCH_TMP/cg.$m" \
		wg show wg0 dump >/dev/null 2>/dev/null
	callgrind_annotate --inclusive=yes "$BENCH_TMP/cg.$m" 2>/dev/null |
		awk '/PROGRAM TOTALS/ && !t { t = 1; print "#   user instructions: " $1 }
		     /vfprintf-internal.c:__vfprintf_internal \[|inet_ntop.c:inet_ntop|getnameinfo.c:getnameinfo/ {
			sub(/.*:/, "", $3); sub(/ .*/, "", $3); print "#     in " $3 ": " $1 " " $2 }'
	ip link del wg0
done
