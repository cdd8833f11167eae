/*
 * template.c - the expansion of template uses (`use NAME(ARGS)`, also in a
 * container's header) and of the capability statements. Internal to the
 * expansion (expand_int.h).
 *
 * A use evaluates its arguments in the caller's frame (loop variables, the
 * enclosing template's arguments), checks each against its parameter's
 * type, then expands the template's body as if it were written in the
 * container, in a frame of its own: the body sees its arguments, its own
 * loops and the topology's params, not the caller's loop variables. The
 * caller's frame is saved in x->calls and restored afterwards. Errors in
 * the body name the use they came through (ot_diag_via) and are reported
 * once per body location, kind and use. Every use counts as one loop
 * iteration towards the topology's total, so nested templates cannot
 * multiply the work without bound.
 */
#include "model/expand_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/names.h"
#include "util/addr.h"
#include "vocab/caps.h"

/* ------------------------------------------------------------------ */
/* template uses                                                        */

struct xvia xp_via_now(const struct xctx *x)
{
	struct xvia v = {{0}, NULL};

	if (x->ncalls) {
		v.loc = x->calls[0].use->u.use.name_loc;
		v.tmpl = x->calls[0].use->u.use.tmpl->u.tmpl.name;
	}
	return v;
}

void xp_template_via(struct xctx *x, struct ot_diag *g)
{
	const struct xcall *c = &x->calls[0];
	char ctxbuf[200];
	size_t n = 0;
	unsigned i;

	if (!g)
		return;
	if (!x->ncalls) {
		if (x->via.loc.line)
			ot_diag_via(g, x->via.loc, "through template '%s', used here", x->via.tmpl);
		return;
	}
	ctxbuf[0] = '\0';
	for (i = 0; i < c->nvars && n < sizeof(ctxbuf); i++)
		n += (size_t)snprintf(ctxbuf + n, sizeof(ctxbuf) - n, "%s%s=%" PRId64,
				      i ? ", " : " (in the loop iteration with ", c->varnames[i],
				      c->vars[i]);
	if (c->nvars && n < sizeof(ctxbuf) - 1)
		strcat(ctxbuf, ")");
	ot_diag_via(g, c->use->u.use.name_loc, "through template '%s', used here%s",
		    c->use->u.use.tmpl->u.tmpl.name, ctxbuf);
}

/* Strict signed decimal integer. */
static bool parse_i64(const char *t, int64_t *ret)
{
	bool neg = *t == '-';
	uint64_t v;

	if (!xp_parse_u64(t + neg, &v) || v > (uint64_t)INT64_MAX + neg)
		return false;
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* The text t of argument tp checked against its type; the problem, or NULL. */
static const char *type_problem(const struct ot_ast_tparam *tp, const char *t, int64_t *ret_i)
{
	struct ot_prefix pfx;

	switch (tp->type) {
	case OT_TT_INT:
		return parse_i64(t, ret_i) ? NULL : "an integer";
	case OT_TT_NAME:
		return ot_name_problem(t, strlen(t), OT_MAX_NAME) ? "a name" : NULL;
	case OT_TT_ADDR: /* `auto` too: `address {addr}` then takes one (autoaddr.c) */
		return strcmp(t, "auto") != 0 && ot_prefix_parse(t, false, &pfx) < 0 ? "an address"
										     : NULL;
	case OT_TT_PREFIX:
		return ot_prefix_parse(t, true, &pfx) < 0 ? "a prefix (ADDRESS/LENGTH)" : NULL;
	default:
		return NULL;
	}
}

/* Evaluate and check the arguments of use st into v (text copied into one
 * block, returned in *ret_text for the caller to free). */
static bool eval_args(struct xctx *x, const struct ot_ast_stmt *st, struct xval *v, char **ret_text)
{
	const struct ot_ast_stmt *def = st->u.use.tmpl;
	size_t size = 0, off = 0;
	char *text = NULL, buf[80];
	bool ok = true;
	uint32_t i;

	*ret_text = NULL;
	for (i = 0; i < def->u.tmpl.nparams; i++) {
		const struct ot_ast_tparam *tp = &def->u.tmpl.params[i];
		const struct ot_ast_word *w = st->u.use.args[i] ? st->u.use.args[i] : tp->def;
		const char *t = xp_word_text(x, w), *problem;
		size_t len;

		if (!t) {
			ok = false;
			continue;
		}
		problem = type_problem(tp, t, &v[i].i);
		if (problem) {
			struct ot_diag *g = xp_xerr(
			    x, w->loc, "argument '%s' of template '%s' must be %s, not '%s'",
			    tp->name, def->u.tmpl.name, problem, xp_shown(t, buf, sizeof(buf)));

			ot_diag_note(g, tp->loc, "the argument is declared here");
			ok = false;
			continue;
		}
		if (tp->type == OT_TT_INT)
			continue;
		len = strlen(t) + 1;
		if (off + len > size) {
			char *nt = realloc(text, size = (off + len) * 2);

			if (!nt) {
				free(text);
				x->oom = true;
				return false;
			}
			text = nt;
		}
		memcpy(text + off, t, len);
		v[i].s = (const char *)(uintptr_t)(off + 1); /* an offset until text stops moving */
		off += len;
	}
	for (i = 0; i < def->u.tmpl.nparams; i++)
		if (v[i].s)
			v[i].s = text + ((uintptr_t)v[i].s - 1);
	*ret_text = text;
	return ok;
}

void xp_use(struct xctx *x, struct ot_ast_stmt *st)
{
	const struct ot_ast_stmt *def = st->u.use.tmpl;
	struct xval *v;
	struct xcall *c;
	char *text = NULL;

	if (x->ncalls >= OT_MAX_TEMPLATE_DEPTH) {
		xp_xerr(x, st->u.use.name_loc, "templates nested too deeply (the limit is %d)",
			OT_MAX_TEMPLATE_DEPTH);
		return;
	}
	if (x->iterations >= OT_MAX_LOOP_ITERATIONS) {
		struct ot_diag *g = xp_xerr(x, st->u.use.name_loc,
					    "too many loop iterations and template uses: the "
					    "total would be more than %d",
					    OT_MAX_LOOP_ITERATIONS);

		xp_xhint(x, g, "every template use counts as a loop iteration");
		x->fatal = true;
		return;
	}
	x->iterations++;
	v = calloc(def->u.tmpl.nparams ? def->u.tmpl.nparams : 1, sizeof(*v));
	if (!v) {
		x->oom = true;
		return;
	}
	if (!eval_args(x, st, v, &text))
		goto out;
	c = &x->calls[x->ncalls++];
	c->use = st;
	c->args = x->args;
	c->nvars = x->nvars;
	memcpy(c->vars, x->vars, sizeof(c->vars));
	memcpy(c->varnames, x->varnames, sizeof(c->varnames));
	x->args = v;
	x->nvars = 0;
	xp_expand_list(x, def->body);
	x->ncalls--;
	x->args = c->args;
	x->nvars = c->nvars;
	memcpy(x->vars, c->vars, sizeof(c->vars));
	memcpy(x->varnames, c->varnames, sizeof(c->varnames));
out:
	free(text);
	free(v);
}

bool xp_word_is_auto(const struct xctx *x, const struct ot_ast_word *w)
{
	const struct ot_ast_seg *s = w->segs;

	if (w->lit)
		return strcmp(w->lit, "auto") == 0;
	return w->nsegs == 1 && s->len == 0 && s->e && s->e->kind == OT_E_ARG && x->args &&
	       x->args[s->e->slot].s && strcmp(x->args[s->e->slot].s, "auto") == 0;
}

/* ------------------------------------------------------------------ */
/* capabilities                                                         */

static void caps_unknown(struct xctx *x, struct ot_ast_word *w, const char *t)
{
	char buf[80];
	struct ot_diag *g =
	    xp_xerr(x, w->loc, "unknown capability '%s'", xp_shown(t, buf, sizeof(buf)));
	struct ot_suggest sg;
	unsigned i;

	if (!g)
		return;
	ot_suggest_init(&sg, t);
	for (i = 0; i < OT_CAP_COUNT; i++)
		ot_suggest_add(&sg, ot_cap_name(i));
	if (ot_suggest_best(&sg))
		xp_xhint(x, g, "did you mean '%s'?", ot_suggest_best(&sg));
	else
		xp_xhint(x, g, "names as in capabilities(7), without CAP_: net_admin, sys_admin");
}

void xp_caps(struct xctx *x, struct ot_ast_stmt *st)
{
	struct ot_m_container *c = x->cs.c;
	uint64_t mask = 0;
	bool ok = true;
	uint32_t i;

	if (c->caps_set && (c->caps_keep || st->u.caps.keep)) {
		struct ot_diag *g = xp_duplicate(x, st->loc, c->caps_loc, "'capabilities'");

		xp_xhint(x, g,
			 "'capabilities keep' names everything kept, in one statement; "
			 "only 'capabilities drop' statements add up");
		return;
	}
	for (i = 0; i < st->u.caps.n; i++) {
		const char *t = xp_word_text(x, st->u.caps.v[i]);
		int n;

		if (!t) {
			ok = false;
			continue;
		}
		n = ot_cap_by_name(t, strlen(t));
		if (n < 0) {
			caps_unknown(x, st->u.caps.v[i], t);
			ok = false;
			continue;
		}
		mask |= 1ull << n;
	}
	if (!ok)
		return;
	if (!c->caps_set)
		c->caps_loc = xp_mloc(x, st->loc);
	c->caps_set = true;
	c->caps_keep = st->u.caps.keep;
	c->caps |= mask;
}

void xp_nnp(struct xctx *x, struct ot_ast_stmt *st)
{
	struct ot_m_container *c = x->cs.c;

	if (c->no_new_privs) {
		xp_duplicate(x, st->loc, c->nnp_loc, "'no_new_privs'");
		return;
	}
	c->no_new_privs = true;
	c->nnp_loc = xp_mloc(x, st->loc);
}
