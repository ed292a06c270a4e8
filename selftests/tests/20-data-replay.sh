#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Replays: A's handshake initiation and data messages, captured on A's veth
# with tcpdump -w, are sent again (whole Ethernet frames through an AF_PACKET
# socket on the same veth: same addresses, ports and WireGuard bytes; only the
# UDP checksum, possibly left to offload, is cleared). B rejects
# them: nothing is delivered (no extra RX packets on B's wg0, no echo replies
# back to A), rx_replay / rx_bad_handshake and rx_errors grow (ours only),
# and the tunnel keeps working.
# Then runs of forged data messages for B's live index, each sent as one UDP
# GSO datagram so that B takes it in one poll and hands it to a crypto
# worker: all fail to open, rx_decrypt_failed counts each (ours only),
# nothing is delivered, nothing breaks (the VM runner fails on any splat).
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

pcap=$(mktemp)
cleanup_add "rm -f '$pcap' '$pcap.err'"
ip netns exec "$A" tcpdump -Z root -i veth0 -n -U -w "$pcap" \
	"udp and src host $(dp_out4 1) and dst port 10002" 2>"$pcap.err" &
cappid=$!
cleanup_add "kill $cappid"
for ((i = 0; i < 100; i++)); do
	grep -q "listening on" "$pcap.err" && break
	sleep 0.1
done
check "handshake and 3 pings A->B, captured" \
	ip netns exec "$A" ping -c 3 -i 0.3 -w 10 10.241.0.2
sleep 0.5
kill -INT $cappid
wait $cappid 2>/dev/null

# replay FILE TYPE: resend the captured frames whose WireGuard message type
# is TYPE on veth0 (run in A); prints how many.
replay() {
	/usr/bin/python3 -IS - "$@" <<'PY'
import socket, struct, sys
path, want = sys.argv[1], int(sys.argv[2])
data = open(path, "rb").read()
magic = struct.unpack("<I", data[:4])[0]
end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
linktype = struct.unpack(end + "I", data[20:24])[0]
assert linktype == 1, "not Ethernet: %d" % linktype
frames, off = [], 24
while off + 16 <= len(data):
    _, _, caplen, origlen = struct.unpack(end + "IIII", data[off:off + 16])
    frame = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    assert caplen == origlen, "truncated capture"
    if frame[12:14] != b"\x08\x00" or frame[23] != 17:
        continue
    ihl = (frame[14] & 15) * 4
    payload = frame[14 + ihl + 8:]
    if payload and payload[0] == want:
        # Captured on the way out, the UDP checksum may be a partial one
        # left for offload: clear it (0 = none, valid for IPv4).
        udp = 14 + ihl
        frames.append(frame[:udp + 6] + b"\0\0" + frame[udp + 8:])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("veth0", 0))
for f in frames:
    s.send(f)
print(len(frames))
PY
}

# icmp NS FIELD: a field of the "Icmp:" lines of /proc/net/snmp in NS
# (InEchos, InEchoReps): unlike the device's rx_packets, keepalives that the
# timers send meanwhile do not count there.
icmp() {
	ip netns exec "$1" awk -v f="$2" '$1 == "Icmp:" {
		if (!n) { n = split($0, k); next }
		split($0, v); for (i = 2; i <= n; i++) if (k[i] == f) print v[i] }' \
		/proc/net/snmp
}
b_echo=$(icmp "$B" InEchos)
a_reps=$(icmp "$A" InEchoReps)
b_err=$(dp_link_stat "$B" wg0 rx_errors)
b_replay=$(dp_stat "$B" wg0 rx_replay)
b_badhs=$(dp_stat "$B" wg0 rx_bad_handshake)
hs=$(dp_peer_field "$B" wg0 latest-handshakes)

check "replay the captured data messages" ip netns exec "$A" bash -c "$(declare -f replay); replay '$pcap' 4"
ndata=$OUT
# A loaded VM's capture may miss one; the checks below count what was replayed.
check "at least 2 data messages were captured ($ndata)" test "${ndata:-0}" -ge 2
check "replay the captured handshake initiation" ip netns exec "$A" bash -c "$(declare -f replay); replay '$pcap' 1"
ninit=$OUT
check_eq "one initiation was captured" 1 "$ninit"
sleep 1

check_match "B had received the 3 echo requests" '^[3-9]$' "$b_echo"
check_eq "no replayed echo request was delivered to B (Icmp InEchos)" \
	"$b_echo" "$(icmp "$B" InEchos)"
check_eq "no extra echo replies reached A (Icmp InEchoReps)" "$a_reps" \
	"$(icmp "$A" InEchoReps)"
check_eq "B's latest handshake unchanged" "$hs" "$(dp_peer_field "$B" wg0 latest-handshakes)"
if is_intree; then
	skip "rx_replay grew by the replayed data messages" "in-tree: no ethtool stats"
	skip "rx_bad_handshake grew" "in-tree: no ethtool stats"
	skip "rx_errors grew" "in-tree: counts differ"
else
	now=$(dp_stat "$B" wg0 rx_replay)
	check_eq "rx_replay grew by the $ndata replayed data messages" $((b_replay + ndata)) "$now"
	now=$(dp_stat "$B" wg0 rx_bad_handshake)
	check "rx_bad_handshake grew ($b_badhs -> $now)" test "${now:-0}" -gt "${b_badhs:-0}"
	now=$(dp_link_stat "$B" wg0 rx_errors)
	check "ip -s link rx_errors grew ($b_err -> $now)" test "${now:-0}" -gt "${b_err:-0}"
fi
check "the tunnel still works A->B" dp_ping "$A" 10.241.0.2
check "and B->A" dp_ping "$B" 10.241.0.1
check "replaying the data once more after that is harmless" \
	ip netns exec "$A" bash -c "$(declare -f replay); replay '$pcap' 4"
check "the tunnel still works" dp_ping "$A" 10.241.0.2

# Forged runs (selftests/tools/forge.py): 16 data messages of 1400 bytes
# for B's index, counters far ahead, as one UDP GSO datagram. B's socket
# cuts it, so they reach B's lane together and make one run too big to
# open inline: a crypto worker opens it, and every one of them, the run's
# first included, fails.
index=$(wgwire msgs "$pcap" | awk '$4 == 4 { print $6; exit }')
check_match "B's receiver index, from the capture ($index)" '^[0-9a-f]{8}$' "$index"
b_dec=$(dp_stat "$B" wg0 rx_decrypt_failed)
b_echo=$(icmp "$B" InEchos)
for round in 1 2 3; do
	check "round $round: 16 forged data messages for B's index in one GSO datagram" \
		wg_forge "$A" "$index" "$(dp_out4 2)" 10002 --count 16
done
sleep 1
if is_intree; then
	skip "rx_decrypt_failed grew by the 48 forged messages" "in-tree: no ethtool stats"
else
	check_eq "rx_decrypt_failed grew by the 48 forged messages" \
		$((b_dec + 48)) "$(dp_stat "$B" wg0 rx_decrypt_failed)"
fi
check_eq "none was delivered to B (Icmp InEchos)" "$b_echo" "$(icmp "$B" InEchos)"
check "the tunnel still works after the forged runs" dp_ping "$A" 10.241.0.2
check "and B->A" dp_ping "$B" 10.241.0.1

done_testing
