#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tunnels inside tunnels: a WireGuard device whose peer's endpoint is
# reached through another WireGuard device. The inner device's datagrams
# (UDP GSO ones too, which the outer device then takes as one burst)
# become the outer device's inner packets.
#
# How: A and B joined by a veth, the outer tunnel wg0 (10.241.0.0/24).
# 1. Same namespace: wg1 in A and in B (10.242.0.0/24), each the other's
#    peer at the other's wg0 address (10.241.0.N:2000N), so wg1's UDP is
#    routed into wg0 (`ip route get` says so). Ping (IPv4 and IPv6 inside)
#    and iperf3 TCP through wg1: first at wg1's default MTU (1420), where a
#    full wg1 datagram (1480 bytes) exceeds wg0's MTU and IP fragments it
#    before wg0 seals the fragments, then at MTU 1360 (1420 - 60 of
#    IPv4 + UDP + WireGuard), where it fits whole. B's wg1 learns A's
#    endpoint as A's wg0 address, and wg0 carries at least what wg1 does.
# 2. Across namespaces: wg2 created in A and in B (so its UDP socket lives
#    there, behind wg0) and then moved into namespaces Ai and Bi, which
#    have nothing but it: ping and iperf3 TCP between Ai and Bi. Moved,
#    it is as it was made: no IPv6 link-local address (which would send
#    router solicitations and MLD reports that no peer takes: tx errors).
# Throughout, no errors on any device, and the kernel log stays clean
# (run.sh checks it).
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

A=dna$$ B=dnb$$ Ai=dnai$$ Bi=dnbi$$
check "a pair of devices: the outer tunnel wg0" dp_pair "$A" "$B"
check "outer tunnel up" dp_ping "$A" "$(dp_ip4 2)" 10

# inner NS DEV N PORT PEER-N PEER-PUB KEY NET [TO-NS]: DEV in NS, listening
# on PORT, addresses 10.NET.0.N/24 and fd10:NET::N/64, one peer (PEER-PUB)
# with allowed IPs 10.NET.0.PEER-N and fd10:NET::PEER-N, at 10.241.0.PEER-N
# port PORT - N + PEER-N if N is 1; then moved to TO-NS (if given).
inner() {
	local ns=$1 dev=$2 n=$3 port=$4 pn=$5 ppub=$6 key=$7 net=$8 to=${9:-}
	local ep=()
	wg_add "$dev" "$ns" || return 1
	[ "$n" = 1 ] && ep=(endpoint "$(dp_ip4 "$pn"):$((port - n + pn))")
	ip netns exec "$ns" wg set "$dev" private-key <(echo "$key") \
		listen-port "$port" peer "$ppub" "${ep[@]}" \
		allowed-ips "10.$net.0.$pn/32,fd10:$net::$pn/128" || return 1
	if [ -n "$to" ]; then
		ip -n "$ns" link set "$dev" netns "$to" || return 1
		ns=$to
	fi
	ip -n "$ns" addr add "10.$net.0.$n/24" dev "$dev" || return 1
	ip -n "$ns" addr add "fd10:$net::$n/64" dev "$dev" nodad || return 1
	ip -n "$ns" link set "$dev" up
}

# no_errors NS DEV...: rx and tx errors of each DEV are 0.
no_errors() {
	local ns=$1 dev l bad=
	shift
	for dev; do
		read -r -a l <<<"$(dp_link_counters "$ns" "$dev")"
		[ "${l[2]} ${l[6]}" = "0 0" ] && continue
		bad+="$dev: rx_errors ${l[2]} tx_errors ${l[6]}; ethtool -S: "
		bad+=$(ip netns exec "$ns" ethtool -S "$dev" | awk '$2 != 0 && NR > 1')
		bad+=$'\n'
	done
	[ -z "$bad" ] || { echo "$bad"; return 1; }
}

# 1. Same namespace.
k1a=$(genkey) k1b=$(genkey)
p1a=$(pubkey "$k1a") p1b=$(pubkey "$k1b")
check "A: wg1, peer B's wg1 at $(dp_ip4 2):20002" inner "$A" wg1 1 20001 2 "$p1b" "$k1a" 242
check "B: wg1, peer A's wg1" inner "$B" wg1 2 20002 1 "$p1a" "$k1b" 242
check_match "A: the way to wg1's endpoint is wg0" " dev wg0 " \
	"$(ip -n "$A" route get "$(dp_ip4 2)")"

wg0a0=$(dp_link_counters "$A" wg0)
check "wg1 (MTU 1420, fragments in wg0): ping IPv4 A->B" dp_ping "$A" 10.242.0.2 15
check_eq "B's wg1 learned A's endpoint: A's wg0 address" "$(dp_ip4 1):20001" \
	"$(dp_peer_field "$B" wg1 endpoints)"
check "wg1 (MTU 1420): ping IPv6 inside B->A" dp_ping "$B" fd10:242::1
check "wg1 (MTU 1420): 1392-byte pings, 1480-byte wg1 datagrams fragmented in wg0" \
	ip netns exec "$A" ping -c 3 -i 0.3 -W 3 -s 1392 -M do 10.242.0.2
check "wg1 (MTU 1420): iperf3 TCP 1 MB A->B" dp_iperf "$B" "$A" 10.242.0.2 -n 1M
for ns in "$A" "$B"; do ip -n "$ns" link set wg1 mtu 1360; done
check "wg1 (MTU 1360): 1332-byte pings, whole in wg0" \
	ip netns exec "$A" ping -c 3 -i 0.3 -W 3 -s 1332 -M do 10.242.0.2
check "wg1 (MTU 1360): iperf3 TCP 1 MB B->A" dp_iperf "$A" "$B" 10.242.0.1 -n 1M
check "wg1 (MTU 1360): iperf3 TCP over IPv6 inside, 2 s both ways" \
	dp_iperf "$B" "$A" fd10:242::2 -t 2 --bidir
wg0a1=$(dp_link_counters "$A" wg0)
wg1a=$(dp_link_counters "$A" wg1)
read -r -a o0 <<<"$wg0a0"
read -r -a o1 <<<"$wg0a1"
read -r -a w <<<"$wg1a"
diag "A: wg0 sent $((o1[4] - o0[4])) bytes meanwhile, wg1 ${w[4]}"
check "A: wg0 carried at least what wg1 sent" test $((o1[4] - o0[4])) -ge "${w[4]}"
check "A: no errors on wg0, wg1" no_errors "$A" wg0 wg1
check "B: no errors on wg0, wg1" no_errors "$B" wg0 wg1

# 2. Across namespaces.
check "namespaces Ai, Bi" ns_add "$Ai" "$Bi"
k2a=$(genkey) k2b=$(genkey)
p2a=$(pubkey "$k2a") p2b=$(pubkey "$k2b")
check "wg2 made in A, moved to Ai" inner "$A" wg2 1 30001 2 "$p2b" "$k2a" 243 "$Ai"
check "wg2 made in B, moved to Bi" inner "$B" wg2 2 30002 1 "$p2a" "$k2b" 243 "$Bi"
for ns in "$Ai" "$Bi"; do ip -n "$ns" link set wg2 mtu 1360; done
check "wg2's UDP socket stayed in A" bound 30001 "$A"
# A device made in place has no IPv6 link-local address (so sends no
# router solicitations or MLD reports that no peer could take); one moved
# in must not get one either.
check_eq "A: wg1 (made in place) has no IPv6 link-local address" "" \
	"$(ip -n "$A" -6 addr show dev wg1 scope link)"
check_eq "Ai: wg2 (moved in) has no IPv6 link-local address either" "" \
	"$(ip -n "$Ai" -6 addr show dev wg2 scope link)"
check "Ai: ping IPv4 Ai->Bi" dp_ping "$Ai" 10.243.0.2 15
check "Bi: ping IPv6 Bi->Ai" dp_ping "$Bi" fd10:243::1
check_eq "B's wg2 learned A's endpoint: A's wg0 address" "$(dp_ip4 1):30001" \
	"$(dp_peer_field "$Bi" wg2 endpoints)"
check "iperf3 TCP 1 MB Ai->Bi" dp_iperf "$Bi" "$Ai" 10.243.0.2 -n 1M
check "iperf3 TCP 1 MB Bi->Ai over IPv6" dp_iperf "$Ai" "$Bi" fd10:243::1 -n 1M
check "wg1 still works beside it" dp_ping "$A" 10.242.0.2
check "Ai: no errors on wg2" no_errors "$Ai" wg2
check "Bi: no errors on wg2" no_errors "$Bi" wg2
check "A: no errors on wg0, wg1" no_errors "$A" wg0 wg1
check "B: no errors on wg0, wg1" no_errors "$B" wg0 wg1

done_testing
