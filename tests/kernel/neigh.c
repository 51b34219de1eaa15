// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/*
 * pktpath-neigh: adds (or replaces) a permanent neighbour entry, IPv4 or
 * IPv6, over rtnetlink (RTM_NEWNEIGH, NUD_PERMANENT).  The guest's busybox
 * "ip neigh" can only show and flush, and busybox arp is IPv4 only; this is
 * the static guest helper for both families.
 *
 *   pktpath-neigh IFACE ADDRESS MAC
 *
 * Exits 0 when the kernel acknowledged the entry, 1 with its error, 2 on bad
 * usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct req {
	struct nlmsghdr nh;
	struct ndmsg ndm;
	char attrs[64];
};

static void add_attr(struct req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

int main(int argc, char **argv)
{
	unsigned char addr[16], mac[6];
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct req r;
	char ack[512];
	unsigned ifindex;
	int family, fd;
	size_t alen;
	ssize_t n;

	if (argc != 4)
		goto usage;
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "pktpath-neigh: no interface %s\n", argv[1]);
		return 2;
	}
	if (inet_pton(AF_INET, argv[2], addr) == 1) {
		family = AF_INET;
		alen = 4;
	} else if (inet_pton(AF_INET6, argv[2], addr) == 1) {
		family = AF_INET6;
		alen = 16;
	} else {
		goto usage;
	}
	if (sscanf(argv[3], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6)
		goto usage;

	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.ndm));
	r.nh.nlmsg_type = RTM_NEWNEIGH;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	r.nh.nlmsg_seq = 1;
	r.ndm.ndm_family = (unsigned char)family;
	r.ndm.ndm_ifindex = (int)ifindex;
	r.ndm.ndm_state = NUD_PERMANENT;
	add_attr(&r, NDA_DST, addr, alen);
	add_attr(&r, NDA_LLADDR, mac, sizeof(mac));

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 || sendto(fd, &r, r.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "pktpath-neigh: netlink: %s\n", strerror(errno));
		return 1;
	}
	n = recv(fd, ack, sizeof(ack), 0);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
		fprintf(stderr, "pktpath-neigh: no answer from the kernel\n");
		return 1;
	}
	{
		const struct nlmsghdr *h = (const struct nlmsghdr *)ack;
		const struct nlmsgerr *e = NLMSG_DATA(h);

		if (h->nlmsg_type != NLMSG_ERROR || e->error != 0) {
			fprintf(stderr, "pktpath-neigh: %s %s: %s\n", argv[1], argv[2],
				h->nlmsg_type == NLMSG_ERROR ? strerror(-e->error) : "unexpected answer");
			return 1;
		}
	}
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: pktpath-neigh IFACE IPV4-OR-IPV6-ADDRESS MAC\n");
	return 2;
}
