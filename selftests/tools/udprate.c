// SPDX-License-Identifier: GPL-2.0
/*
 * udprate - small UDP datagrams as fast as one thread can send them, and
 * a receiver that counts what arrives: packets per second through a path.
 *
 * usage: udprate send ADDR:PORT [--len BYTES] [--secs S] [--batch N]
 *        udprate recv PORT [--idle S] [--max S]
 *
 *   send  sends datagrams of --len (default 64) payload bytes to ADDR:PORT
 *         (IPv4) for --secs (default 10) seconds, --batch (default 32) per
 *         sendmmsg(); the socket blocks when its buffer is full, so a slow
 *         path holds the sender back rather than the sender dropping.
 *         Prints "sent N", "elapsed_ms N", "pps N".
 *   recv  binds 0.0.0.0:PORT and counts datagrams until none came for --idle
 *         (default 1) seconds after the first one, or --max (default 60)
 *         seconds in all, or SIGTERM/SIGINT. Prints "received N",
 *         "window_ms N" (first to last datagram) and "pps N" (received over
 *         that window: what got through per second while traffic flowed).
 *
 * Build: gcc -O2 -o udprate udprate.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 256

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

static void usage(void)
{
	fprintf(stderr, "usage: udprate send ADDR:PORT [--len BYTES] [--secs S] [--batch N]\n"
			"       udprate recv PORT [--idle S] [--max S]\n");
	exit(1);
}

static int do_send(const char *to, int len, double secs, int batch)
{
	static char payload[MAX_BATCH][1500];
	struct mmsghdr mm[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	char host[64];
	const char *colon = strrchr(to, ':');
	unsigned long long sent = 0;
	double t0, t;
	int fd, i;

	if (!colon || colon - to >= (int)sizeof(host) || len < 0 || len > 1500 ||
	    batch < 1 || batch > MAX_BATCH)
		usage();
	memcpy(host, to, colon - to);
	host[colon - to] = 0;
	if (inet_pton(AF_INET, host, &dst.sin_addr) != 1)
		usage();
	dst.sin_port = htons(atoi(colon + 1));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		perror("udprate: socket");
		return 1;
	}
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < batch; i++) {
		iov[i].iov_base = payload[i];
		iov[i].iov_len = len;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now();
	do {
		int n = sendmmsg(fd, mm, batch, 0);

		if (n < 0 && errno != ENOBUFS && errno != EINTR &&
		    errno != ECONNREFUSED) {
			perror("udprate: sendmmsg");
			return 1;
		}
		if (n > 0)
			sent += n;
		t = now();
	} while (t - t0 < secs && !stop);
	printf("sent %llu\nelapsed_ms %.0f\npps %.0f\n", sent,
	       (t - t0) * 1000, sent / (t - t0));
	return 0;
}

static int do_recv(int port, double idle, double max)
{
	static char buf[MAX_BATCH][2048];
	struct sockaddr_in me = { .sin_family = AF_INET };
	struct mmsghdr mm[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	unsigned long long got = 0;
	double t0 = now(), first = 0, last = 0;
	int fd, i, rcvbuf = 4 << 20;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	me.sin_port = htons(port);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me))) {
		perror("udprate: bind");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < MAX_BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	/* Tell the caller we listen (it starts the sender after this line). */
	printf("listening\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double t = now();
		int n;

		if (t - t0 >= max || (got && t - last >= idle))
			break;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recvmmsg(fd, mm, MAX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		last = now();
		if (!got)
			first = last;
		got += n;
	}
	printf("received %llu\nwindow_ms %.0f\npps %.0f\n", got,
	       (last - first) * 1000,
	       last > first ? (got - 1) / (last - first) : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	double secs = 10, idle = 1, max = 60;
	int len = 64, batch = 32, a;
	struct sigaction sa = { .sa_handler = on_signal };

	if (argc < 3)
		usage();
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (a = 3; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--len"))
			len = atoi(argv[a + 1]);
		else if (!strcmp(argv[a], "--secs"))
			secs = atof(argv[a + 1]);
		else if (!strcmp(argv[a], "--batch"))
			batch = atoi(argv[a + 1]);
		else if (!strcmp(argv[a], "--idle"))
			idle = atof(argv[a + 1]);
		else if (!strcmp(argv[a], "--max"))
			max = atof(argv[a + 1]);
		else
			usage();
	}
	if (a != argc)
		usage();
	if (!strcmp(argv[1], "send"))
		return do_send(argv[2], len, secs, batch);
	if (!strcmp(argv[1], "recv"))
		return do_recv(atoi(argv[2]), idle, max);
	usage();
	return 1;
}
