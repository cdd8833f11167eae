/*
 * verify.c - `verify`: the status of every object, then the plan's
 * reachability probes: an ICMP echo from the source container's namespace to
 * the target address, for every probe at once (one raw socket each, opened
 * inside the source namespace), each expected to be answered (REACH) or not
 * (BLOCKED: a firewall drops or rejects it, or the networks are separate).
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
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define PROBE_SENDS 3

struct probe_rt {
	int fd;
	uint16_t id;
	uint16_t sent;
	bool finished;
	double t_sent[PROBE_SENDS + 1];
};

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

static void probe_send(struct probe_rt *rt, uint8_t family, struct ot_probe_result *res)
{
	uint8_t pkt[8 + 16] = {0};
	ssize_t n;

	pkt[0] = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	pkt[4] = (uint8_t)(rt->id >> 8);
	pkt[5] = (uint8_t)rt->id;
	rt->sent++;
	pkt[6] = (uint8_t)(rt->sent >> 8);
	pkt[7] = (uint8_t)rt->sent;
	memcpy(pkt + 8, "opentop-verify..", 16);
	if (family == AF_INET) {
		uint16_t c = csum(pkt, sizeof(pkt));

		memcpy(pkt + 2, &c, 2);
	} /* ICMPv6: the kernel fills the checksum of raw ICMPv6 sockets */
	rt->t_sent[rt->sent] = (ot_clock_ns(CLOCK_MONOTONIC) / 1e6);
	n = send(rt->fd, pkt, sizeof(pkt), 0);
	if (n < 0 && errno != EAGAIN) {
		res->outcome = OT_PROBE_UNREACH;
		snprintf(res->detail, sizeof(res->detail), "send: %s", strerror(errno));
		rt->finished = true;
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
			res->rtt_ms = (ot_clock_ns(CLOCK_MONOTONIC) / 1e6) - rt->t_sent[seq];
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
			rt->finished = true;
		}
	}
}

static int run_probes(struct ot_xctx *x, unsigned flags, unsigned timeout_ms, struct ot_verify *v,
		      struct ot_error *err)
{
	const struct ot_plan *p = x->p;
	struct probe_rt *rt = calloc(p->nprobes ? p->nprobes : 1, sizeof(*rt));
	struct pollfd *pf = calloc(p->nprobes ? p->nprobes : 1, sizeof(*pf));
	uint16_t base = (uint16_t)(getpid() * 131 + (int)(ot_clock_ns(CLOCK_MONOTONIC) / 1e6));
	double start, deadline;
	size_t i, active;
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
	start = (ot_clock_ns(CLOCK_MONOTONIC) / 1e6);
	deadline = start + timeout_ms;
	for (;;) {
		double t = (ot_clock_ns(CLOCK_MONOTONIC) / 1e6);
		unsigned round = (unsigned)((t - start) / (timeout_ms / PROBE_SENDS + 1));

		active = 0;
		for (i = 0; i < p->nprobes; i++) {
			if (rt[i].finished)
				continue;
			if (rt[i].sent < PROBE_SENDS && rt[i].sent <= round)
				probe_send(&rt[i], p->probes[i].to_addr.family, &v->probes[i]);
			if (rt[i].finished)
				continue;
			pf[active].fd = rt[i].fd;
			pf[active].events = POLLIN;
			active++;
		}
		if (!active || t >= deadline)
			break;
		if (poll(pf, active, 20) < 0 && errno != EINTR) {
			r = ot_error_sys(err, -errno, "poll");
			goto out;
		}
		for (i = 0; i < p->nprobes; i++)
			if (!rt[i].finished)
				probe_recv(&rt[i], p->probes[i].to_addr.family, &v->probes[i]);
	}
	for (i = 0; i < p->nprobes; i++) {
		struct ot_probe_result *res = &v->probes[i];

		if (res->outcome == OT_PROBE_SKIPPED) {
			v->nskipped++;
			continue;
		}
		if (res->outcome == OT_PROBE_SILENT)
			snprintf(res->detail, sizeof(res->detail), "no reply in %u ms", timeout_ms);
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
	r = run_probes(&x, flags, timeout_ms ? timeout_ms : 1000, v, err);
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
