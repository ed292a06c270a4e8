#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Counters: `ip -s link` and `wg show transfer` (and `wg show dump`) count
# the same thing, each WireGuard message once, in bytes of the message (its
# UDP payload): 148 for an initiation, 92 for a response, 32 + the inner
# packet zero-padded to a multiple of 16 (never past the MTU) for data.
#
# How: a fresh pair of devices (no session yet) and a capture of A's veth0
# (both directions). A pings B ten times with 57 bytes of ICMP payload, an
# 85-byte IPv4 packet padded to 96, so 128-byte data messages. The exchange
# is then exactly: A->B one initiation (148) and ten echo requests; B->A one
# response (92) and ten echo replies. No keepalive: the first echo request,
# staged while the handshake runs, is what confirms the session to B, and
# every request gets its reply. So, on both ends, 11 packets each way:
#   A tx = B rx = 148 + 10 * 128 = 1428,  A rx = B tx = 92 + 10 * 128 = 1372
# The capture must show exactly these messages, with these sizes, and the
# counters must equal both these figures and the capture's sums. Then the
# padding's two edges, right after on the same pair, as deltas: three IPv6
# pings of 57 bytes (105 -> 112, messages of 144) and three IPv4 pings of
# 1390 bytes (1418 would pad to 1424 but stops at the MTU, 1420: messages
# of 1452). Errors and drops stay 0 throughout.
#
# The exchanges run back to back, with only ip -s link in between, and
# are checked afterwards, so that no timer has a reason to send anything
# meanwhile. A heard B last: 10 s after the last reply it sends its passive
# keepalive (32 bytes, which asks nothing back). The test waits for it, then
# reads everything (ip -s link, wg show transfer and dump) and compares it
# with the sum of all three exchanges and that keepalive. Replies are counted in A's Icmp MIB. A VM slow enough to make
# one anyway (an initiation sent again after 5 s without a response, a
# keepalive 10 s after an unanswered reply) changes the exchange; then the
# whole attempt is repeated on a fresh pair (up to 3 times), and the checks
# always hold the last attempt to the exact figures.
#
# The in-tree driver counts its netdev statistics differently (ours only:
# counters = messages); with it only the wire and the tunnel are checked.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

pcap=$(mktemp)
cleanup_add "rm -f '$pcap' '$pcap.err'"
msgs=$(mktemp)
cleanup_add "rm -f '$msgs'"

# wire T0 T1: the messages the capture saw between times T0 and T1, as
# sorted lines "FROM>TO type TYPE len LEN xCOUNT", FROM and TO "A" or "B".
wire() {
	awk -v t0="$1" -v t1="$2" -v a="$(dp_out4 1)" -v b="$(dp_out4 2)" '
		$1 >= t0 && $1 <= t1 {
			f = $2; sub(/:[0-9]+$/, "", f); f = (f == a ? "A" : f == b ? "B" : f)
			t = $3; sub(/:[0-9]+$/, "", t); t = (t == a ? "A" : t == b ? "B" : t)
			n[f ">" t " type " $4 " len " $5]++
		}
		END { for (k in n) print k " x" n[k] }' "$msgs" | sort
}
# wire_bytes T0 T1 FROM TO: bytes of messages from FROM to TO (A/B) then.
wire_bytes() {
	wire "$1" "$2" | awk -v d="$3>$4" '$1 == d { s += $5 * substr($6, 2) }
		END { print s + 0 }'
}

# echo_reps: the echo replies that reached A's stack (whether or not ping
# still waited), IPv4 and IPv6: Icmp InEchoReps in /proc/net/snmp plus
# Icmp6InEchoReplies in /proc/net/snmp6 of A's namespace.
echo_reps() {
	ip netns exec "$A" awk '
		$1 == "Icmp:" && !n { n = split($0, k); next }
		$1 == "Icmp:" { split($0, v); for (i = 2; i <= n; i++) if (k[i] == "InEchoReps") s += v[i] }
		$1 == "Icmp6InEchoReplies" { s += $2 }
		END { print s + 0 }' /proc/net/snmp /proc/net/snmp6
}
# replies N: wait (up to 10 s) until A has had N echo replies; ping waits
# only twice the round trip for the last one, which a loaded VM exceeds.
replies() {
	local i
	for ((i = 0; i < 100; i++)); do
		reps=$(echo_reps)
		[ "$reps" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# snap K: after exchange K, the ip -s link counters of both wg0s (link_A[K],
# link_B[K]) and the time (t[K]); only two commands, so that exchanges
# follow each other closely. The last snapshot adds wg show transfer and
# dump (tr_A, tr_B, dump_A, dump_B).
declare -A link_A link_B t
snap() {
	link_A[$1]=$(dp_link_counters "$A" wg0)
	link_B[$1]=$(dp_link_counters "$B" wg0)
	if [ "$1" = 3 ]; then
		tr_A=$(dp_peer_field "$A" wg0 transfer)
		tr_B=$(dp_peer_field "$B" wg0 transfer)
		dump_A=$(dp_dump_transfer "$A" wg0)
		dump_B=$(dp_dump_transfer "$B" wg0)
	fi
	if [ "$1" = 3 ]; then t[4]=$EPOCHREALTIME; else t[$1]=$EPOCHREALTIME; fi
}

# keepalive_sent: A heard B last (the third exchange's last reply), so 10 s
# later it sends its passive keepalive, which asks nothing back: wait for
# it (A's tx packets past the three requests; up to 20 s), after which
# nothing moves while the counters are read, however slow the VM.
keepalive_sent() {
	local i want now
	if is_intree; then
		sleep 11.5
		return 0
	fi
	read -r -a want <<<"${link_A[2]}"
	for ((i = 0; i < 200; i++)); do
		read -r -a now <<<"$(dp_link_counters "$A" wg0)"
		[ "${now[5]}" -gt $((want[5] + 3)) ] && return 0
		sleep 0.1
	done
	return 1
}

# One attempt on a fresh pair: the three exchanges, each followed by a
# snapshot, then the capture cut into messages. 0 if it went as planned,
# 2 if a timer sent something meanwhile, 1 if something failed.
attempt() {
	A=dca$$x$1 B=dcb$$x$1
	dp_pair "$A" "$B" || return 1
	dp_capture_start "$A" veth0 "$pcap" udp || return 1
	reps0=$(echo_reps)
	t[0]=$EPOCHREALTIME
	ip netns exec "$A" ping -q -n -c 10 -i 0.2 -s 57 -W 3 "$(dp_ip4 2)" >/dev/null
	replies $((reps0 + 10))
	snap 1
	reps1=$reps
	ip netns exec "$A" ping -q -n -c 3 -i 0.2 -W 3 -6 -s 57 "$(dp_ip6 2)" >/dev/null
	replies $((reps1 + 3))
	snap 2
	reps2=$reps
	ip netns exec "$A" ping -q -n -c 3 -i 0.2 -W 3 -s 1390 -M do "$(dp_ip4 2)" >/dev/null
	replies $((reps2 + 3))
	reps3=$reps
	t[3]=$EPOCHREALTIME
	keepalive_sent
	snap 3
	dp_capture_stop
	wgwire msgs "$pcap" >"$msgs" || return 1
	local extra
	extra=$(wire "${t[0]}" "${t[3]}" | awk '($3 == 1 && $6 != "x1") || $5 == 32')
	[ -z "$extra" ] && return 0
	diag "attempt $1: a timer sent more (on a slow VM?), again on a fresh pair:"
	diag "$extra"
	ns_del "$A"
	ns_del "$B"
	return 2
}

for try in 1 2 3; do
	attempt $try
	rc=$?
	[ $rc = 2 ] || break
done
check "a fresh pair of devices and a capture (attempt $try)" test "$rc" != 1

# Exchange 1: the handshake and ten pings.
check_eq "ten pings of 57 bytes, ten replies (A's Icmp InEchoReps)" 10 $((reps1 - reps0))
m=$(dp_msg_size 85)
check_eq "an 85-byte packet makes a 128-byte message (dp_msg_size)" 128 "$m"
want="A>B type 1 len 148 x1
A>B type 4 len $m x10
B>A type 2 len 92 x1
B>A type 4 len $m x10"
check_eq "the wire: initiation, response, ten requests and ten replies of $m bytes, nothing else" \
	"$want" "$(wire "${t[0]}" "${t[1]}")"

atx=$((148 + 10 * m)) arx=$((92 + 10 * m))
read -r a_rxb a_rxp a_rxe a_rxd a_txb a_txp a_txe a_txd <<<"${link_A[1]}"
read -r b_rxb b_rxp b_rxe b_rxd b_txb b_txp b_txe b_txd <<<"${link_B[1]}"
if is_intree; then
	skip "ip -s link counts messages (A, B)" "in-tree: netdev counters count differently"
else
	check_eq "A: ip -s link rx/tx bytes and packets = messages" \
		"$arx 11 $atx 11" "$a_rxb $a_rxp $a_txb $a_txp"
	check_eq "B: ip -s link rx/tx bytes and packets = messages" \
		"$atx 11 $arx 11" "$b_rxb $b_rxp $b_txb $b_txp"
	check_eq "A's counters = the bytes on the wire (rx tx)" \
		"$(wire_bytes "${t[0]}" "${t[1]}" B A) $(wire_bytes "${t[0]}" "${t[1]}" A B)" \
		"$a_rxb $a_txb"
	check_eq "B's counters = the bytes on the wire (rx tx)" \
		"$(wire_bytes "${t[0]}" "${t[1]}" A B) $(wire_bytes "${t[0]}" "${t[1]}" B A)" \
		"$b_rxb $b_txb"
fi
check_eq "A: no errors, no drops (rx tx)" "0 0 0 0" "$a_rxe $a_rxd $a_txe $a_txd"
check_eq "B: no errors, no drops (rx tx)" "0 0 0 0" "$b_rxe $b_rxd $b_txe $b_txd"

# grown K NAME: what counter line NAME[K] grew by from NAME[K-1], as
# "RX-BYTES RX-PACKETS TX-BYTES TX-PACKETS".
grown() {
	local -n arr=$2
	local a b
	read -r -a a <<<"${arr[$(($1 - 1))]}"
	read -r -a b <<<"${arr[$1]}"
	echo "$((b[0] - a[0])) $((b[1] - a[1])) $((b[4] - a[4])) $((b[5] - a[5]))"
}

# Exchanges 2 and 3: three pings each, checked as deltas; KA 1: A's
# passive keepalive (32 bytes) is in the counters too.
phase() {
	local k=$1 name=$2 ka=${3:-0}
	check_eq "$name: the wire: three requests and three replies of $m bytes" \
		"A>B type 4 len $m x3"$'\n'"B>A type 4 len $m x3" \
		"$(wire "${t[$((k - 1))]}" "${t[$k]}")"
	if is_intree; then
		skip "$name: counters grew by the messages" "in-tree: netdev counters count differently"
		return
	fi
	check_eq "$name: A's ip -s link grew by 3 messages of $m each way${ka/1/, and a keepalive out}" \
		"$((3 * m)) 3 $((3 * m + 32 * ka)) $((3 + ka))" "$(grown "$k" link_A)"
	check_eq "$name: B's ip -s link grew by 3 messages of $m each way${ka/1/, and a keepalive in}" \
		"$((3 * m + 32 * ka)) $((3 + ka)) $((3 * m)) 3" "$(grown "$k" link_B)"
}

m=$(dp_msg_size 105)
check_eq "a 105-byte IPv6 packet makes a 144-byte message" 144 "$m"
check_eq "IPv6, 57 bytes: three replies (Icmp6InEchoReplies)" 3 $((reps2 - reps1))
phase 2 "IPv6, 57 bytes"
m3=$(dp_msg_size 1418)
check_eq "a 1418-byte packet pads to the MTU only: a 1452-byte message" 1452 "$m3"
check_eq "IPv4, 1390 bytes: three replies (InEchoReps)" 3 $((reps3 - reps2))
m=$m3
phase 3 "IPv4, 1390 bytes" 1
check_eq "then A's passive keepalive, 10 s after the last reply, and nothing else" \
	"A>B type 4 len 32 x1" "$(wire "${t[3]}" "${t[4]}")"

# All of it, at the end: both counters, both ends, the wire.
read -r a_rxb a_rxp a_rxe a_rxd a_txb a_txp a_txe a_txd <<<"${link_A[3]}"
read -r b_rxb b_rxp b_rxe b_rxd b_txb b_txp b_txe b_txd <<<"${link_B[3]}"
atx=$((atx + 3 * 144 + 3 * 1452 + 32)) arx=$((arx + 3 * 144 + 3 * 1452))
check_eq "A: still no errors, no drops" "0 0 0 0" "$a_rxe $a_rxd $a_txe $a_txd"
check_eq "B: still no errors, no drops" "0 0 0 0" "$b_rxe $b_rxd $b_txe $b_txd"
check_eq "A: wg show transfer = wg show dump" "$tr_A" "$dump_A"
check_eq "B: wg show transfer = wg show dump" "$tr_B" "$dump_B"
if is_intree; then
	skip "in all: ip -s link and wg show count messages" "in-tree: netdev counters count differently"
else
	check_eq "in all: A's ip -s link rx/tx = messages ($arx, $atx; 17 packets in, 18 out)" \
		"$arx 17 $atx 18" "$a_rxb $a_rxp $a_txb $a_txp"
	check_eq "in all: B's ip -s link rx/tx = messages" \
		"$atx 18 $arx 17" "$b_rxb $b_rxp $b_txb $b_txp"
	check_eq "in all: A's wg show transfer (rx tx) = ip -s link" "$a_rxb $a_txb" "$tr_A"
	check_eq "in all: B's wg show transfer (rx tx) = ip -s link" "$b_rxb $b_txb" "$tr_B"
	check_eq "in all: A's wg show dump transfer = ip -s link" "$a_rxb $a_txb" "$dump_A"
	check_eq "in all: B's wg show dump transfer = ip -s link" "$b_rxb $b_txb" "$dump_B"
	check_eq "in all: A's counters = the bytes on the wire (rx tx)" \
		"$(wire_bytes "${t[0]}" "${t[4]}" B A) $(wire_bytes "${t[0]}" "${t[4]}" A B)" \
		"$a_rxb $a_txb"
	check_eq "in all: B's counters = the bytes on the wire (rx tx)" \
		"$(wire_bytes "${t[0]}" "${t[4]}" A B) $(wire_bytes "${t[0]}" "${t[4]}" B A)" \
		"$b_rxb $b_txb"
fi

done_testing
