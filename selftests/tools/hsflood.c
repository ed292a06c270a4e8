// SPDX-License-Identifier: GPL-2.0
/*
 * hsflood - flood a WireGuard responder with handshake initiations.
 *
 * usage: hsflood --pubkey B64 [--to4 ADDR:PORT] [--to6 [ADDR]:PORT]
 *                [--src4 ADDR --n4 N] [--src6 ADDR --n6 N] [--port P]
 *                --rate PPS [--burst N] [--duration S] [--cookies]
 *                [--probe-every N] [--pool N] [--verify N] [--linger S]
 *                [--seed N] [--progress] [--threads N] [--cookie-wait S]
 *        hsflood --selftest
 *
 * Every message is a type 1 initiation (148 bytes) with a mac1 valid for
 * the responder's public key, so that it passes the first check and reaches
 * the responder's load logic; the rest is random, so the Noise handshake
 * fails on it (protocol sheet: "mac1, mac2, cookies"). Messages leave from
 * many source addresses in turn: --n4 consecutive IPv4 addresses from
 * --src4, --n6 IPv6 addresses --src6 + i * 2^64 (one per /64: the rate
 * limiter groups IPv6 sources by /64), all through one socket per family
 * bound to --port (default: any), the address set per message with
 * IP_PKTINFO / IPV6_PKTINFO. The caller makes the addresses usable as
 * sources and routes the replies back, e.g. with a local route in the
 * flooder's namespace (ip route add local 172.16.0.0/12 dev lo).
 *
 * Without --cookies the messages come from a pool of --pool (default 4096)
 * precomputed ones with mac2 all zeros. The cookie replies that come back
 * (type 3) are counted and the first --verify (default 20) opened.
 *
 * With --cookies every message is new: a source keeps the cookie of the
 * last reply it got and sends with mac2 = MAC(cookie, message up to mac2),
 * as a genuine initiator does; without a usable cookie (none yet, or older
 * than 115 s) it sends a "probe", mac2 all zeros, at most every 0.25 s.
 * --probe-every N makes every Nth message of a source with a cookie a probe
 * too. A responder under load answers a probe with a cookie reply and a
 * message with a valid mac2 never (it goes to the Noise handshake, or is
 * rate limited, and both are silent here), so the replies tell them apart.
 * --cookie-wait S first only probes, until every source holds a cookie
 * (at most S seconds); the run and its figures start after that wait, so
 * that a responder slow to answer probes does not eat the timed part.
 *
 * Opening a reply: XChaCha20-Poly1305 with key HASH("cookie--" || public
 * key), the reply's 24-byte nonce and additional data the mac1 of the
 * message it answers, found by the receiver index (our sender index).
 *
 * --rate is the total rate in messages a second, sent in bursts of --burst
 * (default 1) back to back (sendmmsg); a sender that falls behind skips
 * rather than catches up, so no source ever exceeds its share. --linger S
 * (default 0.5) keeps reading replies after the last send. --progress
 * prints "progress MS SENT REPLIES" about every second while sending.
 *
 * --threads N runs N such flooders side by side, thread i on CPU i (modulo
 * the CPUs there are), each with its own sockets (bound to --port + i if
 * --port is given), seed, and an Nth of the rate, of the burst (so that
 * the bursts keep their period), of --verify and of the IPv4 and IPv6
 * sources (consecutive shares): a flood from many sources arrives on every CPU, and a
 * flooder that shares its victim's CPUs is not held back by one of them.
 * Their progress lines are each their own; the figures at the end are
 * their sums (elapsed_ms the longest).
 *
 * Output at the end (also after SIGTERM or SIGINT), one "NAME VALUE" a line:
 *   sent            messages sent (probes included)
 *   sent_mac2       of them with a mac2 (--cookies)
 *   sent_probe      of them without (all of them without --cookies)
 *   send_errors     messages the kernel refused for want of buffers
 *   skipped         turns of a source that waited for its cookie
 *   replies         cookie replies received
 *   replies_v6      of them over IPv6
 *   replies_probe   of them answering a probe (--cookies)
 *   replies_mac2    of them answering a message with a mac2 (--cookies)
 *   replies_unknown of them answering nothing we sent (or answered twice)
 *   cookies_ok      replies opened whose cookie is authentic
 *   cookies_bad     replies opened that failed authentication
 *   sources_cookie  sources holding a cookie at the end
 *   other           other datagrams received
 *   elapsed_ms      time spent sending (after --cookie-wait)
 *   cookie_wait_ms  time spent waiting for the cookies (--cookie-wait)
 *   rate            messages sent per second
 * Exit status 0; 1 on bad usage or a failed setup or send (such as a source
 * address the kernel refuses), with a message on stderr.
 *
 * --selftest checks BLAKE2s, HChaCha20, Poly1305 and the cookie opening
 * against known answers (RFC 7693, draft-irtf-cfrg-xchacha-03, RFC 8439,
 * and a reply sealed with Python's "cryptography" package).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
typedef unsigned __int128 u128;

enum { MSG_INITIATION = 1, MSG_COOKIE = 3 };
enum { INIT_LEN = 148, MAC1_OFF = 116, MAC2_OFF = 132, MAC_LEN = 16,
       COOKIE_REPLY_LEN = 64 };

#define BATCH		64
#define RING		(1U << 16)	/* messages remembered with --cookies */
#define MAX_SOURCES	65536
#define COOKIE_LIFETIME	115.0		/* 120 s less 5 s of latency */
#define PROBE_INTERVAL	0.25
#define MAX_LAG		0.05
#define CHUNK		256

/* ------------------------------------------------------------------------
 * BLAKE2s (RFC 7693)
 */

struct blake2s {
	u32 h[8];
	u32 t[2];
	u8 buf[64];
	unsigned int buflen, outlen;
};

static const u32 b2s_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static const u8 b2s_sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

static u32 rotr32(u32 x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

static u32 rotl32(u32 x, unsigned int n)
{
	return (x << n) | (x >> (32 - n));
}

static u32 le32(const u8 *p)
{
	return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u64 le64(const u8 *p)
{
	return le32(p) | (u64)le32(p + 4) << 32;
}

static void put_le32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put_le64(u8 *p, u64 v)
{
	put_le32(p, v);
	put_le32(p + 4, v >> 32);
}

static void b2s_compress(struct blake2s *s, const u8 block[64], bool last)
{
	u32 m[16], v[16];
	int i, r;

	for (i = 0; i < 16; i++)
		m[i] = le32(block + 4 * i);
	for (i = 0; i < 8; i++) {
		v[i] = s->h[i];
		v[i + 8] = b2s_iv[i];
	}
	v[12] ^= s->t[0];
	v[13] ^= s->t[1];
	if (last)
		v[14] = ~v[14];

#define G(a, b, c, d, x, y) do {				\
		v[a] += v[b] + (x);				\
		v[d] = rotr32(v[d] ^ v[a], 16);			\
		v[c] += v[d];					\
		v[b] = rotr32(v[b] ^ v[c], 12);			\
		v[a] += v[b] + (y);				\
		v[d] = rotr32(v[d] ^ v[a], 8);			\
		v[c] += v[d];					\
		v[b] = rotr32(v[b] ^ v[c], 7);			\
	} while (0)

	for (r = 0; r < 10; r++) {
		const u8 *sg = b2s_sigma[r];

		G(0, 4, 8, 12, m[sg[0]], m[sg[1]]);
		G(1, 5, 9, 13, m[sg[2]], m[sg[3]]);
		G(2, 6, 10, 14, m[sg[4]], m[sg[5]]);
		G(3, 7, 11, 15, m[sg[6]], m[sg[7]]);
		G(0, 5, 10, 15, m[sg[8]], m[sg[9]]);
		G(1, 6, 11, 12, m[sg[10]], m[sg[11]]);
		G(2, 7, 8, 13, m[sg[12]], m[sg[13]]);
		G(3, 4, 9, 14, m[sg[14]], m[sg[15]]);
	}
#undef G
	for (i = 0; i < 8; i++)
		s->h[i] ^= v[i] ^ v[i + 8];
}

static void b2s_add_count(struct blake2s *s, u32 n)
{
	s->t[0] += n;
	if (s->t[0] < n)
		s->t[1]++;
}

static void b2s_update(struct blake2s *s, const void *data, size_t len)
{
	const u8 *in = data;

	while (len) {
		size_t n;

		/* The last block is compressed by b2s_final(): keep one. */
		if (s->buflen == 64) {
			b2s_add_count(s, 64);
			b2s_compress(s, s->buf, false);
			s->buflen = 0;
		}
		n = 64 - s->buflen;
		if (n > len)
			n = len;
		memcpy(s->buf + s->buflen, in, n);
		s->buflen += n;
		in += n;
		len -= n;
	}
}

static void b2s_init(struct blake2s *s, unsigned int outlen, const u8 *key,
		     unsigned int keylen)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->h, b2s_iv, sizeof(s->h));
	s->h[0] ^= 0x01010000 ^ keylen << 8 ^ outlen;
	s->outlen = outlen;
	if (keylen) {
		u8 block[64] = { 0 };

		memcpy(block, key, keylen);
		b2s_update(s, block, 64);
	}
}

static void b2s_final(struct blake2s *s, u8 *out)
{
	u8 full[32];
	int i;

	b2s_add_count(s, s->buflen);
	memset(s->buf + s->buflen, 0, 64 - s->buflen);
	b2s_compress(s, s->buf, true);
	for (i = 0; i < 8; i++)
		put_le32(full + 4 * i, s->h[i]);
	memcpy(out, full, s->outlen);
}

static void blake2s(u8 *out, unsigned int outlen, const void *in, size_t len,
		    const u8 *key, unsigned int keylen)
{
	struct blake2s s;

	b2s_init(&s, outlen, key, keylen);
	b2s_update(&s, in, len);
	b2s_final(&s, out);
}

/* HASH(label || public key): the mac1 key and the cookie key. */
static void label_key(u8 out[32], const char *label, const u8 pub[32])
{
	struct blake2s s;

	b2s_init(&s, 32, NULL, 0);
	b2s_update(&s, label, 8);
	b2s_update(&s, pub, 32);
	b2s_final(&s, out);
}

/* ------------------------------------------------------------------------
 * ChaCha20, HChaCha20 (RFC 8439, draft-irtf-cfrg-xchacha-03), Poly1305
 */

static void chacha_rounds(u32 x[16])
{
	int i;

#define QR(a, b, c, d) do {					\
		x[a] += x[b]; x[d] = rotl32(x[d] ^ x[a], 16);	\
		x[c] += x[d]; x[b] = rotl32(x[b] ^ x[c], 12);	\
		x[a] += x[b]; x[d] = rotl32(x[d] ^ x[a], 8);	\
		x[c] += x[d]; x[b] = rotl32(x[b] ^ x[c], 7);	\
	} while (0)

	for (i = 0; i < 10; i++) {
		QR(0, 4, 8, 12);
		QR(1, 5, 9, 13);
		QR(2, 6, 10, 14);
		QR(3, 7, 11, 15);
		QR(0, 5, 10, 15);
		QR(1, 6, 11, 12);
		QR(2, 7, 8, 13);
		QR(3, 4, 9, 14);
	}
#undef QR
}

/* The first four state words, then the key: "expand 32-byte k". */
static void chacha_setup(u32 x[16], const u8 key[32])
{
	int i;

	x[0] = 0x61707865;
	x[1] = 0x3320646e;
	x[2] = 0x79622d32;
	x[3] = 0x6b206574;
	for (i = 0; i < 8; i++)
		x[4 + i] = le32(key + 4 * i);
}

static void hchacha20(u8 out[32], const u8 key[32], const u8 nonce[16])
{
	u32 x[16];
	int i;

	chacha_setup(x, key);
	for (i = 0; i < 4; i++)
		x[12 + i] = le32(nonce + 4 * i);
	chacha_rounds(x);
	for (i = 0; i < 4; i++) {
		put_le32(out + 4 * i, x[i]);
		put_le32(out + 16 + 4 * i, x[12 + i]);
	}
}

/* One 64-byte block of key stream; the nonce is 96 bits (RFC 8439). */
static void chacha20_block(u8 out[64], const u8 key[32], u32 counter,
			   const u8 nonce[12])
{
	u32 x[16], init[16];
	int i;

	chacha_setup(init, key);
	init[12] = counter;
	for (i = 0; i < 3; i++)
		init[13 + i] = le32(nonce + 4 * i);
	memcpy(x, init, sizeof(x));
	chacha_rounds(x);
	for (i = 0; i < 16; i++)
		put_le32(out + 4 * i, x[i] + init[i]);
}

struct poly1305 {
	u64 r[3], h[3], s[2];
};

#define M44 ((1ULL << 44) - 1)
#define M42 ((1ULL << 42) - 1)

static void poly1305_init(struct poly1305 *p, const u8 key[32])
{
	u64 t0 = le64(key) & 0x0ffffffc0fffffffULL;
	u64 t1 = le64(key + 8) & 0x0ffffffc0ffffffcULL;

	/* r in three limbs of 44, 44 and 42 bits; h likewise. */
	p->r[0] = t0 & M44;
	p->r[1] = (t0 >> 44 | t1 << 20) & M44;
	p->r[2] = t1 >> 24;
	p->h[0] = p->h[1] = p->h[2] = 0;
	p->s[0] = le64(key + 16);
	p->s[1] = le64(key + 24);
}

/* h = (h + block) * r mod 2^130 - 5; @len < 16 only for the last block. */
static void poly1305_block(struct poly1305 *p, const u8 *in, size_t len)
{
	u64 r0 = p->r[0], r1 = p->r[1], r2 = p->r[2];
	u64 h0 = p->h[0], h1 = p->h[1], h2 = p->h[2];
	u128 d0, d1, d2;
	u8 block[16] = { 0 };
	u64 t0, t1, hibit;
	u64 c;

	memcpy(block, in, len);
	if (len < 16) {
		block[len] = 1;
		hibit = 0;
	} else {
		hibit = 1ULL << 40;	/* 2^128, in the third limb */
	}
	t0 = le64(block);
	t1 = le64(block + 8);
	h0 += t0 & M44;
	h1 += (t0 >> 44 | t1 << 20) & M44;
	h2 += t1 >> 24 | hibit;

	/* 2^132 = 4 * 2^130 = 20 mod p: the limbs that pass it wrap times 20. */
	d0 = (u128)h0 * r0 + (u128)h1 * (r2 * 20) + (u128)h2 * (r1 * 20);
	d1 = (u128)h0 * r1 + (u128)h1 * r0 + (u128)h2 * (r2 * 20);
	d2 = (u128)h0 * r2 + (u128)h1 * r1 + (u128)h2 * r0;

	c = (u64)(d0 >> 44);
	h0 = (u64)d0 & M44;
	d1 += c;
	c = (u64)(d1 >> 44);
	h1 = (u64)d1 & M44;
	d2 += c;
	c = (u64)(d2 >> 42);
	h2 = (u64)d2 & M42;
	h0 += c * 5;
	c = h0 >> 44;
	h0 &= M44;
	h1 += c;

	p->h[0] = h0;
	p->h[1] = h1;
	p->h[2] = h2;
}

static void poly1305_final(struct poly1305 *p, u8 tag[16])
{
	u64 h0 = p->h[0], h1 = p->h[1], h2 = p->h[2];
	u64 g0, g1, g2, c;
	u128 h;

	/* Carry fully, then subtract p if h >= p. */
	c = h1 >> 44;
	h1 &= M44;
	h2 += c;
	c = h2 >> 42;
	h2 &= M42;
	h0 += c * 5;
	c = h0 >> 44;
	h0 &= M44;
	h1 += c;
	c = h1 >> 44;
	h1 &= M44;
	h2 += c;
	c = h2 >> 42;
	h2 &= M42;
	h0 += c * 5;
	c = h0 >> 44;
	h0 &= M44;
	h1 += c;

	g0 = h0 + 5;
	c = g0 >> 44;
	g0 &= M44;
	g1 = h1 + c;
	c = g1 >> 44;
	g1 &= M44;
	g2 = h2 + c - (1ULL << 42);
	if (!(g2 >> 63)) {
		h0 = g0;
		h1 = g1;
		h2 = g2;
	}

	h = (u128)h0 + ((u128)h1 << 44) + ((u128)h2 << 88);
	h += (u128)p->s[0] + ((u128)p->s[1] << 64);
	put_le64(tag, (u64)h);
	put_le64(tag + 8, (u64)(h >> 64));
}

static void poly1305(u8 tag[16], const u8 key[32], const u8 *in, size_t len)
{
	struct poly1305 p;

	poly1305_init(&p, key);
	for (; len >= 16; in += 16, len -= 16)
		poly1305_block(&p, in, 16);
	if (len)
		poly1305_block(&p, in, len);
	poly1305_final(&p, tag);
}

/*
 * XChaCha20-Poly1305 decryption of a 16-byte plaintext with 16 bytes of
 * additional data: exactly a cookie reply's box. True if authentic.
 */
static bool open_cookie(u8 cookie[16], const u8 key[32],
			const u8 reply[COOKIE_REPLY_LEN], const u8 mac1[16])
{
	const u8 *nonce = reply + 8, *box = reply + 32;
	u8 subkey[32], n12[12] = { 0 }, stream[64], mac_in[64], tag[16];
	u8 diff = 0;
	int i;

	hchacha20(subkey, key, nonce);
	memcpy(n12 + 4, nonce + 16, 8);
	chacha20_block(stream, subkey, 0, n12);
	/* AD (16) || ciphertext (16) || le64(16) || le64(16): no padding. */
	memcpy(mac_in, mac1, 16);
	memcpy(mac_in + 16, box, 16);
	put_le64(mac_in + 32, 16);
	put_le64(mac_in + 40, 16);
	poly1305(tag, stream, mac_in, 48);
	for (i = 0; i < 16; i++)
		diff |= tag[i] ^ box[16 + i];
	if (diff)
		return false;
	chacha20_block(stream, subkey, 1, n12);
	for (i = 0; i < 16; i++)
		cookie[i] = box[i] ^ stream[i];
	return true;
}

/* ------------------------------------------------------------------------
 * Known answers
 */

static int unhex(u8 *out, const char *hex)
{
	size_t i, n = strlen(hex) / 2;

	for (i = 0; i < n; i++)
		if (sscanf(hex + 2 * i, "%2hhx", &out[i]) != 1)
			return -1;
	return (int)n;
}

static int expect(const char *what, const u8 *got, const char *want_hex)
{
	u8 want[64];
	int n = unhex(want, want_hex), i;

	if (n > 0 && !memcmp(got, want, n))
		return 0;
	fprintf(stderr, "selftest: %s: got ", what);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%02x", got[i]);
	fprintf(stderr, "\n");
	return 1;
}

static int selftest(void)
{
	u8 key[32], msg[148], out[64], reply[COOKIE_REPLY_LEN], mac1[16];
	int i, bad = 0;

	blake2s(out, 32, "abc", 3, NULL, 0);
	bad |= expect("blake2s(abc)", out,
		      "508c5e8c327c14e2e1a72ba34eeb452f"
		      "37458b209ed63a294d999b4c86675982");
	/* hashlib.blake2s(bytes(range(148)), key=bytes(range(32)),
	 *                 digest_size=16) */
	for (i = 0; i < 148; i++)
		msg[i] = i;
	for (i = 0; i < 32; i++)
		key[i] = i;
	blake2s(out, 16, msg, 148, key, 32);
	bad |= expect("keyed blake2s", out, "33bd6c20ca2a7ab916d6e98003c6c5f8");
	/* hashlib.blake2s(bytes(range(64))): exactly one block. */
	blake2s(out, 32, msg, 64, NULL, 0);
	bad |= expect("blake2s(64 bytes)", out,
		      "56f34e8b96557e90c1f24b52d0c89d51"
		      "086acf1b00f634cf1dde9233b8eaaa3e");
	label_key(out, "mac1----", key);
	bad |= expect("mac1 key", out,
		      "4fb2527ac956001553dc1ad9b55171b7"
		      "d9daa3de1cdbcd71451830170c7e6cac");

	unhex(msg, "000000090000004a0000000031415927");
	hchacha20(out, key, msg);
	bad |= expect("hchacha20", out,
		      "82413b4227b27bfed30e42508a877d73"
		      "a0f9e4d58a74a853c12ec41326d3ecdc");

	unhex(key, "85d6be7857556d337f4452fe42d506a8"
		   "0103808afb0db2fd4abff6af4149f51b");
	poly1305(out, key, (const u8 *)"Cryptographic Forum Research Group",
		 34);
	bad |= expect("poly1305", out, "a8061dc1305136c6c22b8baf0c0127a9");

	/* key bytes(range(32)); nonce bytes(range(0x40, 0x58)); cookie
	 * bytes(range(0x80, 0x90)); ad bytes(range(0xa0, 0xb0)). */
	for (i = 0; i < 32; i++)
		key[i] = i;
	memset(reply, 0, sizeof(reply));
	for (i = 0; i < 24; i++)
		reply[8 + i] = 0x40 + i;
	for (i = 0; i < 16; i++)
		mac1[i] = 0xa0 + i;
	unhex(reply + 32, "54b887f35465ff91077d0d352311eb1d"
			  "f6829d139d5764e0b5d9f0cfcf506c23");
	if (!open_cookie(out, key, reply, mac1)) {
		fprintf(stderr, "selftest: the sealed cookie does not open\n");
		bad = 1;
	} else {
		bad |= expect("cookie", out, "808182838485868788898a8b8c8d8e8f");
	}
	reply[40] ^= 1;
	if (open_cookie(out, key, reply, mac1)) {
		fprintf(stderr, "selftest: a tampered cookie opens\n");
		bad = 1;
	}
	if (!bad)
		printf("ok\n");
	return bad;
}

/* ------------------------------------------------------------------------
 * The flood
 */

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND	78
#endif

enum kind { PROBE, MAC2 };

struct source {
	int family;			/* AF_INET or AF_INET6 */
	struct in_addr v4;
	struct in6_addr v6;
	u8 cookie[MAC_LEN];
	bool has_cookie;
	double cookie_time, last_probe;
	u64 count;			/* messages made */
};

/* A message made with --cookies, found again by its sender index. */
struct flight {
	u8 mac1[MAC_LEN];
	u32 source;
	u8 kind;
	bool live;			/* not answered yet */
};

/* Messages for one socket, sent with one sendmmsg(). */
struct batch {
	int fd;
	unsigned int n;
	const struct source *src[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	u8 data[BATCH][INIT_LEN];
	union {
		struct cmsghdr align;
		u8 buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} control[BATCH];
};

struct stats {
	u64 sent, sent_mac2, sent_probe, send_errors, skipped;
	u64 replies, replies_v6, replies_probe, replies_mac2, replies_unknown;
	u64 cookies_ok, cookies_bad, other;
};

struct hsflood {
	/* options */
	u8 pub[32];
	bool cookies, progress;
	unsigned int probe_every, pool_size, verify, burst, n4, n6;
	double rate, duration, linger, cookie_wait;
	struct sockaddr_in to4;
	struct sockaddr_in6 to6;
	bool has_to4, has_to6;
	struct in_addr src4;
	struct in6_addr src6;
	unsigned int port, threads;
	u64 rng;
	/* state */
	u8 mac1_key[32], cookie_key[32];
	struct source *sources;
	unsigned int nsources;
	u8 (*pool)[INIT_LEN];
	struct flight *ring;
	u64 seq;			/* messages made with --cookies */
	u32 salt;			/* sender index of pool[0] or seq 0 */
	unsigned int verified;
	struct batch b4, b6;
	struct stats st;
	unsigned int holding;		/* sources with a cookie, at the end */
	double elapsed, waited;
};

/* One per thread: each flooder of --threads is a whole one of its own. */
static __thread struct hsflood f;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* splitmix64: the messages need no secret randomness, only variety. */
static u64 rand64(void)
{
	u64 z = (f.rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void random_bytes(u8 *out, size_t len)
{
	while (len) {
		u64 r = rand64();
		size_t n = len < 8 ? len : 8;

		memcpy(out, &r, n);
		out += n;
		len -= n;
	}
}

/* A type 1 message: random but for its type and index, a valid mac1. */
static void make_initiation(u8 msg[INIT_LEN], u32 index)
{
	put_le32(msg, MSG_INITIATION);
	put_le32(msg + 4, index);
	random_bytes(msg + 8, MAC1_OFF - 8);
	blake2s(msg + MAC1_OFF, MAC_LEN, msg, MAC1_OFF, f.mac1_key, 32);
	memset(msg + MAC2_OFF, 0, MAC_LEN);
}

static const char *source_name(const struct source *src)
{
	static __thread char buf[INET6_ADDRSTRLEN];

	if (src->family == AF_INET)
		return inet_ntop(AF_INET, &src->v4, buf, sizeof(buf));
	return inet_ntop(AF_INET6, &src->v6, buf, sizeof(buf));
}

static void die(const char *fmt, const char *arg)
{
	int err = errno;

	fprintf(stderr, "hsflood: ");
	errno = err;
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static void flush(struct batch *b)
{
	unsigned int done = 0;

	while (done < b->n) {
		int r = sendmmsg(b->fd, b->msgs + done, b->n - done, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS && errno != EAGAIN)
				die("sending from %s: %m",
				    source_name(b->src[done]));
			/* That one is lost; go on with the rest. */
			f.st.send_errors++;
			done++;
			continue;
		}
		done += r;
		f.st.sent += r;
	}
	b->n = 0;
}

static void queue_message(const struct source *src, const u8 msg[INIT_LEN])
{
	struct batch *b = src->family == AF_INET ? &f.b4 : &f.b6;
	unsigned int i = b->n++;
	struct msghdr *mh = &b->msgs[i].msg_hdr;
	struct cmsghdr *cm;

	b->src[i] = src;
	memcpy(b->data[i], msg, INIT_LEN);
	b->iov[i].iov_base = b->data[i];
	b->iov[i].iov_len = INIT_LEN;
	memset(mh, 0, sizeof(*mh));
	mh->msg_iov = &b->iov[i];
	mh->msg_iovlen = 1;
	mh->msg_control = b->control[i].buf;
	if (src->family == AF_INET) {
		struct in_pktinfo pi = { .ipi_spec_dst = src->v4 };

		mh->msg_name = &f.to4;
		mh->msg_namelen = sizeof(f.to4);
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = src->v6 };

		mh->msg_name = &f.to6;
		mh->msg_namelen = sizeof(f.to6);
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(mh);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	if (b->n == BATCH)
		flush(b);
}

/* The next message of source @si with --cookies. */
static void send_with_cookies(unsigned int si, double t)
{
	struct source *src = &f.sources[si];
	bool fresh = src->has_cookie && t - src->cookie_time < COOKIE_LIFETIME;
	enum kind kind = MAC2;
	u8 msg[INIT_LEN];
	struct flight *fl;

	if (!fresh || (f.probe_every &&
		       src->count % f.probe_every == f.probe_every - 1)) {
		if (!fresh && t - src->last_probe < PROBE_INTERVAL) {
			f.st.skipped++;
			return;
		}
		src->last_probe = t;
		kind = PROBE;
	}
	src->count++;
	make_initiation(msg, f.salt + (u32)f.seq);
	if (kind == MAC2) {
		blake2s(msg + MAC2_OFF, MAC_LEN, msg, MAC2_OFF, src->cookie,
			MAC_LEN);
		f.st.sent_mac2++;
	} else {
		f.st.sent_probe++;
	}
	fl = &f.ring[f.seq % RING];
	memcpy(fl->mac1, msg + MAC1_OFF, MAC_LEN);
	fl->source = si;
	fl->kind = kind;
	fl->live = true;
	f.seq++;
	queue_message(src, msg);
}

static void on_reply(const u8 *data, unsigned int len, bool v6, double t)
{
	struct source *src = NULL;
	struct flight *fl;
	u8 cookie[MAC_LEN];
	const u8 *mac1;
	u32 d;

	if (len != COOKIE_REPLY_LEN || le32(data) != MSG_COOKIE) {
		f.st.other++;
		return;
	}
	f.st.replies++;
	f.st.replies_v6 += v6;
	d = le32(data + 4) - f.salt;
	if (!f.cookies) {
		if (d >= f.pool_size) {
			f.st.replies_unknown++;
			return;
		}
		/* Only a sample is opened. */
		if (f.verified >= f.verify)
			return;
		f.verified++;
		mac1 = f.pool[d] + MAC1_OFF;
	} else {
		fl = &f.ring[d % RING];
		if (d >= f.seq || f.seq - d > RING || !fl->live) {
			f.st.replies_unknown++;
			return;
		}
		fl->live = false;
		src = &f.sources[fl->source];
		if (fl->kind == MAC2)
			f.st.replies_mac2++;
		else
			f.st.replies_probe++;
		mac1 = fl->mac1;
	}
	if (!open_cookie(cookie, f.cookie_key, data, mac1)) {
		f.st.cookies_bad++;
		return;
	}
	f.st.cookies_ok++;
	if (src) {
		memcpy(src->cookie, cookie, MAC_LEN);
		src->has_cookie = true;
		src->cookie_time = t;
	}
}

static void drain(int fd, bool v6, double t)
{
	static __thread u8 bufs[BATCH][256];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int i, r;

	if (fd < 0)
		return;
	for (;;) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		r = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		for (i = 0; i < r; i++)
			on_reply(bufs[i], msgs[i].msg_len, v6, t);
		if (r < BATCH)
			return;
	}
}

/* Both families: what is batched goes out; the replies come in. */
static void flush_both(void)
{
	flush(&f.b4);
	flush(&f.b6);
}

static void drain_both(double t)
{
	drain(f.b4.fd, false, t);
	drain(f.b6.fd, true, t);
}

/* The sources holding a cookie. */
static unsigned int holders(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < f.nsources; i++)
		n += f.sources[i].has_cookie;
	return n;
}

static int open_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM, 0), one = 1, rcvbuf = 1 << 20;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	int r;

	if (fd < 0)
		die("socket: %m", NULL);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (family == AF_INET6) {
		/* Sources come from a local route, not an address: free bind. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one,
			       sizeof(one)))
			die("IPv6 socket options: %m", NULL);
		a6.sin6_port = htons(f.port);
		r = bind(fd, (struct sockaddr *)&a6, sizeof(a6));
	} else {
		if (setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)))
			die("IP_FREEBIND: %m", NULL);
		a4.sin_port = htons(f.port);
		r = bind(fd, (struct sockaddr *)&a4, sizeof(a4));
	}
	if (r)
		die("bind: %m", NULL);
	return fd;
}

static void parse_dest(const char *arg, int family)
{
	char host[INET6_ADDRSTRLEN + 2], *colon;
	unsigned long port;
	size_t len;

	colon = strrchr(arg, ':');
	len = colon ? (size_t)(colon - arg) : 0;
	if (!colon || len >= sizeof(host))
		die("bad destination %s (ADDR:PORT or [ADDR6]:PORT)", arg);
	memcpy(host, arg, len);
	host[len] = '\0';
	if (host[0] == '[' && len > 1 && host[len - 1] == ']') {
		memmove(host, host + 1, len - 2);
		host[len - 2] = '\0';
	}
	port = strtoul(colon + 1, NULL, 10);
	if (!port || port > 65535)
		die("bad port in %s", arg);
	if (family == AF_INET) {
		f.to4.sin_family = AF_INET;
		f.to4.sin_port = htons(port);
		if (inet_pton(AF_INET, host, &f.to4.sin_addr) != 1)
			die("bad IPv4 destination %s", arg);
		f.has_to4 = true;
	} else {
		f.to6.sin6_family = AF_INET6;
		f.to6.sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &f.to6.sin6_addr) != 1)
			die("bad IPv6 destination %s", arg);
		f.has_to6 = true;
	}
}

static int b64_value(char c)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

/* A WireGuard key: 43 base64 characters and one '='. */
static void parse_key(u8 key[32], const char *arg)
{
	u32 acc = 0;
	int i, bits = 0, n = 0;

	if (strlen(arg) != 44 || arg[43] != '=')
		die("bad key %s", arg);
	for (i = 0; i < 43; i++) {
		int v = b64_value(arg[i]);

		if (v < 0)
			die("bad key %s", arg);
		acc = acc << 6 | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n < 32)
				key[n++] = acc >> bits;
		}
	}
	if (n != 32)
		die("bad key %s", arg);
}

/* The sources, IPv4 and IPv6 interleaved evenly. */
static void make_sources(void)
{
	unsigned int i4 = 0, i6 = 0, n = 0;

	f.nsources = f.n4 + f.n6;
	if (!f.nsources || f.nsources > MAX_SOURCES)
		die("between 1 and 65536 sources (--n4, --n6), please", NULL);
	if (f.n4 && !f.has_to4)
		die("--n4 needs --to4 and --src4", NULL);
	if (f.n6 && !f.has_to6)
		die("--n6 needs --to6 and --src6", NULL);
	f.sources = calloc(f.nsources, sizeof(*f.sources));
	if (!f.sources)
		die("out of memory", NULL);
	while (i4 < f.n4 || i6 < f.n6) {
		struct source *src = &f.sources[n++];

		if (i6 >= f.n6 || (i4 < f.n4 && (u64)i4 * f.n6 <= (u64)i6 * f.n4)) {
			src->family = AF_INET;
			src->v4.s_addr = htonl(ntohl(f.src4.s_addr) + i4++);
		} else {
			u64 hi = 0;
			int b;

			for (b = 0; b < 8; b++)
				hi = hi << 8 | f.src6.s6_addr[b];
			hi += i6++;
			src->family = AF_INET6;
			src->v6 = f.src6;
			for (b = 7; b >= 0; b--, hi >>= 8)
				src->v6.s6_addr[b] = hi;
		}
		src->last_probe = -1e9;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hsflood --pubkey B64 [--to4 ADDR:PORT] [--to6 [ADDR]:PORT]\n"
		"               [--src4 ADDR --n4 N] [--src6 ADDR --n6 N] [--port P]\n"
		"               --rate PPS [--burst N] [--duration S] [--cookies]\n"
		"               [--probe-every N] [--pool N] [--verify N]\n"
		"               [--linger S] [--seed N] [--progress] [--threads N]\n"
		"       hsflood --selftest\n");
	exit(1);
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pubkey", required_argument, NULL, 'k' },
		{ "to4", required_argument, NULL, '4' },
		{ "to6", required_argument, NULL, '6' },
		{ "src4", required_argument, NULL, 'a' },
		{ "src6", required_argument, NULL, 'A' },
		{ "n4", required_argument, NULL, 'n' },
		{ "n6", required_argument, NULL, 'N' },
		{ "port", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "burst", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "cookies", no_argument, NULL, 'c' },
		{ "probe-every", required_argument, NULL, 'e' },
		{ "pool", required_argument, NULL, 'P' },
		{ "verify", required_argument, NULL, 'v' },
		{ "linger", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 's' },
		{ "progress", no_argument, NULL, 'g' },
		{ "threads", required_argument, NULL, 't' },
		{ "cookie-wait", required_argument, NULL, 'W' },
		{ "selftest", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	bool has_key = false;
	int c;

	f.rate = 1000;
	f.burst = 1;
	f.duration = 10;
	f.pool_size = 4096;
	f.verify = 20;
	f.linger = 0.5;
	f.rng = (u64)time(NULL) << 20 ^ (u64)getpid();
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			parse_key(f.pub, optarg);
			has_key = true;
			break;
		case '4':
			parse_dest(optarg, AF_INET);
			break;
		case '6':
			parse_dest(optarg, AF_INET6);
			break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &f.src4) != 1)
				die("bad IPv4 source %s", optarg);
			break;
		case 'A':
			if (inet_pton(AF_INET6, optarg, &f.src6) != 1)
				die("bad IPv6 source %s", optarg);
			break;
		case 'n':
			f.n4 = strtoul(optarg, NULL, 0);
			break;
		case 'N':
			f.n6 = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			f.port = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			f.rate = strtod(optarg, NULL);
			break;
		case 'b':
			f.burst = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			f.duration = strtod(optarg, NULL);
			break;
		case 'c':
			f.cookies = true;
			break;
		case 'e':
			f.probe_every = strtoul(optarg, NULL, 0);
			break;
		case 'P':
			f.pool_size = strtoul(optarg, NULL, 0);
			break;
		case 'v':
			f.verify = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			f.linger = strtod(optarg, NULL);
			break;
		case 's':
			f.rng = strtoull(optarg, NULL, 0);
			break;
		case 'g':
			f.progress = true;
			break;
		case 't':
			f.threads = strtoul(optarg, NULL, 0);
			break;
		case 'W':
			f.cookie_wait = strtod(optarg, NULL);
			break;
		case 'T':
			exit(selftest());
		default:
			usage();
		}
	}
	if (optind != argc || !has_key || !(f.rate > 0) || !f.burst ||
	    !f.pool_size || f.pool_size > 1U << 24 || f.port > 65535 ||
	    f.threads > 1024)
		usage();
}

static void add_stats(struct stats *to, const struct stats *s)
{
	to->sent += s->sent;
	to->sent_mac2 += s->sent_mac2;
	to->sent_probe += s->sent_probe;
	to->send_errors += s->send_errors;
	to->skipped += s->skipped;
	to->replies += s->replies;
	to->replies_v6 += s->replies_v6;
	to->replies_probe += s->replies_probe;
	to->replies_mac2 += s->replies_mac2;
	to->replies_unknown += s->replies_unknown;
	to->cookies_ok += s->cookies_ok;
	to->cookies_bad += s->cookies_bad;
	to->other += s->other;
}

static void print_stats(const struct stats *s, unsigned int holding,
			double elapsed, double waited, bool cookies)
{
	printf("sent %llu\n", (unsigned long long)s->sent);
	printf("sent_mac2 %llu\n", (unsigned long long)s->sent_mac2);
	printf("sent_probe %llu\n", (unsigned long long)
	       (cookies ? s->sent_probe : s->sent));
	printf("send_errors %llu\n", (unsigned long long)s->send_errors);
	printf("skipped %llu\n", (unsigned long long)s->skipped);
	printf("replies %llu\n", (unsigned long long)s->replies);
	printf("replies_v6 %llu\n", (unsigned long long)s->replies_v6);
	printf("replies_probe %llu\n", (unsigned long long)s->replies_probe);
	printf("replies_mac2 %llu\n", (unsigned long long)s->replies_mac2);
	printf("replies_unknown %llu\n",
	       (unsigned long long)s->replies_unknown);
	printf("cookies_ok %llu\n", (unsigned long long)s->cookies_ok);
	printf("cookies_bad %llu\n", (unsigned long long)s->cookies_bad);
	printf("sources_cookie %u\n", holding);
	printf("other %llu\n", (unsigned long long)s->other);
	printf("elapsed_ms %.0f\n", elapsed * 1000);
	printf("cookie_wait_ms %.0f\n", waited * 1000);
	printf("rate %.0f\n", elapsed > 0 ? s->sent / elapsed : 0);
	fflush(stdout);
}

static void wait_for(double until)
{
	struct pollfd pfd[2] = {
		{ .fd = f.b4.fd, .events = POLLIN },
		{ .fd = f.b6.fd, .events = POLLIN },
	};
	double left = until - now();
	struct timespec ts;

	if (left <= 0)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - ts.tv_sec) * 1e9);
	ppoll(pfd, 2, &ts, NULL);
}

/* --cookie-wait: probe until every source holds a cookie, or the wait is
 * over; then the figures start again from zero (the openings excepted).
 */
static void wait_for_cookies(void)
{
	double start = now(), t = start;
	u64 ok, bad;
	unsigned int i;

	while (holders() < f.nsources && t - start < f.cookie_wait && !stop) {
		for (i = 0; i < f.nsources; i++)
			send_with_cookies(i, t);
		flush_both();
		wait_for(t + PROBE_INTERVAL / 4);
		t = now();
		drain_both(t);
	}
	f.waited = t - start;
	ok = f.st.cookies_ok;
	bad = f.st.cookies_bad;
	memset(&f.st, 0, sizeof(f.st));
	f.st.cookies_ok = ok;
	f.st.cookies_bad = bad;
}

/* One flooder, as configured in f: until --duration or a signal. */
static void flood(void)
{
	double start, t, end, period, next_progress;
	u64 slots = 0, turn = 0;
	unsigned int i;

	make_sources();
	label_key(f.mac1_key, "mac1----", f.pub);
	label_key(f.cookie_key, "cookie--", f.pub);
	f.salt = (u32)rand64();
	f.b4.fd = f.n4 ? open_socket(AF_INET) : -1;
	f.b6.fd = f.n6 ? open_socket(AF_INET6) : -1;
	if (f.cookies) {
		f.ring = calloc(RING, sizeof(*f.ring));
		if (!f.ring)
			die("out of memory", NULL);
	} else {
		f.pool = malloc((size_t)f.pool_size * INIT_LEN);
		if (!f.pool)
			die("out of memory", NULL);
		for (i = 0; i < f.pool_size; i++)
			make_initiation(f.pool[i], f.salt + i);
	}

	if (f.cookies && f.cookie_wait > 0)
		wait_for_cookies();
	period = f.burst / f.rate;
	start = now();
	end = start + f.duration;
	next_progress = start + 1;
	t = start;
	while (!stop && t < end) {
		u64 due = (u64)((t - start) / period) + 1, n;

		/* Behind: skip what is late rather than catch up. */
		if (due - slots > 1 + MAX_LAG / period)
			slots = due - 1;
		/* Look at the clock and the replies every CHUNK messages. */
		n = due - slots;
		if (n > 1 && n * f.burst > CHUNK)
			n = CHUNK / f.burst ? CHUNK / f.burst : 1;
		slots += n;
		for (n *= f.burst; n; n--, turn++) {
			unsigned int si = turn % f.nsources;

			if (f.cookies)
				send_with_cookies(si, t);
			else
				queue_message(&f.sources[si],
					      f.pool[turn % f.pool_size]);
		}
		flush_both();
		t = now();
		drain_both(t);
		if (f.progress && t >= next_progress) {
			printf("progress %.0f %llu %llu\n", (t - start) * 1000,
			       (unsigned long long)f.st.sent,
			       (unsigned long long)f.st.replies);
			fflush(stdout);
			next_progress += 1;
		}
		if (!stop)
			wait_for(start + slots * period);
		t = now();
	}
	f.elapsed = t - start;
	end = t + f.linger;
	while (!stop && t < end) {
		drain_both(t);
		wait_for(end);
		t = now();
	}
	drain_both(t);
	f.holding = holders();
}

/* share(N, i, K): how many of N go to thread i of K, and (first) where its
 * share starts.
 */
static unsigned int share(unsigned int n, unsigned int i, unsigned int k,
			  unsigned int *first)
{
	*first = n / k * i + (i < n % k ? i : n % k);
	return n / k + (i < n % k);
}

struct thread {
	pthread_t id;
	unsigned int i;
	const struct hsflood *options;
	struct hsflood result;
};

static void *flood_thread(void *arg)
{
	struct thread *th = arg;
	unsigned int k = th->options->threads, i = th->i, first;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t cpus;
	u64 hi = 0;
	int b;

	f = *th->options;
	f.rate /= k;
	f.burst = (f.burst + k - 1) / k;
	f.rng += (u64)i * 0x9e3779b97f4a7c15ULL;
	f.verify = share(f.verify, i, k, &first);
	if (f.port)
		f.port += i;
	f.n4 = share(th->options->n4, i, k, &first);
	f.src4.s_addr = htonl(ntohl(f.src4.s_addr) + first);
	f.n6 = share(th->options->n6, i, k, &first);
	for (b = 0; b < 8; b++)
		hi = hi << 8 | f.src6.s6_addr[b];
	hi += first;
	for (b = 7; b >= 0; b--, hi >>= 8)
		f.src6.s6_addr[b] = hi;
	CPU_ZERO(&cpus);
	CPU_SET(i % (ncpu > 0 ? ncpu : 1), &cpus);
	pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus);

	flood();
	th->result = f;
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct thread *threads;
	unsigned int i, holding = 0;
	struct stats total = { 0 };
	double elapsed = 0, waited = 0;

	parse_args(argc, argv);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (f.threads <= 1) {
		flood();
		print_stats(&f.st, f.holding, f.elapsed, f.waited, f.cookies);
		return 0;
	}

	if (f.threads > f.n4 + f.n6)
		die("more threads than sources", NULL);
	threads = calloc(f.threads, sizeof(*threads));
	if (!threads)
		die("out of memory", NULL);
	for (i = 0; i < f.threads; i++) {
		threads[i].i = i;
		threads[i].options = &f;
		if (pthread_create(&threads[i].id, NULL, flood_thread,
				   &threads[i]))
			die("cannot start a thread", NULL);
	}
	for (i = 0; i < f.threads; i++) {
		pthread_join(threads[i].id, NULL);
		add_stats(&total, &threads[i].result.st);
		holding += threads[i].result.holding;
		if (threads[i].result.elapsed > elapsed)
			elapsed = threads[i].result.elapsed;
		if (threads[i].result.waited > waited)
			waited = threads[i].result.waited;
	}
	print_stats(&total, holding, elapsed, waited, f.cookies);
	return 0;
}
