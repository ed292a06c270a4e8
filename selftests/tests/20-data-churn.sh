#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configuration churn under traffic (iperf3 or a ping flood running, the
# change made a second or two in): removing the peer, deleting the device,
# deleting the namespace a device lives in, deleting the namespace that holds
# a device's UDP socket. No crash or warning (the VM runner checks the kernel
# log), the device goes away, no UDP socket is left behind, and once every
# device is gone the module's reference count is 0.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

# AS holds the outer veth and A's UDP socket; A's wg0 is created there and
# moved to A, where the traffic starts. B is the other side.
AS=dps$$ A=dpa$$ B=dpb$$
check "namespaces" ns_add "$AS" "$A" "$B"
check "veth pair $AS <-> $B" dp_veth "$AS" "$B"
ka=$(genkey) kb=$(genkey)
pa=$(pubkey "$ka") pb=$(pubkey "$kb")

mk_a() {
	ip -n "$AS" link add wg0 type wireguard || return 1
	ip -n "$AS" link set wg0 netns "$A" || return 1
	cleanup_add "ip -n '$A' link del wg0"
	ip netns exec "$A" wg set wg0 private-key <(echo "$ka") listen-port 10001 \
		peer "$pb" endpoint "$(dp_out4 2):10002" allowed-ips 10.241.0.2/32 ||
		return 1
	ip -n "$A" addr add 10.241.0.1/24 dev wg0
	ip -n "$A" link set wg0 up
}
mk_b() {
	dp_wg "$B" 2 "$kb" 10002 &&
		ip netns exec "$B" wg set wg0 peer "$pa" allowed-ips 10.241.0.1/32
}
check "A's wg0 (socket in $AS)" mk_a
check "B's wg0" mk_b
check "A's UDP socket is in $AS" udp_has 10001 "$AS"
check "tunnel up" dp_ping "$A" 10.241.0.2 10

# iperf_bg: iperf3 TCP A->B for 10 s in the background (pids in IPIDS).
IPIDS=
iperf_bg() {
	ip netns exec "$B" iperf3 -s -1 >/dev/null 2>&1 &
	IPIDS=$!
	cleanup_add "kill $!"
	dp_wait_listen "$B" 5201
	ip netns exec "$A" iperf3 -c 10.241.0.2 -t 10 >/dev/null 2>&1 &
	IPIDS="$IPIDS $!"
	cleanup_add "kill $!"
	sleep 2
}
iperf_stop() {
	kill $IPIDS 2>/dev/null
	wait $IPIDS 2>/dev/null
	IPIDS=
}
# gone NS DEV: DEV disappears from NS within 10 s.
gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		ip -n "$1" link show "$2" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	return 1
}
nosock() { unbound "$2" "$1"; }

# 1. Remove the peer.
check "iperf3 running" iperf_bg
check "remove the peer while traffic flows" \
	ip netns exec "$A" wg set wg0 peer "$pb" remove
sleep 1
check_eq "A has no peer" "" "$(ip netns exec "$A" wg show wg0 peers)"
iperf_stop
check "peer back" ip netns exec "$A" wg set wg0 \
	peer "$pb" endpoint "$(dp_out4 2):10002" allowed-ips 10.241.0.2/32
check "tunnel works again" dp_ping "$A" 10.241.0.2 10

# 2. Delete B's device.
check "iperf3 running" iperf_bg
check "delete B's wg0 while traffic flows" ip -n "$B" link del wg0
sleep 1
check "B's wg0 gone" gone "$B" wg0
check "B's UDP port 10002 is closed" nosock "$B" 10002
iperf_stop
check "B's wg0 back" mk_b
# A still holds a session B forgot: A re-handshakes once its data has gone
# unanswered for 15 s (keepalive 10 s + rekey timeout 5 s).
check "tunnel works again (within 20 s)" dp_ping "$A" 10.241.0.2 20

# 3. Delete namespace B (B's wg0 in it) while traffic flows. The iperf3
# server keeps B alive until it is killed.
check "iperf3 running" iperf_bg
check "ip netns del $B" ip netns del "$B"
iperf_stop
check "B's end of the veth is gone (so is B)" gone "$AS" veth0
check "A's wg0 survives" ip -n "$A" link show wg0

# 4. Delete the namespace holding A's socket, with A flooding pings.
ip netns exec "$A" ping -q -i 0.01 -w 5 10.241.0.2 >/dev/null 2>&1 &
ppid=$!
cleanup_add "kill $ppid"
sleep 1
check "ip netns del $AS (A's socket namespace) while pinging" ip netns del "$AS"
# Ours deletes the device with the namespace that holds its socket; the
# in-tree driver keeps it, without sockets. Either way nothing may be left
# listening and the device, if kept, must delete cleanly.
if gone "$A" wg0; then
	pass "A's wg0 is deleted with it"
elif is_intree; then
	pass "A's wg0 is kept without a socket (the in-tree behaviour)"
	check_match "it still answers wg show" "interface: wg0" \
		"$(ip netns exec "$A" wg show wg0 2>&1)"
	check "and can be deleted" ip -n "$A" link del wg0
else
	fail "A's wg0 is deleted with it" "$(ip -n "$A" -d link show wg0 2>&1)"
	ip -n "$A" link del wg0
fi
wait $ppid 2>/dev/null
check "no UDP socket left in $A" nosock "$A" 10001

# 5. Device deleted with traffic in the same namespace, then namespace gone.
check "new wg0 in $A" dp_wg "$A" 1 "$ka" 10001
ip netns exec "$A" wg set wg0 peer "$pb" endpoint 127.0.0.1:10002 allowed-ips 10.241.0.2/32
ip netns exec "$A" ping -q -i 0.01 -w 3 10.241.0.2 >/dev/null 2>&1 &
ppid=$!
sleep 1
check "delete it while pinging" ip -n "$A" link del wg0
wait $ppid 2>/dev/null
check "no UDP socket left in $A" nosock "$A" 10001
check "ip netns del $A" ip netns del "$A"

# Everything is gone: no wireguard device anywhere, refcount back to 0.
check_eq "no wireguard device in the root namespace" "" \
	"$(ip -o link show type wireguard)"
refcnt_zero() {
	local i r
	for ((i = 0; i < 100; i++)); do
		r=$(cat /sys/module/wireguard/refcnt)
		[ "$r" = 0 ] && return 0
		sleep 0.1
	done
	echo "refcnt $r"
	return 1
}
check "module refcount back to 0" refcnt_zero

done_testing
