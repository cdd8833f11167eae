/*
 * test_compile_fdb.c - the cap on exact VXLAN FDB entries (cc.h,
 * CC_MAX_FDB_EXACT = 4096): a VXLAN device with at most 4096 remote members
 * holds one exact entry per remote MAC and does not learn; with more, it
 * holds only the head-end replication entries (one per remote node) and
 * learns. Topologies are loaded from source (loops), compiled and validated.
 */
#include "test_compile_model.h"

#include "model/load.h"
#include "plan/plan_json.h"

/* n1: one member of `edge` and one of `big`; n2: `AT` members of edge;
 * n3: `AT + 1` members of big. */
#define AT 4096

static const char src[] = "topology f\n"
			  "network edge {\n    subnet 10.1.0.0/16\n}\n"
			  "network big {\n    subnet 10.2.0.0/16\n}\n"
			  "container e0 on n1 {\n    iface eth0 on edge\n}\n"
			  "container b0 on n1 {\n    iface eth0 on big\n}\n"
			  "for i in 1..4096 {\n"
			  "    container e{i} on n2 {\n        iface eth0 on edge\n    }\n"
			  "}\n"
			  "for i in 1..4097 {\n"
			  "    container b{i} on n3 {\n        iface eth0 on big\n    }\n"
			  "}\n";

/* FDB ops and the VXLAN device of the container's eth0 (n1's members are
 * alone on their node: their eth0 is the VXLAN device itself). */
static void device(const struct ot_plan *p, const char *ctr, size_t *nfdb, bool *learning)
{
	int ns = ot_plan_container_find(p, ctr);
	size_t i;

	cr_assert_geq(ns, 0, "%s", ctr);
	*nfdb = 0;
	*learning = false;
	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];

		if (op->ns != ns)
			continue;
		if (op->kind == OT_OP_FDB)
			(*nfdb)++;
		if (op->kind == OT_OP_LINK && op->link.kind == OT_LINK_VXLAN)
			*learning = op->link.learning;
	}
}

Test(compile_fdb, exact_entries_capped_per_device)
{
	struct ot_diags d;
	struct ot_model *m = NULL;
	struct ot_hosts *h;
	struct ot_compile_opts o = {0};
	struct ot_compiled *c;
	struct ot_plan *p;
	size_t nfdb, i, exact = 0;
	bool learning;

	ot_diags_init(&d);
	cr_assert_eq(ot_topology_load_mem("f.otp", src, sizeof(src) - 1, NULL, &d, &m), 0);
	ot_diags_free(&d);
	h = tm_hosts(m, false, 0);
	o.hosts = h;
	c = tm_compile(m, &o);
	p = ot_compiled_plan(c, "n1");
	cr_assert_not_null(p);

	/* edge: 4096 remote members, at the cap: 1 flood + 4096 exact, no learning */
	device(p, "e0", &nfdb, &learning);
	cr_assert_eq(nfdb, 1 + AT);
	cr_assert_not(learning);
	/* big: 4097 remote members, past the cap: head-end replication only, learning */
	device(p, "b0", &nfdb, &learning);
	cr_assert_eq(nfdb, 1);
	cr_assert(learning);
	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == OT_OP_FDB && !ot_mac_is_zero(&p->ops[i].fdb.mac))
			exact++;
	cr_assert_eq(exact, AT, "exact entries only for edge");
	/* the plan the executor reads keeps it: JSON out and back */
	{
		struct ot_strbuf sb = OT_STRBUF_INIT;
		struct ot_error err = {0};
		struct ot_plan *back = NULL;

		cr_assert_eq(ot_plan_json_write(p, 0, 0, &sb), 0);
		cr_assert_eq(ot_plan_load(sb.buf, sb.len, &back, &err), 0, "%s", err.msg);
		device(back, "b0", &nfdb, &learning);
		cr_assert_eq(nfdb, 1);
		cr_assert(learning, "learning survives the plan's JSON");
		ot_plan_free(back);
		ot_sb_free(&sb);
	}

	/* n3's device of big has one remote member (b0): exact, no learning */
	p = ot_compiled_plan(c, "n3");
	cr_assert_not_null(p);
	cr_assert_eq(tm_count(p, OT_OP_FDB, -1), 2);
	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == OT_OP_LINK && p->ops[i].link.kind == OT_LINK_VXLAN)
			cr_assert_not(p->ops[i].link.learning);

	ot_compiled_free(c);
	tm_hosts_free(h);
	ot_model_free(m);
}
