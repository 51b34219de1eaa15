// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/*
 * pktpath-inject: sends the frames of a classic pcap file (Ethernet link
 * type, either byte order, micro- or nanosecond magic) out of one interface
 * through an AF_PACKET SOCK_RAW socket, so they leave the guest's sender NIC
 * exactly as captured (the capture's Ethernet header included).  Built with
 * gcc -static and run inside the test guest.
 *
 *   pktpath-inject [-r FRAMES_PER_S] [-n PASSES] [-c MAX_FRAMES] IFACE FILE
 *   pktpath-inject -w [-r FRAMES_PER_S] [-n PASSES] [-c MAX_FRAMES] PATH FILE
 *
 * -w writes each frame with one write() to PATH (a virtual device's wire
 *    file, examples/kernel/driver) instead of sending it; a failed open or
 *    write counts in "errors", and PATH is opened again for the next frame
 *    (the device may have been reloaded).
 * -r paces the frames at that rate (absolute deadlines, so a late frame does
 *    not delay the rest); 0 or absent sends as fast as the socket takes them.
 *    Measured under TCG (6.1 and 6.12, 1 or 2 vCPUs, 60-byte frames): the
 *    rate holds at 500 and 1000 frames/s; asked for 2000 it gave 1400-2000,
 *    for 4000 only 1000-2300, less than unpaced (2500-25000, depending on
 *    the load of the host): a frame sent into an idle link costs a queue
 *    kick and interrupts that a burst shares.
 * -n sends the whole file that many times (default 1).
 * -c stops after that many frames in all.
 *
 * The socket is blocking and bound with protocol 0, so it receives nothing
 * and send() waits while the socket's send buffer is full.  A send failing
 * with ENOBUFS (the device queue dropped it) is retried after 50 us, up to
 * 1000 times, and counted in "retries"; any other failure (EMSGSIZE: frame
 * longer than the MTU plus the Ethernet header) counts in "errors" and the
 * frame is skipped.
 *
 * Prints one line to stdout, key=value pairs a script can source:
 *   sent=N errors=N retries=N bytes=N file_frames=N elapsed_ns=N frames_per_s=N
 * "sent" counts frames the kernel accepted (send() returned their length).
 * Exits 0 when every frame was sent, 1 when any failed, 2 on bad usage or an
 * unreadable file.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct rec {
	const uint8_t *data;
	uint32_t len;
};

static uint32_t rd32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {.tv_sec = (time_t)(t / 1000000000u), .tv_nsec = (long)(t % 1000000000u)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Reads FILE whole and indexes its records; returns the record count or -1. */
static long load(const char *path, uint8_t **buf, struct rec **recs)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t n, off, got = 0;
	long count = 0, cap = 1024;
	int swap;
	uint32_t magic;

	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "pktpath-inject: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = (size_t)st.st_size;
	*buf = malloc(n ? n : 1);
	*recs = malloc((size_t)cap * sizeof(**recs));
	if (!*buf || !*recs) {
		fprintf(stderr, "pktpath-inject: out of memory\n");
		return -1;
	}
	while (got < n) {
		ssize_t r = read(fd, *buf + got, n - got);

		if (r <= 0) {
			fprintf(stderr, "pktpath-inject: %s: read failed\n", path);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	if (n < 24) {
		fprintf(stderr, "pktpath-inject: %s: too short for a pcap header\n", path);
		return -1;
	}
	memcpy(&magic, *buf, 4);
	if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
		swap = 0;
	else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u)
		swap = 1;
	else {
		fprintf(stderr, "pktpath-inject: %s: not a classic pcap file (pcapng is not read here)\n", path);
		return -1;
	}
	if (rd32(*buf + 20, swap) != 1) {
		fprintf(stderr, "pktpath-inject: %s: link type %u, only Ethernet (1) is sent\n", path,
			rd32(*buf + 20, swap));
		return -1;
	}
	for (off = 24; off < n;) {
		uint32_t caplen;

		if (n - off < 16) {
			fprintf(stderr, "pktpath-inject: %s: truncated record header at %zu\n", path, off);
			return -1;
		}
		caplen = rd32(*buf + off + 8, swap);
		if (caplen > n - off - 16) {
			fprintf(stderr, "pktpath-inject: %s: truncated record at %zu\n", path, off);
			return -1;
		}
		if (count == cap) {
			struct rec *r;

			cap *= 2;
			r = realloc(*recs, (size_t)cap * sizeof(**recs));
			if (!r) {
				fprintf(stderr, "pktpath-inject: out of memory\n");
				return -1;
			}
			*recs = r;
		}
		(*recs)[count].data = *buf + off + 16;
		(*recs)[count].len = caplen;
		count++;
		off += 16 + (size_t)caplen;
	}
	return count;
}

/* An AF_PACKET socket bound to IFACE for sending, or -1 (the reason on stderr). */
static int packet_socket(const char *iface)
{
	unsigned ifindex = if_nametoindex(iface);
	struct sockaddr_ll sll;
	int fd;

	if (!ifindex) {
		fprintf(stderr, "pktpath-inject: no interface %s\n", iface);
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "pktpath-inject: socket: %s\n", strerror(errno));
		return -1;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)ifindex;
	sll.sll_protocol = 0; /* send only: no receive hook */
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		fprintf(stderr, "pktpath-inject: bind %s: %s\n", iface, strerror(errno));
		return -1;
	}
	return fd;
}

/* One frame out: a write to the wire file (fd -1: it could not be opened) or a send on the socket. */
static ssize_t put(int fd, int to_path, const struct rec *r)
{
	if (fd < 0) {
		errno = ENODEV;
		return -1;
	}
	return to_path ? write(fd, r->data, r->len) : send(fd, r->data, r->len, 0);
}

static int usage(void)
{
	fprintf(stderr, "usage: pktpath-inject [-w] [-r FRAMES_PER_S] [-n PASSES] [-c MAX_FRAMES] IFACE|PATH FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	double rate = 0;
	unsigned long passes = 1, max = 0;
	unsigned long long sent = 0, errors = 0, retries = 0, bytes = 0, i = 0;
	struct rec *recs;
	uint8_t *buf;
	int opt, fd, first_errno = 0;
	long count;
	uint64_t t0, t1, gap = 0;
	int to_path = 0;

	while ((opt = getopt(argc, argv, "wr:n:c:")) != -1) {
		switch (opt) {
		case 'w':
			to_path = 1;
			break;
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 'n':
			passes = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			max = strtoul(optarg, NULL, 10);
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 2 || rate < 0)
		return usage();
	if (to_path) {
		count = load(argv[optind + 1], &buf, &recs);
		if (count < 0)
			return 2;
		/* Not there yet is a failed write like any other: the device may come. */
		fd = open(argv[optind], O_WRONLY | O_CLOEXEC);
	} else {
		fd = packet_socket(argv[optind]);
		if (fd < 0)
			return 2;
		count = load(argv[optind + 1], &buf, &recs);
		if (count < 0)
			return 2;
	}

	if (rate > 0)
		gap = (uint64_t)(1e9 / rate);
	t0 = now_ns();
	for (unsigned long p = 0; p < passes; p++) {
		for (long k = 0; k < count; k++, i++) {
			const struct rec *r = &recs[k];
			int tries = 0;

			if (max && i >= max)
				goto done;
			if (gap)
				sleep_until(t0 + i * gap);
			for (;;) {
				ssize_t w = put(fd, to_path, r);

				if (w == (ssize_t)r->len) {
					sent++;
					bytes += r->len;
					break;
				}
				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0 && errno == ENOBUFS && tries < 1000) {
					tries++;
					retries++;
					sleep_until(now_ns() + 50000);
					continue;
				}
				if (!first_errno)
					first_errno = w < 0 ? errno : EIO;
				errors++;
				if (to_path) {
					if (fd >= 0)
						close(fd);
					fd = open(argv[optind], O_WRONLY | O_CLOEXEC);
				}
				break;
			}
		}
	}
done:
	t1 = now_ns();
	if (first_errno)
		fprintf(stderr, "pktpath-inject: %llu frames failed, the first with: %s\n", errors,
			strerror(first_errno));
	printf("sent=%llu errors=%llu retries=%llu bytes=%llu file_frames=%ld elapsed_ns=%llu frames_per_s=%.0f\n",
	       sent, errors, retries, bytes, count, (unsigned long long)(t1 - t0),
	       t1 > t0 ? (double)sent * 1e9 / (double)(t1 - t0) : 0.0);
	if (fd >= 0)
		close(fd);
	free(recs);
	free(buf);
	return errors ? 1 : 0;
}
