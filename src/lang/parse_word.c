/*
 * parse_word.c - the parser's expressions (integer arithmetic over loop
 * variables and params, depth-bounded) and words (literals, strings,
 * templates with {expr} and {expr:fmt} parts). Internal to the parser
 * (parse_int.h).
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
#include "lang/names.h"
#include "util/strbuf.h"

/* ------------------------------------------------------------------ */
/* expressions                                                          */

static struct ot_ast_expr *new_expr(struct parser *p, enum ot_ast_expr_kind k, struct ot_loc loc)
{
	struct ot_ast_expr *e = ot_arena_alloc(p->a, sizeof(*e));

	if (!e) {
		p->oom = true;
		return NULL;
	}
	e->kind = k;
	e->loc = loc;
	return e;
}

static struct ot_loc span(struct ot_loc a, struct ot_loc b)
{
	if (a.line == b.line && b.col + b.len > a.col)
		a.len = b.col + b.len - a.col;
	return a;
}

static void bind_name(struct parser *p, struct ot_ast_expr *e)
{
	struct ot_suggest sg;
	struct pending *pe;
	unsigned i;

	for (i = p->nvars; i-- > 0;) {
		if (strcmp(p->vars[i].name, e->name) == 0) {
			e->kind = OT_E_VAR;
			e->slot = i;
			return;
		}
	}
	if (ps_bind_template_arg(p, e))
		return;
	/* A param (perhaps declared later or in an include): bound at the end. */
	e->kind = OT_E_PARAM;
	p->pend = ps_vec_grow(p, p->pend, &p->cappend, p->npend, sizeof(*p->pend));
	if (!p->pend)
		return;
	ot_suggest_init(&sg, e->name);
	for (i = 0; i < p->nvars; i++)
		ot_suggest_add(&sg, p->vars[i].name);
	pe = &p->pend[p->npend++];
	pe->e = e;
	pe->owner = p->param_owner;
	pe->var_hint = ot_suggest_best(&sg);
}

static struct ot_ast_expr *p_primary(struct parser *p, struct ot_lexer *lx, unsigned depth);

/* A built-in (lang/builtin.h) whose name is tok: NAME, or NAME(EXPR[, EXPR]). */
static struct ot_ast_expr *p_builtin(struct parser *p, struct ot_lexer *lx,
				     const struct ot_token *tok, unsigned depth)
{
	int id = ot_builtin_find(tok->text, tok->len);
	const struct ot_builtin_def *b = &ot_builtins[id];
	struct ot_ast_expr *e = new_expr(p, OT_E_BUILTIN, tok->loc), *a[2] = {NULL, NULL};
	const struct ot_token *t;
	struct ot_loc open;
	unsigned i;

	if (!e)
		return NULL;
	e->name = b->name;
	e->slot = (uint32_t)id;
	t = ot_lex_peek(lx, OT_LEX_EXPR);
	if (!b->nargs)
		return e;
	if (t->kind != OT_T_LPAREN) {
		struct ot_diag *g = ot_diag_error(p->d, tok->loc, "'%s' is a function: write %s",
						  b->name, b->usage);

		ot_diag_hint(g, "%s is %s", b->usage, b->meaning);
		return NULL;
	}
	open = t->loc;
	ot_lex_next(lx, OT_LEX_EXPR);
	for (i = 0; i < b->nargs; i++) {
		if (i) {
			t = ot_lex_peek(lx, OT_LEX_EXPR);
			if (t->kind != OT_T_COMMA) {
				struct ot_diag *g = ps_expected(p, t, "','");

				ot_diag_hint(g, "write %s", b->usage);
				return NULL;
			}
			ot_lex_next(lx, OT_LEX_EXPR);
		}
		a[i] = ps_expr_any(p, lx, depth + 1);
		if (!a[i])
			return NULL;
	}
	t = ot_lex_peek(lx, OT_LEX_EXPR);
	if (t->kind != OT_T_RPAREN) {
		struct ot_diag *g = ps_expected(p, t, "')'");

		ot_diag_note(g, open, "to match this '('");
		ot_diag_hint(g, "write %s", b->usage);
		return NULL;
	}
	e->loc = span(tok->loc, ot_lex_next(lx, OT_LEX_EXPR).loc);
	e->l = a[0];
	e->r = a[1];
	return e;
}

static struct ot_ast_expr *p_primary(struct parser *p, struct ot_lexer *lx, unsigned depth)
{
	const struct ot_token *t = ot_lex_peek(lx, OT_LEX_EXPR);
	struct ot_ast_expr *e;
	struct ot_token tok;
	char buf[64];

	if (depth > EXPR_MAX_DEPTH) {
		ot_diag_error(p->d, t->loc, "expression nested too deeply (the limit is %d)",
			      EXPR_MAX_DEPTH);
		return NULL;
	}
	switch (t->kind) {
	case OT_T_NUM:
		tok = ot_lex_next(lx, OT_LEX_EXPR);
		if (tok.bad)
			return NULL;
		e = new_expr(p, OT_E_NUM, tok.loc);
		if (e)
			e->num = tok.num;
		return e;
	case OT_T_IDENT:
		tok = ot_lex_next(lx, OT_LEX_EXPR);
		if (tok.len > OT_MAX_NAME) {
			ot_diag_error(p->d, tok.loc, "name is longer than %d bytes", OT_MAX_NAME);
			return NULL;
		}
		if (ot_builtin_find(tok.text, tok.len) >= 0)
			return p_builtin(p, lx, &tok, depth);
		e = new_expr(p, OT_E_PARAM, tok.loc);
		if (!e)
			return NULL;
		e->name = ot_arena_strndup(p->a, tok.text, tok.len);
		if (!e->name)
			return NULL;
		bind_name(p, e);
		return e;
	case OT_T_LPAREN: {
		struct ot_loc open = t->loc;

		ot_lex_next(lx, OT_LEX_EXPR);
		e = ps_expr_any(p, lx, depth + 1);
		if (!e)
			return NULL;
		t = ot_lex_peek(lx, OT_LEX_EXPR);
		if (t->kind != OT_T_RPAREN) {
			struct ot_diag *g = ps_expected(p, t, "')'");

			ot_diag_note(g, open, "to match this '('");
			return NULL;
		}
		tok = ot_lex_next(lx, OT_LEX_EXPR);
		e->loc = span(open, tok.loc);
		return e;
	}
	case OT_T_MINUS: {
		struct ot_ast_expr *sub;

		tok = ot_lex_next(lx, OT_LEX_EXPR);
		sub = p_primary(p, lx, depth + 1);
		if (!sub)
			return NULL;
		e = new_expr(p, OT_E_NEG, span(tok.loc, sub->loc));
		if (e)
			e->l = sub;
		return e;
	}
	default:
		if (!t->bad)
			ot_diag_error(p->d, t->loc, "expected a number, a name or '(', found %s",
				      ot_tok_describe(t, buf, sizeof(buf)));
		return NULL;
	}
}

/* Binary operators by precedence level: 0 binds loosest. All are left
 * associative. */
static const struct {
	enum ot_tok_kind tok;
	enum ot_ast_expr_kind kind;
	unsigned level;
} binops[] = {
    {OT_T_PLUS, OT_E_ADD, 0},  {OT_T_MINUS, OT_E_SUB, 0},   {OT_T_STAR, OT_E_MUL, 1},
    {OT_T_SLASH, OT_E_DIV, 1}, {OT_T_PERCENT, OT_E_MOD, 1},
};
#define BINOP_LEVELS 2

static bool binop_at(enum ot_tok_kind tok, unsigned level, enum ot_ast_expr_kind *kind)
{
	size_t i;

	for (i = 0; i < sizeof(binops) / sizeof(binops[0]); i++)
		if (binops[i].tok == tok && binops[i].level == level) {
			*kind = binops[i].kind;
			return true;
		}
	return false;
}

/* The operands of level's operators: the next tighter level, or a primary. */
static struct ot_ast_expr *p_binary(struct parser *p, struct ot_lexer *lx, unsigned depth,
				    unsigned level);

static struct ot_ast_expr *p_operand(struct parser *p, struct ot_lexer *lx, unsigned depth,
				     unsigned level)
{
	return level + 1 < BINOP_LEVELS ? p_binary(p, lx, depth, level + 1)
					: p_primary(p, lx, depth);
}

static struct ot_ast_expr *p_binary(struct parser *p, struct ot_lexer *lx, unsigned depth,
				    unsigned level)
{
	struct ot_ast_expr *l = p_operand(p, lx, depth, level), *r, *e;
	enum ot_ast_expr_kind k;

	while (l && binop_at(ot_lex_peek(lx, OT_LEX_EXPR)->kind, level, &k)) {
		ot_lex_next(lx, OT_LEX_EXPR);
		r = p_operand(p, lx, depth, level);
		if (!r)
			return NULL;
		e = new_expr(p, k, span(l->loc, r->loc));
		if (!e)
			return NULL;
		e->l = l;
		e->r = r;
		l = e;
	}
	return l;
}

struct ot_ast_expr *ps_expr_any(struct parser *p, struct ot_lexer *lx, unsigned depth)
{
	return p_binary(p, lx, depth, 0);
}

/* An integer expression: a template's non-int argument may not appear in it. */
struct ot_ast_expr *ps_expr(struct parser *p, struct ot_lexer *lx, unsigned depth)
{
	struct ot_ast_expr *e = ps_expr_any(p, lx, depth);

	return e && ps_check_text_args(p, e, false) ? e : NULL;
}

/* ------------------------------------------------------------------ */
/* words                                                                */

/* ":x", ":02x", ":3", ":d": zero-padded width, then d/x/X. */
static bool parse_format(const char *s, size_t len, struct ot_ast_seg *seg)
{
	size_t i = 0;
	unsigned w = 0;

	seg->conv = 'd';
	if (len == 0)
		return false;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		w = w * 10 + (unsigned)(s[i] - '0');
		if (w > FMT_MAX_WIDTH)
			return false;
		i++;
	}
	if (i < len && (s[i] == 'x' || s[i] == 'X' || s[i] == 'd'))
		seg->conv = s[i++];
	seg->width = (uint8_t)w;
	return i == len;
}

/* Parse the template whose inside is [s, q) of token t into seg. */
static bool parse_template(struct parser *p, const struct ot_token *t, const char *s, const char *q,
			   struct ot_ast_seg *seg)
{
	const struct ot_token *nt;
	struct ot_lexer sub;
	char buf[64];

	ot_lex_sub_init(&sub, &p->lx, &t->loc, t->text, s, q);
	if (ot_lex_peek(&sub, OT_LEX_EXPR)->kind == OT_T_EOF) {
		struct ot_loc l = t->loc;

		l.col += (uint32_t)(s - 1 - t->text);
		l.len = (uint32_t)(q - s) + 2;
		ot_diag_error(p->d, l, "empty template");
		return false;
	}
	seg->e = ps_expr_any(p, &sub, 0);
	if (!seg->e || !ps_check_text_args(p, seg->e, !seg->index))
		return false;
	nt = ot_lex_peek(&sub, OT_LEX_EXPR);
	if (seg->e->kind == OT_E_ARG && seg->e->num != OT_TT_INT && nt->kind == OT_T_COLON) {
		ot_diag_error(p->d, nt->loc, "argument '%s' is text: it has no number format",
			      seg->e->name);
		return false;
	}
	if (nt->kind == OT_T_COLON && !seg->index) {
		const char *f = nt->text + 1;
		struct ot_loc l = nt->loc;

		l.len = (uint32_t)(q - nt->text);
		if (!parse_format(f, (size_t)(q - f), seg)) {
			struct ot_diag *g = ot_diag_error(p->d, l, "invalid template format '%.*s'",
							  (int)(q - nt->text), nt->text);

			ot_diag_hint(g, "use :x or :X (hexadecimal) or :d, with an optional "
					"zero-padded width: {i:02x}");
			return false;
		}
		return true;
	}
	if (nt->kind != OT_T_EOF) {
		if (!nt->bad)
			ot_diag_error(p->d, nt->loc, "unexpected %s in template",
				      ot_tok_describe(nt, buf, sizeof(buf)));
		return false;
	}
	return true;
}

/*
 * A word token -> AST word. index_ok: "NAME[EXPR]" (node names) is an
 * index template; elsewhere '[' and ']' are ordinary characters (as in
 * "[fd00::5]:80").
 */
struct ot_ast_word *ps_build_word(struct parser *p, const struct ot_token *t, bool index_ok)
{
	struct ot_ast_word *w;
	const char *s, *e, *run, *copy;
	size_t n = 1, i;

	if (t->bad)
		return NULL;
	if (!t->templated || (!index_ok && !memchr(t->text, '{', t->len))) {
		/* a literal: the word and its text in one allocation */
		char *text;

		w = ot_arena_alloc(p->a, sizeof(*w) + t->len + 1);
		if (!w) {
			p->oom = true;
			return NULL;
		}
		text = (char *)(w + 1);
		memcpy(text, t->text, t->len);
		text[t->len] = '\0';
		w->loc = t->loc;
		w->lit = text;
		return w;
	}
	w = ot_arena_alloc(p->a, sizeof(*w));
	if (!w) {
		p->oom = true;
		return NULL;
	}
	w->loc = t->loc;
	for (i = 0; i < t->len; i++)
		n += t->text[i] == '{' || t->text[i] == '[';
	/* the segments' text must outlive the source buffer */
	copy = ot_arena_strndup(p->a, t->text, t->len);
	w->segs = ot_arena_calloc(p->a, n, sizeof(*w->segs));
	if (!w->segs || !copy) {
		p->oom = true;
		return NULL;
	}
	s = run = t->text;
	e = t->text + t->len;
	while (s < e) {
		struct ot_ast_seg *seg;
		const char *q;
		char close;

		if (*s != '{' && !(*s == '[' && index_ok)) {
			s++;
			continue;
		}
		close = *s == '{' ? '}' : ']';
		q = memchr(s + 1, close, (size_t)(e - s - 1));
		if (!q) {
			struct ot_loc l = t->loc;

			l.col += (uint32_t)(s - t->text);
			l.len = 1;
			ot_diag_error(p->d, l, "unterminated template: missing '%c'", close);
			return NULL;
		}
		seg = &w->segs[w->nsegs++];
		seg->text = copy + (run - t->text);
		seg->len = (uint32_t)(s - run);
		seg->index = *s == '[';
		seg->conv = 'd';
		if (!parse_template(p, t, s + 1, q, seg))
			return NULL;
		s = run = q + 1;
	}
	if (run < e) {
		w->segs[w->nsegs].text = copy + (run - t->text);
		w->segs[w->nsegs].len = (uint32_t)(e - run);
		w->nsegs++;
	}
	return w;
}

/* Read one value word; NULL (reported) when there is none. */
struct ot_ast_word *ps_read_word(struct parser *p, const char *what)
{
	const struct ot_token *t = ps_peek(p, OT_LEX_WORD);
	struct ot_token tok;

	if (t->kind != OT_T_WORD) {
		ps_expected(p, t, what);
		return NULL;
	}
	tok = ps_next(p, OT_LEX_WORD);
	return ps_build_word(p, &tok, false);
}

/* A node reference: a name, a templated name, or NAME[EXPR]. */
struct ot_ast_word *ps_read_node_word(struct parser *p)
{
	const struct ot_token *t = ps_peek(p, OT_LEX_WORD);
	struct ot_ast_word *w;
	struct ot_token tok;
	uint32_t i;

	if (t->kind != OT_T_WORD) {
		ps_expected(p, t, "a node name");
		return NULL;
	}
	tok = ps_next(p, OT_LEX_WORD);
	w = ps_build_word(p, &tok, true);
	if (!w)
		return NULL;
	for (i = 0; i < w->nsegs; i++) {
		if (!w->segs[i].index)
			continue;
		if (i + 1 != w->nsegs || w->nsegs != 1 || w->segs[i].len == 0) {
			ot_diag_error(p->d, w->loc,
				      "'[...]' is only allowed once, at the end of a "
				      "node name: NAME[EXPR]");
			return NULL;
		}
	}
	return w;
}

/* A word holding a string token's text (unescaped). */
struct ot_ast_word *ps_string_word(struct parser *p, const struct ot_token *t)
{
	struct ot_ast_word *w;
	char *s;
	size_t i, n = 0;

	if (t->bad)
		return NULL;
	w = ot_arena_alloc(p->a, sizeof(*w));
	s = ot_arena_alloc(p->a, t->len + 1);
	if (!w || !s) {
		p->oom = true;
		return NULL;
	}
	for (i = 0; i < t->len; i++) {
		if (t->text[i] == '\\' && i + 1 < t->len)
			i++;
		s[n++] = t->text[i];
	}
	s[n] = '\0';
	w->loc = t->loc;
	w->lit = s;
	return w;
}

bool ps_wordvec_push(struct parser *p, struct wordvec *wv, struct ot_ast_word *w)
{
	wv->v = ps_vec_grow(p, wv->v, &wv->cap, wv->n, sizeof(*wv->v));
	if (!wv->v)
		return false;
	wv->v[wv->n++] = w;
	return true;
}

struct ot_ast_word **ps_wordvec_finish(struct parser *p, struct wordvec *wv, uint32_t *ret_n)
{
	struct ot_ast_word **v = NULL;

	if (wv->n)
		v = ot_arena_memdup(p->a, wv->v, wv->n * sizeof(*v));
	if (wv->n && !v)
		p->oom = true;
	free(wv->v);
	wv->v = NULL;
	*ret_n = v ? (uint32_t)wv->n : 0;
	return v;
}
