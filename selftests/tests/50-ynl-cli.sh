#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The family through the kernel's YNL CLI (tools/net/ynl/cli.py of Debian's
# linux-source-6.12) driven by our spec, Documentation/netlink/specs/
# wireguard.yaml: its GET dump says what `wg show dump` says, also for a
# device split over several messages; with peer-stats each peer has its
# counters; a SET through it (device settings, a peer added, changed and
# removed) is what `wg` shows next. Then strict validation: what a request
# may not carry, a non-zero reserved field in the genetlink header and
# ambiguous nlmsg_flags are refused with an extack message and change
# nothing, while the unmodified wg keeps working.
. "${WG_REPO:-$(dirname "$0")/../..}/selftests/lib.sh"
. "$WG_REPO/selftests/lib-ynl.sh"
require_module
require_ynl

tmp=$(mktemp -d)
cleanup_add "rm -rf '$tmp'"

# as_dump: cli.py's JSON of a get-device dump -> `wg show dump`'s text.
as_dump() {
	/usr/bin/python3 -c '
import base64, json, socket, struct, sys

def key(h):
    return base64.b64encode(bytes.fromhex(h)).decode() if h else "(none)"

def sockaddr(h):
    if not h:
        return "(none)"
    b = bytes.fromhex(h)
    fam, port = struct.unpack_from("=H", b)[0], struct.unpack_from(">H", b, 2)[0]
    if fam == socket.AF_INET:
        return "%s:%d" % (socket.inet_ntop(fam, b[4:8]), port)
    addr = socket.inet_ntop(fam, b[8:24])
    return "[%s]:%d" % (addr, port)

def elems(array):
    # An indexed-array: a list of {index: element}.
    return [next(iter(e.values())) for e in array]

msgs = json.load(sys.stdin)
dev, peers = {}, []
for m in msgs:
    for k, v in m.items():
        if k != "peers":
            dev.setdefault(k, v)
    for p in elems(m.get("peers", [])):
        p["allowedips"] = elems(p.get("allowedips", []))
        if peers and peers[-1]["public-key"] == p["public-key"]:
            peers[-1]["allowedips"].extend(p["allowedips"])
        else:
            peers.append(p)
fw = dev.get("fwmark", 0)
print("\t".join([key(dev.get("private-key")), key(dev.get("public-key")),
                 str(dev.get("listen-port", 0)), "0x%x" % fw if fw else "off"]))
for p in peers:
    psk = p.get("preshared-key")
    if psk and not int(psk, 16):
        psk = None
    ips = []
    for a in p["allowedips"]:
        ip = bytes.fromhex(a["ipaddr"])
        ips.append("%s/%d" % (socket.inet_ntop(a["family"], ip), a["cidr-mask"]))
    ka = p.get("persistent-keepalive-interval", 0)
    print("\t".join([key(p["public-key"]), key(psk), sockaddr(p.get("endpoint")),
                     ",".join(ips) or "(none)",
                     str(p.get("last-handshake-time", {}).get("sec", 0)),
                     str(p.get("rx-bytes", 0)), str(p.get("tx-bytes", 0)),
                     str(ka) if ka else "off"]))
'
}

# get_json [EXTRA-JSON]: the dump of wg0 as cli.py prints it (--output-json).
get_json() {
	ynl "" --dump get-device --output-json \
		--json "{\"ifname\": \"wg0\"${1:+, $1}}"
}

hex() { base64 -d <<<"$1" | od -An -tx1 -v | tr -d ' \n'; }

priv=$(genkey) p1=$(randkey) p2=$(randkey) p3=$(randkey) psk=$(genpsk)
cat >"$tmp/wg0.conf" <<EOF
[Interface]
ListenPort = 51820
FwMark = 0x42
PrivateKey = $priv

[Peer]
PublicKey = $p1
PresharedKey = $psk
AllowedIPs = 10.1.0.0/16, fd00:1::/64
Endpoint = 192.0.2.1:51820
PersistentKeepalive = 25

[Peer]
PublicKey = $p2
AllowedIPs = 10.2.0.0/24
Endpoint = [2001:db8::7]:4500

[Peer]
PublicKey = $p3
EOF

check "wg0 created" wg_add wg0
check "configured with wg setconf" wg setconf wg0 "$tmp/wg0.conf"

# --- GET ---
check "cli.py --dump get-device" get_json
json=$OUT
check_eq "its dump is what wg show dump says" "$(wg show wg0 dump)" \
	"$(as_dump <<<"$json")"
check_nomatch "without peer-stats there is no stats nest" '"stats"' "$json"
check "cli.py --dump get-device with peer-stats" get_json '"peer-stats": true'
stats=$OUT
check_eq "with it, each of the 3 peers has a stats nest" 3 \
	"$(grep -o '"stats"' <<<"$stats" | wc -l)"
check_match "counting packets" '"rx-packets": 0' "$stats"
check_match "and events" '"events-sent": 0' "$stats"
check_eq "and otherwise the same dump" "$(wg show wg0 dump)" \
	"$(as_dump <<<"$stats")"

# A device too large for one message: the CLI stitches the peers back.
/usr/bin/python3 - "$tmp/big.conf" "$priv" <<'EOF'
import base64, os, sys
with open(sys.argv[1], "w") as f:
    f.write("[Interface]\nPrivateKey = %s\n" % sys.argv[2])
    for i in range(300):
        f.write("[Peer]\nPublicKey = %s\nAllowedIPs = %s\n" % (
            base64.b64encode(os.urandom(32)).decode(),
            ", ".join("10.%d.%d.0/24" % (i // 32, i % 32 * 8 + j)
                      for j in range(8))))
EOF
check "300 peers with 8 allowed IPs each" wg setconf wg0 "$tmp/big.conf"
check "cli.py --dump get-device of them" get_json
check_eq "is what wg show dump says" "$(wg show wg0 dump)" "$(as_dump <<<"$OUT")"
check "wg setconf back to 3 peers" wg setconf wg0 "$tmp/wg0.conf"

# --- SET ---
p4=$(randkey)
check "cli.py --do set-device: port, fwmark and a new peer" \
	ynl "" --do set-device --json "{\"ifname\": \"wg0\", \"listen-port\": 51999,
	\"fwmark\": 7, \"peers\": [{\"public-key\": \"$(hex "$p4")\",
	\"endpoint\": \"0200000bc0000263$(printf '0%.0s' {1..16})\",
	\"persistent-keepalive-interval\": 9,
	\"allowedips\": [{\"family\": 2, \"ipaddr\": \"0a630000\", \"cidr-mask\": 16}]}]}"
check_eq "wg sees the listen port" 51999 "$(wg show wg0 listen-port)"
check_eq "and the fwmark" 0x7 "$(wg show wg0 fwmark)"
check_eq "and the new peer, last" "$p4" "$(wg show wg0 peers | tail -n 1)"
check_line "with its endpoint" "$p4	192.0.2.99:11" "$(wg show wg0 endpoints)"
check_line "its keepalive" "$p4	9" "$(wg show wg0 persistent-keepalive)"
check_line "and its allowed IP" "$p4	10.99.0.0/16" "$(wg show wg0 allowed-ips)"
check "cli.py --do set-device: replace the peer's allowed IPs" \
	ynl "" --do set-device --json "{\"ifname\": \"wg0\", \"peers\": [{
	\"public-key\": \"$(hex "$p4")\", \"flags\": 2, \"allowedips\": [
	{\"family\": 10, \"ipaddr\": \"fd000099$(printf '0%.0s' {1..24})\", \"cidr-mask\": 64}]}]}"
check_line "wg sees the new list" "$p4	fd00:99::/64" "$(wg show wg0 allowed-ips)"
check "cli.py --do set-device: remove the peer" \
	ynl "" --do set-device --json "{\"ifname\": \"wg0\", \"peers\": [{
	\"public-key\": \"$(hex "$p4")\", \"flags\": 1}]}"
check_noline "wg no longer lists it" "$p4" "$(wg show wg0 peers)"
check_eq "the 3 others are unchanged" "$p1"$'\n'"$p2"$'\n'"$p3" "$(wg show wg0 peers)"

# --- cli.py --subscribe ---
# cli.py prints what arrived once its --sleep is over; change a peer every
# half second until then, so that some changes come after it subscribed.
ynl "" --subscribe peers --sleep 6 --output-json >"$tmp/sub.json" 2>&1 &
sub=$!
cleanup_add "kill $sub"
for ((i = 0; i < 60; i++)); do
	kill -0 "$sub" 2>/dev/null || break
	wg set wg0 peer "$p3" persistent-keepalive $((i % 2 + 1))
	sleep 0.5
done
wait "$sub"
check_match "cli.py --subscribe peers gets peer-change-ntf events" \
	'"name": "peer-change-ntf"' "$(cat "$tmp/sub.json")"
check_contains "naming the device and the peer" \
	"\"ifindex\": $(cat /sys/class/net/wg0/ifindex), \"ifname\": \"wg0\", \"public-key\": \"$(hex "$p3")\"" \
	"$(cat "$tmp/sub.json")"
check "wg set peer keepalive off" wg set wg0 peer "$p3" persistent-keepalive off

# --- strict validation ---
before=$(wg showconf wg0)
# refused DESC WGNL-ARGS...: wgnl.py fails with an extack message and the
# configuration stays.
refused() {
	local desc=$1
	shift
	check_fail "$desc: refused" wgnl "$@"
	if [[ $OUT == "error: "*": "* ]]; then
		pass "$desc: with an extack message"
	elif [[ $1 == get && $(uname -r) == 6.1.* && $OUT == "error: "* ]]; then
		skip "$desc: with an extack message" "6.1 cannot report one for a dump"
	else
		fail "$desc: with an extack message" "$OUT"
	fi
	check_eq "$desc: configuration unchanged" "$before" "$(wg showconf wg0)"
}
refused "SET with a non-zero reserved header field" set --reserved 1 wg0 FWMARK=u32:9
refused "GET with a non-zero reserved header field" get --reserved 0x100 wg0
refused "SET with NLM_F_ROOT (ambiguous nlmsg_flags)" set --add-flags 0x100 wg0 FWMARK=u32:9
refused "SET with NLM_F_EXCL|NLM_F_CREATE" set --add-flags 0x600 wg0 FWMARK=u32:9
refused "GET with a private key (SET only)" get wg0 PRIVATE_KEY=rand:32
refused "GET with an unknown attribute" get wg0 30=u32:1
refused "SET with WGDEVICE_A_PEER_STATS (GET only)" set wg0 64=
refused "SET with an unknown attribute in an allowed IP" set wg0 \
	"PEERS{ 0{ PUBLIC_KEY=b64:$p1 ALLOWEDIPS{ 0{ FAMILY=u16:2 IPADDR=ip:10.7.0.0 CIDR_MASK=u8:16 9=u8:1 } } } }"
refused "SET with a leaf where a nest belongs" set wg0 "PEERS=u32:1"
check "a SET with a zero reserved field is accepted" wgnl set --reserved 0 wg0 FWMARK=u32:0x42
check "wg set still works" wg set wg0 fwmark 0x43
check_eq "and changes the fwmark" 0x43 "$(wg show wg0 fwmark)"
check_eq "wg showconf still reads it all" "$p1"$'\n'"$p2"$'\n'"$p3" \
	"$(wg showconf wg0 | sed -n 's/^PublicKey = //p')"

done_testing
