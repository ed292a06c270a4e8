#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# UDP GSO on the way out: a GSO burst (a TCP or UDP GSO super-packet given
# to wg0) leaves as UDP GSO datagrams of several WireGuard messages each,
# one gso_size = the message size, only the last message maybe shorter.
#
# How it is proven:
# 1. One burst of known shape. In A, a UDP socket sends one sendmsg() of
#    7500 bytes with UDP_SEGMENT = 1000 to B through the tunnel: wg0 gets
#    one UDP GSO super-packet of 8 segments, 7 of 1028 bytes (1000 + UDP +
#    IPv4 headers; padded 1040; messages of 1072) and one of 528 (messages
#    of 560). A capture on A's veth0 where it sends (tcpdump -Q out: the
#    veth takes UDP GSO as it is, so the capture sees what the module handed
#    to the IP layer, before any segmentation) must show exactly one
#    datagram of 7 * 1072 + 560 = 8064 bytes, which wgwire.py cuts into 8
#    data messages with consecutive counters (see its header: each message
#    header is found at a multiple of the first one's size). Meanwhile wg0
#    counts 8 messages (tx_packets +8, tx_bytes +8064) while veth0 counts
#    the skbs it passes: fewer than 8 (1, give or take an ARP). B gets the
#    8 datagrams, whole and in order. For IPv4 and IPv6 outer. (Nothing
#    else may travel A->B meanwhile: a one-way datagram just before
#    spares A the keepalive it would owe after the echo reply that shows
#    the tunnel up.)
# 2. Bulk TCP (iperf3, 2 MB A->B): on A, the messages wg0 counts exceed
#    twice the skbs veth0 counts, on B likewise wg0's rx messages exceed
#    twice veth0's rx skbs (the GSO datagram crosses the veth whole and is
#    split by the receiving UDP socket); the capture shows datagrams longer
#    than the veth's MTU (1500) -- impossible for one message -- each cut
#    into full-sized messages (1452: a 1420-byte segment, the MTU, never
#    padded past it).
# The in-tree driver sends one datagram per message: with it only the
# delivery is checked.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

A=dga$$ B=dgb$$
check "a pair of devices" dp_pair "$A" "$B"
pcap=$(mktemp) rlog=$(mktemp)
cleanup_add "rm -f '$pcap' '$pcap.err' '$rlog'"

# recv_start ADDR: in B, a UDP socket on ADDR port 9000 that prints, for
# each datagram, "FIRST-BYTE:LENGTH", until one starts with 7 (the last
# segment) or 30 s pass without one.
recv_start() {
	ip netns exec "$B" /usr/bin/python3 -IS -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9000))
s.settimeout(30)
out = []
try:
    while True:
        d = s.recv(65535)
        out.append("%d:%d" % (d[0], len(d)))
        if d[0] == 7:
            break
except socket.timeout:
    pass
print(" ".join(out))
' "$1" >"$rlog" 2>&1 &
	rpid=$!
	cleanup_add "kill $rpid"
	dp_wait_listen "$B" 9000 udp
}

# send_gso ADDR: in A, one sendmsg() of 7 * 1000 + 500 bytes with
# UDP_SEGMENT 1000 to ADDR port 9000; segment i is filled with byte i.
send_gso() {
	ip netns exec "$A" /usr/bin/python3 -IS -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_UDP, 103, 1000)  # UDP_SEGMENT
data = b"".join(bytes([i]) * 1000 for i in range(7)) + bytes([7]) * 500
n = s.sendto(data, (sys.argv[1], 9000))
assert n == len(data), n
' "$1"
}

# send_one ADDR: in A, one datagram of one byte, 255, to ADDR port 9000.
send_one() {
	ip netns exec "$A" /usr/bin/python3 -IS -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
socket.socket(fam, socket.SOCK_DGRAM).sendto(b"\xff", (sys.argv[1], 9000))
' "$1"
}

# counters NS DEV: "RX-PACKETS TX-PACKETS TX-BYTES" of DEV.
counters() {
	local l
	read -r -a l <<<"$(dp_link_counters "$1" "$2")"
	echo "${l[1]} ${l[5]} ${l[4]}"
}

for outer in 4 6; do
	t="outer IPv$outer"
	if [ $outer = 6 ]; then
		# Fresh peers: B learns the IPv6 endpoint from a new handshake.
		# B first: it owes A a keepalive 10 s after A's last datagram,
		# which, sent between the two removals, would reach A for a
		# session A no longer has (rx_unknown_index, an rx error).
		ip netns exec "$B" wg set wg0 peer "$DP_PUB1" remove
		ip netns exec "$A" wg set wg0 peer "$DP_PUB2" remove
		ip netns exec "$A" wg set wg0 peer "$DP_PUB2" \
			endpoint "[$(dp_out6 2)]:10002" \
			allowed-ips "$(dp_ip4 2)/32,$(dp_ip6 2)/128"
		ip netns exec "$B" wg set wg0 peer "$DP_PUB1" \
			allowed-ips "$(dp_ip4 1)/32,$(dp_ip6 1)/128"
	fi
	check "$t: receiver in B" recv_start "$(dp_ip4 2)"
	check "$t: tunnel up" dp_ping "$A" "$(dp_ip4 2)" 10
	# A received the echo reply: in 10 s it would send a keepalive,
	# which would land in the figures below. A datagram A->B that B
	# does not answer (B then owes the keepalive, which goes B->A,
	# and is not counted below) spares the wait.
	check "$t: a one-way datagram A->B" send_one "$(dp_ip4 2)"
	# Inner IPv4 (segments of 1028 bytes as counted above).
	check "$t: capture A's outgoing UDP" dp_capture_start "$A" veth0 "$pcap" -Q out udp
	wa0=$(counters "$A" wg0) va0=$(counters "$A" veth0) wb0=$(counters "$B" wg0)
	check "$t: one sendmsg of 8 UDP segments (UDP_SEGMENT 1000)" send_gso "$(dp_ip4 2)"
	wait $rpid
	wa1=$(counters "$A" wg0) va1=$(counters "$A" veth0) wb1=$(counters "$B" wg0)
	dp_capture_stop
	check_eq "$t: B got the one byte, then the 8 segments, whole and in order" \
		"255:1 0:1000 1:1000 2:1000 3:1000 4:1000 5:1000 6:1000 7:500" "$(cat "$rlog")"
	frames=$(wgwire frames "$pcap" | awk '$7 == 4 { $NF = ""; $(NF - 1) = ""; print }')
	m=$(dp_msg_size 1028) ml=$(dp_msg_size 528)
	read -r _ wa_tp0 wa_tb0 <<<"$wa0"
	read -r _ wa_tp1 wa_tb1 <<<"$wa1"
	read -r _ va_tp0 _ <<<"$va0"
	read -r _ va_tp1 _ <<<"$va1"
	read -r wb_rp0 _ _ <<<"$wb0"
	read -r wb_rp1 _ _ <<<"$wb1"
	if is_intree; then
		skip "$t: one datagram of 8 messages on the wire" "in-tree: no UDP GSO"
		skip "$t: counters: messages vs skbs" "in-tree: no UDP GSO, counters differ"
		continue
	fi
	if [ $outer = 4 ]; then src="$(dp_out4 1):10001" dst="$(dp_out4 2):10002"
	else src="[$(dp_out6 1)]:10001" dst="[$(dp_out6 2)]:10002"; fi
	# "SRC DST LEN MSGS SIZE LAST TYPE" (receiver and counter cut off)
	check_eq "$t: the wire: one datagram of $((7 * m + ml)) bytes, 8 data messages, 7 of $m and one of $ml" \
		"$src $dst $((7 * m + ml)) 8 $m $ml 4" "$(echo $frames)"
	check_eq "$t: wg0 counted 8 messages, $((7 * m + ml)) bytes" \
		"8 $((7 * m + ml))" "$((wa_tp1 - wa_tp0)) $((wa_tb1 - wa_tb0))"
	n=$((va_tp1 - va_tp0))
	check "$t: veth0 counted fewer skbs ($n) than messages (8)" test "$n" -ge 1 -a "$n" -lt 8
	check_eq "$t: B's wg0 counted 8 messages in" 8 "$((wb_rp1 - wb_rp0))"
done

# 2. Bulk TCP: messages against skbs, and datagrams longer than the MTU.
check "capture A's outgoing UDP" dp_capture_start "$A" veth0 "$pcap" -Q out udp
wa0=$(counters "$A" wg0) va0=$(counters "$A" veth0)
wb0=$(counters "$B" wg0) vb0=$(counters "$B" veth0)
check "iperf3 TCP, 2 MB A->B" dp_iperf "$B" "$A" "$(dp_ip4 2)" -n 2M
wa1=$(counters "$A" wg0) va1=$(counters "$A" veth0)
wb1=$(counters "$B" wg0) vb1=$(counters "$B" veth0)
dp_capture_stop
read -r _ a0 _ <<<"$wa0"
read -r _ a1 _ <<<"$wa1"
read -r _ s0 _ <<<"$va0"
read -r _ s1 _ <<<"$va1"
msgs=$((a1 - a0)) skbs=$((s1 - s0))
read -r r0 _ _ <<<"$wb0"
read -r r1 _ _ <<<"$wb1"
read -r q0 _ _ <<<"$vb0"
read -r q1 _ _ <<<"$vb1"
rmsgs=$((r1 - r0)) rskbs=$((q1 - q0))
diag "A: wg0 sent $msgs messages, veth0 $skbs skbs; B: wg0 received $rmsgs messages, veth0 $rskbs skbs"
big=$(wgwire frames "$pcap" | awk '$3 > 1500')
nbig=$(grep -c . <<<"$big")
if is_intree; then
	skip "A: messages > 2 x veth0 skbs" "in-tree: no UDP GSO"
	skip "B: messages > 2 x veth0 skbs" "in-tree: no UDP GSO"
	skip "datagrams longer than the MTU" "in-tree: no UDP GSO"
	skip "each cut into messages of 1452" "in-tree: no UDP GSO"
else
	# A slow VM (the debug kernel) gets smaller bursts from TCP: 1.5x.
	check "A: messages ($msgs) > 1.5 x veth0 skbs ($skbs)" test "$msgs" -gt $((3 * skbs / 2))
	check "B: messages in ($rmsgs) > 1.5 x veth0 skbs in ($rskbs)" test "$rmsgs" -gt $((3 * rskbs / 2))
	check "datagrams longer than the veth's MTU on the wire ($nbig)" test "$nbig" -ge 10
	diag "e.g. (SRC DST LEN MSGS SIZE LAST TYPE RECEIVER COUNTER):"$'\n'"$(head -n 3 <<<"$big")"
	check_eq "each cut into data messages of 1452 (SIZE), none bad" "" \
		"$(awk '$4 == "bad" || $5 != 1452 || $7 != 4' <<<"$big")"
fi
for side in A B; do
	read -r _ _ rxe _ _ _ txe _ <<<"$(dp_link_counters "${!side}" wg0)"
	check_eq "$side: no rx/tx errors" "0 0" "$rxe $txe"
	[ "$rxe $txe" = "0 0" ] || is_intree ||
		diag "$side, ethtool -S wg0, non-zero:" \
			"$(ip netns exec "${!side}" ethtool -S wg0 | awk '$2 != 0' | tr -s ' \n' ' ')"
done

done_testing
