#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The loop: a device whose peer's endpoint is routed through the device
# itself would feed its own datagrams back into itself. The module drops
# them where it routes them and counts them: `ethtool -S` tx_loop, and
# tx_errors in `ip -s link`; nothing is counted as sent. The box lives:
# no kernel complaint, the device can be deleted, other tunnels carry on.
#
# How: A and B joined by a veth; wg0 between them is the bystander tunnel.
# 1. From the start: wgl in A, peer endpoint 10.250.0.2 inside wgl's own
#    subnet and AllowedIPs (so routed through wgl). A ping makes A's
#    handshake initiation, which cannot leave: tx_loop and tx_errors grow,
#    nothing is counted as sent.
# 2. After the fact, for IPv4 and IPv6 outer: wgN in A and B, a working
#    tunnel (endpoint B's second veth address, 192.168.241.12 or
#    fd00:241::12); then B's wgN goes down (silent) and a host route sends
#    that endpoint through A's wgN.
#    Three pings: tx_loop and tx_errors grow by at least 3 (the three
#    echo requests, and maybe a keepalive) and by the same amount, wgN's
#    tx counters (ip -s link and wg show transfer) do not move. Then 500
#    UDP datagrams into the loop as fast as a socket sends them: tx_loop
#    grows by the 500 (and A's own keepalive and retries, a few).
#    Removing the route brings the tunnel back.
# 3. Two devices, each one's endpoint routed through the other (below).
# Then the looping devices are deleted, wg0 still works, and the kernel
# log has nothing new about loops or recursion (run.sh checks the rest).
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

A=dla$$ B=dlb$$
check "a pair of devices: wg0, the bystander" dp_pair "$A" "$B"
check "wg0 up" dp_ping "$A" "$(dp_ip4 2)" 10
klog0=$(dmesg | wc -l)

# loopstat NS DEV: "TX-LOOP TX-ERRORS TX-PACKETS TX-BYTES WG-SHOW-TX".
# A handshake retry may land between two of the reads (a slow VM): read
# until two rounds agree.
loopstat() {
	local l tr lp i cur prev=
	for ((i = 0; i < 5; i++)); do
		read -r -a l <<<"$(dp_link_counters "$1" "$2")"
		tr=$(dp_peer_field "$1" "$2" transfer)
		tr=${tr#* } lp=$(dp_stat "$1" "$2" tx_loop)
		cur="${lp:--} ${l[6]} ${l[5]} ${l[4]} $tr"
		[ "$cur" = "$prev" ] && break
		prev=$cur
	done
	echo "$cur"
}

# 1. Looped from the start.
check "wgl in A" wg_add wgl "$A"
check "wgl: peer at 10.250.0.2:40000, inside its own AllowedIPs" \
	ip netns exec "$A" wg set wgl private-key <(genkey) listen-port 40001 \
	peer "$(randkey)" endpoint 10.250.0.2:40000 allowed-ips 10.250.0.0/24
ip -n "$A" addr add 10.250.0.1/24 dev wgl
ip -n "$A" link set wgl up
check_match "the way to wgl's endpoint is wgl itself" " dev wgl " \
	"$(ip -n "$A" route get 10.250.0.2)"
s0=$(loopstat "$A" wgl)
check_fail "ping through wgl gets no answer" \
	ip netns exec "$A" ping -c 2 -i 0.5 -W 1 10.250.0.2
# Down, wgl stops retrying: its counters hold still while they are read.
ip -n "$A" link set wgl down
s1=$(loopstat "$A" wgl)
read -r l0 e0 _ <<<"$s0"
read -r l1 e1 p1 b1 w1 <<<"$s1"
diag "wgl: tx_loop $l0 -> $l1, tx_errors $e0 -> $e1"
if is_intree; then
	skip "tx_loop grew: the initiation was dropped and counted" "in-tree: no ethtool stats"
	skip "tx_errors grew as much" "in-tree: counts differ"
else
	check "tx_loop grew ($l0 -> $l1): the initiation was dropped and counted" \
		test "${l1:-0}" -gt "${l0:-0}"
	check_eq "tx_errors grew as much" $((l1 - l0)) $((e1 - e0))
	check_eq "wgl counts nothing sent (packets, bytes, wg show)" "0 0 0" "$p1 $b1 $w1"
fi

# 2. Looped after the fact.
ip -n "$B" addr add 192.168.241.12/24 dev veth0
ip -n "$B" addr add fd00:241::12/64 dev veth0 nodad
n=1
for outer in 4 6; do
	n=$((n + 1))
	dev=wg$n t="outer IPv$outer, $dev"
	if [ $outer = 4 ]; then ep=192.168.241.12 epp=192.168.241.12 pfx=32
	else ep=fd00:241::12 epp="[fd00:241::12]" pfx=128; fi
	ka=$(genkey) kb=$(genkey)
	check "$t: in A" wg_add "$dev" "$A"
	check "$t: in B" wg_add "$dev" "$B"
	ip netns exec "$A" wg set "$dev" private-key <(echo "$ka") \
		listen-port $((20000 + n)) peer "$(pubkey "$kb")" \
		endpoint "$epp:$((30000 + n))" allowed-ips "10.24$n.0.2/32"
	ip netns exec "$B" wg set "$dev" private-key <(echo "$kb") \
		listen-port $((30000 + n)) peer "$(pubkey "$ka")" \
		allowed-ips "10.24$n.0.1/32"
	ip -n "$A" addr add "10.24$n.0.1/24" dev "$dev"
	ip -n "$B" addr add "10.24$n.0.2/24" dev "$dev"
	ip -n "$A" link set "$dev" up
	ip -n "$B" link set "$dev" up
	check "$t: tunnel up" dp_ping "$A" "10.24$n.0.2" 10
	# Where A sends now: B may have answered from another of its addresses.
	cur=$(dp_peer_field "$A" "$dev" endpoints)
	cur=${cur%:*} cur=${cur#[} cur=${cur%]}
	diag "$t: A's endpoint for B is now $cur (configured $ep)"
	[ -n "$cur" ] && [ "$cur" != "(none)" ] && ep=$cur
	# B falls silent: an initiation of B's (it owes one 15 s after its
	# last unanswered reply, soon on a slow VM) would come from another
	# of its addresses and A would follow it out of the loop.
	ip -n "$B" link set "$dev" down
	check "$t: route $ep through $dev itself" \
		ip -n "$A" route add "$ep/$pfx" dev "$dev"
	t0=$SECONDS
	s0=$(loopstat "$A" "$dev")
	check_fail "$t: pings get no answer" \
		ip netns exec "$A" ping -c 3 -i 0.3 -W 1 "10.24$n.0.2"
	s1=$(loopstat "$A" "$dev")
	read -r l0 e0 p0 b0 w0 <<<"$s0"
	read -r l1 e1 p1 b1 w1 <<<"$s1"
	diag "$t: tx_loop $l0 -> $l1, tx_errors $e0 -> $e1, tx_packets $p0 -> $p1"
	if is_intree; then
		skip "$t: tx_loop grew by the 3 echo requests" "in-tree: no ethtool stats"
		skip "$t: nothing counted as sent" "in-tree: counts differ"
	else
		check "$t: tx_loop grew by the 3 echo requests or more ($l0 -> $l1)" \
			test $((l1 - l0)) -ge 3
		check_eq "$t: tx_errors grew as much" $((l1 - l0)) $((e1 - e0))
		check_eq "$t: nothing counted as sent (packets, bytes, wg show)" \
			"$p0 $b0 $w0" "$p1 $b1 $w1"
	fi
	check "$t: 500 UDP datagrams into the loop, as fast as they go" \
		ip netns exec "$A" /usr/bin/python3 -IS -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(500):
    s.sendto(b"x" * 100, (sys.argv[1], 9))
' "10.24$n.0.2"
	s2=$(loopstat "$A" "$dev")
	read -r l2 _ <<<"$s2"
	# Besides the 500, A's own messages loop too: a keepalive, and an
	# initiation 15 s after its first unanswered packet, then one each
	# 5 s (more of them on a slow VM).
	extra=$((2 + (SECONDS - t0) / 5))
	if is_intree; then
		skip "$t: tx_loop grew by the 500" "in-tree: no ethtool stats"
	else
		check "$t: tx_loop grew by the 500 (+ at most $extra of A's own) ($l1 -> $l2)" \
			test $((l2 - l1)) -ge 500 -a $((l2 - l1)) -le $((500 + extra))
	fi
	check "$t: wg0 still works" dp_ping "$A" "$(dp_ip4 2)"
	check "$t: route removed" ip -n "$A" route del "$ep/$pfx" dev "$dev"
	ip -n "$B" link set "$dev" up
	# B lost its session when it went down: A's data is refused until A
	# handshakes again, 15 s after its first unanswered packet at most.
	check "$t: the tunnel works again" dp_ping "$A" "10.24$n.0.2" 30
done

# 3. A loop through two devices: wgx's endpoint routed through wgy and
# wgy's through wgx (each allowing the other's endpoint), after both had
# working tunnels to B. One packet into wgx then comes back into wgx
# wrapped twice, and again, growing; the kernel bounds such nesting for
# devices that transmit in place (a dead loop is dropped after a few
# levels). The module must not turn it into an endless round: one ping
# makes few messages (under 100 in all), and the drop is counted in
# tx_errors or tx_dropped of wgx or wgy.
ip -n "$B" addr add 192.168.241.21/24 dev veth0
ip -n "$B" addr add 192.168.241.22/24 dev veth0
loop2() {
	local d n ka kb
	for d in x y; do
		if [ $d = x ]; then n=21 other=22; else n=22 other=21; fi
		ka=$(genkey) kb=$(genkey)
		wg_add "wg$d" "$A" && wg_add "wg$d" "$B" || return 1
		ip netns exec "$A" wg set "wg$d" private-key <(echo "$ka") \
			listen-port "${n}001" peer "$(pubkey "$kb")" \
			endpoint "192.168.241.$n:${n}002" \
			allowed-ips "10.$n.0.2/32,192.168.241.$other/32" || return 1
		ip netns exec "$B" wg set "wg$d" private-key <(echo "$kb") \
			listen-port "${n}002" peer "$(pubkey "$ka")" \
			allowed-ips "10.$n.0.1/32" || return 1
		ip -n "$A" addr add "10.$n.0.1/24" dev "wg$d"
		ip -n "$B" addr add "10.$n.0.2/24" dev "wg$d"
		ip -n "$A" link set "wg$d" up && ip -n "$B" link set "wg$d" up || return 1
		dp_ping "$A" "10.$n.0.2" 10 || return 1
	done
}
check "wgx and wgy, tunnels to B, both up" loop2
check "cross the routes: wgx's endpoint through wgy, wgy's through wgx" \
	bash -c "ip -n '$A' route add 192.168.241.21/32 dev wgy &&
		ip -n '$A' route add 192.168.241.22/32 dev wgx"
read -r -a x0 <<<"$(dp_link_counters "$A" wgx)"
read -r -a y0 <<<"$(dp_link_counters "$A" wgy)"
check_fail "one ping into wgx: no answer" ip netns exec "$A" ping -c 1 -W 2 10.21.0.2
sleep 1
read -r -a x1 <<<"$(dp_link_counters "$A" wgx)"
read -r -a y1 <<<"$(dp_link_counters "$A" wgy)"
sent=$((x1[5] - x0[5] + y1[5] - y0[5]))
drops=$((x1[6] - x0[6] + x1[7] - x0[7] + y1[6] - y0[6] + y1[7] - y0[7]))
diag "wgx sent $((x1[5] - x0[5])) messages ($((x1[4] - x0[4])) bytes), wgy $((y1[5] - y0[5])) ($((y1[4] - y0[4])) bytes); tx errors + dropped: $drops"
check "one packet made few messages ($sent < 100)" test "$sent" -lt 100
check "the drop was counted (tx_errors/tx_dropped of wgx, wgy: $drops)" test "$drops" -ge 1
check "wg0 still works" dp_ping "$A" "$(dp_ip4 2)"

# The box lives.
check "wgl can be deleted" ip -n "$A" link del wgl
check "wg2, wg3, wgx and wgy can be deleted" \
	bash -c "ip -n '$A' link del wg2 && ip -n '$A' link del wg3 &&
		ip -n '$A' link del wgx && ip -n '$A' link del wgy"
check "wg0 still works A->B" dp_ping "$A" "$(dp_ip4 2)"
check "and B->A" dp_ping "$B" "$(dp_ip4 1)"
check_eq "the kernel log says nothing of loops or recursion" "" \
	"$(dmesg | tail -n +$((klog0 + 1)) | grep -iE 'dead loop|recursi|stack|wg[0-9l]')"

done_testing
