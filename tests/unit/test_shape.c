/*
 * test_shape.c - the allocation's shape in the language (NODES, TASKS,
 * tasks_on, rank_of, node_of) from a caller's shape, from -D and from the
 * hosts count; the fit check; `address auto` and `mac auto` (order,
 * explicit addresses skipped, IPv6, exhaustion at the network's line).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/load.h"
#include "util/strbuf.h"

static struct ot_diags d;
static struct ot_model *m;
static struct ot_strbuf errs = OT_STRBUF_INIT;

static int load_opts(const char *text, const struct ot_load_opts *o)
{
	size_t i;
	int r;

	ot_diags_init(&d);
	ot_sb_reset(&errs);
	r = ot_topology_load_mem("t.otp", text, strlen(text), o, &d, &m);
	ot_diags_sort(&d);
	for (i = 0; i < d.n; i++)
		if (d.v[i].level == OT_DIAG_ERROR)
			ot_sb_printf(&errs, "%u:%u: %s\n", d.v[i].loc.line, d.v[i].loc.col,
				     d.v[i].msg);
	return r;
}

static void done(void)
{
	ot_model_free(m);
	m = NULL;
	ot_diags_free(&d);
	ot_sb_free(&errs);
}

static const char *addr_of(const char *container, size_t k)
{
	static char s[64];
	const struct ot_m_container *c = ot_model_container(m, container);

	cr_assert_not_null(c, "no container %s", container);
	cr_assert(k < c->ifaces[0].naddrs, "%s has %zu addresses", container, c->ifaces[0].naddrs);
	ot_prefix_format(&c->ifaces[0].addrs[k], s, sizeof(s));
	return s;
}

static const char *mac_of(const char *container)
{
	static char s[32];

	ot_mac_format(&ot_model_container(m, container)->ifaces[0].mac, s, sizeof(s));
	return s;
}

/* one container per task, named after its node and local index */
static const char per_task[] = "topology t\n"
			       "network lan {\n"
			       "    subnet 10.0.0.0/24\n"
			       "}\n"
			       "for k in 0..NODES - 1 {\n"
			       "    for l in 0..tasks_on(k) - 1 {\n"
			       "        container c{k}_{l}_r{rank_of(k, l)} on node[k] {\n"
			       "            iface eth0 on lan address auto\n"
			       "            ranks {rank_of(k, l)}\n"
			       "        }\n"
			       "    }\n"
			       "}\n"
			       "for r in 0..TASKS - 1 {\n"
			       "    network check{node_of(r)}_{r}\n"
			       "}\n";

Test(shape, cyclic_layout_from_the_caller)
{
	/* srun -N3 -n7 --distribution=cyclic: ranks 0,3,6 | 1,4 | 2,5 */
	static const uint32_t node_of[] = {0, 1, 2, 0, 1, 2, 0};
	struct ot_shape s = {3, 7, node_of};
	struct ot_load_opts o = {.shape = &s};

	cr_assert_eq(load_opts(per_task, &o), 0, "%s", ot_sb_str(&errs));
	cr_assert_not_null(ot_model_container(m, "c0_2_r6"));
	cr_assert_not_null(ot_model_container(m, "c1_1_r4"));
	cr_assert_not_null(ot_model_container(m, "c2_0_r2"));
	cr_assert_not_null(ot_model_network(m, "check2_5"));
	cr_assert_eq(m->ncontainers, 7);
	cr_assert_str_eq(addr_of("c0_0_r0", 0), "10.0.0.1/24");
	cr_assert_str_eq(addr_of("c0_2_r6", 0), "10.0.0.3/24", "source order, not rank order");
	cr_assert_str_eq(addr_of("c2_1_r5", 0), "10.0.0.7/24");
	done();
}

Test(shape, block_layout_from_defines_and_hosts)
{
	const char *defs[] = {"TASKS=3"};
	struct ot_load_opts o = {.defines = defs, .ndefines = 1, .hosts = 2};

	/* -N2 -n3, Slurm's default: ranks 0,1 | 2 */
	cr_assert_eq(load_opts(per_task, &o), 0, "%s", ot_sb_str(&errs));
	cr_assert_not_null(ot_model_container(m, "c0_1_r1"));
	cr_assert_not_null(ot_model_container(m, "c1_0_r2"));
	cr_assert_eq(m->ncontainers, 3);
	done();

	/* nothing given: one node, one task */
	cr_assert_eq(load_opts(per_task, NULL), 0, "%s", ot_sb_str(&errs));
	cr_assert_eq(m->ncontainers, 1);
	done();
}

Test(shape, out_of_range_and_bad_defines)
{
	const char *defs[] = {"NODES=2", "TASKS=x"};
	struct ot_load_opts o = {.defines = defs, .ndefines = 2};
	static const uint32_t node_of[] = {0, 1};
	struct ot_shape s = {2, 2, node_of};
	const char *sdefs[] = {"NODES=4"};
	struct ot_load_opts so = {.defines = sdefs, .ndefines = 1, .shape = &s};

	cr_assert_eq(load_opts("topology t\nnode n{node_of(TASKS)}\n", NULL), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs),
			 "2:16: rank 1 is out of range: the allocation has 1 task (0..0)\n");
	done();
	cr_assert_eq(load_opts("topology t\nnode n{rank_of(0, 1)}\nnode m{tasks_on(-1)}\n", NULL),
		     -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs),
			 "2:19: task 1 is out of range: node 0 runs 1 task (0..0)\n"
			 "3:17: node -1 is out of range: the allocation has 1 node (0..0)\n");
	done();
	cr_assert_eq(load_opts("topology t\nnode n\n", &o), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs), "0:0: -D TASKS: the value is not an integer\n");
	done();
	cr_assert_eq(load_opts("topology t\nnode n\n", &so), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs), "0:0: -D NODES=4: NODES is the allocation's node count "
					   "and cannot be set here\n");
	done();
}

Test(shape, builtin_names_are_reserved)
{
	cr_assert_eq(load_opts("topology t\nparam TASKS = 2\nfor node_of in 0..1 {\n}\n"
			       "node n{tasks_on}\nnode m{rank_of(0)}\n",
			       NULL),
		     -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs),
			 "2:7: param 'TASKS' has the name of a built-in\n"
			 "3:5: loop variable 'node_of' has the name of a built-in\n"
			 "5:8: 'tasks_on' is a function: write tasks_on(NODE)\n"
			 "6:17: expected ',', found ')'\n");
	done();
}

Test(shape, topology_larger_than_the_allocation)
{
	static const uint32_t node_of[] = {0, 0, 1};
	struct ot_shape s = {2, 3, node_of};
	struct ot_load_opts o = {.shape = &s};

	cr_assert_eq(load_opts("topology t\ncontainer a on n1\ncontainer b on n2\n"
			       "container c on n3\ncontainer d on n4\n",
			       &o),
		     -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs), "4:16: the topology needs 4 nodes, the allocation has "
					   "2: node 'n3' has no machine\n");
	done();
}

Test(shape, auto_skips_explicit_addresses_and_macs)
{
	const char *t = "topology t\n"
			"network lan {\n"
			"    subnet 10.0.0.0/29 fd00::/120\n"
			"    uplink on n0 address 10.0.0.2\n"
			"}\n"
			"for i in 0..2 {\n"
			"    container a{i} on n0 {\n"
			"        iface eth0 on lan address auto mac auto\n"
			"    }\n"
			"}\n"
			"container x on n0 {\n"
			"    iface eth0 on lan address 10.0.0.4 fd00::1 mac 02:00:00:00:00:02\n"
			"}\n";

	cr_assert_eq(load_opts(t, NULL), 0, "%s", ot_sb_str(&errs));
	cr_assert_str_eq(addr_of("a0", 0), "10.0.0.1/29");
	cr_assert_str_eq(addr_of("a0", 1), "fd00::2/120", "fd00::1 is written below");
	cr_assert_str_eq(addr_of("a1", 0), "10.0.0.3/29", "the uplink's .2 is skipped");
	cr_assert_str_eq(addr_of("a2", 0), "10.0.0.5/29", "x's .4 is skipped");
	cr_assert_str_eq(addr_of("a2", 1), "fd00::4/120");
	cr_assert_str_eq(mac_of("a0"), "02:00:00:00:00:01");
	cr_assert_str_eq(mac_of("a1"), "02:00:00:00:00:03", "x's MAC is skipped");
	cr_assert(ot_model_container(m, "a1")->ifaces[0].addr_auto);
	done();
}

Test(shape, exhausted_subnet_is_an_error_at_the_network)
{
	const char *t = "topology t\n"
			"network lan {\n"
			"    subnet 10.0.0.0/30\n"
			"}\n"
			"for i in 0..2 {\n"
			"    container a{i} on n0 {\n"
			"        iface eth0 on lan address auto\n"
			"    }\n"
			"}\n";

	cr_assert_eq(load_opts(t, NULL), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs),
			 "2:9: subnet 10.0.0.0/30 of network 'lan' has no address left for "
			 "'address auto' of interface 'eth0' of container 'a2'\n");
	done();
	cr_assert_eq(
	    load_opts("topology t\nnetwork lan\ncontainer a on n0 {\n"
		      "    iface eth0 on lan address auto\n    iface p0 address auto 10.1.1.1/24\n"
		      "    iface p1 address auto\n}\n",
		      NULL),
	    -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs),
			 "4:31: 'address auto': network 'lan' has no subnet\n"
			 "5:11: interface 'p0' of container 'a' is not connected\n"
			 "5:22: 'address auto' stands alone\n"
			 "6:11: interface 'p1' of container 'a' is not connected\n"
			 "6:22: 'address auto' needs an interface on a network "
			 "with a subnet\n");
	done();
}
