/*
 * test_compile_fw.c - firewall and NAT lowering, the reachability probes
 * (the static firewall evaluation and the one-router-hop model), and the
 * administrator bounds, on hand-built models.
 */
#include "test_compile_model.h"

/* client, web on lan; web has a firewall; nothing else has rules. */
static struct ot_model *fw_model(struct ot_m_container **web, struct ot_m_container **client)
{
	struct ot_model *m = tm_new("fw");
	struct ot_m_node *n1 = tm_node(m, "n1"), *n2 = tm_node(m, "n2");
	struct ot_m_network *lan = tm_net(m, "lan", "10.10.0.0/24");

	*web = tm_ctr(m, "web", n1);
	*client = tm_ctr(m, "client", n2);
	tm_iface(m, *web, "eth0", lan, "10.10.0.10/24", NULL);
	tm_iface(m, *client, "eth0", lan, "10.10.0.20/24", NULL);
	return m;
}

static const struct ot_op *nft_op(const struct ot_plan *p, int ns)
{
	size_t i;

	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == OT_OP_NFT && p->ops[i].ns == ns)
			return &p->ops[i];
	return NULL;
}

Test(firewall, lowering)
{
	struct ot_m_container *web, *client;
	struct ot_model *m = fw_model(&web, &client);
	struct ot_m_rule *r;
	struct ot_m_nat *nat;
	struct ot_compiled *c;
	const struct ot_op *op;
	const struct ot_op_nft *n;

	r = tm_rule(web, OT_M_IN, OT_M_ALLOW, IPPROTO_TCP);
	r->dport = (struct ot_ports){1, {{80, 80}}};
	r->has_src = true;
	ot_prefix_parse("10.10.0.0/24", true, &r->src);
	r->loc = (struct ot_loc){"dir/t.otp", 14, 9, 5};
	r = tm_rule(web, OT_M_IN, OT_M_REJECT, 0);
	r->iif = &web->ifaces[0];
	tm_rule(web, OT_M_OUT, OT_M_ALLOW, IPPROTO_ICMP);
	web->policy_drop[OT_M_IN] = true;
	nat = &web->nats[web->nnats++];
	nat->kind = OT_M_DNAT;
	nat->iif = &web->ifaces[0];
	nat->l4proto = IPPROTO_TCP;
	nat->dport = (struct ot_ports){1, {{8080, 8080}}};
	ot_addr_parse("10.10.0.11", &nat->to);
	nat->to_port = 80;
	nat->loc = tm_loc();

	c = tm_compile(m, NULL);
	/* no table where nothing asks for one */
	cr_assert_null(nft_op(c->plans[1], ot_plan_container_find(c->plans[1], "client")));
	cr_assert_eq(tm_count(c->plans[1], OT_OP_NFT, -1), 0);
	op = nft_op(c->plans[0], ot_plan_container_find(c->plans[0], "web"));
	cr_assert_not_null(op);
	n = &op->nft;
	cr_assert_str_eq(n->table, "opentop");
	cr_assert_eq(n->nchains, 3);
	cr_assert_str_eq(n->chains[0].name, "input");
	cr_assert(n->chains[0].policy_drop);
	cr_assert_eq(n->chains[0].hook, OT_NFT_INPUT);
	cr_assert_str_eq(n->chains[1].name, "output");
	cr_assert(!n->chains[1].policy_drop);
	cr_assert_str_eq(n->chains[2].name, "prerouting");
	cr_assert_eq(n->chains[2].type, OT_NFT_NAT);
	cr_assert_eq(n->chains[2].priority, -100);
	/* input: ct rule, ND accept, then the user's rules in order; output:
	 * ct rule, ND accept, the user's rule; prerouting: the DNAT */
	cr_assert_eq(n->nrules, 8);
	cr_assert_eq(n->rules[0].chain, 0);
	cr_assert_eq(n->rules[0].ct_state, OT_CT_ESTABLISHED | OT_CT_RELATED);
	cr_assert_eq(n->rules[0].verdict, OT_NFT_ACCEPT);
	cr_assert_eq(n->rules[1].chain, 0);
	cr_assert_eq(n->rules[1].l4proto, IPPROTO_ICMPV6);
	cr_assert(n->rules[1].has_icmp_type);
	cr_assert_eq(n->rules[1].icmp_type_first, 135); /* nd-neighbor-solicit */
	cr_assert_eq(n->rules[1].icmp_type_last, 136);	/* nd-neighbor-advert */
	cr_assert_eq(n->rules[1].verdict, OT_NFT_ACCEPT);
	cr_assert_eq(n->rules[2].l4proto, IPPROTO_TCP);
	cr_assert_eq(n->rules[2].dport.r[0].lo, 80);
	cr_assert_eq(n->rules[2].family, AF_INET);
	cr_assert_str_eq(n->rules[2].comment, "t.otp:14");
	cr_assert(n->rules[2].counter);
	cr_assert_eq(n->rules[3].verdict, OT_NFT_REJECT);
	cr_assert_str_eq(n->rules[3].iif, "eth0");
	cr_assert_eq(n->rules[4].chain, 1);
	cr_assert_eq(n->rules[4].ct_state, OT_CT_ESTABLISHED | OT_CT_RELATED);
	cr_assert_eq(n->rules[5].chain, 1);
	cr_assert(n->rules[5].has_icmp_type);
	cr_assert_eq(n->rules[6].l4proto, IPPROTO_ICMP);
	cr_assert_eq(n->rules[7].chain, 2);
	cr_assert_eq(n->rules[7].verdict, OT_NFT_DNAT);
	cr_assert_eq(n->rules[7].nat_port, 80);
	cr_assert_eq(n->rules[7].family, AF_INET);
	cr_assert_str_eq(n->rules[7].iif, "eth0");
	ot_compiled_free(c);
	tm_free(m);
}

static const struct ot_probe *probe(const struct ot_plan *p, const char *from, const char *to)
{
	size_t i;

	for (i = 0; i < p->nprobes; i++)
		if (strcmp(p->ns[p->probes[i].from_ns].container, from) == 0 &&
		    strcmp(p->probes[i].to_container, to) == 0)
			return &p->probes[i];
	return NULL;
}

Test(probes, same_network_and_firewall)
{
	struct ot_m_container *web, *client;
	struct ot_model *m = fw_model(&web, &client);
	struct ot_compile_opts o = {.probes = true};
	struct ot_m_rule *r;
	struct ot_compiled *c;
	const struct ot_probe *pr;

	r = tm_rule(web, OT_M_IN, OT_M_ALLOW, IPPROTO_TCP);
	r->dport = (struct ot_ports){1, {{80, 80}}};
	r = tm_rule(web, OT_M_IN, OT_M_DROP, IPPROTO_ICMP);
	r->loc = (struct ot_loc){"t.otp", 21, 9, 4};
	c = tm_compile(m, &o);
	pr = probe(c->plans[1], "client", "web");
	cr_assert_not_null(pr);
	cr_assert_eq(pr->expect, OT_EXPECT_BLOCKED);
	cr_assert_str_eq(pr->why, "dropped by web's firewall at t.otp:21");
	cr_assert_str_eq(pr->to_node, "n1");
	pr = probe(c->plans[0], "web", "client");
	cr_assert_not_null(pr);
	cr_assert_eq(pr->expect, OT_EXPECT_REACH, "replies pass: %s", pr->why);
	cr_assert_str_eq(pr->why, "same network 'lan'");
	ot_compiled_free(c);
	/* without probes requested: none */
	c = tm_compile(m, NULL);
	cr_assert_eq(c->plans[0]->nprobes + c->plans[1]->nprobes, 0);
	ot_compiled_free(c);
	tm_free(m);
}

/* a -- [r] -- b, r forwards; r's forward chain drops icmp toward b2. */
Test(probes, through_a_router)
{
	struct ot_model *m = tm_new("rt");
	struct ot_m_node *n1 = tm_node(m, "n1");
	struct ot_m_network *left = tm_net(m, "left", "10.1.0.0/24");
	struct ot_m_network *right = tm_net(m, "right", "10.2.0.0/24");
	struct ot_m_network *island = tm_net(m, "island", "10.3.0.0/24");
	struct ot_m_container *a = tm_ctr(m, "a", n1), *r = tm_ctr(m, "r", n1);
	struct ot_m_container *b = tm_ctr(m, "b", n1), *b2 = tm_ctr(m, "b2", n1);
	struct ot_m_container *i1 = tm_ctr(m, "i1", n1), *i2 = tm_ctr(m, "i2", n1);
	struct ot_compile_opts o = {.probes = true};
	struct ot_m_rule *fr;
	struct ot_compiled *c;
	const struct ot_probe *pr;

	tm_iface(m, a, "eth0", left, "10.1.0.10/24", NULL);
	tm_iface(m, r, "eth0", left, "10.1.0.1/24", NULL);
	tm_iface(m, r, "eth1", right, "10.2.0.1/24", NULL);
	tm_iface(m, b, "eth0", right, "10.2.0.10/24", NULL);
	tm_iface(m, b2, "eth0", right, "10.2.0.11/24", NULL);
	tm_iface(m, i1, "eth0", island, "10.3.0.1/24", NULL);
	tm_iface(m, i2, "eth0", island, "10.3.0.2/24", NULL);
	tm_route(a, "default", "10.1.0.1");
	tm_route(b, "default", "10.2.0.1");
	tm_route(b2, "default", "10.2.0.1");
	r->forward = true;
	fr = tm_rule(r, OT_M_FORWARD, OT_M_DROP, 0);
	fr->has_dst = true;
	ot_prefix_parse("10.2.0.11/32", true, &fr->dst);
	fr->loc = (struct ot_loc){"t.otp", 30, 9, 4};
	c = tm_compile(m, &o);
	pr = probe(c->plans[0], "a", "b");
	cr_assert_not_null(pr);
	cr_assert_eq(pr->expect, OT_EXPECT_REACH, "%s", pr->why);
	cr_assert_str_eq(pr->why, "via router r");
	pr = probe(c->plans[0], "a", "b2");
	if (pr) {
		cr_assert_eq(pr->expect, OT_EXPECT_BLOCKED);
		cr_assert_str_eq(pr->why, "dropped by r's firewall at t.otp:30");
	}
	/* separate networks without a route */
	pr = probe(c->plans[0], "i1", "a");
	if (!pr)
		pr = probe(c->plans[0], "b", "i1");
	cr_assert_not_null(pr, "a probe across unconnected networks");
	cr_assert_eq(pr->expect, OT_EXPECT_BLOCKED);
	cr_assert(strstr(pr->why, "no route from"), "%s", pr->why);
	ot_compiled_free(c);
	/* without forwarding the router blocks */
	r->forward = false;
	c = tm_compile(m, &o);
	pr = probe(c->plans[0], "a", "b");
	cr_assert_not_null(pr);
	cr_assert_eq(pr->expect, OT_EXPECT_BLOCKED);
	cr_assert_str_eq(pr->why, "r does not forward (no 'forward')");
	ot_compiled_free(c);
	tm_free(m);
}

Test(probes, capped_on_large_networks)
{
	struct ot_model *m = tm_new("big");
	struct ot_m_node *n[4] = {tm_node(m, "n0"), tm_node(m, "n1"), tm_node(m, "n2"),
				  tm_node(m, "n3")};
	struct ot_m_network *lan = tm_net(m, "lan", "10.0.0.0/16");
	struct ot_compile_opts o = {.probes = true};
	struct ot_compiled *c;
	size_t i, total = 0;

	for (i = 0; i < 200; i++) {
		char name[16], a[32];

		snprintf(name, sizeof(name), "c%zu", i);
		snprintf(a, sizeof(a), "10.0.%zu.%zu/16", i / 200, i % 200 + 1);
		tm_iface(m, tm_ctr(m, tm_str(m, name), n[i % 4]), "eth0", lan, tm_str(m, a), NULL);
	}
	c = tm_compile(m, &o);
	for (i = 0; i < c->nplans; i++)
		total += c->plans[i]->nprobes;
	cr_assert_gt(total, 32);
	cr_assert_leq(total, 64);
	ot_compiled_free(c);
	tm_free(m);
}

Test(bounds, refused_at_the_construct)
{
	struct ot_model *m = tm_new("b");
	struct ot_m_node *n1 = tm_node(m, "n1");
	struct ot_m_network *lan = tm_net(m, "lan", "10.0.0.0/24");
	struct ot_m_container *c1 = tm_ctr(m, "c1", n1), *c2 = tm_ctr(m, "c2", n1);
	struct ot_prefix allowed;
	struct ot_bounds b = {.max_containers_per_node = 1,
			      .max_ifaces_per_node = 2,
			      .forbid_host_objects = true,
			      .allowed_isolate = OT_ISO_UTS,
			      .forbid_limits = true,
			      .allowed_addrs = &allowed,
			      .nallowed_addrs = 1};
	struct ot_compile_opts o = {.bounds = &b};
	char *msg, want[256];

	ot_prefix_parse("10.0.0.0/25", true, &allowed);
	tm_iface(m, c1, "eth0", lan, "10.0.0.1/24", NULL);
	tm_iface(m, c1, "mv0", NULL, NULL, NULL);
	tm_iface(m, c2, "eth0", lan, "10.0.0.200/24", NULL);
	tm_uplink(lan, n1, "10.0.0.254/24", true);
	c1->isolate |= OT_ISO_PID | OT_ISO_UTS;
	c1->isolate_loc = tm_loc();
	c1->pids = 10;
	c1->limit_loc = tm_loc();
	msg = tm_compile_fail(m, &o);
	snprintf(want, sizeof(want),
		 "t.otp:%u:1: error: container 'c2' is one more than the 1 "
		 "containers allowed on node 'n1'",
		 c2->loc.line);
	cr_assert(strstr(msg, want), "%s", msg);
	snprintf(want, sizeof(want),
		 "t.otp:%u:1: error: interface 'c2.eth0' is one more than the "
		 "2 interfaces allowed on node 'n1'",
		 c2->ifaces[0].loc.line);
	cr_assert(strstr(msg, want), "%s", msg);
	snprintf(want, sizeof(want),
		 "t.otp:%u:1: error: macvlan on host interface 'eth9' is not "
		 "allowed here",
		 c1->ifaces[1].loc.line);
	cr_assert(strstr(msg, want), "%s", msg);
	snprintf(want, sizeof(want), "t.otp:%u:1: error: isolation 'pid' is not allowed here",
		 c1->isolate_loc.line);
	cr_assert(strstr(msg, want), "%s", msg);
	snprintf(want, sizeof(want), "t.otp:%u:1: error: cgroup limits are not allowed here",
		 c1->limit_loc.line);
	cr_assert(strstr(msg, want), "%s", msg);
	snprintf(want, sizeof(want),
		 "t.otp:%u:1: error: address 10.0.0.200/24 of 'c2.eth0' is "
		 "outside the allowed address ranges",
		 c2->ifaces[0].addr_locs[0].line);
	cr_assert(strstr(msg, want), "%s", msg);
	cr_assert(strstr(msg, "error: uplink of network 'lan' to the host is not allowed here"),
		  "%s", msg);
	cr_assert(!strstr(msg, "10.0.0.1/24"), "an allowed address was refused: %s", msg);
	free(msg);
	tm_free(m);
}

/* A router that masquerades toward the target: no route back is needed. */
Test(probes, source_nat_on_the_router)
{
	struct ot_model *m = tm_new("nat");
	struct ot_m_node *n1 = tm_node(m, "n1");
	struct ot_m_network *in = tm_net(m, "in", "10.30.0.0/24");
	struct ot_m_network *out = tm_net(m, "out", "198.51.100.0/24");
	struct ot_m_container *web = tm_ctr(m, "web", n1), *gw = tm_ctr(m, "gw", n1);
	struct ot_m_container *v = tm_ctr(m, "visitor", n1);
	struct ot_compile_opts o = {.probes = true};
	struct ot_compiled *c;
	const struct ot_probe *pr;
	struct ot_m_nat *nat;

	tm_iface(m, web, "eth0", in, "10.30.0.80/24", NULL);
	tm_iface(m, gw, "in0", in, "10.30.0.1/24", NULL);
	tm_iface(m, gw, "out0", out, "198.51.100.2/24", NULL);
	tm_iface(m, v, "eth0", out, "198.51.100.7/24", NULL);
	tm_route(web, "default", "10.30.0.1");
	gw->forward = true;
	c = tm_compile(m, &o);
	pr = probe(c->plans[0], "web", "visitor");
	cr_assert_not_null(pr);
	cr_assert_eq(pr->expect, OT_EXPECT_BLOCKED);
	cr_assert_str_eq(pr->why, "no route back from visitor to 10.30.0.80");
	ot_compiled_free(c);
	nat = &gw->nats[gw->nnats++];
	nat->kind = OT_M_MASQUERADE;
	nat->oif = &gw->ifaces[1];
	nat->loc = tm_loc();
	c = tm_compile(m, &o);
	pr = probe(c->plans[0], "web", "visitor");
	cr_assert_not_null(pr);
	cr_assert_eq(pr->expect, OT_EXPECT_REACH, "%s", pr->why);
	cr_assert_str_eq(pr->why, "via router gw (source NAT)");
	ot_compiled_free(c);
	tm_free(m);
}
