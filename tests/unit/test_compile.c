/*
 * test_compile.c - the back end's decisions on hand-built models: partition
 * (which nodes get a bridge, a VXLAN device, a veth pair), lowering (ops and
 * their order), naming (15-byte limit, collisions, host uniqueness), VNIs,
 * MACs, MTUs, FDB entries, unbound plans, and the JSON round trip of every
 * compiled plan.
 */
#include "test_compile_model.h"

#include "plan/plan_json.h"

/* lan: a1, a2 on n1, b1 on n2; p2p: a1 -- a2 on n1; tri: 3 on n1; solo: 1 on n2 */
static struct ot_model *two_nodes(void)
{
	struct ot_model *m = tm_new("demo");
	struct ot_m_node *n1 = tm_node(m, "n1"), *n2 = tm_node(m, "n2");
	struct ot_m_network *lan = tm_net(m, "lan", "10.0.0.0/24");
	struct ot_m_network *p2p = tm_net(m, "p2p", "10.1.0.0/24");
	struct ot_m_network *tri = tm_net(m, "tri", "10.2.0.0/24");
	struct ot_m_network *solo = tm_net(m, "solo", "10.3.0.0/24");
	struct ot_m_container *a1 = tm_ctr(m, "a1", n1), *a2 = tm_ctr(m, "a2", n1);
	struct ot_m_container *a3 = tm_ctr(m, "a3", n1), *b1 = tm_ctr(m, "b1", n2);

	tm_iface(m, a1, "eth0", lan, "10.0.0.1/24", NULL);
	tm_iface(m, a2, "eth0", lan, "10.0.0.2/24", NULL);
	tm_iface(m, b1, "eth0", lan, "10.0.0.3/24", NULL);
	tm_iface(m, a1, "eth1", p2p, "10.1.0.1/24", NULL);
	tm_iface(m, a2, "eth1", p2p, "10.1.0.2/24", NULL);
	tm_iface(m, a1, "eth2", tri, "10.2.0.1/24", NULL);
	tm_iface(m, a2, "eth2", tri, "10.2.0.2/24", NULL);
	tm_iface(m, a3, "eth2", tri, "10.2.0.3/24", NULL);
	tm_iface(m, b1, "eth1", solo, "10.3.0.1/24", NULL);
	return m;
}

Test(compile, partition_minimal_plumbing)
{
	struct ot_model *m = two_nodes();
	struct ot_hosts *h = tm_hosts(m, false, 0);
	struct ot_compile_opts o = {.hosts = h};
	struct ot_compiled *c = tm_compile(m, &o);
	struct ot_plan *p1 = ot_compiled_plan(c, "n1"), *p2 = ot_compiled_plan(c, "n2");
	const struct ot_op *op;

	cr_assert_eq(c->nplans, 2);
	/* n1: switch ns + 3 containers; lan and tri need bridges, p2p is one veth pair */
	cr_assert_eq(p1->nns, 5);
	cr_assert_eq(p1->ns[1].role, OT_NS_SWITCH);
	cr_assert_str_eq(p1->ns[1].name, "demo.n1");
	cr_assert_str_eq(p1->ns[2].name, "demo.n1.a1");
	cr_assert_eq(tm_count(p1, OT_OP_LINK, OT_LINK_BRIDGE), 2);
	cr_assert_eq(tm_count(p1, OT_OP_LINK, OT_LINK_VXLAN), 1);
	/* 2 lan veths + 1 p2p pair + 3 tri veths */
	cr_assert_eq(tm_count(p1, OT_OP_LINK, OT_LINK_VETH), 6);
	op = tm_link(p1, "eth1");
	cr_assert_not_null(op);
	cr_assert_eq(op->ns, 2);
	cr_assert_eq(op->link.peer_ns, 3, "p2p peer goes straight into a2");
	cr_assert_str_eq(op->link.peer_name, "eth1");
	cr_assert_str_eq(op->link.master, "");
	op = tm_link(p1, "vx");
	cr_assert_null(op);
	/* the VXLAN device of lan is in the switch ns, enslaved, socket in the host */
	{
		size_t i;
		const struct ot_op *vx = NULL;

		for (i = 0; i < p1->nops; i++)
			if (p1->ops[i].kind == OT_OP_LINK && p1->ops[i].link.kind == OT_LINK_VXLAN)
				vx = &p1->ops[i];
		cr_assert_not_null(vx);
		cr_assert_eq(vx->ns, 1);
		cr_assert_eq(vx->link.sock_ns, OT_NS_HOST_INDEX);
		cr_assert_str_eq(vx->link.master, "br-lan");
		cr_assert_eq(vx->link.learning, false);
		cr_assert_eq(vx->link.local.family, AF_INET);
		cr_assert_eq(vx->link.port, 4789);
		cr_assert_eq(vx->link.mtu, 1450);
	}
	/* n2: b1 alone on lan: the VXLAN device is b1's eth0 itself; solo: veth with
	 * its peer alone in the switch ns */
	op = tm_link(p2, "eth0");
	cr_assert_not_null(op);
	cr_assert_eq(op->link.kind, OT_LINK_VXLAN);
	cr_assert_eq(op->ns, ot_plan_container_find(p2, "b1"));
	cr_assert_eq(tm_count(p2, OT_OP_LINK, OT_LINK_BRIDGE), 0);
	cr_assert(!ot_mac_is_zero(&op->link.mac), "a VXLAN member has a MAC");
	op = tm_link(p2, "eth1");
	cr_assert_eq(op->link.kind, OT_LINK_VETH);
	cr_assert_eq(p2->ns[op->link.peer_ns].role, OT_NS_SWITCH);
	cr_assert_str_eq(op->link.peer_name, "b1-eth1");
	ot_compiled_free(c);
	tm_hosts_free(h);
	tm_free(m);
}

/* Rank of an op kind in the documented order. */
static int phase(const struct ot_op *op)
{
	static const int order[OT_OP__COUNT] = {
	    [OT_OP_NETNS] = 0,	 [OT_OP_LINK] = 1,  [OT_OP_ADDR] = 2,
	    [OT_OP_LINK_UP] = 3, [OT_OP_ROUTE] = 4, [OT_OP_FDB] = 5,
	    [OT_OP_SYSCTL] = 6,	 [OT_OP_NFT] = 7,   [OT_OP_CGROUP] = 8,
	};
	return order[op->kind];
}

Test(compile, lowering_order)
{
	struct ot_model *m = two_nodes();
	struct ot_m_container *a1 = m->containers[0];
	struct ot_compiled *c;
	struct ot_plan *p;
	size_t i, j;

	tm_route(a1, "default", "10.0.0.254");
	tm_rule(a1, OT_M_IN, OT_M_DROP, IPPROTO_TCP);
	a1->forward = true;
	a1->memory = 1 << 20;
	c = tm_compile(m, NULL);
	p = ot_compiled_plan(c, "n1");
	for (i = 1; i < p->nops; i++)
		cr_assert_leq(phase(&p->ops[i - 1]), phase(&p->ops[i]), "op %zu (%s) after %s", i,
			      ot_op_kind_name(p->ops[i].kind), ot_op_kind_name(p->ops[i - 1].kind));
	/* bridges before the ports that name them; every link brought up, veth peers too */
	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];

		if (op->kind != OT_OP_LINK)
			continue;
		for (j = 0; j < p->nops; j++)
			if (p->ops[j].kind == OT_OP_LINK_UP && p->ops[j].ns == op->ns &&
			    strcmp(p->ops[j].dev, op->link.name) == 0)
				break;
		cr_assert_lt(j, p->nops, "link %s never up", op->link.name);
		if (op->link.kind != OT_LINK_VETH)
			continue;
		for (j = 0; j < p->nops; j++)
			if (p->ops[j].kind == OT_OP_LINK_UP && p->ops[j].ns == op->link.peer_ns &&
			    strcmp(p->ops[j].dev, op->link.peer_name) == 0)
				break;
		cr_assert_lt(j, p->nops, "peer %s never up", op->link.peer_name);
	}
	cr_assert_eq(tm_count(p, OT_OP_CGROUP, -1), 1);
	cr_assert_eq(tm_count(p, OT_OP_NFT, -1), 1);
	/* ip_forward, and send_redirects off on all and on each interface */
	cr_assert_eq(tm_count(p, OT_OP_SYSCTL, -1), 2 + a1->nifaces);
	cr_assert_str_eq(p->ns[2].cgroup, "opentop/demo.n1/a1");
	/* the default route's device comes from the subnet holding the gateway */
	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == OT_OP_ROUTE)
			cr_assert_str_eq(p->ops[i].route.dev, "eth0");
	ot_compiled_free(c);
	tm_free(m);
}

Test(compile, unbound_plans)
{
	struct ot_model *m = two_nodes();
	struct ot_compiled *c = tm_compile(m, NULL);
	struct ot_plan *p = ot_compiled_plan(c, "n1");
	size_t i, nfdb = 0;

	cr_assert(!ot_plan_bound(p));
	cr_assert_eq(p->underlay.family, 0);
	cr_assert_eq(p->underlay_mtu, 1500);
	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == OT_OP_FDB) {
			cr_assert_eq(p->ops[i].fdb.dst.family, 0);
			cr_assert_str_eq(p->ops[i].fdb.dst_node, "n2");
			nfdb++;
		}
	cr_assert_eq(nfdb, 2, "one flood entry + one MAC toward n2");
	ot_compiled_free(c);
	tm_free(m);
}

Test(compile, fdb_head_end_replication)
{
	struct ot_model *m = tm_new("f");
	struct ot_m_node *n[3] = {tm_node(m, "n1"), tm_node(m, "n2"), tm_node(m, "n3")};
	struct ot_m_network *lan = tm_net(m, "lan", "10.0.0.0/24");
	struct ot_hosts *h;
	struct ot_compile_opts o = {0};
	struct ot_compiled *c;
	struct ot_plan *p;
	struct ot_mac macs[4];
	size_t i, k = 0, flood = 0, exact = 0;
	const char *names[4] = {"x1", "y1", "z1", "z2"};
	int where[4] = {0, 1, 2, 2};

	for (i = 0; i < 4; i++) {
		char a[32];

		snprintf(a, sizeof(a), "10.0.0.%zu/24", i + 1);
		tm_iface(m, tm_ctr(m, names[i], n[where[i]]), "eth0", lan, tm_str(m, a), NULL);
	}
	h = tm_hosts(m, false, 9000);
	o.hosts = h;
	c = tm_compile(m, &o);
	/* collect every member's MAC from its own plan */
	for (i = 0; i < 4; i++) {
		const struct ot_op *op;

		p = c->plans[where[i]];
		for (op = p->ops; op < p->ops + p->nops; op++)
			if (op->kind == OT_OP_LINK && op->ns == ot_plan_container_find(p, names[i]))
				macs[i] = op->link.mac;
		cr_assert_eq(macs[i].b[0], 0x02, "locally administered unicast");
	}
	p = c->plans[0];
	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];
		char want[16];

		if (op->kind != OT_OP_FDB)
			continue;
		snprintf(want, sizeof(want), "192.0.2.%d",
			 strcmp(op->fdb.dst_node, "n2") == 0 ? 2 : 3);
		{
			struct ot_addr wa;

			ot_addr_parse(want, &wa);
			cr_assert(ot_addr_equal(&op->fdb.dst, &wa));
		}
		if (ot_mac_is_zero(&op->fdb.mac)) {
			flood++;
			continue;
		}
		exact++;
		for (k = 1; k < 4; k++)
			if (memcmp(&macs[k], &op->fdb.mac, 6) == 0)
				break;
		cr_assert_lt(k, 4, "FDB entry for an unknown MAC");
		cr_assert_str_eq(op->fdb.dst_node, k == 1 ? "n2" : "n3");
	}
	cr_assert_eq(flood, 2);
	cr_assert_eq(exact, 3);
	/* n1 has one member: the VXLAN device is x1's eth0; MTU from the 9000 underlay */
	cr_assert_eq(tm_link(p, "eth0")->link.kind, OT_LINK_VXLAN);
	cr_assert_eq(tm_link(p, "eth0")->link.mtu, 8950);
	/* n3 has two members: bridge + VXLAN in the switch ns */
	cr_assert_eq(tm_count(c->plans[2], OT_OP_LINK, OT_LINK_BRIDGE), 1);
	ot_compiled_free(c);
	tm_hosts_free(h);
	tm_free(m);
}

Test(compile, naming_limits_and_collisions)
{
	struct ot_model *m = tm_new("t");
	struct ot_m_node *n1 = tm_node(m, "n1");
	struct ot_m_network *lan = tm_net(m, "a-network-with-a-long-name", "10.0.0.0/24");
	struct ot_m_container *c1 = tm_ctr(m, "container-with-a-long-name", n1);
	struct ot_m_container *c2 = tm_ctr(m, "c2", n1);
	struct ot_m_container *c3 = tm_ctr(m, "c3", n1);
	struct ot_compiled *c;
	struct ot_plan *p;
	size_t i, j;

	tm_iface(m, c1, "interface-number-one", lan, "10.0.0.1/24", NULL);
	tm_iface(m, c1, "interface-number-two", tm_net(m, "other", "10.9.0.0/24"), "10.9.0.1/24",
		 NULL);
	tm_iface(m, c2, "eth0", lan, "10.0.0.2/24", NULL);
	tm_iface(m, c3, "eth0", lan, "10.0.0.3/24", NULL);
	c = tm_compile(m, NULL);
	p = c->plans[0];
	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];

		if (op->kind != OT_OP_LINK)
			continue;
		cr_assert(ot_ifname_valid(op->link.name), "%s", op->link.name);
		if (op->link.kind == OT_LINK_VETH)
			cr_assert(ot_ifname_valid(op->link.peer_name), "%s", op->link.peer_name);
		/* unique per namespace */
		for (j = i + 1; j < p->nops; j++)
			if (p->ops[j].kind == OT_OP_LINK && p->ops[j].ns == op->ns)
				cr_assert_str_neq(p->ops[j].link.name, op->link.name);
	}
	/* shortened names keep the logical name in the alias and stay distinct */
	{
		const struct ot_op *a = NULL, *b = NULL;

		for (i = 0; i < p->nops; i++) {
			const struct ot_op *op = &p->ops[i];

			if (op->kind == OT_OP_LINK && op->link.alias &&
			    strcmp(op->link.alias, "interface-number-one") == 0)
				a = op;
			if (op->kind == OT_OP_LINK && op->link.alias &&
			    strcmp(op->link.alias, "interface-number-two") == 0)
				b = op;
		}
		cr_assert_not_null(a);
		cr_assert_not_null(b);
		cr_assert_eq(strlen(a->link.name), 15);
		cr_assert_str_neq(a->link.name, b->link.name);
		cr_assert_eq(strncmp(a->link.name, "interface", 9), 0);
	}
	ot_compiled_free(c);
	tm_free(m);
}

Test(compile, host_names_unique_across_instances)
{
	struct ot_model *m = tm_new("seed");
	struct ot_m_node *n1 = tm_node(m, "n1");
	struct ot_m_network *lan = tm_net(m, "lan", "10.10.10.0/24");
	struct ot_compile_opts o1 = {.instance = "seed"}, o2 = {.instance = "seed.j42s0"};
	struct ot_compiled *c1, *c2;
	const struct ot_op *u1, *u2;
	size_t i;

	lan->force_bridge = true;
	tm_iface(m, tm_ctr(m, "thenamespace", n1), "veth0", lan, "10.10.10.23/24", NULL);
	tm_uplink(lan, n1, "10.10.10.1/24", true);
	c1 = tm_compile(m, &o1);
	c2 = tm_compile(m, &o2);
	u1 = u2 = NULL;
	for (i = 0; i < c1->plans[0]->nops; i++)
		if (c1->plans[0]->ops[i].kind == OT_OP_LINK && c1->plans[0]->ops[i].ns == 0)
			u1 = &c1->plans[0]->ops[i];
	for (i = 0; i < c2->plans[0]->nops; i++)
		if (c2->plans[0]->ops[i].kind == OT_OP_LINK && c2->plans[0]->ops[i].ns == 0)
			u2 = &c2->plans[0]->ops[i];
	cr_assert_not_null(u1);
	cr_assert_not_null(u2);
	cr_assert_eq(strncmp(u1->link.name, "ot", 2), 0);
	cr_assert_eq(strlen(u1->link.name), 10);
	cr_assert_str_neq(u1->link.name, u2->link.name);
	cr_assert_str_eq(u1->link.alias, "seed/n1/uplink-lan");
	cr_assert_str_eq(u1->link.peer_master, "br-lan");
	/* masquerade: host nft table named after the prefix, host ip_forward */
	cr_assert_eq(tm_count(c1->plans[0], OT_OP_NFT, -1), 1);
	for (i = 0; i < c1->plans[0]->nops; i++) {
		const struct ot_op *op = &c1->plans[0]->ops[i];

		if (op->kind == OT_OP_NFT) {
			cr_assert_eq(op->ns, OT_NS_HOST_INDEX);
			cr_assert_eq(strncmp(op->nft.table, "ot-", 3), 0);
			cr_assert_eq(op->nft.nrules, 1);
			cr_assert_eq(op->nft.rules[0].verdict, OT_NFT_MASQUERADE);
			cr_assert_eq(op->nft.rules[0].saddr.len, 24);
		}
		if (op->kind == OT_OP_SYSCTL) {
			cr_assert_eq(op->ns, OT_NS_HOST_INDEX);
			cr_assert_str_eq(op->sysctl.key, "net/ipv4/ip_forward");
		}
	}
	ot_compiled_free(c1);
	ot_compiled_free(c2);
	tm_free(m);
}

Test(compile, vni_decisions)
{
	struct ot_model *m = two_nodes();
	struct ot_m_network *x = tm_net(m, "x", "10.5.0.0/24");
	struct ot_compile_opts o = {0};
	struct ot_compiled *c, *c2;
	uint32_t v1 = 0, v2 = 0;
	size_t i;

	x->vni = 4242;
	x->vni_loc = tm_loc();
	tm_iface(m, m->containers[0], "x0", x, "10.5.0.1/24", NULL);
	tm_iface(m, m->containers[3], "x0", x, "10.5.0.2/24", NULL);
	c = tm_compile(m, &o);
	c2 = tm_compile(m, &o);
	for (i = 0; i < c->plans[0]->nops; i++) {
		const struct ot_op *op = &c->plans[0]->ops[i];

		if (op->kind == OT_OP_LINK && op->link.kind == OT_LINK_VXLAN) {
			if (strcmp(op->link.name, "x0") == 0)
				v2 = op->link.vni;
			else
				v1 = op->link.vni;
		}
	}
	cr_assert_eq(v2, 4242, "explicit VNI kept");
	cr_assert_geq(v1, 0x100000);
	cr_assert_lt(v1, 0x100000 + 0xE00000);
	/* deterministic: same bytes */
	{
		char *a = ot_plan_dump(c->plans[0], 1), *b = ot_plan_dump(c2->plans[0], 1);

		cr_assert_str_eq(a, b);
		free(a);
		free(b);
	}
	ot_compiled_free(c);
	ot_compiled_free(c2);
	/* another instance: another derived VNI */
	o.instance = "demo.j7s0";
	c = tm_compile(m, &o);
	for (i = 0; i < c->plans[0]->nops; i++) {
		const struct ot_op *op = &c->plans[0]->ops[i];

		if (op->kind == OT_OP_LINK && op->link.kind == OT_LINK_VXLAN &&
		    strcmp(op->link.name, "x0") != 0)
			cr_assert_neq(op->link.vni, v1);
	}
	ot_compiled_free(c);
	tm_free(m);
}

Test(compile, vni_window_full_and_bounds)
{
	struct ot_model *m = tm_new("v");
	struct ot_m_node *n1 = tm_node(m, "n1"), *n2 = tm_node(m, "n2");
	struct ot_compile_opts o = {.vni_base = 100, .vni_span = 2};
	struct ot_bounds b = {.vni_min = 1000, .vni_max = 1999};
	struct ot_compiled *c;
	char *msg;
	int i;

	for (i = 0; i < 3; i++) {
		char name[8], a[32];
		struct ot_m_network *n;

		snprintf(name, sizeof(name), "net%d", i);
		n = tm_net(m, tm_str(m, name), NULL);
		snprintf(a, sizeof(a), "10.%d.0.1/24", i);
		tm_iface(m, tm_ctr(m, tm_str(m, name), n1), "eth0", n, tm_str(m, a), NULL);
		snprintf(a, sizeof(a), "10.%d.0.2/24", i);
		snprintf(name, sizeof(name), "peer%d", i);
		tm_iface(m, tm_ctr(m, tm_str(m, name), n2), "eth0", n, tm_str(m, a), NULL);
	}
	msg = tm_compile_fail(m, &o);
	cr_assert(strstr(msg, "no free VNI left for network 'net2' in 100..101"), "%s", msg);
	free(msg);
	/* bounds: derived VNIs come from the allowed range */
	o = (struct ot_compile_opts){.bounds = &b};
	c = tm_compile(m, &o);
	for (i = 0; i < (int)c->plans[0]->nops; i++) {
		const struct ot_op *op = &c->plans[0]->ops[i];

		if (op->kind == OT_OP_LINK && op->link.kind == OT_LINK_VXLAN) {
			cr_assert_geq(op->link.vni, 1000);
			cr_assert_leq(op->link.vni, 1999);
		}
	}
	ot_compiled_free(c);
	/* an explicit VNI outside the bounds is refused at the network */
	m->networks[1]->vni = 5;
	m->networks[1]->vni_loc = (struct ot_loc){"t.otp", 77, 5, 5};
	msg = tm_compile_fail(m, &o);
	cr_assert(strstr(msg, "t.otp:77:5: error: VNI 5 of network 'net1' is outside the allowed "
			      "range 1000..1999"),
		  "%s", msg);
	free(msg);
	tm_free(m);
}

Test(compile, mtu_decisions)
{
	struct ot_model *m = two_nodes();
	struct ot_hosts *h = tm_hosts(m, true, 0);
	struct ot_compile_opts o = {.hosts = h};
	struct ot_compiled *c;
	char *msg;

	/* IPv6 underlay: 1500 - 70 */
	c = tm_compile(m, &o);
	cr_assert_eq(tm_link(c->plans[1], "eth0")->link.mtu, 1430);
	/* a single-node network defaults to 1500 */
	cr_assert_eq(tm_link(c->plans[1], "eth1")->link.mtu, 1500);
	ot_compiled_free(c);
	/* an explicit MTU too large for the overlay: error at the MTU, naming node and underlay */
	m->networks[0]->mtu = 1500;
	m->networks[0]->mtu_loc = (struct ot_loc){"t.otp", 40, 9, 4};
	h->hosts[1].mtu = 1400;
	msg = tm_compile_fail(m, &o);
	cr_assert(strstr(msg, "t.otp:40:9: error: MTU 1500 of network 'lan' does not fit VXLAN on "
			      "node 'n2': underlay MTU 1400 minus 70 bytes of VXLAN over IPv6 "
			      "leaves 1330"),
		  "%s", msg);
	free(msg);
	/* an underlay too small for IPv4 at all */
	m->networks[0]->mtu = 0;
	h->hosts[1].mtu = 100;
	msg = tm_compile_fail(m, &o);
	cr_assert(strstr(msg, "underlay MTU 100 of node 'n2' is too small for network 'lan': VXLAN "
			      "over IPv6 leaves 30 bytes, IPv4 needs 68"),
		  "%s", msg);
	free(msg);
	/* members must agree */
	h->hosts[1].mtu = 0;
	m->containers[0]->ifaces[1].mtu = 1400;
	m->containers[1]->ifaces[1].mtu = 1300;
	m->containers[1]->ifaces[1].mtu_loc = (struct ot_loc){"t.otp", 50, 20, 4};
	msg = tm_compile_fail(m, &o);
	cr_assert(strstr(msg, "t.otp:50:20: error: MTU 1300 of 'a2.eth1' differs from MTU 1400 of "
			      "network 'p2p'"),
		  "%s", msg);
	free(msg);
	tm_hosts_free(h);
	tm_free(m);
}

Test(compile, hosts_binding_errors)
{
	struct ot_model *m = two_nodes();
	struct ot_hosts *h = tm_hosts(m, false, 0);
	struct ot_compile_opts o = {.hosts = h};
	char *msg;

	h->nhosts = 1; /* n2 missing */
	msg = tm_compile_fail(m, &o);
	cr_assert(strstr(msg, "error: node 'n2' has no host in 't.hosts'"), "%s", msg);
	free(msg);
	h->nhosts = 2;
	ot_addr_parse("2001:db8::2", &h->hosts[1].underlay);
	msg = tm_compile_fail(m, &o);
	cr_assert(strstr(msg, "t.hosts:2:1: error: underlay address of 'n2' is IPv6, but 'n1' has "
			      "an IPv4 underlay"),
		  "%s", msg);
	free(msg);
	tm_hosts_free(h);
	tm_free(m);
}

Test(compile, ipv6_only_where_used)
{
	struct ot_model *m = two_nodes();
	struct ot_m_network *v6 = tm_net(m, "v6", "fd00::/64");
	struct ot_compiled *c;
	struct ot_plan *p;
	size_t i;

	tm_iface(m, m->containers[0], "v6a", v6, "fd00::1/64", NULL);
	tm_iface(m, m->containers[1], "v6b", v6, NULL, NULL);
	c = tm_compile(m, NULL);
	p = c->plans[0];
	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];

		if (op->kind != OT_OP_LINK)
			continue;
		if (strncmp(op->link.name, "v6", 2) == 0) {
			cr_assert(op->link.ipv6 && op->link.peer_ipv6, "%s", op->link.name);
			continue;
		}
		cr_assert(!op->link.ipv6, "%s has IPv6", op->link.name);
		if (op->link.kind == OT_LINK_VETH)
			cr_assert(!op->link.peer_ipv6, "%s peer has IPv6", op->link.name);
	}
	ot_compiled_free(c);
	tm_free(m);
}

Test(compile, route_without_matching_subnet)
{
	struct ot_model *m = two_nodes();
	struct ot_m_route *r = tm_route(m->containers[0], "default", "192.168.9.1");
	char *msg;

	r->loc = (struct ot_loc){"t.otp", 33, 5, 7};
	msg = tm_compile_fail(m, NULL);
	cr_assert(strstr(msg, "t.otp:33:5: error: gateway 192.168.9.1 is not inside the subnet of "
			      "any interface of 'a1'"),
		  "%s", msg);
	free(msg);
	tm_free(m);
}

Test(compile, reserved_loopback_name)
{
	struct ot_model *m = two_nodes();
	char *msg;

	m->containers[0]->ifaces[0].name = "lo";
	m->containers[0]->ifaces[0].loc = (struct ot_loc){"t.otp", 3, 11, 2};
	msg = tm_compile_fail(m, NULL);
	cr_assert(strstr(msg, "t.otp:3:11: error: interface name 'lo' is taken"), "%s", msg);
	free(msg);
	tm_free(m);
}

Test(compile, json_round_trip_of_compiled_plans)
{
	struct ot_model *m = two_nodes();
	struct ot_hosts *h = tm_hosts(m, false, 0);
	struct ot_compile_opts o = {.hosts = h, .probes = true};
	struct ot_compiled *c;
	size_t i;

	tm_rule(m->containers[0], OT_M_IN, OT_M_DROP, 0);
	m->containers[0]->isolate |= OT_ISO_UTS | OT_ISO_PID;
	m->containers[0]->ranks = ot_arena_calloc(&m->arena, 1, sizeof(struct ot_rank_range));
	m->containers[0]->ranks[0] = (struct ot_rank_range){0, 3};
	m->containers[0]->nranks = 1;
	c = tm_compile(m, &o);
	for (i = 0; i < c->nplans; i++) {
		struct ot_plan *q = NULL;
		struct ot_error err = {0};
		char *a = ot_plan_dump(c->plans[i], 1), *b;

		cr_assert_not_null(a);
		cr_assert_eq(ot_plan_load(a, strlen(a), &q, &err), 0, "%s", err.msg);
		b = ot_plan_dump(q, 1);
		cr_assert_str_eq(a, b);
		cr_assert(ot_plan_bound(q));
		free(a);
		free(b);
		ot_plan_free(q);
	}
	cr_assert_eq(ot_plan_rank_find(c->plans[0], 2), ot_plan_container_find(c->plans[0], "a1"));
	cr_assert_str_eq(c->plans[0]->ns[2].hostname, "a1");
	ot_compiled_free(c);
	tm_hosts_free(h);
	tm_free(m);
}
