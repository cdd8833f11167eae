/*
 * test_model.c - expansion and semantic checks: the model built from
 * source (params, -D overrides, loops, templates, defaults, node order,
 * links, lookups), the allocation's shape and automatic addresses, and
 * every semantic error with its exact position,
 * message and note.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glob.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
	for (i = 0; i < d.n; i++) {
		if (d.v[i].level != OT_DIAG_ERROR)
			continue;
		ot_sb_printf(&errs, "%u:%u: %s\n", d.v[i].loc.line, d.v[i].loc.col, d.v[i].msg);
	}
	return r;
}

static int load(const char *text)
{
	return load_opts(text, NULL);
}

static void done(void)
{
	ot_model_free(m);
	m = NULL;
	ot_diags_free(&d);
	ot_sb_free(&errs);
}

/* Expect exactly these errors ("L:C: msg\n"...) and a failed load. */
static void expect_errors(const char *text, const char *want)
{
	int r = load(text);

	cr_assert_eq(r, -EINVAL, "load returned %d; errors:\n%s", r, ot_sb_str(&errs));
	cr_assert_null(m);
	cr_assert_str_eq(ot_sb_str(&errs), want);
	done();
}

static const struct ot_diag *diag_with(const char *part)
{
	size_t i;

	for (i = 0; i < d.n; i++)
		if (strstr(d.v[i].msg, part))
			return &d.v[i];
	return NULL;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;

	cr_assert_not_null(f, "%s", path);
	buf = malloc(1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

Test(model, seed_example)
{
	struct ot_m_container *c;
	struct ot_m_network *n;
	char s[64];

	cr_assert_eq(ot_topology_load("topologies/seed.otp", NULL, (ot_diags_init(&d), &d), &m), 0);
	cr_assert_str_eq(m->name, "seed");
	cr_assert_eq(m->nnodes, 1);
	cr_assert_eq(m->ncontainers, 1);
	c = ot_model_container(m, "thenamespace");
	cr_assert_not_null(c);
	cr_assert_eq(c->isolate, OT_ISO_NET);
	cr_assert_eq(c->nifaces, 1);
	cr_assert(c->ifaces[0].has_mac);
	ot_mac_format(&c->ifaces[0].mac, s, sizeof(s));
	cr_assert_str_eq(s, "00:80:41:00:00:01");
	ot_prefix_format(&c->ifaces[0].addrs[0], s, sizeof(s));
	cr_assert_str_eq(s, "10.10.10.23/24");
	n = ot_model_network(m, "br10");
	cr_assert_not_null(n);
	cr_assert(n->force_bridge);
	cr_assert_eq(n->nmembers, 1);
	cr_assert_eq(n->members[0], &c->ifaces[0]);
	cr_assert_eq(n->nuplinks, 1);
	cr_assert(n->uplinks[0].masquerade);
	cr_assert_str_eq(n->uplinks[0].out, "");
	ot_prefix_format(&n->uplinks[0].address, s, sizeof(s));
	cr_assert_str_eq(s, "10.10.10.1/24");
	cr_assert_eq(c->nroutes, 1);
	cr_assert_eq(c->routes[0].dst.len, 0);
	cr_assert_eq(c->routes[0].dst.addr.family, AF_INET);
	cr_assert(c->routes[0].has_via);
	cr_assert_eq(m->vxlan_port, 4789);
	cr_assert_eq(strlen(m->source_digest), 16);
	cr_assert_eq(c->loc.line, 21);
	cr_assert_eq(c->loc.col, 11);
	done();
}

Test(model, every_example_topology_loads)
{
	glob_t g;
	size_t i;

	cr_assert_eq(glob("topologies/*.otp", 0, NULL, &g), 0);
	cr_assert_geq(g.gl_pathc, 8);
	for (i = 0; i < g.gl_pathc; i++) {
		struct ot_strbuf sb = OT_STRBUF_INIT;
		int r;

		ot_diags_init(&d);
		r = ot_topology_load(g.gl_pathv[i], NULL, &d, &m);
		ot_diags_render(&d, &sb, false);
		cr_assert_eq(r, 0, "%s:\n%s", g.gl_pathv[i], ot_sb_str(&sb));
		cr_assert_eq(d.warnings, 0, "%s:\n%s", g.gl_pathv[i], ot_sb_str(&sb));
		ot_sb_free(&sb);
		done();
	}
	globfree(&g);
}

Test(model, hpc_loop_params_and_node_order)
{
	const char *defs[] = {"NODES=12", "TASKS=36"};
	struct ot_load_opts o = {.defines = defs, .ndefines = 2};
	struct ot_m_container *c;
	size_t len;
	char *text = read_all("topologies/hpc.otp", &len);
	char s[64];

	cr_assert_eq(load_opts(text, &o), 0, "%s", ot_sb_str(&errs));
	cr_assert_eq(m->ncontainers, 36);
	cr_assert_eq(m->nnodes, 12);
	/* natural order: node2 < node10, whatever the order of first use */
	cr_assert_str_eq(m->nodes[2]->name, "node2");
	cr_assert_str_eq(m->nodes[10]->name, "node10");
	cr_assert_eq(m->nodes[10]->index, 10);
	c = ot_model_container(m, "rank35");
	cr_assert_not_null(c);
	cr_assert_str_eq(c->node->name, "node11");
	cr_assert_eq(c->nranks, 1);
	cr_assert_eq(c->ranks[0].first, 35);
	ot_prefix_format(&c->ifaces[0].addrs[0], s, sizeof(s));
	cr_assert_str_eq(s, "10.112.0.36/12", "address auto: the 36th member gets .36");
	ot_mac_format(&c->ifaces[0].mac, s, sizeof(s));
	cr_assert_str_eq(s, "02:00:00:00:00:24", "mac auto: the 36th");
	cr_assert_eq(ot_model_network(m, "fabric")->nmembers, 36);
	cr_assert_eq(ot_model_network(m, "fabric")->members[35], &c->ifaces[0], "source order");
	cr_assert_eq(ot_model_network(m, "fabric")->mtu, 1450);
	done();
	free(text);
}

Test(model, defines_errors)
{
	const char *defs[] = {"RACK=2", "PER_NODE=x", "junk"};
	struct ot_load_opts o = {.defines = defs, .ndefines = 3};

	cr_assert_eq(load_opts("topology t\nparam RACKS = 1\nparam PER_NODE = 1\n", &o), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs), "0:0: -D RACK=2: the topology has no param 'RACK'\n"
					   "0:0: -D PER_NODE: the value is not an integer\n"
					   "0:0: -D junk: expected NAME=VALUE\n");
	cr_assert_str_eq(diag_with("RACK'")->hint, "did you mean 'RACKS'?");
	cr_assert_str_eq(d.v[0].loc.file, "command line");
	done();
}

Test(model, links_are_networks)
{
	struct ot_m_network *n;
	size_t len;
	char *text = read_all("topologies/p2p.otp", &len);

	cr_assert_eq(load(text), 0, "%s", ot_sb_str(&errs));
	cr_assert_eq(m->nnetworks, 2);
	n = ot_model_network(m, "r2.eth2--r3.eth1");
	cr_assert_not_null(n, "links are found by name");
	cr_assert(n->is_link);
	cr_assert_eq(n->nmembers, 2);
	cr_assert_str_eq(n->members[0]->container->name, "r2");
	cr_assert_str_eq(n->members[1]->container->name, "r3");
	cr_assert_eq(n->mtu, 1400);
	cr_assert_eq(ot_model_container(m, "r1")->ifaces[0].network, m->networks[0]);
	done();
	free(text);
}

Test(model, values_and_defaults)
{
	struct ot_m_container *c;
	char s[64];

	cr_assert_eq(
	    load("topology t\nvxlan port 8472\nnetwork n { subnet fd00::/64 }\n"
		 "container c on n1 {\n isolate uts mount\n hostname c-1.lab\n"
		 " iface e on n address fd00::{255:x}\n"
		 " route ::/0 dev e\n route 10.9.0.0/16 via 10.0.0.1 dev x metric 7\n"
		 " iface x macvlan eth0 mode private address 10.0.0.2/24\n"
		 " sysctl net.ipv4.conf.all.rp_filter = \"2\"\n"
		 " limit cpu 250% memory 1G pids 64\n"
		 " ranks 7, 0..3\n"
		 " firewall {\n  allow in icmpv6\n  drop in ip6 udp sport 1000-2000 iif e\n"
		 "  policy out drop\n }\n"
		 " nat { snat out x to 198.51.100.1 from 10.0.0.0/24\n"
		 "  dnat in x udp dport 53 to [fd00::1]:5353 }\n}\n"),
	    0, "%s", ot_sb_str(&errs));
	cr_assert_eq(m->vxlan_port, 8472);
	c = m->containers[0];
	cr_assert_eq(c->isolate, OT_ISO_NET | OT_ISO_UTS | OT_ISO_MNT, "net is implied");
	cr_assert_str_eq(c->hostname, "c-1.lab");
	ot_prefix_format(&c->ifaces[0].addrs[0], s, sizeof(s));
	cr_assert_str_eq(s, "fd00::ff/64");
	cr_assert_eq(c->routes[0].dst.addr.family, AF_INET6);
	cr_assert_eq(c->routes[0].dev, &c->ifaces[0]);
	cr_assert_eq(c->routes[1].dev, &c->ifaces[1], "a dev declared later in the block");
	cr_assert_eq(c->routes[1].metric, 7);
	cr_assert_eq(c->ifaces[1].kind, OT_M_IFACE_MACVLAN);
	cr_assert_str_eq(c->ifaces[1].lower, "eth0");
	cr_assert_eq(c->ifaces[1].macvlan_mode, OT_MACVLAN_PRIVATE);
	cr_assert_str_eq(c->sysctls[0].key, "net/ipv4/conf/all/rp_filter");
	cr_assert_str_eq(c->sysctls[0].value, "2");
	cr_assert_eq(c->cpu_pct, 250);
	cr_assert_eq(c->memory, 1ull << 30);
	cr_assert_eq(c->pids, 64);
	cr_assert_eq(c->nranks, 2);
	cr_assert_eq(c->ranks[1].last, 3);
	cr_assert_eq(c->nrules, 2);
	cr_assert_eq(c->rules[0].family, AF_INET6, "icmpv6 implies ip6");
	cr_assert_eq(c->rules[1].sport.n, 1);
	cr_assert_eq(c->rules[1].sport.r[0].lo, 1000);
	cr_assert_eq(c->rules[1].sport.r[0].hi, 2000);
	cr_assert_eq(c->rules[1].iif, &c->ifaces[0]);
	cr_assert(c->policy_drop[OT_M_OUT]);
	cr_assert(!c->policy_drop[OT_M_IN]);
	cr_assert_eq(c->nnats, 2);
	cr_assert_eq(c->nats[0].kind, OT_M_SNAT);
	cr_assert_eq(c->nats[0].oif, &c->ifaces[1]);
	cr_assert_eq(c->nats[1].kind, OT_M_DNAT);
	cr_assert_eq(c->nats[1].iif, &c->ifaces[1]);
	cr_assert_eq(c->nats[1].to_port, 5353);
	cr_assert_eq(c->nats[1].to.family, AF_INET6);
	done();
}

Test(model, digest_is_stable)
{
	char a[17], b[17];

	cr_assert_eq(load("topology t\nnode n1\n"), 0);
	strcpy(a, m->source_digest);
	done();
	cr_assert_eq(load("topology t\nnode n1\n"), 0);
	cr_assert_str_eq(m->source_digest, a);
	done();
	cr_assert_eq(load("topology t\nnode n2\n"), 0);
	strcpy(b, m->source_digest);
	cr_assert_str_neq(a, b);
	done();
}

Test(model, duplicates_with_notes)
{
	const struct ot_diag *g;

	expect_errors(
	    "topology t\n"
	    "network lan { subnet 10.0.0.0/24; vni 7 }\n"
	    "network lan\n"
	    "network wan { vni 7 }\n"
	    "container a on n1 {\n"
	    "  iface e0 on lan address 10.0.0.5 mac 02:00:00:00:00:01\n"
	    "  iface e0 on lan\n"
	    "  sysctl net.core.somaxconn = 1\n  sysctl net.core.somaxconn = 2\n"
	    "}\n"
	    "container a on n2\n"
	    "container b on n1 { iface e0 on lan address 10.0.0.5 mac 02:00:00:00:00:01 }\n"
	    "node n1\nnode n1\n",
	    "3:9: duplicate network 'lan'\n"
	    "4:19: VNI 7 is already used by network 'lan'\n"
	    "7:9: duplicate interface 'e0' in container 'a'\n"
	    "9:10: duplicate sysctl 'net.core.somaxconn'\n"
	    "11:11: duplicate container 'a'\n"
	    "12:45: duplicate address 10.0.0.5/24\n"
	    "12:58: duplicate MAC address 02:00:00:00:00:01\n"
	    "14:6: duplicate node 'n1'\n");
	cr_assert_eq(
	    load("topology t\nnetwork lan { subnet 10.0.0.0/24 }\ncontainer a on n1 { iface e "
		 "on lan address 10.0.0.5 }\ncontainer b on n1 { iface e on lan address "
		 "10.0.0.5 }\n"),
	    -EINVAL);
	g = diag_with("duplicate address");
	cr_assert_not_null(g);
	cr_assert_str_eq(g->note, "also the address of interface 'e' of container 'a'");
	cr_assert_eq(g->note_loc.line, 3);
	cr_assert_eq(g->note_loc.col, 44);
	done();
}

Test(model, unresolved_references_with_hints)
{
	expect_errors(
	    "topology t\nnetwork lan\n"
	    "container a on n1 {\n  iface e on lna\n  iface l\n"
	    "  route default via 10.0.0.1 dev f\n"
	    "  firewall { allow forward iif ee oif e }\n"
	    "  nat { masquerade out q }\n}\n"
	    "link a.l -- b.l\nlink a.x -- a.e\n",
	    "4:14: unknown network 'lna'\n"
	    "6:34: unknown interface 'f' in container 'a'\n"
	    "7:32: unknown interface 'ee' in container 'a'\n"
	    "8:24: unknown interface 'q' in container 'a'\n"
	    "10:13: unknown container 'b'\n"
	    "11:6: container 'a' has no interface 'x'\n"
	    "11:13: interface 'e' of container 'a' is on a network; a link end is declared "
	    "without 'on'\n");
	cr_assert_eq(load("topology t\nnetwork lan\ncontainer a on n1 { iface e on lna }\n"),
		     -EINVAL);
	cr_assert_str_eq(diag_with("lna")->hint, "did you mean 'lan'?");
	done();
	cr_assert_eq(load("topology t\ncontainer a on n1 { iface e0\n iface e1 }\n"
			  "container b on n1 { iface e0 }\nlink a.e0 -- b.e0\nlink b.e0 -- a.e0\n"),
		     -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs),
			 "3:8: interface 'e1' of container 'a' is not connected\n"
			 "6:6: interface 'e0' of container 'b' is already linked\n"
			 "6:14: interface 'e0' of container 'a' is already linked\n");
	done();
}

Test(model, addresses_and_subnets)
{
	expect_errors("topology t\n"
		      "network lan { subnet 10.0.0.0/24 }\n"
		      "network v6 { subnet fd00::1/64 }\n"
		      "network bare\n"
		      "container a on n1 {\n"
		      "  iface e0 on lan address 10.1.0.5/24 10.0.0.7/16 10.0.0.0 10.0.0.255\n"
		      "  iface e1 on bare address 10.0.0.9/8 172.16.0.1\n"
		      "  iface e2 on lan address 127.0.0.1/8 224.0.0.1/4 fd00::1/0\n"
		      "}\n",
		      "3:21: subnet fd00::1/64 has host bits set\n"
		      "6:27: address 10.1.0.5/24 is outside subnet 10.0.0.0/24 of network 'lan'\n"
		      "6:39: address 10.0.0.7/16 has prefix length /16, but subnet 10.0.0.0/24 of "
		      "network 'lan' is /24\n"
		      "6:51: address 10.0.0.0/24 is the network address of subnet 10.0.0.0/24\n"
		      "6:60: address 10.0.0.255/24 is the broadcast address of subnet 10.0.0.0/24\n"
		      "7:28: subnet 10.0.0.0/8 of interface 'e1' overlaps subnet 10.1.0.0/24 of "
		      "interface 'e0' in container 'a'\n"
		      "7:39: address needs a prefix length: network 'bare' has no IPv4 subnet\n"
		      "8:27: address 127.0.0.1/8 is a loopback address\n"
		      "8:39: address 224.0.0.1/4 is a multicast address\n"
		      "8:51: address fd00::1/0 has prefix length 0\n");
	cr_assert_eq(load("topology t\nnetwork v6 { subnet fd00::1/64 }\n"), -EINVAL);
	cr_assert_str_eq(diag_with("host bits")->hint, "did you mean fd00::/64?");
	done();
	/* overlapping subnets on one container, across two networks */
	expect_errors(
	    "topology t\nnetwork a { subnet 10.0.0.0/16 }\nnetwork b { subnet 10.0.5.0/24 }\n"
	    "container c on n1 { iface x on a address 10.0.0.1; iface y on b address "
	    "10.0.5.1 }\n",
	    "4:73: subnet 10.0.5.0/24 of interface 'y' overlaps subnet 10.0.0.0/16 of "
	    "interface 'x' in container 'c'\n");
}

Test(model, ranges_and_values)
{
	expect_errors(
	    "topology t\nvxlan port 0\n"
	    "network a { vni 16777216; mtu 67 }\n"
	    "network b { mtu 1000; subnet fd00::/64 }\n"
	    "container c on n1 {\n"
	    "  iface e on a mtu 70000 mac 00:00:00:00:00:00\n"
	    "  iface f on a mac 03:00:00:00:00:01\n"
	    "  iface g on a mac 02:00:00:00:00:0g\n"
	    "  limit cpu 0% memory 12 pids 5000000\n"
	    "  ranks 5..2, 2147483648\n"
	    "  route 10.0.0.1/24 via 10.0.0.1 metric 4294967296\n"
	    "  sysctl kernel.panic = 1\n"
	    "  sysctl net..x = 1\n"
	    "  firewall { allow in tcp dport 0; allow in icmp sport 5; allow in tcp dport 9-1 }\n"
	    "}\n",
	    "2:12: port 0 is out of range (1..65535)\n"
	    "3:17: VNI 16777216 is out of range (1..16777215)\n"
	    "3:31: MTU 67 is out of range (68..65535)\n"
	    "4:17: MTU 1000 is too small for IPv6 (at least 1280)\n"
	    "6:20: MTU 70000 is out of range (68..65535)\n"
	    "6:30: MAC address 00:00:00:00:00:00 is all zeros\n"
	    "7:20: MAC address 03:00:00:00:00:01 is a multicast address\n"
	    "8:20: invalid MAC address '02:00:00:00:00:0g'\n"
	    "9:13: cpu limit 0% is out of range (1%..409600%)\n"
	    "9:23: memory limit 12 is out of range (1M..1024T)\n"
	    "9:31: pids limit 5000000 is out of range (1..4194304)\n"
	    "10:9: rank range 5..2 is reversed\n"
	    "10:15: rank 2147483648 is out of range (0..2147483647)\n"
	    "11:9: route destination 10.0.0.1/24 has host bits set\n"
	    "12:10: sysctl 'kernel.panic' is not a network sysctl\n"
	    "13:10: invalid sysctl key 'net..x'\n"
	    "14:33: port 0 is out of range (1..65535)\n"
	    "14:56: ports need 'tcp' or 'udp'\n"
	    "14:78: port range 9-1 is reversed\n");
}

Test(model, names)
{
	expect_errors(
	    "topology t\n"
	    "container a.b on n1\n"
	    "container x on ../etc\n"
	    "container caf\xc3\xa9 on n1\n"
	    "container c on n1 { iface lo on n }\n"
	    "container "
	    "a123456789012345678901234567890123456789012345678901234567890123 on n1\n"
	    "network 9lan\n",
	    "2:11: invalid container name 'a.b': contains '.' (names become file names: use "
	    "letters, digits, '_' and '-')\n"
	    "3:16: invalid node name '../etc': contains '.' (names become file names: use "
	    "letters, digits, '_' and '-')\n"
	    "4:11: invalid container name 'caf\xc3\xa9': contains a non-ASCII byte (use "
	    "letters, digits, '_' and '-')\n"
	    "5:27: 'lo' is the loopback interface every container already has\n"
	    "6:11: invalid container name "
	    "'a123456789012345678901234567890123456789012345678901234567890123': is longer "
	    "than 63 bytes\n"
	    "7:9: invalid network name '9lan': starts with a digit\n");
}

Test(model, loops_report_once_and_are_bounded)
{
	const struct ot_diag *g;

	cr_assert_eq(
	    load("topology t\nnetwork n { subnet 10.0.0.0/24 }\n"
		 "for i in 0..999 { container c{i} on n1 { iface e on n address 10.0.0.{i} } }\n"),
	    -EINVAL);
	/* 10.0.0.0 (network), 10.0.0.255 (broadcast) and 10.0.0.256.. (invalid): the
	 * per-location rule keeps one of each kind, not hundreds */
	cr_assert_eq(d.errors, 3, "%s", ot_sb_str(&errs));
	g = diag_with("invalid address");
	cr_assert_not_null(g);
	cr_assert_str_eq(g->msg, "invalid address '10.0.0.256'");
	cr_assert_str_eq(g->hint, "an interface address such as 10.0.0.5/24 or fd00::5/64 (in the "
				  "loop iteration with i=256)");
	done();
	expect_errors(
	    "topology t\nfor i in 0..1000000000 { node n{i} }\n",
	    "2:10: too many loop iterations: this loop would bring the total to more than "
	    "10000000\n");
	expect_errors(
	    "topology t\nfor i in 0..3999 { for j in 0..3999 { } }\n",
	    "2:29: too many loop iterations: this loop would bring the total to more than "
	    "10000000\n");
	expect_errors("topology t\nparam Z = 0\nfor i in 0..3 { node n{i / Z} }\n"
		      "node m{9223372036854775807 + 1}\nnode q{-1:x}\nnode r[-1]\n",
		      "3:28: division by zero\n"
		      "4:8: arithmetic overflow\n"
		      "5:8: cannot format the negative value -1 in hexadecimal\n"
		      "6:8: node index -1 is negative\n");
	/* an empty range is an empty loop (0..N-1 with N = 0) */
	cr_assert_eq(load("topology t\nparam N = 0\nfor i in 0..N - 1 { node n{i} }\nnode x\n"), 0);
	cr_assert_eq(m->nnodes, 1);
	done();
}

Test(model, misc_semantics)
{
	expect_errors(
	    "topology t\n"
	    "network n { subnet 10.0.0.0/24\n uplink on n1 address 10.0.0.1\n"
	    " uplink on n1 address 10.0.0.2\n uplink on n2 address 10.1.0.1/24 }\n"
	    "container c on n1 {\n hostname h\n isolate net\n isolate uts\n forward\n forward\n"
	    " iface e on n address 10.0.0.1\n"
	    " firewall { allow in oif e; allow out iif e; allow in icmp ip6; policy in drop; "
	    "policy in accept }\n"
	    " nat { dnat in e to 10.0.0.9:80; snat out e to fd00::1 from 10.0.0.0/8 }\n"
	    " limit memory 1G\n limit memory 2G\n"
	    "}\n",
	    "4:12: network 'n' already has an uplink on node 'n1'\n"
	    "5:2: uplink address 10.1.0.1/24 is not an address of subnet 10.0.0.0/24 of "
	    "network 'n'\n"
	    "7:2: 'hostname' needs 'isolate uts'\n"
	    "9:2: duplicate 'isolate'\n"
	    "11:2: duplicate 'forward'\n"
	    "12:23: duplicate address 10.0.0.1/24\n"
	    "13:26: 'oif' cannot be used with 'in': incoming traffic has no output "
	    "interface\n"
	    "13:43: 'iif' cannot be used with 'out': outgoing traffic has no input "
	    "interface\n"
	    "13:55: icmp is IPv4, but the rule is IPv6\n"
	    "13:81: duplicate policy for 'in'\n"
	    "14:21: a target port needs 'tcp' or 'udp'\n"
	    "14:48: the 'to' address is IPv6 but 'from' is IPv4\n"
	    "16:15: duplicate memory limit\n");
}

Test(model, networks_declared_after_their_members)
{
	struct ot_m_network *n;
	char s[64];

	/* a's interface waits for 'lan' (declared below it); the members stay
	 * in source order and the late one gets the subnet's length */
	cr_assert_eq(load("topology t\n"
			  "container a on n1 { iface e on lan address 10.0.0.1 }\n"
			  "network lan { subnet 10.0.0.0/24 }\n"
			  "container b on n1 { iface e on lan address 10.0.0.2 }\n"
			  "container c on n1 { iface e on wan address 10.1.0.3; iface f on lan "
			  "address 10.0.0.3 }\n"
			  "network wan { subnet 10.1.0.0/24 }\n"),
		     0, "%s", ot_sb_str(&errs));
	n = ot_model_network(m, "lan");
	cr_assert_eq(n->nmembers, 3);
	cr_assert_str_eq(n->members[0]->container->name, "a");
	cr_assert_str_eq(n->members[1]->container->name, "b");
	cr_assert_str_eq(n->members[2]->container->name, "c");
	ot_prefix_format(&ot_model_container(m, "a")->ifaces[0].addrs[0], s, sizeof(s));
	cr_assert_str_eq(s, "10.0.0.1/24");
	cr_assert_eq(ot_model_network(m, "wan")->nmembers, 1);
	done();
	/* the checks of late interfaces still run: overlap in a container
	 * waiting for its network, outside-subnet address */
	expect_errors("topology t\n"
		      "container a on n1 { iface e on lan address 10.0.0.1; iface f on lan2 "
		      "address 10.0.0.9/16 }\n"
		      "network lan { subnet 10.0.0.0/24 }\n"
		      "network lan2 { subnet 10.1.0.0/16 }\n",
		      "2:78: address 10.0.0.9/16 is outside subnet 10.1.0.0/16 of network 'lan2'\n"
		      "2:78: subnet 10.0.0.0/16 of interface 'f' overlaps subnet 10.0.0.0/24 of "
		      "interface 'e' in container 'a'\n");
}

/* ---- the allocation's shape (NODES, TASKS, tasks_on, rank_of, node_of) and
 * `address auto` / `mac auto` */

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

/* Container templates: an int argument in expressions and loop ranges, a
 * name and an address as text, nested uses, and the caller's loop
 * variables intact after a use (the template's own loops run in a frame of
 * their own); capabilities and no_new_privs in the model. */
Test(model, templates_values_and_frames)
{
	static const char text[] =
	    "topology t\n"
	    "network lan { subnet 10.10.0.0/16 }\n"
	    "template multi(int base, int n) {\n"
	    "  for r in 0..n - 1 { route 10.{base + r}.0.0/16 via 10.10.0.1 }\n"
	    "}\n"
	    "template outer(name net, address a, int base) {\n"
	    "  iface eth0 on {net} address {a}\n"
	    "  use multi({base}, 2)\n"
	    "  capabilities drop net_raw\n"
	    "}\n"
	    "container gw on n1 { iface eth0 on lan address 10.10.0.1 }\n"
	    "for i in 0..1 {\n"
	    "  container c{i} on n1 {\n"
	    "    for j in 0..1 {\n"
	    "      use outer(lan, 10.10.1.{i * 10 + j}, {20 + i * 50 + j * 5})\n"
	    "      no_new_privs\n"
	    "    }\n"
	    "  }\n"
	    "}\n";
	struct ot_m_container *c;
	char s[64];

	/* j = 1 adds a second eth0 and a second no_new_privs: expect exactly
	 * those two errors, in the second iteration, with the caller's j */
	cr_assert_eq(load(text), -EINVAL);
	cr_assert_str_eq(ot_sb_str(&errs), "7:9: duplicate interface 'eth0' in container 'c0'\n"
					   "16:7: duplicate 'no_new_privs'\n");
	/* the body's error names the use, in the caller's iteration (j=1);
	 * the caller's own statement keeps its loop context */
	cr_assert_str_eq(d.v[0].via, "through template 'outer', used here (in the loop "
				     "iteration with i=0, j=1)");
	cr_assert_eq(d.v[0].via_loc.line, 15);
	cr_assert(strstr(d.v[1].hint, "i=0, j=1"), "%s", d.v[1].hint);
	cr_assert_null(d.v[1].via);
	done();
	{
		char fixed[sizeof(text)];
		char *p;

		memcpy(fixed, text, sizeof(text));
		p = strstr(fixed, "0..1 {\n      use");
		cr_assert_not_null(p);
		p[3] = '0'; /* for j in 0..0 */
		cr_assert_eq(load(fixed), 0, "%s", ot_sb_str(&errs));
	}
	c = ot_model_container(m, "c1");
	cr_assert_not_null(c);
	cr_assert_eq(c->nroutes, 2);
	ot_prefix_format(&c->routes[1].dst, s, sizeof(s));
	cr_assert_str_eq(s, "10.71.0.0/16");
	ot_prefix_format(&c->ifaces[0].addrs[0], s, sizeof(s));
	cr_assert_str_eq(s, "10.10.1.10/16");
	cr_assert(c->caps_set && !c->caps_keep && c->no_new_privs);
	cr_assert_eq(c->caps, 1ull << 13);
	done();
}
