/*
 * test_plan_json.c - the plan contract: build a plan by hand, write it as
 * JSON, read it back, write again: the bytes must be identical; and the
 * reader must refuse malformed plans with a message naming the JSON path.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "plan/plan_json.h"

static struct ot_plan *sample(void)
{
	struct ot_plan *p = ot_plan_new();
	struct ot_op *op;
	int sw, web, i;

	cr_assert_not_null(p);
	p->topology = "demo";
	p->instance = "demo";
	p->node = "n1";
	p->prefix = "demo.n1";
	p->state_dir = "/run/opentop/demo.n1";
	ot_addr_parse("192.0.2.11", &p->underlay);
	p->underlay_mtu = 1500;
	ot_plan_add_node(p, "n1", &p->underlay);
	ot_plan_add_node(p, "n2", NULL);
	ot_addr_parse("192.0.2.12", &p->nodes[1].underlay);
	sw = ot_plan_add_ns(p, OT_NS_SWITCH, "demo.n1");
	web = ot_plan_add_ns(p, OT_NS_CONTAINER, "demo.n1.web");
	p->ns[web].container = "web";
	p->ns[web].isolate |= OT_ISO_UTS;
	p->ns[web].hostname = "web";
	p->ns[web].ranks = ot_arena_calloc(&p->arena, 1, sizeof(struct ot_rank_range));
	p->ns[web].ranks[0] = (struct ot_rank_range){0, 3};
	p->ns[web].nranks = 1;
	p->ns[web].caps_set = true;
	p->ns[web].caps = (1ull << 13) | (1ull << 21); /* net_raw, sys_admin */
	p->ns[web].no_new_privs = true;

	ot_plan_add_op(p, OT_OP_NETNS, sw);
	ot_plan_add_op(p, OT_OP_NETNS, web);
	i = ot_plan_add_op(p, OT_OP_LINK, sw);
	op = &p->ops[i];
	op->link.kind = OT_LINK_BRIDGE;
	strcpy(op->link.name, "b0");
	op->link.alias = "lan";
	op->link.mtu = 1450;
	i = ot_plan_add_op(p, OT_OP_LINK, sw);
	op = &p->ops[i];
	op->link.kind = OT_LINK_VXLAN;
	strcpy(op->link.name, "vx100");
	op->link.vni = 100;
	op->link.port = 4789;
	op->link.local = p->underlay;
	op->link.sock_ns = 0;
	op->link.mtu = 1450;
	strcpy(op->link.master, "b0");
	i = ot_plan_add_op(p, OT_OP_LINK, web);
	op = &p->ops[i];
	op->link.kind = OT_LINK_VETH;
	strcpy(op->link.name, "eth0");
	op->link.alias = "web.eth0";
	ot_mac_parse("02:00:00:00:00:01", &op->link.mac);
	op->link.mtu = 1450;
	op->link.peer_ns = sw;
	strcpy(op->link.peer_name, "p0");
	strcpy(op->link.peer_master, "b0");
	i = ot_plan_add_op(p, OT_OP_LINK_UP, web);
	strcpy(p->ops[i].dev, "eth0");
	i = ot_plan_add_op(p, OT_OP_ADDR, web);
	strcpy(p->ops[i].addr.dev, "eth0");
	ot_prefix_parse("10.10.0.10/24", true, &p->ops[i].addr.addr);
	p->ops[i].origin = "demo.otp:12";
	i = ot_plan_add_op(p, OT_OP_ROUTE, web);
	p->ops[i].route.dst.addr.family = AF_INET;
	ot_addr_parse("10.10.0.1", &p->ops[i].route.via);
	i = ot_plan_add_op(p, OT_OP_FDB, sw);
	strcpy(p->ops[i].fdb.dev, "vx100");
	ot_addr_parse("192.0.2.12", &p->ops[i].fdb.dst);
	p->ops[i].fdb.dst_node = "n2";
	i = ot_plan_add_op(p, OT_OP_SYSCTL, web);
	p->ops[i].sysctl.key = "net/ipv4/ip_forward";
	p->ops[i].sysctl.value = "1";
	i = ot_plan_add_op(p, OT_OP_NFT, web);
	op = &p->ops[i];
	strcpy(op->nft.table, "opentop");
	op->nft.nchains = 1;
	op->nft.chains = ot_arena_calloc(&p->arena, 1, sizeof(struct ot_nft_chain));
	strcpy(op->nft.chains[0].name, "input");
	op->nft.chains[0].hook = OT_NFT_INPUT;
	op->nft.chains[0].policy_drop = true;
	op->nft.nrules = 3;
	op->nft.rules = ot_arena_calloc(&p->arena, 3, sizeof(struct ot_nft_rule));
	op->nft.rules[0].ct_state = OT_CT_ESTABLISHED | OT_CT_RELATED;
	op->nft.rules[1].l4proto = IPPROTO_TCP;
	op->nft.rules[1].dport = (struct ot_ports){1, {{80, 80}}};
	op->nft.rules[1].has_saddr = true;
	ot_prefix_parse("10.10.0.0/24", true, &op->nft.rules[1].saddr);
	op->nft.rules[1].comment = "demo.otp:20";
	op->nft.rules[2].l4proto = IPPROTO_ICMPV6; /* neighbour discovery */
	op->nft.rules[2].has_icmp_type = true;
	op->nft.rules[2].icmp_type_first = 135;
	op->nft.rules[2].icmp_type_last = 136;
	i = ot_plan_add_op(p, OT_OP_CGROUP, web);
	p->ops[i].cgroup.path = "opentop/demo.n1/web";
	p->ops[i].cgroup.cpu_pct = 50;
	p->ops[i].cgroup.memory = 256u << 20;
	p->ops[i].cgroup.pids = 128;
	p->ops[i].cgroup.io = ot_arena_calloc(&p->arena, 2, sizeof(struct ot_cg_io));
	p->ops[i].cgroup.io[0] =
	    (struct ot_cg_io){.dev = "/dev/vda", .rbps = 10485760, .wiops = 100};
	p->ops[i].cgroup.io[1] = (struct ot_cg_io){.dev = "254:16", .wbps = 1024, .riops = 7};
	p->ops[i].cgroup.nio = 2;
	i = ot_plan_add_op(p, OT_OP_QDISC, web);
	snprintf(p->ops[i].qdisc.dev, sizeof(p->ops[i].qdisc.dev), "eth0");
	p->ops[i].qdisc = (struct ot_op_qdisc){.dev = "eth0",
					       .rate = 12500000,
					       .burst = 32768,
					       .limit = 657768,
					       .delay_us = 10000,
					       .jitter_us = 2000,
					       .loss_ppm = 1000,
					       .reorder_ppm = 10000};
	i = ot_plan_add_probe(p);
	p->probes[i].from_ns = web;
	p->probes[i].to_node = "n2";
	p->probes[i].to_container = "db";
	ot_addr_parse("10.10.0.20", &p->probes[i].to_addr);
	p->probes[i].why = "same network 'lan'";
	return p;
}

Test(plan_json, round_trip_is_byte_exact)
{
	struct ot_plan *p = sample(), *q = NULL;
	struct ot_error err = {0};
	char *a, *b;
	size_t i;

	cr_assert_eq(ot_plan_validate(p, &err), 0, "%s", err.msg);
	a = ot_plan_dump(p, 1);
	cr_assert_not_null(a);
	cr_assert_eq(ot_plan_load(a, strlen(a), &q, &err), 0, "%s", err.msg);
	b = ot_plan_dump(q, 1);
	cr_assert_str_eq(a, b);
	cr_assert_eq(q->nops, p->nops);
	cr_assert_eq(q->ops[3].link.vni, 100);
	cr_assert_eq(ot_plan_rank_find(q, 2), 2);
	cr_assert_eq(ot_plan_rank_find(q, 4), -ENOENT);
	cr_assert_eq(q->ns[2].isolate, OT_ISO_NET | OT_ISO_UTS);
	cr_assert_eq(q->ops[11].cgroup.nio, 2);
	cr_assert_str_eq(q->ops[11].cgroup.io[1].dev, "254:16");
	cr_assert_eq(q->ops[11].cgroup.io[1].riops, 7);
	cr_assert_eq(q->ops[12].kind, OT_OP_QDISC);
	cr_assert_eq(q->ops[12].qdisc.rate, 12500000);
	cr_assert_eq(q->ops[12].qdisc.reorder_ppm, 10000);
	cr_assert(strstr(a, "\"caps_drop\"") && strstr(a, "\"no_new_privs\": true"), "%s", a);
	cr_assert(q->ns[2].caps_set && !q->ns[2].caps_keep);
	cr_assert_eq(q->ns[2].caps, (1ull << 13) | (1ull << 21));
	cr_assert(q->ns[2].no_new_privs);
	for (i = 0; i < q->nops; i++)
		if (q->ops[i].kind == OT_OP_NFT)
			cr_assert(q->ops[i].nft.rules[2].has_icmp_type &&
				  q->ops[i].nft.rules[2].icmp_type_first == 135 &&
				  q->ops[i].nft.rules[2].icmp_type_last == 136);
	free(a);
	free(b);
	ot_plan_free(p);
	ot_plan_free(q);
}

Test(plan_json, teardown_order)
{
	struct ot_plan *p = sample();
	size_t *td, n;

	cr_assert_eq(ot_plan_teardown(p, &td, &n), 0);
	/* the container netns (op 1), then the switch (op 0), then the cgroup (op 11) */
	cr_assert_eq(n, 3);
	cr_assert_eq(td[0], 1);
	cr_assert_eq(td[1], 0);
	cr_assert_eq(td[2], 11);
	free(td);
	ot_plan_free(p);
}

static void expect_reject(const char *json, const char *needle)
{
	struct ot_plan *q = NULL;
	struct ot_error err = {0};

	cr_assert_lt(ot_plan_load(json, strlen(json), &q, &err), 0, "accepted: %s", json);
	cr_assert_null(q);
	cr_assert(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
}

static void expect_accept(const char *json)
{
	struct ot_plan *q = NULL;
	struct ot_error err = {0};

	cr_assert_eq(ot_plan_load(json, strlen(json), &q, &err), 0, "refused: %s: %s", json,
		     err.msg);
	ot_plan_free(q);
}

#define HEAD                                                                                       \
	"{\"schema\":\"opentop-plan/1\",\"topology\":\"t\",\"instance\":\"t\",\"node\":\"n\","     \
	"\"prefix\":\"t.n\",\"state_dir\":\"/run/opentop/t.n\","

Test(plan_json, rejects)
{
	expect_reject("[]", "top level");
	expect_reject("{\"schema\":\"opentop-plan/99\"}", "schema");
	expect_reject(HEAD "\"bogus\":1}", "unknown key 'bogus'");
	expect_reject(HEAD "\"namespaces\":[{\"name\":\"../x\",\"role\":\"switch\"}]}",
		      "bad namespace");
	expect_reject(HEAD "\"ops\":[{\"op\":\"netns\",\"ns\":\"nope\"}]}", "ops[0]");
	expect_reject(HEAD "\"namespaces\":[{\"name\":\"s\",\"role\":\"switch\"}],"
			   "\"ops\":[{\"op\":\"link\",\"ns\":\"s\",\"kind\":\"bridge\","
			   "\"name\":\"waytoolongname123\"}]}",
		      "longer than 15");
	expect_reject(HEAD "\"namespaces\":[{\"name\":\"s\",\"role\":\"switch\"}],"
			   "\"ops\":[{\"op\":\"up\",\"ns\":\"s\",\"dev\":\"b0\"}]}",
		      "no such link");
	expect_reject(HEAD "\"ops\":[{\"op\":\"sysctl\",\"ns\":\"host\",\"key\":\"kernel/../x\","
			   "\"value\":\"1\"}]}",
		      "sysctl");
	expect_reject(HEAD "\"ops\":[{\"op\":\"cgroup\",\"ns\":\"host\",\"path\":\"../../etc\"}]}",
		      "cgroup");
	expect_reject(HEAD "\"ops\":[{\"op\":\"cgroup\",\"ns\":\"host\",\"path\":\"a/b\","
			   "\"io\":[{\"dev\":\"/dev/../etc/x\",\"rbps\":1}]}]}",
		      "io device");
	expect_reject(HEAD "\"ops\":[{\"op\":\"cgroup\",\"ns\":\"host\",\"path\":\"a/b\","
			   "\"io\":[{\"dev\":\"8:0\"}]}]}",
		      "io device");
	expect_reject(HEAD "\"ops\":[{\"op\":\"cgroup\",\"ns\":\"host\",\"path\":\"a/b\","
			   "\"io\":[{\"dev\":\"8:0\",\"rbps\":1,\"extra\":1}]}]}",
		      "unknown key 'extra'");
	expect_reject(HEAD "\"namespaces\":[{\"name\":\"c\",\"role\":\"container\","
			   "\"container\":\"c\"}],\"ops\":[{\"op\":\"netns\",\"ns\":\"c\"},"
			   "{\"op\":\"qdisc\",\"ns\":\"c\",\"dev\":\"eth9\",\"rate\":1000,"
			   "\"burst\":2048,\"limit\":4096}]}",
		      "no such link");
	expect_reject(HEAD "\"ops\":[{\"op\":\"qdisc\",\"ns\":\"host\",\"dev\":\"eth0\","
			   "\"delay_us\":1}]}",
		      "qdisc in the host");
	expect_reject(HEAD "\"namespaces\":[{\"name\":\"s\",\"role\":\"switch\"}],"
			   "\"ops\":[{\"op\":\"link\",\"ns\":\"s\",\"kind\":\"vxlan\","
			   "\"name\":\"vx\",\"vni\":16777216,\"port\":1}]}",
		      "out of range");
	expect_reject("{\"a\":1,\"a\":2}", "line");
	expect_reject(HEAD "\"namespaces\":[{\"name\":\"c\",\"role\":\"container\","
			   "\"container\":\"c\",\"caps_drop\":[\"net_rawx\"]}]}",
		      "unknown capability");
	expect_reject(HEAD "\"namespaces\":[{\"name\":\"c\",\"role\":\"container\","
			   "\"container\":\"c\",\"caps_drop\":[],\"caps_keep\":[]}]}",
		      "together");
	expect_reject(HEAD "\"namespaces\":[{\"name\":\"c\",\"role\":\"container\","
			   "\"container\":\"c\",\"no_new_privs\":false}]}",
		      "no_new_privs");
}

#define NFT_RULE(R)                                                                                \
	HEAD "\"namespaces\":[{\"name\":\"c\",\"role\":\"switch\"}],"                              \
	     "\"ops\":[{\"op\":\"nft\",\"ns\":\"c\",\"nft\":{\"table\":\"opentop\",\"chains\":"    \
	     "[{\"name\":\"input\",\"type\":\"filter\",\"hook\":\"input\",\"priority\":0}],"       \
	     "\"rules\":[{\"chain\":\"input\",\"verdict\":\"accept\"," R "}]}}]}"

/* An ICMP type range: [first, last] within 0..255, on icmp/icmpv6 only. */
Test(plan_json, icmp_type)
{
	expect_accept(NFT_RULE("\"proto\":\"icmpv6\",\"icmp_type\":[135,136]"));
	expect_accept(NFT_RULE("\"proto\":\"icmp\",\"icmp_type\":[0,0]"));
	expect_reject(NFT_RULE("\"proto\":\"tcp\",\"icmp_type\":[135,136]"), "needs proto");
	expect_reject(NFT_RULE("\"icmp_type\":[135,136]"), "needs proto");
	expect_reject(NFT_RULE("\"proto\":\"icmpv6\",\"icmp_type\":[136,135]"), "0 <= first");
	expect_reject(NFT_RULE("\"proto\":\"icmpv6\",\"icmp_type\":[1,256]"), "0 <= first");
	expect_reject(NFT_RULE("\"proto\":\"icmpv6\",\"icmp_type\":135"), "[first, last]");
}

/* Underlay addresses (this node's, every node's, a VXLAN device's local
 * address, an FDB entry's remote VTEP) must be unicast. */
Test(plan_json, underlay_must_be_unicast)
{
	static const char *const bad[] = {
	    "0.0.0.0", "255.255.255.255", "224.0.0.5", "127.0.0.1",	   "::",
	    "::1",     "ff02::1",	  "fe80::1",   "::ffff:192.0.2.1",
	};
	char buf[1024];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), HEAD "\"underlay\":{\"address\":\"%s\"}}", bad[i]);
		expect_reject(buf, "not a unicast underlay address");
		snprintf(buf, sizeof(buf),
			 HEAD "\"nodes\":[{\"name\":\"n1\",\"underlay\":\"%s\"}]}", bad[i]);
		expect_reject(buf, "nodes[0]: 'underlay'");
		snprintf(buf, sizeof(buf),
			 HEAD "\"namespaces\":[{\"name\":\"s\",\"role\":\"switch\"}],"
			      "\"ops\":[{\"op\":\"link\",\"ns\":\"s\",\"kind\":\"vxlan\","
			      "\"name\":\"vx\",\"vni\":5,\"port\":4789,\"sock_ns\":\"host\","
			      "\"local\":\"%s\"}]}",
			 bad[i]);
		expect_reject(buf, "ops[0]: 'local'");
		snprintf(buf, sizeof(buf),
			 HEAD "\"namespaces\":[{\"name\":\"s\",\"role\":\"switch\"}],"
			      "\"ops\":[{\"op\":\"link\",\"ns\":\"s\",\"kind\":\"vxlan\","
			      "\"name\":\"vx\",\"vni\":5,\"port\":4789,\"sock_ns\":\"host\"},"
			      "{\"op\":\"fdb\",\"ns\":\"s\",\"dev\":\"vx\",\"dst\":\"%s\"}]}",
			 bad[i]);
		expect_reject(buf, "ops[1]: 'dst'");
	}
	/* and a unicast one is fine where a bad one is refused */
	snprintf(buf, sizeof(buf), HEAD "\"underlay\":{\"address\":\"192.0.2.1\"}}");
	expect_accept(buf);
}
