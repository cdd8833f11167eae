/*
 * test_mnl_compat.c - src/mnl (the libmnl-compatible module of the static
 * otnode) against the real libmnl, in one program: every scenario runs
 * once through each implementation (struct mnl_api tables) on buffers
 * filled with the same junk, and the resulting bytes, return values, errno
 * values and callback sequences must be identical.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>

#include "mnl_api.h"

extern const struct mnl_api ot_mnl_compat_api;
static const struct mnl_api real_api = MNL_API_INIT;

#define BUFSZ 1024

/* What a scenario produced: bytes of the buffer plus a log of results. */
struct out {
	unsigned char buf[BUFSZ] __attribute__((aligned(8)));
	long log[4096];
	int nlog;
};

static void logv(struct out *o, long v)
{
	cr_assert_lt(o->nlog, 4096);
	o->log[o->nlog++] = v;
}

static void same(const struct out *a, const struct out *b, const char *what)
{
	int i;

	cr_assert_eq(a->nlog, b->nlog, "%s: %d results vs %d", what, a->nlog, b->nlog);
	for (i = 0; i < a->nlog; i++)
		cr_assert_eq(a->log[i], b->log[i], "%s: result %d: real %ld, compat %ld", what, i,
			     a->log[i], b->log[i]);
	for (i = 0; i < BUFSZ; i++)
		cr_assert_eq(a->buf[i], b->buf[i], "%s: byte %d: real %#x, compat %#x", what, i,
			     a->buf[i], b->buf[i]);
}

typedef void (*scenario)(const struct mnl_api *m, struct out *o);

static void run(scenario s, const char *what)
{
	static struct out a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(a.buf, 0xa5, BUFSZ);
	memset(b.buf, 0xa5, BUFSZ);
	s(&real_api, &a);
	s(&ot_mnl_compat_api, &b);
	same(&a, &b, what);
}

/* ---- building ---- */

static void build_attrs(const struct mnl_api *m, struct out *o)
{
	struct nlmsghdr *nlh = m->nlmsg_put_header(o->buf);
	struct rtgenmsg *g;
	struct nlattr *n1, *n2;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE;
	nlh->nlmsg_seq = 42;
	g = m->nlmsg_put_extra_header(nlh, 3); /* odd size: aligned up */
	g->rtgen_family = AF_INET;
	m->attr_put_u8(nlh, 1, 0x11);
	m->attr_put_u16(nlh, 2, 0x2222);
	m->attr_put_u32(nlh, 3, 0x33333333);
	m->attr_put_u64(nlh, 4, 0x4444444444444444ull);
	m->attr_put_str(nlh, 5, "eth0");
	m->attr_put_strz(nlh, 6, "veth");
	m->attr_put(nlh, 7, 5, "abcde");
	m->attr_put(nlh, 8, 0, "");
	n1 = m->attr_nest_start(nlh, 9);
	m->attr_put_u32(nlh, 1, 7);
	n2 = m->attr_nest_start(nlh, 2);
	m->attr_put_strz(nlh, 3, "inner");
	m->attr_nest_end(nlh, n2);
	m->attr_nest_end(nlh, n1);
	n1 = m->attr_nest_start(nlh, 10);
	m->attr_put_u32(nlh, 1, 9);
	m->attr_nest_cancel(nlh, n1);
	logv(o, nlh->nlmsg_len);
	logv(o, (long)m->nlmsg_size(17));
	logv(o, (long)m->nlmsg_get_payload_len(nlh));
	logv(o, (char *)m->nlmsg_get_payload(nlh) - (char *)nlh);
	logv(o, (char *)m->nlmsg_get_payload_offset(nlh, 3) - (char *)nlh);
	logv(o, (char *)m->nlmsg_get_payload_tail(nlh) - (char *)nlh);
}

Test(mnl_compat, builds_identical_messages)
{
	run(build_attrs, "attributes");
}

/* The _check putters at every buffer size around the boundary. */
static size_t check_size;

static void build_checked(const struct mnl_api *m, struct out *o)
{
	struct nlmsghdr *nlh = m->nlmsg_put_header(o->buf);
	struct nlattr *n;

	logv(o, m->attr_put_u8_check(nlh, check_size, 1, 1));
	logv(o, m->attr_put_u16_check(nlh, check_size, 2, 2));
	logv(o, m->attr_put_u32_check(nlh, check_size, 3, 3));
	logv(o, m->attr_put_u64_check(nlh, check_size, 4, 4));
	logv(o, m->attr_put_str_check(nlh, check_size, 5, "abc"));
	logv(o, m->attr_put_strz_check(nlh, check_size, 6, "abcd"));
	logv(o, m->attr_put_check(nlh, check_size, 7, 3, "xyz"));
	n = m->attr_nest_start_check(nlh, check_size, 8);
	logv(o, n != NULL);
	if (n) {
		logv(o, m->attr_put_u32_check(nlh, check_size, 1, 5));
		m->attr_nest_end(nlh, n);
	}
	logv(o, nlh->nlmsg_len);
}

Test(mnl_compat, bounded_putters)
{
	char what[32];

	for (check_size = 0; check_size < 120; check_size++) {
		snprintf(what, sizeof(what), "buffer of %zu", check_size);
		run(build_checked, what);
	}
}

/* ---- batches ---- */

static void batch(const struct mnl_api *m, struct out *o)
{
	struct mnl_nlmsg_batch *b = m->nlmsg_batch_start(o->buf, 100);
	int i;

	logv(o, m->nlmsg_batch_is_empty(b));
	for (i = 0; i < 8; i++) {
		struct nlmsghdr *nlh = m->nlmsg_put_header(m->nlmsg_batch_current(b));

		nlh->nlmsg_type = (uint16_t)(100 + i);
		m->attr_put_u32(nlh, 1, (uint32_t)i);
		logv(o, m->nlmsg_batch_next(b));
		logv(o, (long)m->nlmsg_batch_size(b));
		logv(o, (char *)m->nlmsg_batch_current(b) - (char *)m->nlmsg_batch_head(b));
		if (i == 5) { /* the overflowed message moves to the front */
			m->nlmsg_batch_reset(b);
			logv(o, (long)m->nlmsg_batch_size(b));
			logv(o, m->nlmsg_batch_is_empty(b));
		}
	}
	m->nlmsg_batch_reset(b);
	logv(o, (long)m->nlmsg_batch_size(b));
	logv(o, m->nlmsg_batch_is_empty(b));
	m->nlmsg_batch_stop(b);
}

Test(mnl_compat, batches)
{
	run(batch, "batch");
}

/* ---- reading ---- */

static long cb_log_sum;

static int attr_cb(const struct nlattr *a, void *data)
{
	struct out *o = data;

	logv(o, a->nla_type);
	logv(o, a->nla_len);
	return a->nla_type == 6 ? MNL_CB_STOP : MNL_CB_OK;
}

static void read_attrs(const struct mnl_api *m, struct out *o)
{
	struct nlmsghdr *nlh = m->nlmsg_put_header(o->buf);
	const struct nlattr *a;
	int len, t;

	m->nlmsg_put_extra_header(nlh, 4);
	m->attr_put_u8(nlh, 1, 0x11);
	m->attr_put_u16(nlh, 2, 0x2222);
	m->attr_put_u32(nlh, 3, 0x33333333);
	m->attr_put_u64(nlh, 4, 0x0102030405060708ull);
	m->attr_put_strz(nlh, 5, "eth0");
	m->attr_put(nlh, 6, 0, "");
	m->attr_put_str(nlh, 7, "abc"); /* not NUL-terminated */
	{
		struct nlattr *n = m->attr_nest_start(nlh, 8);

		m->attr_put_u32(nlh, 1, 1);
		m->attr_put_u32(nlh, 2, 2);
		m->attr_nest_end(nlh, n);
	}
	logv(o, m->attr_parse(nlh, 4, attr_cb, o));
	len = (int)nlh->nlmsg_len - (int)MNL_NLMSG_HDRLEN - 4;
	for (a = m->nlmsg_get_payload_offset(nlh, 4); m->attr_ok(a, len);
	     len -= (int)MNL_ALIGN(a->nla_len), a = m->attr_next(a)) {
		logv(o, m->attr_get_type(a));
		logv(o, m->attr_get_len(a));
		logv(o, m->attr_get_payload_len(a));
		logv(o, (const char *)m->attr_get_payload(a) - (const char *)a);
		errno = 0;
		logv(o, m->attr_type_valid(a, 5));
		logv(o, errno);
		for (t = 0; t <= MNL_TYPE_MAX; t++) {
			errno = 0;
			logv(o, m->attr_validate(a, (enum mnl_attr_data_type)t));
			logv(o, errno);
			errno = 0;
			logv(o, m->attr_validate2(a, (enum mnl_attr_data_type)t, 4));
			logv(o, errno);
		}
		switch (m->attr_get_type(a)) {
		case 1:
			logv(o, m->attr_get_u8(a));
			break;
		case 2:
			logv(o, m->attr_get_u16(a));
			break;
		case 3:
			logv(o, m->attr_get_u32(a));
			break;
		case 4:
			logv(o, (long)m->attr_get_u64(a));
			break;
		case 5:
			logv(o, (long)strlen(m->attr_get_str(a)));
			break;
		case 8:
			logv(o, m->attr_parse_nested(a, attr_cb, o));
			logv(o, m->attr_parse_payload(m->attr_get_payload(a),
						      m->attr_get_payload_len(a), attr_cb, o));
			break;
		}
	}
	cb_log_sum += o->nlog;
}

Test(mnl_compat, reads_and_validates_alike)
{
	run(read_attrs, "read");
}

/* ---- callbacks over a reply buffer ---- */

static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct out *o = data;

	logv(o, 1000 + nlh->nlmsg_type);
	return nlh->nlmsg_type == 99 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int ctl_cb(const struct nlmsghdr *nlh, void *data)
{
	struct out *o = data;

	logv(o, 2000 + nlh->nlmsg_type);
	return MNL_CB_OK;
}

/* A reply buffer: data messages, then a control message. */
static size_t reply(const struct mnl_api *m, unsigned char *buf, int kind)
{
	size_t off = 0;
	int i;

	for (i = 0; i < 3; i++) {
		struct nlmsghdr *nlh = m->nlmsg_put_header(buf + off);

		nlh->nlmsg_type = (uint16_t)(kind == 5 && i == 1 ? 99 : RTM_NEWLINK);
		nlh->nlmsg_seq = kind == 1 && i == 2 ? 8 : 7;
		nlh->nlmsg_pid = kind == 2 && i == 1 ? 555 : 1234;
		nlh->nlmsg_flags = kind == 3 && i == 1 ? NLM_F_DUMP_INTR : NLM_F_MULTI;
		m->attr_put_u32(nlh, 1, (uint32_t)i);
		off += MNL_ALIGN(nlh->nlmsg_len);
	}
	{
		struct nlmsghdr *nlh = m->nlmsg_put_header(buf + off);

		nlh->nlmsg_seq = 7;
		nlh->nlmsg_pid = 1234;
		if (kind == 4) { /* an error */
			struct nlmsgerr *e = m->nlmsg_put_extra_header(nlh, sizeof(*e));

			nlh->nlmsg_type = NLMSG_ERROR;
			e->error = -EEXIST;
		} else if (kind == 6) { /* an ack */
			struct nlmsgerr *e = m->nlmsg_put_extra_header(nlh, sizeof(*e));

			nlh->nlmsg_type = NLMSG_ERROR;
			e->error = 0;
		} else if (kind == 7) { /* a truncated error */
			nlh->nlmsg_type = NLMSG_ERROR;
		} else {
			nlh->nlmsg_type = NLMSG_DONE;
		}
		off += MNL_ALIGN(nlh->nlmsg_len);
	}
	return off;
}

static int cb_kind;

static void callbacks(const struct mnl_api *m, struct out *o)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {[NLMSG_DONE] = ctl_cb};
	size_t n = reply(m, o->buf, cb_kind);

	errno = 0;
	logv(o, m->cb_run(o->buf, n, 7, 1234, data_cb, o));
	logv(o, errno);
	errno = 0;
	logv(o, m->cb_run(o->buf, n, 0, 0, data_cb, o));
	logv(o, errno);
	errno = 0;
	logv(o, m->cb_run2(o->buf, n, 7, 1234, data_cb, o, ctl, NLMSG_MIN_TYPE));
	logv(o, errno);
	errno = 0;
	logv(o, m->cb_run2(o->buf, n, 7, 1234, NULL, o, ctl, 1));
	logv(o, errno);
	errno = 0;
	logv(o, m->cb_run(o->buf, n - 1, 7, 1234, data_cb, o)); /* cut short */
	logv(o, errno);
	{
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)o->buf;
		int left = (int)n;

		while (m->nlmsg_ok(nlh, left)) {
			logv(o, m->nlmsg_seq_ok(nlh, 7));
			logv(o, m->nlmsg_seq_ok(nlh, 0));
			logv(o, m->nlmsg_portid_ok(nlh, 1234));
			logv(o, m->nlmsg_portid_ok(nlh, 0));
			nlh = m->nlmsg_next(nlh, &left);
			logv(o, left);
		}
	}
}

Test(mnl_compat, callbacks_alike)
{
	char what[32];

	for (cb_kind = 0; cb_kind < 8; cb_kind++) {
		snprintf(what, sizeof(what), "reply kind %d", cb_kind);
		run(callbacks, what);
	}
}

/* ---- sockets: both talk to the kernel the same way (no root needed) ---- */

static void sockets(const struct mnl_api *m, struct out *o)
{
	struct mnl_socket *s = m->socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	int one = 1, v = 0;
	socklen_t vl = sizeof(v);
	ssize_t n;

	cr_assert_not_null(s);
	logv(o, m->socket_bind(s, 0, MNL_SOCKET_AUTOPID));
	logv(o, m->socket_get_portid(s) != 0);
	logv(o, m->socket_get_fd(s) >= 0);
	logv(o, m->socket_setsockopt(s, NETLINK_CAP_ACK, &one, sizeof(one)));
	logv(o, m->socket_getsockopt(s, NETLINK_CAP_ACK, &v, &vl));
	logv(o, v);
	nlh = m->nlmsg_put_header(o->buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	g = m->nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	logv(o, m->socket_sendto(s, nlh, nlh->nlmsg_len) == (ssize_t)nlh->nlmsg_len);
	{
		static unsigned char rbuf[65536] __attribute__((aligned(8)));

		n = m->socket_recvfrom(s, rbuf, sizeof(rbuf));
		logv(o, n > 0);
		/* a buffer too small for the message: ENOSPC, like libmnl */
		nlh->nlmsg_seq = 2;
		m->socket_sendto(s, nlh, nlh->nlmsg_len);
		errno = 0;
		logv(o, m->socket_recvfrom(s, rbuf, 8));
		logv(o, errno);
	}
	logv(o, m->socket_close(s));
	memset(o->buf, 0, BUFSZ);
}

Test(mnl_compat, sockets_alike)
{
	run(sockets, "sockets");
}

Test(mnl_compat, every_function_is_compared)
{
	/* the table has no holes: each compat function exists and differs from the real one */
	const void *const *r = (const void *const *)&real_api;
	const void *const *c = (const void *const *)&ot_mnl_compat_api;
	size_t i, n = sizeof(real_api) / sizeof(void *);

	cr_assert_eq(n, 67);
	for (i = 0; i < n; i++) {
		cr_assert_not_null(c[i]);
		cr_assert_neq(r[i], c[i], "entry %zu is the real libmnl's", i);
	}
}
