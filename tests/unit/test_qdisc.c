/*
 * test_qdisc.c - the traffic control builders of src/exec/qdisc.c, without
 * root: build a tbf and a netem message, check the header, and parse the
 * attributes back with libmnl as the kernel lays them out (tbf: a nest of
 * attributes; netem: struct tc_netem_qopt followed by attributes).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "exec/nl.h"
#include "exec/qdisc.h"

static char buf[OT_NL_MSGSIZE] OT_NL_ALIGNED;

/* The TCA_OPTIONS attribute of a qdisc message, and TCA_KIND checked. */
static const struct nlattr *options(const struct nlmsghdr *nlh, const char *kind)
{
	const struct nlattr *a, *opt = NULL;
	bool kind_ok = false;

	mnl_attr_for_each(a, nlh, sizeof(struct tcmsg))
	{
		if (mnl_attr_get_type(a) == TCA_KIND)
			kind_ok = strcmp(mnl_attr_get_str(a), kind) == 0;
		else if (mnl_attr_get_type(a) == TCA_OPTIONS)
			opt = a;
	}
	cr_assert(kind_ok, "TCA_KIND is not %s", kind);
	cr_assert_not_null(opt);
	return opt;
}

Test(qdisc, tbf_root_and_64bit_rate)
{
	struct ot_op_qdisc q = {.rate = 12500000, .burst = 32768, .limit = 657768};
	struct nlmsghdr *nlh =
	    ot_nlmsg_newqdisc_tbf(buf, sizeof(buf), 7, TC_H_ROOT, OT_QDISC_ROOT_HANDLE, &q);
	const struct tcmsg *t;
	const struct nlattr *a;
	bool parms = false, burst = false, rate64 = false;
	uint32_t idx, parent, handle;
	char kind[16];

	cr_assert_not_null(nlh);
	cr_assert_eq(nlh->nlmsg_type, RTM_NEWQDISC);
	cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	t = mnl_nlmsg_get_payload(nlh);
	cr_assert_eq(t->tcm_ifindex, 7);
	cr_assert_eq(t->tcm_parent, TC_H_ROOT);
	cr_assert_eq(t->tcm_handle, 0x10000);
	mnl_attr_for_each_nested(a, options(nlh, "tbf"))
	{
		if (mnl_attr_get_type(a) == TCA_TBF_PARMS) {
			const struct tc_tbf_qopt *o = mnl_attr_get_payload(a);

			cr_assert_eq(mnl_attr_get_payload_len(a), sizeof(*o));
			cr_assert_eq(o->rate.rate, 12500000);
			cr_assert_eq(o->rate.linklayer, TC_LINKLAYER_ETHERNET);
			cr_assert_eq(o->limit, 657768);
			/* 32768 bytes at 12.5 MB/s: 2.62144 ms = 40960 ticks of 64 ns */
			cr_assert_eq(o->buffer, 40960);
			parms = true;
		} else if (mnl_attr_get_type(a) == TCA_TBF_BURST) {
			cr_assert_eq(mnl_attr_get_u32(a), 32768);
			burst = true;
		} else if (mnl_attr_get_type(a) == TCA_TBF_RATE64) {
			rate64 = true;
		}
	}
	cr_assert(parms && burst && !rate64);
	/* the dump parser reads the same message back */
	cr_assert_eq(ot_nlmsg_parse_qdisc(nlh, &idx, &parent, &handle, kind, sizeof(kind)), 0);
	cr_assert_eq(idx, 7);
	cr_assert_str_eq(kind, "tbf");

	/* 100 Gbit/s does not fit the 32-bit ratespec: TCA_TBF_RATE64 */
	q.rate = 12500000000ull;
	nlh = ot_nlmsg_newqdisc_tbf(buf, sizeof(buf), 7, OT_QDISC_CHILD_PARENT,
				    OT_QDISC_CHILD_HANDLE, &q);
	cr_assert_not_null(nlh);
	t = mnl_nlmsg_get_payload(nlh);
	cr_assert_eq(t->tcm_parent, 0x10001);
	cr_assert_eq(t->tcm_handle, 0x100000);
	rate64 = false;
	mnl_attr_for_each_nested(a, options(nlh, "tbf"))
	{
		if (mnl_attr_get_type(a) == TCA_TBF_RATE64) {
			cr_assert_eq(mnl_attr_get_u64(a), 12500000000ull);
			rate64 = true;
		} else if (mnl_attr_get_type(a) == TCA_TBF_PARMS) {
			const struct tc_tbf_qopt *o = mnl_attr_get_payload(a);

			cr_assert_eq(o->rate.rate, UINT32_MAX);
		}
	}
	cr_assert(rate64);
}

Test(qdisc, netem_struct_then_attributes)
{
	struct ot_op_qdisc q = {
	    .delay_us = 10000, .jitter_us = 2000, .loss_ppm = 1000, .reorder_ppm = 500000};
	struct nlmsghdr *nlh = ot_nlmsg_newqdisc_netem(buf, sizeof(buf), 3, &q);
	const struct tc_netem_qopt *o;
	const struct nlattr *opt, *a;
	const char *p;
	bool lat = false, jit = false, ro = false;
	size_t off;

	cr_assert_not_null(nlh);
	opt = options(nlh, "netem");
	cr_assert_geq(mnl_attr_get_payload_len(opt), sizeof(*o));
	o = mnl_attr_get_payload(opt);
	cr_assert_eq(o->limit, 1000);
	cr_assert_eq(o->latency, 10000000 / 64);
	cr_assert_eq(o->jitter, 2000000 / 64);
	/* 0.1 % of UINT32_MAX */
	cr_assert_eq(o->loss, (uint32_t)(1000ull * UINT32_MAX / 1000000));
	cr_assert_eq(o->gap, 1, "netem reorders only with a gap");
	/* what follows the struct, as sch_netem.c parses it */
	p = (const char *)o + MNL_ALIGN(sizeof(*o));
	for (off = 0; off + sizeof(struct nlattr) <=
		      mnl_attr_get_payload_len(opt) - MNL_ALIGN(sizeof(*o));) {
		a = (const struct nlattr *)(p + off);
		switch (mnl_attr_get_type(a)) {
		case TCA_NETEM_LATENCY64:
			cr_assert_eq((int64_t)mnl_attr_get_u64(a), 10000000);
			lat = true;
			break;
		case TCA_NETEM_JITTER64:
			cr_assert_eq((int64_t)mnl_attr_get_u64(a), 2000000);
			jit = true;
			break;
		case TCA_NETEM_REORDER: {
			const struct tc_netem_reorder *r = mnl_attr_get_payload(a);

			cr_assert_eq(r->probability, (uint32_t)(500000ull * UINT32_MAX / 1000000));
			ro = true;
			break;
		}
		default:
			cr_assert_fail("unexpected netem attribute %u", mnl_attr_get_type(a));
		}
		off += MNL_ALIGN(a->nla_len);
	}
	cr_assert(lat && jit && ro);

	/* loss alone: no delay attributes, no gap; 100 % is UINT32_MAX */
	q = (struct ot_op_qdisc){.loss_ppm = 1000000};
	nlh = ot_nlmsg_newqdisc_netem(buf, sizeof(buf), 3, &q);
	cr_assert_not_null(nlh);
	opt = options(nlh, "netem");
	o = mnl_attr_get_payload(opt);
	cr_assert_eq(o->loss, UINT32_MAX);
	cr_assert_eq(o->gap, 0);
	cr_assert_eq(mnl_attr_get_payload_len(opt), MNL_ALIGN(sizeof(*o)));
}

Test(qdisc, refuses_what_it_cannot_build)
{
	struct ot_op_qdisc none = {0}, tbf = {.rate = 1000, .burst = 2048, .limit = 4096};

	cr_assert_null(ot_nlmsg_newqdisc_tbf(buf, sizeof(buf), 1, TC_H_ROOT, 0x10000, &none));
	cr_assert_null(ot_nlmsg_newqdisc_netem(buf, sizeof(buf), 1, &none));
	cr_assert_null(ot_nlmsg_newqdisc_tbf(buf, 40, 1, TC_H_ROOT, 0x10000, &tbf));
}
