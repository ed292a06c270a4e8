#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Large configurations: 1000 peers with 10 allowed IPs each, and one peer
# with 5000 allowed IPs, go through setconf/showconf unchanged. Both need
# several netlink messages each way (wg splits its SET, the kernel its GET
# dump, continuing a peer across messages). syncconf of the large set
# applies only the difference.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
require_module

tmp=$(mktemp -d)
cleanup_add "rm -rf '$tmp'"

# Write the configurations in showconf's canonical form. Keys are random
# bytes (the private key clamped, as the kernel stores it): far faster than
# wg genkey/pubkey a thousand times under emulation.
/usr/bin/python3 -IS - "$tmp" <<'EOF'
import base64, os, socket, sys

out = sys.argv[1]

def key(clamp=False):
    k = bytearray(os.urandom(32))
    if clamp:
        k[0] &= 248
        k[31] = (k[31] & 127) | 64
    return base64.b64encode(bytes(k)).decode()

def v6(text):
    """An IPv6 prefix in its canonical (RFC 5952) spelling."""
    addr, cidr = text.split("/")
    addr = socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, addr))
    return addr + "/" + cidr

def peer(i, pub):
    a, b = i >> 8, i & 255
    ips = ["10.%d.%d.%d/27" % (a, b, 32 * j) for j in range(6)]
    ips += [v6("fd00:%x:%x::/64" % (i, j)) for j in range(4)]
    lines = ["[Peer]", "PublicKey = " + pub]
    if i % 10 == 0:
        lines.append("PresharedKey = " + key())
    lines.append("AllowedIPs = " + ", ".join(ips))
    if i % 3 == 0:
        lines.append("Endpoint = 192.0.%d.%d:%d" % (a, b, 1000 + i))
    elif i % 3 == 1:
        lines.append("Endpoint = [2001:db8::%x]:%d" % (i, 2000 + i))
    if i % 7 == 0:
        lines.append("PersistentKeepalive = %d" % (i % 100 + 1))
    return "\n".join(lines)

def write(name, iface, peers):
    with open(os.path.join(out, name), "w") as f:
        f.write("\n\n".join([iface] + peers) + "\n")

iface = "[Interface]\nListenPort = 42000\nPrivateKey = " + key(True)
pubs = [key() for _ in range(1005)]
write("big.conf", iface, [peer(i, pubs[i]) for i in range(1000)])

# big2: peers 100..104 removed, 200..204 with other allowed IPs, 1000..1004
# new (appended at the end, where syncconf adds them).
peers2 = []
for i in range(1005):
    if 100 <= i < 105:
        continue
    p = peer(i, pubs[i])
    if 200 <= i < 205:
        p = p.replace("AllowedIPs = ", "AllowedIPs = 172.16.%d.0/24, " % i)
    peers2.append(p)
write("big2.conf", iface, peers2)

# One peer with 5000 allowed IPs: it cannot fit one message.
ips = ["10.%d.%d.0/24" % (j >> 8, j & 255) for j in range(2500)]
ips += [v6("fd01:%x::/32" % j) for j in range(2500)]
write("one.conf", iface, ["[Peer]\nPublicKey = %s\nAllowedIPs = %s"
                          % (key(), ", ".join(ips))])
EOF
check "configurations generated" test -s "$tmp/big.conf" -a -s "$tmp/one.conf"

check "wg0 created" wg_add wg0
start=$(date +%s%N)
check "wg setconf of 1000 peers x 10 allowed IPs" wg setconf wg0 "$tmp/big.conf"
diag "setconf took $((($(date +%s%N) - start) / 1000000)) ms"
wg showconf wg0 >"$tmp/big.out"
check "wg showconf reproduces the file exactly" cmp "$tmp/big.conf" "$tmp/big.out"
[ "$RC" = 0 ] || diag "$(diff "$tmp/big.conf" "$tmp/big.out" | head -n 20 | cut -c 1-200)"
check_eq "wg show lists 1000 peers" 1000 "$(wg show wg0 peers | wc -l)"
check_eq "wg show dump has 10000 allowed IPs" 10000 \
	"$(wg show wg0 dump | tail -n +2 | cut -f4 | tr , '\n' | wc -l)"
raw=$(wgnl get wg0)
check_match "the kernel split the GET dump over several messages" \
	"^  dump messages: ([2-9]|[1-9][0-9]+)$" "$raw"
check_eq "the raw GET has 1000 peers" 1000 "$(grep -c '^  peer: ' <<<"$raw")"
check "the device comes up with 1000 peers" ip link set wg0 up

check "wg syncconf: 5 peers gone, 5 changed, 5 new" \
	wg syncconf wg0 "$tmp/big2.conf"
wg showconf wg0 >"$tmp/big2.out"
check "the result is exactly the new file" cmp "$tmp/big2.conf" "$tmp/big2.out"
[ "$RC" = 0 ] || diag "$(diff "$tmp/big2.conf" "$tmp/big2.out" | head -n 20 | cut -c 1-200)"

check "wg setconf of one peer with 5000 allowed IPs (REPLACE_PEERS)" \
	wg setconf wg0 "$tmp/one.conf"
wg showconf wg0 >"$tmp/one.out"
check "wg showconf reproduces it exactly" cmp "$tmp/one.conf" "$tmp/one.out"
[ "$RC" = 0 ] || diag "$(diff "$tmp/one.conf" "$tmp/one.out" | head -n 20 | cut -c 1-200)"
raw=$(wgnl get wg0)
check_match "its allowed IPs are split over several GET messages" \
	"^  dump messages: ([2-9]|[1-9][0-9]+)$" "$raw"
check_eq "and stitched back into one peer" 1 "$(grep -c '^  peer: ' <<<"$raw")"
check_eq "with all 5000 allowed IPs" 5000 \
	"$(wg show wg0 allowed-ips | cut -f2 | tr ' ' '\n' | wc -l)"

check "wg setconf of 1000 peers over the big peer" wg setconf wg0 "$tmp/big.conf"
check_eq "the big peer is gone" 1000 "$(wg show wg0 peers | wc -l)"
printf '[Interface]\nListenPort = 42000\n' >"$tmp/empty.conf"
start=$(date +%s%N)
check "wg setconf of no peer at all" wg setconf wg0 "$tmp/empty.conf"
diag "removing 1000 peers took $((($(date +%s%N) - start) / 1000000)) ms"
check_eq "removes all 1000" "" "$(wg show wg0 peers)"
check "the device is deleted" ip link del wg0

done_testing
