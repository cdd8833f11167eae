/*
 * test_plan_diff.c - the change between two plans of one node: keys pair
 * the same objects, contents decide what changed, dependants of what goes
 * are replaced with it, sysctls and nft tables change in place, origins
 * and namespace indices do not matter.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "plan/plan.h"
#include <jansson.h>

#include "plan/plan_diff.h"

/* switch "t.n1" with bridge b0; containers named by cs, each: netns, veth
 * eth0 (peer <c>-e0 on b0), address 10.0.0.<first letter>/24, eth0 up, default
 * route; container "web" (when in cs) has a sysctl and an nft table. */
static struct ot_plan *mk(const char *const *cs, size_t n)
{
	struct ot_plan *p = ot_plan_new();
	int sw, i;
	size_t k;

	cr_assert_not_null(p);
	p->instance = "t";
	p->node = "n1";
	p->prefix = "t.n1";
	p->state_dir = "/run/opentop/t.n1";
	sw = ot_plan_add_ns(p, OT_NS_SWITCH, "t.n1");
	ot_plan_add_op(p, OT_OP_NETNS, sw);
	i = ot_plan_add_op(p, OT_OP_LINK, sw);
	p->ops[i].link.kind = OT_LINK_BRIDGE;
	strcpy(p->ops[i].link.name, "b0");
	i = ot_plan_add_op(p, OT_OP_LINK_UP, sw);
	strcpy(p->ops[i].dev, "b0");
	for (k = 0; k < n; k++) {
		char name[64], peer[16], a[32];
		int ns, j;

		snprintf(name, sizeof(name), "t.n1.%s", cs[k]);
		ns = ot_plan_add_ns(p, OT_NS_CONTAINER, name);
		p->ns[ns].container = ot_plan_strdup(p, cs[k]);
		ot_plan_add_op(p, OT_OP_NETNS, ns);
		j = ot_plan_add_op(p, OT_OP_LINK, ns);
		p->ops[j].link.kind = OT_LINK_VETH;
		strcpy(p->ops[j].link.name, "eth0");
		p->ops[j].link.mtu = 1500;
		p->ops[j].link.peer_ns = sw;
		snprintf(peer, sizeof(peer), "%.10s-e0", cs[k]);
		strcpy(p->ops[j].link.peer_name, peer);
		strcpy(p->ops[j].link.peer_master, "b0");
		p->ops[j].origin = "t.otp:1";
		j = ot_plan_add_op(p, OT_OP_ADDR, ns);
		strcpy(p->ops[j].addr.dev, "eth0");
		snprintf(a, sizeof(a), "10.0.0.%d/24", cs[k][0]); /* by name, not position */
		ot_prefix_parse(a, true, &p->ops[j].addr.addr);
		j = ot_plan_add_op(p, OT_OP_LINK_UP, ns);
		strcpy(p->ops[j].dev, "eth0");
		j = ot_plan_add_op(p, OT_OP_ROUTE, ns);
		p->ops[j].route.dst.addr.family = AF_INET;
		ot_addr_parse("10.0.0.254", &p->ops[j].route.via);
		if (strcmp(cs[k], "web") == 0) {
			j = ot_plan_add_op(p, OT_OP_SYSCTL, ns);
			p->ops[j].sysctl.key = "net/ipv4/ip_forward";
			p->ops[j].sysctl.value = "1";
			j = ot_plan_add_op(p, OT_OP_NFT, ns);
			strcpy(p->ops[j].nft.table, "opentop");
			p->ops[j].nft.nchains = 1;
			p->ops[j].nft.chains =
			    ot_arena_calloc(&p->arena, 1, sizeof(struct ot_nft_chain));
			strcpy(p->ops[j].nft.chains[0].name, "input");
			p->ops[j].nft.chains[0].hook = OT_NFT_INPUT;
		}
	}
	return p;
}

static struct ot_plan_diff *diff(const struct ot_plan *a, const struct ot_plan *b)
{
	struct ot_plan_diff *d = NULL;
	struct ot_error err = {0};

	cr_assert_eq(ot_plan_diff(a, b, &d, &err), 0, "%s", err.msg);
	return d;
}

/* index of the op of kind k in namespace named ns (dev: for LINK/UP/ADDR) */
static size_t find(const struct ot_plan *p, enum ot_op_kind k, const char *ns)
{
	size_t i;

	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == k && strcmp(p->ns[p->ops[i].ns].name, ns) == 0)
			return i;
	cr_assert_fail("no %s op in %s", ot_op_kind_name(k), ns);
	return 0;
}

static const char *const ABC[] = {"a", "b", "web"};

Test(plan_diff, same_plans_differ_in_nothing)
{
	struct ot_plan *a = mk(ABC, 3), *b = mk(ABC, 3);
	struct ot_plan_diff *d;
	size_t i;

	for (i = 0; i < b->nops; i++)
		b->ops[i].origin = "elsewhere.otp:99"; /* a moved line changes nothing */
	d = diff(a, b);
	cr_assert(ot_plan_diff_empty(d));
	cr_assert_eq(d->unchanged, a->nops);
	ot_plan_diff_free(d);
	ot_plan_free(a);
	ot_plan_free(b);
}

Test(plan_diff, a_container_added_touches_nothing_else)
{
	static const char *const abcd[] = {"a", "b", "c", "web"};
	struct ot_plan *a = mk(ABC, 3), *b = mk(abcd, 4);
	struct ot_plan_diff *d = diff(a, b);
	size_t i;

	/* namespace indices shift (web is ns 4, not 3): keys use names */
	cr_assert_eq(d->count[OT_DIFF_ADD], 5);
	cr_assert_eq(
	    d->count[OT_DIFF_REMOVE] + d->count[OT_DIFF_REPLACE] + d->count[OT_DIFF_UPDATE], 0);
	for (i = 0; i < b->nops; i++)
		cr_assert_eq(d->add[i], strcmp(b->ns[b->ops[i].ns].name, "t.n1.c") == 0, "op %zu",
			     i);
	ot_plan_diff_free(d);
	/* and the other way: removed, nothing added */
	d = diff(b, a);
	cr_assert_eq(d->count[OT_DIFF_REMOVE], 5);
	cr_assert_eq(d->count[OT_DIFF_ADD], 0);
	ot_plan_diff_free(d);
	ot_plan_free(a);
	ot_plan_free(b);
}

Test(plan_diff, a_replaced_link_takes_its_dependants)
{
	struct ot_plan *a = mk(ABC, 3), *b = mk(ABC, 3);
	struct ot_plan_diff *d;
	size_t l = find(b, OT_OP_LINK, "t.n1.b");

	b->ops[l].link.mtu = 9000;
	d = diff(a, b);
	/* the veth, its address, its up state, the route through it */
	cr_assert_eq(d->count[OT_DIFF_REPLACE], 4);
	cr_assert(d->add[l]);
	cr_assert(d->add[find(b, OT_OP_ADDR, "t.n1.b")]);
	cr_assert(d->add[find(b, OT_OP_ROUTE, "t.n1.b")]);
	cr_assert_not(d->remove[find(a, OT_OP_NETNS, "t.n1.b")]);
	cr_assert_not(d->add[find(b, OT_OP_LINK, "t.n1.a")]);
	ot_plan_diff_free(d);
	ot_plan_free(a);
	ot_plan_free(b);
}

Test(plan_diff, an_address_change_replaces_the_routes_of_its_namespace)
{
	struct ot_plan *a = mk(ABC, 3), *b = mk(ABC, 3);
	struct ot_plan_diff *d;

	ot_prefix_parse("10.0.0.77/24", true, &b->ops[find(b, OT_OP_ADDR, "t.n1.a")].addr.addr);
	d = diff(a, b);
	cr_assert_eq(d->count[OT_DIFF_ADD], 1);
	cr_assert_eq(d->count[OT_DIFF_REMOVE], 1);
	cr_assert_eq(d->count[OT_DIFF_REPLACE], 1); /* the default route, implied */
	cr_assert(d->remove[find(a, OT_OP_ROUTE, "t.n1.a")]);
	cr_assert_not(d->remove[find(a, OT_OP_LINK, "t.n1.a")]);
	ot_plan_diff_free(d);
	ot_plan_free(a);
	ot_plan_free(b);
}

Test(plan_diff, sysctl_and_nft_change_in_place)
{
	struct ot_plan *a = mk(ABC, 3), *b = mk(ABC, 3);
	struct ot_plan_diff *d;
	size_t s = find(b, OT_OP_SYSCTL, "t.n1.web"), t = find(b, OT_OP_NFT, "t.n1.web");

	b->ops[s].sysctl.value = "0";
	b->ops[t].nft.chains[0].policy_drop = true;
	d = diff(a, b);
	cr_assert_eq(d->count[OT_DIFF_UPDATE], 2);
	cr_assert_eq(d->count[OT_DIFF_ADD] + d->count[OT_DIFF_REMOVE] + d->count[OT_DIFF_REPLACE],
		     0);
	cr_assert(d->update[s] && d->update[t]);
	cr_assert_not(d->add[s]);
	ot_plan_diff_free(d);
	ot_plan_free(a);
	ot_plan_free(b);
}

Test(plan_diff, a_container_sysctl_removed_rebuilds_the_namespace)
{
	struct ot_plan *a = mk(ABC, 3), *b = mk(ABC, 3);
	struct ot_plan_diff *d;
	size_t s = find(b, OT_OP_SYSCTL, "t.n1.web"), i;

	/* drop the sysctl from b: a key nobody kept the old value of */
	memmove(&b->ops[s], &b->ops[s + 1], (b->nops - s - 1) * sizeof(b->ops[0]));
	b->nops--;
	d = diff(a, b);
	for (i = 0; i < a->nops; i++)
		cr_assert_eq(d->remove[i], strcmp(a->ns[a->ops[i].ns].name, "t.n1.web") == 0,
			     "op %zu", i);
	cr_assert_eq(d->count[OT_DIFF_REMOVE], 1);
	cr_assert_eq(d->count[OT_DIFF_REPLACE], 6);
	ot_plan_diff_free(d);
	ot_plan_free(a);
	ot_plan_free(b);
}

Test(plan_diff, a_namespace_setting_replaces_everything_in_it)
{
	struct ot_plan *a = mk(ABC, 3), *b = mk(ABC, 3);
	struct ot_plan_diff *d;
	int ns = ot_plan_ns_find(b, "t.n1.a");

	b->ns[ns].isolate |= OT_ISO_UTS;
	b->ns[ns].hostname = "a";
	d = diff(a, b);
	cr_assert_eq(d->count[OT_DIFF_REPLACE], 5);
	cr_assert_eq(d->unchanged, a->nops - 5);
	ot_plan_diff_free(d);
	ot_plan_free(a);
	ot_plan_free(b);
}

Test(plan_diff, empty_sides_and_other_instances)
{
	struct ot_plan *a = mk(ABC, 3), *b = mk(ABC, 3);
	struct ot_plan_diff *d = diff(NULL, a);
	struct ot_error err = {0};

	cr_assert_eq(d->count[OT_DIFF_ADD], a->nops);
	ot_plan_diff_free(d);
	d = diff(a, NULL);
	cr_assert_eq(d->count[OT_DIFF_REMOVE], a->nops);
	ot_plan_diff_free(d);
	b->prefix = "u.n1";
	b->instance = "u";
	d = NULL;
	cr_assert_eq(ot_plan_diff(a, b, &d, &err), -EINVAL);
	cr_assert_null(d);
	cr_assert(strstr(err.msg, "n1") && strstr(err.msg, "'u'"), "%s", err.msg);
	ot_plan_free(a);
	ot_plan_free(b);
}

Test(plan_diff, text_and_json)
{
	static const char *const ab[] = {"a", "b"};
	struct ot_plan *a = mk(ab, 2), *b = mk(ABC, 3);
	struct ot_plan_diff *d = diff(a, b);
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct json_t *j;

	ot_plan_diff_text(d, "n1", &sb);
	cr_assert(strstr(ot_sb_str(&sb), "n1: 7 to add, 0 to remove"), "%s", ot_sb_str(&sb));
	cr_assert(strstr(ot_sb_str(&sb), "  + netns   t.n1.web"), "%s", ot_sb_str(&sb));
	j = ot_plan_diff_json(d, "n1");
	cr_assert_not_null(j);
	ot_sb_free(&sb);
	json_decref(j);
	ot_plan_diff_free(d);
	ot_plan_free(a);
	ot_plan_free(b);
}

/* storage: a container's mounts are made once in its mount namespace */
static void add_tmpfs(struct ot_plan *p, const char *ns, uint64_t size)
{
	int i = ot_plan_add_op(p, OT_OP_MOUNT, ot_plan_ns_find(p, ns));

	p->ops[i].mount.kind = OT_MOUNT_TMPFS;
	p->ops[i].mount.dst = "/tmp";
	p->ops[i].mount.mode = 01777;
	p->ops[i].mount.size = size;
}

Test(plan_diff, a_mount_change_rebuilds_its_container)
{
	struct ot_plan *a = mk(ABC, 3), *b = mk(ABC, 3), *c = mk(ABC, 3);
	struct ot_plan_diff *d;

	add_tmpfs(a, "t.n1.a", 1 << 20);
	add_tmpfs(b, "t.n1.a", 2 << 20);
	d = diff(a, b); /* a size changed: container a again, nothing else */
	cr_assert_eq(d->count[OT_DIFF_REPLACE], 6, "%zu", d->count[OT_DIFF_REPLACE]);
	cr_assert_eq(d->count[OT_DIFF_ADD] + d->count[OT_DIFF_REMOVE], 0);
	cr_assert(d->remove[find(a, OT_OP_NETNS, "t.n1.a")]);
	cr_assert_not(d->remove[find(a, OT_OP_NETNS, "t.n1.b")]);
	ot_plan_diff_free(d);
	d = diff(c, b); /* a mount added to a running container: made again */
	cr_assert(d->remove[find(c, OT_OP_NETNS, "t.n1.a")]);
	cr_assert_eq(d->count[OT_DIFF_ADD], 1);
	cr_assert_eq(d->count[OT_DIFF_REPLACE], 5);
	ot_plan_diff_free(d);
	ot_plan_free(a);
	ot_plan_free(b);
	ot_plan_free(c);
}
