#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Per-peer counters (GET with peer-stats, read through the kernel's YNL
# library and our spec) are exact after a known exchange:
# - 6 pings A->B on a new pair of peers: a handshake (A initiated one and
#   completed it, B completed one), then each side sent and received 6
#   data messages of 128 bytes (an 84-byte echo padded to 96, plus 32),
#   and A the keepalive it owes B for the last reply (32 bytes, after
#   KEEPALIVE_TIMEOUT); packets and bytes count every message, handshakes
#   included (148 bytes the initiation, 92 the response), the same on both
#   ends and as `wg show transfer` says; no drop;
# - 3 pings from a source address that B's entry at A does not allow:
#   A's drop-allowedips grows by 3, as its device's rx_allowedips_mismatch.
# The packet cannon (40-hostile-cannon.sh) checks the per-peer drop causes
# against the device's, datagram by datagram.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
. "$WG_REPO/selftests/lib-ynl.sh"
require_module
require_ynl

A=cta$$ B=ctb$$
check "namespaces" ns_add "$A" "$B"
check "veth pair" dp_veth "$A" "$B"
ka=$(genkey) kb=$(genkey)
pa=$(pubkey "$ka") pb=$(pubkey "$kb")
check "wg0 in $A" dp_wg "$A" 1 "$ka" 10001
check "wg0 in $B" dp_wg "$B" 2 "$kb" 10002
check "A: peer B" ip netns exec "$A" wg set wg0 peer "$pb" \
	endpoint "$(dp_out4 2):10002" allowed-ips "$(dp_ip4 2)/32"
check "B: peer A" ip netns exec "$B" wg set wg0 peer "$pa" \
	endpoint "$(dp_out4 1):10001" allowed-ips "$(dp_ip4 1)/32"

declare -A a0 a1 b1
peer_stats "$A" wg0 "$pb" a0
check_eq "a new peer counts nothing" "0 0 0 0 0 0" \
	"${a0[rx-packets]} ${a0[tx-packets]} ${a0[rx-bytes]} ${a0[tx-bytes]} ${a0[handshakes-initiated]} ${a0[handshakes-completed]}"
check "6 pings A->B, the first after a handshake" \
	ip netns exec "$A" ping -q -c 6 -i 0.2 -w 10 "$(dp_ip4 2)"
# Then A owes B a keepalive for the last reply, 10 s later; after it
# neither side has anything to send.
keepalive_sent() { [ "$(dp_peer_field "$A" wg0 transfer)" = "860 948" ]; }
for ((i = 0; i < 300; i++)); do
	keepalive_sent && break
	sleep 0.1
done
check "A sent its keepalive (wg show transfer: rx 860, tx 948)" keepalive_sent
peer_stats "$A" wg0 "$pb" a1
transfer=$(dp_peer_field "$A" wg0 transfer | tr '\t' ' ')
peer_stats "$B" wg0 "$pa" b1
check_eq "A initiated one handshake and completed it, none failed" "1 1 0" \
	"${a1[handshakes-initiated]} ${a1[handshakes-completed]} ${a1[handshakes-failed]}"
check_eq "B completed one, as responder" "0 1" \
	"${b1[handshakes-initiated]} ${b1[handshakes-completed]}"
check_eq "A sent 8 messages (an initiation, 6 data, a keepalive), received 7" \
	"8 7" "${a1[tx-packets]} ${a1[rx-packets]}"
check_eq "B received 8 and sent 7" "8 7" "${b1[rx-packets]} ${b1[tx-packets]}"
check_eq "A sent 148 + 6 x 128 + 32 bytes and received 92 + 6 x 128" "948 860" \
	"${a1[tx-bytes]} ${a1[rx-bytes]}"
check_eq "B received what A sent and sent what A received" \
	"${a1[tx-packets]} ${a1[tx-bytes]} ${a1[rx-packets]} ${a1[rx-bytes]}" \
	"${b1[rx-packets]} ${b1[rx-bytes]} ${b1[tx-packets]} ${b1[tx-bytes]}"
check_eq "wg show transfer shows the same bytes" \
	"${a1[rx-bytes]} ${a1[tx-bytes]}" "$transfer"
check_eq "no drop of any cause" "0 0 0 0 0" \
	"${a1[drop-decrypt]} ${a1[drop-replay]} ${a1[drop-allowedips]} ${a1[drop-bad-inner]} ${a1[drop-staged]}"

# An inner source A does not allow for B.
check "B gets a second tunnel address" ip -n "$B" addr add 10.241.0.99/24 dev wg0
before=$(dp_stat "$A" wg0 rx_allowedips_mismatch)
ip netns exec "$B" ping -q -c 3 -i 0.2 -W 1 -I 10.241.0.99 "$(dp_ip4 1)" >/dev/null 2>&1
peer_stats "$A" wg0 "$pb" a1
check_eq "A's peer B dropped 3 for their source (drop-allowedips)" 3 \
	"${a1[drop-allowedips]}"
check_eq "as A's device counts them (rx_allowedips_mismatch)" 3 \
	"$(($(dp_stat "$A" wg0 rx_allowedips_mismatch) - before))"
check_match "a roam time is reported (none yet: zero)" '^0$' "${a1[last-roam-time]}"

done_testing
