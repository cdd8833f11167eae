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
 */
#include "lang/parse.h"

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

#include "lang/lex.h"
#include "lang/names.h"
#include "model/model.h" /* the limits */
#include "plan/plan.h"	 /* OT_ISO_*, OT_MACVLAN_* */
#include "util/hash.h"
#include "util/strbuf.h"

#define EXPR_MAX_DEPTH	  64
#define MAX_INCLUDE_FILES 1024
#define MAX_LIST_WORDS	  4096 /* values in one statement (addresses, ranks...) */
#define FMT_MAX_WIDTH	  32

enum ctx { CTX_TOP, CTX_NETWORK, CTX_CONTAINER, CTX_FIREWALL, CTX_NAT, CTX__COUNT };

/* A name in an expression waiting for the params of every file. */
struct pending {
	struct ot_ast_expr *e;
	int owner;	      /* index of the param whose default holds it, or -1 */
	const char *var_hint; /* closest loop variable in scope, for the hint */
};

struct loopvar {
	const char *name;
	struct ot_loc loc;
};

struct parser {
	struct ot_lexer lx;
	struct ot_ast *ast;
	struct ot_arena *a;
	struct ot_diags *d;
	const struct ot_parse_opts *o;

	unsigned include_depth;
	struct {
		unsigned long long dev, ino;
		bool known;
	} stack[OT_MAX_INCLUDE_DEPTH + 1];
	bool main_file;
	bool eof_reported;
	bool first_seen; /* main file: a statement was seen */

	struct loopvar vars[OT_MAX_LOOP_DEPTH];
	unsigned nvars;
	struct loopvar *allvars; /* every loop variable of every file */
	size_t nallvars, capallvars;

	struct pending *pend;
	size_t npend, cappend;
	int param_owner;

	struct ot_ast_param *params;
	size_t nparams, capparams;
	struct ot_strmap param_map;
	bool oom;
};

typedef struct ot_ast_stmt *(*stmt_fn)(struct parser *p, const struct ot_token *kw, enum ctx ctx);

struct kw {
	const char *name;
	stmt_fn fn;
};

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

static const struct ot_token *peek(struct parser *p, enum ot_lex_mode m)
{
	return ot_lex_peek(&p->lx, m);
}

static struct ot_token next(struct parser *p, enum ot_lex_mode m)
{
	return ot_lex_next(&p->lx, m);
}

static bool tok_is(const struct ot_token *t, const char *kw)
{
	/* (the token may hold NUL bytes: a damaged word; compare lengths first) */
	return t->kind == OT_T_WORD && !t->templated && t->len && t->text[0] == kw[0] &&
	       t->len == strlen(kw) && memcmp(t->text, kw, t->len) == 0;
}

static bool at_end(const struct ot_token *t)
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
    [OT_A_RULE] = PAYLOAD(rule),
    [OT_A_POLICY] = PAYLOAD(policy),
    [OT_A_MASQUERADE] = PAYLOAD(nat),
    [OT_A_SNAT] = PAYLOAD(nat),
    [OT_A_DNAT] = PAYLOAD(nat),
};

static struct ot_ast_stmt *new_stmt(struct parser *p, enum ot_ast_kind kind,
				    const struct ot_token *kw)
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
static struct ot_diag *expected(struct parser *p, const struct ot_token *t, const char *what)
{
	char buf[64];

	if (t->bad)
		return NULL; /* its lexical error says enough */
	return ot_diag_error(p->d, t->loc, "expected %s, found %s", what,
			     ot_tok_describe(t, buf, sizeof(buf)));
}

static bool expect_kw(struct parser *p, const char *kw, const char *where)
{
	const struct ot_token *t = peek(p, OT_LEX_STMT);
	char what[64];

	if (tok_is(t, kw)) {
		next(p, OT_LEX_STMT);
		return true;
	}
	snprintf(what, sizeof(what), "'%s' %s", kw, where);
	expected(p, t, what);
	return false;
}

/* Skip the rest of a broken statement, with any blocks it opened. Stops
 * before a '}' that closes the enclosing block. */
static void recover(struct parser *p)
{
	size_t depth = 0;

	for (;;) {
		const struct ot_token *t = peek(p, OT_LEX_STMT);

		if (t->kind == OT_T_EOF)
			return;
		if (t->kind == OT_T_RBRACE && depth == 0)
			return;
		next(p, OT_LEX_STMT);
		if (t->kind == OT_T_NL && depth == 0)
			return;
		if (t->kind == OT_T_LBRACE)
			depth++;
		else if (t->kind == OT_T_RBRACE)
			depth--;
	}
}

static void *vec_grow(struct parser *p, void *v, size_t *cap, size_t n, size_t sz)
{
	void *nv;
	size_t ncap;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 16;
	nv = realloc(v, ncap * sz);
	if (!nv) {
		p->oom = true;
		return NULL;
	}
	*cap = ncap;
	return nv;
}

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

static struct ot_ast_expr *p_expr(struct parser *p, struct ot_lexer *lx, unsigned depth);

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
	/* A param (perhaps declared later or in an include): bound at the end. */
	e->kind = OT_E_PARAM;
	p->pend = vec_grow(p, p->pend, &p->cappend, p->npend, sizeof(*p->pend));
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
		e = p_expr(p, lx, depth + 1);
		if (!e)
			return NULL;
		t = ot_lex_peek(lx, OT_LEX_EXPR);
		if (t->kind != OT_T_RPAREN) {
			struct ot_diag *g = expected(p, t, "')'");

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
	{OT_T_PLUS, OT_E_ADD, 0},
	{OT_T_MINUS, OT_E_SUB, 0},
	{OT_T_STAR, OT_E_MUL, 1},
	{OT_T_SLASH, OT_E_DIV, 1},
	{OT_T_PERCENT, OT_E_MOD, 1},
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

static struct ot_ast_expr *p_expr(struct parser *p, struct ot_lexer *lx, unsigned depth)
{
	return p_binary(p, lx, depth, 0);
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
	seg->e = p_expr(p, &sub, 0);
	if (!seg->e)
		return false;
	nt = ot_lex_peek(&sub, OT_LEX_EXPR);
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
static struct ot_ast_word *build_word(struct parser *p, const struct ot_token *t, bool index_ok)
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
static struct ot_ast_word *read_word(struct parser *p, const char *what)
{
	const struct ot_token *t = peek(p, OT_LEX_WORD);
	struct ot_token tok;

	if (t->kind != OT_T_WORD) {
		expected(p, t, what);
		return NULL;
	}
	tok = next(p, OT_LEX_WORD);
	return build_word(p, &tok, false);
}

/* A node reference: a name, a templated name, or NAME[EXPR]. */
static struct ot_ast_word *read_node_word(struct parser *p)
{
	const struct ot_token *t = peek(p, OT_LEX_WORD);
	struct ot_ast_word *w;
	struct ot_token tok;
	uint32_t i;

	if (t->kind != OT_T_WORD) {
		expected(p, t, "a node name");
		return NULL;
	}
	tok = next(p, OT_LEX_WORD);
	w = build_word(p, &tok, true);
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
static struct ot_ast_word *string_word(struct parser *p, const struct ot_token *t)
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

/* A growing list of words, copied into the arena at the end. */
struct wordvec {
	struct ot_ast_word **v;
	size_t n, cap;
};

static bool wordvec_push(struct parser *p, struct wordvec *wv, struct ot_ast_word *w)
{
	wv->v = vec_grow(p, wv->v, &wv->cap, wv->n, sizeof(*wv->v));
	if (!wv->v)
		return false;
	wv->v[wv->n++] = w;
	return true;
}

static struct ot_ast_word **wordvec_finish(struct parser *p, struct wordvec *wv, uint32_t *ret_n)
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

/* ------------------------------------------------------------------ */
/* options: "KEYWORD value" pairs and bare keywords, in any order       */

enum optkind {
	OPT_WORD,   /* kw WORD */
	OPT_WORDS,  /* kw WORD... (until the next option or the end) */
	OPT_CHOICE, /* a bare keyword setting *u8 = val */
	OPT_FLAG,   /* a bare keyword setting *flag */
};

struct optdef {
	const char *kw;
	enum optkind kind;
	const char *what; /* OPT_WORD(S): "an address"; OPT_CHOICE: "protocol" */
	struct ot_ast_word **w;
	struct wordvec *wv;
	uint8_t *u8;
	uint8_t val;
	struct ot_loc *loc;
	bool *flag;
};

static const struct optdef *find_opt(const struct optdef *defs, size_t n, const struct ot_token *t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tok_is(t, defs[i].kw))
			return &defs[i];
	return NULL;
}

static bool parse_opts(struct parser *p, const char *stmt, const struct optdef *defs, size_t n)
{
	for (;;) {
		const struct ot_token *t = peek(p, OT_LEX_STMT);
		const struct optdef *o;
		struct ot_token kw;

		if (at_end(t))
			return true;
		o = find_opt(defs, n, t);
		if (!o) {
			char buf[64], tmp[64];
			struct ot_suggest sg;
			struct ot_diag *g;
			size_t i;

			if (t->bad)
				return false;
			g = ot_diag_error(p->d, t->loc, "unexpected %s in '%s' statement",
					  ot_tok_describe(t, buf, sizeof(buf)), stmt);
			if (t->kind == OT_T_WORD && !t->templated && t->len < sizeof(tmp)) {
				memcpy(tmp, t->text, t->len);
				tmp[t->len] = '\0';
				ot_suggest_init(&sg, tmp);
				for (i = 0; i < n; i++)
					ot_suggest_add(&sg, defs[i].kw);
				if (ot_suggest_best(&sg))
					ot_diag_hint(g, "did you mean '%s'?", ot_suggest_best(&sg));
			}
			return false;
		}
		kw = next(p, OT_LEX_STMT);
		switch (o->kind) {
		case OPT_WORD:
			if (*o->w) {
				struct ot_diag *g =
				    ot_diag_error(p->d, kw.loc, "duplicate '%s'", o->kw);

				ot_diag_note(g, (*o->w)->loc, "first given here");
				return false;
			}
			*o->w = read_word(p, o->what);
			if (!*o->w)
				return false;
			break;
		case OPT_WORDS: {
			size_t before = o->wv->n;

			for (;;) {
				const struct ot_token *v = peek(p, OT_LEX_WORD);
				struct ot_ast_word *w;
				struct ot_token vt;

				if (v->kind != OT_T_WORD || find_opt(defs, n, v))
					break;
				vt = next(p, OT_LEX_WORD);
				w = build_word(p, &vt, false);
				if (!w)
					return false;
				if (o->wv->n >= MAX_LIST_WORDS) {
					ot_diag_error(p->d, w->loc,
						      "too many values (the limit is %d)",
						      MAX_LIST_WORDS);
					return false;
				}
				if (!wordvec_push(p, o->wv, w))
					return false;
			}
			if (o->wv->n == before) {
				expected(p, peek(p, OT_LEX_WORD), o->what);
				return false;
			}
			break;
		}
		case OPT_CHOICE:
			if (*o->u8) {
				struct ot_diag *g =
				    ot_diag_error(p->d, kw.loc, "more than one %s", o->what);

				ot_diag_note(g, *o->loc, "first given here");
				return false;
			}
			*o->u8 = o->val;
			*o->loc = kw.loc;
			break;
		case OPT_FLAG:
			if (*o->flag) {
				ot_diag_error(p->d, kw.loc, "duplicate '%s'", o->kw);
				return false;
			}
			*o->flag = true;
			break;
		}
	}
}

#define NOPTS(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* top-level statements                                                 */

static struct ot_ast_stmt *p_topology(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_TOPOLOGY, kw);
	struct ot_ast_word *w;

	if (!st)
		return NULL;
	w = read_word(p, "a topology name");
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
	struct ot_ast_stmt *st = new_stmt(p, OT_A_PARAM, kw);
	const struct ot_token *t;
	struct ot_ast_param *pa;
	struct ot_token name;
	void *old = NULL;
	int r;

	if (!st)
		return NULL;
	t = peek(p, OT_LEX_WORD);
	if (t->kind != OT_T_WORD) {
		expected(p, t, "a parameter name");
		return NULL;
	}
	name = next(p, OT_LEX_WORD);
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
	t = peek(p, OT_LEX_STMT);
	if (t->kind != OT_T_EQ) {
		expected(p, t, "'=' after the parameter name");
		return NULL;
	}
	next(p, OT_LEX_STMT);
	if (p->nvars) {
		ot_diag_error(p->d, kw->loc, "'param' is not allowed inside a loop");
		return NULL;
	}
	p->param_owner = (int)p->nparams;
	st->u.param.value = p_expr(p, &p->lx, 0);
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
	p->params = vec_grow(p, p->params, &p->capparams, p->nparams, sizeof(*p->params));
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
	struct ot_ast_stmt *st = new_stmt(p, OT_A_INCLUDE, kw);
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
	t = peek(p, OT_LEX_STMT);
	if (t->kind != OT_T_STRING) {
		struct ot_diag *e = expected(p, t, "a quoted file name after 'include'");

		ot_diag_hint(e, "include \"common.otp\"");
		return NULL;
	}
	tok = next(p, OT_LEX_STMT);
	w = string_word(p, &tok);
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
	struct ot_ast_stmt *st = new_stmt(p, OT_A_VXLAN_PORT, kw);

	if (!st || !expect_kw(p, "port", "after 'vxlan'"))
		return NULL;
	st->u.w = read_word(p, "a UDP port number");
	return st->u.w ? st : NULL;
}

static struct ot_ast_stmt *p_node(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_NODE, kw);

	if (!st)
		return NULL;
	st->u.w = read_node_word(p);
	return st->u.w ? st : NULL;
}

/* An optional "{ ... }" after a statement header. */
static bool opt_block(struct parser *p, struct ot_ast_stmt *st, enum ctx ctx, bool required,
		      const char *what)
{
	const struct ot_token *t = peek(p, OT_LEX_STMT);
	struct ot_token open;

	if (t->kind != OT_T_LBRACE) {
		if (required || !at_end(t)) {
			char buf[80];

			snprintf(buf, sizeof(buf),
				 required ? "'{' after %s" : "'{' or end of line after %s", what);
			expected(p, t, buf);
			return false;
		}
		return true;
	}
	open = next(p, OT_LEX_STMT);
	st->body = parse_items(p, ctx, &open);
	return true;
}

static struct ot_ast_stmt *p_network(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_NETWORK, kw);

	if (!st)
		return NULL;
	st->u.named.name = read_word(p, "a network name");
	if (!st->u.named.name || !opt_block(p, st, CTX_NETWORK, false, "the network name"))
		return NULL;
	return st;
}

static struct ot_ast_stmt *p_link(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_LINK, kw);
	struct optdef defs[1];

	if (!st)
		return NULL;
	st->u.link.a = read_word(p, "CONTAINER.IFACE");
	if (!st->u.link.a)
		return NULL;
	if (!expect_kw(p, "--", "between the two ends of the link"))
		return NULL;
	st->u.link.b = read_word(p, "CONTAINER.IFACE");
	if (!st->u.link.b)
		return NULL;
	defs[0] =
	    (struct optdef){.kw = "mtu", .kind = OPT_WORD, .what = "an MTU", .w = &st->u.link.mtu};
	return parse_opts(p, "link", defs, NOPTS(defs)) ? st : NULL;
}

static struct ot_ast_stmt *p_container(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_CONTAINER, kw);

	if (!st)
		return NULL;
	st->u.named.name = read_word(p, "a container name");
	if (!st->u.named.name)
		return NULL;
	if (!expect_kw(p, "on", "and a node after the container name"))
		return NULL;
	st->u.named.node = read_node_word(p);
	if (!st->u.named.node || !opt_block(p, st, CTX_CONTAINER, false, "the node name"))
		return NULL;
	return st;
}

static void skip_block(struct parser *p)
{
	next(p, OT_LEX_STMT); /* the '{' */
	{
		size_t depth = 1;

		while (depth) {
			struct ot_token t = next(p, OT_LEX_STMT);

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
	struct ot_ast_stmt *st = new_stmt(p, OT_A_FOR, kw);
	const struct ot_token *t;
	struct ot_token var, open;
	unsigned i;

	if (!st)
		return NULL;
	t = peek(p, OT_LEX_WORD);
	if (t->kind != OT_T_WORD) {
		expected(p, t, "a loop variable");
		return NULL;
	}
	var = next(p, OT_LEX_WORD);
	if (var.templated || !ot_name_is_var(var.text, var.len) || var.len > OT_MAX_NAME) {
		struct ot_diag *g = ot_diag_error(p->d, var.loc, "invalid loop variable '%.*s'",
						  (int)(var.len > 64 ? 64 : var.len), var.text);

		ot_diag_hint(g, "loop variables are letters, digits and '_', not starting with a "
				"digit");
		return NULL;
	}
	st->u.loop.var = ot_arena_strndup(p->a, var.text, var.len);
	st->u.loop.var_loc = var.loc;
	if (!st->u.loop.var || !expect_kw(p, "in", "after the loop variable"))
		return NULL;
	st->u.loop.lo = p_expr(p, &p->lx, 0);
	if (!st->u.loop.lo)
		return NULL;
	t = peek(p, OT_LEX_EXPR);
	if (t->kind != OT_T_DOTDOT) {
		struct ot_diag *g = expected(p, t, "'..' in the loop range");

		ot_diag_hint(g, "for i in 0..15 { ... }");
		return NULL;
	}
	next(p, OT_LEX_EXPR);
	st->u.loop.hi = p_expr(p, &p->lx, 0);
	if (!st->u.loop.hi)
		return NULL;
	t = peek(p, OT_LEX_STMT);
	if (t->kind != OT_T_LBRACE) {
		expected(p, t, "'{' after the loop range");
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
	p->allvars = vec_grow(p, p->allvars, &p->capallvars, p->nallvars, sizeof(*p->allvars));
	if (!p->allvars)
		return NULL;
	p->allvars[p->nallvars].name = st->u.loop.var;
	p->allvars[p->nallvars++].loc = var.loc;
	st->u.loop.depth = p->nvars;
	p->vars[p->nvars].name = st->u.loop.var;
	p->vars[p->nvars++].loc = var.loc;
	open = next(p, OT_LEX_STMT);
	st->body = parse_items(p, ctx, &open);
	p->nvars--;
	return st;
}

/* ------------------------------------------------------------------ */
/* network block                                                        */

static struct ot_ast_stmt *p_subnet(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_SUBNET, kw);
	struct wordvec wv = {0};

	if (!st)
		return NULL;
	do {
		struct ot_ast_word *w = read_word(p, "a subnet such as 10.0.0.0/24");

		if (!w || !wordvec_push(p, &wv, w) || wv.n > 2) {
			if (w && wv.n > 2)
				ot_diag_error(
				    p->d, w->loc,
				    "a network has at most two subnets (one IPv4, one IPv6)");
			free(wv.v);
			return NULL;
		}
	} while (!at_end(peek(p, OT_LEX_STMT)));
	st->u.list.v = wordvec_finish(p, &wv, &st->u.list.n);
	return st->u.list.v ? st : NULL;
}

static struct ot_ast_stmt *p_one_word(struct parser *p, const struct ot_token *kw,
				      enum ot_ast_kind kind, const char *what)
{
	struct ot_ast_stmt *st = new_stmt(p, kind, kw);

	if (!st)
		return NULL;
	st->u.w = read_word(p, what);
	return st->u.w ? st : NULL;
}

static struct ot_ast_stmt *p_vni(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	return p_one_word(p, kw, OT_A_VNI, "a VNI (1..16777215)");
}

static struct ot_ast_stmt *p_mtu(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	return p_one_word(p, kw, OT_A_MTU, "an MTU (68..65535)");
}

static struct ot_ast_stmt *p_bridge(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_BRIDGE, kw);

	if (!st || !expect_kw(p, "always", "after 'bridge'"))
		return NULL;
	return st;
}

static struct ot_ast_stmt *p_uplink(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_UPLINK, kw);
	const struct ot_token *t;

	if (!st || !expect_kw(p, "on", "and a node after 'uplink'"))
		return NULL;
	st->u.uplink.node = read_node_word(p);
	if (!st->u.uplink.node || !expect_kw(p, "address", "after the uplink's node"))
		return NULL;
	st->u.uplink.addr = read_word(p, "an address with prefix length such as 10.0.0.1/24");
	if (!st->u.uplink.addr)
		return NULL;
	t = peek(p, OT_LEX_STMT);
	if (tok_is(t, "masquerade")) {
		next(p, OT_LEX_STMT);
		st->u.uplink.masquerade = true;
		t = peek(p, OT_LEX_STMT);
		if (tok_is(t, "out")) {
			next(p, OT_LEX_STMT);
			st->u.uplink.out = read_word(p, "a host interface name");
			if (!st->u.uplink.out)
				return NULL;
		}
	}
	t = peek(p, OT_LEX_STMT);
	if (!at_end(t)) {
		expected(p, t,
			 st->u.uplink.masquerade
			     ? (st->u.uplink.out ? "end of line" : "'out' or end of line")
			     : "'masquerade' or end of line");
		return NULL;
	}
	return st;
}

/* ------------------------------------------------------------------ */
/* container block                                                      */

static const struct {
	const char *kw;
	unsigned flag;
} iso_kws[] = {
    {"net", OT_ISO_NET}, {"uts", OT_ISO_UTS},	{"ipc", OT_ISO_IPC},
    {"pid", OT_ISO_PID}, {"mount", OT_ISO_MNT}, {"cgroup", OT_ISO_CGROUP},
};

static struct ot_ast_stmt *p_isolate(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_ISOLATE, kw);
	size_t i;

	if (!st)
		return NULL;
	do {
		const struct ot_token *t = peek(p, OT_LEX_STMT);
		char buf[64];

		for (i = 0; i < NOPTS(iso_kws); i++)
			if (tok_is(t, iso_kws[i].kw))
				break;
		if (i == NOPTS(iso_kws)) {
			struct ot_diag *g =
			    expected(p, t, "a namespace kind (net uts ipc pid mount cgroup)");
			struct ot_suggest sg;

			if (g && t->kind == OT_T_WORD && t->len < sizeof(buf)) {
				memcpy(buf, t->text, t->len);
				buf[t->len] = '\0';
				ot_suggest_init(&sg, buf);
				for (i = 0; i < NOPTS(iso_kws); i++)
					ot_suggest_add(&sg, iso_kws[i].kw);
				if (ot_suggest_best(&sg))
					ot_diag_hint(g, "did you mean '%s'?", ot_suggest_best(&sg));
			}
			return NULL;
		}
		if (st->u.isolate.mask & iso_kws[i].flag) {
			ot_diag_error(p->d, t->loc, "duplicate '%s'", iso_kws[i].kw);
			return NULL;
		}
		st->u.isolate.mask |= iso_kws[i].flag;
		next(p, OT_LEX_STMT);
	} while (!at_end(peek(p, OT_LEX_STMT)));
	return st;
}

static struct ot_ast_stmt *p_hostname(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	return p_one_word(p, kw, OT_A_HOSTNAME, "a host name");
}

static const struct {
	const char *kw;
	int mode;
} macvlan_modes[] = {
    {"bridge", OT_MACVLAN_BRIDGE},
    {"private", OT_MACVLAN_PRIVATE},
    {"vepa", OT_MACVLAN_VEPA},
    {"passthru", OT_MACVLAN_PASSTHRU},
};

static struct ot_ast_stmt *p_iface(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_IFACE, kw);
	struct ot_ast_word *mode = NULL;
	struct wordvec addrs = {0};
	struct optdef defs[4];
	const struct ot_token *t;
	size_t nd = 0, i;
	bool ok;

	if (!st)
		return NULL;
	st->u.iface.name = read_word(p, "an interface name");
	if (!st->u.iface.name)
		return NULL;
	t = peek(p, OT_LEX_STMT);
	if (tok_is(t, "on")) {
		next(p, OT_LEX_STMT);
		st->u.iface.kind = OT_AI_NET;
		st->u.iface.net = read_word(p, "a network name");
		if (!st->u.iface.net)
			return NULL;
	} else if (tok_is(t, "macvlan")) {
		next(p, OT_LEX_STMT);
		st->u.iface.kind = OT_AI_MACVLAN;
		st->u.iface.lower = read_word(p, "a host interface name");
		if (!st->u.iface.lower)
			return NULL;
		defs[nd++] =
		    (struct optdef){.kw = "mode",
				    .kind = OPT_WORD,
				    .what = "a macvlan mode (bridge private vepa passthru)",
				    .w = &mode};
	} else {
		st->u.iface.kind = OT_AI_LINK;
	}
	defs[nd++] = (struct optdef){.kw = "address",
				     .kind = OPT_WORDS,
				     .what = "an address such as 10.0.0.1/24",
				     .wv = &addrs};
	defs[nd++] = (struct optdef){.kw = "mac",
				     .kind = OPT_WORD,
				     .what = "a MAC address such as 02:00:00:00:00:01",
				     .w = &st->u.iface.mac};
	defs[nd++] = (struct optdef){
	    .kw = "mtu", .kind = OPT_WORD, .what = "an MTU (68..65535)", .w = &st->u.iface.mtu};
	ok = parse_opts(p, "iface", defs, nd);
	st->u.iface.addrs = wordvec_finish(p, &addrs, &st->u.iface.naddrs);
	if (!ok)
		return NULL;
	st->u.iface.mode = OT_MACVLAN_BRIDGE;
	if (mode) {
		for (i = 0; i < NOPTS(macvlan_modes); i++)
			if (mode->lit && strcmp(mode->lit, macvlan_modes[i].kw) == 0)
				break;
		if (i == NOPTS(macvlan_modes)) {
			struct ot_diag *g = ot_diag_error(p->d, mode->loc, "unknown macvlan mode");

			ot_diag_hint(g, "the modes are bridge, private, vepa and passthru");
			return NULL;
		}
		st->u.iface.mode = macvlan_modes[i].mode;
	}
	return st;
}

static struct ot_ast_stmt *p_route(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_ROUTE, kw);
	struct optdef defs[3];
	const struct ot_token *t;

	if (!st)
		return NULL;
	t = peek(p, OT_LEX_WORD);
	if (tok_is(t, "default")) {
		next(p, OT_LEX_WORD);
	} else if (tok_is(t, "via") || tok_is(t, "dev") || tok_is(t, "metric")) {
		struct ot_diag *g = expected(p, t, "'default' or a destination");

		ot_diag_hint(g, "route default via 10.0.0.1, or route 10.1.0.0/16 via 10.0.0.1");
		return NULL;
	} else {
		st->u.route.dst = read_word(p, "'default' or a destination such as 10.1.0.0/16");
		if (!st->u.route.dst)
			return NULL;
	}
	defs[0] = (struct optdef){
	    .kw = "via", .kind = OPT_WORD, .what = "a gateway address", .w = &st->u.route.via};
	defs[1] = (struct optdef){
	    .kw = "dev", .kind = OPT_WORD, .what = "an interface name", .w = &st->u.route.dev};
	defs[2] = (struct optdef){
	    .kw = "metric", .kind = OPT_WORD, .what = "a metric", .w = &st->u.route.metric};
	if (!parse_opts(p, "route", defs, NOPTS(defs)))
		return NULL;
	if (!st->u.route.via && !st->u.route.dev) {
		struct ot_diag *g = ot_diag_error(p->d, kw->loc,
						  "a route needs 'via ADDRESS' or "
						  "'dev INTERFACE'");

		ot_diag_hint(g, "route default via 10.0.0.1");
		return NULL;
	}
	return st;
}

static struct ot_ast_stmt *p_sysctl(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_SYSCTL, kw);
	struct wordvec wv = {0};
	const struct ot_token *t;

	if (!st)
		return NULL;
	st->u.sysctl.key = read_word(p, "a sysctl key such as net.ipv4.tcp_ecn");
	if (!st->u.sysctl.key)
		return NULL;
	t = peek(p, OT_LEX_STMT);
	if (t->kind != OT_T_EQ) {
		struct ot_diag *g = expected(p, t, "'=' after the sysctl key");

		ot_diag_hint(g, "sysctl net.ipv4.tcp_ecn = 1");
		return NULL;
	}
	next(p, OT_LEX_STMT);
	for (;;) {
		struct ot_ast_word *w;
		struct ot_token vt;

		t = peek(p, OT_LEX_WORD);
		if (at_end(t))
			break;
		if (t->kind != OT_T_WORD && t->kind != OT_T_STRING) {
			expected(p, t, "a sysctl value");
			free(wv.v);
			return NULL;
		}
		vt = next(p, OT_LEX_WORD);
		w = vt.kind == OT_T_STRING ? string_word(p, &vt) : build_word(p, &vt, false);
		if (!w || wv.n >= 64 || !wordvec_push(p, &wv, w)) {
			if (w && wv.n >= 64)
				ot_diag_error(p->d, w->loc, "too many words in a sysctl value");
			free(wv.v);
			return NULL;
		}
	}
	if (!wv.n) {
		expected(p, t, "a sysctl value");
		return NULL;
	}
	st->u.sysctl.vals = wordvec_finish(p, &wv, &st->u.sysctl.nvals);
	return st->u.sysctl.vals ? st : NULL;
}

static struct ot_ast_stmt *p_flag(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	return new_stmt(p, OT_A_FORWARD, kw);
}

static struct ot_ast_stmt *p_firewall(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_FIREWALL, kw);

	if (!st || !opt_block(p, st, CTX_FIREWALL, true, "'firewall'"))
		return NULL;
	return st;
}

static struct ot_ast_stmt *p_nat(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_NAT, kw);

	if (!st || !opt_block(p, st, CTX_NAT, true, "'nat'"))
		return NULL;
	return st;
}

static struct ot_ast_stmt *p_limit(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_LIMIT, kw);
	struct optdef defs[3];

	if (!st)
		return NULL;
	defs[0] = (struct optdef){.kw = "cpu",
				  .kind = OPT_WORD,
				  .what = "a CPU share such as 50%",
				  .w = &st->u.limit.cpu};
	defs[1] = (struct optdef){.kw = "memory",
				  .kind = OPT_WORD,
				  .what = "a memory size such as 256M",
				  .w = &st->u.limit.memory};
	defs[2] = (struct optdef){.kw = "pids",
				  .kind = OPT_WORD,
				  .what = "a number of processes",
				  .w = &st->u.limit.pids};
	if (at_end(peek(p, OT_LEX_STMT))) {
		expected(p, peek(p, OT_LEX_STMT), "'cpu', 'memory' or 'pids'");
		return NULL;
	}
	return parse_opts(p, "limit", defs, NOPTS(defs)) ? st : NULL;
}

static struct ot_ast_stmt *p_ranks(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_RANKS, kw);
	struct wordvec wv = {0};

	if (!st)
		return NULL;
	for (;;) {
		struct ot_ast_word *w = read_word(p, "a rank or a range of ranks such as 0..3");

		if (!w || wv.n >= MAX_LIST_WORDS || !wordvec_push(p, &wv, w)) {
			if (w && wv.n >= MAX_LIST_WORDS)
				ot_diag_error(p->d, w->loc, "too many values (the limit is %d)",
					      MAX_LIST_WORDS);
			free(wv.v);
			return NULL;
		}
		if (peek(p, OT_LEX_STMT)->kind != OT_T_COMMA)
			break;
		next(p, OT_LEX_STMT);
	}
	st->u.list.v = wordvec_finish(p, &wv, &st->u.list.n);
	return st->u.list.v ? st : NULL;
}

/* ------------------------------------------------------------------ */
/* firewall and nat blocks                                              */

static const struct {
	const char *kw;
	enum ot_ast_dir dir;
} dir_kws[] = {
    {"in", OT_AD_IN},
    {"out", OT_AD_OUT},
    {"forward", OT_AD_FORWARD},
};

static bool read_dir(struct parser *p, enum ot_ast_dir *ret)
{
	const struct ot_token *t = peek(p, OT_LEX_STMT);
	size_t i;

	for (i = 0; i < NOPTS(dir_kws); i++) {
		if (tok_is(t, dir_kws[i].kw)) {
			next(p, OT_LEX_STMT);
			*ret = dir_kws[i].dir;
			return true;
		}
	}
	expected(p, t, "a direction: 'in', 'out' or 'forward'");
	return false;
}

static const struct {
	const char *kw;
	enum ot_ast_action action;
} action_kws[] = {
    {"allow", OT_AA_ALLOW},
    {"drop", OT_AA_DROP},
    {"reject", OT_AA_REJECT},
};

static struct ot_ast_stmt *p_rule(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_RULE, kw);
	const char *name = "allow";
	struct optdef defs[12];
	size_t i, nd = 0;

	if (!st)
		return NULL;
	for (i = 0; i < NOPTS(action_kws); i++) {
		if (tok_is(kw, action_kws[i].kw)) {
			st->u.rule.action = action_kws[i].action;
			name = action_kws[i].kw;
		}
	}
	if (!read_dir(p, &st->u.rule.dir))
		return NULL;
#define CHOICE(k, field, v, w)                                                                     \
	defs[nd++] = (struct optdef){.kw = k,                                                      \
				     .kind = OPT_CHOICE,                                           \
				     .what = w,                                                    \
				     .u8 = &st->u.rule.field,                                      \
				     .val = v,                                                     \
				     .loc = &st->u.rule.field##_loc}
	CHOICE("ip", family, AF_INET, "address family");
	CHOICE("ip6", family, AF_INET6, "address family");
	CHOICE("tcp", proto, IPPROTO_TCP, "protocol");
	CHOICE("udp", proto, IPPROTO_UDP, "protocol");
	CHOICE("icmp", proto, IPPROTO_ICMP, "protocol");
	CHOICE("icmpv6", proto, IPPROTO_ICMPV6, "protocol");
#undef CHOICE
	defs[nd++] = (struct optdef){
	    .kw = "from", .kind = OPT_WORD, .what = "an address or prefix", .w = &st->u.rule.from};
	defs[nd++] = (struct optdef){
	    .kw = "to", .kind = OPT_WORD, .what = "an address or prefix", .w = &st->u.rule.to};
	defs[nd++] = (struct optdef){.kw = "sport",
				     .kind = OPT_WORD,
				     .what = "a port or a range P-Q",
				     .w = &st->u.rule.sport};
	defs[nd++] = (struct optdef){.kw = "dport",
				     .kind = OPT_WORD,
				     .what = "a port or a range P-Q",
				     .w = &st->u.rule.dport};
	defs[nd++] = (struct optdef){
	    .kw = "iif", .kind = OPT_WORD, .what = "an interface name", .w = &st->u.rule.iif};
	defs[nd++] = (struct optdef){
	    .kw = "oif", .kind = OPT_WORD, .what = "an interface name", .w = &st->u.rule.oif};
	return parse_opts(p, name, defs, nd) ? st : NULL;
}

static struct ot_ast_stmt *p_policy(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = new_stmt(p, OT_A_POLICY, kw);
	const struct ot_token *t;

	if (!st || !read_dir(p, &st->u.policy.dir))
		return NULL;
	t = peek(p, OT_LEX_STMT);
	if (tok_is(t, "drop")) {
		st->u.policy.drop = true;
	} else if (!tok_is(t, "accept")) {
		expected(p, t, "'drop' or 'accept'");
		return NULL;
	}
	next(p, OT_LEX_STMT);
	return st;
}

static struct ot_ast_stmt *p_natrule(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st;
	struct optdef defs[6];
	size_t nd = 0;
	enum ot_ast_kind k;
	const char *name;

	if (tok_is(kw, "masquerade")) {
		k = OT_A_MASQUERADE;
		name = "masquerade";
	} else if (tok_is(kw, "snat")) {
		k = OT_A_SNAT;
		name = "snat";
	} else {
		k = OT_A_DNAT;
		name = "dnat";
	}
	st = new_stmt(p, k, kw);
	if (!st)
		return NULL;
	defs[nd++] = (struct optdef){.kw = k == OT_A_DNAT ? "in" : "out",
				     .kind = OPT_WORD,
				     .what = "an interface name",
				     .w = &st->u.nat.ifname};
	if (k != OT_A_DNAT)
		defs[nd++] = (struct optdef){.kw = "from",
					     .kind = OPT_WORD,
					     .what = "an address or prefix",
					     .w = &st->u.nat.from};
	if (k != OT_A_MASQUERADE)
		defs[nd++] = (struct optdef){.kw = "to",
					     .kind = OPT_WORD,
					     .what = k == OT_A_DNAT ? "an address or ADDRESS:PORT"
								    : "an address",
					     .w = &st->u.nat.to};
	if (k == OT_A_DNAT) {
		defs[nd++] = (struct optdef){.kw = "tcp",
					     .kind = OPT_CHOICE,
					     .what = "protocol",
					     .u8 = &st->u.nat.proto,
					     .val = IPPROTO_TCP,
					     .loc = &st->u.nat.proto_loc};
		defs[nd++] = (struct optdef){.kw = "udp",
					     .kind = OPT_CHOICE,
					     .what = "protocol",
					     .u8 = &st->u.nat.proto,
					     .val = IPPROTO_UDP,
					     .loc = &st->u.nat.proto_loc};
		defs[nd++] = (struct optdef){.kw = "dport",
					     .kind = OPT_WORD,
					     .what = "a port or a range P-Q",
					     .w = &st->u.nat.dport};
	}
	if (!parse_opts(p, name, defs, nd))
		return NULL;
	if (k != OT_A_MASQUERADE && !st->u.nat.to) {
		struct ot_diag *g = ot_diag_error(p->d, kw->loc, "'%s' needs 'to ADDRESS'", name);

		if (k == OT_A_DNAT)
			ot_diag_hint(g, "dnat in eth0 tcp dport 80 to 10.0.0.5:8080");
		else
			ot_diag_hint(g, "snat out eth0 to 198.51.100.7");
		return NULL;
	}
	return st;
}

/* ------------------------------------------------------------------ */
/* blocks                                                               */

static const struct kw top_kws[] = {
    {"topology", p_topology}, {"param", p_param},	  {"include", p_include},
    {"vxlan", p_vxlan},	      {"node", p_node},		  {"network", p_network},
    {"link", p_link},	      {"container", p_container}, {"for", p_for},
};

static const struct kw network_kws[] = {
    {"subnet", p_subnet}, {"vni", p_vni},	{"mtu", p_mtu},
    {"bridge", p_bridge}, {"uplink", p_uplink}, {"for", p_for},
};

static const struct kw container_kws[] = {
    {"isolate", p_isolate}, {"hostname", p_hostname}, {"iface", p_iface},	{"route", p_route},
    {"sysctl", p_sysctl},   {"forward", p_flag},      {"firewall", p_firewall}, {"nat", p_nat},
    {"limit", p_limit},	    {"ranks", p_ranks},	      {"for", p_for},
};

static const struct kw firewall_kws[] = {
    {"allow", p_rule}, {"drop", p_rule}, {"reject", p_rule}, {"policy", p_policy}, {"for", p_for},
};

static const struct kw nat_kws[] = {
    {"masquerade", p_natrule},
    {"snat", p_natrule},
    {"dnat", p_natrule},
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
		if (tok_is(t, ctx_kws[ctx].v[i].name))
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
		if (c != (int)ctx && find_kw((enum ctx)c, t) && !tok_is(t, "for")) {
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
	const struct ot_token *t = peek(p, OT_LEX_STMT);
	char buf[64];

	if (t->kind == OT_T_NL) {
		next(p, OT_LEX_STMT);
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
		const struct ot_token *t = peek(p, OT_LEX_STMT);
		const struct kw *k;
		struct ot_ast_stmt *st;
		struct ot_token kw;

		if (p->oom)
			return head;
		if (t->kind == OT_T_NL) {
			next(p, OT_LEX_STMT);
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
			struct ot_token rb = next(p, OT_LEX_STMT);

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
		kw = next(p, OT_LEX_STMT);
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
