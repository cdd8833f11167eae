/*
 * test_reach.c - the reachability oracle (src/reach) on small topologies
 * compiled from text, one semantic per test: on-link subnets, routes and
 * longest prefix, forwarding, in/out/forward rules and policies, statefulness
 * (answers pass; asymmetric paths do not), masquerade, SNAT, DNAT, uplinks,
 * VXLAN across nodes, a node's plan alone (unknown beyond it), classes and
 * their parser.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>

#include "compile/compile.h"
#include "model/load.h"
#include "reach/reach.h"

struct fx {
	struct ot_diags d;
	struct ot_model *m;
	struct ot_compiled *c;
	struct ot_reach *r;
};

static struct fx fx;

static void build(const char *text, size_t nplans)
{
	struct ot_compile_opts o = {0};
	struct ot_error err = {0};

	ot_diags_init(&fx.d);
	cr_assert_eq(ot_topology_load_mem("t.otp", text, strlen(text), NULL, &fx.d, &fx.m), 0);
	cr_assert_eq(ot_compile(fx.m, &o, &fx.d, &fx.c), 0);
	cr_assert_eq(ot_reach_new((const struct ot_plan *const *)fx.c->plans,
				  nplans ? nplans : fx.c->nplans, &fx.r, &err),
		     0, "%s", err.msg);
}

static void fini(void)
{
	ot_reach_free(fx.r);
	ot_compiled_free(fx.c);
	ot_model_free(fx.m);
	ot_diags_free(&fx.d);
	memset(&fx, 0, sizeof(fx));
}

/* The verdict of FROM -> ADDR for CLASS ("icmp", "tcp/80"); res for more. */
static enum ot_reach_verdict ev(const char *from, const char *addr, const char *cls,
				struct ot_reach_result *res)
{
	struct ot_reach_result tmp;
	struct ot_reach_class c;
	struct ot_addr a;
	int i = ot_reach_endpoint_find(fx.r, from);

	cr_assert_geq(i, 0, "no endpoint %s", from);
	cr_assert_eq(ot_addr_parse(addr, &a), 0);
	cr_assert_eq(ot_reach_class_parse(cls, &c), 0);
	if (!res)
		res = &tmp;
	cr_assert_eq(ot_reach_eval(fx.r, (size_t)i, &a, &c, res), 0);
	return res->verdict;
}

#define ANS  OT_REACH_ANSWERED
#define ARR  OT_REACH_ARRIVES
#define LOST OT_REACH_LOST

TestSuite(reach, .fini = fini);

Test(reach, onlink_and_separate_networks)
{
	build("topology t\n"
	      "network a { subnet 10.1.0.0/24 }\nnetwork b { subnet 10.2.0.0/24 }\n"
	      "container x on n1 { iface eth0 on a address 10.1.0.1 }\n"
	      "container y on n1 { iface eth0 on a address 10.1.0.2 }\n"
	      "container z on n1 { iface eth0 on b address 10.2.0.3 }\n",
	      0);
	cr_assert_eq(ev("x", "10.1.0.2", "icmp", NULL), ANS);
	cr_assert_eq(ev("x", "10.1.0.2", "tcp/9000", NULL), ANS);
	cr_assert_eq(ev("x", "10.2.0.3", "icmp", NULL), LOST);
	/* an address nobody holds on the segment: no neighbour */
	struct ot_reach_result res;
	cr_assert_eq(ev("x", "10.1.0.99", "udp/9000", &res), LOST);
	cr_assert(strstr(res.why, "nobody answers for 10.1.0.99"), "%s", res.why);
}

static const char router_topo[] =
    "topology t\n"
    "network a { subnet 10.1.0.0/24 }\nnetwork b { subnet 10.2.0.0/24 }\n"
    "container x on n1 { iface eth0 on a address 10.1.0.10\n route default via 10.1.0.1 }\n"
    "container y on n1 { iface eth0 on b address 10.2.0.10\n %s }\n"
    "container gw on n1 { iface a0 on a address 10.1.0.1\n iface b0 on b address 10.2.0.1\n"
    " %s\n firewall {\n%s\n} }\n";

static void build_router(const char *yroute, const char *fwd, const char *rules)
{
	char text[2048];

	snprintf(text, sizeof(text), router_topo, yroute, fwd, rules);
	build(text, 0);
}

Test(reach, routes_and_forwarding)
{
	struct ot_reach_result res;

	build_router("route default via 10.2.0.1", "", "");
	cr_assert_eq(ev("x", "10.2.0.10", "icmp", &res), LOST);
	cr_assert(strstr(res.why, "gw does not forward"), "%s", res.why);
	fini();
	build_router("route default via 10.2.0.1", "forward", "");
	cr_assert_eq(ev("x", "10.2.0.10", "icmp", &res), ANS);
	cr_assert_str_eq(res.path, "x > gw > y");
	fini();
	/* no route back: the request arrives, the answer does not */
	build_router("", "forward", "");
	cr_assert_eq(ev("x", "10.2.0.10", "tcp/9000", &res), ARR);
	cr_assert(strstr(res.why, "y has no route to 10.1.0.10"), "%s", res.why);
	cr_assert_eq(ev("y", "10.1.0.10", "icmp", &res), LOST);
	cr_assert(strstr(res.why, "y has no route"), "%s", res.why);
}

Test(reach, longest_prefix)
{
	/* a /25 route via a gateway that does not exist wins over the default */
	build_router("route default via 10.2.0.1\n route 10.1.0.0/25 via 10.2.0.99", "forward", "");
	cr_assert_eq(ev("x", "10.2.0.10", "icmp", NULL), ARR);
	cr_assert_eq(ev("gw", "10.2.0.10", "icmp", NULL), ANS);
}

Test(reach, forward_rules_and_policy)
{
	struct ot_reach_result res;

	build_router("route default via 10.2.0.1", "forward",
		     "allow forward tcp dport 80 iif a0\nreject forward udp\npolicy forward drop");
	cr_assert_eq(ev("x", "10.2.0.10", "tcp/80", &res), ANS);
	cr_assert(strstr(res.why, "t.otp:"), "%s", res.why);
	cr_assert_eq(ev("x", "10.2.0.10", "udp/80", &res), LOST);
	cr_assert(strstr(res.why, "rejected by gw's forward rule"), "%s", res.why);
	cr_assert_eq(ev("x", "10.2.0.10", "icmp", &res), LOST);
	cr_assert(strstr(res.why, "policy forward drop"), "%s", res.why);
	/* stateful: y cannot open tcp/80 towards x (iif b0) */
	cr_assert_eq(ev("y", "10.1.0.10", "tcp/80", NULL), LOST);
	/* gw's own traffic does not cross its forward chain */
	cr_assert_eq(ev("gw", "10.2.0.10", "udp/80", NULL), ANS);
}

Test(reach, in_and_out_rules)
{
	struct ot_reach_result res;

	build_router("route default via 10.2.0.1", "forward",
		     "allow in icmp\npolicy in drop\ndrop out udp dport 53");
	cr_assert_eq(ev("x", "10.1.0.1", "icmp", NULL), ANS);
	cr_assert_eq(ev("x", "10.1.0.1", "tcp/53", &res), LOST);
	cr_assert(strstr(res.why, "policy in drop"), "%s", res.why);
	cr_assert_eq(ev("gw", "10.1.0.10", "udp/53", &res), LOST);
	cr_assert(strstr(res.why, "dropped by gw's out rule"), "%s", res.why);
	cr_assert_eq(ev("gw", "10.1.0.10", "tcp/53", NULL), ANS);
	/* input policy drop does not stop answers to gw's own requests */
	cr_assert_eq(ev("gw", "10.2.0.10", "tcp/9000", NULL), ANS);
	/* nor forwarding */
	cr_assert_eq(ev("x", "10.2.0.10", "tcp/9000", NULL), ANS);
}

Test(reach, stateless_answer_path_is_invalid)
{
	/* y answers through gw2, which never saw the request: gw2's forward
	 * chain sees an invalid TCP SYN-ACK and its policy drops it */
	build(
	    "topology t\n"
	    "network a { subnet 10.1.0.0/24 }\nnetwork b { subnet 10.2.0.0/24 }\n"
	    "container x on n1 { iface eth0 on a address 10.1.0.10\n route default via 10.1.0.1 }\n"
	    "container y on n1 { iface eth0 on b address 10.2.0.10\n route default via 10.2.0.2 }\n"
	    "container gw on n1 { iface a0 on a address 10.1.0.1\n iface b0 on b address 10.2.0.1\n"
	    " forward }\n"
	    "container gw2 on n1 { iface a0 on a address 10.1.0.2\n iface b0 on b address "
	    "10.2.0.2\n"
	    " forward\n firewall { allow forward udp\n policy forward drop } }\n",
	    0);
	cr_assert_eq(ev("x", "10.2.0.10", "tcp/9000", NULL), ARR);
	cr_assert_eq(ev("x", "10.2.0.10", "icmp", NULL), ARR);
	/* a UDP answer is "new" there, and allowed */
	cr_assert_eq(ev("x", "10.2.0.10", "udp/9000", NULL), ANS);
}

Test(reach, masquerade_and_snat)
{
	struct ot_reach_result res;

	/* y has no route back to a: only source NAT makes answers return */
	build_router("", "forward\n nat { masquerade out b0 }", "");
	cr_assert_eq(ev("x", "10.2.0.10", "icmp", &res), ANS);
	cr_assert(strstr(res.path, "masquerade"), "%s", res.path);
	fini();
	build_router("", "forward\n nat { snat out b0 to 10.2.0.1 from 10.1.0.0/24 }", "");
	cr_assert_eq(ev("x", "10.2.0.10", "tcp/9000", NULL), ANS);
	fini();
	/* snat to an address nobody holds: the answer finds no neighbour */
	build_router("", "forward\n nat { snat out b0 to 10.2.0.77 }", "");
	cr_assert_eq(ev("x", "10.2.0.10", "udp/9000", NULL), ARR);
}

Test(reach, dnat)
{
	struct ot_reach_result res;
	const struct ot_reach_class *cls;
	size_t n, i;
	bool p80 = false, p8080 = false;

	build_router("", "forward\n nat { dnat in b0 tcp dport 8080 to 10.1.0.10:80 }", "");
	cr_assert_eq(ev("y", "10.2.0.1", "tcp/8080", &res), ANS);
	cr_assert_eq(res.delivered_to, ot_reach_endpoint_find(fx.r, "x"));
	cr_assert_eq(res.delivered_port, 80);
	/* udp is not translated: gw answers itself */
	cr_assert_eq(ev("y", "10.2.0.1", "udp/8080", &res), ANS);
	cr_assert_eq(res.delivered_to, ot_reach_endpoint_find(fx.r, "gw"));
	/* both the published port and the target port are classes */
	n = ot_reach_classes(fx.r, &cls);
	for (i = 0; i < n; i++) {
		p80 |= cls[i].proto == IPPROTO_TCP && cls[i].port == 80;
		p8080 |= cls[i].proto == IPPROTO_UDP && cls[i].port == 8080;
	}
	cr_assert(p80 && p8080);
}

Test(reach, uplink_host)
{
	build(
	    "topology t\n"
	    "network lan { subnet 10.10.10.0/24\n uplink on n1 address 10.10.10.1/24 masquerade }\n"
	    "container c on n1 { iface eth0 on lan address 10.10.10.23\n"
	    " route default via 10.10.10.1 }\n",
	    0);
	cr_assert_geq(ot_reach_endpoint_find(fx.r, "@n1"), 0);
	cr_assert_eq(ev("c", "10.10.10.1", "icmp", NULL), ANS);
	cr_assert_eq(ev("@n1", "10.10.10.23", "tcp/9000", NULL), ANS);
	/* beyond the host: what the plans do not describe is lost */
	cr_assert_eq(ev("c", "192.0.2.200", "icmp", NULL), LOST);
}

static const char span_topo[] = "topology t\n"
				"network lan { subnet 10.5.0.0/24 }\n"
				"container a on n1 { iface eth0 on lan address 10.5.0.1 }\n"
				"container b on n2 { iface eth0 on lan address 10.5.0.2 }\n"
				"container c on n2 { iface eth0 on lan address 10.5.0.3 }\n";

Test(reach, vxlan_across_nodes)
{
	build(span_topo, 0);
	cr_assert_eq(ev("a", "10.5.0.2", "icmp", NULL), ANS);
	cr_assert_eq(ev("c", "10.5.0.1", "udp/9000", NULL), ANS);
}

Test(reach, one_plan_alone)
{
	/* n2's plan only: b reaches c; a (on n1) is unknown, not lost */
	struct ot_compile_opts o = {0};
	struct ot_error err = {0};
	const struct ot_plan *p2;

	ot_diags_init(&fx.d);
	cr_assert_eq(
	    ot_topology_load_mem("t.otp", span_topo, strlen(span_topo), NULL, &fx.d, &fx.m), 0);
	cr_assert_eq(ot_compile(fx.m, &o, &fx.d, &fx.c), 0);
	p2 = ot_compiled_plan(fx.c, "n2");
	cr_assert_eq(ot_reach_new(&p2, 1, &fx.r, &err), 0);
	cr_assert_eq(ot_reach_endpoint_find(fx.r, "a"), -ENOENT);
	cr_assert_eq(ev("b", "10.5.0.3", "icmp", NULL), ANS);
	cr_assert_eq(ev("b", "10.5.0.1", "icmp", NULL), OT_REACH_UNKNOWN);
}

/* n2's plan only, a routed path that leaves the node: b and c are the only
 * members of their networks on n2, so each one's eth0 is the VXLAN device
 * itself (no bridge), and the router r is on n1. Unknown, not lost (found
 * with topologies/fleet.otp: verify said lost, the kernel answered). */
Test(reach, one_plan_alone_routed_through_another_node)
{
	static const char topo[] = "topology t\n"
				   "network l1 { subnet 10.6.1.0/24 }\n"
				   "network l2 { subnet 10.6.2.0/24 }\n"
				   "container r on n1 {\n"
				   " iface a on l1 address 10.6.1.1\n"
				   " iface b on l2 address 10.6.2.1\n"
				   " forward\n"
				   "}\n"
				   "container b on n2 { iface eth0 on l1 address 10.6.1.2\n"
				   " route default via 10.6.1.1 }\n"
				   "container c on n2 { iface eth0 on l2 address 10.6.2.2\n"
				   " route default via 10.6.2.1 }\n";
	struct ot_compile_opts o = {0};
	struct ot_error err = {0};
	const struct ot_plan *p2;

	ot_diags_init(&fx.d);
	cr_assert_eq(ot_topology_load_mem("t.otp", topo, strlen(topo), NULL, &fx.d, &fx.m), 0);
	cr_assert_eq(ot_compile(fx.m, &o, &fx.d, &fx.c), 0);
	p2 = ot_compiled_plan(fx.c, "n2");
	cr_assert_eq(ot_reach_new(&p2, 1, &fx.r, &err), 0);
	cr_assert_eq(ev("b", "10.6.2.2", "icmp", NULL), OT_REACH_UNKNOWN);
	cr_assert_eq(ev("b", "10.6.1.1", "icmp", NULL), OT_REACH_UNKNOWN);
}

Test(reach, classes)
{
	struct ot_reach_class c;
	char buf[32];

	cr_assert_eq(ot_reach_class_parse("tcp/80", &c), 0);
	cr_assert_eq(c.proto, IPPROTO_TCP);
	cr_assert_eq(c.port, 80);
	ot_reach_class_format(&c, buf, sizeof(buf));
	cr_assert_str_eq(buf, "tcp/80");
	cr_assert_eq(ot_reach_class_parse("icmp", &c), 0);
	cr_assert_eq(c.proto, 0);
	cr_assert_eq(ot_reach_class_parse("udp/0", &c), -EINVAL);
	cr_assert_eq(ot_reach_class_parse("sctp/1", &c), -EINVAL);
	cr_assert_eq(ot_reach_class_parse("tcp/65536", &c), -EINVAL);
}

/* Remove every neighbour discovery accept rule from the compiled plans (as
 * a plan written without it would be) and rebuild the oracle. */
static void drop_nd_rules(void)
{
	struct ot_error err = {0};
	size_t i, k, j;

	for (i = 0; i < fx.c->nplans; i++) {
		struct ot_plan *p = fx.c->plans[i];

		for (k = 0; k < p->nops; k++) {
			struct ot_op_nft *t = &p->ops[k].nft;

			if (p->ops[k].kind != OT_OP_NFT)
				continue;
			for (j = 0; j < t->nrules;)
				if (t->rules[j].has_icmp_type) {
					memmove(&t->rules[j], &t->rules[j + 1],
						(t->nrules - j - 1) * sizeof(t->rules[0]));
					t->nrules--;
				} else {
					j++;
				}
		}
	}
	ot_reach_free(fx.r);
	cr_assert_eq(
	    ot_reach_new((const struct ot_plan *const *)fx.c->plans, fx.c->nplans, &fx.r, &err), 0,
	    "%s", err.msg);
}

/* IPv6 behind `policy in drop`: the compiled plan accepts neighbour
 * discovery, so allowed IPv6 traffic passes; without that rule the oracle
 * loses it at the neighbour, as the kernel does (tests/kernel/run-nd). */
Test(reach, ipv6_neighbour_discovery)
{
	struct ot_reach_result res;

	build("topology t\nnetwork a { subnet fd00:1::/64 }\n"
	      "container x on n1 { iface eth0 on a address fd00:1::1 }\n"
	      "container y on n1 { iface eth0 on a address fd00:1::2\n"
	      "  firewall { allow in tcp dport 22; policy in drop } }\n",
	      0);
	cr_assert_eq(ev("x", "fd00:1::2", "tcp/22", &res), ANS, "%s", res.why);
	cr_assert_eq(ev("x", "fd00:1::2", "icmp", &res), LOST);
	cr_assert(strstr(res.why, "policy in drop"), "%s", res.why);
	cr_assert_eq(ev("y", "fd00:1::1", "icmp", &res), ANS, "%s", res.why);
	drop_nd_rules();
	cr_assert_eq(ev("x", "fd00:1::2", "tcp/22", &res), LOST);
	cr_assert(strstr(res.why, "neighbour discovery for fd00:1::2 on eth0 fails: dropped by "
				  "y's policy in drop"),
		  "%s", res.why);
	/* y's own requests: its solicitation leaves, x's advertisement is dropped */
	cr_assert_eq(ev("y", "fd00:1::1", "icmp", &res), LOST);
	cr_assert(strstr(res.why, "neighbour discovery for fd00:1::1"), "%s", res.why);
}

/* A solicitation that arrives teaches the receiver its sender: without the
 * ND rule, b (allowing ICMPv6 to its own address, which takes the
 * advertisement but not the solicitation) reaches a, and a's answer needs
 * no discovery; a cannot reach b (tests/kernel/run-nd, the same topology). */
Test(reach, ipv6_solicitation_teaches_the_receiver)
{
	struct ot_reach_result res;

	build("topology t\nnetwork lan { subnet fd00:60::/64 }\n"
	      "container a on n1 { iface eth0 on lan address fd00:60::1 }\n"
	      "container b on n1 { iface eth0 on lan address fd00:60::2\n"
	      "  firewall { allow in icmpv6 to fd00:60::2; policy in drop } }\n",
	      0);
	cr_assert_eq(ev("a", "fd00:60::2", "icmp", &res), ANS, "%s", res.why);
	drop_nd_rules();
	cr_assert_eq(ev("a", "fd00:60::2", "icmp", &res), LOST);
	cr_assert(strstr(res.why, "neighbour discovery for fd00:60::2"), "%s", res.why);
	cr_assert_eq(ev("b", "fd00:60::1", "icmp", &res), ANS, "%s", res.why);
}
