/*
 * test_compile_model.h - build resolved models (model.h) and hosts bindings
 * by hand for the back end's unit tests, independent of the language front
 * end. Arrays have fixed test-sized capacities; everything lives in the
 * model's arena. Free with tm_free().
 */
#ifndef OT_TEST_COMPILE_MODEL_H
#define OT_TEST_COMPILE_MODEL_H

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "compile/compile.h"
#include "plan/plan.h"
#include "util/addr.h"

#define TM_CAP 256

static uint32_t tm_line = 1;

static inline struct ot_loc tm_loc(void)
{
	return (struct ot_loc){"t.otp", tm_line++, 1, 1};
}

static inline struct ot_model *tm_new(const char *name)
{
	struct ot_model *m = calloc(1, sizeof(*m));

	cr_assert_not_null(m);
	ot_arena_init(&m->arena);
	m->name = name;
	m->file = "t.otp";
	m->loc = tm_loc();
	m->source_digest = "0123456789abcdef";
	m->nodes = ot_arena_calloc(&m->arena, TM_CAP, sizeof(*m->nodes));
	m->networks = ot_arena_calloc(&m->arena, TM_CAP, sizeof(*m->networks));
	m->containers = ot_arena_calloc(&m->arena, TM_CAP, sizeof(*m->containers));
	return m;
}

/* A copy of s in the model's arena. */
static inline const char *tm_str(struct ot_model *m, const char *s)
{
	return ot_arena_strdup(&m->arena, s);
}

static inline void tm_free(struct ot_model *m)
{
	ot_arena_free(&m->arena);
	free(m);
}

static inline struct ot_m_node *tm_node(struct ot_model *m, const char *name)
{
	struct ot_m_node *n = ot_arena_alloc(&m->arena, sizeof(*n));

	n->name = name;
	n->loc = tm_loc();
	n->index = (uint32_t)m->nnodes;
	m->nodes[m->nnodes++] = n;
	return n;
}

static inline struct ot_m_network *tm_net(struct ot_model *m, const char *name, const char *subnet)
{
	struct ot_m_network *n = ot_arena_alloc(&m->arena, sizeof(*n));

	n->name = name;
	n->loc = tm_loc();
	if (subnet) {
		struct ot_prefix p;

		cr_assert_eq(ot_prefix_parse(subnet, true, &p), 0);
		if (p.addr.family == AF_INET6) {
			n->has_subnet6 = true;
			n->subnet6 = p;
		} else {
			n->has_subnet4 = true;
			n->subnet4 = p;
		}
	}
	n->members = ot_arena_calloc(&m->arena, TM_CAP, sizeof(*n->members));
	n->uplinks = ot_arena_calloc(&m->arena, 8, sizeof(*n->uplinks));
	m->networks[m->nnetworks++] = n;
	return n;
}

static inline struct ot_m_container *tm_ctr(struct ot_model *m, const char *name,
					    struct ot_m_node *node)
{
	struct ot_m_container *c = ot_arena_alloc(&m->arena, sizeof(*c));

	c->name = name;
	c->loc = tm_loc();
	c->node = node;
	c->isolate = OT_ISO_NET;
	c->ifaces = ot_arena_calloc(&m->arena, 16, sizeof(*c->ifaces));
	c->routes = ot_arena_calloc(&m->arena, 16, sizeof(*c->routes));
	c->rules = ot_arena_calloc(&m->arena, 32, sizeof(*c->rules));
	c->nats = ot_arena_calloc(&m->arena, 8, sizeof(*c->nats));
	c->sysctls = ot_arena_calloc(&m->arena, 8, sizeof(*c->sysctls));
	m->containers[m->ncontainers++] = c;
	return c;
}

/* An interface on net (NULL: a macvlan on "eth9") with up to two addresses. */
static inline struct ot_m_iface *tm_iface(struct ot_model *m, struct ot_m_container *c,
					  const char *name, struct ot_m_network *net,
					  const char *a1, const char *a2)
{
	struct ot_m_iface *f = &c->ifaces[c->nifaces++];
	const char *addrs[2] = {a1, a2};
	int i;

	f->name = name;
	f->loc = tm_loc();
	f->container = c;
	f->addrs = ot_arena_calloc(&m->arena, 2, sizeof(*f->addrs));
	f->addr_locs = ot_arena_calloc(&m->arena, 2, sizeof(*f->addr_locs));
	for (i = 0; i < 2; i++) {
		if (!addrs[i])
			continue;
		cr_assert_eq(ot_prefix_parse(addrs[i], true, &f->addrs[f->naddrs]), 0, "%s",
			     addrs[i]);
		f->addr_locs[f->naddrs++] = tm_loc();
	}
	if (net) {
		f->kind = OT_M_IFACE_NET;
		f->network = net;
		net->members[net->nmembers++] = f;
	} else {
		f->kind = OT_M_IFACE_MACVLAN;
		strcpy(f->lower, "eth9");
	}
	return f;
}

static inline struct ot_m_uplink *tm_uplink(struct ot_m_network *net, struct ot_m_node *node,
					    const char *addr, bool masq)
{
	struct ot_m_uplink *u = &net->uplinks[net->nuplinks++];

	u->node = node;
	cr_assert_eq(ot_prefix_parse(addr, true, &u->address), 0);
	u->masquerade = masq;
	u->loc = tm_loc();
	return u;
}

static inline struct ot_m_route *tm_route(struct ot_m_container *c, const char *dst,
					  const char *via)
{
	struct ot_m_route *r = &c->routes[c->nroutes++];

	r->loc = tm_loc();
	if (strcmp(dst, "default") == 0)
		r->dst.addr.family = AF_INET;
	else
		cr_assert_eq(ot_prefix_parse(dst, true, &r->dst), 0);
	if (via) {
		cr_assert_eq(ot_addr_parse(via, &r->via), 0);
		r->has_via = true;
	}
	return r;
}

static inline struct ot_m_rule *tm_rule(struct ot_m_container *c, enum ot_m_dir dir,
					enum ot_m_action act, uint8_t proto)
{
	struct ot_m_rule *r = &c->rules[c->nrules++];

	r->loc = tm_loc();
	r->dir = dir;
	r->action = act;
	r->l4proto = proto;
	return r;
}

/* A hosts binding: node i at 192.0.2.(i+1) (or 2001:db8::(i+1) when v6). */
static inline struct ot_hosts *tm_hosts(struct ot_model *m, bool v6, uint32_t mtu)
{
	struct ot_hosts *h = calloc(1, sizeof(*h));
	size_t i;

	ot_arena_init(&h->arena);
	h->file = "t.hosts";
	h->hosts = ot_arena_calloc(&h->arena, m->nnodes, sizeof(*h->hosts));
	for (i = 0; i < m->nnodes; i++) {
		struct ot_host *x = &h->hosts[h->nhosts++];
		char a[64];

		x->name = m->nodes[i]->name;
		x->loc = (struct ot_loc){"t.hosts", (uint32_t)i + 1, 1, 1};
		x->ssh_target = "local";
		snprintf(a, sizeof(a), v6 ? "2001:db8::%zu" : "192.0.2.%zu", i + 1);
		cr_assert_eq(ot_addr_parse(a, &x->underlay), 0);
		x->mtu = mtu;
	}
	return h;
}

static inline void tm_hosts_free(struct ot_hosts *h)
{
	if (!h)
		return;
	ot_arena_free(&h->arena);
	free(h);
}

/* Compile, expecting success; the plans are validated. */
static inline struct ot_compiled *tm_compile(struct ot_model *m, const struct ot_compile_opts *o)
{
	struct ot_diags d;
	struct ot_compiled *c = NULL;
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_error err = {0};
	size_t i;
	int rc;

	ot_diags_init(&d);
	rc = ot_compile(m, o, &d, &c);
	ot_diags_render(&d, &sb, false);
	cr_assert_eq(rc, 0, "compile failed (%d):\n%s", rc, ot_sb_str(&sb));
	ot_sb_free(&sb);
	ot_diags_free(&d);
	for (i = 0; i < c->nplans; i++)
		cr_assert_eq(ot_plan_validate(c->plans[i], &err), 0, "%s", err.msg);
	return c;
}

/* Compile, expecting failure; returns the rendered one-line diagnostics. */
static inline char *tm_compile_fail(struct ot_model *m, const struct ot_compile_opts *o)
{
	struct ot_diags d;
	struct ot_compiled *c = NULL;
	struct ot_strbuf sb = OT_STRBUF_INIT;
	size_t i;
	int rc;

	ot_diags_init(&d);
	rc = ot_compile(m, o, &d, &c);
	cr_assert_eq(rc, -EINVAL, "compile returned %d", rc);
	cr_assert_null(c);
	for (i = 0; i < d.n; i++) {
		ot_diag_render_line(&d.v[i], &sb);
		ot_sb_putc(&sb, '\n');
	}
	ot_diags_free(&d);
	return ot_sb_steal(&sb);
}

/* Ops of kind k in plan p (optionally of link kind lk >= 0) */
static inline size_t tm_count(const struct ot_plan *p, enum ot_op_kind k, int lk)
{
	size_t i, n = 0;

	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == k && (lk < 0 || (int)p->ops[i].link.kind == lk))
			n++;
	return n;
}

/* The link op named name in namespace ns (or any namespace when ns < 0). */
static inline const struct ot_op *tm_link(const struct ot_plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == OT_OP_LINK && strcmp(p->ops[i].link.name, name) == 0)
			return &p->ops[i];
	return NULL;
}

#endif
