/*
 * test_plan_text.c - the writers of compiled plans: the human text (every
 * decision visible, aligned), the nft syntax, the shell script (create and
 * destroy, checked with `sh -n` and for the commands it must contain) and
 * the DOT graph (checked by Graphviz itself: `dot -Tsvg` must accept it).
 */
#include "test_compile_model.h"

#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compile/graph.h"
#include "plan/plan_sh.h"
#include "plan/plan_text.h"

static struct ot_model *demo(void)
{
	struct ot_model *m = tm_new("demo");
	struct ot_m_node *n1 = tm_node(m, "n1"), *n2 = tm_node(m, "n2");
	struct ot_m_network *lan = tm_net(m, "lan", "10.0.0.0/24");
	struct ot_m_network *p2p = tm_net(m, "p2p", "10.1.0.0/24");
	struct ot_m_container *a1 = tm_ctr(m, "a1", n1), *a2 = tm_ctr(m, "a2", n1);
	struct ot_m_container *b1 = tm_ctr(m, "b1", n2);
	struct ot_m_rule *r;

	tm_iface(m, a1, "eth0", lan, "10.0.0.1/24", NULL);
	tm_iface(m, a2, "eth0", lan, "10.0.0.2/24", "fd00::2/64");
	tm_iface(m, b1, "eth0", lan, "10.0.0.3/24", NULL);
	tm_iface(m, a1, "eth1", p2p, "10.1.0.1/24", NULL);
	tm_iface(m, a2, "a-very-long-interface", p2p, "10.1.0.2/24", NULL);
	tm_iface(m, a2, "mv0", NULL, "192.168.50.2/24", NULL);
	tm_route(a1, "default", "10.0.0.3");
	r = tm_rule(b1, OT_M_IN, OT_M_ALLOW, IPPROTO_TCP);
	r->dport = (struct ot_ports){1, {{80, 81}}};
	r = tm_rule(b1, OT_M_IN, OT_M_ALLOW, IPPROTO_UDP);
	r->sport = (struct ot_ports){2, {{53, 53}, {6000, 6063}}};
	r = tm_rule(b1, OT_M_IN, OT_M_DROP, IPPROTO_ICMP);
	r->has_src = true;
	ot_prefix_parse("10.0.0.2/32", true, &r->src);
	b1->policy_drop[OT_M_IN] = true;
	tm_uplink(lan, n2, "10.0.0.254/24", true);
	a1->memory = 64u << 20;
	a1->cpu_pct = 50;
	a1->isolate |= OT_ISO_UTS;
	return m;
}

struct fixture {
	struct ot_model *m;
	struct ot_hosts *h;
	struct ot_compiled *c;
};

static struct fixture build(bool bound)
{
	struct fixture f = {demo(), NULL, NULL};
	struct ot_compile_opts o = {.probes = true};

	if (bound)
		f.h = tm_hosts(f.m, false, 0);
	o.hosts = f.h;
	f.c = tm_compile(f.m, &o);
	return f;
}

static void done(struct fixture *f)
{
	ot_compiled_free(f->c);
	tm_hosts_free(f->h);
	tm_free(f->m);
}

/* Run cmd with text on its stdin; its exit status. */
static int run_with_input(const char *cmd, const char *text)
{
	FILE *p = popen(cmd, "w");
	int st;

	cr_assert_not_null(p);
	fputs(text, p);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static bool have(const char *prog)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

Test(plan_text, every_decision_visible)
{
	struct fixture f = build(true);
	struct ot_strbuf sb = OT_STRBUF_INIT;
	const char *t;

	ot_plan_text(ot_compiled_plan(f.c, "n2"), &sb);
	t = ot_sb_str(&sb);
	cr_assert(strstr(t, "node n2 of topology demo (node 2 of 2)"), "%s", t);
	cr_assert(strstr(t, "underlay     192.0.2.2, MTU 1500"), "%s", t);
	cr_assert(strstr(t, "bridge br-lan mtu 1450 alias \"lan\""), "%s", t);
	cr_assert(strstr(t, "vxlan vx"), "%s", t);
	cr_assert(strstr(t, "local 192.0.2.2"), "%s", t);
	cr_assert(strstr(t, "(flood) -> n1 at 192.0.2.1"), "%s", t);
	cr_assert(strstr(t, "table inet opentop {"), "%s", t);
	cr_assert(strstr(t, "type filter hook input priority 0; policy drop;"), "%s", t);
	cr_assert(strstr(t, "ct state established,related accept"), "%s", t);
	cr_assert(strstr(t, "tcp dport 80-81 counter accept comment \"t.otp:"), "%s", t);
	cr_assert(strstr(t, "udp sport { 53, 6000-6063 } counter accept comment"), "%s", t);
	cr_assert(strstr(t, "ip saddr 10.0.0.2/32 meta l4proto icmp counter drop"), "%s", t);
	cr_assert(strstr(t, "masquerade"), "%s", t);
	cr_assert(strstr(t, "net/ipv4/ip_forward = 1"), "%s", t);
	cr_assert(strstr(t, "\nprobes ("), "%s", t);
	cr_assert(strstr(t, "\nteardown (5)\n"), "%s", t);
	cr_assert(strstr(t, "delete link ot"), "%s", t);
	/* operations: numbered, kind and namespace columns aligned */
	{
		const char *l = strstr(t, "\noperations (");
		const char *a = strstr(l, "\n   1  netns   demo.n2 ");
		const char *b = strstr(l, "\n  10  up      ");

		cr_assert_not_null(a, "%s", l);
		cr_assert_not_null(b, "%s", l);
	}
	ot_sb_free(&sb);
	/* n1: IPv6 only on a2's eth0; renamed interface keeps its name in the alias */
	ot_plan_text(ot_compiled_plan(f.c, "n1"), &sb);
	t = ot_sb_str(&sb);
	cr_assert(strstr(t, "alias \"a-very-long-interface\""), "%s", t);
	cr_assert(strstr(t, "fd00::2/64 dev eth0 nodad"), "%s", t);
	cr_assert(strstr(t, "macvlan mv0 noipv6 on host eth9 mode bridge"), "%s", t);
	cr_assert(strstr(t, "  opentop/demo.n1/a1 cpu 50% memory 67108864"), "%s", t);
	cr_assert(strstr(t, "hostname a1"), "%s", t);
	ot_sb_free(&sb);
	done(&f);
}

Test(plan_text, unbound_is_said)
{
	struct fixture f = build(false);
	struct ot_strbuf sb = OT_STRBUF_INIT;

	ot_plan_text(f.c->plans[0], &sb);
	cr_assert(strstr(ot_sb_str(&sb), "unbound (no hosts file), MTU 1500 assumed"));
	cr_assert(strstr(ot_sb_str(&sb), "local (unbound)"));
	ot_sb_free(&sb);
	done(&f);
}

Test(plan_sh, create_and_destroy_scripts)
{
	struct fixture f = build(true);
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_error err = {0};
	const char *t;

	cr_assert_eq(ot_plan_sh(ot_compiled_plan(f.c, "n2"), OT_SH_CREATE, &sb, &err), 0);
	t = ot_sb_str(&sb);
	cr_assert(strncmp(t, "#!/bin/sh\n", 10) == 0);
	cr_assert(strstr(t, "\nset -e\n"));
	cr_assert(strstr(t, "\nip netns add demo.n2.b1\n"), "%s", t);
	cr_assert(strstr(t, "\nip -n demo.n2 link add br-lan mtu 1450 type bridge\n"), "%s", t);
	cr_assert(strstr(t, " type vxlan id "), "%s", t);
	cr_assert(strstr(t, " dstport 4789 local 192.0.2.2 nolearning\n"), "%s", t);
	cr_assert(strstr(t, "\nip link add vx"), "VXLAN requested from the host: %s", t);
	cr_assert(strstr(t, "type veth peer name b1-eth0 mtu 1450 netns demo.n2\n"), "%s", t);
	cr_assert(strstr(t, "\nbridge -n demo.n2 fdb append 00:00:00:00:00:00 dev vx"), "%s", t);
	cr_assert(strstr(t, " dst 192.0.2.1 self permanent\n"), "%s", t);
	cr_assert(strstr(t, "\nsysctl -qw net/ipv4/ip_forward=1\n"), "%s", t);
	cr_assert(strstr(t, "ip netns exec demo.n2.b1 nft -f - <<'OT_NFT'\ntable inet opentop {"),
		  "%s", t);
	/* neighbour discovery before the rules, in nft syntax nft accepts */
	cr_assert(strstr(t,
			 "\t\tct state established,related accept\n"
			 "\t\ticmpv6 type 135-136 accept comment \"IPv6 neighbour discovery\"\n"),
		  "%s", t);
	cr_assert(strstr(t, "# 2: netns in demo.n2.b1 (t.otp:"), "%s", t);
	if (have("sh"))
		cr_assert_eq(run_with_input("sh -n", t), 0, "not valid sh:\n%s", t);
	ot_sb_free(&sb);

	cr_assert_eq(ot_plan_sh(ot_compiled_plan(f.c, "n2"), OT_SH_DESTROY, &sb, &err), 0);
	t = ot_sb_str(&sb);
	cr_assert(!strstr(t, "set -e"));
	cr_assert(strstr(t, "\nip netns del demo.n2.b1 || ot_st=1\n"), "%s", t);
	cr_assert(strstr(t, "\nnft delete table inet ot-"), "%s", t);
	cr_assert(strstr(t, "sysctl -qw net/ipv4/ip_forward=\"$(cat"), "%s", t);
	/* containers before the switch namespace */
	cr_assert_lt(strstr(t, "ip netns del demo.n2.b1"), strstr(t, "ip netns del demo.n2 "));
	cr_assert(strstr(t, "\nexit $ot_st\n"));
	if (have("sh"))
		cr_assert_eq(run_with_input("sh -n", t), 0, "not valid sh:\n%s", t);
	ot_sb_free(&sb);

	/* n1: cgroup helper, macvlan from the host into the container */
	cr_assert_eq(ot_plan_sh(ot_compiled_plan(f.c, "n1"), OT_SH_CREATE, &sb, &err), 0);
	t = ot_sb_str(&sb);
	cr_assert(strstr(t, "\not_cgroup opentop/demo.n1/a1 50 67108864 0\n"), "%s", t);
	cr_assert(strstr(t, "\nip link add mv0 link eth9 netns demo.n1.a2 type macvlan mode "
			    "bridge\n"),
		  "%s", t);
	cr_assert(strstr(t, "# not done by this script (a namespace needs a process to hold it): "
			    "isolate uts, hostname a1"),
		  "%s", t);
	if (have("sh"))
		cr_assert_eq(run_with_input("sh -n", t), 0, "not valid sh:\n%s", t);
	ot_sb_free(&sb);
	done(&f);
}

Test(plan_sh, unbound_refused)
{
	struct fixture f = build(false);
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_error err = {0};

	cr_assert_eq(ot_plan_sh(f.c->plans[0], OT_SH_CREATE, &sb, &err), -EINVAL);
	cr_assert(strstr(err.msg, "unbound"), "%s", err.msg);
	ot_sb_free(&sb);
	done(&f);
}

Test(graph, dot_accepted_by_graphviz)
{
	struct fixture f = build(true);
	struct ot_strbuf sb = OT_STRBUF_INIT;
	const char *t;

	cr_assert_eq(ot_graph_dot(f.c, &sb), 0);
	t = ot_sb_str(&sb);
	cr_assert(strncmp(t, "graph \"demo\" {", 14) == 0, "%s", t);
	cr_assert(strstr(t, "subgraph \"cluster_n1\""), "%s", t);
	cr_assert(strstr(t, "\"n/lan\" [shape=ellipse"), "%s", t);
	cr_assert(strstr(t, "VXLAN VNI "), "%s", t);
	cr_assert(strstr(t, "(derived), MTU 1450"), "%s", t);
	cr_assert(strstr(t, "veth pair, MTU 1500"), "%s", t);
	cr_assert(strstr(t, "macvlan on eth9"), "%s", t);
	cr_assert(strstr(t, "masquerade"), "%s", t);
	if (!have("dot")) {
		cr_skip_test("graphviz `dot` is not installed (hosts/install-deps installs it)");
		return;
	}
	cr_assert_eq(run_with_input("dot -Tsvg >/dev/null", t), 0, "dot refused:\n%s", t);
	ot_sb_free(&sb);
	done(&f);
}
