#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Watch WireGuard events: who connects, roams, is added or goes quiet.

Usage:
  wgevents.py [--json] [--count N] [--timeout S] [--ready FILE]

Joins the "peers" multicast group of the "wireguard" generic netlink family
in this network namespace (CAP_NET_ADMIN needed) through the kernel's YNL
library and our spec (Documentation/netlink/specs/wireguard.yaml), and
prints each event as it comes, one line each:

  2026-12-03 10:04:05 wg0 handshake peer KEY endpoint 198.51.100.2:51000
  2026-12-03 10:04:09 wg0 endpoint peer KEY endpoint 198.51.100.3:51000 (was 198.51.100.2:51000)

--json prints one JSON object a line instead: the event's name, the
device, the peer's key (base64), endpoints as text, the time in seconds,
"missed". --count N stops after N events, --timeout S after S seconds;
--ready FILE is created once subscribed. Exit status: 0, or the errno of a
refused subscription (EPERM for a listener without CAP_NET_ADMIN).

The YNL library is taken from $WG_YNL_LIB, else from `ynl.sh path`; the
spec from $WG_YNL_SPEC, else from this checkout.
"""

import base64
import datetime
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.environ.get("WG_YNL_SPEC") or os.path.join(
    HERE, "../../Documentation/netlink/specs/wireguard.yaml")

NAMES = {
    "handshake-ntf": "handshake",
    "endpoint-ntf": "endpoint",
    "peer-add-ntf": "peer-added",
    "peer-change-ntf": "peer-changed",
    "peer-del-ntf": "peer-removed",
    "handshake-fail-ntf": "handshake-failed",
    "keys-zeroed-ntf": "keys-zeroed",
}


def ynl_lib():
    path = os.environ.get("WG_YNL_LIB")
    if not path:
        path = subprocess.run([os.path.join(HERE, "ynl.sh"), "path"],
                              check=True, capture_output=True,
                              text=True).stdout.strip()
    return path


def sockaddr(raw):
    """struct sockaddr_in / sockaddr_in6 bytes (or YNL's hex) -> text."""
    if isinstance(raw, str):
        raw = bytes.fromhex(raw)
    family = struct.unpack_from("=H", raw)[0]
    port = struct.unpack_from(">H", raw, 2)[0]
    if family == socket.AF_INET and len(raw) >= 8:
        return "%s:%d" % (socket.inet_ntop(socket.AF_INET, raw[4:8]), port)
    if family == socket.AF_INET6 and len(raw) >= 24:
        return "[%s]:%d" % (socket.inet_ntop(socket.AF_INET6, raw[8:24]), port)
    return raw.hex()


def event(msg):
    """A YNL notification -> a flat dict."""
    a = msg["msg"]
    out = {"event": NAMES.get(msg["name"], msg["name"]),
           "ifindex": a.get("ifindex"), "ifname": a.get("ifname")}
    key = a.get("public-key")
    if key is not None:
        out["peer"] = base64.b64encode(
            bytes.fromhex(key) if isinstance(key, str) else key).decode()
    for name in ("endpoint", "old-endpoint"):
        if name in a:
            out[name] = sockaddr(a[name])
    t = a.get("time")
    if isinstance(t, dict):
        out["time"] = t.get("sec", 0) + t.get("nsec", 0) / 1e9
    if "missed" in a:
        out["missed"] = a["missed"]
    return out


def line(ev):
    when = datetime.datetime.fromtimestamp(ev.get("time", time.time()))
    text = "%s %s %s peer %s" % (when.strftime("%Y-%m-%d %H:%M:%S"),
                                 ev["ifname"], ev["event"], ev.get("peer"))
    if "endpoint" in ev:
        text += " endpoint " + ev["endpoint"]
    if "old-endpoint" in ev:
        text += " (was %s)" % ev["old-endpoint"]
    if ev.get("missed"):
        text += " [%d before it left out]" % ev["missed"]
    return text


def main(argv):
    as_json, count, timeout, ready = False, None, None, None
    while argv:
        arg = argv.pop(0)
        if arg == "--json":
            as_json = True
        elif arg in ("--count", "--timeout", "--ready") and argv:
            val = argv.pop(0)
            if arg == "--count":
                count = int(val)
            elif arg == "--timeout":
                timeout = float(val)
            else:
                ready = val
        else:
            print(__doc__.strip(), file=sys.stderr)
            return 64
    lib = ynl_lib()
    sys.path.insert(0, lib)
    from lib import YnlFamily  # noqa: E402 (found at run time)

    # The spec is checked against its schema by `ynl.sh check`; not again
    # here, where it would cost seconds under emulation.
    try:
        ynl = YnlFamily(SPEC, "")
    except Exception as e:  # the library raises a bare Exception
        print("wgevents: %s" % e, file=sys.stderr)
        return 2
    try:
        ynl.ntf_subscribe("peers")
    except OSError as e:
        print("wgevents: cannot join the peers group: %s" % e.strerror,
              file=sys.stderr)
        return e.errno or 1
    if ready:
        open(ready, "w").close()
    end = time.monotonic() + timeout if timeout else None
    seen = 0
    while count is None or seen < count:
        wait = None if end is None else end - time.monotonic()
        if wait is not None and wait <= 0:
            break
        if not select.select([ynl.sock], [], [], wait)[0]:
            continue
        ynl.check_ntf()
        while ynl.async_msg_queue:
            ev = event(ynl.async_msg_queue.pop(0))
            print(json.dumps(ev) if as_json else line(ev), flush=True)
            seen += 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
