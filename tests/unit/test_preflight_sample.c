/*
 * test_preflight_sample.c - which pairs the preflight's UDP check covers
 * (exec/preflight.c, pick_sample): every pair of a VXLAN network of up to
 * 16 nodes; beyond, 2 to 2 log4(M) peers per node, and always both ends of
 * a pair agree (a pair only one end checks would wait for an answer that
 * never comes). Plans are compiled from source for every node, and each
 * node's sample is read from ot_preflight_to_json() after
 * ot_preflight_prepare() - the local checks it runs may fail here (no such
 * underlay address on this machine); the sample does not depend on them.
 */
#include "test_compile_model.h"

#include <jansson.h>

#include "exec/preflight.h"
#include "model/load.h"

#define MAXN 128

/* sampled[i][j]: node i's plan checks node j */
static bool sampled[MAXN][MAXN];
static size_t vxlan_peers[MAXN];

static size_t node_no(const char *name)
{
	cr_assert_eq(name[0], 'n', "%s", name);
	return (size_t)strtoul(name + 1, NULL, 10);
}

/* Compile src for n nodes (n1..nn) and fill sampled[][] from each plan. */
static void samples(const char *src, size_t n)
{
	struct ot_diags d;
	struct ot_model *m = NULL;
	struct ot_hosts *h;
	struct ot_compile_opts o = {0};
	struct ot_compiled *c;
	char name[16];
	size_t i, k;

	cr_assert_lt(n, MAXN);
	memset(sampled, 0, sizeof(sampled));
	memset(vxlan_peers, 0, sizeof(vxlan_peers));
	ot_diags_init(&d);
	cr_assert_eq(ot_topology_load_mem("s.otp", src, strlen(src), NULL, &d, &m), 0);
	ot_diags_free(&d);
	h = tm_hosts(m, false, 0);
	o.hosts = h;
	c = tm_compile(m, &o);
	for (i = 1; i <= n; i++) {
		struct ot_preflight *pf = NULL;
		struct ot_error err = {0};
		struct ot_plan *p;
		json_t *j, *peers;

		snprintf(name, sizeof(name), "n%zu", i);
		p = ot_compiled_plan(c, name);
		cr_assert_not_null(p, "%s", name);
		cr_assert_eq(ot_preflight_prepare(p, &pf, &err), 0, "%s", err.msg);
		j = ot_preflight_to_json(pf);
		cr_assert_not_null(j);
		vxlan_peers[i] = (size_t)json_integer_value(
		    json_object_get(json_object_get(j, "udp"), "vxlan_peers"));
		peers = json_object_get(json_object_get(j, "udp"), "peers");
		for (k = 0; k < json_array_size(peers); k++)
			sampled[i][node_no(json_string_value(
			    json_object_get(json_array_get(peers, k), "node")))] = true;
		json_decref(j);
		ot_preflight_free(pf);
	}
	ot_compiled_free(c);
	tm_hosts_free(h);
	ot_model_free(m);
}

static size_t count(size_t i, size_t n)
{
	size_t j, c = 0;

	for (j = 1; j <= n; j++)
		c += sampled[i][j];
	return c;
}

static void symmetric(size_t n)
{
	size_t i, j;

	for (i = 1; i <= n; i++) {
		cr_assert_not(sampled[i][i], "n%zu checks itself", i);
		for (j = 1; j <= n; j++)
			cr_assert_eq(sampled[i][j], sampled[j][i],
				     "n%zu checks n%zu: %d, the other way round: %d", i, j,
				     sampled[i][j], sampled[j][i]);
	}
}

/* 2 log4(n), rounded up */
static size_t bound(size_t n)
{
	size_t l = 0, p = 1;

	while (p < n) {
		p *= 4;
		l++;
	}
	return 2 * l;
}

static void one_lan(size_t n)
{
	char src[256];
	size_t i;

	snprintf(src, sizeof(src),
		 "topology s\nnetwork lan { subnet 10.1.0.0/16 }\n"
		 "for h in 1..%zu {\n    container c{h} on n{h} { iface eth0 on lan }\n}\n",
		 n);
	samples(src, n);
	symmetric(n);
	for (i = 1; i <= n; i++) {
		cr_assert_eq(vxlan_peers[i], n - 1, "n%zu of %zu", i, n);
		if (n <= 16)
			cr_assert_eq(count(i, n), n - 1, "n%zu of %zu: all pairs", i, n);
		else
			cr_assert(count(i, n) >= 2 && count(i, n) <= bound(n),
				  "n%zu of %zu checks %zu peers, not 2..%zu", i, n, count(i, n),
				  bound(n));
		/* its address neighbours, both ways round */
		cr_assert(sampled[i][i % n + 1] && sampled[i][(i + n - 2) % n + 1], "n%zu of %zu",
			  i, n);
	}
}

Test(preflight_sample, all_pairs_up_to_16)
{
	one_lan(2);
	one_lan(5);
	one_lan(16);
}

Test(preflight_sample, log4_beyond)
{
	one_lan(17);
	one_lan(32);
	one_lan(64);
	one_lan(100);
}

/*
 * Two networks that overlap on n11..n20, each container alone on its node
 * for its network: its eth0 is the VXLAN device, so on n11..n20 two
 * devices named eth0 (in two namespaces) belong to two networks with
 * different member sets. Grouped by name alone, n15 would sample from the
 * union and disagree with its peers.
 */
Test(preflight_sample, same_device_name_two_networks)
{
	static const char src[] = "topology s\n"
				  "network a { subnet 10.1.0.0/16 }\n"
				  "network b { subnet 10.2.0.0/16 }\n"
				  "for h in 1..20 {\n"
				  "    container a{h} on n{h} { iface eth0 on a }\n"
				  "}\n"
				  "for h in 11..40 {\n"
				  "    container b{h} on n{h} { iface eth0 on b }\n"
				  "}\n";
	size_t i;

	samples(src, 40);
	symmetric(40);
	for (i = 1; i <= 40; i++)
		cr_assert(count(i, 40) >= 2 && count(i, 40) <= 2 * bound(30), "n%zu: %zu", i,
			  count(i, 40));
	/* n1 (only in a) and n40 (only in b) share no network */
	cr_assert_not(sampled[1][40]);
}
