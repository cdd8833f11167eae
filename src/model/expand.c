/*
 * expand.c - syntax tree -> resolved model (contract in expand.h).
 *
 * One pass over the statements, in source order, with loops unrolled:
 * each statement evaluates its words (templates -> text), parses the text
 * as the value it must be (name, prefix, MAC, number with range), and adds
 * to the model. A container is built in scratch vectors and copied into
 * the model's arena when its block ends, so the model holds exact arrays.
 * Names that may be declared later (networks, link ends) are recorded and
 * resolved after the pass; then come the topology-wide checks.
 *
 * Everything that could be quadratic in the topology size uses a hash
 * table (names, addresses, MACs, VNIs) or a sort (ranks); per-container
 * checks are bounded by the per-container limits of model.h.
 *
 * Inside loops, an error is reported once per source location and kind
 * (for the first iteration that hits it, with the loop variables' values
 * in the hint), so a mistake in a 10,000-iteration loop is one error.
 *
 * This file holds the pass (top-level, network and link statements, the
 * dispatch, params, the entry point); eval.c evaluates expressions and
 * words, container.c expands container blocks, check.c runs the checks.
 */
#include "model/expand_int.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lang/names.h"
#include "util/hash.h"
#include "util/strbuf.h"
/* ------------------------------------------------------------------ */
/* nodes                                                                */

static struct xnode *node_new(struct xctx *x, struct ot_ast_word *w, const char *name);

struct xnode *xp_node_get(struct xctx *x, struct ot_ast_word *w)
{
	struct xnode *n;
	const char *name;

	/* Consecutive containers are mostly on the same node: check the last
	 * one before validating and looking the name up again. */
	if (x->last_node && !w->lit) {
		const char *t = xp_word_text(x, w);

		if (!t)
			return NULL;
		if (strcmp(t, x->last_node->n.name) == 0)
			return x->last_node;
	}
	name = xp_word_name(x, w, "node");
	if (!name)
		return NULL;
	n = ot_strmap_get(&x->nodes, name);
	if (n) {
		x->last_node = n;
		return n;
	}
	return node_new(x, w, name);
}

static struct xnode *node_new(struct xctx *x, struct ot_ast_word *w, const char *name)
{
	struct xnode *n;

	if (x->nodev.n >= OT_MAX_NODES) {
		xp_xerr(x, w->loc, "too many nodes (the limit is %d)", OT_MAX_NODES);
		x->fatal = true;
		return NULL;
	}
	n = xp_xalloc(x, sizeof(*n));
	if (!n || !VPUSH(x, x->nodev))
		return NULL;
	x->nodev.v[x->nodev.n - 1] = n;
	n->n.name = name;
	n->n.loc = xp_mloc(x, w->loc);
	if (ot_strmap_put(&x->nodes, name, n, NULL) < 0)
		x->oom = true;
	x->last_node = n;
	return n;
}

static void x_node(struct xctx *x, struct ot_ast_stmt *st)
{
	struct xnode *n = xp_node_get(x, st->u.w);

	if (!n)
		return;
	if (n->declared) {
		struct ot_diag *g = xp_xerr(x, st->u.w->loc, "duplicate node '%s'", n->n.name);

		ot_diag_note(g, n->decl_loc, "first declared here");
		return;
	}
	n->declared = true;
	n->decl_loc = st->u.w->loc;
	n->n.loc = xp_mloc(x, st->u.w->loc);
}

/* ------------------------------------------------------------------ */
/* top level                                                            */

static void x_nothing(struct xctx *x, struct ot_ast_stmt *st)
{
}

static void x_include(struct xctx *x, struct ot_ast_stmt *st)
{
	xp_expand_list(x, st->body);
}

/* A statement or value that may be given once, given again at 'at': the
 * error, with a note at the first. Returns the diagnostic (for a hint). */
struct ot_diag *xp_duplicate(struct xctx *x, struct ot_loc at, struct ot_loc first,
			     const char *what)
{
	struct ot_diag *g = xp_xerr(x, at, "duplicate %s", what);

	ot_diag_note(g, first, "first given here");
	return g;
}

static void x_vxlan(struct xctx *x, struct ot_ast_stmt *st)
{
	uint32_t port;

	if (x->vxlan_set) {
		xp_duplicate(x, st->loc, x->vxlan_loc, "'vxlan port'");
		return;
	}
	if (!xp_word_u32(x, st->u.w, "port", 1, 65535, &port))
		return;
	x->vxlan_set = true;
	x->vxlan_loc = st->loc;
	x->m->vxlan_port = (uint16_t)port;
}

static void x_for(struct xctx *x, struct ot_ast_stmt *st)
{
	int64_t lo, hi, v;
	uint64_t count;

	if (!xp_eval(x, st->u.loop.lo, &lo) || !xp_eval(x, st->u.loop.hi, &hi))
		return;
	if (hi < lo)
		return; /* an empty range: 0..N-1 with N = 0 */
	count = (uint64_t)hi - (uint64_t)lo + 1;
	if (count == 0 /* wrapped: the whole int64 range */ ||
	    count > OT_MAX_LOOP_ITERATIONS - x->iterations) {
		struct ot_loc l = st->u.loop.lo->loc;
		struct ot_diag *g;

		l = (struct ot_loc){l.file, l.line, l.col,
				    st->u.loop.hi->loc.col + st->u.loop.hi->loc.len - l.col};
		g = xp_xerr(x, l,
			    "too many loop iterations: this loop would bring the total to more "
			    "than %d",
			    OT_MAX_LOOP_ITERATIONS);
		xp_xhint(x, g, "all loops of a topology together may run at most %d iterations",
			 OT_MAX_LOOP_ITERATIONS);
		x->fatal = true;
		return;
	}
	x->iterations += count;
	x->varnames[x->nvars] = st->u.loop.var;
	x->nvars++;
	for (v = lo;; v++) {
		x->vars[x->nvars - 1] = v;
		xp_expand_list(x, st->body);
		if (v == hi || x->fatal || x->oom)
			break;
	}
	x->nvars--;
}

/* ------------------------------------------------------------------ */
/* networks                                                             */

static void x_network(struct xctx *x, struct ot_ast_stmt *st)
{
	struct xnet *n, *old;
	const char *name = xp_word_name(x, st->u.named.name, "network");
	size_t i;

	if (!name)
		return;
	n = xp_xalloc(x, sizeof(*n));
	if (!n)
		return;
	n->n.name = name;
	n->n.loc = xp_mloc(x, st->u.named.name->loc);
	old = ot_strmap_get(&x->networks, name);
	x->net = n;
	xp_expand_list(x, st->body);
	x->net = NULL;
	/* Uplink addresses written without a length take the subnet's. */
	for (i = 0; i < n->uplinks.n; i++) {
		struct ot_m_uplink *u = &n->uplinks.v[i];
		bool v6 = u->address.addr.family == AF_INET6;

		if (!n->uplink_nolen.v[i])
			continue;
		if (v6 ? n->n.has_subnet6 : n->n.has_subnet4) {
			u->address.len = v6 ? n->n.subnet6.len : n->n.subnet4.len;
		} else {
			xp_xerr(x, n->uplink_addr_loc.v[i],
				"the uplink address needs a prefix length: network '%s' has no %s "
				"subnet",
				name, v6 ? "IPv6" : "IPv4");
		}
	}
	if (n->uplinks.n) {
		n->n.uplinks =
		    ot_arena_memdup(x->ma, n->uplinks.v, n->uplinks.n * sizeof(*n->uplinks.v));
		n->n.nuplinks = n->n.uplinks ? n->uplinks.n : 0;
		if (!n->n.uplinks)
			x->oom = true;
	}
	VFREE(n->uplinks);
	VFREE(n->uplink_nolen);
	VFREE(n->uplink_addr_loc);
	if (old) {
		struct ot_diag *g =
		    xp_xerr(x, st->u.named.name->loc, "duplicate network '%s'", name);

		ot_diag_note(g, old->n.loc, "first defined here");
		return;
	}
	if (x->netv.n >= OT_MAX_NETWORKS) {
		xp_xerr(x, st->u.named.name->loc, "too many networks (the limit is %d)",
			OT_MAX_NETWORKS);
		x->fatal = true;
		return;
	}
	if (!VPUSH(x, x->netv))
		return;
	x->netv.v[x->netv.n - 1] = n;
	if (ot_strmap_put(&x->networks, name, n, NULL) < 0)
		x->oom = true;
	xp_uplink_checks(x, n);
}

static void x_subnet(struct xctx *x, struct ot_ast_stmt *st)
{
	struct xnet *n = x->net;
	uint32_t i;

	for (i = 0; i < st->u.list.n; i++) {
		struct ot_ast_word *w = st->u.list.v[i];
		struct ot_prefix p, net;
		char a[OT_PREFIX_STRLEN], b[OT_PREFIX_STRLEN];
		bool v6;

		if (!xp_word_prefix(x, w, true, "subnet",
				    "a subnet with prefix length, such as 10.0.0.0/24 or fd00::/64",
				    &p, NULL))
			continue;
		net = ot_prefix_network(&p);
		if (memcmp(net.addr.bytes, p.addr.bytes, sizeof(p.addr.bytes)) != 0) {
			struct ot_diag *g;

			ot_prefix_format(&p, a, sizeof(a));
			ot_prefix_format(&net, b, sizeof(b));
			g = xp_xerr(x, w->loc, "subnet %s has host bits set", a);
			xp_xhint(x, g, "did you mean %s?", b);
			continue;
		}
		if (p.len == 0) {
			xp_xerr(x, w->loc, "a subnet of prefix length 0 would hold every address");
			continue;
		}
		v6 = p.addr.family == AF_INET6;
		if (v6 ? n->n.has_subnet6 : n->n.has_subnet4) {
			struct ot_diag *g =
			    xp_xerr(x, w->loc, "network '%s' already has an %s subnet", n->n.name,
				    v6 ? "IPv6" : "IPv4");

			ot_diag_note(g, v6 ? n->subnet6_loc : n->subnet4_loc, "first given here");
			continue;
		}
		if (v6) {
			n->n.has_subnet6 = true;
			n->n.subnet6 = p;
			n->subnet6_loc = w->loc;
		} else {
			n->n.has_subnet4 = true;
			n->n.subnet4 = p;
			n->subnet4_loc = w->loc;
		}
	}
}

static void x_vni(struct xctx *x, struct ot_ast_stmt *st)
{
	struct xnet *n = x->net;
	uint32_t v;

	if (n->vni_set) {
		xp_duplicate(x, st->loc, n->n.vni_loc, "'vni'");
		return;
	}
	if (!xp_word_u32(x, st->u.w, "VNI", 1, 16777215, &v))
		return;
	n->vni_set = true;
	n->n.vni = v;
	n->n.vni_loc = xp_mloc(x, st->u.w->loc);
}

static void x_mtu(struct xctx *x, struct ot_ast_stmt *st)
{
	struct xnet *n = x->net;
	uint32_t v;

	if (n->mtu_set) {
		xp_duplicate(x, st->loc, n->n.mtu_loc, "'mtu'");
		return;
	}
	if (!xp_word_u32(x, st->u.w, "MTU", 68, 65535, &v))
		return;
	n->mtu_set = true;
	n->n.mtu = v;
	n->n.mtu_loc = xp_mloc(x, st->u.w->loc);
}

static void x_bridge(struct xctx *x, struct ot_ast_stmt *st)
{
	struct xnet *n = x->net;

	if (n->bridge_set) {
		xp_duplicate(x, st->loc, n->bridge_loc, "'bridge always'");
		return;
	}
	n->bridge_set = true;
	n->bridge_loc = st->loc;
	n->n.force_bridge = true;
}

bool xp_host_ifname(struct xctx *x, struct ot_ast_word *w, char out[OT_IFNAMSIZ])
{
	const char *t = xp_word_text(x, w), *problem;
	char buf[80];

	if (!t)
		return false;
	problem = ot_ifname_problem(t);
	if (problem) {
		xp_xerr(x, w->loc, "invalid host interface name '%s': %s",
			xp_shown(t, buf, sizeof(buf)), problem);
		return false;
	}
	snprintf(out, OT_IFNAMSIZ, "%s", t);
	return true;
}

/* An interface (or uplink) address: unicast, not loopback. */
bool xp_check_unicast(struct xctx *x, struct ot_ast_word *w, const struct ot_prefix *p)
{
	const uint8_t *b = p->addr.bytes;
	static const uint8_t zero[16];
	char a[OT_PREFIX_STRLEN];
	const char *why = NULL;

	if (p->addr.family == AF_INET) {
		if (b[0] >= 224 && b[0] <= 239)
			why = "is a multicast address";
		else if (b[0] == 127)
			why = "is a loopback address";
		else if (b[0] == 0)
			why = "is in 0.0.0.0/8 (this network)";
		else if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
			why = "is the broadcast address";
		else if (b[0] >= 240)
			why = "is in the reserved range 240.0.0.0/4";
	} else {
		if (b[0] == 0xff)
			why = "is a multicast address";
		else if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))
			why = b[15] ? "is the loopback address" : "is the unspecified address";
	}
	if (!why && p->len == 0)
		why = "has prefix length 0";
	if (!why)
		return true;
	ot_prefix_format(p, a, sizeof(a));
	xp_xerr(x, w->loc, "address %s %s", a, why);
	return false;
}

static void x_uplink(struct xctx *x, struct ot_ast_stmt *st)
{
	struct xnet *n = x->net;
	struct ot_m_uplink u;
	struct xnode *node;
	bool nolen;
	size_t i;

	memset(&u, 0, sizeof(u));
	node = xp_node_get(x, st->u.uplink.node);
	if (!node)
		return;
	if (!xp_word_prefix(x, st->u.uplink.addr, false, "uplink address",
			    "an address such as 10.0.0.1/24", &u.address, &nolen) ||
	    !xp_check_unicast(x, st->u.uplink.addr, &u.address))
		return;
	if (st->u.uplink.out && !xp_host_ifname(x, st->u.uplink.out, u.out))
		return;
	for (i = 0; i < n->uplinks.n; i++) {
		if (n->uplinks.v[i].node == &node->n) {
			struct ot_diag *g =
			    xp_xerr(x, st->u.uplink.node->loc,
				    "network '%s' already has an uplink on node '%s'", n->n.name,
				    node->n.name);

			ot_diag_note(g, n->uplinks.v[i].loc, "first uplink here");
			return;
		}
	}
	u.node = &node->n;
	u.masquerade = st->u.uplink.masquerade;
	u.loc = xp_mloc(x, st->loc);
	if (!VPUSH(x, n->uplinks) || !VPUSH(x, n->uplink_nolen) || !VPUSH(x, n->uplink_addr_loc))
		return;
	n->uplinks.v[n->uplinks.n - 1] = u;
	n->uplink_nolen.v[n->uplink_nolen.n - 1] = nolen;
	n->uplink_addr_loc.v[n->uplink_addr_loc.n - 1] = st->u.uplink.addr->loc;
}

/* ------------------------------------------------------------------ */
/* links                                                                */

static bool split_end(struct xctx *x, struct ot_ast_word *w, const char **c, const char **i)
{
	const char *t = xp_word_text(x, w), *dot, *problem;
	char buf[80];
	char *s;

	if (!t)
		return false;
	dot = strchr(t, '.');
	if (!dot) {
		struct ot_diag *g =
		    xp_xerr(x, w->loc, "invalid link end '%s': expected CONTAINER.IFACE",
			    xp_shown(t, buf, sizeof(buf)));

		xp_xhint(x, g, "link r1.eth1 -- r2.eth1");
		return false;
	}
	s = ot_arena_strdup(x->ma, t);
	if (!s) {
		x->oom = true;
		return false;
	}
	s[dot - t] = '\0';
	problem = ot_name_problem(s, strlen(s), OT_MAX_NAME);
	if (!problem)
		problem =
		    ot_name_problem(s + (dot - t) + 1, strlen(s + (dot - t) + 1), OT_MAX_NAME);
	if (problem) {
		xp_xerr(x, w->loc, "invalid link end '%s': a name %s",
			xp_shown(t, buf, sizeof(buf)), problem);
		return false;
	}
	*c = s;
	*i = s + (dot - t) + 1;
	return true;
}

static void x_link(struct xctx *x, struct ot_ast_stmt *st)
{
	struct pend_link l;

	/* A link with an error is still recorded with what is valid, so its
	 * good end is not reported again as "not connected". */
	memset(&l, 0, sizeof(l));
	if (!split_end(x, st->u.link.a, &l.ca, &l.ia))
		l.ca = l.ia = NULL;
	if (!split_end(x, st->u.link.b, &l.cb, &l.ib))
		l.cb = l.ib = NULL;
	if (st->u.link.mtu && xp_word_u32(x, st->u.link.mtu, "MTU", 68, 65535, &l.mtu))
		l.mtu_loc = xp_mloc(x, st->u.link.mtu->loc);
	if (!l.ca || !l.cb || (st->u.link.mtu && !l.mtu))
		l.broken = true;
	l.loc = st->loc;
	l.la = st->u.link.a->loc;
	l.lb = st->u.link.b->loc;
	if (!VPUSH(x, x->links))
		return;
	x->links.v[x->links.n - 1] = l;
}

/* ------------------------------------------------------------------ */
/* dispatch                                                             */

static void (*const handlers[OT_A__COUNT])(struct xctx *x, struct ot_ast_stmt *st) = {
    [OT_A_TOPOLOGY] = x_nothing, [OT_A_PARAM] = x_nothing,
    [OT_A_INCLUDE] = x_include,	 [OT_A_VXLAN_PORT] = x_vxlan,
    [OT_A_NODE] = x_node,	 [OT_A_NETWORK] = x_network,
    [OT_A_LINK] = x_link,	 [OT_A_CONTAINER] = xp_container,
    [OT_A_FOR] = x_for,		 [OT_A_SUBNET] = x_subnet,
    [OT_A_VNI] = x_vni,		 [OT_A_MTU] = x_mtu,
    [OT_A_BRIDGE] = x_bridge,	 [OT_A_UPLINK] = x_uplink,
    [OT_A_ISOLATE] = xp_isolate, [OT_A_HOSTNAME] = xp_hostname,
    [OT_A_IFACE] = xp_iface,	 [OT_A_ROUTE] = xp_route,
    [OT_A_SYSCTL] = xp_sysctl,	 [OT_A_FORWARD] = xp_forward,
    [OT_A_FIREWALL] = xp_block,	 [OT_A_NAT] = xp_block,
    [OT_A_LIMIT] = xp_limit,	 [OT_A_RANKS] = xp_ranks,
    [OT_A_RULE] = xp_rule,	 [OT_A_POLICY] = xp_policy,
    [OT_A_MASQUERADE] = xp_nat,	 [OT_A_SNAT] = xp_nat,
    [OT_A_DNAT] = xp_nat,	 [OT_A_USE] = xp_use,
    [OT_A_CAPS] = xp_caps,	 [OT_A_NNP] = xp_nnp,
    [OT_A_TEMPLATE] = x_nothing, [OT_A_ROOT] = xp_root,
    [OT_A_MOUNT] = xp_mount,	 [OT_A_TMP] = xp_mount,
};

void xp_expand_list(struct xctx *x, struct ot_ast_stmt *st)
{
	for (; st && !x->fatal && !x->oom; st = st->next)
		handlers[st->kind](x, st);
}

/* ------------------------------------------------------------------ */
/* params                                                               */

static bool parse_i64(const char *s, int64_t *ret)
{
	bool neg = *s == '-';
	uint64_t v;

	if (neg || *s == '+')
		s++;
	if (!xp_parse_u64(s, &v) || v > (uint64_t)INT64_MAX)
		return false;
	*ret = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

static void eval_params(struct xctx *x, const char *const *defines, size_t ndefines)
{
	struct ot_ast *ast = x->ast;
	bool *set;
	const char *cl = NULL;
	size_t i, j;

	x->params = calloc(ast->nparams ? ast->nparams : 1, sizeof(*x->params));
	set = calloc(ast->nparams ? ast->nparams : 1, sizeof(*set));
	if (!x->params || !set) {
		free(set);
		x->oom = true;
		return;
	}
	for (i = 0; i < ndefines; i++) {
		const char *eq = strchr(defines[i], '=');
		size_t n = eq ? (size_t)(eq - defines[i]) : strlen(defines[i]);
		struct ot_loc loc;
		struct ot_diag *g;
		int64_t v;

		if (eq && xp_define_is_shape(defines[i]))
			continue; /* the allocation's shape (shape.c) */
		if (!cl)
			cl = ot_diags_add_source(x->d, "command line", "", 0);
		loc = (struct ot_loc){cl, 0, 0, 0};
		for (j = 0; j < ast->nparams; j++)
			if (strlen(ast->params[j].name) == n &&
			    memcmp(ast->params[j].name, defines[i], n) == 0)
				break;
		if (!eq) {
			g = ot_diag_error(x->d, loc, "-D %.64s: expected NAME=VALUE", defines[i]);
			continue;
		}
		if (j == ast->nparams) {
			struct ot_suggest sg;
			char name[OT_MAX_NAME + 1];

			g = ot_diag_error(x->d, loc, "-D %.64s: the topology has no param '%.*s'",
					  defines[i], (int)(n > 64 ? 64 : n), defines[i]);
			if (n <= OT_MAX_NAME) {
				memcpy(name, defines[i], n);
				name[n] = '\0';
				ot_suggest_init(&sg, name);
				for (j = 0; j < ast->nparams; j++)
					ot_suggest_add(&sg, ast->params[j].name);
				if (ot_suggest_best(&sg))
					ot_diag_hint(g, "did you mean '%s'?", ot_suggest_best(&sg));
			}
			continue;
		}
		if (!parse_i64(eq + 1, &v)) {
			ot_diag_error(x->d, loc, "-D %s: the value is not an integer",
				      ast->params[j].name);
			continue;
		}
		x->params[j] = v;
		set[j] = true;
	}
	for (i = 0; i < ast->nparams; i++)
		if (!set[i] && !xp_eval(x, ast->params[i].value, &x->params[i]))
			x->params[i] = 0;
	free(set);
}

/* Diagnostics recorded here with model locations must name the files as
 * the diagnostics list does: the model (and its copies) may be freed first. */
static const char *diag_file(const struct xctx *x, const char *f)
{
	size_t i;

	for (i = 0; f && i < x->fpairs.n; i += 2)
		if (x->fpairs.v[i + 1] == f)
			return x->fpairs.v[i];
	return f;
}

static void remap_diags(struct xctx *x, size_t from)
{
	size_t i;

	for (i = from; i < x->d->n; i++) {
		x->d->v[i].loc.file = diag_file(x, x->d->v[i].loc.file);
		x->d->v[i].note_loc.file = diag_file(x, x->d->v[i].note_loc.file);
		x->d->v[i].via_loc.file = diag_file(x, x->d->v[i].via_loc.file);
	}
}

int ot_model_expand(struct ot_ast *ast, const struct ot_load_opts *o, struct ot_diags *d,
		    struct ot_model **ret)
{
	struct xctx x;
	struct ot_model *m;
	size_t errors = d->errors, first_diag = d->n, i;
	char digest[17];
	int r = 0;

	*ret = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	ot_arena_init(&m->arena);
	memset(&x, 0, sizeof(x));
	x.m = m;
	x.ma = &m->arena;
	x.d = d;
	x.ast = ast;
	x.seen_errors.eq = xp_errkey_eq;
	x.addrs.eq = xp_prefix_eq;
	x.macs.eq = xp_mac_eq;
	x.vnis.eq = xp_u32_eq;
	m->vxlan_port = OT_DEFAULT_VXLAN_PORT;
	m->file = ot_arena_strdup(x.ma, ast->file ? ast->file : "");
	snprintf(digest, sizeof(digest), "%016" PRIx64, ast->digest);
	m->source_digest = ot_arena_strdup(x.ma, digest);

	if (o) {
		x.max_containers = o->max_containers_per_node;
		x.max_ifaces = o->max_ifaces_per_node;
	}
	xp_shape_init(&x, o ? o->shape : NULL, o ? o->hosts : 0, o ? o->defines : NULL,
		      o ? o->ndefines : 0);
	eval_params(&x, o ? o->defines : NULL, o ? o->ndefines : 0);
	if (ast->topology && !x.oom) {
		m->name = xp_word_name(&x, ast->topology, "topology");
		m->loc = xp_mloc(&x, ast->topology_loc);
	}
	if (d->errors == errors && !x.oom)
		xp_expand_list(&x, ast->stmts);
	if (!x.fatal && !x.oom) {
		xp_resolve_late(&x);
		xp_resolve_links(&x);
		xp_check_gateways(&x);
		xp_fill_members(&x);
		if (x.any_auto)
			xp_auto_assign(&x);
		xp_check_mtus(&x);
		xp_check_ranks(&x);
		xp_finish_model(&x);
		xp_shape_fit(&x);
	}
	if (!x.oom && d->errors == errors)
		xp_warnings(&x);
	remap_diags(&x, first_diag);

	if (x.oom || m->arena.oom || d->oom)
		r = -ENOMEM;
	else if (d->errors > errors)
		r = -EINVAL;
	else if (ot_model_adopt_index(m, &x.nodes, &x.networks, &x.containers) < 0)
		r = -ENOMEM;

	free(x.params);
	xp_shape_free(&x);
	xp_kset_free(&x.seen_errors);
	ot_strmap_free(&x.files);
	ot_strmap_free(&x.nodes);
	ot_strmap_free(&x.networks);
	ot_strmap_free(&x.containers);
	VFREE(x.nodev);
	for (i = 0; i < x.netv.n; i++)
		VFREE(x.netv.v[i]->mv);
	VFREE(x.netv);
	VFREE(x.ctrv);
	VFREE(x.pifs);
	VFREE(x.links);
	VFREE(x.linkends);
	VFREE(x.late_overlaps);
	VFREE(x.ranks);
	xp_kset_free(&x.addrs);
	xp_kset_free(&x.macs);
	xp_kset_free(&x.vnis);
	VFREE(x.fpairs);
	xp_cs_free(&x.cs);
	if (r < 0) {
		ot_model_free(m);
		return r;
	}
	*ret = m;
	return 0;
}
