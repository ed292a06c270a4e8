#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A device's peers and their counters, read through the kernel's YNL
library with our spec (GET with peer-stats).

Usage:
  wgstat.py IFNAME [PEER-KEY [FIELD]]

Prints "KEY FIELD VALUE" lines, one per field of each peer (or of the peer
whose base64 public key is PEER-KEY): rx-bytes, tx-bytes,
last-handshake-time and every field of its stats nest (rx-packets,
handshakes-initiated, drop-replay, events-sent, ... as the spec names
them; times in nanoseconds). With FIELD, just that value. The YNL library
is taken from $WG_YNL_LIB, else from `ynl.sh path`.
"""

import base64
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(HERE, "../../Documentation/netlink/specs/wireguard.yaml")


def ynl_family():
    lib = os.environ.get("WG_YNL_LIB") or subprocess.run(
        [os.path.join(HERE, "ynl.sh"), "path"], check=True,
        capture_output=True, text=True).stdout.strip()
    sys.path.insert(0, lib)
    from lib import YnlFamily  # noqa: E402 (found at run time)
    # The spec is checked against its schema by `ynl.sh check`; not again
    # here, where it would cost seconds under emulation.
    return YnlFamily(SPEC, "")


def ns_of(t):
    return t.get("sec", 0) * 1000000000 + t.get("nsec", 0)


def main(argv):
    if not 1 <= len(argv) <= 3:
        print(__doc__.strip(), file=sys.stderr)
        return 64
    ynl = ynl_family()
    peers = {}
    for msg in ynl.dump("get-device", {"ifname": argv[0], "peer-stats": True}):
        # An indexed-array: a list of {index: element}.
        for elem in msg.get("peers", []):
            peer = next(iter(elem.values()))
            key = base64.b64encode(peer["public-key"]).decode()
            fields = peers.setdefault(key, {})
            for name in ("rx-bytes", "tx-bytes"):
                if name in peer:
                    fields[name] = peer[name]
            if "last-handshake-time" in peer:
                fields["last-handshake-time"] = ns_of(
                    peer["last-handshake-time"])
            for name, val in peer.get("stats", {}).items():
                fields[name] = ns_of(val) if isinstance(val, dict) else val
    for key, fields in peers.items():
        if len(argv) > 1 and key != argv[1]:
            continue
        for name, val in fields.items():
            if len(argv) > 2:
                if name == argv[2]:
                    print(val)
            else:
                print(key, name, val)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
