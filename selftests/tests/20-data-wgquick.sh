#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# wg-quick with a full-tunnel configuration (AllowedIPs = 0.0.0.0/0, ::/0) in
# a namespace: its fwmark policy routing is installed (ip rules, table 51820,
# the nft src_valid_mark table), traffic to an arbitrary address goes through
# the tunnel to the peer namespace which owns that address, the tunnel's own
# UDP packets still leave through the veth, and wg-quick down restores rules,
# routes and the nft ruleset.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

command -v wg-quick >/dev/null || { skip "wg-quick" "not installed"; done_testing; }

A=dpa$$ B=dpb$$
check "namespaces" ns_add "$A" "$B"
check "veth pair" dp_veth "$A" "$B"
ka=$(genkey) kb=$(genkey)
pa=$(pubkey "$ka") pb=$(pubkey "$kb")
check "B: wg0" dp_wg "$B" 2 "$kb" 10002
check "B: peer A" ip netns exec "$B" wg set wg0 peer "$pa" \
	allowed-ips 10.241.0.1/32,fd10:241::1/128
# The "internet" behind B: addresses on its lo.
ip -n "$B" addr add 203.0.113.7/32 dev lo
ip -n "$B" addr add 2001:db8::7/128 dev lo nodad
ip netns exec "$B" sysctl -qw net.ipv4.ip_forward=1

dir=$(mktemp -d)
cleanup_add "rm -rf '$dir'"
conf=$dir/wgq0.conf
umask 077
cat >"$conf" <<CONF
[Interface]
PrivateKey = $ka
Address = 10.241.0.1/24, fd10:241::1/64
ListenPort = 10001

[Peer]
PublicKey = $pb
Endpoint = $(dp_out4 2):10002
AllowedIPs = 0.0.0.0/0, ::/0
CONF

state() {
	ip netns exec "$A" sh -c 'ip rule; ip -6 rule; ip route show table all;
		ip -6 route show table all; nft list ruleset 2>/dev/null' |
		grep -v -e '^ *$' -e '^local fe80::'
}
# (The veth's link-local address may finish DAD, and get its local route,
# after the first snapshot.)
before=$(state)
check_eq "no route to 203.0.113.7 before" "" \
	"$(ip netns exec "$A" ip route get 203.0.113.7 2>/dev/null)"

check "wg-quick up" ip netns exec "$A" wg-quick up "$conf"
cleanup_add "ip netns exec '$A' wg-quick down '$conf'"
check_match "wg-quick used the kernel device (type wireguard)" "wireguard" \
	"$(ip -n "$A" -d link show wgq0)"
rules=$(ip -n "$A" rule)
check_match "ip rule: not fwmark 0xca6c -> table 51820" \
	"not from all fwmark 0xca6c lookup 51820" "$rules"
check_match "ip rule: main with suppress_prefixlength 0" \
	"lookup main suppress_prefixlength 0" "$rules"
check_match "ip -6 rule: not fwmark 0xca6c -> table 51820" \
	"not from all fwmark 0xca6c lookup 51820" "$(ip -n "$A" -6 rule)"
check_match "table 51820 has the default route via wgq0" "^default dev wgq0" \
	"$(ip -n "$A" route show table 51820)"
check_eq "wg show fwmark" 0xca6c "$(ip netns exec "$A" wg show wgq0 fwmark)"
check_match "nft has wg-quick's table" "table ip6? wg-quick-wgq0" \
	"$(ip netns exec "$A" nft list tables 2>&1)"
check_match "203.0.113.7 is routed into the tunnel" "dev wgq0" \
	"$(ip netns exec "$A" ip route get 203.0.113.7)"
check_match "the endpoint, with the fwmark, via the veth" "dev veth0" \
	"$(ip netns exec "$A" ip route get "$(dp_out4 2)" mark 0xca6c)"

rx0=$(dp_link_stat "$B" wg0 rx_packets)
check "ping 203.0.113.7 through the tunnel" dp_ping "$A" 203.0.113.7 10
check "ping6 2001:db8::7 through the tunnel" dp_ping "$A" 2001:db8::7
check "TCP to 203.0.113.7 (iperf3 -t 2)" dp_iperf "$B" "$A" 203.0.113.7 -t 2
check "B's wg0 received them" test "$(dp_link_stat "$B" wg0 rx_packets)" -gt "${rx0:-0}"
check_match "A has a handshake" '^[1-9][0-9]+$' \
	"$(dp_peer_field "$A" wgq0 latest-handshakes)"

check "wg-quick down" ip netns exec "$A" wg-quick down "$conf"
check_fail "wgq0 is gone" ip -n "$A" link show wgq0
check_eq "rules, routes and nft ruleset as before" "$before" "$(state)"

done_testing
