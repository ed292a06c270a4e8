#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A small configuration goes in with `wg setconf` and comes back unchanged
# from `wg showconf`, `wg show` (every field) and a raw netlink GET by name
# and by ifindex. Single settings change one at a time.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

tmp=$(mktemp -d)
cleanup_add "rm -rf '$tmp'"

priv=$(genkey)
pub=$(pubkey "$priv")
p1=$(randkey) p2=$(randkey) p3=$(randkey)
psk1=$(genpsk) psk3=$(genpsk)

# The canonical form of `wg showconf`: prefixes masked to their network,
# [Interface] fields in the order ListenPort, FwMark, PrivateKey, each peer's
# in the order PublicKey, PresharedKey, AllowedIPs, Endpoint,
# PersistentKeepalive, peers and allowed IPs in the order they were added.
cat >"$tmp/f.conf" <<EOF
[Interface]
ListenPort = 51820
FwMark = 0x1234
PrivateKey = $priv

[Peer]
PublicKey = $p1
PresharedKey = $psk1
AllowedIPs = 10.1.0.0/16, 192.168.7.1/32, fd00:1::/64, 2001:db8::1/128
Endpoint = 192.0.2.1:51820
PersistentKeepalive = 25

[Peer]
PublicKey = $p2
AllowedIPs = 10.2.0.0/24, 10.3.3.0/24, 172.16.0.0/12, fd00:2::/48
Endpoint = [2001:db8:1::7]:4500

[Peer]
PublicKey = $p3
PresharedKey = $psk3
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = 198.51.100.200:65535
PersistentKeepalive = 65535
EOF

check "wg0 created" wg_add wg0
check "wg setconf of a 3-peer configuration" wg setconf wg0 "$tmp/f.conf"
check_eq "wg showconf reproduces the file exactly" \
	"$(cat "$tmp/f.conf")" "$(wg showconf wg0)"
check "the device comes up with that configuration" ip link set wg0 up
check_eq "...and showconf is the same once up" \
	"$(cat "$tmp/f.conf")" "$(wg showconf wg0)"

# --- wg show, the human-readable form ---
show=$(wg show wg0)
check_match "wg show: interface line" "^interface: wg0$" "$show"
check_line "wg show: public key derived from the private key" \
	"  public key: $pub" "$show"
check_match "wg show: private key hidden" "^  private key: \(hidden\)$" "$show"
check_match "wg show: listening port" "^  listening port: 51820$" "$show"
check_match "wg show: fwmark" "^  fwmark: 0x1234$" "$show"
for p in "$p1" "$p2" "$p3"; do
	check_line "wg show: peer ${p:0:8}... listed" "peer: $p" "$show"
done
# The block of one peer: from its "peer:" line to the next blank line.
block() { awk -v k="peer: $1" '$0==k{on=1} on&&/^$/{exit} on' <<<"$show"; }
b1=$(block "$p1") b2=$(block "$p2") b3=$(block "$p3")
check_match "wg show: peer 1 preshared key hidden" \
	"^  preshared key: \(hidden\)$" "$b1"
check_nomatch "wg show: peer 2 has no preshared key line" "preshared" "$b2"
check_match "wg show: peer 1 v4 endpoint" "^  endpoint: 192\.0\.2\.1:51820$" "$b1"
check_match "wg show: peer 2 v6 endpoint" \
	"^  endpoint: \[2001:db8:1::7\]:4500$" "$b2"
check_match "wg show: peer 1 allowed ips" \
	"^  allowed ips: 10\.1\.0\.0/16, 192\.168\.7\.1/32, fd00:1::/64, 2001:db8::1/128$" "$b1"
check_match "wg show: peer 3 allowed ips" "^  allowed ips: 0\.0\.0\.0/0, ::/0$" "$b3"
check_match "wg show: peer 1 keepalive" \
	"^  persistent keepalive: every 25 seconds$" "$b1"
check_nomatch "wg show: peer 2 has no keepalive line" "keepalive" "$b2"
check_nomatch "wg show: no handshake or transfer before any traffic" \
	"latest handshake|transfer" "$show"

# --- wg show DEVICE FIELD ---
check_eq "wg show public-key" "$pub" "$(wg show wg0 public-key)"
check_eq "wg show private-key" "$priv" "$(wg show wg0 private-key)"
check_eq "wg show listen-port" "51820" "$(wg show wg0 listen-port)"
check_eq "wg show fwmark" "0x1234" "$(wg show wg0 fwmark)"
check_eq "wg show peers, in the order they were added" \
	"$p1"$'\n'"$p2"$'\n'"$p3" "$(wg show wg0 peers)"
check_eq "wg show endpoints" \
	"$p1	192.0.2.1:51820"$'\n'"$p2	[2001:db8:1::7]:4500"$'\n'"$p3	198.51.100.200:65535" \
	"$(wg show wg0 endpoints)"
check_eq "wg show persistent-keepalive" \
	"$p1	25"$'\n'"$p2	off"$'\n'"$p3	65535" "$(wg show wg0 persistent-keepalive)"
check_eq "wg show preshared-keys" \
	"$p1	$psk1"$'\n'"$p2	(none)"$'\n'"$p3	$psk3" "$(wg show wg0 preshared-keys)"
check_eq "wg show latest-handshakes are 0" \
	"$p1	0"$'\n'"$p2	0"$'\n'"$p3	0" "$(wg show wg0 latest-handshakes)"
check_eq "wg show transfer is 0 0" \
	"$p1	0	0"$'\n'"$p2	0	0"$'\n'"$p3	0	0" "$(wg show wg0 transfer)"
check_eq "wg show allowed-ips of peer 2" \
	"$p2	10.2.0.0/24 10.3.3.0/24 172.16.0.0/12 fd00:2::/48" \
	"$(wg show wg0 allowed-ips | grep -F "$p2")"
check_eq "wg show dump" \
"$priv	$pub	51820	0x1234
$p1	$psk1	192.0.2.1:51820	10.1.0.0/16,192.168.7.1/32,fd00:1::/64,2001:db8::1/128	0	0	0	25
$p2	(none)	[2001:db8:1::7]:4500	10.2.0.0/24,10.3.3.0/24,172.16.0.0/12,fd00:2::/48	0	0	0	off
$p3	$psk3	198.51.100.200:65535	0.0.0.0/0,::/0	0	0	0	65535" "$(wg show wg0 dump)"

# --- raw GET by name and by ifindex ---
ifindex=$(cat /sys/class/net/wg0/ifindex)
check "GET by ifname" wgnl get wg0 --json
by_name=$OUT
check "GET by ifindex" wgnl get --ifindex "$ifindex" --json
by_index=$OUT
check_eq "GET by ifname and by ifindex return the same device" \
	"$by_name" "$by_index"
check_match "GET reports the ifindex" "\"ifindex\": $ifindex," "$by_name"
check_match "GET reports the ifname" '"ifname": "wg0",' "$by_name"
check_contains "GET reports the public key" "\"public_key\": \"$pub\"," "$by_name"
check_contains "GET reports the private key to root" \
	"\"private_key\": \"$priv\"," "$by_name"
check_contains "GET reports a peer's preshared key to root" \
	"\"preshared_key\": \"$psk1\"," "$by_name"
check_match "GET reports protocol version 1" '"protocol_version": 1' "$by_name"
check_fail "GET of an unknown name fails" wgnl get nosuchdev0
check_eq "...with ENODEV" 19 "$RC"
check_fail "GET of an unknown ifindex fails" wgnl get --ifindex 99999
check_eq "...with ENODEV" 19 "$RC"
check_fail "GET of a device that is not WireGuard fails" wgnl get lo
check_fail "wg show of a device that is not WireGuard fails" wg show lo
check_fail "wg set of a device that is not WireGuard fails" \
	wg set lo listen-port 1

# --- single settings, one at a time ---
before=$(wg showconf wg0)
check "wg set fwmark 0" wg set wg0 fwmark 0
check_eq "fwmark 0 removes the FwMark line" \
	"$(grep -v '^FwMark' <<<"$before")" "$(wg showconf wg0)"
check "wg set fwmark 7" wg set wg0 fwmark 7
check_eq "fwmark given in decimal is shown in hex" "0x7" "$(wg show wg0 fwmark)"
check "wg set fwmark 0xffffffff" wg set wg0 fwmark 0xffffffff
check_eq "the whole 32-bit fwmark is kept" "0xffffffff" "$(wg show wg0 fwmark)"
check "keepalive off" wg set wg0 peer "$p1" persistent-keepalive off
check_eq "keepalive off for peer 1" "$p1	off" \
	"$(wg show wg0 persistent-keepalive | grep -F "$p1")"
check "preshared key removed with /dev/null" \
	wg set wg0 peer "$p1" preshared-key /dev/null
check_eq "peer 1 has no preshared key" "$p1	(none)" \
	"$(wg show wg0 preshared-keys | grep -F "$p1")"
check "endpoint changed" wg set wg0 peer "$p2" endpoint 203.0.113.9:1
check_eq "the new endpoint is reported" "$p2	203.0.113.9:1" \
	"$(wg show wg0 endpoints | grep -F "$p2")"
check "endpoint changed to a link-local v6 address with a scope" \
	wg set wg0 peer "$p2" endpoint "[fe80::1%wg0]:2"
check_match "the scoped endpoint is reported" "	\[fe80::1(%wg0)?\]:2$" \
	"$(wg show wg0 endpoints | grep -F "$p2")"
new=$(genkey)
check "a new private key" wg set wg0 private-key <(echo "$new")
check_eq "the public key follows the private key" "$(pubkey "$new")" \
	"$(wg show wg0 public-key)"
check "private key removed with /dev/null" wg set wg0 private-key /dev/null
check_eq "no private key" "(none)" "$(wg show wg0 private-key)"
check_eq "no public key" "(none)" "$(wg show wg0 public-key)"

# A private key whose public key is a peer's removes that peer.
self=$(genkey)
check "a peer with our own future public key" \
	wg set wg0 peer "$(pubkey "$self")" allowed-ips 10.99.0.0/16
check "set the private key of that public key" \
	wg set wg0 private-key <(echo "$self")
check_noline "the peer with our own public key is gone" \
	"$(pubkey "$self")" "$(wg show wg0 peers)"
check_eq "the other peers remain" "$p1"$'\n'"$p2"$'\n'"$p3" \
	"$(wg show wg0 peers)"

done_testing
