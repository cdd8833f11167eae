/*
 * test_spank_step.c - the per-step decisions of the Slurm plugin: instance
 * names, VNI windows, binding topology nodes to step nodes, the policy
 * checks, task-to-container mapping, PMIx URIs and the submit-side record.
 * Models and plans are built by hand: no front end, no cluster.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "spank/step.h"

static struct ot_model *model(size_t nnodes)
{
	struct ot_model *m = calloc(1, sizeof(*m));
	size_t i;

	cr_assert_not_null(m);
	ot_arena_init(&m->arena);
	m->name = "demo";
	m->nnodes = nnodes;
	m->nodes = ot_arena_calloc(&m->arena, nnodes ? nnodes : 1, sizeof(*m->nodes));
	for (i = 0; i < nnodes; i++) {
		m->nodes[i] = ot_arena_alloc(&m->arena, sizeof(struct ot_m_node));
		m->nodes[i]->name = ot_arena_printf(&m->arena, "node%zu", i);
		m->nodes[i]->index = (uint32_t)i;
	}
	return m;
}

static void model_free(struct ot_model *m)
{
	ot_arena_free(&m->arena);
	free(m);
}

Test(spank_step, instance_name)
{
	char buf[64];

	cr_assert_eq(ot_spank_instance("demo", 12, 3, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "demo.j12s3");
	cr_assert_eq(ot_spank_instance("demo", OT_SPANK_PLACEHOLDER_JOB, OT_SPANK_PLACEHOLDER_STEP,
				       buf, sizeof(buf)),
		     0);
	cr_assert_str_eq(buf, "demo.j4294967295s4294967279");
	cr_assert_eq(ot_spank_instance("demo", 1, 2, buf, 9), -ENAMETOOLONG);
}

Test(spank_step, vni_windows_are_disjoint_and_inside_the_range)
{
	struct ot_spank_config c;
	uint32_t base, span, b2, s2, job, step;

	ot_spank_config_defaults(&c);
	c.bounds.vni_min = 1000;
	c.bounds.vni_max = 1000 + 64 * 200 - 1; /* 200 windows */
	c.vni_block = 64;
	ot_spank_vni_window(&c, 7, 0, &base, &span);
	cr_assert_eq(span, 64);
	for (job = 0; job < 300; job++) {
		for (step = 0; step < 4; step++) {
			ot_spank_vni_window(&c, job, step, &b2, &s2);
			cr_assert_geq(b2, c.bounds.vni_min);
			cr_assert_leq(b2 + s2 - 1, c.bounds.vni_max);
			cr_assert_eq((b2 - c.bounds.vni_min) % 64, 0);
		}
	}
	/* Neighbouring jobs and steps never share a window. */
	ot_spank_vni_window(&c, 7, 1, &b2, &s2);
	cr_assert_neq(base, b2);
	ot_spank_vni_window(&c, 8, 0, &b2, &s2);
	cr_assert_neq(base, b2);
	/* Deterministic: every node computes the same. */
	ot_spank_vni_window(&c, 7, 0, &b2, &s2);
	cr_assert_eq(base, b2);
	/* The whole range as one window. */
	c.vni_block = 64 * 200;
	ot_spank_vni_window(&c, 123456, 9, &b2, &s2);
	cr_assert_eq(b2, 1000);
	cr_assert_eq(s2, 64 * 200);
}

Test(spank_step, node_count_must_match_the_step)
{
	struct ot_model *m = model(3);
	struct ot_error err;

	cr_assert_eq(ot_spank_check_nodes(m, 3, &err), 0);
	cr_assert_eq(ot_spank_check_nodes(m, 0, &err), 0);
	cr_assert_eq(ot_spank_check_nodes(m, 2, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "topology 'demo' has 3 nodes (node0, node1, node2) but the step "
				  "runs on 2: run it with -N3 (node[k] is the k-th node of the "
				  "step)");
	model_free(m);
	m = model(12);
	cr_assert_eq(ot_spank_check_nodes(m, 1, &err), -EINVAL);
	cr_assert(strstr(err.msg, "(node0, node1, node2, node3, node4, node5, node6, node7, ...)"),
		  "%s", err.msg);
	model_free(m);
	m = model(0);
	cr_assert_eq(ot_spank_check_nodes(m, 1, &err), -EINVAL);
	cr_assert(strstr(err.msg, "places no container"), "%s", err.msg);
	model_free(m);
}

Test(spank_step, bind_nodes_in_step_order)
{
	struct ot_model *m = model(2);
	struct ot_spank_config c;
	struct ot_spank_binding b;
	struct ot_error err;
	struct ot_addr a[2];
	const char *names[] = {"sl-n1", "sl-n2"};
	char buf[OT_ADDR_STRLEN];

	ot_spank_config_defaults(&c);
	c.underlay_mtu = 9000;
	strcpy(c.underlay_dev, "eth0");
	ot_addr_parse("192.0.2.11", &a[0]);
	ot_addr_parse("192.0.2.12", &a[1]);
	cr_assert_eq(ot_spank_bind(m, names, a, 2, &c, &b, &err), 0, "%s", err.msg);
	cr_assert_eq(b.hosts.nhosts, 2);
	cr_assert_str_eq(b.hosts.hosts[1].name, "node1");
	cr_assert_str_eq(b.hosts.hosts[1].ssh_target, "sl-n2");
	ot_addr_format(&b.hosts.hosts[1].underlay, buf, sizeof(buf));
	cr_assert_str_eq(buf, "192.0.2.12");
	cr_assert_eq(b.hosts.hosts[0].mtu, 9000);
	cr_assert_str_eq(b.hosts.hosts[0].dev, "eth0");
	ot_spank_binding_free(&b);
	ot_spank_binding_free(&b); /* idempotent */

	ot_addr_parse("2001:db8::2", &a[1]);
	cr_assert_eq(ot_spank_bind(m, names, a, 2, &c, &b, &err), -EINVAL);
	cr_assert(strstr(err.msg, "different families"), "%s", err.msg);
	cr_assert_eq(ot_spank_bind(m, names, a, 1, &c, &b, &err), -EINVAL);
	cr_assert(strstr(err.msg, "run it with -N2"), "%s", err.msg);
	model_free(m);
}

Test(spank_step, policy_explicit_vni_and_sysctls)
{
	struct ot_model *m = model(1);
	struct ot_spank_config c;
	struct ot_m_network net = {.name = "lan", .vni = 100};
	struct ot_m_network *nets[] = {&net};
	struct ot_m_sysctl sc = {.key = "net/ipv4/ip_forward", .value = "1"};
	struct ot_m_container ct = {.name = "web", .sysctls = &sc, .nsysctls = 1};
	struct ot_m_container *cts[] = {&ct};
	struct ot_diags d;
	struct ot_strbuf sb = OT_STRBUF_INIT;

	m->networks = nets;
	m->nnetworks = 1;
	m->containers = cts;
	m->ncontainers = 1;
	ot_diags_init(&d);
	ot_spank_config_defaults(&c);
	cr_assert_eq(ot_spank_policy_check(m, &c, &d), 0);
	c.explicit_vni = false;
	c.sysctls = false;
	net.vni_loc = (struct ot_loc){.file = NULL, .line = 3, .col = 5};
	cr_assert_eq(ot_spank_policy_check(m, &c, &d), 2);
	cr_assert_eq(d.errors, 2);
	cr_assert(strstr(d.v[0].msg, "network 'lan' names VNI 100, but this cluster assigns VNIs "
				     "per job step"));
	cr_assert(strstr(d.v[0].hint, "explicit_vni=no"));
	cr_assert(strstr(d.v[1].msg, "container 'web' sets sysctl 'net/ipv4/ip_forward'"));
	ot_sb_free(&sb);
	ot_diags_free(&d);
	model_free(m);
}

static struct ot_plan *plan3(void)
{
	struct ot_plan *p = ot_plan_new();

	cr_assert_not_null(p);
	p->node = "node0";
	ot_plan_add_ns(p, OT_NS_SWITCH, "demo.node0");
	ot_plan_add_ns(p, OT_NS_CONTAINER, "demo.node0.a");
	ot_plan_add_ns(p, OT_NS_CONTAINER, "demo.node0.b");
	ot_plan_add_ns(p, OT_NS_CONTAINER, "demo.node0.c");
	return p;
}

Test(spank_step, default_mapping_local_task_to_container)
{
	struct ot_plan *p = plan3();
	struct ot_error err;

	cr_assert_eq(ot_spank_task_ns(p, false, 0, 10, &err), 2);
	cr_assert_eq(ot_spank_task_ns(p, false, 2, 12, &err), 4);
	cr_assert_eq(ot_spank_task_ns(p, false, 3, 13, &err), -ENOENT);
	cr_assert_str_eq(err.msg, "task 13 is task 3 of node 'node0', which has only 3 containers: "
				  "start at most 3 tasks per node, or map ranks with 'ranks'");
	ot_plan_free(p);
}

Test(spank_step, explicit_ranks)
{
	struct ot_plan *p = plan3();
	struct ot_error err;

	p->ns[3].ranks = ot_arena_calloc(&p->arena, 1, sizeof(struct ot_rank_range));
	p->ns[3].ranks[0] = (struct ot_rank_range){4, 7};
	p->ns[3].nranks = 1;
	cr_assert_eq(ot_spank_task_ns(p, true, 0, 5, &err), 3);
	cr_assert_eq(ot_spank_task_ns(p, true, 0, 8, &err), -ENOENT);
	cr_assert(strstr(err.msg, "no container of that node lists rank 8"), "%s", err.msg);
	ot_plan_free(p);
}

Test(spank_step, pmix_uris)
{
	struct ot_addr a;
	uint16_t port;
	char buf[OT_ADDR_STRLEN];

	cr_assert_eq(ot_spank_pmix_uri("pmix-server.4242;tcp4://127.0.0.1:45678", &a, &port), 0);
	ot_addr_format(&a, buf, sizeof(buf));
	cr_assert_str_eq(buf, "127.0.0.1");
	cr_assert_eq(port, 45678);
	cr_assert_eq(ot_spank_pmix_uri("4242.0;tcp6://[::1]:1024", &a, &port), 0);
	cr_assert_eq(a.family, AF_INET6);
	cr_assert_eq(port, 1024);
	cr_assert_eq(ot_spank_pmix_uri("tcp4://127.0.0.1:80", &a, &port), 0);
	cr_assert_lt(ot_spank_pmix_uri("x;tcp4://127.0.0.1:0", &a, &port), 0);
	cr_assert_lt(ot_spank_pmix_uri("x;tcp4://127.0.0.1:65536", &a, &port), 0);
	cr_assert_lt(ot_spank_pmix_uri("x;tcp4://127.0.0.1:", &a, &port), 0);
	cr_assert_lt(ot_spank_pmix_uri("x;tcp4://localhost:5", &a, &port), 0);
	cr_assert_lt(ot_spank_pmix_uri("x;usock:/tmp/x", &a, &port), 0);
	cr_assert_lt(ot_spank_pmix_uri("x;tcp6://::1:5", &a, &port), 0);
	cr_assert_lt(ot_spank_pmix_uri("", &a, &port), 0);
}

Test(spank_step, submit_record_round_trip)
{
	char buf[128];
	uint64_t d;
	const char *path;

	cr_assert_eq(
	    ot_spank_env_format(0x0123456789abcdefull, "/home/u/net.otp", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "0123456789abcdef /home/u/net.otp");
	cr_assert_eq(ot_spank_env_parse(buf, &d, &path), 0);
	cr_assert_eq(d, 0x0123456789abcdefull);
	cr_assert_str_eq(path, "/home/u/net.otp");
	cr_assert_lt(ot_spank_env_parse("0123456789abcdef net.otp", &d, &path), 0);
	cr_assert_lt(ot_spank_env_parse("0123456789ABCDEF /x", &d, &path), 0);
	cr_assert_lt(ot_spank_env_parse("0123 /x", &d, &path), 0);
	cr_assert_eq(ot_spank_env_format(1, "/a/very/long/path", buf, 20), -ENAMETOOLONG);
}

/* Parts of the carried text, as the job's environment would hold them. */
static const char *parts_env[OT_SPANK_CARRY_PARTS + 2];

static int parts_get(void *ctx, const char *name, char *buf, size_t size)
{
	char want[32];
	unsigned k;

	(void)ctx;
	for (k = 0; parts_env[k]; k++) {
		ot_spank_carry_name(k, want, sizeof(want));
		if (!strcmp(name, want) && strlen(parts_env[k]) < size) {
			memcpy(buf, parts_env[k], strlen(parts_env[k]) + 1);
			return 0;
		}
	}
	return -1;
}

Test(spank_step, carried_text_joins_its_parts)
{
	char name[32], *out = NULL, *big = malloc(OT_SPANK_CARRY_MAX + 1);
	unsigned k;

	cr_assert(big);
	ot_spank_carry_name(0, name, sizeof(name));
	cr_assert_str_eq(name, "SLURM_OPENTOP_TEXT");
	ot_spank_carry_name(2, name, sizeof(name));
	cr_assert_str_eq(name, "SLURM_OPENTOP_TEXT_2");
	cr_assert_eq(ot_spank_carry_join(parts_get, NULL, &out), -ENOENT);

	/* A split inside a %XX escape is fine: the parts join before decoding. */
	parts_env[0] = "topology t%0";
	parts_env[1] = "Anode a";
	cr_assert_eq(ot_spank_carry_join(parts_get, NULL, &out), 0);
	cr_assert_str_eq(out, "topology t%0Anode a");
	free(out);

	/* Every part full: the most the bound allows joins; one more part is refused. */
	memset(big, 'x', OT_SPANK_CARRY_MAX);
	big[OT_SPANK_CARRY_MAX] = '\0';
	for (k = 0; k < OT_SPANK_CARRY_PARTS; k++)
		parts_env[k] = big;
	parts_env[k] = NULL;
	cr_assert_eq(ot_spank_carry_join(parts_get, NULL, &out), 0);
	cr_assert_eq(strlen(out), (size_t)OT_SPANK_CARRY_PARTS * OT_SPANK_CARRY_MAX);
	free(out);
	parts_env[k] = "y";
	cr_assert_eq(ot_spank_carry_join(parts_get, NULL, &out), -E2BIG);
	memset(parts_env, 0, sizeof(parts_env));
	free(big);
}
