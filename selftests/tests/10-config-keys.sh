#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What users rely on when they change keys:
# 1. A new private key invalidates every peer's sessions and handshake at
#    once, and removes a peer whose public key is the new public key; the
#    next packet starts a handshake with the new key, so a ping right after
#    the change (the other side updated) gets through within a second.
#    Setting the same key again changes nothing (no new handshake).
# 2. The private key is clamped when set: wg show prints the clamped key
#    (one whose first base64 character is "/" reads back with "+").
# 3. An up device whose peers have persistent keepalive sends them nothing
#    without a private key, and starts as soon as it gets one (not only
#    when it comes up).
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

A=kya$$ B=kyb$$
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
check "a session A<->B" dp_ping "$A" "$(dp_ip4 2)"
hs=$(dp_peer_field "$B" wg0 latest-handshakes)

# --- 1. a new private key ---
check "A: the same private key again" \
	ip netns exec "$A" wg set wg0 private-key <(echo "$ka")
sleep 1
check "changes nothing: the session carries a ping" dp_ping "$A" "$(dp_ip4 2)" 1
check_eq "without a new handshake" "$hs" "$(dp_peer_field "$B" wg0 latest-handshakes)"

ka2=$(genkey)
pa2=$(pubkey "$ka2")
check "A: a peer with the new key's public key" \
	ip netns exec "$A" wg set wg0 peer "$pa2" allowed-ips 10.99.0.0/16
check "A: the new private key" \
	ip netns exec "$A" wg set wg0 private-key <(echo "$ka2")
check_eq "A's public key follows" "$pa2" "$(ip netns exec "$A" wg show wg0 public-key)"
check_eq "the peer that is now ourselves is gone, B stays" "$pb" \
	"$(ip netns exec "$A" wg show wg0 peers)"
check "B: A's old key replaced by the new one" ip netns exec "$B" \
	wg set wg0 peer "$pa" remove peer "$pa2" endpoint "$(dp_out4 1):10001" \
	allowed-ips "$(dp_ip4 1)/32"
# The old session must be gone at A: B no longer has it, so data on it
# would be dropped until A's rekey timeout (5 s), far past the second.
check "a ping right after the change gets through within a second" \
	dp_ping "$A" "$(dp_ip4 2)" 1
check_match "on a new handshake, with the new key" "^[1-9][0-9]*$" \
	"$(ip netns exec "$B" wg show wg0 latest-handshakes | awk -v k="$pa2" '$1 == k { print $2 }')"
check "and back B->A" dp_ping "$B" "$(dp_ip4 1)" 1

# --- 2. clamping ---
check "wg1 created" wg_add wg1
# /...: the first byte is 0xfc-0xff; clamping clears its low 3 bits (0xf8:
# "+"), clears the top bit of the last byte and sets the one below it.
read -r key want < <(/usr/bin/python3 -c '
import base64, os
k = bytearray(os.urandom(32))
k[0] = 0xff
c = bytearray(k)
c[0] &= 248
c[31] = (c[31] & 127) | 64
print(base64.b64encode(bytes(k)).decode(), base64.b64encode(bytes(c)).decode())')
check_match "a private key starting with /" '^/' "$key"
check "is accepted" wg set wg1 private-key <(echo "$key")
check_eq "wg show prints it clamped" "$want" "$(wg show wg1 private-key)"
check_match "which starts with +" '^\+' "$(wg show wg1 private-key)"
check_eq "the public key is that of either" "$(pubkey "$key")" \
	"$(wg show wg1 public-key)"
check_eq "and wg showconf" "PrivateKey = $want" \
	"$(wg showconf wg1 | grep '^PrivateKey')"
check "setting the clamped form is the same key" \
	wg set wg1 private-key <(echo "$want")
check_eq "still" "$want" "$(wg show wg1 private-key)"
check "wg1 deleted" ip link del wg1

# --- 3. persistent keepalive starts with the private key ---
C=kyc$$
check "namespace $C" ns_add "$C"
check "a second veth pair, $C<->$B" eval \
	"ip -n '$C' link add veth1 type veth peer name veth1 netns '$B' &&
	 ip -n '$C' addr add 192.168.242.1/24 dev veth1 &&
	 ip -n '$B' addr add 192.168.242.2/24 dev veth1 &&
	 ip -n '$C' link set veth1 up && ip -n '$B' link set veth1 up"
kc=$(genkey)
pc=$(pubkey "$kc")
check "wg0 in $C: up, no private key, peer B with keepalive 1" eval \
	"ip -n '$C' link add wg0 type wireguard &&
	 ip netns exec '$C' wg set wg0 listen-port 10003 peer '$pb' \
		endpoint 192.168.242.2:10002 allowed-ips 10.242.0.2/32 \
		persistent-keepalive 1 &&
	 ip -n '$C' link set wg0 up"
check "B: peer C (its future public key)" ip netns exec "$B" wg set wg0 \
	peer "$pc" allowed-ips 10.242.0.1/32
sleep 3
check_eq "without a private key C sent B nothing" "0 0" \
	"$(dp_peer_field "$C" wg0 transfer)"
check_eq "and B heard nothing from it" "0" \
	"$(ip netns exec "$B" wg show wg0 latest-handshakes | awk -v k="$pc" '$1 == k { print $2 }')"
check "C gets its private key (the device stays up)" \
	ip netns exec "$C" wg set wg0 private-key <(echo "$kc")
heard() {
	local t
	t=$(ip netns exec "$B" wg show wg0 latest-handshakes | awk -v k="$pc" '$1 == k { print $2 }')
	[ "${t:-0}" != 0 ]
}
ok=1
for ((i = 0; i < 50; i++)); do
	heard && { ok=0; break; }
	sleep 0.1
done
check "at once C keeps B's session alive: a handshake with C within 5 s" test "$ok" = 0
check_match "and C has sent B something" '^[0-9]+ [1-9][0-9]*$' \
	"$(dp_peer_field "$C" wg0 transfer)"

done_testing
