#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configuration at scale, for the module loaded now and then for the
# kernel's own wireguard in the same VM boot: `wg setconf` of
# WG_BENCH_PEERS (100000) peers with one allowed IP and an endpoint each,
# `wg show dump` of them, the memory they take (MemFree before and after,
# caches dropped; per peer), then deleting a device of WG_BENCH_DEL_PEERS
# (10000) peers (`ip link del`, until it returns). The devices are up. Prints each figure and
# the ratio ours / in-tree (lower is better for all of them).
# Runs in the VM (make bench-scale).

set -u
PEERS=${WG_BENCH_PEERS:-100000}
DEL_PEERS=${WG_BENCH_DEL_PEERS:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# conf FILE N: a configuration of N peers, random public keys (any 32 bytes
# are a key to `wg`), 10.X.Y.Z/32 each and an endpoint.
conf() {
	python3 - "$1" "$2" <<'EOF'
import base64, os, sys
path, n = sys.argv[1], int(sys.argv[2])
k = lambda: base64.b64encode(os.urandom(32)).decode()
with open(path, "w") as f:
    f.write("[Interface]\nPrivateKey = %s\nListenPort = 51000\n" % k())
    for i in range(n):
        a = "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)
        f.write("[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\n"
                "Endpoint = 192.0.2.%d:%d\n" % (k(), a, i % 254 + 1, 1024 + i % 60000))
EOF
}

# secs CMD...: seconds CMD took (its output discarded); on stderr, its
# user and system time.
secs() {
	local TIMEFORMAT='%R %U %S' t
	t=$({ time "$@" >/dev/null 2>&1; } 2>&1) || echo "bench: $* failed" >&2
	echo "bench: $*: real, user, sys: $t" >&2
	echo "${t%% *}"
}

memfree() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	awk '$1 == "MemFree:" { print $2 }' /proc/meminfo
}

# dev_up NAME: a new WireGuard device, up.
dev_up() {
	ip link add "$1" type wireguard && ip link set "$1" up
}

# run NAME: the four figures for the module loaded now, as "NAME KEY VALUE".
run() {
	local m0 m1
	dev_up wg0 || return 1
	m0=$(memfree)
	echo "$1 setconf $(secs wg setconf wg0 "$tmp/big.conf")"
	m1=$(memfree)
	echo "$1 bytes_per_peer $(((m0 - m1) * 1024 / PEERS))"
	echo "$1 dump $(secs wg show wg0 dump)"
	[ "$(wg show wg0 peers | wc -l)" = "$PEERS" ] ||
		echo "bench: $1: wg0 does not have $PEERS peers" >&2
	ip link del wg0
	dev_up wg1 || return 1
	wg setconf wg1 "$tmp/del.conf"
	echo "$1 delete $(secs ip link del wg1)"
}

conf "$tmp/big.conf" "$PEERS"
conf "$tmp/del.conf" "$DEL_PEERS"
# A first round that is not measured: the second module would otherwise
# find the memory the first one freed, in the slab and page allocators.
ip link add wgw type wireguard && wg setconf wgw "$tmp/big.conf" &&
	ip link del wgw
run ours | tee "$tmp/fig"
rmmod wireguard || { echo "bench: cannot unload ours" >&2; exit 1; }
modprobe wireguard
run in-tree | tee -a "$tmp/fig"
awk -v p="$PEERS" -v d="$DEL_PEERS" '
	{ v[$1, $2] = $3 }
	END {
		split("setconf dump bytes_per_peer delete", keys, " ")
		for (i = 1; i <= 4; i++) {
			k = keys[i]
			a = v["ours", k]; b = v["in-tree", k]
			what = k == "delete" ? k " (" d " peers)" : k " (" p " peers)"
			unit = k == "bytes_per_peer" ? "bytes" : "s"
			printf "%s: ours %s, in-tree %s %s, ratio %.2f\n", what, a, b,
				unit, (b > 0 ? a / b : 0)
		}
	}' "$tmp/fig"
