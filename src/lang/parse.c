/*
 * parse.c - recursive-descent parser for .otp files (contract in parse.h).
 *
 * Statements are keyword-first, so each block kind (top level, network,
 * container, firewall, nat) has a table of keywords and the parser for each.
 * Every parse function reports what is wrong and returns NULL; the block
 * loop then skips to the end of the statement (or over the block it
 * opened) and goes on, so one run reports every syntax error, as OpenBSD's
 * bgpd parser does. Nesting is bounded everywhere (loops, includes,
 * expressions), and skipping is iterative, so hostile input cannot exhaust
 * the stack.
 *
 * This file holds the helpers, top-level statements, block loop and entry
 * points; parse_word.c parses expressions and words, parse_stmt.c the
 * option lists and the statements inside blocks.
 */
#include "lang/parse_int.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lang/builtin.h"
#include "lang/lex.h"
#include "lang/names.h"
#include "lang/limits.h"
#include "vocab/vocab.h" /* OT_ISO_*, OT_MACVLAN_* */
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/vec.h"

static const char *const ctx_names[CTX__COUNT] = {
    [CTX_TOP] = "at top level",
    [CTX_NETWORK] = "in a network block",
    [CTX_CONTAINER] = "in a container block",
    [CTX_FIREWALL] = "in a firewall block",
    [CTX_NAT] = "in a nat block",
};

static struct ot_ast_stmt *parse_items(struct parser *p, enum ctx ctx, const struct ot_token *open);

/* ------------------------------------------------------------------ */
/* helpers                                                              */

const struct ot_token *ps_peek(struct parser *p, enum ot_lex_mode m)
{
	return ot_lex_peek(&p->lx, m);
}

struct ot_token ps_next(struct parser *p, enum ot_lex_mode m)
{
	return ot_lex_next(&p->lx, m);
}

bool ps_tok_is(const struct ot_token *t, const char *kw)
{
	/* (the token may hold NUL bytes: a damaged word; compare lengths first) */
	return t->kind == OT_T_WORD && !t->templated && t->len && t->text[0] == kw[0] &&
	       t->len == strlen(kw) && memcmp(t->text, kw, t->len) == 0;
}

bool ps_at_end(const struct ot_token *t)
{
	return t->kind == OT_T_NL || t->kind == OT_T_RBRACE || t->kind == OT_T_EOF;
}

/* The bytes of the union each kind uses: a statement is allocated with just
 * that much (an explicit 100,000-container file has 200,000 statements). */
#define PAYLOAD(member) sizeof(((struct ot_ast_stmt *)0)->u.member)
static const size_t payload_size[OT_A__COUNT] = {
    [OT_A_TOPOLOGY] = PAYLOAD(w),
    [OT_A_PARAM] = PAYLOAD(param),
    [OT_A_INCLUDE] = PAYLOAD(include),
    [OT_A_VXLAN_PORT] = PAYLOAD(w),
    [OT_A_NODE] = PAYLOAD(w),
    [OT_A_NETWORK] = PAYLOAD(named),
    [OT_A_LINK] = PAYLOAD(link),
    [OT_A_CONTAINER] = PAYLOAD(named),
    [OT_A_FOR] = PAYLOAD(loop),
    [OT_A_SUBNET] = PAYLOAD(list),
    [OT_A_VNI] = PAYLOAD(w),
    [OT_A_MTU] = PAYLOAD(w),
    [OT_A_BRIDGE] = 0,
    [OT_A_UPLINK] = PAYLOAD(uplink),
    [OT_A_ISOLATE] = PAYLOAD(isolate),
    [OT_A_HOSTNAME] = PAYLOAD(w),
    [OT_A_IFACE] = PAYLOAD(iface),
    [OT_A_ROUTE] = PAYLOAD(route),
    [OT_A_SYSCTL] = PAYLOAD(sysctl),
    [OT_A_FORWARD] = 0,
    [OT_A_FIREWALL] = 0,
    [OT_A_NAT] = 0,
    [OT_A_LIMIT] = PAYLOAD(limit),
    [OT_A_RANKS] = PAYLOAD(list),
    [OT_A_USE] = PAYLOAD(use),
    [OT_A_CAPS] = PAYLOAD(caps),
    [OT_A_NNP] = 0,
    [OT_A_TEMPLATE] = PAYLOAD(tmpl),
    [OT_A_ROOT] = PAYLOAD(storage),
    [OT_A_MOUNT] = PAYLOAD(storage),
    [OT_A_TMP] = PAYLOAD(storage),
    [OT_A_RULE] = PAYLOAD(rule),
    [OT_A_POLICY] = PAYLOAD(policy),
    [OT_A_MASQUERADE] = PAYLOAD(nat),
    [OT_A_SNAT] = PAYLOAD(nat),
    [OT_A_DNAT] = PAYLOAD(nat),
};

struct ot_ast_stmt *ps_new_stmt(struct parser *p, enum ot_ast_kind kind, const struct ot_token *kw)
{
	struct ot_ast_stmt *st =
	    ot_arena_alloc(p->a, offsetof(struct ot_ast_stmt, u) + payload_size[kind]);

	if (!st) {
		p->oom = true;
		return NULL;
	}
	st->kind = kind;
	st->loc = kw->loc;
	return st;
}

/* "expected X, found Y" at the token that is there instead. */
struct ot_diag *ps_expected(struct parser *p, const struct ot_token *t, const char *what)
{
	char buf[64];

	if (t->bad)
		return NULL; /* its lexical error says enough */
	return ot_diag_error(p->d, t->loc, "expected %s, found %s", what,
			     ot_tok_describe(t, buf, sizeof(buf)));
}

bool ps_expect_kw(struct parser *p, const char *kw, const char *where)
{
	const struct ot_token *t = ps_peek(p, OT_LEX_STMT);
	char what[64];

	if (ps_tok_is(t, kw)) {
		ps_next(p, OT_LEX_STMT);
		return true;
	}
	snprintf(what, sizeof(what), "'%s' %s", kw, where);
	ps_expected(p, t, what);
	return false;
}

/* Skip the rest of a broken statement, with any blocks it opened. Stops
 * before a '}' that closes the enclosing block. */
static void recover(struct parser *p)
{
	size_t depth = 0;

	for (;;) {
		const struct ot_token *t = ps_peek(p, OT_LEX_STMT);

		if (t->kind == OT_T_EOF)
			return;
		if (t->kind == OT_T_RBRACE && depth == 0)
			return;
		ps_next(p, OT_LEX_STMT);
		if (t->kind == OT_T_NL && depth == 0)
			return;
		if (t->kind == OT_T_LBRACE)
			depth++;
		else if (t->kind == OT_T_RBRACE)
			depth--;
	}
}

void *ps_vec_grow(struct parser *p, void *v, size_t *cap, size_t n, size_t sz)
{
	if (ot_vec_reserve(&v, cap, n + 1, sz) < 0) {
		p->oom = true;
		return NULL;
	}
	return v;
}

/* ------------------------------------------------------------------ */
/* top-level statements                                                 */

static struct ot_ast_stmt *p_topology(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_TOPOLOGY, kw);
	struct ot_ast_word *w;

	if (!st)
		return NULL;
	w = ps_read_word(p, "a topology name");
	if (!w)
		return NULL;
	st->u.w = w;
	if (!p->main_file) {
		ot_diag_error(p->d, kw->loc,
			      "'topology' is only allowed in the main file, not in "
			      "an included file");
		return st;
	}
	if (p->ast->topology) {
		struct ot_diag *g = ot_diag_error(p->d, kw->loc, "duplicate 'topology' statement");

		ot_diag_note(g, p->ast->topology_loc, "first given here");
		return st;
	}
	p->ast->topology = w;
	p->ast->topology_loc = kw->loc;
	return st;
}

static struct ot_ast_stmt *p_param(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_PARAM, kw);
	const struct ot_token *t;
	struct ot_ast_param *pa;
	struct ot_token name;
	void *old = NULL;
	int r;

	if (!st)
		return NULL;
	t = ps_peek(p, OT_LEX_WORD);
	if (t->kind != OT_T_WORD) {
		ps_expected(p, t, "a parameter name");
		return NULL;
	}
	name = ps_next(p, OT_LEX_WORD);
	if (name.templated || !ot_name_is_var(name.text, name.len) || name.len > OT_MAX_NAME) {
		struct ot_diag *g = ot_diag_error(p->d, name.loc, "invalid parameter name '%.*s'",
						  (int)(name.len > 64 ? 64 : name.len), name.text);

		ot_diag_hint(g,
			     "parameter names are letters, digits and '_' (at most %d bytes), "
			     "not starting with a digit",
			     OT_MAX_NAME);
		return NULL;
	}
	st->u.param.name = ot_arena_strndup(p->a, name.text, name.len);
	st->u.param.name_loc = name.loc;
	if (!st->u.param.name)
		return NULL;
	t = ps_peek(p, OT_LEX_STMT);
	if (t->kind != OT_T_EQ) {
		ps_expected(p, t, "'=' after the parameter name");
		return NULL;
	}
	ps_next(p, OT_LEX_STMT);
	if (p->nvars) {
		ot_diag_error(p->d, kw->loc, "'param' is not allowed inside a loop");
		return NULL;
	}
	p->param_owner = (int)p->nparams;
	st->u.param.value = ps_expr(p, &p->lx, 0);
	p->param_owner = -1;
	if (!st->u.param.value)
		return NULL;
	r = ot_strmap_put(&p->param_map, st->u.param.name, (void *)(uintptr_t)(p->nparams + 1),
			  &old);
	if (r == -EEXIST) {
		struct ot_diag *g =
		    ot_diag_error(p->d, name.loc, "duplicate param '%s'", st->u.param.name);

		ot_diag_note(g, p->params[(uintptr_t)old - 1].loc, "first defined here");
		return st;
	}
	if (r < 0) {
		p->oom = true;
		return NULL;
	}
	p->params = ps_vec_grow(p, p->params, &p->capparams, p->nparams, sizeof(*p->params));
	if (!p->params)
		return NULL;
	pa = &p->params[p->nparams];
	pa->name = st->u.param.name;
	pa->loc = name.loc;
	pa->value = st->u.param.value;
	st->u.param.index = (uint32_t)p->nparams++;
	return st;
}

static const char *join_path(struct parser *p, const char *from, const char *path)
{
	const char *slash;

	if (path[0] == '/')
		return ot_arena_strdup(p->a, path);
	slash = strrchr(from, '/');
	if (!slash)
		return ot_arena_strdup(p->a, path);
	return ot_arena_printf(p->a, "%.*s/%s", (int)(slash - from), from, path);
}

static struct ot_ast_stmt *parse_text(struct parser *p, const char *file, const char *text,
				      size_t len);

static struct ot_ast_stmt *p_include(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_INCLUDE, kw);
	unsigned long long dev = 0, ino = 0;
	const char *full, *name;
	struct ot_ast_word *w;
	const struct ot_token *t;
	struct ot_token tok;
	struct ot_diag *g;
	char *text = NULL;
	size_t len = 0, max;
	unsigned i;
	int r;

	if (!st)
		return NULL;
	t = ps_peek(p, OT_LEX_STMT);
	if (t->kind != OT_T_STRING) {
		struct ot_diag *e = ps_expected(p, t, "a quoted file name after 'include'");

		ot_diag_hint(e, "include \"common.otp\"");
		return NULL;
	}
	tok = ps_next(p, OT_LEX_STMT);
	w = ps_string_word(p, &tok);
	if (!w)
		return NULL;
	st->u.include.path = w->lit;
	if (p->o->no_includes) {
		ot_diag_error(p->d, kw->loc, "'include' is disabled for this input");
		return st;
	}
	if (p->nvars) {
		ot_diag_error(p->d, kw->loc, "'include' is not allowed inside a loop");
		return st;
	}
	if (!w->lit[0]) {
		ot_diag_error(p->d, tok.loc, "invalid file name");
		return st;
	}
	if (p->include_depth >= OT_MAX_INCLUDE_DEPTH) {
		ot_diag_error(p->d, kw->loc, "includes nested too deeply (the limit is %d)",
			      OT_MAX_INCLUDE_DEPTH);
		return st;
	}
	if (p->ast->nfiles >= MAX_INCLUDE_FILES) {
		ot_diag_error(p->d, kw->loc, "too many included files (the limit is %d)",
			      MAX_INCLUDE_FILES);
		return st;
	}
	full = join_path(p, p->lx.file ? p->lx.file : "", w->lit);
	if (!full)
		return NULL;
	max = OT_MAX_SOURCE_BYTES -
	      (p->ast->bytes < OT_MAX_SOURCE_BYTES ? p->ast->bytes : OT_MAX_SOURCE_BYTES);
	r = ot_source_read(full, max, &text, &len, &dev, &ino);
	if (r == -EFBIG) {
		ot_diag_error(p->d, tok.loc,
			      "cannot include '%s': the sources together exceed %u bytes", full,
			      OT_MAX_SOURCE_BYTES);
		return st;
	}
	if (r < 0) {
		ot_diag_error(p->d, tok.loc, "cannot include '%s': %s", full,
			      r == -EINVAL ? "not a regular file" : strerror(-r));
		return st;
	}
	for (i = 0; i <= p->include_depth; i++) {
		if (p->stack[i].known && p->stack[i].dev == dev && p->stack[i].ino == ino) {
			g = ot_diag_error(p->d, tok.loc,
					  "include cycle: '%s' is already being read", full);
			ot_diag_hint(g,
				     "a file may not include itself, directly or through others");
			free(text);
			return st;
		}
	}
	name = ot_diags_add_source(p->d, full, text, len);
	p->ast->digest = ot_hash64_more(p->ast->digest, text, len);
	p->ast->bytes += len;
	p->ast->nfiles++;
	st->u.include.file = name;
	p->include_depth++;
	p->stack[p->include_depth].dev = dev;
	p->stack[p->include_depth].ino = ino;
	p->stack[p->include_depth].known = true;
	st->body = parse_text(p, name, text, len);
	p->include_depth--;
	free(text);
	return st;
}

static struct ot_ast_stmt *p_vxlan(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_VXLAN_PORT, kw);

	if (!st || !ps_expect_kw(p, "port", "after 'vxlan'"))
		return NULL;
	st->u.w = ps_read_word(p, "a UDP port number");
	return st->u.w ? st : NULL;
}

static struct ot_ast_stmt *p_node(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_NODE, kw);

	if (!st)
		return NULL;
	st->u.w = ps_read_node_word(p);
	return st->u.w ? st : NULL;
}

/* An optional "{ ... }" after a statement header. */
bool ps_opt_block(struct parser *p, struct ot_ast_stmt *st, enum ctx ctx, bool required,
		  const char *what)
{
	const struct ot_token *t = ps_peek(p, OT_LEX_STMT);
	struct ot_token open;

	if (t->kind != OT_T_LBRACE) {
		if (required || !ps_at_end(t)) {
			char buf[80];

			snprintf(buf, sizeof(buf),
				 required ? "'{' after %s" : "'{' or end of line after %s", what);
			ps_expected(p, t, buf);
			return false;
		}
		return true;
	}
	open = ps_next(p, OT_LEX_STMT);
	st->body = parse_items(p, ctx, &open);
	return true;
}

static struct ot_ast_stmt *p_network(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_NETWORK, kw);

	if (!st)
		return NULL;
	st->u.named.name = ps_read_word(p, "a network name");
	if (!st->u.named.name || !ps_opt_block(p, st, CTX_NETWORK, false, "the network name"))
		return NULL;
	return st;
}

static struct ot_ast_stmt *p_link(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_LINK, kw);
	struct optdef defs[1];

	if (!st)
		return NULL;
	st->u.link.a = ps_read_word(p, "CONTAINER.IFACE");
	if (!st->u.link.a)
		return NULL;
	if (!ps_expect_kw(p, "--", "between the two ends of the link"))
		return NULL;
	st->u.link.b = ps_read_word(p, "CONTAINER.IFACE");
	if (!st->u.link.b)
		return NULL;
	defs[0] =
	    (struct optdef){.kw = "mtu", .kind = OPT_WORD, .what = "an MTU", .w = &st->u.link.mtu};
	return ps_parse_opts(p, "link", defs, NOPTS(defs)) ? st : NULL;
}

static struct ot_ast_stmt *p_container(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_CONTAINER, kw);

	if (!st)
		return NULL;
	st->u.named.name = ps_read_word(p, "a container name");
	if (!st->u.named.name)
		return NULL;
	if (!ps_expect_kw(p, "on", "and a node after the container name"))
		return NULL;
	st->u.named.node = ps_read_node_word(p);
	if (!st->u.named.node)
		return NULL;
	if (ps_tok_is(ps_peek(p, OT_LEX_STMT), "use")) {
		/* container NAME on NODE use T(ARGS) [{ ... }]: the use comes first */
		struct ot_token use = ps_next(p, OT_LEX_STMT);
		struct ot_ast_stmt *u = ps_use(p, &use, CTX_CONTAINER);

		if (!u || !ps_opt_block(p, st, CTX_CONTAINER, false, "the template's arguments"))
			return NULL;
		u->next = st->body;
		st->body = u;
		return st;
	}
	if (!ps_opt_block(p, st, CTX_CONTAINER, false, "the node name"))
		return NULL;
	return st;
}

static void skip_block(struct parser *p)
{
	ps_next(p, OT_LEX_STMT); /* the '{' */
	{
		size_t depth = 1;

		while (depth) {
			struct ot_token t = ps_next(p, OT_LEX_STMT);

			if (t.kind == OT_T_EOF)
				return;
			if (t.kind == OT_T_LBRACE)
				depth++;
			else if (t.kind == OT_T_RBRACE)
				depth--;
		}
	}
}

static struct ot_ast_stmt *p_for(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_FOR, kw);
	const struct ot_token *t;
	struct ot_token var, open;
	unsigned i;

	if (!st)
		return NULL;
	t = ps_peek(p, OT_LEX_WORD);
	if (t->kind != OT_T_WORD) {
		ps_expected(p, t, "a loop variable");
		return NULL;
	}
	var = ps_next(p, OT_LEX_WORD);
	if (var.templated || !ot_name_is_var(var.text, var.len) || var.len > OT_MAX_NAME) {
		struct ot_diag *g = ot_diag_error(p->d, var.loc, "invalid loop variable '%.*s'",
						  (int)(var.len > 64 ? 64 : var.len), var.text);

		ot_diag_hint(g, "loop variables are letters, digits and '_', not starting with a "
				"digit");
		return NULL;
	}
	st->u.loop.var = ot_arena_strndup(p->a, var.text, var.len);
	st->u.loop.var_loc = var.loc;
	if (!st->u.loop.var || !ps_expect_kw(p, "in", "after the loop variable"))
		return NULL;
	ps_template_var_clash(p, st->u.loop.var, var.loc);
	st->u.loop.lo = ps_expr(p, &p->lx, 0);
	if (!st->u.loop.lo)
		return NULL;
	t = ps_peek(p, OT_LEX_EXPR);
	if (t->kind != OT_T_DOTDOT) {
		struct ot_diag *g = ps_expected(p, t, "'..' in the loop range");

		ot_diag_hint(g, "for i in 0..15 { ... }");
		return NULL;
	}
	ps_next(p, OT_LEX_EXPR);
	st->u.loop.hi = ps_expr(p, &p->lx, 0);
	if (!st->u.loop.hi)
		return NULL;
	t = ps_peek(p, OT_LEX_STMT);
	if (t->kind != OT_T_LBRACE) {
		ps_expected(p, t, "'{' after the loop range");
		return NULL;
	}
	for (i = 0; i < p->nvars; i++) {
		if (strcmp(p->vars[i].name, st->u.loop.var) == 0) {
			struct ot_diag *g = ot_diag_error(p->d, var.loc,
							  "loop variable '%s' is already "
							  "used by an enclosing loop",
							  st->u.loop.var);

			ot_diag_note(g, p->vars[i].loc, "the enclosing loop's variable");
			skip_block(p);
			return st;
		}
	}
	if (p->nvars >= OT_MAX_LOOP_DEPTH) {
		ot_diag_error(p->d, kw->loc, "loops nested too deeply (the limit is %d)",
			      OT_MAX_LOOP_DEPTH);
		skip_block(p);
		return st;
	}
	p->allvars = ps_vec_grow(p, p->allvars, &p->capallvars, p->nallvars, sizeof(*p->allvars));
	if (!p->allvars)
		return NULL;
	p->allvars[p->nallvars].name = st->u.loop.var;
	p->allvars[p->nallvars++].loc = var.loc;
	st->u.loop.depth = p->nvars;
	p->vars[p->nvars].name = st->u.loop.var;
	p->vars[p->nvars++].loc = var.loc;
	open = ps_next(p, OT_LEX_STMT);
	st->body = parse_items(p, ctx, &open);
	p->nvars--;
	return st;
}

/* ------------------------------------------------------------------ */
/* blocks                                                               */

static const struct kw top_kws[] = {
    {"topology", p_topology},  {"param", p_param},	   {"include", p_include},
    {"vxlan", p_vxlan},	       {"node", p_node},	   {"network", p_network},
    {"link", p_link},	       {"container", p_container}, {"for", p_for},
    {"template", ps_template},
};

static const struct kw network_kws[] = {
    {"subnet", ps_subnet}, {"vni", ps_vni},	  {"mtu", ps_mtu},
    {"bridge", ps_bridge}, {"uplink", ps_uplink}, {"for", p_for},
};

static const struct kw container_kws[] = {
    {"isolate", ps_isolate},
    {"hostname", ps_hostname},
    {"iface", ps_iface},
    {"route", ps_route},
    {"sysctl", ps_sysctl},
    {"forward", ps_flag},
    {"firewall", ps_firewall},
    {"nat", ps_nat},
    {"limit", ps_limit},
    {"ranks", ps_ranks},
    {"use", ps_use},
    {"capabilities", ps_caps},
    {"no_new_privs", ps_nnp},
    {"root", ps_root},
    {"mount", ps_mount},
    {"tmp", ps_tmp},
    {"for", p_for},
};

static const struct kw firewall_kws[] = {
    {"allow", ps_rule},	   {"drop", ps_rule}, {"reject", ps_rule},
    {"policy", ps_policy}, {"for", p_for},
};

static const struct kw nat_kws[] = {
    {"masquerade", ps_natrule},
    {"snat", ps_natrule},
    {"dnat", ps_natrule},
    {"for", p_for},
};

static const struct {
	const struct kw *v;
	size_t n;
} ctx_kws[CTX__COUNT] = {
    [CTX_TOP] = {top_kws, NOPTS(top_kws)},
    [CTX_NETWORK] = {network_kws, NOPTS(network_kws)},
    [CTX_CONTAINER] = {container_kws, NOPTS(container_kws)},
    [CTX_FIREWALL] = {firewall_kws, NOPTS(firewall_kws)},
    [CTX_NAT] = {nat_kws, NOPTS(nat_kws)},
};

static const struct kw *find_kw(enum ctx ctx, const struct ot_token *t)
{
	size_t i;

	for (i = 0; i < ctx_kws[ctx].n; i++)
		if (ps_tok_is(t, ctx_kws[ctx].v[i].name))
			return &ctx_kws[ctx].v[i];
	return NULL;
}

static void unknown_statement(struct parser *p, enum ctx ctx, const struct ot_token *t)
{
	char buf[64], word[64];
	struct ot_suggest sg;
	struct ot_diag *g;
	int c;
	size_t i;

	if (t->bad)
		return;
	if (t->kind != OT_T_WORD || t->templated) {
		ot_diag_error(p->d, t->loc, "expected a statement, found %s",
			      ot_tok_describe(t, buf, sizeof(buf)));
		return;
	}
	for (c = 0; c < CTX__COUNT; c++) {
		if (c != (int)ctx && find_kw((enum ctx)c, t) && !ps_tok_is(t, "for")) {
			g = ot_diag_error(p->d, t->loc, "'%.*s' is not allowed %s", (int)t->len,
					  t->text, ctx_names[ctx]);
			ot_diag_hint(g, "'%.*s' belongs %s%s", (int)t->len, t->text, ctx_names[c],
				     ctx != CTX_TOP && c == CTX_TOP ? " (is a '}' missing?)" : "");
			return;
		}
	}
	g = ot_diag_error(p->d, t->loc, "unknown statement %s %s",
			  ot_tok_describe(t, buf, sizeof(buf)), ctx_names[ctx]);
	if (t->len < sizeof(word)) {
		memcpy(word, t->text, t->len);
		word[t->len] = '\0';
		ot_suggest_init(&sg, word);
		for (i = 0; i < ctx_kws[ctx].n; i++)
			ot_suggest_add(&sg, ctx_kws[ctx].v[i].name);
		if (ot_suggest_best(&sg))
			ot_diag_hint(g, "did you mean '%s'?", ot_suggest_best(&sg));
	}
}

/* After a statement: end of line, ';', '}' or end of file. */
static bool end_of_statement(struct parser *p, const struct ot_token *kw)
{
	const struct ot_token *t = ps_peek(p, OT_LEX_STMT);
	char buf[64];

	if (t->kind == OT_T_NL) {
		ps_next(p, OT_LEX_STMT);
		return true;
	}
	if (t->kind == OT_T_RBRACE || t->kind == OT_T_EOF)
		return true;
	if (!t->bad)
		ot_diag_error(p->d, t->loc, "unexpected %s after the '%.*s' statement",
			      ot_tok_describe(t, buf, sizeof(buf)), (int)kw->len, kw->text);
	recover(p);
	return false;
}

static struct ot_ast_stmt *parse_items(struct parser *p, enum ctx ctx, const struct ot_token *open)
{
	struct ot_ast_stmt *head = NULL, **tail = &head;

	for (;;) {
		const struct ot_token *t = ps_peek(p, OT_LEX_STMT);
		const struct kw *k;
		struct ot_ast_stmt *st;
		struct ot_token kw;

		if (p->oom)
			return head;
		if (t->kind == OT_T_NL) {
			ps_next(p, OT_LEX_STMT);
			continue;
		}
		if (t->kind == OT_T_EOF) {
			if (open && !p->eof_reported) {
				struct ot_diag *g = ot_diag_error(p->d, open->loc,
								  "unterminated block: "
								  "missing '}'");

				ot_diag_hint(g, "every '{' needs a matching '}'");
				p->eof_reported = true;
			}
			return head;
		}
		if (t->kind == OT_T_RBRACE) {
			struct ot_token rb = ps_next(p, OT_LEX_STMT);

			if (open)
				return head;
			ot_diag_error(p->d, rb.loc, "unexpected '}': no block is open here");
			continue;
		}
		k = find_kw(ctx, t);
		if (p->main_file && ctx == CTX_TOP && !p->first_seen) {
			p->first_seen = true;
			if (!k || strcmp(k->name, "topology") != 0) {
				struct ot_diag *g = ot_diag_error(p->d, t->loc,
								  "a topology file must "
								  "start with 'topology NAME'");

				ot_diag_hint(g, "add a first line such as: topology demo");
			}
		}
		if (!k) {
			unknown_statement(p, ctx, t);
			recover(p);
			continue;
		}
		kw = ps_next(p, OT_LEX_STMT);
		st = k->fn(p, &kw, ctx);
		if (!st) {
			recover(p);
			continue;
		}
		*tail = st;
		tail = &st->next;
		end_of_statement(p, &kw);
	}
}

static struct ot_ast_stmt *parse_text(struct parser *p, const char *file, const char *text,
				      size_t len)
{
	struct ot_lexer saved = p->lx;
	bool saved_main = p->main_file, saved_eof = p->eof_reported;
	struct ot_ast_stmt *body;

	ot_lex_init(&p->lx, file, text, len, p->d);
	p->main_file = false;
	p->eof_reported = false;
	body = parse_items(p, CTX_TOP, NULL);
	p->lx = saved;
	p->main_file = saved_main;
	p->eof_reported = saved_eof;
	return body;
}

/* A param or loop variable may not take a built-in name (lang/builtin.h). */
static void builtin_name_taken(struct parser *p, const char *name, struct ot_loc loc,
			       const char *what)
{
	int id = ot_builtin_find(name, strlen(name));
	struct ot_diag *g;

	if (id < 0)
		return;
	g = ot_diag_error(p->d, loc, "%s '%s' has the name of a built-in", what, name);
	ot_diag_hint(g, "%s is %s; choose another name", ot_builtins[id].usage,
		     ot_builtins[id].meaning);
}

/* Bind every name used in an expression to its param, now that all are known. */
static void bind_params(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->npend; i++) {
		struct ot_ast_expr *e = p->pend[i].e;
		uintptr_t idx = (uintptr_t)ot_strmap_get(&p->param_map, e->name);
		struct ot_suggest sg;
		struct ot_diag *g;
		size_t j;

		if (idx) {
			e->slot = (uint32_t)(idx - 1);
			if (p->pend[i].owner >= 0 && e->slot >= (uint32_t)p->pend[i].owner) {
				g = ot_diag_error(p->d, e->loc,
						  "param '%s' is used before it is defined",
						  e->name);
				ot_diag_hint(
				    g, "a param's value may use only params defined above it");
			}
			continue;
		}
		g = ot_diag_error(p->d, e->loc, "unknown name '%s'", e->name);
		ot_suggest_init(&sg, e->name);
		for (j = 0; j < p->nparams; j++)
			ot_suggest_add(&sg, p->params[j].name);
		if (p->pend[i].var_hint)
			ot_suggest_add(&sg, p->pend[i].var_hint);
		if (ot_suggest_best(&sg))
			ot_diag_hint(g, "did you mean '%s'?", ot_suggest_best(&sg));
		else
			ot_diag_hint(g, "names in expressions are loop variables and params");
	}
	for (i = 0; i < p->nparams; i++)
		builtin_name_taken(p, p->params[i].name, p->params[i].loc, "param");
	for (i = 0; i < p->nallvars; i++)
		builtin_name_taken(p, p->allvars[i].name, p->allvars[i].loc, "loop variable");
	for (i = 0; i < p->nallvars; i++) {
		uintptr_t idx = (uintptr_t)ot_strmap_get(&p->param_map, p->allvars[i].name);

		if (idx) {
			struct ot_diag *g = ot_diag_error(
			    p->d, p->allvars[i].loc, "loop variable '%s' has the name of a param",
			    p->allvars[i].name);

			ot_diag_note(g, p->params[idx - 1].loc, "the param is defined here");
		}
	}
}

static int parse_main(const char *name, const char *text, size_t len, const struct ot_parse_opts *o,
		      struct ot_diags *d, unsigned long long dev, unsigned long long ino,
		      bool known, struct ot_ast **ret)
{
	static const struct ot_parse_opts defaults;
	struct parser p;
	struct ot_ast *ast;
	size_t errors = d->errors;
	int r = 0;

	ast = calloc(1, sizeof(*ast));
	if (!ast)
		return -ENOMEM;
	ot_arena_init(&ast->arena);
	memset(&p, 0, sizeof(p));
	p.ast = ast;
	p.a = &ast->arena;
	p.d = d;
	p.o = o ? o : &defaults;
	p.param_owner = -1;
	p.main_file = true;
	p.stack[0].dev = dev;
	p.stack[0].ino = ino;
	p.stack[0].known = known;
	ast->file = ot_diags_add_source(d, name, text, len);
	ast->digest = ot_hash64(text, len);
	ast->bytes = len;
	ast->nfiles = 1;
	ot_lex_init(&p.lx, ast->file, text, len, d);
	ast->stmts = parse_items(&p, CTX_TOP, NULL);
	if (!ast->topology && !p.first_seen) {
		struct ot_diag *g = ot_diag_error(d, (struct ot_loc){ast->file, 1, 1, 0},
						  "empty topology: expected 'topology NAME'");

		ot_diag_hint(g, "add a first line such as: topology demo");
	} else if (!ast->topology && d->errors == errors) {
		ot_diag_error(d, (struct ot_loc){ast->file, 1, 1, 0}, "missing 'topology NAME'");
	}
	bind_params(&p);
	if (p.nparams) {
		ast->params = ot_arena_memdup(&ast->arena, p.params, p.nparams * sizeof(*p.params));
		ast->nparams = ast->params ? p.nparams : 0;
	}
	if (p.oom || ast->arena.oom || d->oom)
		r = -ENOMEM;
	else if (d->errors > errors)
		r = -EINVAL;
	free(p.pend);
	free(p.params);
	free(p.allvars);
	ot_strmap_free(&p.param_map);
	ot_strmap_free(&p.tmpl_map);
	if (r == -ENOMEM) {
		ot_ast_free(ast);
		return r;
	}
	*ret = ast;
	return r;
}

int ot_ast_parse_mem(const char *name, const char *text, size_t len, const struct ot_parse_opts *o,
		     struct ot_diags *d, struct ot_ast **ret)
{
	*ret = NULL;
	if (len > OT_MAX_SOURCE_BYTES) {
		const char *f = ot_diags_add_source(d, name, "", 0);

		ot_diag_error(d, (struct ot_loc){f, 0, 0, 0}, "source is larger than %u bytes",
			      OT_MAX_SOURCE_BYTES);
		return -EFBIG;
	}
	return parse_main(name, text, len, o, d, 0, 0, false, ret);
}

int ot_ast_parse_file(const char *path, const struct ot_parse_opts *o, struct ot_diags *d,
		      struct ot_ast **ret)
{
	unsigned long long dev = 0, ino = 0;
	char *text = NULL;
	size_t len = 0;
	int r;

	*ret = NULL;
	r = ot_source_read(path, OT_MAX_SOURCE_BYTES, &text, &len, &dev, &ino);
	if (r < 0) {
		const char *f = ot_diags_add_source(d, path, "", 0);

		if (r == -EFBIG)
			ot_diag_error(d, (struct ot_loc){f, 0, 0, 0},
				      "file is larger than %u bytes", OT_MAX_SOURCE_BYTES);
		else
			ot_diag_error(d, (struct ot_loc){f, 0, 0, 0}, "cannot read: %s",
				      r == -EINVAL ? "not a regular file" : strerror(-r));
		return r;
	}
	r = parse_main(path, text, len, o, d, dev, ino, true, ret);
	free(text);
	return r;
}

void ot_ast_free(struct ot_ast *ast)
{
	if (!ast)
		return;
	ot_arena_free(&ast->arena);
	free(ast);
}

int ot_source_read(const char *path, size_t max, char **ret, size_t *ret_len,
		   unsigned long long *ret_dev, unsigned long long *ret_ino)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap;
	int fd, r;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto fail;
	}
	if ((unsigned long long)st.st_size > max) {
		r = -EFBIG;
		goto fail;
	}
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap + 1);
	if (!buf) {
		r = -ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) { /* the file grew since fstat */
			char *nb;

			if (cap > max) {
				r = -EFBIG;
				goto fail;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				r = -ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		r = -EFBIG;
		goto fail;
	}
	close(fd);
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	if (ret_dev)
		*ret_dev = (unsigned long long)st.st_dev;
	if (ret_ino)
		*ret_ino = (unsigned long long)st.st_ino;
	return 0;
fail:
	free(buf);
	close(fd);
	return r;
}
