#!/usr/bin/python3 -IS
# SPDX-License-Identifier: GPL-2.0
"""Malformed generic netlink for the WireGuard family: a deterministic fuzzer.

Usage:
  nlfuzz.py [OPTIONS] IFNAME

Sends --count messages to the "wireguard" family about device IFNAME (which
must exist in the caller's network namespace) and checks every answer:

  valid     SET_DEVICE messages built to be valid, from a model of the
            device's configuration (keys, ports, peers, allowed IPs, with
            now and then hundreds of peers or thousands of allowed IPs)
  mutated   such a SET (or one with every attribute) mutated 1-4 times:
            attributes dropped, duplicated, retyped, resized, re-flagged
            (NLA_F_NESTED, NLA_F_NET_BYTEORDER), turned into nests or out of
            them, nested deeply, multiplied past 64 KiB, given header lengths
            that overrun, unknown attributes added, flags with unknown bits,
            the bytes truncated or bit-flipped
  random    random bytes, or random attribute-shaped bytes, after the header
  get       GET_DEVICE dumps with right, wrong, both or neither device
            selectors, extra attributes, sometimes mutated
  header    a valid SET or GET with a bad netlink or genl header: unknown
            cmd, wrong version or reserved byte, DO/DUMP mixed up, no
            NLM_F_REQUEST or NLM_F_ACK, nlmsg_len too short or too long,
            another family's id

Every message is followed by an NLMSG_NOOP probe with NLM_F_ACK, so the
end of its answers is known without waiting: each must get exactly the
answer its header asks for (an error, an ACK, a dump, or none at all).

A reference parser applies the kernel's attribute validation (strict, as
the genetlink core does for this family, with the policies generated from
our YNL spec: GET takes only a device selector and peer-stats; the header's
reserved field must be 0 and nlmsg_flags unambiguous) and the module's own
checks to the bytes actually sent, and predicts the verdict; for a message it expects to
be accepted it also predicts the device's new configuration. After every
accepted SET (or every --verify-every-th) the configuration is read back with
a GET dump, checked for invariants (32-byte keys, public key derived from the
private one, allowed IPs that parse and are masked, no duplicate peers or
prefixes, endpoints of the right size) and compared with the prediction.
A sample of rejected SETs (--unchanged-every) is checked to have changed
nothing: a SET is all-or-nothing. At the end the configuration is compared
with the model once more and with what `wg showconf` prints.

Options:
  --seed N            seed of the generator (default 1): same seed, same run
  --count N           messages to send (default 10000)
  --verify-every N    read back after every Nth accepted SET (default 4;
                      the model is exact, so a difference still shows, in a
                      window of N messages; 1 with --intree)
  --unchanged-every N read back after every Nth rejected SET (default 50)
  --intree            the module is the kernel's own driver: its verdicts and
                      partial updates are reported, not failed; no
                      WGALLOWEDIP_A_FLAGS in valid messages
  --keep-private-key B64, --keep-port N,
  --keep-peer B64,ENDPOINT,ADDR/CIDR[,ADDR/CIDR...]   (repeatable)
                      a configuration to restore every --keep-every (25)
                      messages and at the end, so that traffic through the
                      device keeps flowing; the kept peers' endpoints may
                      roam, so they are not compared
  --quiet-max N       violations printed per check (default 8)
  --time-limit S      send no more messages after S seconds (then says so
                      in a skipped check); the checks at the end still run
  --profile           print where the time went (cProfile), as comments

Output: comment lines ("# ...") with the figures, then one line per check,
"ok - ..." or "not ok - ..." (unnumbered TAP; 40-hostile-netlink.sh relays
them), the violations as comments under their check. Exit status 0 when
every check passed, 1 otherwise, 64 on usage errors.
"""

import errno
import io
import os
import random
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wgnl as nl  # noqa: E402  (the path is set just above)

NLMSG_NOOP = 1
NLM_F_ECHO = 0x8
NLM_F_ROOT = 0x100
NLA_FLAGS = nl.NLA_F_NESTED | nl.NLA_F_NET_BYTEORDER
SO_SNDBUFFORCE = 32
SO_RCVBUFFORCE = 33
MAX_NEST = 0xffff - 4           # the largest payload a nlattr can describe
MAX_DATAGRAM = 256 << 10        # what we ever send in one message
TIMEOUT = 60                    # seconds an answer may take (debug kernels)

DEV, PEER, AIP = "device", "peer", "allowedip"
D = nl.DEVICE_ATTRS
P = nl.PEER_ATTRS
A = nl.ALLOWEDIP_ATTRS
WGDEVICE_F_REPLACE_PEERS = 1
WGPEER_F_REMOVE_ME = 1
WGPEER_F_REPLACE_ALLOWEDIPS = 2
WGPEER_F_UPDATE_ONLY = 4
WGALLOWEDIP_F_REMOVE_ME = 1
AF_INET, AF_INET6 = socket.AF_INET, socket.AF_INET6


# ---------------------------------------------------------------------------
# X25519 (RFC 7748), to know the public key the device must derive
# ---------------------------------------------------------------------------

_P25519 = 2 ** 255 - 19


def clamp(key):
    k = bytearray(key)
    k[0] &= 248
    k[31] = (k[31] & 127) | 64
    return bytes(k)


def _x25519(scalar, u=9):
    p = _P25519
    k = int.from_bytes(clamp(scalar), "little")
    x1, x2, z2, x3, z3, swap = u, 1, 0, u, 1, 0
    for t in range(254, -1, -1):
        bit = (k >> t) & 1
        if swap ^ bit:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = bit
        a, b = x2 + z2, x2 - z2
        c, d = x3 + z3, x3 - z3
        aa, bb = a * a % p, b * b % p
        e = aa - bb
        da, cb = d * a % p, c * b % p
        x3 = (da + cb) ** 2 % p
        z3 = x1 * (da - cb) ** 2 % p
        x2 = aa * bb % p
        z2 = e * (aa + 121665 * e) % p
    if swap:
        x2, z2 = x3, z3
    return (x2 * pow(z2, p - 2, p) % p).to_bytes(32, "little")


_pub_cache = {}


def public_key(private):
    """The public key the kernel derives, None for the all-zero key (which
    the kernel takes as "no identity")."""
    if not any(private):
        return None
    if private not in _pub_cache:
        _pub_cache[private] = _pub_cache[clamp(private)] = _x25519(private)
    return _pub_cache[private]


def known_public_key(private):
    """The public key if it was ever computed here, else None. (A public
    key the fuzzer never computed is in no message it built but by a
    chance of 2^-250 or so: only its own keys' public keys can be peers.)"""
    return _pub_cache.get(private) if private else None


# ---------------------------------------------------------------------------
# The configuration model
# ---------------------------------------------------------------------------

def mask_prefix(family, addr, cidr):
    n = len(addr) * 8
    v = int.from_bytes(addr, "big")
    if cidr < n:
        v &= ~((1 << (n - cidr)) - 1)
    return (family, v.to_bytes(len(addr), "big"), cidr)


def fmt_prefix(key):
    family, addr, cidr = key
    return "%s/%d" % (socket.inet_ntop(family, addr), cidr)


class Peer:
    __slots__ = ("psk", "endpoint", "keepalive", "aips")

    def __init__(self, psk=bytes(32)):
        self.psk = psk
        self.endpoint = None    # "addr:port" text (wgnl.fmt_sockaddr)
        self.keepalive = 0
        self.aips = set()       # prefixes, as mask_prefix() keys

    def copy(self):
        p = Peer(self.psk)
        p.endpoint, p.keepalive, p.aips = self.endpoint, self.keepalive, \
            set(self.aips)
        return p


class Config:
    """What a GET dump says about the device, minus counters and times."""

    def __init__(self):
        self.private = None     # None: no identity
        self.port = 0           # None: some port the kernel chose (not 0)
        self.fwmark = 0
        self.peers = {}         # public key -> Peer
        self.owner = {}         # prefix -> public key

    def copy(self):
        c = Config()
        c.private, c.port, c.fwmark = self.private, self.port, self.fwmark
        c.peers = {k: p.copy() for k, p in self.peers.items()}
        c.owner = dict(self.owner)
        return c

    def public(self):
        return public_key(self.private) if self.private else None

    def remove_peer(self, pub):
        peer = self.peers.pop(pub)
        for key in peer.aips:
            del self.owner[key]

    def add_aip(self, pub, key):
        old = self.owner.get(key)
        if old is not None:
            self.peers[old].aips.discard(key)
        self.owner[key] = pub
        self.peers[pub].aips.add(key)

    def del_aip(self, pub, key):
        if self.owner.get(key) == pub:
            del self.owner[key]
            self.peers[pub].aips.discard(key)

    def describe(self, volatile=(), clamped=False):
        """A comparable, printable form: a list of text lines."""
        priv = self.private
        if priv is not None and clamped:
            priv = clamp(priv)
        lines = ["private %s" % (nl.b64(priv) if priv else None),
                 "port %s" % ("(chosen)" if self.port is None else self.port),
                 "fwmark %d" % self.fwmark]
        for pub in sorted(self.peers):
            p = self.peers[pub]
            ep = "(roams)" if pub in volatile else p.endpoint
            lines.append("peer %s psk %s endpoint %s keepalive %d ips %s" % (
                nl.b64(pub), nl.b64(p.psk)[:8], ep, p.keepalive,
                ",".join(sorted(fmt_prefix(k) for k in p.aips)) or "-"))
        return lines


def config_diff(want, got, volatile, clamped):
    """Differences between a predicted and a read configuration (lines)."""
    a = want.describe(volatile, clamped)
    b = got.describe(volatile, clamped)
    if want.port is None and got.port:
        b[1] = a[1]
    if a == b:
        return []
    out = []
    sa, sb = set(a), set(b)
    out += ["- want " + x for x in a if x not in sb][:4]
    out += ["+ got  " + x for x in b if x not in sa][:4]
    return out


# ---------------------------------------------------------------------------
# The reference parser: what the kernel accepts, and what it then does
# ---------------------------------------------------------------------------
#
# The genetlink core validates this family's requests strictly (its ops ask
# for no leniency): an attribute of an unknown type or of type 0 is refused,
# an integer must have its exact size, a nest must carry NLA_F_NESTED and a
# leaf must not, nothing may be left over after the last attribute. Inside
# a nested array (PEERS, ALLOWEDIPS) the elements' own type and flags do not
# matter, an element of length 0 passes validation, and the walk over the
# elements ends quietly at the first header that does not fit.

class Invalid(Exception):
    pass


_nla_header = struct.Struct("=HH").unpack_from


def nla_iter(data):
    """The kernel's nla_for_each_attr(): [(type with flags, payload)] and
    what is left over (> 0: bytes after the last attribute that fits)."""
    out = []
    off, end = 0, len(data)
    while end - off >= 4:
        length, atype = _nla_header(data, off)
        if length < 4 or off + length > end:
            break
        out.append((atype, data[off + 4:off + length]))
        off += (length + 3) & ~3
    return out, end - off


def _int(size, mask=None, maximum=None):
    return ("int", size, mask, maximum)


def _bin(minimum, maximum=None):
    return ("bin", minimum, maximum)


KEY = _bin(32, 32)
# The policies generated from Documentation/netlink/specs/wireguard.yaml
# (drivers/net/wg/netlink-gen.c). A type missing from a level's table but
# not above its maximum is refused too ("Unsupported attribute": strict
# validation refuses NLA_UNSPEC entries). The endpoint and the allowed IP's
# address are any binary to the policy and checked by size in the module;
# the minimums here give the same verdicts.
GET, STATS = "get", "peer-stats"
POLICIES = {
    DEV: (8, {1: _int(4), 2: ("str", 15), 3: KEY, 4: KEY,
              5: _int(4, mask=1), 6: _int(2), 7: _int(4),
              8: ("array", PEER)}),
    # GET names the device, and may ask for the peers' stats.
    GET: (64, {1: _int(4), 2: ("str", 15), 64: ("flag",)}),
    PEER: (64, {1: KEY, 2: KEY, 3: _int(4, mask=7), 4: _bin(16),
                5: _int(2), 6: _bin(16, 16), 7: _int(8), 8: _int(8),
                9: ("array", AIP), 10: _int(4, maximum=1),
                64: ("nest", STATS)}),
    AIP: (4, {1: _int(2), 2: _bin(4), 3: _int(1, maximum=128),
              4: _int(4, mask=1)}),
    STATS: (14, {t: _bin(16, 16) if t == 12 else _int(8)
                 for t in range(2, 15)}),
}
# The kernel's own driver (Linux 6.1 and 6.12): no WGALLOWEDIP_A_FLAGS, none
# of our attributes, GET with the SET policy, no header checks.
POLICIES_INTREE = dict(POLICIES, **{
    AIP: (3, dict(POLICIES[AIP][1])),
    PEER: (10, dict(POLICIES[PEER][1])),
    GET: POLICIES[DEV]})
del POLICIES_INTREE[AIP][1][4]
del POLICIES_INTREE[PEER][1][64]


def le(payload):
    return int.from_bytes(payload, "little")


def check_attr(pol, atype, payload, policies):
    kind = pol[0]
    nested = bool(atype & nl.NLA_F_NESTED)
    if kind == "int" and len(payload) != pol[1]:
        raise Invalid("invalid attribute length")
    if kind in ("array", "nest"):
        if not nested:
            raise Invalid("NLA_F_NESTED is missing")
    elif nested:
        raise Invalid("NLA_F_NESTED not expected")
    if kind == "flag" and payload:
        raise Invalid("a flag with a payload")
    if kind == "nest":
        parse_strict(payload, pol[1], policies)
    if kind == "int":
        if pol[2] is not None and le(payload) & ~pol[2]:
            raise Invalid("unknown flag bits")
        if pol[3] is not None and le(payload) > pol[3]:
            raise Invalid("value out of range")
    elif kind == "bin":
        if len(payload) < pol[1] or (pol[2] and len(payload) > pol[2]):
            raise Invalid("wrong length")
    elif kind == "str":
        if not payload or 0 not in payload[:pol[1] + 1]:
            raise Invalid("string without NUL")
        n = len(payload) - (payload[-1] == 0)
        if n > pol[1]:
            raise Invalid("string too long")
    elif kind == "array" and payload:
        if len(payload) < 4:
            raise Invalid("array too short")
        for _, elem in nla_iter(payload)[0]:
            if not elem:
                continue
            if len(elem) < 4:
                raise Invalid("array element too short")
            parse_strict(elem, pol[1], policies)


_parsed = {}


def parse_strict(data, level, policies):
    """nla_parse() in strict mode: {type: payload}, the last one winning.
    (Remembered: an element is validated, checked and applied in turn.)"""
    key = (level, data)
    if key not in _parsed:
        if len(_parsed) > 50000:
            _parsed.clear()
        try:
            _parsed[key] = _parse_strict(data, level, policies)
        except Invalid as e:
            _parsed[key] = e
    res = _parsed[key]
    if isinstance(res, Invalid):
        raise res
    return res


def _parse_strict(data, level, policies):
    maxtype, table = policies[level]
    attrs = {}
    items, rem = nla_iter(data)
    for atype, payload in items:
        t = atype & nl.NLA_TYPE_MASK
        if t == 0 or t > maxtype:
            raise Invalid("unknown %s attribute %d" % (level, t))
        if t not in table:
            raise Invalid("unsupported %s attribute %d" % (level, t))
        check_attr(table[t], atype, payload, policies)
        attrs[t] = payload
    if rem > 0:
        raise Invalid("%d bytes left over" % rem)
    return attrs


def elements(payload):
    """The elements of a nested array, as nla_for_each_nested() sees them:
    [(type with flags, payload)]."""
    return nla_iter(payload)[0]


def parse_element(elem, level, policies):
    """The module's nla_parse_nested() of one element: unlike the array's
    validation, it wants NLA_F_NESTED."""
    atype, payload = elem
    if not atype & nl.NLA_F_NESTED:
        raise Invalid("%s element without NLA_F_NESTED" % level)
    return parse_strict(payload, level, policies)


def sockaddr_ok(payload):
    fam = nl.u16(payload)
    return (fam == AF_INET and len(payload) == 16) or \
        (fam == AF_INET6 and len(payload) == 28)


def check_peer(attrs, policies):
    """The module's check_peer() and check_allowedip()."""
    if 1 not in attrs:
        raise Invalid("peer without a public key")
    if 4 in attrs and not sockaddr_ok(attrs[4]):
        raise Invalid("bad endpoint")
    for elem in elements(attrs.get(9, b"")):
        a = parse_element(elem, AIP, policies)
        if not all(k in a for k in (1, 2, 3)):
            raise Invalid("allowed IP incomplete")
        fam = nl.u16(a[1])
        if fam == AF_INET:
            if len(a[2]) != 4 or a[3][0] > 32:
                raise Invalid("bad IPv4 allowed IP")
        elif fam == AF_INET6:
            if len(a[2]) != 16:
                raise Invalid("bad IPv6 allowed IP")
        else:
            raise Invalid("allowed IP family %d" % fam)


class Devices:
    """The network devices of our namespace, to resolve selectors."""

    def __init__(self, ours):
        self.by_name = {}
        for name in os.listdir("/sys/class/net"):
            try:
                with open("/sys/class/net/%s/ifindex" % name) as f:
                    self.by_name[name] = int(f.read())
            except OSError:
                pass
        self.ours = ours
        self.ifindex = self.by_name.get(ours)
        self.by_index = {v: k for k, v in self.by_name.items()}

    def up(self):
        with open("/sys/class/net/%s/flags" % self.ours) as f:
            return bool(int(f.read(), 0) & 1)

    def select(self, attrs):
        """The module's lookup_device(): ours, or Invalid."""
        if (1 in attrs) == (2 in attrs):
            raise Invalid("device named by neither or both")
        if 1 in attrs:
            idx = struct.unpack("=i", attrs[1])[0]
            name = self.by_index.get(idx)
        else:
            name = attrs[2].split(b"\0", 1)[0].decode("latin-1")
            if name not in self.by_name:
                name = None
        if name is None:
            raise Invalid("no such device")
        if name != self.ours:
            raise Invalid("not our WireGuard device")


def apply_set(cfg, attrs, policies, up):
    """The module's wg_set_device() on a copy of cfg (attrs valid)."""
    cfg = cfg.copy()
    if 6 in attrs:
        port = nl.u16(attrs[6])
        if not up:
            cfg.port = port
        elif not port:
            cfg.port = None
        elif port != cfg.port:
            cfg.port = port
    if 7 in attrs:
        cfg.fwmark = nl.u32(attrs[7])
    if 5 in attrs and nl.u32(attrs[5]) & WGDEVICE_F_REPLACE_PEERS:
        cfg.peers, cfg.owner = {}, {}
    # The key is stored clamped; the same key again changes nothing.
    new_private = clamp(attrs[3]) if 3 in attrs and any(attrs[3]) else None
    if 3 in attrs and new_private != cfg.private:
        pub = known_public_key(attrs[3])
        if pub in cfg.peers:
            cfg.remove_peer(pub)
        cfg.private = new_private
    for elem in elements(attrs.get(8, b"")):
        pa = parse_element(elem, PEER, policies)
        pub, flags = pa[1], nl.u32(pa[3]) if 3 in pa else 0
        if pub not in cfg.peers:
            if flags & (WGPEER_F_REMOVE_ME | WGPEER_F_UPDATE_ONLY):
                continue
            if pub == known_public_key(cfg.private):
                continue
            cfg.peers[pub] = Peer(pa.get(2, bytes(32)))
        elif 2 in pa:
            cfg.peers[pub].psk = pa[2]
        if flags & WGPEER_F_REMOVE_ME:
            cfg.remove_peer(pub)
            continue
        peer = cfg.peers[pub]
        if 4 in pa:
            peer.endpoint = nl.fmt_sockaddr(pa[4])
        if flags & WGPEER_F_REPLACE_ALLOWEDIPS:
            for key in list(peer.aips):
                cfg.del_aip(pub, key)
        for ip in elements(pa.get(9, b"")):
            a = parse_element(ip, AIP, policies)
            key = mask_prefix(nl.u16(a[1]), a[2], a[3][0])
            if 4 in a and nl.u32(a[4]) & WGALLOWEDIP_F_REMOVE_ME:
                cfg.del_aip(pub, key)
            else:
                cfg.add_aip(pub, key)
        if 5 in pa:
            peer.keepalive = nl.u16(pa[5])
    return cfg


# ---------------------------------------------------------------------------
# Messages as trees of attributes, and how to break them
# ---------------------------------------------------------------------------

class Node:
    """One attribute: a leaf (data) or a nest (kids). hlen and pad, when
    set, replace the header's length field and the padding after it. A node
    of type None stands for the raw bytes in its data."""
    __slots__ = ("type", "data", "kids", "hlen", "pad")

    def __init__(self, atype, data=b"", kids=None):
        self.type, self.data, self.kids = atype, data, kids
        self.hlen = self.pad = None

    def clone(self):
        n = Node(self.type, self.data,
                 None if self.kids is None else [k.clone() for k in self.kids])
        n.hlen, n.pad = self.hlen, self.pad
        return n


def nest(atype, kids):
    return Node(atype | nl.NLA_F_NESTED, kids=kids)


def ser(nodes):
    """Encode; a body past 64 KiB wraps its header's length, as it would."""
    out = []
    for n in nodes:
        if n.type is None:      # raw bytes, such as many copies of one
            out.append(n.data)
            continue
        body = n.data if n.kids is None else ser(n.kids)
        length = 4 + len(body)
        hlen = length if n.hlen is None else n.hlen
        pad = -length % 4 if n.pad is None else n.pad
        out.append(struct.pack("=HH", hlen & 0xffff, n.type & 0xffff))
        out.append(body)
        out.append(bytes(pad))
    return b"".join(out)


def walk(nodes, depth=0):
    """Every (list, index, node, depth) of the tree."""
    out = []
    for i, n in enumerate(nodes):
        out.append((nodes, i, n, depth))
        if n.kids is not None:
            out += walk(n.kids, depth + 1)
    return out


def lists_of(nodes):
    """Every list of attributes in the tree (the top one and each nest's)."""
    return [nodes] + [n.kids for _, _, n, _ in walk(nodes) if n.kids is not None]


class Msg:
    """One netlink message to send; fields as in the headers."""

    def __init__(self, kind, cmd, payload, dump=False):
        self.kind, self.cmd, self.payload = kind, cmd, payload
        self.nltype = None      # None: the wireguard family
        self.flags = nl.NLM_F_REQUEST | (nl.NLM_F_DUMP if dump
                                         else nl.NLM_F_ACK)
        self.version, self.reserved = nl.WG_GENL_VERSION, 0
        self.nlmsg_len = None   # None: the true length
        self.cut = None         # send only this many bytes of the datagram

    def datagram(self, family, seq):
        body = struct.pack("=BBH", self.cmd, self.version, self.reserved) + \
            self.payload
        length = 16 + len(body) if self.nlmsg_len is None else self.nlmsg_len
        nltype = family if self.nltype is None else self.nltype
        data = struct.pack("=IHHII", length & 0xffffffff, nltype, self.flags,
                           seq, 0) + body
        return data if self.cut is None else data[:self.cut]


INTERESTING = {
    1: [0, 1, 2, 32, 33, 127, 128, 129, 255],
    2: [0, 1, 2, 10, 0x7fff, 0x8000, 0xffff, 51820],
    4: [0, 1, 2, 3, 4, 7, 8, 0xff, 0x7fffffff, 0x80000000, 0xffffffff],
    8: [0, 1, 2 ** 63, 2 ** 64 - 1],
}
SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 20, 27, 28, 29, 31, 32, 33,
         64, 255, 256, 1000, 4096, 65531, 65532, 70000]


class Generator:
    def __init__(self, seed, devices, intree):
        self.r = random.Random(seed)
        self.devices = devices
        self.intree = intree
        self.shrink = False
        # Private keys to reuse: X25519 in Python is slow under emulation,
        # and a key the model already knows lets a SET turn a peer into
        # ourselves (which must then disappear).
        self.keypool = [self.rbytes(32) for _ in range(12)]

    def rbytes(self, n):
        return self.r.getrandbits(8 * n).to_bytes(n, "little") if n else b""

    def chance(self, p):
        return self.r.random() < p

    # --- valid pieces -----------------------------------------------------

    def selector(self):
        if self.chance(0.75):
            return Node(D["IFNAME"], self.devices.ours.encode() + b"\0")
        return Node(D["IFINDEX"], struct.pack("=I", self.devices.ifindex))

    def endpoint(self):
        port = self.r.randrange(1, 65536)
        if self.chance(0.6):
            return nl.make_sockaddr("192.0.2.%d:%d" % (self.r.randrange(256),
                                                       port))
        return nl.make_sockaddr("[2001:db8::%x]:%d" % (
            self.r.randrange(65536), port))

    def prefix(self, cfg):
        """An allowed IP element: often one the model knows (to move it
        between peers or remove it), else a random one."""
        r = self.r
        if cfg.owner and self.chance(0.35):
            fam, addr, cidr = r.choice(list(cfg.owner))
        elif self.chance(0.6):
            fam, addr, cidr = AF_INET, self.rbytes(4), r.choice(
                [32, 32, 24, 16, 8, 0, r.randrange(33)])
        else:
            fam, addr, cidr = AF_INET6, self.rbytes(16), r.choice(
                [128, 128, 64, 48, 0, r.randrange(129)])
        kids = [Node(A["FAMILY"], struct.pack("=H", fam)),
                Node(A["IPADDR"], addr), Node(A["CIDR_MASK"], bytes([cidr]))]
        if not self.intree and self.chance(0.15):
            kids.append(Node(A["FLAGS"], struct.pack(
                "=I", r.choice([0, WGALLOWEDIP_F_REMOVE_ME]))))
        r.shuffle(kids)
        return nest(0, kids)

    def peer(self, cfg, many_ips=False, full=False):
        r = self.r
        pick = r.random()
        if cfg.peers and pick < 0.45:
            pub = r.choice(list(cfg.peers))
        elif pick < 0.55:
            pub = public_key(r.choice(self.keypool))
        elif pick < 0.58 and cfg.private:
            pub = cfg.public()
        else:
            pub = self.rbytes(32)
        kids = [Node(P["PUBLIC_KEY"], pub)]
        if full or self.chance(0.2):
            flags = 0
            for bit, p in ((WGPEER_F_REMOVE_ME, 0.25),
                           (WGPEER_F_REPLACE_ALLOWEDIPS, 0.4),
                           (WGPEER_F_UPDATE_ONLY, 0.25)):
                if self.chance(p):
                    flags |= bit
            kids.append(Node(P["FLAGS"], struct.pack("=I", flags)))
        if full or self.chance(0.18):
            kids.append(Node(P["PRESHARED_KEY"], bytes(32) if self.chance(0.2)
                             else self.rbytes(32)))
        if full or self.chance(0.25):
            kids.append(Node(P["ENDPOINT"], self.endpoint()))
        if full or self.chance(0.15):
            kids.append(Node(P["PERSISTENT_KEEPALIVE_INTERVAL"], struct.pack(
                "=H", r.choice([0, 0, 1, 2, 25, r.randrange(65536)]))))
        if full or self.chance(0.04):
            kids.append(Node(P["PROTOCOL_VERSION"], struct.pack("=I", 1)))
        if full or self.chance(0.02):
            kids.append(Node(P["LAST_HANDSHAKE_TIME"], self.rbytes(16)))
            kids.append(Node(P["RX_BYTES"], self.rbytes(8)))
            kids.append(Node(P["TX_BYTES"], self.rbytes(8)))
        if many_ips:
            kids.append(self.many_ips(r.randrange(100, 2200), MAX_NEST - 200))
        elif full or self.chance(0.55):
            kids.append(nest(P["ALLOWEDIPS"], [
                self.prefix(cfg) for _ in range(r.choice([0, 1, 1, 1, 2, 3,
                                                          4]))]))
        if self.chance(0.3):
            r.shuffle(kids)
        # The element's type is ignored; its NLA_F_NESTED is not.
        return nest(0 if self.chance(0.9) else r.randrange(1, 1000), kids)

    def private_key(self, cfg):
        pick = self.r.random()
        if pick < 0.8:
            return self.r.choice(self.keypool)
        if pick < 0.9 and cfg.private:
            return cfg.private
        if pick < 0.95:
            return bytes(32)
        return self.rbytes(32)

    def valid_set(self, cfg, full=False, huge=None):
        """A SET that should be accepted; full: every attribute there is;
        huge: "peers" (hundreds of new ones) or "ips" (one peer with
        thousands of allowed IPs)."""
        r = self.r
        # Small configurations keep the dumps that read them back cheap.
        crowded = len(cfg.peers) > 16
        kids = [self.selector()]
        if full or self.chance(0.12):
            kids.append(Node(D["PRIVATE_KEY"], self.private_key(cfg)))
        if full or self.chance(0.12):
            port = r.choice([0, r.randrange(1, 65536), cfg.port or 0])
            kids.append(Node(D["LISTEN_PORT"], struct.pack("=H", port)))
        if full or self.chance(0.12):
            mark = r.choice([0, r.randrange(16), r.getrandbits(32)])
            kids.append(Node(D["FWMARK"], struct.pack("=I", mark)))
        if full or self.chance(0.5 if crowded else 0.05):
            flags = WGDEVICE_F_REPLACE_PEERS if crowded or self.chance(0.6) \
                else 0
            kids.append(Node(D["FLAGS"], struct.pack("=I", flags)))
        if full:
            kids.append(Node(D["PUBLIC_KEY"], self.rbytes(32)))
        if huge == "peers":
            kids.append(self.many_peers())
        elif huge == "ips":
            kids.append(nest(D["PEERS"], [self.peer(cfg, many_ips=True)]))
        elif full or self.chance(0.75):
            n = r.choice([0, 1, 1, 1, 1, 2, 2, 3, 4])
            peers = [self.peer(cfg, full=full)
                     for _ in range(max(n, 1 if full else 0))]
            kids.append(nest(D["PEERS"], peers))
        if self.chance(0.3):
            r.shuffle(kids)
        return kids

    # The huge ones are built as bytes (never mutated, and much faster).

    def many_ips(self, n, room):
        """ALLOWEDIPS with up to n random prefixes, no more than fit in room
        bytes."""
        out, size = [], 4
        for _ in range(n):
            if self.chance(0.7):
                fam, addr, cidr = AF_INET, self.rbytes(4), \
                    self.r.randrange(8, 33)
            else:
                fam, addr, cidr = AF_INET6, self.rbytes(16), \
                    self.r.randrange(16, 129)
            ip = nl.nla(nl.NLA_F_NESTED, nl.nla(A["FAMILY"], struct.pack(
                "=H", fam)) + nl.nla(A["IPADDR"], addr) +
                nl.nla(A["CIDR_MASK"], bytes([cidr])))
            size += len(ip)
            if size > room:
                break
            out.append(ip)
        return Node(P["ALLOWEDIPS"] | nl.NLA_F_NESTED, b"".join(out))

    def many_peers(self):
        """Hundreds of new peers in one nest, as many as fit in 64 KiB."""
        out, size = [], 4
        for _ in range(self.r.randrange(100, 1700)):
            peer = nl.nla(P["PUBLIC_KEY"], self.rbytes(32))
            if self.chance(0.5):
                peer += ser([self.many_ips(1, 100)])
            peer = nl.nla(nl.NLA_F_NESTED, peer)
            size += len(peer)
            if size > MAX_NEST - 100:
                break
            out.append(peer)
        return Node(D["PEERS"] | nl.NLA_F_NESTED, b"".join(out))

    def get_attrs(self):
        """A GET's attributes: right, wrong, both or no device selectors."""
        r = self.r
        ours = self.devices.ours.encode()
        name = Node(D["IFNAME"], ours + b"\0")
        index = Node(D["IFINDEX"], struct.pack("=I", self.devices.ifindex))
        pick = r.randrange(14)
        sel = [[name], [index], [name, index], [],
               [Node(D["IFNAME"], b"nosuchdev0\0")],
               [Node(D["IFNAME"], b"lo\0")],
               [Node(D["IFINDEX"], struct.pack("=I", 1))],
               [Node(D["IFINDEX"], struct.pack("=I", r.choice(
                   [0, 99999, 0x7fffffff, 0xffffffff])))],
               [Node(D["IFNAME"], b"a" * 15 + b"\0")],
               [Node(D["IFNAME"], b"a" * 16 + b"\0")],
               [Node(D["IFNAME"], ours)],
               [Node(D["IFNAME"], ours + b"\0" + self.rbytes(r.randrange(12)))],
               [Node(D["IFNAME"], b"\0")],
               [name, name]][pick]
        kids = list(sel)
        if self.chance(0.2):
            for node in self.valid_set(Config(), full=True)[1:]:
                if self.chance(0.3):
                    kids.append(node)
        return kids

    # --- breaking them ----------------------------------------------------

    def leaf_data(self, old):
        r = self.r
        pick = r.randrange(6)
        if pick == 0 and old:
            return old[:r.randrange(len(old))]
        if pick == 1:
            return old + self.rbytes(r.choice([1, 2, 3, 4, 8, 16]))
        if pick == 2 and len(old) in INTERESTING:
            return r.choice(INTERESTING[len(old)]).to_bytes(len(old), "little")
        if pick == 3 and old:
            b = bytearray(old)
            b[r.randrange(len(b))] ^= 1 << r.randrange(8)
            return bytes(b)
        return self.rbytes(r.choice(SIZES[:-3]))

    def random_leaves(self, n):
        return [Node(self.r.randrange(0, 13), self.rbytes(self.r.choice(
            SIZES[:20]))) for _ in range(n)]

    def mutate_tree(self, nodes):
        r = self.r
        spots = walk(nodes)
        if not spots:
            nodes += self.random_leaves(1)
            return "add"
        lst, i, node, depth = r.choice(spots)
        op = r.choice(["drop", "dup", "swap", "type", "flag", "data", "data",
                       "value", "nest", "leaf", "deep", "unknown", "flags",
                       "blowup", "hlen", "pad"])
        if node.type is None:
            op = r.choice(["drop", "dup", "swap", "data"])
        if op == "drop":
            del lst[i]
        elif op == "dup":
            lst.insert(r.randrange(len(lst) + 1), node.clone())
        elif op == "swap":
            j = r.randrange(len(lst))
            lst[i], lst[j] = lst[j], lst[i]
        elif op == "type":
            node.type = (node.type & NLA_FLAGS) | r.choice(
                [0, r.randrange(1, 12), 9, 11, 0x3fff, r.randrange(0x4000)])
        elif op == "flag":
            node.type ^= nl.NLA_F_NESTED if self.chance(0.7) \
                else nl.NLA_F_NET_BYTEORDER
        elif op in ("data", "value"):
            if node.kids is None:
                node.data = self.leaf_data(node.data) if op == "data" else \
                    r.choice(INTERESTING.get(len(node.data), [0])).to_bytes(
                        len(node.data), "little")
            else:
                node.kids = None
                node.data = self.rbytes(r.choice(SIZES[:20]))
        elif op == "nest":
            if node.kids is None:
                node.kids = self.random_leaves(r.randrange(0, 4))
                if self.chance(0.7):
                    node.type |= nl.NLA_F_NESTED
        elif op == "leaf":
            if node.kids is not None:
                node.data = ser(node.kids) if self.chance(0.5) else b""
                node.kids = None
                if self.chance(0.7):
                    node.type &= ~nl.NLA_F_NESTED
        elif op == "deep":
            inner = node
            for _ in range(r.choice([2, 5, 11, 40])):
                inner = nest(r.choice([node.type & nl.NLA_TYPE_MASK, 0, 8, 9]),
                             [inner])
            lst[i] = inner
        elif op == "unknown":
            target = r.choice(lists_of(nodes))
            target.insert(r.randrange(len(target) + 1), Node(
                r.choice([0, 5, 9, 11, 0x3fff, r.randrange(0x4000)]),
                self.rbytes(r.choice([0, 1, 4, 8, 32]))))
        elif op == "flags":
            if node.kids is None and len(node.data) == 4:
                node.data = struct.pack("=I", nl.u32(node.data) |
                                        1 << r.randrange(32))
            else:
                lst[i] = Node(node.type & nl.NLA_TYPE_MASK,
                              struct.pack("=I", 1 << r.randrange(32)))
        elif op == "blowup":
            one = ser([node])
            copies = min(r.choice([4, 10, 100, 1000]),
                         (MAX_DATAGRAM - 4096) // max(len(one), 4) // 2)
            lst.insert(i, Node(None, one * copies))
        elif op == "hlen":
            length = len(ser([node])) - (node.pad or 0)
            node.hlen = r.choice([0, 1, 2, 3, length - 1, length + 1,
                                  length + 4, length + 100, 0xffff,
                                  r.randrange(0x10000)])
        elif op == "pad":
            node.pad = r.choice([0, 1, 2, 3, 4, 8])
        return op

    def mutate_bytes(self, data):
        r = self.r
        pick = r.randrange(4)
        if pick == 0 and data:
            return data[:r.randrange(len(data))], "truncate"
        if pick == 1 and data:
            b = bytearray(data)
            for _ in range(r.choice([1, 1, 2, 4, 8])):
                b[r.randrange(len(b))] ^= 1 << r.randrange(8)
            return bytes(b), "bitflip"
        if pick == 2:
            return data + self.rbytes(r.choice([1, 2, 3, 4, 8, 32])), "trail"
        at = r.randrange(len(data) + 1)
        return data[:at] + self.rbytes(r.choice([1, 4, 8])) + data[at:], \
            "splice"

    def mutated(self, nodes, what):
        ops = []
        for _ in range(self.r.choice([1, 1, 1, 2, 2, 3, 4])):
            if self.chance(0.85):
                ops.append(self.mutate_tree(nodes))
        payload = ser(nodes)
        if not ops or self.chance(0.15):
            payload, op = self.mutate_bytes(payload)
            ops.append(op)
        if len(payload) > MAX_DATAGRAM:
            payload = payload[:MAX_DATAGRAM]
            ops.append("capped")
        return payload, "%s %s" % (what, "+".join(ops))

    # --- the five kinds ---------------------------------------------------

    def gen_valid(self, cfg):
        huge = None
        if self.chance(0.01):
            huge = self.r.choice(["peers", "ips"])
        m = Msg("valid", nl.WG_CMD_SET_DEVICE, ser(self.valid_set(cfg,
                                                                 huge=huge)))
        m.what = "valid SET" + (" with many " + huge if huge else "")
        self.shrink = bool(huge)
        return m

    def gen_mutated(self, cfg):
        nodes = self.valid_set(cfg, full=self.chance(0.3))
        payload, what = self.mutated(nodes, "SET")
        m = Msg("mutated", nl.WG_CMD_SET_DEVICE, payload)
        m.what = what
        return m

    def gen_random(self, cfg):
        r = self.r
        if self.chance(0.5):
            payload = self.rbytes(r.choice([r.randrange(17), r.randrange(257),
                                            r.randrange(4097)]))
            what = "random bytes"
        else:
            nodes = [self.selector()] if self.chance(0.7) else []
            nodes += self.random_leaves(r.randrange(1, 8))
            for _ in range(r.randrange(3)):
                self.mutate_tree(nodes)
            payload = ser(nodes)[:MAX_DATAGRAM]
            what = "random attributes"
        get = self.chance(0.2)
        m = Msg("random", nl.WG_CMD_GET_DEVICE if get else
                nl.WG_CMD_SET_DEVICE, payload, dump=get)
        m.what = ("GET " if get else "SET ") + what
        return m

    def gen_get(self, cfg):
        nodes = self.get_attrs()
        if self.chance(0.25):
            payload, what = self.mutated(nodes, "GET")
        else:
            payload, what = ser(nodes), "GET"
        m = Msg("get", nl.WG_CMD_GET_DEVICE, payload, dump=True)
        m.what = what
        return m

    def gen_header(self, cfg):
        r = self.r
        get = self.chance(0.3)
        if get:
            m = Msg("header", nl.WG_CMD_GET_DEVICE, ser(self.get_attrs()[:1]),
                    dump=True)
        else:
            m = Msg("header", nl.WG_CMD_SET_DEVICE, ser(self.valid_set(cfg)))
        full = 20 + len(m.payload)
        pick = r.randrange(15)
        if pick == 0:
            m.cmd = r.randrange(2, 256)
            what = "cmd %d" % m.cmd
        elif pick == 1:
            m.version = r.choice([0, 2, 255])
            what = "version %d" % m.version
        elif pick == 2:
            m.reserved = r.randrange(1, 65536)
            what = "reserved %d" % m.reserved
        elif pick == 3:
            m.flags = nl.NLM_F_REQUEST | nl.NLM_F_ACK | (
                0 if get else nl.NLM_F_DUMP)
            what = "DO GET" if get else "DUMP SET"
        elif pick == 4:
            m.flags = nl.NLM_F_REQUEST | nl.NLM_F_ACK | NLM_F_ROOT
            what = "flags REQUEST|ACK|ROOT"
        elif pick == 5:
            m.flags &= ~nl.NLM_F_REQUEST
            what = "no NLM_F_REQUEST"
        elif pick == 6:
            m.flags = nl.NLM_F_REQUEST | (nl.NLM_F_DUMP if get else 0)
            what = "no NLM_F_ACK"
        elif pick == 7:
            m.nlmsg_len = full + r.choice([1, 4, 100, 65536])
            what = "nlmsg_len too long"
        elif pick == 8:
            m.nlmsg_len = r.randrange(16)
            what = "nlmsg_len %d" % m.nlmsg_len
        elif pick == 9:
            m.nlmsg_len = r.randrange(16, 20)
            what = "nlmsg_len %d (no genl header)" % m.nlmsg_len
        elif pick == 10 and full > 21:
            m.nlmsg_len = max(20, full - r.randrange(1, 13))
            what = "nlmsg_len %d of %d" % (m.nlmsg_len, full)
        elif pick == 11:
            m.cut = r.randrange(16)
            what = "datagram of %d bytes" % m.cut
        elif pick == 12:
            m.nltype = r.choice([NLMSG_NOOP, nl.NLMSG_ERROR, nl.NLMSG_DONE, 4])
            what = "nlmsg_type %d" % m.nltype
        elif pick == 13:
            m.nltype = r.choice([0x7ffe, 0xfffe, 0x3210])
            what = "nlmsg_type %#x" % m.nltype
        else:
            m.flags |= NLM_F_ECHO
            what = "NLM_F_ECHO"
        m.what = ("GET " if get else "SET ") + what
        return m

    def gen_shrink(self, cfg):
        """After a huge SET: back to a few peers, so that the dumps that
        read the configuration back stay small."""
        self.shrink = False
        keep = self.r.sample(list(cfg.peers), min(3, len(cfg.peers)))
        m = Msg("valid", nl.WG_CMD_SET_DEVICE, ser([
            self.selector(),
            Node(D["FLAGS"], struct.pack("=I", WGDEVICE_F_REPLACE_PEERS)),
            nest(D["PEERS"], [nest(0, [Node(P["PUBLIC_KEY"], pub)])
                              for pub in keep])]))
        m.what = "valid SET replacing the peers by %d of them" % len(keep)
        return m

    def gen_keep(self, keep):
        """The configuration to restore (--keep-*)."""
        kids = [Node(D["IFNAME"], self.devices.ours.encode() + b"\0")]
        if keep["private"] is not None:
            kids.append(Node(D["PRIVATE_KEY"], keep["private"]))
        if keep["port"] is not None:
            kids.append(Node(D["LISTEN_PORT"], struct.pack("=H",
                                                          keep["port"])))
        peers = []
        for pub, endpoint, ips in keep["peers"]:
            pk = [Node(P["PUBLIC_KEY"], pub),
                  Node(P["FLAGS"], struct.pack(
                      "=I", WGPEER_F_REPLACE_ALLOWEDIPS)),
                  Node(P["PRESHARED_KEY"], bytes(32))]
            if endpoint:
                pk.append(Node(P["ENDPOINT"], nl.make_sockaddr(endpoint)))
            aips = []
            for ip in ips:
                addr, _, cidr = ip.partition("/")
                fam = AF_INET6 if ":" in addr else AF_INET
                aips.append(nest(0, [
                    Node(A["FAMILY"], struct.pack("=H", fam)),
                    Node(A["IPADDR"], socket.inet_pton(fam, addr)),
                    Node(A["CIDR_MASK"], bytes([int(cidr)]))]))
            pk.append(nest(P["ALLOWEDIPS"], aips))
            peers.append(nest(0, pk))
        kids.append(nest(D["PEERS"], peers))
        m = Msg("keep", nl.WG_CMD_SET_DEVICE, ser(kids))
        m.what = "SET restoring the kept configuration"
        return m


# ---------------------------------------------------------------------------
# Talking to the kernel
# ---------------------------------------------------------------------------

class Answer:
    """What came back for one message: kind is "none", "ack", "error",
    "dump" or "dump-error"; strays are messages that should not be there."""

    def __init__(self):
        self.kind, self.err, self.msg, self.parts = "none", 0, None, []
        self.strays = []


def extack_msg(body, mflags, done):
    """The NLMSGERR_ATTR_MSG of an error (or a DONE), if any."""
    if not mflags & nl.NLM_F_ACK_TLVS:
        return None
    off = 4 if done else 4 + 16
    if not done and not mflags & nl.NLM_F_CAPPED:
        off = 4 + nl.u32(body[4:8])
    tlvs = nl.attr_dict(body[off:])
    if nl.NLMSGERR_ATTR_MSG not in tlvs:
        return None
    return tlvs[nl.NLMSGERR_ATTR_MSG].rstrip(b"\0").decode(errors="replace")


class Link:
    def __init__(self):
        g = nl.GenlSocket()
        self.sock = g.sock
        for opt, fallback in ((SO_SNDBUFFORCE, socket.SO_SNDBUF),
                              (SO_RCVBUFFORCE, socket.SO_RCVBUF)):
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, opt, 4 << 20)
            except OSError:
                self.sock.setsockopt(socket.SOL_SOCKET, fallback, 4 << 20)
        self.family, _ = g.resolve_family(nl.WG_GENL_NAME)
        self.sock.settimeout(TIMEOUT)
        self.buf = bytearray(8 << 20)
        self.seq = g.seq + 100

    def exchange(self, msg):
        """Send msg and an NLMSG_NOOP probe behind it; collect the answers
        until the probe's ACK (and the end of a dump that began). The probe
        shares msg's datagram (one system call less) unless msg's header
        lies about its length: the kernel would not get to the probe."""
        self.seq += 2
        seq, probe = self.seq, self.seq + 1
        ans = Answer()
        data = msg.datagram(self.family, seq)
        noop = struct.pack("=IHHII", 16, NLMSG_NOOP,
                           nl.NLM_F_REQUEST | nl.NLM_F_ACK, probe, 0)
        if msg.nlmsg_len is None and msg.cut is None:
            data += bytes(-len(data) % 4) + noop
            noop = None
        try:
            self.sock.send(data)
        except OSError as e:
            # An empty datagram is refused (since Linux 6.x), nothing else.
            if data or e.errno != errno.ENODATA:
                ans.strays.append("send of %d bytes failed: %s" % (
                    len(data), e))
            noop = noop or struct.pack("=IHHII", 16, NLMSG_NOOP,
                                       nl.NLM_F_REQUEST | nl.NLM_F_ACK,
                                       probe, 0)
        if noop:
            self.sock.send(noop)
        probed = final = False
        while not (probed and (final or not ans.parts)):
            try:
                n = self.sock.recv_into(self.buf)
            except socket.timeout:
                ans.strays.append("no answer within %d s" % TIMEOUT)
                break
            except OSError as e:
                ans.strays.append("recv: %s" % e)
                continue
            off = 0
            while off + 16 <= n:
                length, mtype, mflags, mseq, _ = struct.unpack_from(
                    "=IHHII", self.buf, off)
                if length < 16 or off + length > n:
                    ans.strays.append("malformed answer header")
                    break
                body = bytes(self.buf[off + 16:off + length])
                off += (length + 3) & ~3
                if mseq == probe and mtype == nl.NLMSG_ERROR and not probed:
                    probed = True
                elif mseq != seq:
                    ans.strays.append("answer with seq %d (type %d) while "
                                      "waiting for %d" % (mseq, mtype, seq))
                elif final:
                    ans.strays.append("a second answer (type %d)" % mtype)
                elif mtype == nl.NLMSG_ERROR:
                    ans.err = struct.unpack("=i", body[:4])[0]
                    ans.kind = "error" if ans.err else "ack"
                    ans.msg = extack_msg(body, mflags, False)
                    final = True
                elif mtype == nl.NLMSG_DONE:
                    ans.err = struct.unpack("=i", body[:4])[0] \
                        if len(body) >= 4 else 0
                    ans.kind = "dump-error" if ans.err else "dump"
                    ans.msg = extack_msg(body, mflags, True)
                    ans.parts.append(None)
                    final = True
                elif not mflags & nl.NLM_F_MULTI:
                    ans.strays.append("a reply that is not part of a dump")
                    final = True
                else:
                    ans.parts.append(body)
        if ans.parts and ans.parts[-1] is None:
            ans.parts.pop()
        elif ans.parts and ans.kind == "none":
            ans.strays.append("a dump without NLMSG_DONE")
        return ans


# ---------------------------------------------------------------------------
# Reading a dump back, strictly
# ---------------------------------------------------------------------------

def sockaddr_problem(payload):
    if len(payload) < 2:
        return "endpoint of %d bytes" % len(payload)
    if sockaddr_ok(payload):
        return None
    return "endpoint of family %d and %d bytes" % (nl.u16(payload),
                                                   len(payload))


def read_dump(parts, devices, derive=True):
    """A Config from a dump's messages, and the invariants it breaks;
    derive: check the public key against the private one even if that
    takes a new X25519 (slow under emulation)."""
    cfg, bad = Config(), []
    last, public, private = None, None, None
    sizes = {1: 4, 2: None, 3: 32, 4: 32, 6: 2, 7: 4}
    psizes = {1: 32, 2: 32, 5: 2, 6: 16, 7: 8, 8: 8, 10: 4}
    for n, body in enumerate(parts):
        attrs, rem = nla_iter(body[4:])
        if rem > 0:
            bad.append("message %d: %d bytes left over" % (n, rem))
        dev = {}
        for atype, payload in attrs:
            t = atype & nl.NLA_TYPE_MASK
            if t in dev:
                bad.append("device attribute %d twice" % t)
            if sizes.get(t) and len(payload) != sizes[t]:
                bad.append("device attribute %d of %d bytes" % (t, len(payload)))
                continue
            dev[t] = payload
        if dev.get(1) != struct.pack("=I", devices.ifindex or 0):
            bad.append("message %d: wrong or no ifindex" % n)
        if dev.get(2, b"").rstrip(b"\0").decode("latin-1") != devices.ours:
            bad.append("message %d: wrong or no ifname" % n)
        if n == 0:
            if 6 not in dev or 7 not in dev:
                bad.append("no listen port or fwmark")
            cfg.port = nl.u16(dev.get(6, bytes(2)))
            cfg.fwmark = nl.u32(dev.get(7, bytes(4)))
            private, public = dev.get(3), dev.get(4)
            if (private is None) != (public is None):
                bad.append("a private key without a public one, or back")
            elif private and (derive or known_public_key(private)) and \
                    public_key(private) != public:
                bad.append("public key not derived from the private key")
            cfg.private = private
        if 8 not in dev:
            continue
        elems, rem = nla_iter(dev[8])
        if rem > 0:
            bad.append("PEERS: %d bytes left over" % rem)
        for j, (_, elem) in enumerate(elems):
            pa = {}
            items, rem = nla_iter(elem)
            if rem > 0:
                bad.append("peer: %d bytes left over" % rem)
            for atype, payload in items:
                t = atype & nl.NLA_TYPE_MASK
                if psizes.get(t) and len(payload) != psizes[t]:
                    bad.append("peer attribute %d of %d bytes" % (
                        t, len(payload)))
                    continue
                pa[t] = payload
            pub = pa.get(1)
            if pub is None:
                bad.append("a peer without a public key")
                continue
            if j == 0 and n > 0 and pub == last:
                peer = cfg.peers[pub]   # continued from the last message
            elif pub in cfg.peers:
                bad.append("peer %s twice" % nl.b64(pub))
                peer = cfg.peers[pub]
            else:
                peer = cfg.peers[pub] = Peer(pa.get(2, bytes(32)))
                if 2 not in pa:
                    bad.append("peer without its preshared key")
                if pa.get(10) != struct.pack("=I", 1):
                    bad.append("peer without protocol version 1")
                if 4 in pa:
                    why = sockaddr_problem(pa[4])
                    if why:
                        bad.append(why)
                    peer.endpoint = nl.fmt_sockaddr(pa[4])
                peer.keepalive = nl.u16(pa.get(5, bytes(2)))
            last = pub
            if pub == public:
                bad.append("a peer with our own public key")
            ips, rem = nla_iter(pa.get(9, b""))
            if rem > 0:
                bad.append("ALLOWEDIPS: %d bytes left over" % rem)
            for _, ip in ips:
                a = dict((t & nl.NLA_TYPE_MASK, p) for t, p in nla_iter(ip)[0])
                fam = nl.u16(a[1]) if len(a.get(1, b"")) == 2 else None
                addr, cidr = a.get(2, b""), a.get(3, b"")
                width = {AF_INET: 4, AF_INET6: 16}.get(fam)
                if not width or len(addr) != width or len(cidr) != 1 or \
                        cidr[0] > width * 8:
                    bad.append("allowed IP that does not parse: %r" % a)
                    continue
                key = mask_prefix(fam, addr, cidr[0])
                if key[1] != addr:
                    bad.append("allowed IP %s/%d with host bits" % (
                        socket.inet_ntop(fam, addr), cidr[0]))
                if key in cfg.owner:
                    bad.append("allowed IP %s twice" % fmt_prefix(key))
                    continue
                cfg.owner[key] = pub
                peer.aips.add(key)
    return cfg, bad


def same_config(want, got, volatile, clamped):
    if want.private != got.private:
        if not (clamped and want.private and got.private and
                clamp(want.private) == clamp(got.private)):
            return False
    if (want.port is None and not got.port) or \
            (want.port is not None and want.port != got.port):
        return False
    if want.fwmark != got.fwmark or want.owner != got.owner or \
            want.peers.keys() != got.peers.keys():
        return False
    for pub, p in want.peers.items():
        q = got.peers[pub]
        if p.psk != q.psk or p.keepalive != q.keepalive:
            return False
        if pub not in volatile and p.endpoint != q.endpoint:
            return False
    return True


def read_showconf(text):
    """`wg showconf` output as a Config (what it can say)."""
    import base64
    cfg, peer, pub = Config(), None, None
    for line in text.splitlines():
        line = line.strip()
        if line == "[Peer]":
            peer = "new"
            continue
        if "=" not in line:
            continue
        key, _, val = (x.strip() for x in line.partition("="))
        if peer is None:
            if key == "PrivateKey":
                cfg.private = base64.b64decode(val)
            elif key == "ListenPort":
                cfg.port = int(val)
            elif key == "FwMark":
                cfg.fwmark = int(val, 0)
        elif key == "PublicKey":
            pub = base64.b64decode(val)
            peer = cfg.peers[pub] = Peer()
        elif key == "PresharedKey":
            peer.psk = base64.b64decode(val)
        elif key == "Endpoint":
            host, _, port = val.rpartition(":")
            peer.endpoint = "%s:%s" % (host.split("%")[0] +
                                       ("]" if "%" in host else ""), port)
        elif key == "PersistentKeepalive":
            peer.keepalive = 0 if val == "off" else int(val)
        elif key == "AllowedIPs":
            for item in val.split(","):
                addr, _, cidr = item.strip().partition("/")
                fam = AF_INET6 if ":" in addr else AF_INET
                k = mask_prefix(fam, socket.inet_pton(fam, addr), int(cidr))
                cfg.owner[k] = pub
                peer.aips.add(k)
    return cfg


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

CHECKS = [
    ("answers", "each message got the one answer its header asks for "
     "(ACK, error, dump or none), no stray or late answer"),
    ("errno", "every error is a negative errno"),
    ("verdict", "the kernel accepts exactly what the reference parser "
     "accepts"),
    ("applied", "accepted SETs change the configuration as predicted"),
    ("unchanged", "refused SETs leave the configuration unchanged"),
    ("dump", "every dump is well-formed: 32-byte keys, derived public key, "
     "allowed IPs that parse, no duplicates"),
    ("final", "final configuration as modelled, and as `wg showconf` says"),
]
KINDS = [("valid", 18), ("mutated", 44), ("random", 8), ("get", 16),
         ("header", 14)]


class Expect:
    def __init__(self, answer, op=None, by_header=False, why=None, new=None,
                 attrs=None):
        self.answer, self.op, self.by_header = answer, op, by_header
        self.why, self.new, self.attrs = why, new, attrs or {}


class Fuzzer:
    def __init__(self, opts):
        self.o = opts
        self.devices = Devices(opts["ifname"])
        if self.devices.ifindex is None:
            raise SystemExit("nlfuzz: no device %s here" % opts["ifname"])
        self.up = self.devices.up()
        self.link = Link()
        self.gen = Generator(opts["seed"], self.devices, opts["intree"])
        self.policies = POLICIES_INTREE if opts["intree"] else POLICIES
        self.volatile = {p[0] for p in opts["keep"]["peers"]}
        self.viol = {name: [] for name, _ in CHECKS}
        self.stats = {"kind": {}, "answer": {}, "errno": {}, "extack": {},
                      "accepted": {}, "reads": {}}
        self.rejected = 0
        self.window = []        # messages since the configuration was read
        self.pending = 0        # accepted SETs since then
        self.dirty = False      # (--intree) a refused SET may have changed it
        self.cfg = Config()
        self.t_exchange = self.t_read = 0.0
        self.verify("initial", known=False)

    # --- bookkeeping ------------------------------------------------------

    def count(self, table, key, n=1):
        t = self.stats[table]
        t[key] = t.get(key, 0) + n

    def violation(self, check, text, msg=None, data=None, index=None):
        if msg is not None:
            text = "#%d %s: %s" % (index, msg.what, text)
        if data is not None:
            text += "\n  sent %d bytes: %s%s" % (len(data), data[:80].hex(),
                                                 "..." if len(data) > 80 else "")
        self.viol[check].append(text)

    # --- prediction -------------------------------------------------------

    def predict(self, msg, data):
        hdr = dict(by_header=True)
        if len(data) < 16:
            return Expect("none", **hdr)
        length = struct.unpack_from("=I", data)[0]
        if length < 16 or length > len(data):
            return Expect("none", **hdr)
        ack = "ack" if msg.flags & nl.NLM_F_ACK else "none"
        nltype = self.link.family if msg.nltype is None else msg.nltype
        if not msg.flags & nl.NLM_F_REQUEST or nltype < 16:
            return Expect(ack, op="noop", **hdr)
        if nltype != self.link.family or length < 20:
            return Expect("error", **hdr)
        dump = msg.flags & nl.NLM_F_DUMP == nl.NLM_F_DUMP
        # The genetlink core's header checks (resv_start_op 0: for every
        # command): the reserved field is 0, and no nlmsg_flags but
        # REQUEST, ACK, ECHO and the two bits of DUMP.
        flags = msg.flags & ~nl.NLM_F_DUMP if dump else msg.flags
        if not self.o["intree"] and (
                data[18:20] != b"\0\0" or
                flags & ~(nl.NLM_F_REQUEST | nl.NLM_F_ACK | NLM_F_ECHO)):
            return Expect("error", **hdr)
        if msg.cmd == nl.WG_CMD_SET_DEVICE and not dump:
            op = "set"
        elif msg.cmd == nl.WG_CMD_GET_DEVICE and dump:
            op = "get"
        else:
            return Expect("error", **hdr)
        attrs = {}
        try:
            attrs = parse_strict(data[20:length],
                                 GET if op == "get" else DEV, self.policies)
            self.devices.select(attrs)
            if op == "get":
                return Expect("dump", op=op)
            for elem in elements(attrs.get(8, b"")):
                check_peer(parse_element(elem, PEER, self.policies),
                           self.policies)
            new = apply_set(self.cfg, attrs, self.policies, self.up)
            return Expect(ack, op=op, new=new, attrs=attrs)
        except Invalid as e:
            return Expect("error", op=op, why=str(e), attrs=attrs)

    # --- reading back -----------------------------------------------------

    def read(self):
        """The device's configuration now (None if the GET failed)."""
        msg = Msg("read", nl.WG_CMD_GET_DEVICE, ser(
            [Node(D["IFNAME"], self.devices.ours.encode() + b"\0")]),
            dump=True)
        msg.what = "GET to read back"
        ans = self.link.exchange(msg)
        if ans.kind != "dump" or ans.strays:
            self.violation("dump", "reading the configuration back: %s %s %s"
                           % (ans.kind, errname(ans.err), ans.strays))
            return None
        return self.check_dump(ans.parts)

    def check_dump(self, parts):
        # Derive a new public key now and then only: each costs.
        self.derived = getattr(self, "derived", 0) + 1
        got, bad = read_dump(parts, self.devices, self.derived % 16 == 1)
        for b in bad[:3]:
            self.violation("dump", b + self.window_text())
        return got

    def window_text(self):
        if not self.window:
            return ""
        last = self.window[-1]
        return " (after #%d %s%s)" % (last[0], last[1], (
            " and %d messages before it since the last read" %
            (len(self.window) - 1)) if len(self.window) > 1 else "")

    def verify(self, check, known=True):
        """Read the configuration back and compare it with the model;
        known=False: only take it as the model's new state."""
        t = time.perf_counter()
        got = self.read()
        self.t_read += time.perf_counter() - t
        if got is not None:
            self.compare(check, got, known)

    def compare(self, check, got, known=True, label=None):
        """Compare a configuration read back with the model, which then
        takes it as its state (a kernel-chosen port, a roamed endpoint)."""
        self.count("reads", label or check)
        clamped = True     # both drivers store the private key clamped
        if known and not same_config(self.cfg, got, self.volatile, clamped):
            self.violation(check, "configuration differs from the model%s\n"
                           % self.window_text() + "\n".join(
                               "  " + x for x in config_diff(
                                   self.cfg, got, self.volatile, clamped)))
        self.cfg = got
        self.window = []
        self.pending = 0
        self.dirty = False

    # --- one message ------------------------------------------------------

    def one(self, i, msg):
        if self.dirty:
            self.verify("unchanged", known=False)
        data = msg.datagram(self.link.family, self.link.seq + 2)
        exp = self.predict(msg, data)
        t = time.perf_counter()
        ans = self.link.exchange(msg)
        self.t_exchange += time.perf_counter() - t
        self.count("kind", msg.kind)
        self.count("answer", ans.kind)
        if ans.kind in ("error", "dump-error"):
            self.count("errno", errname(ans.err))
            self.count("extack", ans.msg or "")
        if ans.strays:
            self.violation("answers", "; ".join(ans.strays), msg, data, i)
        if ans.kind in ("error", "dump-error") and not -4095 <= ans.err < 0:
            self.violation("errno", "error %d" % ans.err, msg, data, i)

        got = ans.kind
        accepted = got == "ack" or (got == "none" and exp.op == "set" and
                                    not msg.flags & nl.NLM_F_ACK)
        busy = (got == "error" and ans.err == -errno.EADDRINUSE and
                exp.op == "set" and exp.new is not None and 6 in exp.attrs
                and self.up)
        if got != exp.answer and not busy:
            what = "expected %s (%s), got %s" % (
                exp.answer, exp.why or ("valid" if exp.op else "header"),
                got)
            if got in ("error", "dump-error"):
                what += " %s%s" % (errname(ans.err),
                                   ": " + ans.msg if ans.msg else "")
            self.violation("answers" if exp.by_header or not exp.op
                           else "verdict", what, msg, data, i)
        if exp.op == "set" and accepted:
            self.count("accepted", msg.kind)
        self.window.append((i, msg.what))

        if exp.op == "set" and accepted and exp.new is not None:
            self.cfg = exp.new
            self.pending += 1
            if self.pending >= self.o["verify_every"] or \
                    self.cfg.port is None:
                self.verify("applied")
        elif exp.op == "set" and accepted:
            self.verify("applied", known=False)
        elif exp.op == "set":
            self.rejected += 1
            if exp.new is not None or busy:
                self.verify("unchanged")
            elif self.o["intree"]:
                self.dirty = True
            elif self.rejected % self.o["unchanged_every"] == 0:
                self.verify("unchanged")
        elif exp.op == "noop" and got in ("ack", "none"):
            self.verify("unchanged")
        elif exp.op == "get" and got == "dump":
            # A GET's answer is as good as a read back.
            t = time.perf_counter()
            self.compare("applied", self.check_dump(ans.parts),
                         known=not self.dirty, label="GET")
            self.t_read += time.perf_counter() - t

    # --- the whole run ----------------------------------------------------

    def run(self):
        t0 = time.time()
        keep = self.o["keep"]
        keeping = keep["private"] is not None or keep["port"] is not None \
            or keep["peers"]
        weights = [w for _, w in KINDS]
        gens = {name: getattr(self.gen, "gen_" + name) for name, _ in KINDS}
        self.sent = self.o["count"]
        for i in range(self.o["count"]):
            if time.time() - t0 > self.o["time_limit"]:
                self.sent = i
                break
            if keeping and i % self.o["keep_every"] == 0:
                msg = self.gen.gen_keep(keep)
            elif self.gen.shrink:
                msg = self.gen.gen_shrink(self.cfg)
            else:
                kind = self.gen.r.choices([k for k, _ in KINDS], weights)[0]
                msg = gens[kind](self.cfg)
            self.one(i, msg)
        if keeping:
            self.one(self.sent, self.gen.gen_keep(keep))
        self.verify("final")
        self.showconf()
        self.elapsed = time.time() - t0
        return self.report()

    def showconf(self):
        try:
            out = subprocess.run(["wg", "showconf", self.devices.ours],
                                 capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as e:
            self.wg_skip = "wg: %s" % e
            return
        self.wg_skip = None
        if out.returncode:
            self.violation("final", "wg showconf failed: " + out.stderr)
            return
        try:
            wg = read_showconf(out.stdout)
        except (ValueError, KeyError, OSError) as e:
            self.violation("final", "wg showconf does not parse: %s" % e)
            return
        if wg.port == 0 and self.cfg.port == 0:
            pass
        if not same_config(self.cfg, wg, (), False):
            self.violation("final", "wg showconf differs from the dump\n" +
                           "\n".join("  " + x for x in config_diff(
                               self.cfg, wg, (), False)))

    def report(self):
        s = self.stats
        n = sum(s["kind"].values())

        def line(table, key=None):
            items = sorted(s[table].items(), key=lambda kv: (-kv[1], kv[0]))
            return ", ".join("%s %d" % (key(k) if key else k, v)
                             for k, v in items)

        print("# nlfuzz: seed %d, %d messages to %s (%s) in %.1f s "
              "(%.0f/s)" % (self.o["seed"], n, self.devices.ours,
                            "up" if self.up else "down", self.elapsed,
                            n / max(self.elapsed, 1e-6)))
        print("# sent: " + line("kind"))
        print("# time: %.1f s sending and waiting for answers, %.1f s "
              "reading back, %.1f s generating, predicting, checking" % (
                  self.t_exchange, self.t_read,
                  self.elapsed - self.t_exchange - self.t_read))
        print("# answers: " + line("answer"))
        print("# errors by errno: " + line("errno"))
        errors = sum(s["errno"].values())
        print("# errors with an extack message: %d of %d" % (
            errors - s["extack"].get("", 0), errors))
        top = sorted(((v, k) for k, v in s["extack"].items() if k),
                     reverse=True)[:8]
        for v, k in top:
            print("#   %5d  %s" % (v, k))
        print("# SETs accepted: %s; refused: %d" % (line("accepted"),
                                                   self.rejected))
        print("# configuration read back: " + line("reads"))
        print("# final: %d peers, %d allowed IPs, port %s" % (
            len(self.cfg.peers), len(self.cfg.owner), self.cfg.port))
        if self.sent < self.o["count"]:
            print("ok - all %d messages sent # SKIP time limit of %d s "
                  "reached after %d" % (self.o["count"], self.o["time_limit"],
                                        self.sent))
        failed = 0
        for name, desc in CHECKS:
            v = self.viol[name]
            skip = None
            if self.o["intree"] and name in ("verdict", "unchanged"):
                skip = "in-tree driver: %d differences" % len(v)
            if name == "final" and getattr(self, "wg_skip", None) and not v:
                skip = self.wg_skip
            if v and not skip:
                failed += 1
                print("not ok - %s" % desc)
            else:
                print("ok - %s%s" % (desc, " # SKIP " + skip if skip else ""))
            for text in v[:self.o["quiet_max"]]:
                for ln in text.split("\n"):
                    print("# " + ln)
            if len(v) > self.o["quiet_max"]:
                print("# ... and %d more" % (len(v) - self.o["quiet_max"]))
        return 1 if failed else 0


def errname(err):
    if -err == errno.EOPNOTSUPP:
        return "EOPNOTSUPP"         # not its alias ENOTSUP
    return errno.errorcode.get(-err, str(err)) if err else "0"


def parse_args(argv):
    o = {"seed": 1, "count": 10000, "verify_every": 4, "unchanged_every": 50,
         "intree": False, "keep_every": 25, "quiet_max": 8, "ifname": None,
         "time_limit": 1 << 30,
         "keep": {"private": None, "port": None, "peers": []}}
    ints = ("--seed", "--count", "--verify-every", "--unchanged-every",
            "--keep-every", "--quiet-max", "--time-limit")
    import base64
    args = list(argv)
    try:
        while args:
            a = args.pop(0)
            if a in ("-h", "--help"):
                print(__doc__)
                sys.exit(0)
            if a in ints:
                o[a[2:].replace("-", "_")] = int(args.pop(0), 0)
            elif a == "--intree":
                o["intree"] = True
            elif a == "--keep-private-key":
                o["keep"]["private"] = base64.b64decode(args.pop(0),
                                                        validate=True)
            elif a == "--keep-port":
                o["keep"]["port"] = int(args.pop(0))
            elif a == "--keep-peer":
                words = args.pop(0).split(",")
                o["keep"]["peers"].append((base64.b64decode(
                    words[0], validate=True), words[1], words[2:]))
            elif a.startswith("-"):
                raise ValueError("unknown option " + a)
            elif o["ifname"] is None:
                o["ifname"] = a
            else:
                raise ValueError("one IFNAME only")
        if o["ifname"] is None:
            raise ValueError("name the device")
        if o["intree"]:
            o["verify_every"] = 1   # a refused SET may have changed things
        if min(o["verify_every"], o["unchanged_every"], o["keep_every"]) < 1:
            raise ValueError("--*-every must be at least 1")
    except (IndexError, ValueError) as e:
        print("nlfuzz.py: %s (--help for usage)" % (e or "missing value"),
              file=sys.stderr)
        sys.exit(64)
    return o


def main(argv):
    if "--profile" in argv:
        import cProfile
        import pstats
        argv.remove("--profile")
        prof = cProfile.Profile()
        rc = prof.runcall(main, argv)
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
        print("\n".join("# " + x for x in out.getvalue().splitlines()))
        return rc
    return Fuzzer(parse_args(argv)).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
