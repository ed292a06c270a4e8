// SPDX-License-Identifier: GPL-2.0
/*
 * handshaker - complete real WireGuard handshakes with one device as many
 * different peers, so that each of them holds a live, confirmed session.
 *
 * usage: handshaker pubkeys --peers N [--seed S]
 *        handshaker run --pubkey B64 --to ADDR:PORT --src ADDR --peers N
 *                   [--seed S] [--port P] [--pubs FILE] [--window W]
 *                   [--retry-ms MS] [--attempts N] [--progress]
 *        handshaker --selftest
 *
 * Peer i (0 <= i < N) has the private key BLAKE2s-256 of the seed and i
 * (clamped), the same in both modes, so that
 *
 *   pubkeys  prints the N public keys, base64, one a line, in order: the
 *            peers to configure on the device under test;
 *   run      acts as each peer in turn, as an initiator (protocol sheet,
 *            "Handshake"): sends a type 1 initiation from source address
 *            --src + i (an IPv4 address; the caller makes the range local,
 *            e.g. `ip route add local 10.201.0.0/16 dev lo`) and UDP port
 *            --port (default 40000) to the device's ADDR:PORT, opens the
 *            device's type 2 response, derives the transport keys and sends
 *            one keepalive (a type 4 data message with an empty plaintext),
 *            which confirms the responder's new keypair. Nothing else is
 *            answered. --pubs FILE reads the public keys from a file that
 *            `pubkeys` wrote (computing them costs one X25519 each).
 *
 * All initiations share one ephemeral key, made at the start: the responder
 * cannot tell, and it saves two X25519 a handshake (three remain: static
 * with the responder's static, then both with its ephemeral), which counts
 * under emulation. At most --window (default 16) handshakes are in flight; one unanswered
 * for --retry-ms (default 2000) is sent again with a new ephemeral key and
 * timestamp, up to --attempts (default 10) times. A cookie reply (type 3:
 * the device is under load) is opened and the initiation sent again at
 * once with mac2.
 *
 * Output at the end, one "NAME VALUE" a line: done (handshakes completed,
 * keepalive sent), failed (out of attempts), sent (initiations), retries,
 * cookies, bad (responses that did not open), other (datagrams of another
 * kind, e.g. the device's keepalives), elapsed_ms, rate (handshakes a
 * second). Exit status 0 when every peer completed, 1 otherwise.
 *
 * Crypto: X25519 and ChaCha20-Poly1305 from OpenSSL 3 (libcrypto);
 * BLAKE2s (RFC 7693), HMAC, the KDF and HChaCha20 here. --selftest checks
 * them against known answers (RFC 7693, RFC 8439, RFC 7748,
 * draft-irtf-cfrg-xchacha-03).
 *
 * Build: gcc -O2 -o handshaker handshaker.c -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
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

#define KEY_LEN		32
#define TAG_LEN		16
#define INIT_LEN	148
#define RESP_LEN	92
#define COOKIE_LEN	64
#define KEEPALIVE_LEN	32

static const char construction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const char identifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

static void die(const char *what)
{
	fprintf(stderr, "handshaker: %s\n", what);
	exit(1);
}

/* ------------------------------------------------------------------------
 * BLAKE2s (RFC 7693), keyed and unkeyed, outputs up to 32 bytes.
 */
struct b2s {
	u32 h[8], t[2];
	u8 buf[64];
	unsigned int fill, outlen;
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

static u32 ror(u32 x, int n)
{
	return x >> n | x << (32 - n);
}

static u32 get32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static void put32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void put64(u8 *p, u64 v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static void b2s_block(struct b2s *s, const u8 *blk, bool final)
{
	u32 v[16], m[16];
	int r, i;

	for (i = 0; i < 16; i++)
		m[i] = get32(blk + 4 * i);
	for (i = 0; i < 8; i++) {
		v[i] = s->h[i];
		v[i + 8] = b2s_iv[i];
	}
	v[12] ^= s->t[0];
	v[13] ^= s->t[1];
	if (final)
		v[14] = ~v[14];
#define MIX(a, b, c, d, x, y) do {				\
		v[a] += v[b] + (x); v[d] = ror(v[d] ^ v[a], 16);	\
		v[c] += v[d];       v[b] = ror(v[b] ^ v[c], 12);	\
		v[a] += v[b] + (y); v[d] = ror(v[d] ^ v[a], 8);	\
		v[c] += v[d];       v[b] = ror(v[b] ^ v[c], 7);	\
	} while (0)
	for (r = 0; r < 10; r++) {
		const u8 *z = b2s_sigma[r];

		MIX(0, 4, 8, 12, m[z[0]], m[z[1]]);
		MIX(1, 5, 9, 13, m[z[2]], m[z[3]]);
		MIX(2, 6, 10, 14, m[z[4]], m[z[5]]);
		MIX(3, 7, 11, 15, m[z[6]], m[z[7]]);
		MIX(0, 5, 10, 15, m[z[8]], m[z[9]]);
		MIX(1, 6, 11, 12, m[z[10]], m[z[11]]);
		MIX(2, 7, 8, 13, m[z[12]], m[z[13]]);
		MIX(3, 4, 9, 14, m[z[14]], m[z[15]]);
	}
#undef MIX
	for (i = 0; i < 8; i++)
		s->h[i] ^= v[i] ^ v[i + 8];
}

static void b2s_count(struct b2s *s, u32 n)
{
	s->t[0] += n;
	if (s->t[0] < n)
		s->t[1]++;
}

static void b2s_init(struct b2s *s, unsigned int outlen, const u8 *key,
		     unsigned int keylen)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->h, b2s_iv, sizeof(s->h));
	s->h[0] ^= 0x01010000 ^ keylen << 8 ^ outlen;
	s->outlen = outlen;
	if (keylen) {
		memcpy(s->buf, key, keylen);
		s->fill = 64;
	}
}

static void b2s_update(struct b2s *s, const void *data, size_t len)
{
	const u8 *p = data;

	while (len) {
		size_t n;

		/* The last block is kept back for the final compression. */
		if (s->fill == 64) {
			b2s_count(s, 64);
			b2s_block(s, s->buf, false);
			s->fill = 0;
		}
		n = 64 - s->fill;
		if (n > len)
			n = len;
		memcpy(s->buf + s->fill, p, n);
		s->fill += n;
		p += n;
		len -= n;
	}
}

static void b2s_final(struct b2s *s, u8 *out)
{
	u8 full[32];
	int i;

	b2s_count(s, s->fill);
	memset(s->buf + s->fill, 0, 64 - s->fill);
	b2s_block(s, s->buf, true);
	for (i = 0; i < 8; i++)
		put32(full + 4 * i, s->h[i]);
	memcpy(out, full, s->outlen);
}

/* HASH(a || b) */
static void hash2(u8 out[32], const void *a, size_t alen, const void *b,
		  size_t blen)
{
	struct b2s s;

	b2s_init(&s, 32, NULL, 0);
	b2s_update(&s, a, alen);
	b2s_update(&s, b, blen);
	b2s_final(&s, out);
}

/* MAC(key, x): keyed BLAKE2s, 16 bytes. */
static void mac16(u8 out[16], const u8 *key, unsigned int keylen,
		  const void *x, size_t len)
{
	struct b2s s;

	b2s_init(&s, 16, key, keylen);
	b2s_update(&s, x, len);
	b2s_final(&s, out);
}

/* HMAC-BLAKE2s of (x || y), a 32-byte key. */
static void hmac(u8 out[32], const u8 key[32], const void *x, size_t xlen,
		 const void *y, size_t ylen)
{
	u8 pad[64], inner[32];
	struct b2s s;
	int i;

	memset(pad, 0, sizeof(pad));
	memcpy(pad, key, 32);
	for (i = 0; i < 64; i++)
		pad[i] ^= 0x36;
	b2s_init(&s, 32, NULL, 0);
	b2s_update(&s, pad, 64);
	b2s_update(&s, x, xlen);
	b2s_update(&s, y, ylen);
	b2s_final(&s, inner);
	for (i = 0; i < 64; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	b2s_init(&s, 32, NULL, 0);
	b2s_update(&s, pad, 64);
	b2s_update(&s, inner, 32);
	b2s_final(&s, out);
}

/* KDFn(key, x) for n = 1..3: out[0..n-1]. */
static void kdf(u8 (*out)[32], int n, const u8 key[32], const void *x,
		size_t len)
{
	u8 t0[32], prev[33];
	int i;

	hmac(t0, key, x, len, NULL, 0);
	for (i = 0; i < n; i++) {
		u8 ctr = i + 1;

		if (i == 0)
			hmac(out[0], t0, &ctr, 1, NULL, 0);
		else
			hmac(out[i], t0, prev, 32, &ctr, 1);
		memcpy(prev, out[i], 32);
	}
}

/* ------------------------------------------------------------------------
 * X25519 and ChaCha20-Poly1305 through OpenSSL; HChaCha20 here.
 */
static bool x25519(u8 out[32], const u8 priv[32], const u8 pub[32])
{
	EVP_PKEY *k, *p = NULL;
	EVP_PKEY_CTX *c = NULL;
	size_t len = 32;
	bool ok = false;

	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
	if (!k)
		return false;
	if (!pub) {
		ok = EVP_PKEY_get_raw_public_key(k, out, &len) > 0;
		EVP_PKEY_free(k);
		return ok;
	}
	p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, 32);
	c = EVP_PKEY_CTX_new(k, NULL);
	ok = p && c && EVP_PKEY_derive_init(c) > 0 &&
		EVP_PKEY_derive_set_peer(c, p) > 0 &&
		EVP_PKEY_derive(c, out, &len) > 0 && len == 32;
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(p);
	EVP_PKEY_free(k);
	return ok;
}

static void clamp(u8 k[32])
{
	k[0] &= 248;
	k[31] = (k[31] & 127) | 64;
}

/*
 * AEAD(key, counter, in, ad) of the protocol sheet: ChaCha20-Poly1305 with
 * the nonce 4 zero bytes || counter (LE). Seal writes len + 16 bytes; open
 * reads len bytes (tag included) and writes len - 16.
 */
static bool aead(bool seal, u8 *out, const u8 key[32], u64 ctr,
		 const u8 *in, size_t len, const u8 *ad, size_t adlen)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	u8 nonce[12] = { 0 };
	size_t plen = seal ? len : len - TAG_LEN;
	int n;
	bool ok;

	if (!seal && len < TAG_LEN)
		return false;
	put64(nonce + 4, ctr);
	ok = c && EVP_CipherInit_ex(c, EVP_chacha20_poly1305(), NULL, key,
				     nonce, seal) > 0;
	if (ok && !seal)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
					 (void *)(in + plen)) > 0;
	if (ok && adlen)
		ok = EVP_CipherUpdate(c, NULL, &n, ad, adlen) > 0;
	if (ok && plen)
		ok = EVP_CipherUpdate(c, out, &n, in, plen) > 0;
	if (ok)
		ok = EVP_CipherFinal_ex(c, out + plen, &n) > 0;
	if (ok && seal)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG_LEN,
					 out + plen) > 0;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

static void hchacha20(u8 out[32], const u8 key[32], const u8 nonce[16])
{
	u32 x[16];
	int i;

	x[0] = 0x61707865;
	x[1] = 0x3320646e;
	x[2] = 0x79622d32;
	x[3] = 0x6b206574;
	for (i = 0; i < 8; i++)
		x[4 + i] = get32(key + 4 * i);
	for (i = 0; i < 4; i++)
		x[12 + i] = get32(nonce + 4 * i);
#define QR(a, b, c, d) do {						\
		x[a] += x[b]; x[d] = ror(x[d] ^ x[a], 16);		\
		x[c] += x[d]; x[b] = ror(x[b] ^ x[c], 20);		\
		x[a] += x[b]; x[d] = ror(x[d] ^ x[a], 24);		\
		x[c] += x[d]; x[b] = ror(x[b] ^ x[c], 25);		\
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
	for (i = 0; i < 4; i++) {
		put32(out + 4 * i, x[i]);
		put32(out + 16 + 4 * i, x[12 + i]);
	}
}

/* XAEAD open: 16-byte cookie out of 32 bytes in. */
static bool xaead_open(u8 *out, const u8 key[32], const u8 nonce[24],
		       const u8 *in, size_t len, const u8 *ad, size_t adlen)
{
	u8 sub[32];
	u64 ctr = 0;
	int i;

	hchacha20(sub, key, nonce);
	for (i = 7; i >= 0; i--)
		ctr = ctr << 8 | nonce[16 + i];
	return aead(false, out, sub, ctr, in, len, ad, adlen);
}

/* ------------------------------------------------------------------------
 * Known answers.
 */
static int unhex(u8 *out, const char *hex)
{
	int n = 0;

	while (hex[0] && hex[1]) {
		unsigned int b;

		if (sscanf(hex, "%2x", &b) != 1)
			return -1;
		out[n++] = b;
		hex += 2;
	}
	return n;
}

static int expect(const char *what, const u8 *got, const char *want)
{
	u8 w[128];
	int n = unhex(w, want);

	if (memcmp(got, w, n)) {
		printf("not ok - %s\n", what);
		return 1;
	}
	printf("ok - %s\n", what);
	return 0;
}

static int selftest(void)
{
	u8 key[32], buf[256], out[256], nonce[16];
	struct b2s s;
	int i, fails = 0;

	hash2(out, "abc", 3, NULL, 0);
	fails += expect("BLAKE2s-256(\"abc\") (RFC 7693)", out,
		"508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	/* Keyed, over two blocks and more, in uneven pieces. */
	for (i = 0; i < 32; i++)
		key[i] = i;
	for (i = 0; i < 200; i++)
		buf[i] = i;
	b2s_init(&s, 32, key, 32);
	b2s_update(&s, buf, 7);
	b2s_update(&s, buf + 7, 121);
	b2s_update(&s, buf + 128, 72);
	b2s_final(&s, out);
	/* hashlib.blake2s(bytes(range(200)), key=bytes(range(32))) */
	fails += expect("keyed BLAKE2s, 200 bytes in pieces", out,
		"13c88480a5d00d6c8c7ad2110d76a82d9b70f4fa6696d4e5dd42a066dcaf9920");
	/* hmac.new(bytes(range(32)), b"abc", hashlib.blake2s) */
	hmac(out, key, "ab", 2, "c", 1);
	fails += expect("HMAC-BLAKE2s", out,
		"82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f");
	/* RFC 7748 section 6.1 */
	unhex(key, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	x25519(out, key, NULL);
	fails += expect("X25519 public key (RFC 7748)", out,
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	unhex(buf, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	x25519(out, key, buf);
	fails += expect("X25519 shared secret (RFC 7748)", out,
		"4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	/* draft-irtf-cfrg-xchacha-03, 2.2.1 */
	for (i = 0; i < 32; i++)
		key[i] = i;
	unhex(nonce, "000000090000004a0000000031415927");
	hchacha20(out, key, nonce);
	fails += expect("HChaCha20 (draft-irtf-cfrg-xchacha-03)", out,
		"82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
	/* Seal and open round trip, a flipped bit refused. */
	memcpy(buf, "sunscreen", 9);
	aead(true, out, key, 7, buf, 9, key, 5);
	fails += !aead(false, buf, key, 7, out, 9 + TAG_LEN, key, 5) ||
		memcmp(buf, "sunscreen", 9);
	out[3] ^= 1;
	fails += aead(false, buf, key, 7, out, 9 + TAG_LEN, key, 5);
	printf("%s - ChaCha20-Poly1305 round trip\n", fails ? "not ok" : "ok");
	return fails ? 1 : 0;
}

/* ------------------------------------------------------------------------
 * Peers and the handshake.
 */
enum { IDLE, SENT, DONE, FAILED };

struct peer {
	u8 priv[32], pub[32];
	u8 ss[32];		/* DH(our static, the responder's static) */
	bool has_ss;
	u8 ck[32], h[32];	/* chaining key and hash after the initiation */
	u8 mac1[16];		/* of the last initiation, for a cookie reply */
	u8 cookie[16];
	bool has_cookie;
	int state, attempts;
	u32 index;		/* our sender index in this attempt */
	double sent_at;
};

static struct {
	u8 seed[32];
	u8 rpub[32];		/* the responder's static public key */
	u8 ck0[32], h0[32];	/* the initial chaining key and hash */
	u8 mac1_key[32], cookie_key[32];
	/* The shared ephemeral, and C, H, k after its step of the initiation. */
	u8 eph[32], epub[32], ck_e[32], h_e[32], k_e[32];
	struct sockaddr_in to;
	u32 src;		/* first source address, host order */
	unsigned int port, peers, window, attempts, retry_ms;
	const char *pubs;
	bool progress;
	u32 salt;
	int fd;
	struct peer *p;
	u64 sent, retries, cookies, bad, other, done, failed;
} g = {
	.port = 40000, .window = 16, .attempts = 10, .retry_ms = 2000,
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void random_bytes(u8 *out, size_t len)
{
	FILE *f = fopen("/dev/urandom", "r");

	if (!f || fread(out, 1, len, f) != len)
		die("cannot read /dev/urandom");
	fclose(f);
}

static void peer_key(u8 priv[32], unsigned int i)
{
	u8 idx[4];

	put32(idx, i);
	hash2(priv, g.seed, 32, idx, 4);
	clamp(priv);
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void to_b64(char out[45], const u8 k[32])
{
	int i, o = 0;

	for (i = 0; i < 33; i += 3) {
		u32 v = k[i] << 16 | (i + 1 < 32 ? k[i + 1] << 8 : 0) |
			(i + 2 < 32 ? k[i + 2] : 0);

		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < 32 ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < 32 ? b64[v & 63] : '=';
	}
	out[44] = 0;
}

static bool from_b64(u8 k[32], const char *s)
{
	u32 acc = 0;
	int bits = 0, n = 0;

	if (strlen(s) < 44 || s[43] != '=')
		return false;
	for (; *s && *s != '='; s++) {
		const char *c = strchr(b64, *s);

		if (!c || !*s)
			return false;
		acc = acc << 6 | (c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == 32)
				return false;
			k[n++] = acc >> bits;
		}
	}
	return n == 32;
}

static void tai64n(u8 out[12])
{
	struct timespec ts;
	u64 secs;
	u32 ns;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	secs = 0x400000000000000aULL + ts.tv_sec;
	ns = ts.tv_nsec;
	for (i = 0; i < 8; i++)
		out[i] = secs >> (56 - 8 * i);
	for (i = 0; i < 4; i++)
		out[8 + i] = ns >> (24 - 8 * i);
}

static void send_from(unsigned int i, const u8 *msg, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))] = { 0 };
	struct iovec iov = { (void *)msg, len };
	struct msghdr mh = {
		.msg_name = &g.to, .msg_namelen = sizeof(g.to),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	struct in_pktinfo *pi;

	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(*pi));
	pi = (struct in_pktinfo *)CMSG_DATA(cm);
	pi->ipi_spec_dst.s_addr = htonl(g.src + i);
	while (sendmsg(g.fd, &mh, 0) < 0) {
		if (errno == ENOBUFS || errno == EAGAIN) {
			usleep(1000);
			continue;
		}
		perror("handshaker: sendmsg");
		exit(1);
	}
}

/* The ephemeral's step of the initiation, the same for every peer. */
static void ephemeral(void)
{
	u8 dh[32], k[2][32];

	random_bytes(g.eph, 32);
	clamp(g.eph);
	if (!x25519(g.epub, g.eph, NULL))
		die("X25519 failed");
	kdf(k, 1, g.ck0, g.epub, 32);
	memcpy(g.ck_e, k[0], 32);
	hash2(g.h_e, g.h0, 32, g.epub, 32);
	if (!x25519(dh, g.eph, g.rpub))
		die("X25519 with the responder's key failed");
	kdf(k, 2, g.ck_e, dh, 32);
	memcpy(g.ck_e, k[0], 32);
	memcpy(g.k_e, k[1], 32);
}

/* Protocol sheet, "Initiator builds type 1". */
static void initiate(unsigned int i)
{
	struct peer *p = &g.p[i];
	u8 msg[INIT_LEN] = { 1 }, k[2][32], ts[12];

	p->index = i ^ g.salt;
	put32(msg + 4, p->index);
	memcpy(msg + 8, g.epub, 32);

	aead(true, msg + 40, g.k_e, 0, p->pub, 32, g.h_e, 32);
	hash2(p->h, g.h_e, 32, msg + 40, 48);

	if (!p->has_ss && !x25519(p->ss, p->priv, g.rpub))
		die("X25519 with the responder's key failed");
	p->has_ss = true;
	kdf(k, 2, g.ck_e, p->ss, 32);
	memcpy(p->ck, k[0], 32);
	tai64n(ts);
	aead(true, msg + 88, k[1], 0, ts, 12, p->h, 32);
	hash2(p->h, p->h, 32, msg + 88, 28);

	mac16(msg + 116, g.mac1_key, 32, msg, 116);
	memcpy(p->mac1, msg + 116, 16);
	if (p->has_cookie)
		mac16(msg + 132, p->cookie, 16, msg, 132);

	send_from(i, msg, sizeof(msg));
	p->state = SENT;
	p->attempts++;
	p->sent_at = now();
	g.sent++;
}

static struct peer *by_index(const u8 *idx, unsigned int *i)
{
	*i = get32(idx) ^ g.salt;
	if (*i >= g.peers || g.p[*i].state != SENT ||
	    g.p[*i].index != get32(idx))
		return NULL;
	return &g.p[*i];
}

/* The responder's type 2; then one keepalive on the new keys. */
static void on_response(const u8 *msg)
{
	u8 dh[32], k[3][32], ck[32], h[32], empty[1], ka[KEEPALIVE_LEN] = { 4 };
	unsigned int i;
	struct peer *p = by_index(msg + 8, &i);

	if (!p) {
		g.other++;
		return;
	}
	memcpy(ck, p->ck, 32);
	kdf(k, 1, ck, msg + 12, 32);
	memcpy(ck, k[0], 32);
	hash2(h, p->h, 32, msg + 12, 32);
	if (!x25519(dh, g.eph, msg + 12)) {
		g.bad++;
		return;
	}
	kdf(k, 1, ck, dh, 32);
	memcpy(ck, k[0], 32);
	if (!x25519(dh, p->priv, msg + 12)) {
		g.bad++;
		return;
	}
	kdf(k, 1, ck, dh, 32);
	memcpy(ck, k[0], 32);
	memset(dh, 0, 32);		/* no preshared key */
	kdf(k, 3, ck, dh, 32);
	memcpy(ck, k[0], 32);
	hash2(h, h, 32, k[1], 32);
	if (!aead(false, empty, k[2], 0, msg + 44, TAG_LEN, h, 32)) {
		g.bad++;
		return;
	}
	/* (send, receive) = KDF2(C, empty); the keepalive: counter 0. */
	kdf(k, 2, ck, NULL, 0);
	memcpy(ka + 4, msg + 4, 4);	/* the responder's sender index */
	aead(true, ka + 16, k[0], 0, NULL, 0, NULL, 0);
	send_from(i, ka, sizeof(ka));
	p->state = DONE;
	g.done++;
}

static void on_cookie(const u8 *msg)
{
	unsigned int i;
	struct peer *p = by_index(msg + 4, &i);

	g.cookies++;
	if (!p || !xaead_open(p->cookie, g.cookie_key, msg + 8, msg + 32, 32,
			      p->mac1, 16)) {
		g.bad++;
		return;
	}
	p->has_cookie = true;
	g.retries++;
	initiate(i);
}

static void drain(void)
{
	u8 buf[1500];
	ssize_t n;

	while ((n = recv(g.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (n == RESP_LEN && get32(buf) == 2)
			on_response(buf);
		else if (n == COOKIE_LEN && get32(buf) == 3)
			on_cookie(buf);
		else
			g.other++;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: handshaker pubkeys --peers N [--seed S]\n"
		"       handshaker run --pubkey B64 --to ADDR:PORT --src ADDR --peers N\n"
		"                  [--seed S] [--port P] [--pubs FILE] [--window W]\n"
		"                  [--retry-ms MS] [--attempts N] [--progress]\n"
		"       handshaker --selftest\n");
	exit(1);
}

static void load_pubs(void)
{
	char line[128];
	unsigned int i = 0;
	FILE *f = fopen(g.pubs, "r");

	if (!f)
		die("cannot open the --pubs file");
	while (i < g.peers && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!from_b64(g.p[i].pub, line))
			die("bad key in the --pubs file");
		i++;
	}
	fclose(f);
	if (i < g.peers)
		die("too few keys in the --pubs file");
}

static void run(void)
{
	struct sockaddr_in me = { .sin_family = AF_INET };
	double t0 = now(), last_progress = t0;
	unsigned int next = 0, s, *slot;
	int one = 1;

	g.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (g.fd < 0)
		die("socket");
	setsockopt(g.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	me.sin_port = htons(g.port);
	if (bind(g.fd, (struct sockaddr *)&me, sizeof(me)))
		die("cannot bind --port");
	/* The handshakes in flight, by peer number; g.peers = a free slot. */
	slot = malloc(g.window * sizeof(*slot));
	if (!slot)
		die("out of memory");
	for (s = 0; s < g.window; s++)
		slot[s] = g.peers;

	while (g.done + g.failed < g.peers) {
		struct pollfd pfd = { .fd = g.fd, .events = POLLIN };
		double t = now();

		for (s = 0; s < g.window; s++) {
			struct peer *p = slot[s] < g.peers ? &g.p[slot[s]] : NULL;

			if (p && p->state == SENT &&
			    t - p->sent_at >= g.retry_ms / 1000.0) {
				if (p->attempts < (int)g.attempts) {
					g.retries++;
					initiate(slot[s]);
					continue;
				}
				p->state = FAILED;
				g.failed++;
			}
			if ((!p || p->state != SENT) && next < g.peers) {
				slot[s] = next;
				initiate(next++);
			} else if (p && p->state != SENT) {
				slot[s] = g.peers;
			}
		}
		poll(&pfd, 1, 5);
		drain();
		if (g.progress && t - last_progress >= 5) {
			fprintf(stderr, "progress %.0f s: %llu done, %llu sent\n",
				t - t0, (unsigned long long)g.done,
				(unsigned long long)g.sent);
			last_progress = t;
		}
	}
	free(slot);
	t0 = now() - t0;
	printf("done %llu\nfailed %llu\nsent %llu\nretries %llu\ncookies %llu\n"
	       "bad %llu\nother %llu\nelapsed_ms %.0f\nrate %.1f\n",
	       (unsigned long long)g.done, (unsigned long long)g.failed,
	       (unsigned long long)g.sent, (unsigned long long)g.retries,
	       (unsigned long long)g.cookies, (unsigned long long)g.bad,
	       (unsigned long long)g.other, t0 * 1000, g.done / t0);
}

int main(int argc, char **argv)
{
	const char *mode, *seed = "handshaker";
	bool have_key = false, have_to = false, have_src = false;
	unsigned int i;
	int a;

	if (argc < 2)
		usage();
	mode = argv[1];
	if (!strcmp(mode, "--selftest"))
		return selftest();
	for (a = 2; a < argc; a++) {
		const char *o = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(o, "--progress")) {
			g.progress = true;
			continue;
		}
		if (!v)
			usage();
		a++;
		if (!strcmp(o, "--peers")) {
			g.peers = strtoul(v, NULL, 0);
		} else if (!strcmp(o, "--seed")) {
			seed = v;
		} else if (!strcmp(o, "--pubkey")) {
			if (!from_b64(g.rpub, v))
				die("bad --pubkey");
			have_key = true;
		} else if (!strcmp(o, "--to")) {
			char host[64];
			const char *colon = strrchr(v, ':');

			if (!colon || colon - v >= (int)sizeof(host))
				die("bad --to");
			memcpy(host, v, colon - v);
			host[colon - v] = 0;
			g.to.sin_family = AF_INET;
			g.to.sin_port = htons(atoi(colon + 1));
			if (inet_pton(AF_INET, host, &g.to.sin_addr) != 1)
				die("bad --to");
			have_to = true;
		} else if (!strcmp(o, "--src")) {
			struct in_addr in;

			if (inet_pton(AF_INET, v, &in) != 1)
				die("bad --src");
			g.src = ntohl(in.s_addr);
			have_src = true;
		} else if (!strcmp(o, "--port")) {
			g.port = atoi(v);
		} else if (!strcmp(o, "--pubs")) {
			g.pubs = v;
		} else if (!strcmp(o, "--window")) {
			g.window = atoi(v);
		} else if (!strcmp(o, "--retry-ms")) {
			g.retry_ms = atoi(v);
		} else if (!strcmp(o, "--attempts")) {
			g.attempts = atoi(v);
		} else {
			usage();
		}
	}
	if (!g.peers || !g.window)
		usage();
	hash2(g.seed, seed, strlen(seed), NULL, 0);
	if (!strcmp(mode, "pubkeys")) {
		u8 priv[32], pub[32];
		char out[45];

		for (i = 0; i < g.peers; i++) {
			peer_key(priv, i);
			if (!x25519(pub, priv, NULL))
				die("X25519 failed");
			to_b64(out, pub);
			printf("%s\n", out);
		}
		return 0;
	}
	if (strcmp(mode, "run") || !have_key || !have_to || !have_src)
		usage();
	if (g.peers > 1u << 20)
		die("at most 2^20 peers");
	g.p = calloc(g.peers, sizeof(*g.p));
	if (!g.p)
		die("out of memory");

	for (i = 0; i < g.peers; i++) {
		peer_key(g.p[i].priv, i);
		if (!g.pubs && !x25519(g.p[i].pub, g.p[i].priv, NULL))
			die("X25519 failed");
	}
	if (g.pubs)
		load_pubs();
	/* Protocol sheet: C, H from the construction; mac1 and cookie keys. */
	hash2(g.ck0, construction, strlen(construction), NULL, 0);
	hash2(g.h0, g.ck0, 32, identifier, strlen(identifier));
	hash2(g.h0, g.h0, 32, g.rpub, 32);
	hash2(g.mac1_key, "mac1----", 8, g.rpub, 32);
	hash2(g.cookie_key, "cookie--", 8, g.rpub, 32);
	ephemeral();
	random_bytes((u8 *)&g.salt, sizeof(g.salt));
	/* Indices stay unique: the peer number in the low bits, unchanged. */
	g.salt &= ~0u << 20;
	run();
	return g.done == g.peers ? 0 : 1;
}
