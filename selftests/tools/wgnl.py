#!/usr/bin/python3 -IS
# SPDX-License-Identifier: GPL-2.0
"""Raw generic-netlink client for the WireGuard configuration ABI.

Plain Python 3 standard library only (socket.AF_NETLINK + struct), so the
selftests can send messages `wg` would never send: keys of the wrong length,
unknown flag bits, malformed nests, and so on.

Usage:
  wgnl.py family
  wgnl.py get  [OPTIONS] [IFNAME] [ATTR...]
  wgnl.py set  [OPTIONS] [IFNAME] [ATTR...]
  wgnl.py batch IFNAME < CASES
  wgnl.py time-dump IFNAME

Options: --ifindex N, --no-dev (see below), --json (get: print JSON),
--cmd-version N (the genl header's version byte, default 1), --reserved N
(its reserved field, default 0), --add-flags N (more nlmsg_flags bits).

IFNAME (or --ifindex) adds WGDEVICE_A_IFNAME (or WGDEVICE_A_IFINDEX) as the
first attribute; --no-dev sends only the ATTRs given, so a test can craft the
device selector itself.

ATTR is a small language for (nested) attributes; the words may be given as
one shell argument or several:

  NAME=TYPE:VALUE      a leaf attribute
  NAME=                a leaf attribute with an empty payload
  NAME{ ATTR... }      a nested attribute (NLA_F_NESTED is set, as libmnl does)

NAME is an attribute name of the current level without its prefix
(PRIVATE_KEY, PEERS, ...) or a number. Levels: the device
(WGDEVICE_A_*); inside PEERS each element is a peer (WGPEER_A_*, the element
name is just a number, normally 0); inside a peer's ALLOWEDIPS each element
is an allowed IP (WGALLOWEDIP_A_*).

TYPE:VALUE is one of
  u8:N u16:N u32:N u64:N   host-endian integers    be16:N be32:N  big-endian
  s:TEXT   string without NUL                      sz:TEXT  string with NUL
  hex:HEX  raw bytes   b64:BASE64  raw bytes (keys)  zero:N  N zero bytes
  rand:N   N random bytes
  ip:ADDR  struct in_addr / in6_addr
  sa:ADDR:PORT / sa:[ADDR6]:PORT   struct sockaddr_in / sockaddr_in6

Example (remove one allowed IP from a peer):
  wgnl.py set wg0 'PEERS{ 0{ PUBLIC_KEY=b64:KEY ALLOWEDIPS{ 0{ FAMILY=u16:2
      IPADDR=ip:10.0.0.1 CIDR_MASK=u8:32 FLAGS=u32:1 } } } }'

On failure the exit status is the errno and stderr has
  error: <ERRNO NAME>: <extack message>
(just "error: <ERRNO NAME>" when the kernel sent no message); an extack
offset, when present, follows on a line "error-offset: N".

batch runs many get/set commands in one process (starting Python is slow
under emulation). Each line of standard input is one command, its words
separated by tabs (e.g. "set<TAB>wg0<TAB>FWMARK=u16:1"). For each, one line
of output: "EXIT<TAB>CHANGED<TAB>ERROR", where EXIT is the status the
command alone would have had, CHANGED is 1 if a GET of IFNAME differs from
the one before the command (else 0), and ERROR is its error line or empty.

time-dump times the module's own part of a GET: one dump of IFNAME whose
replies are received and counted but not decoded (a receive buffer of
1 MiB, as large as the kernel fills). It prints "SECONDS MESSAGES BYTES",
SECONDS from the request's send to NLMSG_DONE (the benchmarks' "dump_nl").
"""

import base64
import errno
import io
import os
import re
import socket
import struct
import sys
import time

# --- netlink / generic netlink constants (linux/netlink.h, genetlink.h) ---
NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11

NLMSG_ERROR = 2
NLMSG_DONE = 3

NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200

NLA_F_NESTED = 0x8000
NLA_F_NET_BYTEORDER = 0x4000
NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff

NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2

GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
CTRL_ATTR_VERSION = 3

# --- the WireGuard ABI (include/uapi/linux/wireguard.h) ---
WG_GENL_NAME = "wireguard"
WG_GENL_VERSION = 1
WG_CMD_GET_DEVICE = 0
WG_CMD_SET_DEVICE = 1

DEVICE_ATTRS = {
    "IFINDEX": 1, "IFNAME": 2, "PRIVATE_KEY": 3, "PUBLIC_KEY": 4,
    "FLAGS": 5, "LISTEN_PORT": 6, "FWMARK": 7, "PEERS": 8,
}
PEER_ATTRS = {
    "PUBLIC_KEY": 1, "PRESHARED_KEY": 2, "FLAGS": 3, "ENDPOINT": 4,
    "PERSISTENT_KEEPALIVE_INTERVAL": 5, "LAST_HANDSHAKE_TIME": 6,
    "RX_BYTES": 7, "TX_BYTES": 8, "ALLOWEDIPS": 9, "PROTOCOL_VERSION": 10,
}
ALLOWEDIP_ATTRS = {"FAMILY": 1, "IPADDR": 2, "CIDR_MASK": 3, "FLAGS": 4}

# Each level of the attribute tree: its names, the prefix a name may carry,
# and which level the payload of a nested attribute of a given type is.
LEVELS = {
    "device": (DEVICE_ATTRS, "WGDEVICE_A_", {8: "peers"}),
    "peers": ({}, "", None),            # list: every element is a peer
    "peer": (PEER_ATTRS, "WGPEER_A_", {9: "allowedips"}),
    "allowedips": ({}, "", None),       # list: every element is an allowed IP
    "allowedip": (ALLOWEDIP_ATTRS, "WGALLOWEDIP_A_", {}),
}
LIST_ELEMENT = {"peers": "peer", "allowedips": "allowedip"}


class UsageError(Exception):
    pass


class NetlinkError(Exception):
    """A negative acknowledgement: errno plus the extack details."""

    def __init__(self, err, msg=None, offset=None):
        super().__init__(err)
        self.errno = err
        self.msg = msg
        self.offset = offset


# ---------------------------------------------------------------------------
# Attribute encoding / decoding
# ---------------------------------------------------------------------------

def nla(atype, payload):
    """One netlink attribute, padded to 4 bytes."""
    hdr = struct.pack("=HH", 4 + len(payload), atype)
    pad = b"\0" * (-len(payload) % 4)
    return hdr + payload + pad


def parse_attrs(data):
    """Split a buffer of attributes into a list of (type, payload, nested?)."""
    out = []
    off = 0
    while off + 4 <= len(data):
        length, atype = struct.unpack_from("=HH", data, off)
        if length < 4 or off + length > len(data):
            break
        out.append((atype & NLA_TYPE_MASK, data[off + 4:off + length],
                    bool(atype & NLA_F_NESTED)))
        off += (length + 3) & ~3
    return out


def attr_dict(data):
    """Attributes as {type: payload}, the last one winning."""
    return {t: p for t, p, _ in parse_attrs(data)}


def u16(b):
    return struct.unpack("=H", b[:2])[0]


def u32(b):
    return struct.unpack("=I", b[:4])[0]


def u64(b):
    return struct.unpack("=Q", b[:8])[0]


def b64(b):
    return base64.b64encode(b).decode()


def fmt_sockaddr(b):
    """struct sockaddr_in / sockaddr_in6 -> "1.2.3.4:5" / "[::1]:5"."""
    family = u16(b)
    if family == socket.AF_INET and len(b) >= 8:
        port = struct.unpack(">H", b[2:4])[0]
        return "%s:%d" % (socket.inet_ntop(socket.AF_INET, b[4:8]), port)
    if family == socket.AF_INET6 and len(b) >= 24:
        port = struct.unpack(">H", b[2:4])[0]
        return "[%s]:%d" % (socket.inet_ntop(socket.AF_INET6, b[8:24]), port)
    return "unknown-family-%d:%s" % (family, b.hex())


def make_sockaddr(text):
    """"1.2.3.4:5" -> sockaddr_in, "[::1]:5" -> sockaddr_in6."""
    m = re.fullmatch(r"\[([^\]]+)\]:(\d+)", text)
    if m:
        addr = socket.inet_pton(socket.AF_INET6, m.group(1))
        return struct.pack("=H", socket.AF_INET6) + \
            struct.pack(">HI", int(m.group(2)), 0) + addr + struct.pack("=I", 0)
    host, _, port = text.rpartition(":")
    addr = socket.inet_pton(socket.AF_INET, host)
    return struct.pack("=H", socket.AF_INET) + struct.pack(">H", int(port)) + \
        addr + b"\0" * 8


def leaf_value(spec):
    """TYPE:VALUE -> payload bytes (see the module docstring)."""
    if spec == "":
        return b""
    kind, sep, val = spec.partition(":")
    if not sep:
        raise UsageError("value %r needs a TYPE: prefix" % spec)
    ints = {"u8": "=B", "u16": "=H", "u32": "=I", "u64": "=Q",
            "be16": ">H", "be32": ">I"}
    try:
        if kind in ints:
            return struct.pack(ints[kind], int(val, 0))
        if kind == "s":
            return val.encode()
        if kind == "sz":
            return val.encode() + b"\0"
        if kind in ("hex", "raw"):
            return bytes.fromhex(val)
        if kind == "b64":
            return base64.b64decode(val, validate=True)
        if kind == "zero":
            return bytes(int(val, 0))
        if kind == "rand":
            return os.urandom(int(val, 0))
        if kind == "ip":
            fam = socket.AF_INET6 if ":" in val else socket.AF_INET
            return socket.inet_pton(fam, val)
        if kind == "sa":
            return make_sockaddr(val)
    except (ValueError, struct.error, OSError) as e:
        raise UsageError("bad value %r: %s" % (spec, e))
    raise UsageError("unknown value type %r" % kind)


def attr_number(level, name):
    names, prefix, _ = LEVELS[level]
    if re.fullmatch(r"\d+", name):
        return int(name)
    if prefix and name.upper().startswith(prefix):
        name = name[len(prefix):]
    name = name.upper()
    if name == "KEEPALIVE":
        name = "PERSISTENT_KEEPALIVE_INTERVAL"
    if name not in names:
        raise UsageError("no attribute %r at the %s level" % (name, level))
    return names[name]


def child_level(level, atype):
    if level in LIST_ELEMENT:
        return LIST_ELEMENT[level]
    nested = LEVELS[level][2]
    return nested.get(atype, level) if nested is not None else level


def tokenize(words):
    return re.findall(r"\{|\}|[^\s{}]+", " ".join(words))


def build_attrs(tokens, level="device"):
    """Encode the ATTR language into attribute bytes, consuming `tokens`.
    The top (device) level ends with the tokens; a nested level ends at its
    closing brace."""
    out = b""
    while True:
        if not tokens:
            if level != "device":
                raise UsageError("missing '}'")
            return out
        tok = tokens.pop(0)
        if tok == "}":
            if level == "device":
                raise UsageError("unbalanced '}'")
            return out
        if tok == "{":
            raise UsageError("'{' without a name")
        if tokens and tokens[0] == "{":
            tokens.pop(0)
            atype = attr_number(level, tok)
            inner = build_attrs(tokens, child_level(level, atype))
            out += nla(atype | NLA_F_NESTED, inner)
            continue
        name, eq, value = tok.partition("=")
        if not eq:
            raise UsageError("%r is neither NAME=TYPE:VALUE nor NAME{" % tok)
        out += nla(attr_number(level, name), leaf_value(value))


# ---------------------------------------------------------------------------
# The socket
# ---------------------------------------------------------------------------

class GenlSocket:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        # Ask for extack messages, and for errors without the echoed request.
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.bind((0, 0))
        self.seq = 1

    def send(self, family, cmd, version, payload, flags, reserved=0):
        """Send one message with the next sequence number."""
        self.seq += 1
        genl = struct.pack("=BBH", cmd, version, reserved)
        hdr = struct.pack("=IHHII", 16 + len(genl) + len(payload), family,
                          flags, self.seq, 0)
        self.sock.send(hdr + genl + payload)

    def request(self, family, cmd, version, payload, flags, reserved=0):
        """Send one message; return the list of reply payloads (genl header
        stripped). Raises NetlinkError on a negative acknowledgement."""
        self.send(family, cmd, version, payload, flags, reserved)
        replies = []
        while True:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                length, mtype, mflags, seq, _ = struct.unpack_from(
                    "=IHHII", data, off)
                if length < 16:
                    raise RuntimeError("bad netlink message length")
                body = data[off + 16:off + length]
                off += (length + 3) & ~3
                if seq != self.seq:
                    continue
                if mtype == NLMSG_ERROR:
                    self._check_error(body, mflags)
                    return replies          # a plain ACK
                if mtype == NLMSG_DONE:
                    # A dump that failed part-way reports the errno here.
                    if len(body) >= 4 and struct.unpack("=i", body[:4])[0]:
                        self._check_error(body, mflags, done=True)
                    return replies
                replies.append(body[4:])    # strip the genl header
                if not (mflags & NLM_F_MULTI) and not (flags & NLM_F_ACK):
                    return replies

    @staticmethod
    def _check_error(body, mflags, done=False):
        err = -struct.unpack("=i", body[:4])[0]
        if err == 0:
            return
        # nlmsgerr: errno, then the request's header (capped), then TLVs.
        tlv_off = 4 if done else 4 + 16
        if not done and not (mflags & NLM_F_CAPPED):
            tlv_off = 4 + struct.unpack("=I", body[4:8])[0]
        msg = offset = None
        if mflags & NLM_F_ACK_TLVS:
            tlvs = attr_dict(body[tlv_off:])
            if NLMSGERR_ATTR_MSG in tlvs:
                msg = tlvs[NLMSGERR_ATTR_MSG].rstrip(b"\0").decode(
                    errors="replace")
            if NLMSGERR_ATTR_OFFS in tlvs:
                offset = u32(tlvs[NLMSGERR_ATTR_OFFS])
        raise NetlinkError(err, msg, offset)

    def resolve_family(self, name):
        payload = nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0")
        replies = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, payload,
                               NLM_F_REQUEST)
        attrs = attr_dict(replies[0])
        return u16(attrs[CTRL_ATTR_FAMILY_ID]), u32(attrs[CTRL_ATTR_VERSION])


# ---------------------------------------------------------------------------
# GET: decode and stitch a (possibly split) device dump
# ---------------------------------------------------------------------------

def decode_allowedip(payload):
    a = attr_dict(payload)
    fam = u16(a[1]) if 1 in a else None
    addr = a.get(2, b"")
    cidr = a[3][0] if 3 in a else None
    if fam in (socket.AF_INET, socket.AF_INET6) and \
            len(addr) == (4 if fam == socket.AF_INET else 16):
        return "%s/%s" % (socket.inet_ntop(fam, addr), cidr)
    return "family-%s:%s/%s" % (fam, addr.hex(), cidr)


def decode_peer(payload):
    a = attr_dict(payload)
    peer = {}
    if 1 in a:
        peer["public_key"] = b64(a[1])
    if 2 in a:
        peer["preshared_key"] = b64(a[2])
    if 4 in a:
        peer["endpoint"] = fmt_sockaddr(a[4])
    if 5 in a:
        peer["persistent_keepalive_interval"] = u16(a[5])
    if 6 in a and len(a[6]) >= 16:
        peer["last_handshake_time"] = list(struct.unpack("=qq", a[6][:16]))
    if 7 in a:
        peer["rx_bytes"] = u64(a[7])
    if 8 in a:
        peer["tx_bytes"] = u64(a[8])
    if 10 in a:
        peer["protocol_version"] = u32(a[10])
    peer["allowed_ips"] = [decode_allowedip(p)
                           for _, p, _ in parse_attrs(a.get(9, b""))]
    return peer


def decode_device(replies):
    """Merge the messages of one dump into a single device description.
    A peer continued from the previous message repeats its public key."""
    dev = {"dump_messages": len(replies), "peers": []}
    for body in replies:
        a = attr_dict(body)
        if 1 in a:
            dev["ifindex"] = u32(a[1])
        if 2 in a:
            dev["ifname"] = a[2].rstrip(b"\0").decode()
        if 3 in a:
            dev["private_key"] = b64(a[3])
        if 4 in a:
            dev["public_key"] = b64(a[4])
        if 5 in a:
            dev["flags"] = u32(a[5])
        if 6 in a:
            dev["listen_port"] = u16(a[6])
        if 7 in a:
            dev["fwmark"] = u32(a[7])
        for _, p, _ in parse_attrs(a.get(8, b"")):
            peer = decode_peer(p)
            last = dev["peers"][-1] if dev["peers"] else None
            if last and last.get("public_key") == peer.get("public_key"):
                last["allowed_ips"] += peer.pop("allowed_ips")
                last.update(peer)
            else:
                dev["peers"].append(peer)
    return dev


def print_device(dev, out=sys.stdout):
    lines = ["interface: %s (ifindex %s)" % (dev.get("ifname"),
                                            dev.get("ifindex"))]
    for key in ("private_key", "public_key", "listen_port", "fwmark"):
        if key in dev:
            lines.append("  %s: %s" % (key.replace("_", " "), dev[key]))
    lines.append("  dump messages: %d" % dev["dump_messages"])
    for peer in dev["peers"]:
        lines.append("  peer: %s" % peer.get("public_key"))
        for key, val in peer.items():
            if key == "public_key":
                continue
            if key == "allowed_ips":
                val = ", ".join(val) if val else "(none)"
            lines.append("    %s: %s" % (key.replace("_", " "), val))
    print("\n".join(lines), file=out)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def parse_args(argv):
    """COMMAND [OPTIONS] [WORDS...] -> dict. Hand-rolled: argparse alone
    costs a noticeable part of a second under emulation."""
    if not argv:
        raise UsageError("wgnl.py family|get|set ... (--help for more)")
    args = {"cmd": argv[0], "ifindex": None, "no_dev": False, "json": False,
            "cmd_version": WG_GENL_VERSION, "reserved": 0, "add_flags": 0,
            "words": []}
    if args["cmd"] not in ("family", "get", "set"):
        raise UsageError("unknown command %r" % args["cmd"])
    rest = argv[1:]
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            args["words"] += rest
            break
        if arg in ("--ifindex", "--cmd-version", "--reserved", "--add-flags"):
            if not rest:
                raise UsageError("%s needs a value" % arg)
            try:
                args[arg[2:].replace("-", "_")] = int(rest.pop(0), 0)
            except ValueError:
                raise UsageError("%s needs a number" % arg)
        elif arg in ("--no-dev", "--json"):
            args[arg[2:].replace("-", "_")] = True
        elif arg.startswith("--"):
            raise UsageError("unknown option %r" % arg)
        else:
            args["words"].append(arg)
    return args


def device_selector(args):
    """The attributes naming the device, from IFNAME/--ifindex/--no-dev,
    and the remaining words of the ATTR language."""
    words = list(args["words"])
    if args["no_dev"]:
        return b"", words
    if args["ifindex"] is not None:
        return nla(DEVICE_ATTRS["IFINDEX"],
                   struct.pack("=I", args["ifindex"])), words
    if not words:
        raise UsageError("name a device (IFNAME, --ifindex N or --no-dev)")
    name = words.pop(0)
    return nla(DEVICE_ATTRS["IFNAME"], name.encode() + b"\0"), words


def run(sock, argv, out=sys.stdout):
    """One get/set/family command; returns (exit status, error text)."""
    try:
        args = parse_args(argv)
        if args["cmd"] != "family":
            dev_attrs, words = device_selector(args)
            payload = dev_attrs + build_attrs(tokenize(words))
        family, version = sock.resolve_family(WG_GENL_NAME)
        if args["cmd"] == "family":
            print("family %d version %d" % (family, version), file=out)
        elif args["cmd"] == "get":
            replies = sock.request(family, WG_CMD_GET_DEVICE,
                                   args["cmd_version"], payload,
                                   NLM_F_REQUEST | NLM_F_DUMP |
                                   args["add_flags"], args["reserved"])
            dev = decode_device(replies)
            if args["json"]:
                import json
                print(json.dumps(dev, indent=1), file=out)
            else:
                print_device(dev, out)
        else:
            sock.request(family, WG_CMD_SET_DEVICE, args["cmd_version"],
                         payload, NLM_F_REQUEST | NLM_F_ACK |
                         args["add_flags"], args["reserved"])
        return 0, ""
    except UsageError as e:
        return 64, "usage: %s" % e
    except NetlinkError as e:
        name = errno.errorcode.get(e.errno, str(e.errno))
        text = "error: %s: %s" % (name, e.msg) if e.msg else "error: " + name
        if e.offset is not None:
            text += "\nerror-offset: %d" % e.offset
        return (e.errno if 0 < e.errno < 256 else 1), text
    except OSError as e:
        # e.g. the family does not exist (module not loaded): ENOENT
        name = errno.errorcode.get(e.errno, str(e.errno))
        return (e.errno if e.errno and 0 < e.errno < 256 else 1), \
            "error: %s: %s" % (name, e.strerror)


def snapshot(sock, ifname):
    """The device's whole configuration as comparable text (or the error)."""
    text = io.StringIO()
    status, err = run(sock, ["get", "--json", ifname], text)
    return text.getvalue() if status == 0 else err


def batch(sock, ifname):
    before = snapshot(sock, ifname)
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        status, err = run(sock, line.split("\t"), io.StringIO())
        after = snapshot(sock, ifname)
        print("%d\t%d\t%s" % (status, after != before,
                               err.split("\n")[0]), flush=True)
        before = after
    return 0


def time_dump(sock, ifname):
    """One undecoded dump of IFNAME: seconds, messages and bytes."""
    family, _ = sock.resolve_family(WG_GENL_NAME)
    payload = nla(DEVICE_ATTRS["IFNAME"], ifname.encode() + b"\0")
    buf = bytearray(1 << 20)
    msgs = total = 0
    t0 = time.perf_counter()
    sock.send(family, WG_CMD_GET_DEVICE, WG_GENL_VERSION, payload,
              NLM_F_REQUEST | NLM_F_DUMP)
    while True:
        n = sock.sock.recv_into(buf)
        total += n
        off = 0
        while off + 16 <= n:
            length, mtype = struct.unpack_from("=IH", buf, off)
            if mtype in (NLMSG_DONE, NLMSG_ERROR):
                t1 = time.perf_counter()
                if mtype == NLMSG_ERROR or \
                        struct.unpack_from("=i", buf, off + 16)[0]:
                    print("error: the dump failed", file=sys.stderr)
                    return 1
                print("%.3f %d %d" % (t1 - t0, msgs, total))
                return 0
            msgs += 1
            off += (max(length, 16) + 3) & ~3


def main(argv):
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    sock = GenlSocket()
    if argv and argv[0] == "time-dump":
        if len(argv) != 2:
            print("usage: wgnl.py time-dump IFNAME", file=sys.stderr)
            return 64
        return time_dump(sock, argv[1])
    if argv and argv[0] == "batch":
        if len(argv) != 2:
            print("usage: wgnl.py batch IFNAME < CASES", file=sys.stderr)
            return 64
        return batch(sock, argv[1])
    status, err = run(sock, argv)
    if err:
        print(err, file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
