#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest script: what `wg show dump` costs the tool itself, ours against the
# in-tree module in one boot. Configures N peers (WG_DUMP_PEERS, default
# 20000; a key, an endpoint and two allowed IPs each, as bench-scale), then
# for each module times the dump twice (wall, user, system) and counts the
# tool's user-space instructions under callgrind, with the share of the
# three libc functions that format its output. Run it in a VM:
#
#   selftests/vm/run.sh --kernel 6.12.118+deb12-amd64 \
#       --module build/6.12.118+deb12-amd64/drivers/net/wg/wireguard.ko \
#       -- selftests/bench/dump-cost.sh
n=${WG_DUMP_PEERS:-20000}
conf=$(mktemp)
trap 'rm -f "$conf" /tmp/dump-cost.*' EXIT
python3 - "$conf" "$n" <<'PY'
import base64, os, sys
path, n = sys.argv[1], int(sys.argv[2])
b64 = lambda b: base64.b64encode(b).decode()
with open(path, "w") as f:
    f.write("[Interface]\nPrivateKey = %s\nListenPort = 51000\n" % b64(os.urandom(32)))
    for i in range(n):
        f.write("[Peer]\nPublicKey = %s\n"
                "AllowedIPs = 10.%d.%d.%d/32, fd00:1::%x:%x/128\n"
                "Endpoint = 192.0.2.%d:%d\n" %
                (b64(os.urandom(32)), i >> 16 & 255, i >> 8 & 255, i & 255,
                 i >> 16, i & 0xffff, i % 254 + 1, 1024 + i % 60000))
PY
for m in ours in-tree; do
	rmmod wireguard 2>/dev/null
	if [ $m = ours ]; then
		insmod "$WG_MODULE" || exit 1
	else
		modprobe wireguard || exit 1
	fi
	ip link add wg0 type wireguard && wg setconf wg0 "$conf" || exit 1
	echo "# $m, $n peers"
	for i in 1 2; do
		/usr/bin/time -f "#   wg show dump: %e s wall, %U s user, %S s system" \
			wg show wg0 dump >/dev/null
	done
	valgrind --tool=callgrind --callgrind-out-file=/tmp/dump-cost.$m \
		wg show wg0 dump >/dev/null 2>/dev/null
	callgrind_annotate --inclusive=yes /tmp/dump-cost.$m 2>/dev/null |
		awk '/PROGRAM TOTALS/ && !t { t = 1; print "#   user instructions: " $1 }
		     /vfprintf-internal.c:__vfprintf_internal \[|inet_ntop.c:inet_ntop|getnameinfo.c:getnameinfo/ {
			sub(/.*:/, "", $3); sub(/ .*/, "", $3); print "#     in " $3 ": " $1 " " $2 }'
	ip link del wg0
done
