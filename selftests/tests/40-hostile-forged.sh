#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Forgeries at a live session while it carries TCP. A data message names
# its receiver's index in clear, so anyone on the path can address forged
# data messages to B's live session. From A's namespace, for
# WG_FORGED_SECONDS (default 20) while two TCP flows run A->B, runs of 2 to
# 16 forged messages of 1400 bytes for B's index (taken from a capture),
# with counters far ahead of B's replay window or behind it, each run one
# UDP GSO datagram: B's socket cuts it, so a whole run reaches B's lane in
# one poll, next to the real messages of the same session, and runs larger
# than 4 KiB are opened by a crypto worker. Afterwards:
# - each forged message was refused once: rx_decrypt_failed + rx_replay grew
#   by at most the number sent, and with rx_queue_full and rx_expired_key
#   (load may fill the lane's ring) plus the veth pair's drops by at least
#   that (ours only);
# - the TCP transfer completed, ping goes both ways, and B still holds the
#   session of the first handshake;
# - the VM runner fails the run on any splat in the kernel log.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

secs=${WG_FORGED_SECONDS:-20}
A=fga$$ B=fgb$$
check "two namespaces, the veth pair, wg0 in each, peers" dp_pair "$A" "$B"
check "handshake: ping A->B" dp_ping "$A" "$(dp_ip4 2)" 10
hs=$(dp_peer_field "$B" wg0 latest-handshakes)

pcap=$(mktemp)
check "capture A's data messages to B" dp_capture_start "$A" veth0 "$pcap" \
	"udp and src host $(dp_out4 1) and dst port 10002"
check "three more pings A->B" ip netns exec "$A" ping -q -c 3 -i 0.2 -w 10 "$(dp_ip4 2)"
dp_capture_stop
index=$(wgwire msgs "$pcap" | awk '$4 == 4 { print $6; exit }')
check_match "B's receiver index, from the capture ($index)" '^[0-9a-f]{8}$' "$index"

stats="rx_decrypt_failed rx_replay rx_queue_full rx_expired_key"
declare -A before
for s in $stats; do before[$s]=$(dp_stat "$B" wg0 "$s"); done
drops_before=$(($(dp_link_stat "$A" veth0 tx_dropped) + $(dp_link_stat "$B" veth0 rx_dropped)))
out=$(mktemp)
cleanup_add "rm -f '$out' '$pcap'"
wg_forge "$A" "$index" "$(dp_out4 2)" 10002 --seconds "$secs" >"$out" 2>&1 &
fpid=$!
cleanup_add "kill $fpid 2>/dev/null"
check "two TCP flows A->B for $secs s under forged runs (iperf3)" \
	dp_iperf "$B" "$A" "$(dp_ip4 2)" -t "$secs" -P 2
wait $fpid
sent=$(cat "$out")
check_match "the forger ran ($sent messages)" '^[1-9][0-9]*$' "$sent"
sleep 1

if is_intree; then
	skip "each forged message refused once" "in-tree: no ethtool stats"
else
	declare -A d
	for s in $stats; do d[$s]=$(($(dp_stat "$B" wg0 "$s") - ${before[$s]})); done
	drops=$(($(dp_link_stat "$A" veth0 tx_dropped) + $(dp_link_stat "$B" veth0 rx_dropped) - drops_before))
	refused=$((d[rx_decrypt_failed] + d[rx_replay]))
	diag "sent $sent: decrypt_failed +${d[rx_decrypt_failed]}, replay +${d[rx_replay]}," \
		"queue_full +${d[rx_queue_full]}, expired_key +${d[rx_expired_key]}, veth drops +$drops"
	check "refused as undecryptable or replayed: at most the $sent sent ($refused)" \
		test "$refused" -le "$sent"
	check "with the load drops, at least the $sent sent" \
		test $((refused + d[rx_queue_full] + d[rx_expired_key] + drops)) -ge "$sent"
fi
check "ping A->B after" dp_ping "$A" "$(dp_ip4 2)"
check "ping B->A after" dp_ping "$B" "$(dp_ip4 1)"
check_eq "B's session is still the first handshake's" "$hs" \
	"$(dp_peer_field "$B" wg0 latest-handshakes)"

done_testing
