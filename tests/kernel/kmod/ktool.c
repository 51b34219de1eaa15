// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/*
 * pktpath-ktool: static guest helper of the module test.
 *
 *   pktpath-ktool sink PORT read          a UDP socket on PORT (IPv4 and IPv6) that reads everything
 *   pktpath-ktool sink PORT hold RCVBUF   one that never reads, SO_RCVBUF set to RCVBUF bytes
 *   pktpath-ktool open-as UID PATH r|w    opens PATH as UID (and GID UID); prints "open ok" or
 *                                         "open errno=N (TEXT)"
 * A sink prints "bound PORT" once it listens and runs until killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int sink(int port, int hold, int rcvbuf)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port)};
	int off = 0, fd = socket(AF_INET6, SOCK_DGRAM, 0);
	char buf[2048];

	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    (hold && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf))) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("pktpath-ktool: sink");
		return 1;
	}
	printf("bound %d\n", port);
	fflush(stdout);
	for (;;) {
		if (hold)
			pause();
		else if (recv(fd, buf, sizeof(buf), 0) < 0 && errno != EINTR)
			return 1;
	}
}

static int open_as(int uid, const char *path, int write)
{
	int fd;

	if (setgid((gid_t)uid) || setuid((uid_t)uid)) {
		perror("pktpath-ktool: setuid");
		return 1;
	}
	fd = open(path, write ? O_WRONLY : O_RDONLY);
	if (fd < 0) {
		printf("open errno=%d (%s)\n", errno, strerror(errno));
		return 0;
	}
	printf("open ok\n");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "sink") && !strcmp(argv[3], "read"))
		return sink(atoi(argv[2]), 0, 0);
	if (argc == 5 && !strcmp(argv[1], "sink") && !strcmp(argv[3], "hold"))
		return sink(atoi(argv[2]), 1, atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "open-as"))
		return open_as(atoi(argv[2]), argv[3], argv[4][0] == 'w');
	fprintf(stderr, "usage: pktpath-ktool sink PORT read | sink PORT hold RCVBUF | open-as UID PATH r|w\n");
	return 2;
}
