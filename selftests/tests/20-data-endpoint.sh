#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A new endpoint set by `wg set ... endpoint` on a peer with a live session
# takes effect at once: the next datagrams go to it, by its own route
# (not by whatever route the old endpoint had), from the source address
# that route gives.
#
# How: A and B joined by two veth pairs, veth0 (192.168.241.0/24,
# fd00:241::/64) and veth1 (192.168.242.0/24). A tunnel up over veth0,
# then on A, without touching anything else:
# 1. endpoint 192.168.242.2 (B's veth1 address, same family): pings work,
#    A's datagrams leave by veth1 (its tx counter grows by the pings at
#    least; a capture of veth0's outgoing UDP shows none), and B learns
#    A's endpoint as 192.168.242.1.
# 2. endpoint [fd00:241::2] (the other family): pings work, B learns
#    [fd00:241::1].
# 3. back to 192.168.241.2: pings work, B learns 192.168.241.1.
# Before each change, pings from every CPU in turn (taskset): a small
# packet is sealed and sent by the CPU that sends it, so whatever the
# module keeps per CPU about the way to the endpoint (a route cache) is
# in use on every CPU when the endpoint changes.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

A=dea$$ B=deb$$
check "a pair of devices" dp_pair "$A" "$B"
check "a second veth pair, veth1" \
	ip -n "$A" link add veth1 type veth peer name veth1 netns "$B"
ip -n "$A" addr add 192.168.242.1/24 dev veth1
ip -n "$B" addr add 192.168.242.2/24 dev veth1
ip -n "$A" link set veth1 up
ip -n "$B" link set veth1 up
check "tunnel up over veth0" dp_ping "$A" "$(dp_ip4 2)" 10
check_eq "B knows A at 192.168.241.1" "192.168.241.1:10001" \
	"$(dp_peer_field "$B" wg0 endpoints)"

txp() { dp_link_stat "$A" "$1" tx_packets; }

# warm: two pings A->B from each CPU in turn.
warm() {
	local cpu
	for cpu in $(seq 0 $(($(nproc) - 1))); do
		ip netns exec "$A" taskset -c "$cpu" \
			ping -c 2 -i 0.2 -W 2 "$(dp_ip4 2)" || return 1
	done
}

# 1. Same family, another path.
pcap=$(mktemp)
check "capture A's outgoing UDP on veth0" dp_capture_start "$A" veth0 "$pcap" -Q out udp
check "pings from every CPU" warm
tset=$EPOCHREALTIME
check "A: endpoint 192.168.242.2:10002" \
	ip netns exec "$A" wg set wg0 peer "$DP_PUB2" endpoint 192.168.242.2:10002
v1a=$(txp veth1)
check "pings work" ip netns exec "$A" ping -c 5 -i 0.2 -W 2 "$(dp_ip4 2)"
v1b=$(txp veth1)
dp_capture_stop
check "A's datagrams left by veth1 (tx packets $v1a -> $v1b)" \
	test $((v1b - v1a)) -ge 5
check_eq "and none by veth0 since (TIME SRC DST TYPE LEN RECEIVER COUNTER)" \
	"" "$(wgwire msgs "$pcap" | awk -v t="$tset" '$1 > t')"
check_eq "B learned A's endpoint 192.168.242.1" "192.168.242.1:10001" \
	"$(dp_peer_field "$B" wg0 endpoints)"

# 2. The other family.
check "pings from every CPU" warm
check "A: endpoint [fd00:241::2]:10002" \
	ip netns exec "$A" wg set wg0 peer "$DP_PUB2" endpoint "[fd00:241::2]:10002"
check "pings work" dp_ping "$A" "$(dp_ip4 2)"
check_eq "B learned A's endpoint [fd00:241::1]" "[fd00:241::1]:10001" \
	"$(dp_peer_field "$B" wg0 endpoints)"

# 3. And back.
check "pings from every CPU" warm
check "A: endpoint 192.168.241.2:10002" \
	ip netns exec "$A" wg set wg0 peer "$DP_PUB2" endpoint 192.168.241.2:10002
check "pings work" dp_ping "$A" "$(dp_ip4 2)"
check_eq "B learned A's endpoint 192.168.241.1" "192.168.241.1:10001" \
	"$(dp_peer_field "$B" wg0 endpoints)"
read -r _ _ rxe _ _ _ txe _ <<<"$(dp_link_counters "$A" wg0)"
check_eq "A: no rx/tx errors" "0 0" "$rxe $txe"

done_testing
