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

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#define PSCHED_SHIFT 6 /* one psched tick is 64 ns (include/net/pkt_sched.h) */
#define PPM	     1000000u

struct qb {
	struct nlmsghdr *nlh;
	size_t size;
	bool full;
};

static void put(struct qb *m, uint16_t type, size_t len, const void *data)
{
	if (!m->full && !mnl_attr_put_check(m->nlh, m->size, type, len, data))
		m->full = true;
}

static struct tcmsg *start(struct qb *m, void *buf, size_t size, uint16_t type, uint16_t flags)
{
	struct tcmsg *t;

	m->size = size;
	m->full = size < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*t));
	if (m->full)
		return NULL;
	memset(buf, 0, size);
	m->nlh = mnl_nlmsg_put_header(buf);
	m->nlh->nlmsg_type = type;
	m->nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	t = mnl_nlmsg_put_extra_header(m->nlh, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	return t;
}

static struct nlattr *nest(struct qb *m, uint16_t type)
{
	struct nlattr *a;

	if (m->full)
		return NULL;
	a = mnl_attr_nest_start_check(m->nlh, m->size, type);
	if (!a)
		m->full = true;
	return a;
}

static void nest_end(struct qb *m, struct nlattr *a)
{
	if (!m->full && a)
		mnl_attr_nest_end(m->nlh, a);
}

/* Raw bytes at the message's tail (the struct at the head of netem's options). */
static void raw(struct qb *m, const void *data, size_t len)
{
	if (m->full || m->nlh->nlmsg_len + MNL_ALIGN(len) > m->size) {
		m->full = true;
		return;
	}
	memcpy(mnl_nlmsg_put_extra_header(m->nlh, len), data, len);
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
	struct tcmsg *t;
	struct qb m;

	if (!q->rate || !q->burst)
		return NULL;
	t = start(&m, buf, size, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
	if (!t)
		return NULL;
	t->tcm_ifindex = (int)ifindex;
	t->tcm_parent = parent;
	t->tcm_handle = handle;
	put(&m, TCA_KIND, sizeof("tbf"), "tbf");
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
	return m.full ? NULL : m.nlh;
}

struct nlmsghdr *ot_nlmsg_newqdisc_netem(void *buf, size_t size, uint32_t ifindex,
					 const struct ot_op_qdisc *q)
{
	struct tc_netem_qopt opt;
	struct nlattr *o;
	struct tcmsg *t;
	struct qb m;
	int64_t lat = (int64_t)q->delay_us * 1000, jit = (int64_t)q->jitter_us * 1000;

	if (!q->delay_us && !q->loss_ppm)
		return NULL;
	t = start(&m, buf, size, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
	if (!t)
		return NULL;
	t->tcm_ifindex = (int)ifindex;
	t->tcm_parent = TC_H_ROOT;
	t->tcm_handle = OT_QDISC_ROOT_HANDLE;
	put(&m, TCA_KIND, sizeof("netem"), "netem");
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
	return m.full ? NULL : m.nlh;
}

struct nlmsghdr *ot_nlmsg_dump_qdisc(void *buf, size_t size)
{
	struct qb m;

	if (!start(&m, buf, size, RTM_GETQDISC, 0))
		return NULL;
	return m.nlh;
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
