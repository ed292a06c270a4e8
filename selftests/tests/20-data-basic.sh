#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Data plane basics: two devices in two namespaces joined by a veth pair.
# For each outer family (IPv4, IPv6 endpoints) with and without a preshared
# key: a fresh handshake, ping inside over IPv4 and IPv6, iperf3 TCP and UDP
# (inner families alternate so every inner/outer pair gets TCP and UDP),
# `wg show` transfer and latest-handshake advancing; then MTU-sized pings
# with DF set pass and one byte more is refused locally.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

A=dpa$$ B=dpb$$
check "namespaces" ns_add "$A" "$B"
check "veth pair" dp_veth "$A" "$B"
ka=$(genkey) kb=$(genkey)
pa=$(pubkey "$ka") pb=$(pubkey "$kb")
check "wg0 in $A" dp_wg "$A" 1 "$ka" 10001
check "wg0 in $B" dp_wg "$B" 2 "$kb" 10002
check_eq "default MTU 1420" 1420 "$(ip -n "$A" -o link show wg0 | sed -E 's/.* mtu ([0-9]+).*/\1/')"

# peers OUTER(4|6) PSK("" or a key): (re)create both peers, so that the next
# packet needs a new handshake. A knows B's endpoint; B learns A's.
peers() {
	local ep psk=()
	if [ "$1" = 4 ]; then ep=$(dp_out4 2):10002; else ep="[$(dp_out6 2)]:10002"; fi
	ip netns exec "$A" wg set wg0 peer "$pb" remove
	ip netns exec "$B" wg set wg0 peer "$pa" remove
	# (a file: a <(...) in an assignment is closed before it is read)
	[ -n "$2" ] && echo "$2" >"$pskf" && psk=(preshared-key "$pskf")
	ip netns exec "$A" wg set wg0 peer "$pb" "${psk[@]}" endpoint "$ep" \
		allowed-ips "$(dp_ip4 2)/32,$(dp_ip6 2)/128" || return 1
	ip netns exec "$B" wg set wg0 peer "$pa" "${psk[@]}" \
		allowed-ips "$(dp_ip4 1)/32,$(dp_ip6 1)/128"
}

pskf=$(mktemp)
cleanup_add "rm -f '$pskf'"
round=0
for outer in 4 6; do
	for usepsk in no yes; do
		psk=
		[ $usepsk = yes ] && psk=$(genpsk)
		t="outer IPv$outer, psk $usepsk"
		check "$t: peers configured" peers "$outer" "$psk"
		check_eq "$t: no handshake yet" 0 "$(dp_peer_field "$A" wg0 latest-handshakes)"
		check_eq "$t: preshared key as set" "${psk:-(none)}" \
			"$(dp_peer_field "$B" wg0 preshared-keys)"
		before_tr=$(dp_peer_field "$A" wg0 transfer)
		check "$t: ping IPv4 inside (A->B)" dp_ping "$A" "$(dp_ip4 2)" 10
		hs1=$(dp_peer_field "$A" wg0 latest-handshakes)
		check_match "$t: A's latest-handshake set" '^[1-9][0-9]+$' "$hs1"
		hs2=$(dp_peer_field "$B" wg0 latest-handshakes)
		check_match "$t: B's latest-handshake set" '^[1-9][0-9]+$' "$hs2"
		ep=$(dp_peer_field "$B" wg0 endpoints)
		if [ "$outer" = 4 ]; then want="$(dp_out4 1):10001"; else want="[$(dp_out6 1)]:10001"; fi
		check_eq "$t: B learned A's endpoint" "$want" "$ep"
		check "$t: ping IPv6 inside (A->B)" dp_ping "$A" "$(dp_ip6 2)"
		check "$t: ping IPv4 inside (B->A)" dp_ping "$B" "$(dp_ip4 1)"
		check "$t: ping IPv6 inside (B->A)" dp_ping "$B" "$(dp_ip6 1)"
		if [ $((round % 2)) = 0 ]; then tcp=$(dp_ip4 2) udp=$(dp_ip6 2)
		else tcp=$(dp_ip6 2) udp=$(dp_ip4 2); fi
		check "$t: iperf3 TCP 1 MiB to $tcp" dp_iperf "$B" "$A" "$tcp" -n 1M
		check "$t: iperf3 UDP 20M to $udp" dp_iperf "$B" "$A" "$udp" -t 2 -u -b 20M
		after_tr=$(dp_peer_field "$A" wg0 transfer)
		read -r rx0 tx0 <<<"${before_tr:-0 0}"
		read -r rx1 tx1 <<<"$after_tr"
		# A mostly sent: what it received are B's ACKs, which GRO makes few.
		check "$t: A's transfer rx grew ($rx0 -> $rx1)" test "${rx1:-0}" -gt $((rx0 + 2000))
		check "$t: A's transfer tx grew ($tx0 -> $tx1)" test "${tx1:-0}" -gt $((tx0 + 1000000))
		read -r brx btx <<<"$(dp_peer_field "$B" wg0 transfer)"
		check "$t: B received what A sent (B rx $brx, A tx $tx1)" \
			test "${brx:-0}" -gt $(((tx1 - tx0) / 2))
		round=$((round + 1))
	done
done

# The handshake time advances on a new handshake.
hs_old=$(dp_peer_field "$A" wg0 latest-handshakes)
sleep 1.1
check "peers re-created (IPv4 outer)" peers 4 ""
check "ping after re-creating the peers" dp_ping "$A" "$(dp_ip4 2)" 10
hs_new=$(dp_peer_field "$A" wg0 latest-handshakes)
check "latest-handshake advanced ($hs_old -> $hs_new)" test "${hs_new:-0}" -gt "${hs_old:-0}"

# MTU: 1392 + 8 + 20 = 1420 fits exactly, over IPv4 and IPv6 outer.
for outer in 4 6; do
	peers "$outer" ""
	dp_ping "$A" "$(dp_ip4 2)" 10 >/dev/null
	check "outer IPv$outer: ping -s 1392 -M do (IPv4, 1420 bytes)" \
		ip netns exec "$A" ping -c 2 -W 3 -s 1392 -M do "$(dp_ip4 2)"
	check "outer IPv$outer: ping -s 1372 -M do (IPv6, 1420 bytes)" \
		ip netns exec "$A" ping -6 -c 2 -W 3 -s 1372 -M do "$(dp_ip6 2)"
	check "outer IPv$outer: ping -s 1392 -M do back (B->A)" \
		ip netns exec "$B" ping -c 2 -W 3 -s 1392 -M do "$(dp_ip4 1)"
done
check_fail "ping -s 1393 -M do is refused (message too long)" \
	ip netns exec "$A" ping -c 1 -W 2 -s 1393 -M do "$(dp_ip4 2)"
check "a 4000-byte ping is fragmented and passes" \
	ip netns exec "$A" ping -c 2 -W 3 -s 4000 "$(dp_ip4 2)"

done_testing
