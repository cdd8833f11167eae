/*
 * verify.c - `verify`: the status of every object, then the plan's
 * reachability probes: an ICMP echo from the source container's namespace to
 * the target address, for every probe at once (one raw socket each, opened
 * inside the source namespace), each expected to be answered (REACH) or not
 * (BLOCKED: a firewall drops or rejects it, or the networks are separate).
 *
 * Timing (a tool run on a busy node must not report a false mismatch): the
 * probes wait first, bounded, until every device the plan brought up is
 * running (ot_x_links_wait). Then a probe expected to be answered is sent
 * again with a doubling gap until it is answered or timeout_ms has passed:
 * under load an echo or the neighbour resolution it starts can be lost or
 * late by far more than a round trip, and a reply ends the probe at once,
 * so a healthy network costs no more than before. An ICMP unreachable does
 * not end such a probe early (a neighbour entry that failed while the
 * device was coming up says so once). A probe expected to be blocked needs
 * only silence: it is resent on the same schedule and judged after
 * PROBE_QUIET_MS (or timeout_ms if shorter), and never before every
 * answered probe has shown the network works plus half that again, so
 * silence before the devices were up does not count as blocked.
 */
#include "exec/exec_int.h"
#include "plan/plan_schema.h"
#include "util/clock.h"
#include "vocab/schema.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* <linux/if.h>, which clashes with <net/if.h> */
#endif

#define PROBE_GAP0_MS	 100.0 /* first resend gap; it doubles up to ... */
#define PROBE_GAP_MAX_MS 1000.0
#define PROBE_MAX_SENDS	 64
#define PROBE_QUIET_MS	 1000u /* silence that makes a blocked probe pass */
#define LINKS_WAIT_MS	 5000u /* bound on waiting for devices to run */

struct probe_rt {
	int fd;
	uint16_t id;
	uint16_t sent;
	bool finished;
	bool reach;	/* expected to be answered */
	double next_at; /* when to send again (ms, monotonic) */
	double gap;	/* the gap after that send */
	double t_sent[PROBE_MAX_SENDS + 1];
};

static double now_ms(void)
{
	return (double)ot_clock_ns(CLOCK_MONOTONIC) / 1e6;
}

/* ---- devices running ---- */

struct lw {
	const struct ot_plan *p;
	int ns;
	size_t waiting;
	char first[2 * OT_IFNAMSIZ + 8];
};

static bool lw_planned_ns(const struct ot_plan *p, int ns)
{
	size_t i;

	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == OT_OP_LINK_UP && p->ops[i].ns == ns)
			return true;
	return false;
}

static bool lw_planned_up(const struct ot_plan *p, int ns, const char *name)
{
	size_t i;

	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == OT_OP_LINK_UP && p->ops[i].ns == ns &&
		    strcmp(p->ops[i].dev, name) == 0)
			return true;
	return false;
}

static int lw_on_link(const struct nlmsghdr *nlh, void *data)
{
	struct lw *w = data;
	struct ot_nl_link l;
	const unsigned on = IFF_UP | IFF_LOWER_UP;

	if (ot_nl_parse_link(nlh, &l) == 0 && (l.flags & on) == on && !(l.flags & IFF_RUNNING) &&
	    lw_planned_up(w->p, w->ns, l.name)) {
		if (!w->waiting++)
			snprintf(w->first, sizeof(w->first), "%s in %s", l.name,
				 w->p->ns[w->ns].name);
	}
	return MNL_CB_OK;
}

static void lw_reset(void *data)
{
	((struct lw *)data)->waiting = 0;
}

int ot_x_links_wait(struct ot_xctx *x, unsigned bound_ms, char *why, size_t size,
		    struct ot_error *err)
{
	const struct ot_plan *p = x->p;
	double end = now_ms() + bound_ms;
	struct lw w = {.p = p};
	size_t n;
	int ns;

	if (why && size)
		why[0] = '\0';
	for (;;) {
		n = 0;
		for (ns = 0; ns < (int)p->nns; ns++) {
			struct ot_nl *nl;

			if (!lw_planned_ns(p, ns))
				continue;
			nl = ot_x_nl(x, ns, NETLINK_ROUTE, err);
			if (!nl && err && err->code == -ENOENT) {
				/* a namespace that is not there: status names
				 * it, and the probes from and to it tell */
				ot_error_clear(err);
				continue;
			}
			w.ns = ns;
			w.waiting = 0;
			if (!nl ||
			    ot_nl_dump(
				nl, ot_nlmsg_dump(x->msg, sizeof(x->msg), RTM_GETLINK, AF_UNSPEC),
				lw_on_link, &w, lw_reset, err) < 0)
				return err ? err->code : -EIO;
			n += w.waiting;
			if (w.waiting && why && size)
				snprintf(why, size, "%s", w.first);
		}
		if (!n)
			return 0;
		if (now_ms() >= end)
			return 1;
		usleep(20 * 1000);
	}
}

static uint16_t csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Open a raw ICMP socket inside namespace ns, connected to the target;
 * -ENETUNREACH (err untouched) when the namespace has no route to it. */
static int probe_open(struct ot_xctx *x, int ns, const struct ot_addr *to, struct ot_error *err)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, e;

	memset(&ss, 0, sizeof(ss));
	if (to->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, to->bytes, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, to->bytes, 16);
		sl = sizeof(*sin6);
	}
	if (ot_x_enter(x, ns, err) < 0)
		return err ? err->code : -EIO;
	fd = socket(to->family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    to->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	e = errno;
	ot_x_leave(x, NULL);
	if (fd < 0)
		return ot_error_sys(err, -e, "raw ICMP socket in %s", ot_x_nsname(x, ns));
	/* connect: the kernel then delivers only what comes from the target.
	 * No route to it is an answer, not an error: unreachable. */
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		e = errno;
		close(fd);
		if (e == ENETUNREACH || e == EHOSTUNREACH)
			return -ENETUNREACH;
		return ot_error_sys(err, -e, "connect raw socket");
	}
	return fd;
}

/* Send the next echo of a probe. A send error (the socket's pending error
 * from an earlier ICMP unreachable) ends a blocked probe, not one expected to
 * be answered: that one keeps trying until its deadline. */
static void probe_send(struct probe_rt *rt, uint8_t family, double now, struct ot_probe_result *res)
{
	uint8_t pkt[8 + 16] = {0};
	ssize_t n;

	pkt[0] = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	pkt[4] = (uint8_t)(rt->id >> 8);
	pkt[5] = (uint8_t)rt->id;
	if (rt->sent >= PROBE_MAX_SENDS)
		return;
	rt->sent++;
	rt->next_at = now + rt->gap;
	rt->gap = rt->gap * 2 < PROBE_GAP_MAX_MS ? rt->gap * 2 : PROBE_GAP_MAX_MS;
	pkt[6] = (uint8_t)(rt->sent >> 8);
	pkt[7] = (uint8_t)rt->sent;
	memcpy(pkt + 8, "opentop-verify..", 16);
	if (family == AF_INET) {
		uint16_t c = csum(pkt, sizeof(pkt));

		memcpy(pkt + 2, &c, 2);
	} /* ICMPv6: the kernel fills the checksum of raw ICMPv6 sockets */
	rt->t_sent[rt->sent] = now;
	n = send(rt->fd, pkt, sizeof(pkt), 0);
	if (n < 0 && errno != EAGAIN) {
		res->outcome = OT_PROBE_UNREACH;
		snprintf(res->detail, sizeof(res->detail), "send: %s", strerror(errno));
		rt->finished = !rt->reach;
	}
}

/* Read what arrived; decide when it is an answer to this probe. */
static void probe_recv(struct probe_rt *rt, uint8_t family, struct ot_probe_result *res)
{
	uint8_t buf[1500];
	ssize_t n;

	while (!rt->finished && (n = recv(rt->fd, buf, sizeof(buf), 0)) != -1) {
		const uint8_t *icmp = buf;
		size_t len = (size_t)n;
		uint16_t id, seq;

		if (family == AF_INET) {
			size_t ihl = (size_t)(buf[0] & 0x0f) * 4;

			if (len < ihl + 8)
				continue;
			icmp = buf + ihl;
			len -= ihl;
		}
		if (len < 8)
			continue;
		if ((family == AF_INET && icmp[0] == ICMP_ECHOREPLY) ||
		    (family == AF_INET6 && icmp[0] == ICMP6_ECHO_REPLY)) {
			id = (uint16_t)(icmp[4] << 8 | icmp[5]);
			seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
			if (id != rt->id || seq == 0 || seq > rt->sent)
				continue;
			res->outcome = OT_PROBE_REPLY;
			res->rtt_ms = now_ms() - rt->t_sent[seq];
			snprintf(res->detail, sizeof(res->detail), "reply in %.2f ms", res->rtt_ms);
			rt->finished = true;
		} else if ((family == AF_INET && icmp[0] == ICMP_DEST_UNREACH) ||
			   (family == AF_INET6 && icmp[0] == ICMP6_DST_UNREACH)) {
			/* the quoted packet: IPv4 header + 8 bytes, or IPv6 header + 8 */
			size_t off = family == AF_INET ? 8 + (size_t)(icmp[8] & 0x0f) * 4 : 8 + 40;

			if (len < off + 8)
				continue;
			id = (uint16_t)(icmp[off + 4] << 8 | icmp[off + 5]);
			if (id != rt->id)
				continue;
			res->outcome = OT_PROBE_UNREACH;
			snprintf(res->detail, sizeof(res->detail), "ICMP unreachable (code %u)",
				 icmp[1]);
			rt->finished = !rt->reach;
		}
	}
}

static int run_probes(struct ot_xctx *x, unsigned flags, unsigned timeout_ms, struct ot_verify *v,
		      struct ot_error *err)
{
	const struct ot_plan *p = x->p;
	struct probe_rt *rt = calloc(p->nprobes ? p->nprobes : 1, sizeof(*rt));
	struct pollfd *pf = calloc(p->nprobes ? p->nprobes : 1, sizeof(*pf));
	uint16_t base = (uint16_t)(getpid() * 131 + (int)now_ms());
	unsigned quiet = timeout_ms < PROBE_QUIET_MS ? timeout_ms : PROBE_QUIET_MS;
	double start, deadline, t_up = -1, t;
	size_t i, active, reach_left;
	int r = 0;

	if (!rt || !pf) {
		free(rt);
		free(pf);
		return ot_error_set(err, -ENOMEM, "out of memory");
	}
	for (i = 0; i < p->nprobes; i++) {
		const struct ot_probe *pr = &p->probes[i];
		struct ot_probe_result *res = &v->probes[i];

		res->probe = i;
		rt[i].fd = -1;
		rt[i].id = (uint16_t)(base + i);
		rt[i].reach = pr->expect == OT_EXPECT_REACH;
		rt[i].gap = PROBE_GAP0_MS;
		if (pr->to_node && strcmp(pr->to_node, p->node) != 0 &&
		    !(flags & OT_VERIFY_REMOTE)) {
			res->outcome = OT_PROBE_SKIPPED;
			snprintf(res->detail, sizeof(res->detail), "target on node %s",
				 pr->to_node);
			rt[i].finished = true;
			continue;
		}
		res->outcome = OT_PROBE_SILENT;
		rt[i].fd = probe_open(x, pr->from_ns, &pr->to_addr, err);
		if (rt[i].fd == -ENETUNREACH) {
			res->outcome = OT_PROBE_UNREACH;
			snprintf(res->detail, sizeof(res->detail), "no route to the target");
			rt[i].finished = true;
			rt[i].fd = -1;
			continue;
		}
		if (rt[i].fd < 0) {
			r = rt[i].fd;
			goto out;
		}
	}
	start = now_ms();
	deadline = start + timeout_ms;
	for (;;) {
		/* what arrived counts before any probe is judged: a process that
		 * was not scheduled for a while finds its replies queued */
		for (i = 0; i < p->nprobes; i++)
			if (!rt[i].finished && rt[i].sent)
				probe_recv(&rt[i], p->probes[i].to_addr.family, &v->probes[i]);
		t = now_ms();
		reach_left = 0;
		for (i = 0; i < p->nprobes; i++)
			if (!rt[i].finished && rt[i].reach) {
				if (t >= deadline)
					rt[i].finished = true; /* its last outcome stands */
				else
					reach_left++;
			}
		/* every answerable probe answered: the network works; every
		 * blocked one is sent once more now and must stay silent */
		if (!reach_left && t_up < 0) {
			t_up = t;
			for (i = 0; i < p->nprobes; i++)
				if (!rt[i].finished && rt[i].sent)
					rt[i].next_at = t;
		}
		active = 0;
		for (i = 0; i < p->nprobes; i++) {
			if (rt[i].finished)
				continue;
			if (!rt[i].reach && (t >= deadline || (t_up >= 0 && t >= start + quiet &&
							       t >= t_up + quiet / 2.0))) {
				rt[i].finished = true;
				continue;
			}
			if (t >= rt[i].next_at)
				probe_send(&rt[i], p->probes[i].to_addr.family, t, &v->probes[i]);
			if (rt[i].finished)
				continue;
			pf[active].fd = rt[i].fd;
			pf[active].events = POLLIN;
			active++;
		}
		if (!active)
			break;
		if (poll(pf, active, 20) < 0 && errno != EINTR) {
			r = ot_error_sys(err, -errno, "poll");
			goto out;
		}
	}
	t = now_ms();
	for (i = 0; i < p->nprobes; i++) {
		struct ot_probe_result *res = &v->probes[i];

		if (res->outcome == OT_PROBE_SKIPPED) {
			v->nskipped++;
			continue;
		}
		if (res->outcome == OT_PROBE_SILENT)
			snprintf(res->detail, sizeof(res->detail), "no reply in %.0f ms (%u sent)",
				 t - start, (unsigned)rt[i].sent);
		res->pass =
		    (p->probes[i].expect == OT_EXPECT_REACH) == (res->outcome == OT_PROBE_REPLY);
		if (res->pass)
			v->npass++;
		else
			v->nfail++;
	}
out:
	for (i = 0; i < p->nprobes; i++)
		if (rt[i].fd >= 0)
			close(rt[i].fd);
	free(rt);
	free(pf);
	return r;
}

int ot_exec_verify(const struct ot_plan *p, const struct ot_exec_opts *opts, unsigned flags,
		   unsigned timeout_ms, struct ot_verify **ret, struct ot_error *err)
{
	struct ot_verify *v = calloc(1, sizeof(*v));
	struct ot_xctx x;
	int r;

	if (!v)
		return ot_error_set(err, -ENOMEM, "out of memory");
	if ((r = ot_exec_status(p, opts, &v->status, err)) < 0) {
		free(v);
		return r;
	}
	v->nprobes = p->nprobes;
	v->probes = calloc(p->nprobes ? p->nprobes : 1, sizeof(*v->probes));
	if (!v->probes) {
		ot_verify_free(v);
		return ot_error_set(err, -ENOMEM, "out of memory");
	}
	if ((r = ot_x_init(&x, p, opts, err)) < 0) {
		ot_verify_free(v);
		return r;
	}
	r = ot_x_links_wait(&x, LINKS_WAIT_MS, NULL, 0, err);
	if (r >= 0) /* still not running after the bound: the probes tell */
		r = run_probes(&x, flags, timeout_ms ? timeout_ms : OT_VERIFY_TIMEOUT_MS, v, err);
	ot_x_free(&x);
	if (r < 0) {
		ot_verify_free(v);
		return ot_error_prefix(err, r, "%s: verify", p->node);
	}
	*ret = v;
	return 0;
}

void ot_verify_free(struct ot_verify *v)
{
	if (!v)
		return;
	ot_status_free(v->status);
	free(v->probes);
	free(v);
}

static const char *outcome_name(enum ot_probe_outcome o)
{
	static const char *const names[] = {"reply", "silent", "unreachable", "skipped"};

	return (unsigned)o < 4 ? names[o] : "?";
}

json_t *ot_verify_to_json(const struct ot_plan *p, const struct ot_verify *v)
{
	json_t *o = ot_status_to_json(p, v->status), *arr = json_array();
	size_t i;

	if (!o || !arr) {
		json_decref(o);
		json_decref(arr);
		return NULL;
	}
	json_object_set_new(o, "schema", json_string(OT_SCHEMA_VERIFY)); /* status's, extended */
	for (i = 0; i < v->nprobes; i++) {
		const struct ot_probe_result *r = &v->probes[i];
		const struct ot_probe *pr = &p->probes[r->probe];
		json_t *e = json_object();
		char a[OT_ADDR_STRLEN];

		if (!e)
			break;
		ot_addr_format(&pr->to_addr, a, sizeof(a));
		json_object_set_new(e, "from", json_string(p->ns[pr->from_ns].container));
		json_object_set_new(e, "to_node", json_string(pr->to_node ? pr->to_node : p->node));
		json_object_set_new(e, "to", json_string(pr->to_container ? pr->to_container : ""));
		json_object_set_new(e, "address", json_string(a));
		json_object_set_new(e, "expect",
				    json_string(ot_enum_name(ot_expect_names, pr->expect)));
		json_object_set_new(e, "outcome", json_string(outcome_name(r->outcome)));
		if (r->outcome != OT_PROBE_SKIPPED)
			json_object_set_new(e, "pass", json_boolean(r->pass));
		if (r->outcome == OT_PROBE_REPLY)
			json_object_set_new(e, "rtt_ms", json_real(r->rtt_ms));
		if (pr->why)
			json_object_set_new(e, "why", json_string(pr->why));
		json_array_append_new(arr, e);
	}
	json_object_set_new(o, "probes", arr);
	json_object_set_new(o, "probes_pass", json_integer((json_int_t)v->npass));
	json_object_set_new(o, "probes_fail", json_integer((json_int_t)v->nfail));
	json_object_set_new(o, "probes_skipped", json_integer((json_int_t)v->nskipped));
	return o;
}
