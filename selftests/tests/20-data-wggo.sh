#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interoperability with Debian's wireguard-go (userspace, a tun device): our
# wg0 in one namespace, wireguard-go's wggo0 in the other. A handshake
# initiated from each side (only the initiator knows the other's endpoint),
# then ping both ways and iperf3 TCP both ways.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

command -v wireguard-go >/dev/null || { skip "wireguard-go" "not installed"; done_testing; }
modprobe tun 2>/dev/null

A=dpa$$ B=dpb$$
check "namespaces" ns_add "$A" "$B"
check "veth pair" dp_veth "$A" "$B"
ka=$(genkey) kb=$(genkey)
pa=$(pubkey "$ka") pb=$(pubkey "$kb")
check "our wg0 in $A" dp_wg "$A" 1 "$ka" 10001

# wireguard-go started in B owns its UDP socket and tun device there.
gopid=
start_go() {
	WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 LOG_LEVEL=error \
		ip netns exec "$B" wireguard-go -f wggo0 >"$WG_SCRATCH/wggo.log" 2>&1 &
	gopid=$!
	cleanup_add "kill $gopid; rm -f /var/run/wireguard/wggo0.sock"
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S /var/run/wireguard/wggo0.sock ] && ip -n "$B" link show wggo0 >/dev/null 2>&1 &&
			return 0
		kill -0 $gopid 2>/dev/null || break
		sleep 0.1
	done
	cat "$WG_SCRATCH/wggo.log"
	return 1
}
WG_SCRATCH=${WG_SCRATCH:-/tmp}
check "wireguard-go wggo0 in $B" start_go
check "configure wggo0" ip netns exec "$B" wg set wggo0 private-key <(echo "$kb") listen-port 10002
ip -n "$B" addr add 10.241.0.2/24 dev wggo0
ip -n "$B" addr add fd10:241::2/64 dev wggo0 nodad
check "wggo0 up" ip -n "$B" link set wggo0 up
check_eq "wg show reaches it through its socket" 10002 \
	"$(ip netns exec "$B" wg show wggo0 listen-port)"

run_traffic() { # WHO-INITIATED
	local t=$1
	check "$t: ping ours->go" dp_ping "$A" 10.241.0.2 10
	check "$t: ping go->ours" dp_ping "$B" 10.241.0.1
	check "$t: ping6 ours->go" dp_ping "$A" fd10:241::2
	check "$t: ping6 go->ours" dp_ping "$B" fd10:241::1
	check_match "$t: ours has a handshake" '^[1-9][0-9]+$' \
		"$(dp_peer_field "$A" wg0 latest-handshakes)"
	check_match "$t: go has a handshake" '^[1-9][0-9]+$' \
		"$(dp_peer_field "$B" wggo0 latest-handshakes)"
	check "$t: iperf3 TCP ours->go" dp_iperf "$B" "$A" 10.241.0.2 -t 2
	check "$t: iperf3 TCP go->ours" dp_iperf "$A" "$B" 10.241.0.1 -t 2
}

# 1. Ours initiates: only ours knows the endpoint.
check "ours: peer go with endpoint" ip netns exec "$A" wg set wg0 peer "$pb" \
	endpoint "$(dp_out4 2):10002" allowed-ips 10.241.0.2/32,fd10:241::2/128
check "go: peer ours without endpoint" ip netns exec "$B" wg set wggo0 peer "$pa" \
	allowed-ips 10.241.0.1/32,fd10:241::1/128
run_traffic "ours initiates"
check_eq "go learned our endpoint" "$(dp_out4 1):10001" \
	"$(dp_peer_field "$B" wggo0 endpoints)"

# 2. Go initiates: swap who knows the endpoint (IPv6 outer this time).
ip netns exec "$A" wg set wg0 peer "$pb" remove
ip netns exec "$B" wg set wggo0 peer "$pa" remove
check "ours: peer go without endpoint" ip netns exec "$A" wg set wg0 peer "$pb" \
	allowed-ips 10.241.0.2/32,fd10:241::2/128
check "go: peer ours with endpoint [fd00:241::1]:10001" ip netns exec "$B" \
	wg set wggo0 peer "$pa" endpoint "[$(dp_out6 1)]:10001" \
	allowed-ips 10.241.0.1/32,fd10:241::1/128
check "go initiates: ping go->ours" dp_ping "$B" 10.241.0.1 10
check_eq "ours learned go's endpoint" "[$(dp_out6 2)]:10002" \
	"$(dp_peer_field "$A" wg0 endpoints)"
run_traffic "go initiates"

kill $gopid 2>/dev/null
wait $gopid 2>/dev/null
done_testing
