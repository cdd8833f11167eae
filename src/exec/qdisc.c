/*
 * qdisc.c - traffic control messages (contract in qdisc.h).
 *
 * The attribute layouts are the kernel's (include/uapi/linux/pkt_sched.h,
 * net/sched/sch_tbf.c, net/sched/sch_netem.c), as iproute2's tc/q_tbf.c and
 * tc/q_netem.c send them:
 *
 *   tbf:   TCA_KIND "tbf", TCA_OPTIONS { TCA_TBF_PARMS struct tc_tbf_qopt,
 *          TCA_TBF_BURST u32 bytes, [TCA_TBF_RATE64 u64 when the rate does
 *          not fit the 32-bit ratespec] }. The rate's link layer is
 *          Ethernet, so the kernel needs no rate table (TCA_TBF_RTAB); with
 *          TCA_TBF_BURST it computes the bucket in time itself.
 *   netem: TCA_KIND "netem", TCA_OPTIONS = struct tc_netem_qopt followed
 *          directly by attributes (not a plain nest: sch_netem.c parses
 *          what follows the struct), TCA_NETEM_LATENCY64 / JITTER64 in ns
 *          (the struct's tick fields are set too, for kernels before 4.15),
 *          TCA_NETEM_REORDER with gap 1 (netem reorders only with a gap).
 *
 * Probabilities are the kernel's: a u32 where UINT32_MAX is 100 %.
 */
#include "exec/qdisc.h"
#include "exec/nl_build.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#define PSCHED_SHIFT 6 /* one psched tick is 64 ns (include/net/pkt_sched.h) */
#define PPM	     1000000u

/* A traffic control request of type: a new exclusive qdisc of kind on
 * ifindex (RTM_NEWQDISC), a deletion, a dump (every device); the builder of
 * nl_build.h, a struct tcmsg, TCA_KIND when kind is given. False when it
 * does not fit. */
static bool start_tc(struct mb *m, void *buf, size_t size, uint16_t type, uint32_t ifindex,
		     uint32_t parent, uint32_t handle, const char *kind)
{
	struct tcmsg *t;

	if (!start(m, buf, size, type, type == RTM_NEWQDISC ? NLM_F_CREATE | NLM_F_EXCL : 0))
		return false;
	t = extra(m, sizeof(*t));
	if (!t)
		return false;
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = (int)ifindex;
	t->tcm_parent = parent;
	t->tcm_handle = handle;
	if (kind)
		put_strz(m, TCA_KIND, kind);
	return !m->full;
}

/* Raw bytes at the message's tail (the struct at the head of netem's options). */
static void raw(struct mb *m, const void *data, size_t len)
{
	void *p = extra(m, len);

	if (p)
		memcpy(p, data, len);
}

static uint32_t ticks(uint64_t ns)
{
	uint64_t t = ns >> PSCHED_SHIFT;

	return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

static uint32_t prob(uint32_t ppm)
{
	return ppm >= PPM ? UINT32_MAX : (uint32_t)((uint64_t)ppm * UINT32_MAX / PPM);
}

struct nlmsghdr *ot_nlmsg_newqdisc_tbf(void *buf, size_t size, uint32_t ifindex, uint32_t parent,
				       uint32_t handle, const struct ot_op_qdisc *q)
{
	struct tc_tbf_qopt opt;
	struct nlattr *o;
	struct mb m;

	if (!q->rate || !q->burst)
		return NULL;
	if (!start_tc(&m, buf, size, RTM_NEWQDISC, ifindex, parent, handle, "tbf"))
		return NULL;
	memset(&opt, 0, sizeof(opt));
	opt.rate.rate = q->rate >= UINT32_MAX ? UINT32_MAX : (uint32_t)q->rate;
	opt.rate.linklayer = TC_LINKLAYER_ETHERNET;
	opt.limit = q->limit;
	/* the bucket as a time at the rate, in ticks (TCA_TBF_BURST wins) */
	opt.buffer = ticks((uint64_t)q->burst * 1000000000ull / q->rate);
	o = nest(&m, TCA_OPTIONS);
	put(&m, TCA_TBF_PARMS, sizeof(opt), &opt);
	put(&m, TCA_TBF_BURST, sizeof(q->burst), &q->burst);
	if (q->rate >= UINT32_MAX)
		put(&m, TCA_TBF_RATE64, sizeof(q->rate), &q->rate);
	nest_end(&m, o);
	return finish(&m);
}

struct nlmsghdr *ot_nlmsg_newqdisc_netem(void *buf, size_t size, uint32_t ifindex,
					 const struct ot_op_qdisc *q)
{
	struct tc_netem_qopt opt;
	struct nlattr *o;
	struct mb m;
	int64_t lat = (int64_t)q->delay_us * 1000, jit = (int64_t)q->jitter_us * 1000;

	if (!q->delay_us && !q->loss_ppm)
		return NULL;
	if (!start_tc(&m, buf, size, RTM_NEWQDISC, ifindex, TC_H_ROOT, OT_QDISC_ROOT_HANDLE,
		      "netem"))
		return NULL;
	memset(&opt, 0, sizeof(opt));
	opt.limit = OT_QDISC_NETEM_LIMIT;
	opt.latency = ticks((uint64_t)lat);
	opt.jitter = ticks((uint64_t)jit);
	opt.loss = q->loss_ppm ? prob(q->loss_ppm) : 0;
	opt.gap = q->reorder_ppm ? 1 : 0;
	o = nest(&m, TCA_OPTIONS);
	raw(&m, &opt, sizeof(opt));
	if (q->delay_us)
		put(&m, TCA_NETEM_LATENCY64, sizeof(lat), &lat);
	if (q->jitter_us)
		put(&m, TCA_NETEM_JITTER64, sizeof(jit), &jit);
	if (q->reorder_ppm) {
		struct tc_netem_reorder ro = {.probability = prob(q->reorder_ppm)};

		put(&m, TCA_NETEM_REORDER, sizeof(ro), &ro);
	}
	nest_end(&m, o);
	return finish(&m);
}

struct nlmsghdr *ot_nlmsg_dump_qdisc(void *buf, size_t size)
{
	struct mb m;

	return start_tc(&m, buf, size, RTM_GETQDISC, 0, 0, 0, NULL) ? finish(&m) : NULL;
}

struct nlmsghdr *ot_nlmsg_delqdisc_root(void *buf, size_t size, uint32_t ifindex)
{
	struct mb m;

	return start_tc(&m, buf, size, RTM_DELQDISC, ifindex, TC_H_ROOT, 0, NULL) ? finish(&m)
										  : NULL;
}

int ot_nlmsg_parse_qdisc(const struct nlmsghdr *nlh, uint32_t *ifindex, uint32_t *parent,
			 uint32_t *handle, char *kind, size_t kind_size)
{
	const struct tcmsg *t;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWQDISC || nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*t))
		return -EINVAL;
	t = mnl_nlmsg_get_payload(nlh);
	*ifindex = (uint32_t)t->tcm_ifindex;
	*parent = t->tcm_parent;
	*handle = t->tcm_handle;
	if (kind_size)
		kind[0] = '\0';
	mnl_attr_for_each(a, nlh, sizeof(*t))
	{
		if (mnl_attr_get_type(a) == TCA_KIND && kind_size &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(kind, kind_size, "%s", mnl_attr_get_str(a));
	}
	return 0;
}
