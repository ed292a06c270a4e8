#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Known answers for the KUnit suites wg_noise and wg_cookie.

Computes one WireGuard handshake (Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s,
protocol sheet "Handshake") and its mac1/mac2/cookie values independently
of the module, from fixed inputs, with Python's hashlib.blake2s (plain and
keyed), hmac, and python3-cryptography (X25519, ChaCha20-Poly1305). The
HChaCha20 step of XChaCha20-Poly1305, which python3-cryptography lacks, is
written out here from RFC 8439 and draft-irtf-cfrg-xchacha.

The computation follows the protocol sheet's numbered steps literally
(C, H, KDFn), not the Noise token machine that noise.c implements, so the
two meet only in their results.

Usage:
  noise_vectors.py noise | cookie   print the C block for that test file
  noise_vectors.py --write          rewrite the generated blocks of
                                    drivers/net/wg/tests/{noise,cookie}_test.c
  noise_vectors.py --check          exit 1 if those blocks are out of date

A generated block lies between the lines
  /* BEGIN noise_vectors.py SUITE: generated, do not edit */
  /* END noise_vectors.py SUITE */
"""

import hashlib
import hmac
import os
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives import serialization

CONSTRUCTION = b"Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"
IDENTIFIER = b"WireGuard v1 zx2c4 Jason@zx2c4.com"
LABEL_MAC1 = b"mac1----"
LABEL_COOKIE = b"cookie--"


# --- primitives (protocol sheet: "Primitives") ------------------------------

def HASH(*parts):
    return hashlib.blake2s(b"".join(parts)).digest()


def MAC(key, *parts):
    return hashlib.blake2s(b"".join(parts), key=key, digest_size=16).digest()


def HMAC(key, *parts):
    return hmac.new(key, b"".join(parts), hashlib.blake2s).digest()


def KDF(n, key, x):
    t0 = HMAC(key, x)
    out, t = [], b""
    for i in range(1, n + 1):
        t = HMAC(t0, t, bytes([i]))
        out.append(t)
    return out


def clamp(priv):
    b = bytearray(priv)
    b[0] &= 248
    b[31] = (b[31] & 127) | 64
    return bytes(b)


def pub_of(priv):
    return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def DH(priv, pub):
    out = X25519PrivateKey.from_private_bytes(priv).exchange(
        X25519PublicKey.from_public_bytes(pub))
    assert out != bytes(32)
    return out


def AEAD(k, n, p, ad):
    return ChaCha20Poly1305(k).encrypt(bytes(4) + struct.pack("<Q", n), p, ad)


def rotl32(v, c):
    return ((v << c) & 0xffffffff) | (v >> (32 - c))


def hchacha20(key, nonce16):
    """RFC 8439 section 2.3 block function without the final addition,
    returning words 0..3 and 12..15 (draft-irtf-cfrg-xchacha section 2.2)."""
    s = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
    s += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))

    def qr(a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xffffffff
        s[d] = rotl32(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xffffffff
        s[b] = rotl32(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xffffffff
        s[d] = rotl32(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xffffffff
        s[b] = rotl32(s[b] ^ s[c], 7)

    for _ in range(10):
        qr(0, 4, 8, 12)
        qr(1, 5, 9, 13)
        qr(2, 6, 10, 14)
        qr(3, 7, 11, 15)
        qr(0, 5, 10, 15)
        qr(1, 6, 11, 12)
        qr(2, 7, 8, 13)
        qr(3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def XAEAD(k, n24, p, ad):
    sub = hchacha20(k, n24[:16])
    return ChaCha20Poly1305(sub).encrypt(bytes(4) + n24[16:], p, ad)


def hchacha20_selftest():
    # draft-irtf-cfrg-xchacha-03, section 2.2.1
    key = bytes(range(32))
    nonce = bytes.fromhex("000000090000004a0000000031415927")
    want = bytes.fromhex("82413b4227b27bfed30e42508a877d73"
                         "a0f9e4d58a74a853c12ec41326d3ecdc")
    assert hchacha20(key, nonce) == want


# --- fixed inputs -------------------------------------------------------------

def fixed(label):
    """32 arbitrary but reproducible bytes."""
    return HASH(b"wg kunit vector: " + label)


SI_PRIV = fixed(b"initiator static")          # not clamped: the module clamps
SR_PRIV = fixed(b"responder static")
EI_PRIV = fixed(b"initiator ephemeral")
ER_PRIV = fixed(b"responder ephemeral")
PSK = fixed(b"preshared key")
# 2026-01-01 00:00:00.48 UTC: 48/100 s is a multiple of 1/50 s.
TIMESTAMP = struct.pack(">QI", 0x400000000000000a + 1767225600, 480000000)
SENDER_I = 0x1a2b3c4d
SENDER_R = 0x5e6f7081
COOKIE_SECRET = fixed(b"cookie secret")
COOKIE_HELD = fixed(b"cookie held")[:16]     # a cookie the initiator holds
COOKIE_NONCE = fixed(b"cookie nonce")[:24]
SRC4 = bytes([192, 0, 2, 1])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")
SRC_PORT = 51820                             # big-endian on the wire
CLAMP_PRIV = bytes([0xff] * 32)              # every clamped bit set
# Points of small order on Curve25519 and their non-canonical twins
# (u + p): X25519 with any of them gives all zeros.
P25519 = 2**255 - 19
LOW_ORDER = [(u % 2**256).to_bytes(32, "little") for u in (
    0, 1,
    325606250916557431795983626356110631294008115727848805560023387167927233504,
    39382357235489614581723060781553021112529911719440698176882885853963445705823,
    P25519 - 1, P25519, P25519 + 1)]


def low_order_selftest():
    for u in LOW_ORDER:
        try:
            X25519PrivateKey.from_private_bytes(ER_PRIV).exchange(
                X25519PublicKey.from_public_bytes(u))
        except ValueError:      # python3-cryptography: all-zero output
            continue
        raise AssertionError("not of low order: " + u.hex())


# --- the handshake, by the protocol sheet's steps -------------------------

def handshake(psk):
    """Returns (trace, msg1, msg2, send_i, recv_i). trace lists (step, H, C)
    after Initialize, after each token and after each payload."""
    si_pub, sr_pub = pub_of(SI_PRIV), pub_of(SR_PRIV)
    ei_pub, er_pub = pub_of(EI_PRIV), pub_of(ER_PRIV)
    trace = []

    C = HASH(CONSTRUCTION)
    H = HASH(C, IDENTIFIER)
    H = HASH(H, sr_pub)
    trace.append(("initialize", H, C))

    # type 1, step 1: the "e" token (with psk, e also feeds the chain)
    (C,) = KDF(1, C, ei_pub)
    H = HASH(H, ei_pub)
    trace.append(("-> e", H, C))
    # step 2: "es" then "s"
    C, k = KDF(2, C, DH(EI_PRIV, sr_pub))
    trace.append(("-> es", H, C))
    static = AEAD(k, 0, si_pub, H)
    H = HASH(H, static)
    trace.append(("-> s", H, C))
    # step 3: "ss" then the payload
    C, k = KDF(2, C, DH(SI_PRIV, sr_pub))
    trace.append(("-> ss", H, C))
    stamp = AEAD(k, 0, TIMESTAMP, H)
    H = HASH(H, stamp)
    trace.append(("-> payload", H, C))
    msg1 = (struct.pack("<II", 1, SENDER_I) + ei_pub + static + stamp)
    assert len(msg1) == 148 - 32

    # type 2, step 1: "e"
    (C,) = KDF(1, C, er_pub)
    H = HASH(H, er_pub)
    trace.append(("<- e", H, C))
    # step 2: "ee", "se"
    (C,) = KDF(1, C, DH(ER_PRIV, ei_pub))
    trace.append(("<- ee", H, C))
    (C,) = KDF(1, C, DH(ER_PRIV, si_pub))
    trace.append(("<- se", H, C))
    # step 3: "psk"
    C, t, k = KDF(3, C, psk)
    H = HASH(H, t)
    trace.append(("<- psk", H, C))
    # step 4: the empty payload
    empty = AEAD(k, 0, b"", H)
    H = HASH(H, empty)
    trace.append(("<- payload", H, C))
    msg2 = (struct.pack("<III", 2, SENDER_R, SENDER_I) + er_pub + empty)
    assert len(msg2) == 92 - 32

    send_i, recv_i = KDF(2, C, b"")
    return trace, msg1, msg2, send_i, recv_i


# --- C output -------------------------------------------------------------------

def c_bytes(b, indent):
    lines = []
    for i in range(0, len(b), 8):
        lines.append(indent + ", ".join("0x%02x" % x for x in b[i:i + 8]) + ",")
    return "\n".join(lines)


def c_array(name, b, size=None):
    return "static const u8 %s[%s] = {\n%s\n};\n" % (
        name, size or str(len(b)), c_bytes(b, "\t"))


def c_trace(name, trace):
    out = ["static const struct nv_step %s[] = {" % name]
    for step, h, ck in trace:
        out.append("\t{")
        out.append('\t\t.name = "%s",' % step)
        out.append("\t\t.h = {\n%s\n\t\t}," % c_bytes(h, "\t\t\t"))
        out.append("\t\t.ck = {\n%s\n\t\t}," % c_bytes(ck, "\t\t\t"))
        out.append("\t},")
    out.append("};\n")
    return "\n".join(out)


def c_low_order():
    out = ["static const u8 nv_low_order[][WG_KEY_SIZE] = {"]
    for u in LOW_ORDER:
        out.append("\t{\n%s\n\t}," % c_bytes(u, "\t\t"))
    out.append("};\n")
    return "\n".join(out)


def noise_block():
    low_order_selftest()
    t0, m1, m2_0, si0, ri0 = handshake(bytes(32))
    t1, m1b, m2_1, si1, ri1 = handshake(PSK)
    assert m1 == m1b and t0[:9] == t1[:9]
    si_pub, sr_pub = pub_of(SI_PRIV), pub_of(SR_PRIV)
    parts = [
        "/* Inputs: arbitrary fixed bytes (HASH of a label, noise_vectors.py). */",
        c_array("nv_si_priv", SI_PRIV, "WG_KEY_SIZE"),
        c_array("nv_sr_priv", SR_PRIV, "WG_KEY_SIZE"),
        c_array("nv_ei_priv", EI_PRIV, "WG_KEY_SIZE"),
        c_array("nv_er_priv", ER_PRIV, "WG_KEY_SIZE"),
        c_array("nv_psk", PSK, "WG_KEY_SIZE"),
        c_array("nv_timestamp", TIMESTAMP, "WG_TAI64N_SIZE"),
        "#define NV_SENDER_I\t0x%08x\n#define NV_SENDER_R\t0x%08x\n" %
        (SENDER_I, SENDER_R),
        "/* Public keys and derived keys (python3-cryptography X25519, hashlib). */",
        c_array("nv_si_pub", si_pub, "WG_KEY_SIZE"),
        c_array("nv_sr_pub", sr_pub, "WG_KEY_SIZE"),
        c_array("nv_sr_h_to_me", HASH(HASH(HASH(CONSTRUCTION), IDENTIFIER), sr_pub),
                "WG_KEY_SIZE"),
        c_array("nv_sr_mac1_key", HASH(LABEL_MAC1, sr_pub), "WG_KEY_SIZE"),
        c_array("nv_sr_cookie_key", HASH(LABEL_COOKIE, sr_pub), "WG_KEY_SIZE"),
        c_array("nv_clamp_priv", CLAMP_PRIV, "WG_KEY_SIZE"),
        c_array("nv_clamp_clamped", clamp(CLAMP_PRIV), "WG_KEY_SIZE"),
        c_array("nv_clamp_pub", pub_of(CLAMP_PRIV), "WG_KEY_SIZE"),
        "/* h and ck after each step, no psk (protocol sheet, step by step). */",
        c_trace("nv_trace", t0),
        "/* The same with nv_psk: equal up to \"<- se\". */",
        c_trace("nv_trace_psk", t1),
        "/* u-coordinates whose X25519 is all zeros (python3-cryptography). */",
        c_low_order(),
        "/* Messages up to mac1 (macs are cookie.c's). */",
        c_array("nv_msg1", m1),
        c_array("nv_msg2", m2_0),
        c_array("nv_msg2_psk", m2_1),
        "/* The initiator's transport keys (KDF2(C, empty)). */",
        c_array("nv_send_i", si0, "WG_KEY_SIZE"),
        c_array("nv_recv_i", ri0, "WG_KEY_SIZE"),
        c_array("nv_send_i_psk", si1, "WG_KEY_SIZE"),
        c_array("nv_recv_i_psk", ri1, "WG_KEY_SIZE"),
    ]
    return "\n".join(parts)


def cookie_block():
    hchacha20_selftest()
    _, m1, m2, _, _ = handshake(bytes(32))
    si_pub, sr_pub = pub_of(SI_PRIV), pub_of(SR_PRIV)
    sr_mac1_key = HASH(LABEL_MAC1, sr_pub)
    si_mac1_key = HASH(LABEL_MAC1, si_pub)
    sr_cookie_key = HASH(LABEL_COOKIE, sr_pub)
    m1_mac1 = MAC(sr_mac1_key, m1)
    m1_mac2 = MAC(COOKIE_HELD, m1, m1_mac1)
    m2_mac1 = MAC(si_mac1_key, m2)
    port = struct.pack(">H", SRC_PORT)
    cookie4 = MAC(COOKIE_SECRET, SRC4, port)
    cookie6 = MAC(COOKIE_SECRET, SRC6, port)
    m1_mac2_4 = MAC(cookie4, m1, m1_mac1)
    sealed = XAEAD(sr_cookie_key, COOKIE_NONCE, cookie4, m1_mac1)
    reply = struct.pack("<II", 3, SENDER_I) + COOKIE_NONCE + sealed
    assert len(reply) == 64
    parts = [
        "/* Keys: as in noise_test.c (noise_vectors.py). */",
        c_array("cv_si_pub", si_pub, "WG_KEY_SIZE"),
        c_array("cv_sr_pub", sr_pub, "WG_KEY_SIZE"),
        c_array("cv_sr_mac1_key", sr_mac1_key, "WG_KEY_SIZE"),
        c_array("cv_si_mac1_key", si_mac1_key, "WG_KEY_SIZE"),
        c_array("cv_sr_cookie_key", sr_cookie_key, "WG_KEY_SIZE"),
        "/* Message 1 and 2 of noise_test.c up to mac1. */",
        c_array("cv_msg1", m1),
        c_array("cv_msg2", m2),
        "/* Keyed BLAKE2s-128 (hashlib.blake2s(key=, digest_size=16)). */",
        c_array("cv_msg1_mac1", m1_mac1, "WG_MAC_SIZE"),
        c_array("cv_cookie_held", COOKIE_HELD, "WG_COOKIE_SIZE"),
        c_array("cv_msg1_mac2", m1_mac2, "WG_MAC_SIZE"),
        c_array("cv_msg2_mac1", m2_mac1, "WG_MAC_SIZE"),
        "/* The jar's secret R and the cookies it gives two sources. */",
        c_array("cv_secret", COOKIE_SECRET, "WG_KEY_SIZE"),
        c_array("cv_src4", SRC4),
        c_array("cv_src6", SRC6),
        "#define CV_SRC_PORT\t%d\n#define CV_SENDER_I\t0x%08x\n" %
        (SRC_PORT, SENDER_I),
        c_array("cv_cookie4", cookie4, "WG_COOKIE_SIZE"),
        c_array("cv_cookie6", cookie6, "WG_COOKIE_SIZE"),
        c_array("cv_msg1_mac2_4", m1_mac2_4, "WG_MAC_SIZE"),
        "/* A cookie reply to cv_msg1 from cv_src4 with a fixed nonce\n"
        " * (XChaCha20-Poly1305: HChaCha20 here, ChaCha20-Poly1305 from\n"
        " * python3-cryptography).\n */",
        c_array("cv_reply", reply),
    ]
    return "\n".join(parts)


BLOCKS = {"noise": noise_block, "cookie": cookie_block}


def begin(suite):
    return "/* BEGIN noise_vectors.py %s: generated, do not edit */\n" % suite


def end(suite):
    return "/* END noise_vectors.py %s */\n" % suite


def splice(path, suite, write):
    with open(path) as f:
        text = f.read()
    a, b = text.find(begin(suite)), text.find(end(suite))
    if a < 0 or b < a:
        sys.exit("%s: no generated block for %s" % (path, suite))
    new = text[:a] + begin(suite) + BLOCKS[suite]() + "\n" + end(suite) + \
        text[b + len(end(suite)):]
    if new == text:
        return True
    if write:
        with open(path, "w") as f:
            f.write(new)
        print("updated %s" % path)
        return True
    print("%s: the %s vectors are out of date" % (path, suite))
    return False


def main(argv):
    if len(argv) == 2 and argv[1] in BLOCKS:
        sys.stdout.write(BLOCKS[argv[1]]())
        return 0
    if len(argv) == 2 and argv[1] in ("--write", "--check"):
        here = os.path.dirname(os.path.abspath(__file__))
        top = os.path.normpath(os.path.join(here, "..", ".."))
        ok = True
        for suite in BLOCKS:
            path = os.path.join(top, "drivers/net/wg/tests/%s_test.c" % suite)
            ok &= splice(path, suite, argv[1] == "--write")
        return 0 if ok else 1
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
