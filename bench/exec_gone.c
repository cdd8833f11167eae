/*
 * exec_gone.c - when is a destroyed set of network namespaces really gone?
 * Deleting a namespace's name returns at once; the kernel tears the
 * namespace and its devices down later, in batches (cleanup_net). This
 * helper makes that observable without keeping anything alive: it gives
 * every namespace /run/netns/PREFIX* an id in the calling namespace
 * (RTM_NEWNSID: ids are weak references), subscribes to RTNLGRP_NSID, says
 * "ready", and then reports when the kernel announced the last RTM_DELNSID,
 * which it does as it frees each namespace.
 *
 * usage: exec_gone PREFIX TIMEOUT_S
 *   prints "ready N" once the ids are set; then the caller destroys; prints
 *   "gone N T" with T the CLOCK_REALTIME seconds of the last RTM_DELNSID,
 *   or "timeout K" after TIMEOUT_S with K namespaces still there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "util/clock.h"

int main(int argc, char **argv)
{
	static char buf[8192] __attribute__((aligned(8)));
	static char rbuf[1 << 16] __attribute__((aligned(8)));
	struct mnl_socket *req, *mon;
	struct dirent *e;
	unsigned seq = 1, assigned = 0, gone = 0;
	double last = 0, deadline;
	DIR *d;

	if (argc != 3) {
		fprintf(stderr, "usage: exec_gone PREFIX TIMEOUT_S\n");
		return 2;
	}
	req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	mon = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!req || !mon || mnl_socket_bind(req, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(mon, 1u << (RTNLGRP_NSID - 1), MNL_SOCKET_AUTOPID) < 0) {
		perror("exec_gone: netlink");
		return 1;
	}
	d = opendir("/run/netns");
	while (d && (e = readdir(d))) {
		char path[512];
		struct nlmsghdr *nlh;
		struct rtgenmsg *g;
		int fd;

		if (strncmp(e->d_name, argv[1], strlen(argv[1])) != 0)
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_NEWNSID;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		nlh->nlmsg_seq = ++seq;
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->rtgen_family = AF_UNSPEC;
		mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)fd);
		mnl_attr_put_u32(nlh, NETNSA_NSID, (uint32_t)-1); /* any free id */
		if (mnl_socket_sendto(req, nlh, nlh->nlmsg_len) > 0) {
			ssize_t n = mnl_socket_recvfrom(req, rbuf, sizeof(rbuf));

			/* an id it had already (EEXIST) counts too */
			if (n > 0 && (mnl_cb_run(rbuf, (size_t)n, seq, mnl_socket_get_portid(req),
						 NULL, NULL) >= 0 ||
				      errno == EEXIST))
				assigned++;
		}
		close(fd); /* nothing of ours keeps it alive */
	}
	if (d)
		closedir(d);
	printf("ready %u\n", assigned);
	fflush(stdout);
	deadline = ot_clock_s(CLOCK_REALTIME) + atof(argv[2]);
	while (gone < assigned) {
		struct pollfd p = {.fd = mnl_socket_get_fd(mon), .events = POLLIN};
		const struct nlmsghdr *nlh;
		ssize_t n;
		int left;

		if (ot_clock_s(CLOCK_REALTIME) > deadline) {
			printf("timeout %u\n", assigned - gone);
			return 1;
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = mnl_socket_recvfrom(mon, rbuf, sizeof(rbuf));
		if (n <= 0)
			continue;
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left))
			if (nlh->nlmsg_type == RTM_DELNSID) {
				gone++;
				last = ot_clock_s(CLOCK_REALTIME);
			}
	}
	printf("gone %u %.6f\n", gone, last);
	return 0;
}
