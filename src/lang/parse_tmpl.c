/*
 * parse_tmpl.c - the parser's container templates and capability
 * statements. Internal to the parser (parse_int.h).
 *
 * A template is a container body with typed parameters, defined at top
 * level before its first use:
 *
 *   template server(name net, address addr, int port = 80) { ... }
 *   container web1 on n1 use server(lan, 10.0.0.1/24)
 *
 * Its body is parsed once, as a container block: any container statement
 * may appear in it (also `use` of a template defined above it, which is why
 * templates cannot recurse). Names in the body's expressions bind to its
 * loop variables, then its parameters (OT_E_ARG), then the topology's
 * params. A call's arguments are mapped to parameters here (positional,
 * then NAME = VALUE), so a wrong count or an unknown name is a syntax
 * error at the call, with the definition as the related location; the
 * arguments' values are checked against their types when the model is
 * expanded (src/model/template.c), because a word's text is known only then.
 */
#include "lang/parse_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/builtin.h"
#include "lang/names.h"
#include "vocab/caps.h"

const char *const ot_ast_ttype_names[OT_TT__COUNT] = {
    [OT_TT_INT] = "int",       [OT_TT_NAME] = "name", [OT_TT_ADDR] = "address",
    [OT_TT_PREFIX] = "prefix", [OT_TT_WORD] = "word",
};

/* The token's text as a C string in buf (cut to size), for messages and lookups. */
static const char *tok_str(const struct ot_token *t, char *buf, size_t size)
{
	size_t n = t->len < size - 1 ? t->len : size - 1;

	memcpy(buf, t->text, n);
	buf[n] = '\0';
	return buf;
}

static void hint_similar(struct ot_diag *g, const char *word, const char *const *cands, size_t n)
{
	struct ot_suggest sg;
	size_t i;

	if (!g)
		return;
	ot_suggest_init(&sg, word);
	for (i = 0; i < n; i++)
		ot_suggest_add(&sg, cands[i]);
	if (ot_suggest_best(&sg))
		ot_diag_hint(g, "did you mean '%s'?", ot_suggest_best(&sg));
}

static int find_param(const struct ot_ast_stmt *def, const char *name)
{
	uint32_t i;

	for (i = 0; i < def->u.tmpl.nparams; i++)
		if (strcmp(def->u.tmpl.params[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Line ends inside the parentheses of a definition or a use: the list may
 * span lines (a template with many arguments, a use with named ones). */
static void skip_newlines(struct parser *p)
{
	const struct ot_token *t;

	while ((t = ps_peek(p, OT_LEX_WORD))->kind == OT_T_NL && t->text[0] == '\n')
		ps_next(p, OT_LEX_WORD);
}

/* After an item of an argument list: 1 after a ',' (consumed; the next
 * item follows), 0 at the ')' (not consumed), -1 (reported) otherwise. */
static int list_next(struct parser *p)
{
	const struct ot_token *t;

	skip_newlines(p);
	t = ps_peek(p, OT_LEX_STMT);
	if (t->kind == OT_T_COMMA) {
		ps_next(p, OT_LEX_STMT);
		skip_newlines(p);
		return 1;
	}
	if (t->kind == OT_T_RPAREN)
		return 0;
	ps_expected(p, t, "',' or ')' after an argument");
	return -1;
}

/* A value: a word, or a string (text with commas or blanks: "22,80"). */
static struct ot_ast_word *read_value(struct parser *p, const char *what)
{
	struct ot_token str;

	if (ps_peek(p, OT_LEX_WORD)->kind != OT_T_STRING)
		return ps_read_word(p, what);
	str = ps_next(p, OT_LEX_WORD);
	return ps_string_word(p, &str);
}

/* A template's or an argument's name (`what`): a variable name (no '-': it
 * appears in expressions). False (reported) when there is none or it is
 * invalid. */
static bool read_var_name(struct parser *p, const char *what, struct ot_token *ret)
{
	const struct ot_token *t = ps_peek(p, OT_LEX_WORD);
	char buf[80];

	if (t->kind != OT_T_WORD) {
		snprintf(buf, sizeof(buf), "a %s name", what);
		ps_expected(p, t, buf);
		return false;
	}
	*ret = ps_next(p, OT_LEX_WORD);
	if (ret->templated || !ot_name_is_var(ret->text, ret->len) || ret->len > OT_MAX_NAME) {
		struct ot_diag *g = ot_diag_error(p->d, ret->loc, "invalid %s name '%s'", what,
						  tok_str(ret, buf, sizeof(buf)));

		ot_diag_hint(g,
			     "%s names are letters, digits and '_' (at most %d bytes), not "
			     "starting with a digit",
			     what, OT_MAX_NAME);
		return false;
	}
	return true;
}

/* One "TYPE NAME [= DEFAULT]"; false (reported) on a syntax error. */
static bool read_tparam(struct parser *p, struct ot_ast_tparam *tp)
{
	const struct ot_token *t = ps_peek(p, OT_LEX_WORD);
	struct ot_token type, name;
	char buf[64];
	struct ot_diag *g;
	int k;

	if (t->kind != OT_T_WORD || t->templated) {
		g = ps_expected(p, t, "an argument: TYPE NAME");
		ot_diag_hint(g, "template server(name net, address addr, int port = 80) { ... }");
		return false;
	}
	type = ps_next(p, OT_LEX_WORD);
	for (k = 0; k < OT_TT__COUNT; k++)
		if (ps_tok_is(&type, ot_ast_ttype_names[k]))
			break;
	if (k == OT_TT__COUNT) {
		g = ot_diag_error(p->d, type.loc, "unknown argument type '%s'",
				  tok_str(&type, buf, sizeof(buf)));
		hint_similar(g, buf, ot_ast_ttype_names, OT_TT__COUNT);
		if (g && !g->hint)
			ot_diag_hint(g, "the types are int, name, address, prefix and word");
		return false;
	}
	if (!read_var_name(p, "argument", &name))
		return false;
	tp->type = (enum ot_ast_ttype)k;
	tp->loc = type.loc;
	tp->loc.len = name.loc.col + name.loc.len - type.loc.col;
	tp->name = ot_arena_strndup(p->a, name.text, name.len);
	if (!tp->name) {
		p->oom = true;
		return false;
	}
	k = ot_builtin_find(tp->name, strlen(tp->name));
	if (k >= 0) {
		g = ot_diag_error(p->d, name.loc, "argument '%s' has the name of a built-in",
				  tp->name);
		ot_diag_hint(g, "%s is %s; choose another name", ot_builtins[k].usage,
			     ot_builtins[k].meaning);
		return false;
	}
	if (ps_peek(p, OT_LEX_STMT)->kind == OT_T_EQ) {
		ps_next(p, OT_LEX_STMT);
		tp->def = read_value(p, "a default value");
		if (!tp->def)
			return false;
	}
	return true;
}

/* Register st by name before its arguments and body are read: a template
 * with an error there stays known (broken), so its uses are not reported as
 * unknown; one that uses itself is caught by ps_use (p->tmpl). */
static bool register_template(struct parser *p, struct ot_ast_stmt *st)
{
	void *old = NULL;
	int r = ot_strmap_put(&p->tmpl_map, st->u.tmpl.name, st, &old);

	if (r == -EEXIST) {
		struct ot_diag *g = ot_diag_error(p->d, st->u.tmpl.name_loc,
						  "duplicate template '%s'", st->u.tmpl.name);

		ot_diag_note(g, ((struct ot_ast_stmt *)old)->u.tmpl.name_loc, "first defined here");
		return false;
	}
	if (r < 0) {
		p->oom = true;
		return false;
	}
	return true;
}

struct ot_ast_stmt *ps_template(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_TEMPLATE, kw);
	struct ot_ast_tparam tps[OT_MAX_TEMPLATE_ARGS];
	const struct ot_token *t;
	struct ot_token name;
	uint32_t n = 0, i;
	int k;

	if (!st)
		return NULL;
	if (!read_var_name(p, "template", &name))
		return NULL;
	if (p->nvars) {
		ot_diag_error(p->d, kw->loc, "'template' is not allowed inside a loop");
		return NULL;
	}
	st->u.tmpl.name = ot_arena_strndup(p->a, name.text, name.len);
	st->u.tmpl.name_loc = name.loc;
	if (!st->u.tmpl.name) {
		p->oom = true;
		return NULL;
	}
	st->u.tmpl.broken = true; /* until its body is read */
	if (!register_template(p, st))
		return NULL;
	t = ps_peek(p, OT_LEX_STMT);
	if (t->kind != OT_T_LPAREN) {
		struct ot_diag *g = ps_expected(p, t, "'(' and the template's arguments");

		ot_diag_hint(g, "template server(name net, int port = 80) { ... }, or "
				"template NAME() { ... } without arguments");
		return NULL;
	}
	ps_next(p, OT_LEX_STMT);
	memset(tps, 0, sizeof(tps));
	skip_newlines(p);
	if (ps_peek(p, OT_LEX_WORD)->kind != OT_T_RPAREN) {
		for (;;) {
			if (n == OT_MAX_TEMPLATE_ARGS) {
				ot_diag_error(p->d, ps_peek(p, OT_LEX_WORD)->loc,
					      "too many arguments (the limit is %d)",
					      OT_MAX_TEMPLATE_ARGS);
				return NULL;
			}
			if (!read_tparam(p, &tps[n]))
				return NULL;
			for (i = 0; i < n; i++) {
				if (strcmp(tps[i].name, tps[n].name) == 0) {
					struct ot_diag *g =
					    ot_diag_error(p->d, tps[n].loc,
							  "duplicate argument '%s'", tps[n].name);

					ot_diag_note(g, tps[i].loc, "first declared here");
					return NULL;
				}
			}
			n++;
			k = list_next(p);
			if (k < 0)
				return NULL;
			if (!k)
				break;
		}
	}
	ps_next(p, OT_LEX_STMT); /* ')' */
	if (n) {
		st->u.tmpl.params = ot_arena_memdup(p->a, tps, n * sizeof(*tps));
		if (!st->u.tmpl.params) {
			p->oom = true;
			return NULL;
		}
	}
	st->u.tmpl.nparams = n;
	p->tmpl = st;
	if (!ps_opt_block(p, st, CTX_CONTAINER, true, "the template's arguments")) {
		p->tmpl = NULL;
		return NULL;
	}
	p->tmpl = NULL;
	st->u.tmpl.broken = false;
	return st;
}

static void unknown_template(struct parser *p, const struct ot_token *name, const char *s)
{
	struct ot_diag *g;
	struct ot_suggest sg;
	size_t i;

	if (p->tmpl && strcmp(s, p->tmpl->u.tmpl.name) == 0) {
		g = ot_diag_error(p->d, name->loc, "template '%s' cannot use itself", s);
		ot_diag_note(g, p->tmpl->u.tmpl.name_loc, "the template is defined here");
		return;
	}
	g = ot_diag_error(p->d, name->loc, "unknown template '%s'", s);
	ot_suggest_init(&sg, s);
	for (i = 0; i < p->tmpl_map.cap; i++)
		if (p->tmpl_map.slots[i].key)
			ot_suggest_add(&sg, p->tmpl_map.slots[i].key);
	if (ot_suggest_best(&sg))
		ot_diag_hint(g, "did you mean '%s'?", ot_suggest_best(&sg));
	else
		ot_diag_hint(g, "a template is defined at top level, above its first use: "
				"template NAME(TYPE ARG, ...) { ... }");
}

/* A named argument "NAME = VALUE": its parameter's index, or -1 (reported). */
static int named_arg(struct parser *p, const struct ot_ast_stmt *def, const struct ot_token *tok,
		     struct ot_ast_word **args)
{
	char buf[80];
	int k;

	tok_str(tok, buf, sizeof(buf));
	k = find_param(def, buf);
	if (k < 0) {
		struct ot_diag *g = ot_diag_error(
		    p->d, tok->loc, "template '%s' has no argument '%s'", def->u.tmpl.name, buf);
		struct ot_suggest sg;
		uint32_t i;

		ot_suggest_init(&sg, buf);
		for (i = 0; i < def->u.tmpl.nparams; i++)
			ot_suggest_add(&sg, def->u.tmpl.params[i].name);
		if (ot_suggest_best(&sg))
			ot_diag_hint(g, "did you mean '%s'?", ot_suggest_best(&sg));
		ot_diag_note(g, def->u.tmpl.name_loc, "template '%s' is defined here",
			     def->u.tmpl.name);
		return -1;
	}
	if (args[k]) {
		struct ot_diag *g =
		    ot_diag_error(p->d, tok->loc, "argument '%s' is given twice", buf);

		ot_diag_note(g, args[k]->loc, "first given here");
		return -1;
	}
	return k;
}

/* The next positional argument w (token tok). */
static bool positional(struct parser *p, const struct ot_ast_stmt *def, struct ot_ast_word **args,
		       uint32_t *npos, bool named, const struct ot_token *tok,
		       struct ot_ast_word *w)
{
	if (named) {
		struct ot_diag *g =
		    ot_diag_error(p->d, tok->loc, "a positional argument after a named one");

		ot_diag_hint(g, "give the arguments in order first, then NAME = VALUE");
		return false;
	}
	if (*npos >= def->u.tmpl.nparams) {
		struct ot_diag *g =
		    ot_diag_error(p->d, tok->loc, "too many arguments: template '%s' takes %u",
				  def->u.tmpl.name, def->u.tmpl.nparams);

		ot_diag_note(g, def->u.tmpl.name_loc, "template '%s' is defined here",
			     def->u.tmpl.name);
		return false;
	}
	args[(*npos)++] = w;
	return true;
}

/* "(ARG, ..., NAME = ARG, ...)" of a call to def, into args[]. */
static bool read_args(struct parser *p, const struct ot_ast_stmt *def, struct ot_ast_word **args)
{
	uint32_t npos = 0;
	bool named = false;

	ps_next(p, OT_LEX_STMT); /* '(' */
	skip_newlines(p);
	if (ps_peek(p, OT_LEX_WORD)->kind == OT_T_RPAREN) {
		ps_next(p, OT_LEX_WORD);
		return true;
	}
	for (;;) {
		const struct ot_token *t = ps_peek(p, OT_LEX_WORD);
		struct ot_ast_word *w;
		struct ot_token tok;
		int k;

		if (t->kind == OT_T_STRING) { /* "22,80": text with commas */
			tok = ps_next(p, OT_LEX_WORD);
			w = ps_string_word(p, &tok);
			if (!w || !positional(p, def, args, &npos, named, &tok, w))
				return false;
			goto after;
		}
		if (t->kind != OT_T_WORD) {
			ps_expected(p, t, "an argument");
			return false;
		}
		tok = ps_next(p, OT_LEX_WORD);
		if (ps_peek(p, OT_LEX_STMT)->kind == OT_T_EQ && !tok.templated &&
		    ot_name_is_var(tok.text, tok.len)) {
			ps_next(p, OT_LEX_STMT);
			k = named_arg(p, def, &tok, args);
			if (k < 0)
				return false;
			w = read_value(p, "the argument's value");
			if (!w)
				return false;
			args[k] = w;
			named = true;
		} else {
			w = ps_build_word(p, &tok, false);
			if (!w || !positional(p, def, args, &npos, named, &tok, w))
				return false;
		}
	after:
		k = list_next(p);
		if (k <= 0) {
			if (!k)
				ps_next(p, OT_LEX_STMT); /* ')' */
			return k == 0;
		}
	}
}

struct ot_ast_stmt *ps_use(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_USE, kw);
	const struct ot_ast_stmt *def;
	const struct ot_token *t;
	struct ot_token name;
	bool ok = true;
	char buf[80];
	uint32_t i;

	if (!st)
		return NULL;
	t = ps_peek(p, OT_LEX_WORD);
	if (t->kind != OT_T_WORD || t->templated) {
		ps_expected(p, t, "a template name");
		return NULL;
	}
	name = ps_next(p, OT_LEX_WORD);
	def = ot_strmap_get(&p->tmpl_map, tok_str(&name, buf, sizeof(buf)));
	if (def == p->tmpl && def) {
		unknown_template(p, &name, buf); /* itself */
		return NULL;
	}
	if (!def) {
		unknown_template(p, &name, buf);
		return NULL;
	}
	if (def->u.tmpl.broken)
		return NULL; /* its definition's error says enough */
	st->u.use.tmpl = def;
	st->u.use.name_loc = name.loc;
	t = ps_peek(p, OT_LEX_STMT);
	if (t->kind != OT_T_LPAREN) {
		struct ot_diag *g = ps_expected(p, t, "'(' and the template's arguments");

		ot_diag_hint(g, "use %s(...), or %s() when it takes no arguments", def->u.tmpl.name,
			     def->u.tmpl.name);
		return NULL;
	}
	if (def->u.tmpl.nparams) {
		st->u.use.args =
		    ot_arena_calloc(p->a, def->u.tmpl.nparams, sizeof(*st->u.use.args));
		if (!st->u.use.args) {
			p->oom = true;
			return NULL;
		}
	}
	if (!read_args(p, def, st->u.use.args))
		return NULL;
	for (i = 0; i < def->u.tmpl.nparams; i++) {
		const struct ot_ast_tparam *tp = &def->u.tmpl.params[i];
		struct ot_diag *g;

		if (st->u.use.args[i] || tp->def)
			continue;
		g = ot_diag_error(p->d, name.loc, "template '%s' needs argument '%s'",
				  def->u.tmpl.name, tp->name);
		ot_diag_note(g, tp->loc, "the argument is declared here");
		ok = false;
	}
	return ok ? st : NULL;
}

/* ------------------------------------------------------------------ */
/* names in expressions                                                 */

bool ps_bind_template_arg(struct parser *p, struct ot_ast_expr *e)
{
	int k;

	if (!p->tmpl)
		return false;
	k = find_param(p->tmpl, e->name);
	if (k < 0)
		return false;
	e->kind = OT_E_ARG;
	e->slot = (uint32_t)k;
	e->num = p->tmpl->u.tmpl.params[k].type;
	return true;
}

void ps_template_var_clash(struct parser *p, const char *var, struct ot_loc loc)
{
	int k;

	if (!p->tmpl || (k = find_param(p->tmpl, var)) < 0)
		return;
	ot_diag_note(
	    ot_diag_error(p->d, loc, "loop variable '%s' has the name of an argument", var),
	    p->tmpl->u.tmpl.params[k].loc, "the argument is declared here");
}

/* The first argument of a non-int type in e (whose depth is bounded by the
 * expression parser), or NULL. */
static const struct ot_ast_expr *text_arg(const struct ot_ast_expr *e)
{
	const struct ot_ast_expr *f;

	if (!e)
		return NULL;
	if (e->kind == OT_E_ARG)
		return e->num == OT_TT_INT ? NULL : e;
	if ((f = text_arg(e->l)))
		return f;
	return text_arg(e->r);
}

bool ps_check_text_args(struct parser *p, const struct ot_ast_expr *e, bool alone_ok)
{
	const struct ot_ast_expr *f;
	struct ot_diag *g;

	if (!p->tmpl || (alone_ok && e->kind == OT_E_ARG))
		return true;
	f = text_arg(e);
	if (!f)
		return true;
	g = ot_diag_error(p->d, f->loc, "argument '%s' is %s %s, not a number", f->name,
			  f->num == OT_TT_ADDR ? "an" : "a", ot_ast_ttype_names[f->num]);
	ot_diag_hint(g, "only int arguments take part in arithmetic; {%s} alone inserts its text",
		     f->name);
	return false;
}

/* ------------------------------------------------------------------ */
/* capabilities                                                         */

struct ot_ast_stmt *ps_caps(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_CAPS, kw);
	const struct ot_token *t;
	struct wordvec wv = {0};

	if (!st)
		return NULL;
	t = ps_peek(p, OT_LEX_STMT);
	if (ps_tok_is(t, "keep")) {
		st->u.caps.keep = true;
	} else if (!ps_tok_is(t, "drop")) {
		struct ot_diag *g = ps_expected(p, t, "'drop' or 'keep' after 'capabilities'");

		ot_diag_hint(g, "capabilities drop net_raw sys_admin, or capabilities keep "
				"net_bind_service (drops all others)");
		return NULL;
	}
	ps_next(p, OT_LEX_STMT);
	do {
		struct ot_ast_word *w = ps_read_word(p, "a capability name such as net_admin");

		if (!w || wv.n >= OT_CAP_COUNT || !ps_wordvec_push(p, &wv, w)) {
			if (w && wv.n >= OT_CAP_COUNT)
				ot_diag_error(p->d, w->loc,
					      "too many capability names (there are %d)",
					      OT_CAP_COUNT);
			free(wv.v);
			return NULL;
		}
	} while (!ps_at_end(ps_peek(p, OT_LEX_STMT)));
	st->u.caps.v = ps_wordvec_finish(p, &wv, &st->u.caps.n);
	return st->u.caps.v ? st : NULL;
}

struct ot_ast_stmt *ps_nnp(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	return ps_new_stmt(p, OT_A_NNP, kw);
}
