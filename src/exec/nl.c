/*
 * nl.c - netlink sockets and rtnetlink messages for the executor (contract in
 * nl.h). Built on libmnl; the request/ack loop is ours because libmnl's
 * default error callback drops the kernel's extended ack message, which is
 * the most useful part of an error ("A VXLAN device with the specified VNI
 * already exists").
 */
#include "exec/nl.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif

/* ---- sockets ---- */

int ot_nl_open(struct ot_nl *nl, int bus, struct ot_error *err)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->bus = bus;
	nl->rbuf = malloc(OT_NL_RCVSIZE);
	if (!nl->rbuf)
		return ot_error_set(err, -ENOMEM, "netlink: out of memory");
	nl->sock = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!nl->sock) {
		int e = -errno;

		ot_nl_close(nl);
		return ot_error_sys(err, e, "netlink socket");
	}
	/* Both are best effort: old kernels lack them and still work. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = -errno;

		ot_nl_close(nl);
		return ot_error_sys(err, e, "netlink bind");
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = 1;
	return 0;
}

void ot_nl_close(struct ot_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->rbuf);
	nl->sock = NULL;
	nl->rbuf = NULL;
}

/* What the control callbacks learned from one reply. */
struct reply {
	int error;	  /* 0, or -errno from NLMSG_ERROR */
	bool done;	  /* ack or NLMSG_DONE seen */
	char extack[256]; /* NLMSGERR_ATTR_MSG */
	mnl_cb_t cb;
	void *data;
};

static int extack_attr(const struct nlattr *a, void *data)
{
	struct reply *r = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 && !r->extack[0])
		snprintf(r->extack, sizeof(r->extack), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		r->error = -EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	if (!r->error) {
		r->error = e->error < 0 ? e->error : -e->error;
		if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
			off = sizeof(*e);
			if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
				off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
			if (mnl_nlmsg_get_payload_len(nlh) > off)
				mnl_attr_parse_payload((const char *)e + MNL_ALIGN(off),
						       mnl_nlmsg_get_payload_len(nlh) -
							   MNL_ALIGN(off),
						       extack_attr, r);
		}
	}
	return MNL_CB_ERROR;
}

static int on_done(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;

	r->done = true;
	return MNL_CB_STOP;
}

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;

	return r->cb ? r->cb(nlh, r->data) : MNL_CB_OK;
}

static int reply_error(const struct reply *r, struct ot_error *err)
{
	if (r->extack[0])
		return ot_error_set(err, r->error, "%s (kernel: %s)", strerror(-r->error),
				    r->extack);
	return ot_error_set(err, r->error, "%s", strerror(-r->error));
}

/* Receive and run callbacks until the reply for seq ends. */
static int collect(struct ot_nl *nl, uint32_t seq, struct reply *r, struct ot_error *err)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
	    [NLMSG_ERROR] = on_error,
	    [NLMSG_DONE] = on_done,
	};

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->rbuf, OT_NL_RCVSIZE);
		int ret;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ot_error_sys(err, -errno, "netlink receive");
		}
		errno = 0;
		ret = mnl_cb_run2(nl->rbuf, (size_t)n, seq, nl->portid, on_data, r, ctl,
				  NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR || ret < 0) {
			if (r->error)
				return reply_error(r, err);
			if (errno == EINTR)
				return ot_error_set(err, -EINTR, "netlink dump interrupted");
			return ot_error_sys(err, errno ? -errno : -EPROTO, "netlink reply");
		}
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

int ot_nl_request(struct ot_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
		  struct ot_error *err)
{
	struct reply r = {.cb = cb, .data = data};

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return ot_error_sys(err, -errno, "netlink send");
	return collect(nl, nlh->nlmsg_seq, &r, err);
}

int ot_nl_dump(struct ot_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	       void (*restart)(void *data), struct ot_error *err)
{
	int tries, ret = 0;

	nlh->nlmsg_flags |= NLM_F_DUMP;
	for (tries = 0; tries < 4; tries++) {
		struct reply r = {.cb = cb, .data = data};

		if (restart)
			restart(data);
		nlh->nlmsg_seq = ++nl->seq;
		if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
			return ot_error_sys(err, -errno, "netlink send");
		ret = collect(nl, nlh->nlmsg_seq, &r, err);
		if (ret != -EINTR)
			return ret;
	}
	return ret;
}

int ot_nl_send_nfbatch(struct ot_nl *nl, const void *buf, size_t len, struct ot_error *err)
{
	struct reply r = {0};

	if (mnl_socket_sendto(nl->sock, buf, len) < 0)
		return ot_error_sys(err, -errno, "nftables: send batch");
	/* Everything is queued already: read without blocking until empty. */
	for (;;) {
		ssize_t got =
		    recv(mnl_socket_get_fd(nl->sock), nl->rbuf, OT_NL_RCVSIZE, MSG_DONTWAIT);
		const struct nlmsghdr *m = (const struct nlmsghdr *)nl->rbuf;
		int rest = (int)got;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return ot_error_sys(err, -errno, "nftables: receive");
		}
		if (got == 0)
			break;
		for (; mnl_nlmsg_ok(m, rest); m = mnl_nlmsg_next(m, &rest)) {
			if (m->nlmsg_pid && m->nlmsg_pid != nl->portid)
				return ot_error_set(err, -ESRCH, "nftables: reply from a stranger");
			if (m->nlmsg_type == NLMSG_ERROR)
				on_error(m, &r);
		}
	}
	if (r.error)
		return reply_error(&r, err);
	return 0;
}
