#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Network namespaces: the UDP sockets stay in the namespace where the device
# was created when the device moves; wg configures it where it is now; the
# death of either namespace cleans up the device and its sockets.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

A=wgt-a B=wgt-b C=wgt-c
# wait_gone DEV NS: the device disappears within a few seconds (namespace
# teardown runs asynchronously).
wait_gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		ns_exec "$2" ip link show "$1" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	return 1
}
# wait_unbound PORT NS: likewise for the sockets.
wait_unbound() {
	local i
	for ((i = 0; i < 100; i++)); do
		unbound "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}

check "namespaces $A $B $C" ns_add $A $B $C

# --- created in A, moved to B ---
check "wg0 created in $A" ip -n $A link add wg0 type wireguard
check "configured and up in $A" ns_exec $A sh -c \
	'wg set wg0 listen-port 52001 private-key /dev/stdin && ip link set wg0 up' \
	<<<"$(genkey)"
check "its sockets are in $A" bound 52001 $A
check "moved to $B" ip -n $A link set wg0 netns $B
check_fail "it is gone from $A" ip -n $A link show wg0
check "it is in $B" ip -n $B link show wg0
check_eq "wg in $B still shows its configuration" 52001 \
	"$(ip netns exec $B wg show wg0 listen-port)"
peer=$(randkey)
check "wg in $B configures it" ip netns exec $B \
	wg set wg0 peer "$peer" allowed-ips 10.0.0.0/8
check_eq "the peer is there" "$peer" "$(ip netns exec $B wg show wg0 peers)"
check "it comes up in $B" ip -n $B link set wg0 up
check "its sockets stay in $A" bound 52001 $A
check "and are not in $B" unbound 52001 $B
check "a new port set from $B" ip netns exec $B wg set wg0 listen-port 52002
check "is bound in $A" bound 52002 $A
check "not in $B" unbound 52002 $B
check "and the old port is released in $A" unbound 52001 $A
check_fail "wg in $A cannot see it" ip netns exec $A wg show wg0
check "$B may use the same port for a device of its own" eval \
	"ip -n $B link add wg1 type wireguard &&
	 ip netns exec $B wg set wg1 listen-port 52002 &&
	 ip -n $B link set wg1 up"
check "whose sockets are in $B" bound 52002 $B
check "deleting $A" ns_del $A
check "releases the sockets the device had there" wait_unbound 52002 $A
# The device in B must not live on as if nothing happened: either it is
# gone, or it has no carrier.
dead() {
	! ip -n $B link show wg0 >/dev/null 2>&1 ||
		ip -n $B link show wg0 | grep -q NO-CARRIER
}
check "the device in $B is dead: gone or without carrier" eval \
	'for i in $(seq 50); do dead && break; sleep 0.1; done; dead'
if is_intree; then
	skip "the device is removed from $B" \
		"the in-tree driver keeps it, down with NO-CARRIER"
	ip -n $B link del wg0
else
	check "the device is removed from $B" wait_gone wg0 $B
fi
check "leaves $B's own device" ip -n $B link show wg1
check "and its sockets" bound 52002 $B

# --- created in A, moved to B, B deleted ---
ns_add $A
check "wg0 created in $A again" ip -n $A link add wg0 type wireguard
check "up on port 52003" ns_exec $A sh -c \
	'wg set wg0 listen-port 52003 && ip link set wg0 up'
check "moved to $C" ip -n $A link set wg0 netns $C
check "up in $C" ip -n $C link set wg0 up
check "sockets in $A" bound 52003 $A
check "deleting $C, with the device" ns_del $C
check "leaves no socket in $A" wait_unbound 52003 $A
check_fail "and no device in $A" ip -n $A link show wg0
check_fail "nor here" ip link show wg0

# --- created from here directly into B: the sockets are here ---
check "ip link add wg2 netns $B type wireguard (from the init namespace)" \
	ip link add wg2 netns $B type wireguard
check "up on port 52004 in $B" ns_exec $B sh -c \
	'wg set wg2 listen-port 52004 && ip link set wg2 up'
check "its sockets are in the namespace it was created from" bound 52004
check "not in $B" unbound 52004 $B
check "deleting $B" ns_del $B
check "releases them" wait_unbound 52004

# --- from here into A, then A deleted ---
check "wg3 created here" wg_add wg3
check "up on port 52005" eval 'wg set wg3 listen-port 52005 && ip link set wg3 up'
check "moved to $A" ip link set wg3 netns $A
check "up in $A" ip -n $A link set wg3 up
check "sockets here" bound 52005
check "deleting $A" ns_del $A
check "releases the sockets here" wait_unbound 52005
check_fail "and the device does not come back here" ip link show wg3

for p in 52001 52002 52003 52004 52005; do
	check "nothing left on port $p" unbound $p
done
check_eq "no WireGuard device left" "" "$(ip -o link show type wireguard)"

done_testing
