#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Peers and allowed IPs: add, remove, replace, move between peers, remove a
# single allowed IP (WGALLOWEDIP_A_FLAGS), update-only, REPLACE_PEERS
# (setconf), addconf, and syncconf applying only the difference.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

tmp=$(mktemp -d)
cleanup_add "rm -rf '$tmp'"

# aips KEY: the allowed IPs of a peer, space separated ("(none)" if none).
aips() { wg show wg0 allowed-ips | awk -v k="$1" '$1 == k { $1 = ""; print substr($0, 2) }'; }
peers() { wg show wg0 peers | xargs; }
endpoint() { wg show wg0 endpoints | awk -v k="$1" '$1 == k { print $2 }'; }

A=$(randkey) B=$(randkey) C=$(randkey) D=$(randkey)
check "wg0 created" wg_add wg0
check "wg set with three peers" wg set wg0 private-key <(genkey) \
	peer "$A" allowed-ips 10.0.0.0/24,10.0.1.0/24,fd00:a::/64 \
	peer "$B" allowed-ips 10.1.0.0/16 \
	peer "$C" allowed-ips 10.2.0.0/16
check_eq "peers are listed in the order they were added" "$A $B $C" "$(peers)"

# --- allowed IPs of one peer ---
check "allowed-ips replaces a peer's list" \
	wg set wg0 peer "$A" allowed-ips 10.0.2.0/24,fd00:a::/64,10.0.3.0/24
check_eq "only the new list remains, in the given order" \
	"10.0.2.0/24 fd00:a::/64 10.0.3.0/24" "$(aips "$A")"
check "host bits in a prefix" wg set wg0 peer "$A" allowed-ips 10.5.6.7/16,fd00:b::1/48
check_eq "are masked off" "10.5.0.0/16 fd00:b::/48" "$(aips "$A")"
check "the same prefix twice" wg set wg0 peer "$A" allowed-ips 10.9.0.0/16,10.9.0.0/16
check_eq "is kept once" "10.9.0.0/16" "$(aips "$A")"
check "an empty list" wg set wg0 peer "$A" allowed-ips ""
check_eq "clears the peer's allowed IPs" "(none)" "$(aips "$A")"
check "v4 and v6 defaults" wg set wg0 peer "$A" allowed-ips 0.0.0.0/0,::/0
check_eq "0.0.0.0/0 and ::/0 are kept" "0.0.0.0/0 ::/0" "$(aips "$A")"

# --- a prefix belongs to one peer at most ---
wg set wg0 peer "$A" allowed-ips 10.0.0.0/24,10.7.0.0/16,fd00:7::/64
check "give one of A's prefixes to B" \
	wg set wg0 peer "$B" allowed-ips 10.1.0.0/16,10.7.0.0/16
check_eq "B has it" "10.1.0.0/16 10.7.0.0/16" "$(aips "$B")"
check_eq "A lost it and kept the rest" "10.0.0.0/24 fd00:7::/64" "$(aips "$A")"
check "give A's v6 prefix to C without replacing C's list (raw SET)" \
	wgnl set wg0 "PEERS{ 0{ PUBLIC_KEY=b64:$C ALLOWEDIPS{ $(aip fd00:7::/64) } } }"
check_eq "C has both" "10.2.0.0/16 fd00:7::/64" "$(aips "$C")"
check_eq "A lost it" "10.0.0.0/24" "$(aips "$A")"
check "a longer and a shorter prefix of the same network" \
	wg set wg0 peer "$B" allowed-ips 10.0.0.0/16
check_eq "are different prefixes: A keeps the /24" "10.0.0.0/24" "$(aips "$A")"
check_eq "and B has the /16" "10.0.0.0/16" "$(aips "$B")"

# --- WGALLOWEDIP_A_FLAGS / WGALLOWEDIP_F_REMOVE_ME: remove one prefix ---
wg set wg0 peer "$A" allowed-ips 10.0.0.0/24,10.0.1.0/24,fd00:a::/64,fd00:b::/64
wg set wg0 peer "$B" allowed-ips 10.1.0.0/16
rm_aip() { aip "$1" FLAGS=u32:1; }
# Only newer in-tree drivers know WGALLOWEDIP_A_FLAGS (neither of the
# Debian kernels' does): there the attribute is refused as unknown.
if is_intree && ! wgnl set wg0 "PEERS{ 0{ PUBLIC_KEY=b64:$A
		ALLOWEDIPS{ $(rm_aip 10.254.0.0/16) } } }" >/dev/null 2>&1; then
	for d in "remove one v4 prefix with WGALLOWEDIP_F_REMOVE_ME" \
		"remove one v6 prefix with WGALLOWEDIP_F_REMOVE_ME" \
		"removing another peer's prefix" "removing an absent prefix" \
		"add and remove in one message"; do
		skip "$d" "the in-tree driver of $(uname -r) has no WGALLOWEDIP_A_FLAGS"
	done
else
	check "remove one v4 prefix with WGALLOWEDIP_F_REMOVE_ME" \
		wgnl set wg0 "PEERS{ 0{ PUBLIC_KEY=b64:$A ALLOWEDIPS{ $(rm_aip 10.0.1.0/24) } } }"
	check_eq "only that prefix is gone" "10.0.0.0/24 fd00:a::/64 fd00:b::/64" \
		"$(aips "$A")"
	check "remove one v6 prefix with WGALLOWEDIP_F_REMOVE_ME" \
		wgnl set wg0 "PEERS{ 0{ PUBLIC_KEY=b64:$A ALLOWEDIPS{ $(rm_aip fd00:a::/64) } } }"
	check_eq "only that prefix is gone" "10.0.0.0/24 fd00:b::/64" "$(aips "$A")"
	check "removing another peer's prefix" \
		wgnl set wg0 "PEERS{ 0{ PUBLIC_KEY=b64:$A ALLOWEDIPS{ $(rm_aip 10.1.0.0/16) } } }"
	check_eq "leaves the other peer's prefix alone" "10.1.0.0/16" "$(aips "$B")"
	check "removing an absent prefix" \
		wgnl set wg0 "PEERS{ 0{ PUBLIC_KEY=b64:$A ALLOWEDIPS{ $(rm_aip 10.66.0.0/16) } } }"
	check_eq "changes nothing" "10.0.0.0/24 fd00:b::/64" "$(aips "$A")"
	check "add and remove in one message" \
		wgnl set wg0 "PEERS{ 0{ PUBLIC_KEY=b64:$A ALLOWEDIPS{ $(aip 10.8.0.0/16) $(rm_aip 10.0.0.0/24) } } }"
	check_eq "are applied in order" "fd00:b::/64 10.8.0.0/16" "$(aips "$A")"
fi

# --- removing peers ---
check "wg set peer C remove" wg set wg0 peer "$C" remove
check_eq "C is gone, the others stay in order" "$A $B" "$(peers)"
check "removing a peer that does not exist" wg set wg0 peer "$D" remove
check_eq "is not an error and changes nothing" "$A $B" "$(peers)"
check "C's prefixes are free again" wg set wg0 peer "$B" allowed-ips 10.2.0.0/16
check "C re-added" wg set wg0 peer "$C" allowed-ips 10.3.0.0/16
check_eq "a re-added peer goes to the end" "$A $B $C" "$(peers)"
check "remove and re-add a peer in one message (raw SET)" \
	wgnl set wg0 "PEERS{ 0{ PUBLIC_KEY=b64:$A FLAGS=u32:1 }
		0{ PUBLIC_KEY=b64:$A ALLOWEDIPS{ $(aip 10.4.0.0/16) } } }"
check_eq "is applied in order: A is back, new, at the end" "$B $C $A" "$(peers)"
check_eq "with only its new prefix" "10.4.0.0/16" "$(aips "$A")"

# --- WGPEER_F_UPDATE_ONLY ---
check "update-only SET for an unknown peer (raw SET)" \
	wgnl set wg0 "PEERS{ 0{ PUBLIC_KEY=b64:$D FLAGS=u32:4 ALLOWEDIPS{ $(aip 10.5.0.0/16) } } }"
check_eq "does not create it" "$B $C $A" "$(peers)"
check "update-only SET for a known peer (raw SET)" \
	wgnl set wg0 "PEERS{ 0{ PUBLIC_KEY=b64:$C FLAGS=u32:4 PERSISTENT_KEEPALIVE_INTERVAL=u16:9 } }"
check_eq "updates it" "9" \
	"$(wg show wg0 persistent-keepalive | awk -v k="$C" '$1 == k { print $2 }')"

# --- setconf replaces the whole peer set (WGDEVICE_F_REPLACE_PEERS) ---
wg set wg0 peer "$B" endpoint 192.0.2.2:1111
cat >"$tmp/two.conf" <<EOF
[Interface]
PrivateKey = $(genkey)

[Peer]
PublicKey = $B
AllowedIPs = 10.1.0.0/16

[Peer]
PublicKey = $D
AllowedIPs = 10.4.0.0/16
EOF
check "wg setconf of B and D" wg setconf wg0 "$tmp/two.conf"
check_eq "only B and D remain, in file order" "$B $D" "$(peers)"
check_eq "D got A's old prefix" "10.4.0.0/16" "$(aips "$D")"
check_eq "B was re-created: its endpoint, not in the file, is gone" "(none)" \
	"$(endpoint "$B")"
check "REPLACE_PEERS without any peer (raw SET)" wgnl set wg0 FLAGS=u32:1
check_eq "removes every peer" "" "$(peers)"
check_match "but keeps the private key" "^[A-Za-z0-9+/]{43}=$" \
	"$(wg show wg0 private-key)"

# --- addconf adds ---
check "wg setconf again" wg setconf wg0 "$tmp/two.conf"
printf '[Peer]\nPublicKey = %s\nAllowedIPs = 10.3.0.0/16\n' "$C" >"$tmp/c.conf"
check "wg addconf of C" wg addconf wg0 "$tmp/c.conf"
check_eq "adds C after the others" "$B $D $C" "$(peers)"

# --- syncconf changes only what differs ---
cat >"$tmp/sync1.conf" <<EOF
[Interface]
ListenPort = 41000
PrivateKey = $(genkey)

[Peer]
PublicKey = $A
AllowedIPs = 10.0.0.0/24

[Peer]
PublicKey = $B
AllowedIPs = 10.1.0.0/16

[Peer]
PublicKey = $C
AllowedIPs = 10.2.0.0/16
EOF
check "wg setconf of A, B, C" wg setconf wg0 "$tmp/sync1.conf"
check "B's endpoint set separately (as if learned)" \
	wg set wg0 peer "$B" endpoint 192.0.2.2:2222
sync2_priv=$(sed -n 's/^PrivateKey = //p' "$tmp/sync1.conf")
cat >"$tmp/sync2.conf" <<EOF
[Interface]
ListenPort = 41000
PrivateKey = $sync2_priv

[Peer]
PublicKey = $A
AllowedIPs = 10.0.0.0/24, 10.0.9.0/24

[Peer]
PublicKey = $B
AllowedIPs = 10.1.0.0/16

[Peer]
PublicKey = $D
AllowedIPs = 10.3.0.0/16
EOF
check "wg syncconf of a file: A changed, B same, C gone, D new" \
	wg syncconf wg0 "$tmp/sync2.conf"
check_eq "C is removed, D is added" "$A $B $D" "$(peers)"
check_eq "A's allowed IPs are updated" "10.0.0.0/24 10.0.9.0/24" "$(aips "$A")"
check_eq "D has its allowed IPs" "10.3.0.0/16" "$(aips "$D")"
check_eq "B was left alone: its separately set endpoint is still there" \
	"192.0.2.2:2222" "$(endpoint "$B")"
check_eq "the listen port is unchanged" "41000" "$(wg show wg0 listen-port)"
check_eq "a second syncconf of the same file changes nothing" \
	"$(wg showconf wg0)" "$(wg syncconf wg0 "$tmp/sync2.conf"; wg showconf wg0)"
check "wg setconf of the same file" wg setconf wg0 "$tmp/sync2.conf"
check_eq "setconf, unlike syncconf, re-creates B: the endpoint is gone" \
	"(none)" "$(endpoint "$B")"

done_testing
