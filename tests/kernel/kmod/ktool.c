// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/*
 * pktpath-ktool: static guest helper of the module test.
 *
 *   pktpath-ktool sink PORT read          a UDP socket on PORT (IPv4 and IPv6) that reads everything
 *   pktpath-ktool sink PORT hold RCVBUF   one that never reads, SO_RCVBUF set to RCVBUF bytes
 *   pktpath-ktool open-as UID PATH r|w|m  opens PATH as UID (and GID UID) for reading, writing,
 *                                         or both and maps its first page shared (m); prints
 *                                         "open ok" or "open errno=N (TEXT)" (m: then "mmap ok"
 *                                         or "mmap errno=N (TEXT)")
 *   pktpath-ktool through IF N CMD...     runs CMD (an injector), then waits until IF has received
 *                                         N more frames (or none came for 1 s); prints
 *                                         "received=R elapsed_ns=T frames_per_s=F rc=C", T from
 *                                         CMD's start to the last frame received
 * A sink prints "bound PORT" once it listens and runs until killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
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

static int open_as(int uid, const char *path, char mode)
{
	void *p;
	int fd;

	if (setgid((gid_t)uid) || setuid((uid_t)uid)) {
		perror("pktpath-ktool: setuid");
		return 1;
	}
	fd = open(path, mode == 'w' ? O_WRONLY : mode == 'm' ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		printf("open errno=%d (%s)\n", errno, strerror(errno));
		return 0;
	}
	printf("open ok\n");
	if (mode == 'm') {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			printf("mmap errno=%d (%s)\n", errno, strerror(errno));
		else
			printf("mmap ok\n");
	}
	close(fd);
	return 0;
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long rx_packets(const char *ifname)
{
	char path[128];
	long long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/rx_packets", ifname);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* Polls only once CMD has exited: a poller would take the guest's one CPU from the sender. */
static int through(const char *ifname, long long want, char **cmd)
{
	long long rx0 = rx_packets(ifname), t0 = now_ns(), rx = rx0, last = -1, t = t0, t_last = t0, t_rx = t0;
	int status = 0;
	pid_t pid;

	if (rx0 < 0) {
		fprintf(stderr, "pktpath-ktool: no rx_packets for %s\n", ifname);
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return 1;
	for (;;) {
		rx = rx_packets(ifname);
		t = now_ns();
		if (rx != last) {
			last = rx;
			t_last = t;
			t_rx = t;
		}
		if (rx - rx0 >= want || t - t_last > 1000000000LL)
			break;
		usleep(1000);
	}
	printf("received=%lld elapsed_ns=%lld frames_per_s=%.0f rc=%d\n", rx - rx0, t_rx - t0,
	       (double)(rx - rx0) * 1e9 / (double)(t_rx - t0 ? t_rx - t0 : 1),
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "sink") && !strcmp(argv[3], "read"))
		return sink(atoi(argv[2]), 0, 0);
	if (argc == 5 && !strcmp(argv[1], "sink") && !strcmp(argv[3], "hold"))
		return sink(atoi(argv[2]), 1, atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "open-as"))
		return open_as(atoi(argv[2]), argv[3], argv[4][0]);
	if (argc >= 5 && !strcmp(argv[1], "through"))
		return through(argv[2], atoll(argv[3]), argv + 4);
	fprintf(stderr, "usage: pktpath-ktool sink PORT read | sink PORT hold RCVBUF | open-as UID PATH r|w |\n"
			"       through IF N CMD...\n");
	return 2;
}
