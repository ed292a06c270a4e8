#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# AllowedIPs on the data path: a packet whose inner source is not allowed for
# the peer it came from is dropped (rx_allowedips_mismatch counts it), a
# packet to an address with no peer and to a peer without an endpoint gets
# an ICMP unreachable back (tx_no_peer, tx_no_endpoint), IPv4 and IPv6.
# The ethtool counters are our module's; skipped with the in-tree driver.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

A=dpa$$ B=dpb$$
check "namespaces" ns_add "$A" "$B"
check "veth pair" dp_veth "$A" "$B"
ka=$(genkey) kb=$(genkey)
pa=$(pubkey "$ka") pb=$(pubkey "$kb")
check "wg0 in $A" dp_wg "$A" 1 "$ka" 10001
check "wg0 in $B" dp_wg "$B" 2 "$kb" 10002
check "A: peer B" ip netns exec "$A" wg set wg0 peer "$pb" \
	endpoint "$(dp_out4 2):10002" allowed-ips 10.241.0.2/32,fd10:241::2/128
check "B: peer A" ip netns exec "$B" wg set wg0 peer "$pa" \
	allowed-ips 10.241.0.1/32,fd10:241::1/128
check "tunnel up: ping A->B" dp_ping "$A" 10.241.0.2 10
check "ping6 A->B" dp_ping "$A" fd10:241::2

# stat_delta NS NAME BEFORE: how much the counter grew (ours only).
stat_grew() { # DESC NS NAME BEFORE
	if is_intree; then skip "$1" "in-tree driver has no ethtool stats"; return; fi
	local now
	now=$(dp_stat "$2" wg0 "$3")
	check "$1 ($3: $4 -> $now)" test "${now:-0}" -gt "${4:-0}"
}
rxerr() { dp_link_stat "$1" wg0 rx_errors; }

# 1. A second source address on A that B does not allow for A.
ip -n "$A" addr add 10.241.0.5/32 dev wg0
ip -n "$A" addr add fd10:241::5/128 dev wg0 nodad
m0=$(dp_stat "$B" wg0 rx_allowedips_mismatch)
rx0=$(dp_link_stat "$B" wg0 rx_packets)
check_fail "ping from a source B does not allow for A (10.241.0.5) fails" \
	ip netns exec "$A" ping -c 2 -W 1 -I 10.241.0.5 10.241.0.2
check_fail "ping6 from fd10:241::5 fails" \
	ip netns exec "$A" ping -6 -c 2 -W 1 -I fd10:241::5 fd10:241::2
stat_grew "B counted the disallowed inner sources" "$B" rx_allowedips_mismatch "$m0"
if ! is_intree; then
	now=$(dp_stat "$B" wg0 rx_allowedips_mismatch)
	check "by exactly 4 packets (${m0:-0} -> $now)" test $((now - m0)) -eq 4
fi
if is_intree; then
	check_eq "B's wg0 delivered none of them (rx_packets)" "$rx0" \
		"$(dp_link_stat "$B" wg0 rx_packets)"
else
	# Ours counts every authentic message received, as wg show transfer
	# does; the drop shows in rx_errors and ethtool -S.
	check_eq "B's wg0 counted the 4 messages received (rx_packets)" \
		"$((rx0 + 4))" "$(dp_link_stat "$B" wg0 rx_packets)"
fi
check "the allowed source still works" dp_ping "$A" 10.241.0.2
# (fd10:241::5/128 would win IPv6 source selection from here on)
ip -n "$A" addr del 10.241.0.5/32 dev wg0
ip -n "$A" addr del fd10:241::5/128 dev wg0

# 2. B restricts A to a /32 that is not A's tunnel address.
check "B: A's allowed-ips now 10.241.0.99/32, fd10:241::99/128" \
	ip netns exec "$B" wg set wg0 peer "$pa" allowed-ips 10.241.0.99/32,fd10:241::99/128
m0=$(dp_stat "$B" wg0 rx_allowedips_mismatch)
check_fail "ping A->B fails" ip netns exec "$A" ping -c 2 -W 1 10.241.0.2
check_fail "ping6 A->B fails" ip netns exec "$A" ping -6 -c 2 -W 1 fd10:241::2
stat_grew "rx_allowedips_mismatch grew" "$B" rx_allowedips_mismatch "$m0"
np0=$(dp_stat "$B" wg0 tx_no_peer)
check_fail "B->A: no route to A's address in B's allowed-ips" \
	ip netns exec "$B" ping -c 1 -W 2 10.241.0.1
check_match "B's ping reports unreachable" "[Uu]nreachable" "$OUT"
stat_grew "B counted tx_no_peer" "$B" tx_no_peer "$np0"
check "B: A's allowed-ips restored" \
	ip netns exec "$B" wg set wg0 peer "$pa" allowed-ips 10.241.0.1/32,fd10:241::1/128
check "ping A->B works again" dp_ping "$A" 10.241.0.2
check "ping6 A->B works again" dp_ping "$A" fd10:241::2

# 3. No peer for the destination: ICMP unreachable.
np0=$(dp_stat "$A" wg0 tx_no_peer)
txe0=$(dp_link_stat "$A" wg0 tx_errors)
check_fail "ping 10.241.0.77 (no peer) fails" \
	ip netns exec "$A" ping -c 1 -W 2 10.241.0.77
check_match "with Destination Host Unreachable" "Destination Host Unreachable" "$OUT"
check_fail "ping6 fd10:241::77 (no peer) fails" \
	ip netns exec "$A" ping -6 -c 1 -W 2 fd10:241::77
check_match "with an ICMPv6 unreachable" "[Uu]nreachable" "$OUT"
stat_grew "tx_no_peer grew" "$A" tx_no_peer "$np0"
check "tx_errors grew" test "$(dp_link_stat "$A" wg0 tx_errors)" -gt "${txe0:-0}"

# 4. A peer without an endpoint: ICMP unreachable too.
check "A: peer C without endpoint, 10.241.0.50/32, fd10:241::50/128" \
	ip netns exec "$A" wg set wg0 peer "$(randkey)" \
	allowed-ips 10.241.0.50/32,fd10:241::50/128
ne0=$(dp_stat "$A" wg0 tx_no_endpoint)
check_fail "ping 10.241.0.50 (peer without endpoint) fails" \
	ip netns exec "$A" ping -c 1 -W 2 10.241.0.50
check_match "with Destination Host Unreachable" "Destination Host Unreachable" "$OUT"
check_fail "ping6 fd10:241::50 fails" \
	ip netns exec "$A" ping -6 -c 1 -W 2 fd10:241::50
check_match "with an ICMPv6 unreachable" "[Uu]nreachable" "$OUT"
stat_grew "tx_no_endpoint grew" "$A" tx_no_endpoint "$ne0"
check_eq "C's endpoint is still unset" "(none)" \
	"$(ip netns exec "$A" wg show wg0 endpoints | awk '$2 == "(none)" { print $2 }')"
check "B is still reachable" dp_ping "$A" 10.241.0.2

done_testing
