#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Order on the wire: every data message a peer sends carries a counter
# (the nonce, bytes 8..15 of the message, little-endian); they must leave
# in counter order, strictly increasing per receiver index, even though
# bursts are sealed by workers on other CPUs and small packets in place.
#
# How: with two CPUs (run.sh's default, --smp 2; checked below), iperf3
# TCP in both directions at once (--bidir, two streams each way) through
# the tunnel for a few seconds: GSO bursts sealed by the workers and lone
# ACKs sealed inline interleave. Each end's outgoing UDP is captured where
# it leaves, on its own veth0 (tcpdump -Q out, whole frames: a UDP GSO
# datagram is seen whole there), and selftests/tools/wgwire.py cuts every
# datagram into its messages and checks that per (source, destination,
# receiver index) each counter is larger than the one before it in capture
# order. (A frame the capture dropped leaves a gap, never a step back.)
# Capturing where the datagrams leave keeps the receiving side's per-CPU
# backlogs, which may reorder, out of the picture. Both directions and
# both outer families (IPv4, then IPv6) are checked.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

ncpu=$(nproc)
check "two CPUs or more ($ncpu): workers and senders can run at once" test "$ncpu" -ge 2

# errors NS: "RX-ERRORS TX-ERRORS" of wg0 in NS.
errors() {
	local rxe txe
	read -r _ _ rxe _ _ _ txe _ <<<"$(dp_link_counters "$1" wg0)"
	echo "$rxe $txe"
}

A=doa$$ B=dob$$
check "a pair of devices" dp_pair "$A" "$B"
check "tunnel up" dp_ping "$A" "$(dp_ip4 2)" 10

pa=$(mktemp) pb=$(mktemp)
cleanup_add "rm -f '$pa' '$pb' '$pa.err' '$pb.err'"

for outer in 4 6; do
	if [ $outer = 6 ]; then
		# New peers on both ends, so that B learns the new endpoint
		# from a fresh handshake. A keepalive owed since the IPv4
		# round and sent between the two removals would reach the
		# other end for a session it no longer has (an rx error):
		# the errors of that moment are not counted.
		read -r -a ea <<<"$(errors "$A") $(errors "$B")"
		ip netns exec "$A" wg set wg0 peer "$DP_PUB2" remove
		ip netns exec "$B" wg set wg0 peer "$DP_PUB1" remove
		ip netns exec "$A" wg set wg0 peer "$DP_PUB2" \
			endpoint "[$(dp_out6 2)]:10002" allowed-ips "$(dp_ip4 2)/32"
		ip netns exec "$B" wg set wg0 peer "$DP_PUB1" \
			allowed-ips "$(dp_ip4 1)/32"
		check "outer IPv6: tunnel up" dp_ping "$A" "$(dp_ip4 2)" 10
		read -r -a eb <<<"$(errors "$A") $(errors "$B")"
	fi
	t="outer IPv$outer"
	check "$t: capture A's outgoing UDP" dp_capture_start "$A" veth0 "$pa" -Q out udp
	capa=$DP_CAP_PID
	check "$t: capture B's outgoing UDP" dp_capture_start "$B" veth0 "$pb" -Q out udp
	capb=$DP_CAP_PID
	check "$t: iperf3 TCP both ways, 2 streams each, 4 s" \
		dp_iperf "$B" "$A" "$(dp_ip4 2)" --bidir -P 2 -t 4
	dp_capture_stop "$capa"
	dp_capture_stop "$capb"
	diag "capture sizes: A $(stat -c %s "$pa"), B $(stat -c %s "$pb") bytes;" \
		"dropped by the kernel: A $(dp_capture_drops "$pa"), B $(dp_capture_drops "$pb")"

	for side in A B; do
		if [ $side = A ]; then f=$pa; else f=$pb; fi
		if is_intree; then
			# Its workers on several CPUs may send out of order.
			OUT=$(wgwire order "$f")
			skip "$t: $side's counters strictly increase in wire order" \
				"in-tree: not claimed"
		else
			check "$t: $side's counters strictly increase in wire order" \
				wgwire order "$f"
		fi
		diag "$OUT"
		# Not vacuous: bulk data, much of it in GSO datagrams (under
		# emulation, a few MB in all).
		n=$(awk '/data messages$/ { s += $(NF - 2) } END { print s + 0 }' <<<"$OUT")
		g=$(awk '$1 == "datagrams" { print $6 + 0 }' <<<"$OUT")
		# (The in-tree driver sends one message per datagram.)
		is_intree && g="$g, in-tree" && gmin=0 || gmin=10
		check "$t: $side sent plenty: $n data messages, $g datagrams of several" \
			test "$n" -ge 300 -a "${g%%,*}" -ge $gmin
	done
done

check "the tunnel still works" dp_ping "$A" "$(dp_ip4 2)"
read -r -a ec <<<"$(errors "$A") $(errors "$B")"
for i in 0 1 2 3; do
	ec[i]=$((ec[i] - eb[i] + ea[i]))
done
check_eq "A: no rx/tx errors" "0 0" "${ec[0]} ${ec[1]}"
check_eq "B: no rx/tx errors" "0 0" "${ec[2]} ${ec[3]}"

done_testing
