#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Events on the "peers" multicast group, read by a listener in A's
# namespace through the kernel's YNL library and our spec
# (selftests/tools/wgevents.py, which is what `cli.py --subscribe peers`
# does, printing as they come):
# - none is built while nobody listens (the peer's events-sent stays 0
#   through a handshake);
# - a peer added, a handshake (with the endpoint and the time wg show
#   gives), a roam (old and new endpoint), a peer changed, a peer removed,
#   a handshake given up after the retry limit: each arrives once, naming
#   the device (ifindex, ifname) and the peer (public key);
# - a flood of roams from one peer yields a bounded number of events, the
#   rest counted as suppressed and reported as "missed";
# - a listener without CAP_NET_ADMIN over the device's namespace (an
#   unprivileged user; root of a user namespace of its own) cannot join.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
. "$WG_REPO/selftests/lib-ynl.sh"
require_module
require_ynl

A=eva$$ B=evb$$
check "namespaces" ns_add "$A" "$B"
check "veth pair" dp_veth "$A" "$B"
ka=$(genkey) kb=$(genkey)
pa=$(pubkey "$ka") pb=$(pubkey "$kb")
check "wg0 in $A" dp_wg "$A" 1 "$ka" 10001
check "wg0 in $B" dp_wg "$B" 2 "$kb" 10002
ifindex=$(ip netns exec "$A" cat /sys/class/net/wg0/ifindex)
ev=$(mktemp -d)
cleanup_add "rm -rf '$ev'"

# --- nobody listens: nothing is built ---
check "A: peer B" ip netns exec "$A" wg set wg0 peer "$pb" \
	endpoint "$(dp_out4 2):10002" allowed-ips "$(dp_ip4 2)/32"
check "B: peer A" ip netns exec "$B" wg set wg0 peer "$pa" \
	endpoint "$(dp_out4 1):10001" allowed-ips "$(dp_ip4 1)/32"
check "a handshake while nobody listens" dp_ping "$A" "$(dp_ip4 2)"
check_eq "A built no event about B (events-sent)" 0 \
	"$(peer_stat "$A" wg0 "$pb" events-sent)"
check_eq "B built none about A" 0 "$(peer_stat "$B" wg0 "$pa" events-sent)"

# --- a listener in A ---
check "a listener joins the peers group in $A" events_start "$A" "$ev/a.json"
check "A: B removed" ip netns exec "$A" wg set wg0 peer "$pb" remove
check "A: B added again" ip netns exec "$A" wg set wg0 peer "$pb" \
	endpoint "$(dp_out4 2):10002" allowed-ips "$(dp_ip4 2)/32"
check "a handshake, A to B" dp_ping "$A" "$(dp_ip4 2)"
check "B roams: new listen port 10003" ip netns exec "$B" wg set wg0 listen-port 10003
check "B pings A from there" dp_ping "$B" "$(dp_ip4 1)"
check_eq "A follows B to port 10003" "$(dp_out4 2):10003" \
	"$(dp_peer_field "$A" wg0 endpoints)"
check "A: B's keepalive changed" ip netns exec "$A" wg set wg0 peer "$pb" \
	persistent-keepalive 0
hs=$(dp_peer_field "$A" wg0 latest-handshakes)

has() { [ -n "$(events_of "$ev/a.json" "$1" "$pb")" ]; }
wait_for has peer-changed
# one NAME: the only event NAME about B (printed), or fail.
one() {
	local l
	l=$(events_of "$ev/a.json" "$1" "$pb")
	[ -n "$l" ] && [ "$(wc -l <<<"$l")" = 1 ] && echo "$l"
}
common='"ifindex": '$ifindex', "ifname": "wg0", "peer": "'$pb'"'
check "one peer-removed event" one peer-removed
check_contains "naming the device and the peer" "$common" "$OUT"
check "one peer-added event" one peer-added
check_contains "naming the device and the peer" "$common" "$OUT"
check_contains "with its endpoint" '"endpoint": "'"$(dp_out4 2)"':10002"' "$OUT"
check "one handshake event" one handshake
check_contains "naming the device and the peer" "$common" "$OUT"
check_contains "with the endpoint it came from" \
	'"endpoint": "'"$(dp_out4 2)"':10002"' "$OUT"
check_match "at the time wg show gives" "\"time\": $hs(\\.[0-9]+)?," "$OUT"
check "one endpoint event" one endpoint
check_contains "naming the device and the peer" "$common" "$OUT"
check_contains "with the new endpoint" '"endpoint": "'"$(dp_out4 2)"':10003"' "$OUT"
check_contains "and the old one" '"old-endpoint": "'"$(dp_out4 2)"':10002"' "$OUT"
check_contains "nothing missed" '"missed": 0' "$OUT"
check "one peer-changed event" one peer-changed
check_contains "naming the device and the peer" "$common" "$OUT"
check_eq "A counts the 4 events about the new B (events-sent)" 4 \
	"$(peer_stat "$A" wg0 "$pb" events-sent)"

# --- a flood of roams ---
# B changes its port 100 times, each time sending one datagram through
# the tunnel (one process: wgnl.py's netlink code and a UDP socket).
n=100
before=$(peer_stat "$A" wg0 "$pb" events-suppressed)
t0=$(date +%s%N)
check "B roams $n times" ip netns exec "$B" /usr/bin/python3 -IS -c '
import socket, struct, sys
sys.path.insert(0, sys.argv[1])
import wgnl
s = wgnl.GenlSocket()
fam, _ = s.resolve_family("wireguard")
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    attrs = wgnl.nla(2, b"wg0\0") + wgnl.nla(6, struct.pack("=H", 20000 + i))
    s.request(fam, 1, 1, attrs, wgnl.NLM_F_REQUEST | wgnl.NLM_F_ACK)
    u.sendto(b"roam", (sys.argv[3], 9))
' "$WG_REPO/selftests/tools" "$n" "$(dp_ip4 1)"
secs=$((($(date +%s%N) - t0 + 999999999) / 1000000000))
check_eq "A follows B to its last port" "$(dp_out4 2):$((20000 + n - 1))" \
	"$(dp_peer_field "$A" wg0 endpoints)"
sleep 1
got=$(events_of "$ev/a.json" endpoint "$pb" | wc -l)
got=$((got - 1))	# the roam before
sup=$(($(peer_stat "$A" wg0 "$pb" events-suppressed) - before))
bound=$((8 + secs + 1))
diag "$n roams in about $secs s: $got events sent, $sup suppressed"
check "at most the burst and one a second were sent ($got <= $bound)" \
	test "$got" -le "$bound"
check_eq "every other one was counted as suppressed" "$n" "$((got + sup))"
check_match "an event after some were left out says how many" \
	'"missed": [1-9]' "$(events_of "$ev/a.json" endpoint "$pb")"

# --- a handshake given up ---
pc=$(randkey)
check "A: a peer C nobody answers for" ip netns exec "$A" wg set wg0 \
	peer "$pc" endpoint "$(dp_out4 2):9" allowed-ips 10.241.9.0/24
check "A: a route to C's network" ip -n "$A" route add 10.241.9.0/24 dev wg0
ip netns exec "$A" ping -q -c 1 -W 1 10.241.9.1 >/dev/null 2>&1
diag "waiting for the retries to give up (REKEY_ATTEMPT_TIME, 90 s)"
gave_up() { [ -n "$(events_of "$ev/a.json" handshake-failed "$pc")" ]; }
for ((i = 0; i < 130; i++)); do
	gave_up && break
	sleep 1
done
check "a handshake-failed event about C arrives" gave_up
check_contains "naming the device and the peer" \
	'"ifindex": '$ifindex', "ifname": "wg0", "peer": "'$pc'"' \
	"$(events_of "$ev/a.json" handshake-failed "$pc")"
check_eq "C counts the failure" 1 "$(peer_stat "$A" wg0 "$pc" handshakes-failed)"
events_stop

# --- only CAP_NET_ADMIN over the device's namespace may listen ---
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
# The checkout may be readable by root only: the others run a copy.
public_copy "$WG_REPO/Documentation/netlink/specs/wireguard.yaml" ||
	fail "a world-readable copy of the spec"
spec=$PUBLIC_COPY
public_copy "$WG_REPO/selftests/tools/wgevents.py" || fail "a world-readable copy of wgevents.py"
WGEVENTS=(env WG_YNL_SPEC="$spec" /usr/bin/python3 "$PUBLIC_COPY")
check_fail "an unprivileged user cannot join the peers group" \
	ip netns exec "$A" "${nobody[@]}" "${WGEVENTS[@]}" --timeout 3
check_match "...refused with EPERM" "Operation not permitted" "$OUT"
if unshare --user --map-root-user true 2>/dev/null; then
	check_fail "nor root of a user namespace of its own" \
		ip netns exec "$A" unshare --user --map-root-user "${WGEVENTS[@]}" \
		--timeout 3
	check_match "...refused with EPERM" "Operation not permitted" "$OUT"
else
	skip "nor root of a user namespace of its own" "no user namespaces"
fi
# While one of them tries, events happen: it must get none of them.
ip netns exec "$A" "${nobody[@]}" "${WGEVENTS[@]}" --json --timeout 4 \
	>"$ev/nobody.json" 2>&1 &
np=$!
sleep 1
ip netns exec "$A" wg set wg0 peer "$pc" remove
ip netns exec "$A" wg set wg0 peer "$pc" allowed-ips 10.241.9.0/24
wait $np
check_nomatch "and it received nothing" '"event"' "$(cat "$ev/nobody.json")"

done_testing
