#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Timers seen on the wire (tcpdump on the veth): persistent keepalive sends
# 32-byte data messages within its interval (and none without it); an
# initiator whose peer does not answer retries the handshake initiation
# (148 bytes) about every 5 s, and succeeds once the peer is back.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

A=dpa$$ B=dpb$$
check "namespaces" ns_add "$A" "$B"
check "veth pair" dp_veth "$A" "$B"
ka=$(genkey) kb=$(genkey)
pa=$(pubkey "$ka") pb=$(pubkey "$kb")
check "wg0 in $A" dp_wg "$A" 1 "$ka" 10001
check "wg0 in $B" dp_wg "$B" 2 "$kb" 10002
check "A: peer B" ip netns exec "$A" wg set wg0 peer "$pb" \
	endpoint "$(dp_out4 2):10002" allowed-ips 10.241.0.2/32
check "B: peer A" ip netns exec "$B" wg set wg0 peer "$pa" allowed-ips 10.241.0.1/32
check "tunnel up" dp_ping "$A" 10.241.0.2 10

cap=$(mktemp)
cleanup_add "rm -f '$cap' '$cap.err'"
# One tcpdump on A's veth0 for the whole test, A's 32-byte (keepalive) and
# 148-byte (initiation) UDP payloads, with -tt timestamps; each check looks
# at a time window of it. (Only one: starting and stopping a capture patches
# kernel text, which multi-threaded TCG has been seen to trip over.)
ip netns exec "$A" tcpdump -Z root -i veth0 -n -l -tt \
	"udp and src host $(dp_out4 1) and (udp[4:2] = 40 or udp[4:2] = 156)" \
	>"$cap" 2>"$cap.err" &
cappid=$!
cleanup_add "kill $cappid"
listening() {
	local i
	for ((i = 0; i < 300; i++)); do
		grep -q "listening on" "$cap.err" && return 0
		kill -0 $cappid 2>/dev/null || break
		sleep 0.1
	done
	cat "$cap.err"
	return 1
}
check "tcpdump on A's veth0" listening

# window_begin: a window starts now; window_end SECONDS LENGTH: wait until
# it is SECONDS long, then the captured lines in it with that UDP payload
# LENGTH in $out.
w0=
window_begin() { w0=$EPOCHREALTIME; }
window_end() {
	local left
	left=$(awk -v s="$1" -v a="$w0" -v b="$EPOCHREALTIME" \
		'BEGIN { l = s - (b - a); printf "%.2f", (l > 0 ? l : 0) }')
	sleep "$left"
	local w1=$EPOCHREALTIME
	sleep 0.5 # tcpdump -l writes each line as it sees it
	out=$(awk -v a="$w0" -v b="$w1" -v n="$2" \
		'$1 >= a && $1 <= b && $NF == n' "$cap")
}
count() { [ -n "$out" ] && grep -c . <<<"$out" || echo 0; }

# 1. Persistent keepalive.
window_begin
window_end 3 32
check_eq "no keepalive sent while idle (3 s)" 0 "$(count)"
window_begin
check "A: persistent-keepalive 1" ip netns exec "$A" wg set wg0 peer "$pb" persistent-keepalive 1
window_end 5 32
n=$(count)
check "at least 3 keepalives (32-byte data) in 5 s, got $n" test "$n" -ge 3
check "and not a flood (at most 7)" test "$n" -le 7
check_eq "wg show says every 1 second" 1 "$(dp_peer_field "$A" wg0 persistent-keepalive)"
check "A: persistent-keepalive off" ip netns exec "$A" wg set wg0 peer "$pb" persistent-keepalive 0
window_begin
window_end 3 32
n=$(count)
check "at most 1 keepalive after turning it off, got $n" test "$n" -le 1

# 2. The peer stops answering: B's device is gone; A starts afresh (the peer
# re-created, so the first packet needs a handshake).
check "delete B's wg0" ip -n "$B" link del wg0
ip netns exec "$A" wg set wg0 peer "$pb" remove
check "A: peer B re-created" ip netns exec "$A" wg set wg0 peer "$pb" \
	endpoint "$(dp_out4 2):10002" allowed-ips 10.241.0.2/32
window_begin
ip netns exec "$A" ping -q -i 1 -w 11 10.241.0.2 >/dev/null 2>&1 &
pingpid=$!
cleanup_add "kill $pingpid"
window_end 12 148
wait $pingpid 2>/dev/null
n=$(count)
check "2 to 3 initiations in 12 s, got $n" test "$n" -ge 2 -a "$n" -le 3
diag "$out"
gaps=$(awk 'NR > 1 { printf "%.3f\n", $1 - t } { t = $1 }' <<<"$out")
bad=$(awk '$1 < 4.5 || $1 > 6 { print }' <<<"$gaps")
check_eq "spaced between 4.5 and 6 s ($(echo $gaps))" "" "$bad"

# 3. B comes back: the next retry completes the handshake.
check "B's wg0 back" dp_wg "$B" 2 "$kb" 10002
check "B: peer A" ip netns exec "$B" wg set wg0 peer "$pa" allowed-ips 10.241.0.1/32
check "a retry reaches B: ping works" dp_ping "$A" 10.241.0.2 12
check_match "B has a handshake" '^[1-9][0-9]+$' "$(dp_peer_field "$B" wg0 latest-handshakes)"

done_testing
