#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A third client written by others: Debian's python3-pyroute2 and its
# WireGuard support configure a device (private key, port, fwmark, a peer
# with a preshared key, endpoint, keepalive and allowed IPs, a second peer,
# then its removal) and read it back; `wg` agrees.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

if ! /usr/bin/python3 -c 'from pyroute2 import WireGuard' 2>/dev/null; then
	skip "pyroute2 configures a peer" "no python3-pyroute2"
	done_testing
fi

priv=$(genkey) p1=$(randkey) p2=$(randkey) psk=$(genpsk)
check "wg0 created" wg_add wg0
check "pyroute2 sets the device and a peer" /usr/bin/python3 -c '
import sys
from pyroute2 import WireGuard
wg = WireGuard()
wg.set("wg0", private_key=sys.argv[1], listen_port=51777, fwmark=0x99,
       peer={"public_key": sys.argv[2], "preshared_key": sys.argv[4],
             "endpoint_addr": "192.0.2.7", "endpoint_port": 4242,
             "persistent_keepalive": 15,
             "allowed_ips": ["10.7.0.0/16", "fd00:7::/64"]})
wg.set("wg0", peer={"public_key": sys.argv[3], "allowed_ips": ["10.8.0.0/16"]})
' "$priv" "$p1" "$p2" "$psk"
check_eq "wg sees what it set" "[Interface]
ListenPort = 51777
FwMark = 0x99
PrivateKey = $priv

[Peer]
PublicKey = $p1
PresharedKey = $psk
AllowedIPs = 10.7.0.0/16, fd00:7::/64
Endpoint = 192.0.2.7:4242
PersistentKeepalive = 15

[Peer]
PublicKey = $p2
AllowedIPs = 10.8.0.0/16" "$(wg showconf wg0)"

check "pyroute2 reads it back" /usr/bin/python3 -c '
from pyroute2 import WireGuard
for msg in WireGuard().info("wg0"):
    print("port", msg.get_attr("WGDEVICE_A_LISTEN_PORT"))
    print("fwmark", msg.get_attr("WGDEVICE_A_FWMARK"))
    print("private", msg.get_attr("WGDEVICE_A_PRIVATE_KEY").decode())
    for peer in msg.get_attr("WGDEVICE_A_PEERS") or []:
        print("peer", peer.get_attr("WGPEER_A_PUBLIC_KEY").decode(),
              peer.get_attr("WGPEER_A_ENDPOINT"),
              peer.get_attr("WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL"),
              [a["addr"] for a in peer.get_attr("WGPEER_A_ALLOWEDIPS") or []])
'
check_line "the listen port" "port 51777" "$OUT"
check_line "the fwmark" "fwmark 153" "$OUT"
check_line "the private key" "private $priv" "$OUT"
check_match "the first peer, its keepalive and allowed IPs" \
	"^peer ${p1//+/\\+} .* 15 \['10\.7\.0\.0/16', 'fd00:7::/64'\]$" "$OUT"
check_contains "its endpoint's address" "'addr': '192.0.2.7'" "$OUT"
check_contains "its endpoint's port" "'port': 4242" "$OUT"
check_match "the second peer" "^peer ${p2//+/\\+} .*\['10\.8\.0\.0/16'\]$" "$OUT"

check "pyroute2 removes the second peer" /usr/bin/python3 -c '
import sys
from pyroute2 import WireGuard
WireGuard().set("wg0", peer={"public_key": sys.argv[1], "remove": True})
' "$p2"
check_eq "wg sees one peer left" "$p1" "$(wg show wg0 peers)"

done_testing
