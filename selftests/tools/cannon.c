// SPDX-License-Identifier: GPL-2.0
/*
 * cannon - fire malformed WireGuard datagrams at a live device's UDP port.
 *
 * usage: cannon [-n COUNT] [-s SEED] [-p PCAP] [-b [ADDR:]PORT]
 *               [-g EVERY:USEC] [-m MAX] ADDR:PORT
 *
 *   ADDR:PORT     the target: 192.0.2.1:51820 or [2001:db8::1]:51820
 *   -n COUNT      datagrams to send (default 100000)
 *   -s SEED       seed of the generator (default 1): the same seed and
 *                 capture give the same datagrams in the same order
 *   -p PCAP       a classic pcap file (Ethernet, Linux cooked v1/v2 or raw
 *                 IP) of real WireGuard messages the target received: those
 *                 sent to the target's port are the raw material of the
 *                 replayed, truncated, extended, bit-flipped, re-indexed and
 *                 re-countered variants. Their data messages' receiver
 *                 indices are taken to be the target's live keypairs, their
 *                 handshake messages to carry a mac1 good for the target.
 *   -b [ADDR:]PORT send from this source port (and address)
 *   -g EVERY:USEC pause USEC microseconds after every EVERY datagrams
 *   -m MAX        at most MAX datagrams that pass mac1 and so cost the
 *                 target a Diffie-Hellman (replayed initiations; default 500)
 *
 * Every datagram gets the drop cause the target should count for it, derived
 * from its bytes the way the module classifies a datagram (receive.c):
 * shorter than a type word, a type 1..4 message of the wrong size, or type 0
 * -> rx_bad_length; a type above 4 -> rx_bad_type; a handshake message whose
 * mac1 is not the one captured -> rx_bad_mac1; a real one (replayed, or
 * changed in mac2 only) -> rx_bad_handshake; a data message or a cookie reply
 * for an index that is not live -> rx_unknown_index; a cookie reply for a
 * live index -> rx_bad_handshake; a data message for a live index ->
 * rx_replay if it is a byte-exact copy of a captured one, else
 * rx_decrypt_failed. This holds while the target is not under load (no
 * handshake or decrypt queue overflowing) and the captured keypair stays
 * live.
 *
 * Output, one "NAME VALUE" pair a line: "sent N", "failed N" (sendto
 * errors, not counted anywhere else), "elapsed_ms N", "pcap N" (messages
 * taken from the capture), "kind KIND N" per generator and "expect CAUSE N"
 * per predicted drop cause, CAUSE named as in `ethtool -S`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REAL	512
#define MAX_DGRAM	4000

enum { T_INIT = 1, T_RESP = 2, T_COOKIE = 3, T_DATA = 4 };
enum { LEN_INIT = 148, LEN_RESP = 92, LEN_COOKIE = 64, LEN_DATA_MIN = 32,
       LEN_MACS = 32, LEN_MAC2 = 16 };

static const unsigned int type_len[] = {
	[T_INIT] = LEN_INIT, [T_RESP] = LEN_RESP, [T_COOKIE] = LEN_COOKIE,
};

enum cause {
	C_BAD_LENGTH, C_BAD_TYPE, C_BAD_MAC1, C_BAD_HANDSHAKE,
	C_UNKNOWN_INDEX, C_DECRYPT_FAILED, C_REPLAY, C_COUNT
};

static const char *const cause_name[C_COUNT] = {
	[C_BAD_LENGTH] = "rx_bad_length",
	[C_BAD_TYPE] = "rx_bad_type",
	[C_BAD_MAC1] = "rx_bad_mac1",
	[C_BAD_HANDSHAKE] = "rx_bad_handshake",
	[C_UNKNOWN_INDEX] = "rx_unknown_index",
	[C_DECRYPT_FAILED] = "rx_decrypt_failed",
	[C_REPLAY] = "rx_replay",
};

enum kind {
	K_RANDOM, K_TYPED, K_RESERVED, K_BADLEN, K_HS_RANDOM, K_DATA_RANDOM,
	K_COOKIE, K_TRUNCATED, K_EXTENDED, K_BITFLIP, K_REPLAY, K_REINDEX,
	K_RECOUNTER, K_COUNT
};

static const struct {
	const char *name;
	unsigned int weight;	/* per mille */
	int needs_real;
} kinds[K_COUNT] = {
	[K_RANDOM]	= { "random", 200, 0 },
	[K_TYPED]	= { "typed", 150, 0 },
	[K_RESERVED]	= { "reserved", 30, 0 },
	[K_BADLEN]	= { "badlen", 120, 0 },
	[K_HS_RANDOM]	= { "hs_random", 80, 0 },
	[K_DATA_RANDOM]	= { "data_random", 100, 0 },
	[K_COOKIE]	= { "cookie", 30, 0 },
	[K_TRUNCATED]	= { "truncated", 80, 1 },
	[K_EXTENDED]	= { "extended", 30, 1 },
	[K_BITFLIP]	= { "bitflip", 120, 1 },
	[K_REPLAY]	= { "replay", 30, 1 },
	[K_REINDEX]	= { "reindex", 20, 1 },
	[K_RECOUNTER]	= { "recounter", 10, 1 },
};

struct real {
	unsigned char *buf;
	unsigned int len;
};

static struct real reals[MAX_REAL];
static unsigned int nreals, ndata_reals;
static uint32_t live_idx[MAX_REAL];
static unsigned int nlive;

/* splitmix64: small, fast and the same everywhere. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static void rnd_fill(unsigned char *p, size_t len)
{
	while (len) {
		uint64_t r = rnd();
		size_t n = len < 8 ? len : 8;

		memcpy(p, &r, n);
		p += n;
		len -= n;
	}
}

static uint32_t get_le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static int is_live(uint32_t idx)
{
	unsigned int i;

	for (i = 0; i < nlive; ++i)
		if (live_idx[i] == idx)
			return 1;
	return 0;
}

/* An index that is no live one. */
static uint32_t dead_index(void)
{
	uint32_t idx;

	do
		idx = rnd();
	while (is_live(idx));
	return idx;
}

/*
 * The cause the target counts for @buf, derived from @src, the captured
 * message it was made from (or NULL): only bytes equal to a captured
 * message's authenticate, and only an unchanged mac1 passes.
 */
static enum cause predict(const unsigned char *buf, unsigned int len,
			  const struct real *src)
{
	unsigned int same = 0;
	uint32_t type;

	if (src && src->len == len)
		while (same < len && buf[same] == src->buf[same])
			++same;
	if (len < 4)
		return C_BAD_LENGTH;
	type = get_le32(buf);
	switch (type) {
	case T_INIT:
	case T_RESP:
		if (len != type_len[type])
			return C_BAD_LENGTH;
		return src && same >= len - LEN_MAC2 ? C_BAD_HANDSHAKE :
						       C_BAD_MAC1;
	case T_COOKIE:
		if (len != LEN_COOKIE)
			return C_BAD_LENGTH;
		return is_live(get_le32(buf + 4)) ? C_BAD_HANDSHAKE :
						    C_UNKNOWN_INDEX;
	case T_DATA:
		if (len < LEN_DATA_MIN)
			return C_BAD_LENGTH;
		if (!is_live(get_le32(buf + 4)))
			return C_UNKNOWN_INDEX;
		return src && same == len ? C_REPLAY : C_DECRYPT_FAILED;
	case 0:
		return C_BAD_LENGTH;
	}
	return C_BAD_TYPE;
}

/* A length for random bytes: mostly small, some up to a few frames. */
static unsigned int random_len(void)
{
	unsigned int r = below(1000);

	if (r < 700)
		return below(65);
	if (r < 950)
		return 64 + below(193);
	if (r < 999)
		return 256 + below(1145);
	return 1400 + below(MAX_DGRAM - 1400 + 1);
}

static const struct real *pick_real(int data_only)
{
	unsigned int i, n = data_only ? ndata_reals : nreals;

	i = below(n);
	if (!data_only)
		return &reals[i];
	for (n = 0; n < nreals; ++n)
		if (get_le32(reals[n].buf) == T_DATA && !i--)
			return &reals[n];
	return NULL;
}

/* Makes one datagram of @kind into @buf; returns its length. */
static unsigned int generate(enum kind kind, unsigned char *buf,
			     const struct real **srcp)
{
	const struct real *src = NULL;
	unsigned int len, type, i, n;
	uint64_t counter;

	switch (kind) {
	case K_RANDOM:
		len = random_len();
		rnd_fill(buf, len);
		break;
	case K_TYPED:
		/* A plausible type word, any length; now and then the right one. */
		type = below(8);
		len = random_len();
		if (type >= T_INIT && type <= T_COOKIE && below(4) == 0)
			len = type_len[type];
		rnd_fill(buf, len);
		if (len >= 4)
			put_le32(buf, type);
		break;
	case K_RESERVED:
		/* The right size for a type, but the zero bytes are not. */
		type = T_INIT + below(4);
		len = type == T_DATA ? LEN_DATA_MIN + below(200) : type_len[type];
		rnd_fill(buf, len);
		put_le32(buf, type | (1 + below(0xffffff)) << 8);
		break;
	case K_BADLEN:
		type = T_INIT + below(4);
		if (type == T_DATA)
			len = below(LEN_DATA_MIN);
		else
			do
				len = below(type_len[type] + 33);
			while (len == type_len[type]);
		rnd_fill(buf, len);
		if (len >= 4)
			put_le32(buf, type);
		break;
	case K_HS_RANDOM:
		type = below(2) ? T_INIT : T_RESP;
		len = type_len[type];
		rnd_fill(buf, len);
		put_le32(buf, type);
		break;
	case K_DATA_RANDOM:
		len = LEN_DATA_MIN + 16 * below(90);
		rnd_fill(buf, len);
		put_le32(buf, T_DATA);
		put_le32(buf + 4, dead_index());
		break;
	case K_COOKIE:
		len = LEN_COOKIE;
		rnd_fill(buf, len);
		put_le32(buf, T_COOKIE);
		put_le32(buf + 4, nlive && below(2) ? live_idx[below(nlive)] :
						     dead_index());
		break;
	case K_TRUNCATED:
		src = pick_real(0);
		len = below(src->len);
		memcpy(buf, src->buf, len);
		break;
	case K_EXTENDED:
		src = pick_real(0);
		n = 1 + below(16);
		memcpy(buf, src->buf, src->len);
		rnd_fill(buf + src->len, n);
		len = src->len + n;
		break;
	case K_BITFLIP:
		/* One to three distinct bits anywhere, type word included. */
		src = pick_real(0);
		len = src->len;
		memcpy(buf, src->buf, len);
		n = 1 + below(3);
		for (i = 0; i < n; ++i) {
			unsigned int bit = below(len * 8);

			if ((buf[bit / 8] ^ src->buf[bit / 8]) & 1 << (bit % 8)) {
				--i;	/* that one is flipped already */
				continue;
			}
			buf[bit / 8] ^= 1 << (bit % 8);
		}
		break;
	case K_REPLAY:
		src = pick_real(0);
		len = src->len;
		memcpy(buf, src->buf, len);
		break;
	case K_REINDEX:
		/* A real data message (else a handshake) for another index. */
		src = pick_real(ndata_reals != 0);
		len = src->len;
		memcpy(buf, src->buf, len);
		put_le32(buf + 4, dead_index());
		break;
	case K_RECOUNTER:
		/* Authentic bytes under a counter they were not sealed with. */
		src = pick_real(ndata_reals != 0);
		len = src->len;
		memcpy(buf, src->buf, len);
		if (get_le32(buf) != T_DATA || len < 16)
			break;
		memcpy(&counter, buf + 8, 8);
		counter ^= 1 + (rnd() & ((1ULL << 48) - 1));
		memcpy(buf + 8, &counter, 8);
		break;
	default:
		len = 0;
	}
	*srcp = src;
	return len;
}

/* ------------------------------------------------------------------ */
/* Classic pcap                                                        */

static uint32_t rd32(const unsigned char *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* The UDP payload of the IP packet at @ip for @port, or NULL. */
static const unsigned char *udp_payload(const unsigned char *ip,
					unsigned int len, uint16_t port,
					unsigned int *plen)
{
	const unsigned char *udp;
	unsigned int hl, ulen;

	if (len < 1)
		return NULL;
	if (ip[0] >> 4 == 4) {
		hl = (ip[0] & 15) * 4;
		/* No fragments: the whole datagram or nothing. */
		if (len < 20 || hl < 20 || len < hl + 8 || ip[9] != 17 ||
		    ((ip[6] << 8 | ip[7]) & 0x3fff))
			return NULL;
	} else if (ip[0] >> 4 == 6) {
		hl = 40;
		if (len < hl + 8 || ip[6] != 17)
			return NULL;
	} else {
		return NULL;
	}
	udp = ip + hl;
	ulen = udp[4] << 8 | udp[5];
	if ((udp[2] << 8 | udp[3]) != port || ulen < 8 || ulen > len - hl)
		return NULL;
	*plen = ulen - 8;
	return udp + 8;
}

static int load_pcap(const char *path, uint16_t port)
{
	unsigned char hdr[24], rec[16], *frame = NULL;
	unsigned int link, off, etype, caplen, origlen, plen;
	const unsigned char *p;
	uint32_t magic, type;
	FILE *f;
	int swap;

	f = fopen(path, "rb");
	if (!f || fread(hdr, 1, 24, f) != 24)
		goto bad;
	memcpy(&magic, hdr, 4);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = 1;
	else
		goto bad;
	link = rd32(hdr + 20, swap) & 0x0fffffff;
	frame = malloc(1 << 18);
	if (!frame)
		goto bad;
	while (fread(rec, 1, 16, f) == 16) {
		caplen = rd32(rec + 8, swap);
		origlen = rd32(rec + 12, swap);
		if (caplen > 1 << 18 || fread(frame, 1, caplen, f) != caplen)
			break;
		if (caplen != origlen)
			continue;	/* cut short by the snap length */
		switch (link) {
		case 1:		/* Ethernet, maybe one VLAN tag */
			off = 14;
			etype = caplen >= 14 ? frame[12] << 8 | frame[13] : 0;
			if (etype == 0x8100 && caplen >= 18) {
				off = 18;
				etype = frame[16] << 8 | frame[17];
			}
			if (etype != 0x0800 && etype != 0x86dd)
				continue;
			break;
		case 113:	/* Linux cooked v1 */
			off = 16;
			break;
		case 276:	/* Linux cooked v2 */
			off = 20;
			break;
		case 12: case 101: case 228: case 229:	/* raw IP */
			off = 0;
			break;
		default:
			fprintf(stderr, "cannon: pcap link type %u unsupported\n",
				link);
			goto bad;
		}
		if (caplen < off)
			continue;
		p = udp_payload(frame + off, caplen - off, port, &plen);
		if (!p || plen < 4 || plen > MAX_DGRAM || nreals == MAX_REAL)
			continue;
		/* Cookie replies are left out: a replay may be accepted. */
		type = get_le32(p);
		if (type != T_INIT && type != T_RESP && type != T_DATA)
			continue;
		if (type == T_DATA ? plen < LEN_DATA_MIN : plen != type_len[type])
			continue;
		reals[nreals].buf = malloc(plen);
		if (!reals[nreals].buf)
			goto bad;
		memcpy(reals[nreals].buf, p, plen);
		reals[nreals].len = plen;
		if (type == T_DATA) {
			++ndata_reals;
			if (!is_live(get_le32(p + 4)))
				live_idx[nlive++] = get_le32(p + 4);
		}
		++nreals;
	}
	free(frame);
	fclose(f);
	return 0;
bad:
	fprintf(stderr, "cannon: cannot read pcap %s\n", path);
	free(frame);
	if (f)
		fclose(f);
	return -1;
}

/* ------------------------------------------------------------------ */

/* "ADDR:PORT", "[ADDR6]:PORT" or just "PORT" (with @need_addr 0). */
static int parse_addr(const char *s, struct sockaddr_storage *ss,
		      socklen_t *sslen, int need_addr)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	unsigned long port;
	char *end;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	port = strtoul(colon ? colon + 1 : s, &end, 10);
	if (*end || end == (colon ? colon + 1 : s) || port > 65535)
		return -1;
	n = colon ? (size_t)(colon - s) : 0;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		++s;
		n -= 2;
	}
	if (n >= sizeof(host) || (need_addr && !n))
		return -1;
	memcpy(host, s, n);
	host[n] = 0;
	if (!n) {
		/* The family is fixed later, from the target's. */
		s4->sin_family = AF_UNSPEC;
		s4->sin_port = htons(port);
		*sslen = 0;
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*sslen = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*sslen = sizeof(*s6);
		return 0;
	}
	return -1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: cannon [-n COUNT] [-s SEED] [-p PCAP] [-b [ADDR:]PORT]\n"
		"              [-g EVERY:USEC] [-m MAX] ADDR:PORT\n");
	exit(2);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	unsigned long count = 100000, seed = 1, sent = 0, failed = 0;
	unsigned long every = 0, usec = 0, max_mac1 = 500, mac1_ok = 0;
	unsigned long kind_n[K_COUNT] = { 0 }, cause_n[C_COUNT] = { 0 };
	struct sockaddr_storage dst, src;
	unsigned int weight_sum = 0, i;
	socklen_t dstlen, srclen = 0;
	const char *pcap = NULL, *bind_to = NULL;
	unsigned char buf[MAX_DGRAM + 16];
	uint64_t start;
	int opt, fd;

	while ((opt = getopt(argc, argv, "n:s:p:b:g:m:")) != -1) {
		switch (opt) {
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			pcap = optarg;
			break;
		case 'b':
			bind_to = optarg;
			break;
		case 'g':
			if (sscanf(optarg, "%lu:%lu", &every, &usec) != 2)
				usage();
			break;
		case 'm':
			max_mac1 = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || parse_addr(argv[optind], &dst, &dstlen, 1))
		usage();
	if (bind_to && parse_addr(bind_to, &src, &srclen, 0))
		usage();
	rng_state = seed;

	{
		struct sockaddr_in *d4 = (struct sockaddr_in *)&dst;

		if (pcap && load_pcap(pcap, ntohs(d4->sin_port)))
			return 1;
	}

	fd = socket(dst.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("cannon: socket");
		return 1;
	}
	if (bind_to) {
		int one = 1;

		if (src.ss_family == AF_UNSPEC) {
			/* Port only: the wildcard address of the target's family. */
			src.ss_family = dst.ss_family;
			srclen = dst.ss_family == AF_INET ?
				 sizeof(struct sockaddr_in) :
				 sizeof(struct sockaddr_in6);
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&src, srclen)) {
			perror("cannon: bind");
			return 1;
		}
	}

	for (i = 0; i < K_COUNT; ++i)
		if (!kinds[i].needs_real || nreals)
			weight_sum += kinds[i].weight;

	start = now_ms();
	while (sent < count) {
		const struct real *from;
		unsigned int len, r, tries;
		enum kind kind;
		enum cause cause;

		/* The kind by weight, among those the capture allows. */
		r = below(weight_sum);
		for (kind = 0; kind < K_COUNT; ++kind) {
			if (kinds[kind].needs_real && !nreals)
				continue;
			if (r < kinds[kind].weight)
				break;
			r -= kinds[kind].weight;
		}
		len = generate(kind, buf, &from);
		cause = predict(buf, len, from);
		/* Past the budget, Noise-bound messages are not sent. */
		if (cause == C_BAD_HANDSHAKE && get_le32(buf) != T_COOKIE &&
		    mac1_ok >= max_mac1)
			continue;

		for (tries = 0; tries < 1000; ++tries) {
			if (sendto(fd, buf, len, 0, (struct sockaddr *)&dst,
				   dstlen) == (ssize_t)len)
				break;
			if (errno != ENOBUFS && errno != EAGAIN &&
			    errno != EINTR && errno != ECONNREFUSED) {
				tries = 1000;
				break;
			}
			usleep(1000);
		}
		if (tries == 1000) {
			if (!failed++)
				perror("cannon: sendto");
			if (failed > 100 && failed > sent)
				break;
			continue;
		}
		++sent;
		++kind_n[kind];
		++cause_n[cause];
		if (cause == C_BAD_HANDSHAKE && get_le32(buf) != T_COOKIE)
			++mac1_ok;
		if (every && sent % every == 0)
			usleep(usec);
	}

	printf("sent %lu\nfailed %lu\nelapsed_ms %llu\npcap %u\n", sent, failed,
	       (unsigned long long)(now_ms() - start), nreals);
	for (i = 0; i < K_COUNT; ++i)
		printf("kind %s %lu\n", kinds[i].name, kind_n[i]);
	for (i = 0; i < C_COUNT; ++i)
		printf("expect %s %lu\n", cause_name[i], cause_n[i]);
	close(fd);
	return failed ? 1 : 0;
}
