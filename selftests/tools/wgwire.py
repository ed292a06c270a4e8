#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""What a tcpdump capture (-w, whole frames) shows of WireGuard on the wire.

Reads a classic pcap file (Ethernet, or Linux cooked v1/v2 from "-i any"),
takes every UDP datagram over IPv4 or IPv6 (the first fragment only; the
others carry no UDP header) and cuts its payload into WireGuard messages
as the protocol sheet lays them out:

  type 1 initiation 148 bytes, type 2 response 92, type 3 cookie reply 64;
  type 4 data: type (4 bytes, 4 0 0 0), receiver index (4), counter (8,
  little-endian), then the sealed padded packet; 32 bytes at the least.

A datagram sent with UDP GSO and captured before it is segmented (on the
sending side of a veth, which takes UDP GSO as it is) holds several data
messages back to back: all of one size, the last one possibly shorter.
Message sizes are not on the wire, so the cut is found from the headers:
if the datagram starts with a data message of index R and counter C, the
next message starts where the 16 bytes (4 0 0 0, R, C+1) first occur after
the first 32 bytes; every later one must start at a multiple of that
distance with the counters C+2, C+3, ... and the remainder is the last
message. 16 bytes matching by chance inside ciphertext have a chance of
2^-128. A datagram whose data does not cut that way is reported as
"bad".

usage: wgwire.py COMMAND PCAP
  frames    one line per UDP datagram:
            SRC DST LEN MSGS SIZE LAST TYPE RECEIVER FIRST-COUNTER
            (LEN the UDP payload; SIZE the size of its messages but the
            last, LAST the last one's; RECEIVER in hex, "-" for handshakes)
  msgs      one line per WireGuard message:
            TIME SRC DST TYPE LEN RECEIVER COUNTER
            (TIME as tcpdump -tt, SRC and DST as addr:port; RECEIVER and
            COUNTER "-" for handshakes)
  order     check that, per receiver index, data counters strictly increase
            in capture order; prints a summary and any violation, exits 1
            on a violation or a datagram that does not cut into messages.
"""

import struct
import sys

HANDSHAKE = {1: 148, 2: 92, 3: 64}
DATA_MIN = 32


def frames(path):
    """(link type, timestamp, frame) for each packet of a pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        end = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        end = ">"
    else:
        sys.exit("%s: not a pcap file" % path)
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0xffff
    nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, origlen = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if len(frame) < caplen:
            break  # cut short: tcpdump was stopped mid-write
        if caplen != origlen:
            sys.exit("%s: truncated frame (snaplen %d < %d): capture with -s 0"
                     % (path, caplen, origlen))
        yield linktype, sec + frac / (1e9 if nano else 1e6), frame


def l3(linktype, frame):
    """(ethertype, offset of the network header) or None."""
    if linktype == 1:  # Ethernet
        off, proto = 14, struct.unpack(">H", frame[12:14])[0]
        while proto in (0x8100, 0x88a8) and len(frame) >= off + 4:
            proto = struct.unpack(">H", frame[off + 2:off + 4])[0]
            off += 4
        return proto, off
    if linktype == 113:  # Linux cooked v1
        return struct.unpack(">H", frame[14:16])[0], 16
    if linktype == 276:  # Linux cooked v2
        return struct.unpack(">H", frame[0:2])[0], 20
    if linktype in (101, 12):  # raw IP
        return (0x86dd if frame[0] >> 4 == 6 else 0x800), 0
    return None


def udp_datagrams(path):
    """(time, src, dst, payload) of every UDP datagram, addresses as
    addr:port."""
    import ipaddress
    for linktype, ts, frame in frames(path):
        r = l3(linktype, frame)
        if not r:
            continue
        proto, off = r
        if proto == 0x800 and len(frame) >= off + 20:
            ihl = (frame[off] & 15) * 4
            if frame[off + 9] != 17:
                continue
            fragoff = struct.unpack(">H", frame[off + 6:off + 8])[0] & 0x1fff
            if fragoff:
                continue
            src = str(ipaddress.IPv4Address(frame[off + 12:off + 16]))
            dst = str(ipaddress.IPv4Address(frame[off + 16:off + 20]))
            # The total length, not the frame's: Ethernet pads short frames.
            # (A GSO datagram captured before segmentation may carry 0.)
            tot = struct.unpack(">H", frame[off + 2:off + 4])[0]
            end = off + tot if tot else len(frame)
            udp = off + ihl
        elif proto == 0x86dd and len(frame) >= off + 40:
            if frame[off + 6] != 17:
                continue
            src = "[%s]" % ipaddress.IPv6Address(frame[off + 8:off + 24])
            dst = "[%s]" % ipaddress.IPv6Address(frame[off + 24:off + 40])
            plen = struct.unpack(">H", frame[off + 4:off + 6])[0]
            end = off + 40 + plen if plen else len(frame)
            udp = off + 40
        else:
            continue
        if len(frame) < udp + 8:
            continue
        sport, dport = struct.unpack(">HH", frame[udp:udp + 4])
        yield (ts, "%s:%d" % (src, sport), "%s:%d" % (dst, dport),
               frame[udp + 8:end])


def cut(payload):
    """The messages of one datagram: a list of (type, len, receiver,
    counter), receiver and counter None for handshakes; None if it does
    not cut into WireGuard messages."""
    if len(payload) < 4:
        return None
    mtype = struct.unpack("<I", payload[:4])[0]
    if mtype in HANDSHAKE:
        if len(payload) != HANDSHAKE[mtype]:
            return None
        return [(mtype, len(payload), None, None)]
    if mtype != 4 or len(payload) < DATA_MIN:
        return None
    recv, ctr = struct.unpack("<IQ", payload[4:16])
    rbytes = payload[4:8]
    nxt = b"\x04\0\0\0" + rbytes + struct.pack("<Q", ctr + 1)
    size = payload.find(nxt, DATA_MIN)
    if size < 0:
        return [(4, len(payload), recv, ctr)]
    msgs, off, k = [], 0, 0
    while off < len(payload):
        want = b"\x04\0\0\0" + rbytes + struct.pack("<Q", ctr + k)
        if payload[off:off + 16] != want:
            return None
        mlen = min(size, len(payload) - off)
        if mlen < DATA_MIN:
            return None
        msgs.append((4, mlen, recv, ctr + k))
        off += mlen
        k += 1
    return msgs


def cmd_frames(path):
    for ts, src, dst, payload in udp_datagrams(path):
        m = cut(payload)
        if m is None:
            print(src, dst, len(payload), "bad")
            continue
        t, size, recv, ctr = m[0]
        print(src, dst, len(payload), len(m), size, m[-1][1], t,
              "-" if recv is None else "%08x" % recv,
              "-" if ctr is None else ctr)
    return 0


def cmd_msgs(path):
    for ts, src, dst, payload in udp_datagrams(path):
        m = cut(payload)
        if m is None:
            print("%.6f" % ts, src, dst, "bad", len(payload), "-", "-")
            continue
        for t, mlen, recv, ctr in m:
            print("%.6f" % ts, src, dst, t, mlen,
                  "-" if recv is None else "%08x" % recv,
                  "-" if ctr is None else ctr)
    return 0


def cmd_order(path):
    last, count, bad, nframes, gso, most = {}, {}, 0, 0, 0, 0
    violations = []
    for ts, src, dst, payload in udp_datagrams(path):
        m = cut(payload)
        nframes += 1
        if m is None:
            bad += 1
            if bad <= 5:
                violations.append("%s > %s: %d bytes do not cut into "
                                  "WireGuard messages" % (src, dst, len(payload)))
            continue
        if len(m) > 1:
            gso += 1
            most = max(most, len(m))
        for t, _, recv, ctr in m:
            if t != 4:
                continue
            key = (src, dst, recv)
            count[key] = count.get(key, 0) + 1
            if key in last and ctr <= last[key]:
                if len(violations) < 20:
                    violations.append("%s > %s index %08x: counter %d after %d"
                                      % (src, dst, recv, ctr, last[key]))
                bad += 1
            last[key] = ctr
    print("datagrams %d, of several messages %d (at most %d in one)"
          % (nframes, gso, most))
    for key in sorted(count):
        print("%s > %s index %08x: %d data messages" % (key + (count[key],)))
    for v in violations:
        print("VIOLATION", v)
    return 1 if bad else 0


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("frames", "msgs", "order"):
        sys.exit(__doc__)
    sys.exit({"frames": cmd_frames, "msgs": cmd_msgs,
              "order": cmd_order}[sys.argv[1]](sys.argv[2]))


if __name__ == "__main__":
    main()
