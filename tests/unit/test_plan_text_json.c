/*
 * test_plan_text_json.c - the streamed JSON writer (plan_jsonw.c) against the
 * jansson reference: for plans holding every kind of field, and for compiled
 * plans, ot_plan_dump() must equal json_dumps(ot_plan_to_json(p),
 * JSON_SORT_KEYS | JSON_INDENT(2) or JSON_COMPACT) byte for byte; strings
 * with escapes and UTF-8 must match too, invalid UTF-8 be refused by both.
 */
#include "test_compile_model.h"

#include <jansson.h>

#include "plan/plan_json.h"
#include "plan_json_oracle.h"

static void same_as_jansson(const struct ot_plan *p)
{
	int pretty;

	for (pretty = 0; pretty < 2; pretty++) {
		json_t *o = ot_plan_to_json(p);
		char *ref, *got;
		size_t n;

		cr_assert_not_null(o);
		ref = json_dumps(o, JSON_SORT_KEYS | (pretty ? JSON_INDENT(2) : JSON_COMPACT));
		json_decref(o);
		cr_assert_not_null(ref);
		got = ot_plan_dump(p, pretty);
		cr_assert_not_null(got);
		n = strlen(got);
		cr_assert_gt(n, 0);
		cr_assert_eq(got[n - 1], '\n');
		got[n - 1] = '\0';
		cr_assert_str_eq(got, ref, "pretty=%d", pretty);
		free(ref);
		free(got);
	}
}

/* A plan with every field set somewhere (values need not make sense). */
static struct ot_plan *kitchen_sink(void)
{
	struct ot_plan *p = ot_plan_new();
	struct ot_op *op;
	struct ot_nft_rule *r;
	int sw, c1, c2, i;

	p->topology = "sink";
	p->instance = "sink.j1s0";
	p->node = "n2";
	p->node_index = 1;
	p->prefix = "sink.j1s0.n2";
	p->state_dir = "/run/opentop/sink.j1s0.n2";
	p->source_digest = "0011223344556677";
	ot_addr_parse("2001:db8::2", &p->underlay);
	p->underlay_mtu = 9000;
	ot_plan_add_node(p, "n1", NULL);
	ot_plan_add_node(p, "n2", &p->underlay);
	sw = ot_plan_add_ns(p, OT_NS_SWITCH, "sink.j1s0.n2");
	c1 = ot_plan_add_ns(p, OT_NS_CONTAINER, "sink.j1s0.n2.c1");
	c2 = ot_plan_add_ns(p, OT_NS_CONTAINER, "sink.j1s0.n2.c2");
	p->ns[c1].container = "c1";
	p->ns[c1].isolate =
	    OT_ISO_NET | OT_ISO_UTS | OT_ISO_IPC | OT_ISO_PID | OT_ISO_MNT | OT_ISO_CGROUP;
	p->ns[c1].hostname = "c1.example";
	p->ns[c1].cgroup = "opentop/sink.j1s0.n2/c1";
	p->ns[c1].ranks = ot_arena_calloc(&p->arena, 2, sizeof(struct ot_rank_range));
	p->ns[c1].ranks[0] = (struct ot_rank_range){0, 3};
	p->ns[c1].ranks[1] = (struct ot_rank_range){7, 7};
	p->ns[c1].nranks = 2;
	p->ns[c2].container = "c2";
	for (i = 0; i < 3; i++)
		ot_plan_add_op(p, OT_OP_NETNS, i + 1);
	i = ot_plan_add_op(p, OT_OP_LINK, sw);
	op = &p->ops[i];
	op->link.kind = OT_LINK_BRIDGE;
	strcpy(op->link.name, "br0");
	op->link.alias = "quote \" backslash \\ newline \n tab \t ctl \x01 slash / utf8 \xc3\xa9 "
			 "\xe2\x82\xac \xf0\x9f\x98\x80";
	op->link.mtu = 8930;
	i = ot_plan_add_op(p, OT_OP_LINK, sw);
	op = &p->ops[i];
	op->link.kind = OT_LINK_VXLAN;
	strcpy(op->link.name, "vx7");
	op->link.vni = 7;
	op->link.port = 4789;
	op->link.local = p->underlay;
	op->link.learning = true;
	op->link.ipv6 = true;
	strcpy(op->link.master, "br0");
	ot_mac_parse("02:00:00:00:00:07", &op->link.mac);
	op->origin = "sink.otp:3";
	i = ot_plan_add_op(p, OT_OP_LINK, c1);
	op = &p->ops[i];
	op->link.kind = OT_LINK_VETH;
	strcpy(op->link.name, "eth0");
	op->link.alias = "c1.eth0";
	op->link.peer_ns = sw;
	strcpy(op->link.peer_name, "c1-eth0");
	op->link.peer_alias = "port";
	ot_mac_parse("02:00:00:00:01:01", &op->link.peer_mac);
	strcpy(op->link.peer_master, "br0");
	op->link.peer_ipv6 = true;
	i = ot_plan_add_op(p, OT_OP_LINK, c2);
	op = &p->ops[i];
	op->link.kind = OT_LINK_MACVLAN;
	strcpy(op->link.name, "mv0");
	strcpy(op->link.lower, "eno1");
	op->link.mode = OT_MACVLAN_VEPA;
	i = ot_plan_add_op(p, OT_OP_LINK_UP, c1);
	strcpy(p->ops[i].dev, "eth0");
	i = ot_plan_add_op(p, OT_OP_ADDR, c1);
	strcpy(p->ops[i].addr.dev, "eth0");
	ot_prefix_parse("fd00::1/64", true, &p->ops[i].addr.addr);
	i = ot_plan_add_op(p, OT_OP_ROUTE, c1);
	p->ops[i].route.dst.addr.family = AF_INET6;
	ot_addr_parse("fd00::ff", &p->ops[i].route.via);
	strcpy(p->ops[i].route.dev, "eth0");
	p->ops[i].route.metric = 42;
	i = ot_plan_add_op(p, OT_OP_ROUTE, c1);
	ot_prefix_parse("10.9.0.0/16", true, &p->ops[i].route.dst);
	strcpy(p->ops[i].route.dev, "eth0");
	i = ot_plan_add_op(p, OT_OP_FDB, sw);
	strcpy(p->ops[i].fdb.dev, "vx7");
	p->ops[i].fdb.dst_node = "n1";
	i = ot_plan_add_op(p, OT_OP_FDB, sw);
	strcpy(p->ops[i].fdb.dev, "vx7");
	ot_mac_parse("02:aa:bb:cc:dd:ee", &p->ops[i].fdb.mac);
	ot_addr_parse("2001:db8::1", &p->ops[i].fdb.dst);
	p->ops[i].fdb.dst_node = "n1";
	i = ot_plan_add_op(p, OT_OP_SYSCTL, c1);
	p->ops[i].sysctl.key = "net/core/somaxconn";
	p->ops[i].sysctl.value = "";
	i = ot_plan_add_op(p, OT_OP_SYSCTL, OT_NS_HOST_INDEX);
	p->ops[i].sysctl.key = "net/ipv4/ip_forward";
	p->ops[i].sysctl.value = "1";
	i = ot_plan_add_op(p, OT_OP_NFT, c1);
	op = &p->ops[i];
	strcpy(op->nft.table, "opentop");
	op->nft.chains = ot_arena_calloc(&p->arena, 3, sizeof(struct ot_nft_chain));
	op->nft.nchains = 3;
	strcpy(op->nft.chains[0].name, "input");
	op->nft.chains[0].hook = OT_NFT_INPUT;
	op->nft.chains[0].policy_drop = true;
	strcpy(op->nft.chains[1].name, "prerouting");
	op->nft.chains[1].type = OT_NFT_NAT;
	op->nft.chains[1].hook = OT_NFT_PREROUTING;
	op->nft.chains[1].priority = -100;
	strcpy(op->nft.chains[2].name, "postrouting");
	op->nft.chains[2].type = OT_NFT_NAT;
	op->nft.chains[2].hook = OT_NFT_POSTROUTING;
	op->nft.chains[2].priority = 100;
	op->nft.rules = ot_arena_calloc(&p->arena, 4, sizeof(struct ot_nft_rule));
	op->nft.nrules = 4;
	r = &op->nft.rules[0];
	r->ct_state = OT_CT_NEW | OT_CT_ESTABLISHED | OT_CT_RELATED | OT_CT_INVALID;
	r->verdict = OT_NFT_ACCEPT;
	r = &op->nft.rules[1];
	r->family = AF_INET;
	r->l4proto = IPPROTO_UDP;
	r->has_saddr = r->has_daddr = true;
	ot_prefix_parse("10.0.0.0/8", true, &r->saddr);
	ot_prefix_parse("10.1.2.3/32", true, &r->daddr);
	r->sport = (struct ot_ports){1, {{1000, 2000}}};
	r->dport = (struct ot_ports){1, {{53, 53}}};
	strcpy(r->iif, "eth0");
	strcpy(r->oif, "eth1");
	r->verdict = OT_NFT_REJECT;
	r->counter = true;
	r->comment = "sink.otp:9";
	r = &op->nft.rules[2];
	r->chain = 1;
	r->family = AF_INET6;
	r->l4proto = IPPROTO_TCP;
	r->verdict = OT_NFT_DNAT;
	ot_addr_parse("fd00::80", &r->nat_addr);
	r->nat_port = 8080;
	r = &op->nft.rules[3];
	r->chain = 2;
	r->l4proto = IPPROTO_ICMPV6;
	r->has_icmp_type = true;
	r->icmp_type_first = 135;
	r->icmp_type_last = 136;
	r->verdict = OT_NFT_SNAT;
	ot_addr_parse("192.0.2.9", &r->nat_addr);
	i = ot_plan_add_op(p, OT_OP_CGROUP, c1);
	p->ops[i].cgroup.path = "opentop/sink.j1s0.n2/c1";
	p->ops[i].cgroup.cpu_pct = 250;
	p->ops[i].cgroup.memory = 1ull << 40;
	p->ops[i].cgroup.pids = 99;
	p->ops[i].cgroup.io = ot_arena_calloc(&p->arena, 2, sizeof(struct ot_cg_io));
	p->ops[i].cgroup.io[0] = (struct ot_cg_io){
	    .dev = "/dev/nvme0n1", .rbps = 1, .wbps = 1ull << 40, .riops = 3, .wiops = 4};
	p->ops[i].cgroup.io[1] = (struct ot_cg_io){.dev = "8:0", .wiops = 10000000};
	p->ops[i].cgroup.nio = 2;
	i = ot_plan_add_op(p, OT_OP_QDISC, c1);
	p->ops[i].qdisc = (struct ot_op_qdisc){.dev = "eth0",
					       .rate = 12500000000ull,
					       .burst = 1u << 30,
					       .limit = 4000000000u,
					       .delay_us = 10000000,
					       .jitter_us = 1,
					       .loss_ppm = 1000000,
					       .reorder_ppm = 1};
	i = ot_plan_add_probe(p);
	p->probes[i].from_ns = c1;
	p->probes[i].to_node = "n1";
	p->probes[i].to_container = "x";
	ot_addr_parse("fd00::2", &p->probes[i].to_addr);
	p->probes[i].expect = OT_EXPECT_BLOCKED;
	p->probes[i].why = "dropped by x's firewall at sink.otp:9";
	return p;
}

Test(plan_jsonw, every_field_as_jansson_writes_it)
{
	struct ot_plan *p = kitchen_sink();

	same_as_jansson(p);
	ot_plan_free(p);
}

Test(plan_jsonw, empty_plan)
{
	struct ot_plan *p = ot_plan_new();

	p->node = "n";
	p->prefix = "t.n";
	same_as_jansson(p);
	ot_plan_free(p);
}

Test(plan_jsonw, invalid_utf8_refused_like_jansson)
{
	static const char *const bad[] = {
	    "\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\xe2\x82"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ot_plan *p = kitchen_sink();

		p->ops[3].link.alias = bad[i];
		cr_assert_null(ot_plan_to_json(p), "jansson accepted case %zu", i);
		cr_assert_null(ot_plan_dump(p, 1), "writer accepted case %zu", i);
		ot_plan_free(p);
	}
}

Test(plan_jsonw, compiled_plans)
{
	struct ot_model *m = tm_new("cp");
	struct ot_m_node *n1 = tm_node(m, "n1"), *n2 = tm_node(m, "n2");
	struct ot_m_network *lan = tm_net(m, "lan", "10.0.0.0/24");
	struct ot_m_container *a = tm_ctr(m, "a", n1), *b = tm_ctr(m, "b", n1),
			      *c = tm_ctr(m, "c", n2);
	struct ot_hosts *h;
	struct ot_compile_opts o = {.probes = true};
	struct ot_compiled *cc;
	size_t i;

	tm_iface(m, a, "eth0", lan, "10.0.0.1/24", NULL);
	tm_iface(m, b, "eth0", lan, "10.0.0.2/24", NULL);
	tm_iface(m, c, "eth0", lan, "10.0.0.3/24", "fd00::3/64");
	tm_uplink(lan, n2, "10.0.0.254/24", true);
	tm_rule(c, OT_M_IN, OT_M_DROP, IPPROTO_TCP)->dport = (struct ot_ports){1, {{22, 22}}};
	tm_route(a, "default", "10.0.0.254");
	h = tm_hosts(m, false, 0);
	o.hosts = h;
	cc = tm_compile(m, &o);
	for (i = 0; i < cc->nplans; i++)
		same_as_jansson(cc->plans[i]);
	ot_compiled_free(cc);
	tm_hosts_free(h);
	tm_free(m);
}

Test(plan_jsonw, embedded_depth)
{
	struct ot_plan *p = kitchen_sink();
	struct ot_strbuf sb = OT_STRBUF_INIT;

	cr_assert_eq(ot_plan_json_write(p, 1, 2, &sb), 0);
	/* nested two levels: the closing brace is indented by 4 spaces */
	cr_assert(strstr(ot_sb_str(&sb), "\n      \"instance\": \"sink.j1s0\""), "%s",
		  ot_sb_str(&sb));
	cr_assert_eq(strcmp(ot_sb_str(&sb) + sb.len - 6, "\n    }"), 0);
	ot_sb_free(&sb);
	ot_plan_free(p);
}
