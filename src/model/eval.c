/*
 * eval.c - the expansion's small containers (growable vectors, the key
 * set), its diagnostics (once per location and kind inside loops, with
 * the loop variables as a hint) and the evaluation of expressions and
 * words: templates to text, text to the value a statement needs (name,
 * number with range, prefix, address, port range). Internal to the
 * expansion (expand_int.h).
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
#include "util/strbuf.h"
#include "util/vec.h"

void *xp_xalloc(struct xctx *x, size_t n)
{
	void *p = ot_arena_alloc(x->ma, n);

	if (!p)
		x->oom = true;
	return p;
}

bool xp_vreserve(struct xctx *x, void **v, size_t *cap, size_t n, size_t sz)
{
	if (ot_vec_reserve(v, cap, n + 1, sz) < 0) {
		x->oom = true;
		return false;
	}
	return true;
}

/* Maps of keys that live elsewhere (model memory), with their values:
 * util/hash.h's keyed map, with OOM recorded in the context. Insert key ->
 * val: 0, -EEXIST (with the present entry's value in *old and key in
 * *old_key, when given) or -ENOMEM. */
int xp_kset_put2(struct xctx *x, struct ot_kmap *s, uint64_t h, const void *key, void *val,
		 void **old, const void **old_key)
{
	int r = ot_kmap_put(s, h, key, val, old, old_key);

	if (r == -ENOMEM)
		x->oom = true;
	return r;
}

bool xp_kset_has(const struct ot_kmap *s, uint64_t h, const void *key)
{
	return ot_kmap_has(s, h, key);
}

int xp_kset_put(struct xctx *x, struct ot_kmap *s, uint64_t h, const void *key, void *val,
		void **old)
{
	return xp_kset_put2(x, s, h, key, val, old, NULL);
}

void xp_kset_free(struct ot_kmap *s)
{
	ot_kmap_free(s);
}

/* ------------------------------------------------------------------ */
/* locations and diagnostics                                            */

/* A location whose file name the model owns (it outlives the diagnostics). */
struct ot_loc xp_mloc(struct xctx *x, struct ot_loc l)
{
	char *copy;

	if (!l.file)
		return l;
	if (l.file == x->last_dfile) {
		l.file = x->last_mfile;
		return l;
	}
	copy = ot_strmap_get(&x->files, l.file);
	if (!copy) {
		copy = ot_arena_strdup(x->ma, l.file);
		if (!copy || ot_strmap_put(&x->files, l.file, copy, NULL) < 0 ||
		    !VPUSH(x, x->fpairs) || !VPUSH(x, x->fpairs)) {
			x->oom = true;
			return l;
		}
		x->fpairs.v[x->fpairs.n - 2] = l.file;
		x->fpairs.v[x->fpairs.n - 1] = copy;
	}
	x->last_dfile = l.file;
	x->last_mfile = copy;
	l.file = copy;
	return l;
}

struct errkey {
	const char *file;
	uint32_t line, col;
	const char *fmt;
	struct ot_loc via; /* inside a template: the outermost use; else zero */
};

bool xp_errkey_eq(const void *a, const void *b)
{
	const struct errkey *p = a, *q = b;

	return p->file == q->file && p->line == q->line && p->col == q->col && p->fmt == q->fmt &&
	       p->via.file == q->via.file && p->via.line == q->via.line && p->via.col == q->via.col;
}

/* True the first time an error of this kind (format) is seen at loc; the
 * key is stored only then, so repeats cost no memory. */
static bool first_at(struct xctx *x, struct ot_loc loc, const char *fmt)
{
	struct errkey key = {loc.file, loc.line, loc.col, fmt, {0}}, *k;
	uint64_t h = ot_hash64(&loc.line, sizeof(loc.line));

	key.via = x->ncalls ? x->calls[0].use->u.use.name_loc : x->via.loc;
	h = ot_hash64_more(h, &loc.col, sizeof(loc.col));
	h = ot_hash64_more(h, &fmt, sizeof(fmt));
	h = ot_hash64_more(h, &key.via.line, sizeof(key.via.line));
	if (xp_kset_has(&x->seen_errors, h, &key))
		return false;
	k = xp_xalloc(x, sizeof(*k));
	if (!k)
		return false;
	*k = key;
	return xp_kset_put(x, &x->seen_errors, h, k, NULL, NULL) == 0;
}

/* Append the loop variables' values ("i=3, j=0") to a hint. */
static void loop_context(struct xctx *x, char *buf, size_t size)
{
	size_t n = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < x->nvars && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s=%" PRId64, i ? ", " : "",
				      x->varnames[i], x->vars[i]);
}

/*
 * Record an error. Inside loops, only the first error of a given kind
 * (format) at a given location is recorded, with the iteration as a hint.
 */
__attribute__((format(printf, 3, 4))) struct ot_diag *xp_xerr(struct xctx *x, struct ot_loc loc,
							      const char *fmt, ...)
{
	struct ot_diag *g;
	char buf[512], ctxbuf[200];
	va_list ap;

	if (x->nvars || x->ncalls || x->via.loc.line) {
		if (!first_at(x, loc, fmt))
			return NULL; /* reported for an earlier iteration or use */
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	g = ot_diag_error(x->d, loc, "%s", buf);
	if (g && x->nvars) {
		loop_context(x, ctxbuf, sizeof(ctxbuf));
		ot_diag_hint(g, "in the loop iteration with %s", ctxbuf);
	}
	xp_template_via(x, g);
	return g;
}

/*
 * Record an error of a topology-wide check: once per location and kind, so
 * a mistake inside a loop is one error there too.
 */
__attribute__((format(printf, 3, 4))) struct ot_diag *xp_gerr(struct xctx *x, struct ot_loc loc,
							      const char *fmt, ...)
{
	char buf[512];
	struct ot_diag *g;
	va_list ap;

	if (!first_at(x, loc, fmt))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	g = ot_diag_error(x->d, loc, "%s", buf);
	xp_template_via(x, g);
	return g;
}

/* A hint that keeps the loop context. */
__attribute__((format(printf, 3, 4))) void xp_xhint(struct xctx *x, struct ot_diag *g,
						    const char *fmt, ...)
{
	char buf[512], ctxbuf[200];
	va_list ap;

	if (!g)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (x->nvars) {
		loop_context(x, ctxbuf, sizeof(ctxbuf));
		ot_diag_hint(g, "%s (in the loop iteration with %s)", buf, ctxbuf);
	} else {
		ot_diag_hint(g, "%s", buf);
	}
}

/* Printable, bounded form of user text for messages. */
const char *xp_shown(const char *s, char *buf, size_t size)
{
	size_t n = strlen(s);

	if (n + 1 <= size && n <= 64)
		return s;
	snprintf(buf, size, "%.60s...", s);
	return buf;
}

static void suggest_from_map(struct ot_suggest *sg, const struct ot_strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			ot_suggest_add(sg, m->slots[i].key);
}

/* "did you mean" over a map's keys, only while the error list is short
 * (a scan per error would be quadratic on a broken generated file). */
void xp_hint_similar(struct xctx *x, struct ot_diag *g, const char *name, const struct ot_strmap *m)
{
	struct ot_suggest sg;

	if (!g || x->d->errors > 50)
		return;
	ot_suggest_init(&sg, name);
	suggest_from_map(&sg, m);
	if (ot_suggest_best(&sg))
		xp_xhint(x, g, "did you mean '%s'?", ot_suggest_best(&sg));
}

/* ------------------------------------------------------------------ */
/* expressions and words                                                */

/* A leaf's value (number, loop variable, parameter): true, or false for an
 * operator. Lets eval() take both operands of the common `n % R * P + j`
 * without a call per leaf. */
static inline bool leaf(const struct xctx *x, const struct ot_ast_expr *e, int64_t *ret)
{
	switch (e->kind) {
	case OT_E_NUM:
		*ret = e->num;
		return true;
	case OT_E_VAR:
		*ret = x->vars[e->slot];
		return true;
	case OT_E_PARAM:
		*ret = x->params[e->slot];
		return true;
	case OT_E_ARG: /* an int argument: the parser refuses the others here */
		*ret = x->args[e->slot].i;
		return true;
	default:
		return false;
	}
}

bool xp_eval(struct xctx *x, const struct ot_ast_expr *e, int64_t *ret)
{
	int64_t a, b;

	if (leaf(x, e, ret))
		return true;
	switch (e->kind) {
	case OT_E_BUILTIN:
		return xp_eval_builtin(x, e, ret);
	case OT_E_NEG:
		if (!xp_eval(x, e->l, &a))
			return false;
		if (a == INT64_MIN) {
			xp_xerr(x, e->loc, "arithmetic overflow");
			return false;
		}
		*ret = -a;
		return true;
	default:
		break;
	}
	if ((!leaf(x, e->l, &a) && !xp_eval(x, e->l, &a)) ||
	    (!leaf(x, e->r, &b) && !xp_eval(x, e->r, &b)))
		return false;
	switch (e->kind) {
	case OT_E_ADD:
		if (__builtin_add_overflow(a, b, ret))
			goto overflow;
		return true;
	case OT_E_SUB:
		if (__builtin_sub_overflow(a, b, ret))
			goto overflow;
		return true;
	case OT_E_MUL:
		if (__builtin_mul_overflow(a, b, ret))
			goto overflow;
		return true;
	case OT_E_DIV:
	case OT_E_MOD:
		if (b == 0) {
			xp_xerr(x, e->r->loc, "division by zero");
			return false;
		}
		if (a == INT64_MIN && b == -1)
			goto overflow;
		*ret = e->kind == OT_E_DIV ? a / b : a % b;
		return true;
	default:
		return false;
	}
overflow:
	xp_xerr(x, e->loc, "arithmetic overflow");
	return false;
}

/* Integer to text at the end of buf[0..*n), zero-padded to width; false
 * when it does not fit. (printf is the hot spot of a 100,000-container
 * expansion otherwise.) */
static bool put_int(char *buf, size_t size, size_t *n, int64_t v, char conv, unsigned width)
{
	static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
	const char *digits = conv == 'X' ? upper : lower;
	char tmp[96], *o;
	size_t k = sizeof(tmp), len;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	/* constant divisors: a multiplication each, not a division (this runs
	 * for every template of every container) */
	if (conv == 'd') {
		do {
			tmp[--k] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
	} else {
		do {
			tmp[--k] = digits[u & 15];
			u >>= 4;
		} while (u);
	}
	while (sizeof(tmp) - k < width && k > 1)
		tmp[--k] = '0';
	if (v < 0)
		tmp[--k] = '-';
	len = sizeof(tmp) - k;
	if (*n + len >= size)
		return false;
	for (o = buf + *n; k < sizeof(tmp); k++) /* a few bytes: no memcpy call */
		*o++ = tmp[k];
	*n += len;
	return true;
}

/*
 * The text of a word: its literal, or its segments with the templates
 * evaluated. The result is valid until the next call. NULL after an error.
 * A word is at most one source line plus its templates' digits; words
 * longer than the scratch buffer are refused (names and values are far
 * shorter).
 */
const char *xp_word_text(struct xctx *x, const struct ot_ast_word *w)
{
	size_t n = 0, k;
	uint32_t i;

	if (w->lit)
		return w->lit;
	for (i = 0; i < w->nsegs; i++) {
		const struct ot_ast_seg *s = &w->segs[i];
		int64_t v;

		if (n + s->len >= sizeof(x->wbuf))
			goto too_long;
		if (s->len <= 16) { /* most are a few bytes: "c", "x", ".", "/16" */
			for (k = 0; k < s->len; k++)
				x->wbuf[n + k] = s->text[k];
		} else {
			memcpy(x->wbuf + n, s->text, s->len);
		}
		n += s->len;
		if (!s->e)
			continue;
		if (s->e->kind == OT_E_ARG && x->args[s->e->slot].s) { /* {net}: its text */
			const char *a = x->args[s->e->slot].s;
			size_t len = strlen(a);

			if (n + len >= sizeof(x->wbuf))
				goto too_long;
			memcpy(x->wbuf + n, a, len);
			n += len;
			continue;
		}
		if (!leaf(x, s->e, &v) && !xp_eval(x, s->e, &v))
			return NULL;
		if (s->index && v < 0) {
			xp_xerr(x, s->e->loc, "node index %" PRId64 " is negative", v);
			return NULL;
		}
		if (s->conv != 'd' && v < 0) {
			xp_xerr(x, s->e->loc,
				"cannot format the negative value %" PRId64 " in hexadecimal", v);
			return NULL;
		}
		if (!put_int(x->wbuf, sizeof(x->wbuf), &n, v, s->conv, s->width))
			goto too_long;
	}
	x->wbuf[n] = '\0';
	return x->wbuf;
too_long:
	xp_xerr(x, w->loc, "value is longer than %zu bytes", sizeof(x->wbuf) - 1);
	return NULL;
}

/* A name of the language: evaluated, checked, copied into the model. */
const char *xp_word_name(struct xctx *x, struct ot_ast_word *w, const char *what)
{
	const char *t, *problem;
	char buf[80];
	char *copy;

	if (w->lit && w->cache)
		return (const char *)w->cache;
	t = xp_word_text(x, w);
	if (!t)
		return NULL;
	problem = ot_name_problem(t, strlen(t), OT_MAX_NAME);
	if (problem) {
		xp_xerr(x, w->loc, "invalid %s name '%s': %s", what, xp_shown(t, buf, sizeof(buf)),
			problem);
		return NULL;
	}
	copy = ot_arena_strdup(x->ma, t);
	if (!copy) {
		x->oom = true;
		return NULL;
	}
	if (w->lit)
		w->cache = copy;
	return copy;
}

/* Strict unsigned decimal in [lo, hi]; `what` names the value in messages. */
bool xp_parse_u64(const char *t, uint64_t *ret)
{
	uint64_t v = 0;
	const char *p;

	if (!*t)
		return false;
	for (p = t; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			v = UINT64_MAX; /* saturate: reported as out of range */
		else
			v = v * 10 + (uint64_t)(*p - '0');
	}
	*ret = v;
	return true;
}

static bool word_uint(struct xctx *x, struct ot_ast_word *w, const char *what, uint64_t lo,
		      uint64_t hi, uint64_t *ret)
{
	const char *t = xp_word_text(x, w);
	char buf[80];
	uint64_t v;

	if (!t)
		return false;
	if (!xp_parse_u64(t, &v)) {
		xp_xerr(x, w->loc, "invalid %s '%s': expected a number", what,
			xp_shown(t, buf, sizeof(buf)));
		return false;
	}
	if (v < lo || v > hi) {
		xp_xerr(x, w->loc, "%s %s is out of range (%" PRIu64 "..%" PRIu64 ")", what,
			xp_shown(t, buf, sizeof(buf)), lo, hi);
		return false;
	}
	*ret = v;
	return true;
}

bool xp_word_u32(struct xctx *x, struct ot_ast_word *w, const char *what, uint32_t lo, uint32_t hi,
		 uint32_t *ret)
{
	uint64_t v;

	if (!word_uint(x, w, what, lo, hi, &v))
		return false;
	*ret = (uint32_t)v;
	return true;
}

bool xp_word_prefix(struct xctx *x, struct ot_ast_word *w, bool need_len, const char *what,
		    const char *example, struct ot_prefix *ret, bool *nolen)
{
	const char *t = xp_word_text(x, w);
	char buf[80];

	if (!t)
		return false;
	if (ot_prefix_parse(t, need_len, ret) < 0) {
		struct ot_diag *g =
		    xp_xerr(x, w->loc, "invalid %s '%s'", what, xp_shown(t, buf, sizeof(buf)));

		xp_xhint(x, g, "%s", example);
		return false;
	}
	if (nolen)
		*nolen = !strchr(t, '/');
	return true;
}

bool xp_word_addr(struct xctx *x, struct ot_ast_word *w, const char *what, struct ot_addr *ret)
{
	const char *t = xp_word_text(x, w);
	char buf[80];

	if (!t)
		return false;
	if (ot_addr_parse(t, ret) < 0) {
		struct ot_diag *g =
		    xp_xerr(x, w->loc, "invalid %s '%s'", what, xp_shown(t, buf, sizeof(buf)));

		xp_xhint(x, g, "an address without prefix length, such as 10.0.0.1 or fd00::1");
		return false;
	}
	return true;
}

/* "A" or "A<sep>B" as two numbers (B = A without sep); false when either is
 * not a number. Shared by rank ranges ("0..3") and port ranges ("80-89"). */
bool xp_parse_u64_range(const char *t, const char *sep, uint64_t *a, uint64_t *b)
{
	const char *s = strstr(t, sep);
	size_t n = s ? (size_t)(s - t) : strlen(t);
	char first[24];

	if (n >= sizeof(first))
		n = sizeof(first) - 1;
	memcpy(first, t, n);
	first[n] = '\0';
	if (!xp_parse_u64(first, a) || (s && !xp_parse_u64(s + strlen(sep), b)))
		return false;
	if (!s)
		*b = *a;
	return true;
}

/* "P" or "P-Q", 1..65535: the element t of word w's port list. */
static bool word_port_range(struct xctx *x, struct ot_ast_word *w, const char *t, uint16_t *lo,
			    uint16_t *hi)
{
	char buf[80];
	uint64_t va, vb;

	if (!xp_parse_u64_range(t, "-", &va, &vb)) {
		struct ot_diag *g =
		    xp_xerr(x, w->loc, "invalid port '%s'", xp_shown(t, buf, sizeof(buf)));

		xp_xhint(x, g, "a port (80) or a range of ports (8000-8099)");
		return false;
	}
	if (va < 1 || va > 65535 || vb < 1 || vb > 65535) {
		xp_xerr(x, w->loc, "port %s is out of range (1..65535)",
			xp_shown(t, buf, sizeof(buf)));
		return false;
	}
	if (va > vb) {
		xp_xerr(x, w->loc, "port range %s is reversed", xp_shown(t, buf, sizeof(buf)));
		return false;
	}
	*lo = (uint16_t)va;
	*hi = (uint16_t)vb;
	return true;
}

/* A port list (words of "sport 22,8000-8100"): each word a port or a range,
 * no element overlapping another (the kernel refuses overlapping elements of
 * an interval set; a repeated port is a typo). The parser bounds the list at
 * OT_PORTS_MAX words; a word whose text holds commas (a template's argument,
 * "22,80") is split here, within the same bound. */
bool xp_word_ports(struct xctx *x, struct ot_ast_word **w, uint32_t n, struct ot_ports *ret)
{
	char text[sizeof(x->wbuf)], *el, *next;
	bool ok = true;
	uint32_t i, j;

	ret->n = 0;
	for (i = 0; i < n && i < OT_PORTS_MAX; i++) {
		const char *t = xp_word_text(x, w[i]);

		if (!t) {
			ok = false;
			continue;
		}
		snprintf(text, sizeof(text), "%s", t);
		for (el = text; el; el = next) {
			struct ot_port_range pr;

			next = strchr(el, ',');
			if (next)
				*next++ = '\0';
			if (!*el) {
				xp_xerr(x, w[i]->loc, "empty element in port list");
				ok = false;
				continue;
			}
			if (!word_port_range(x, w[i], el, &pr.lo, &pr.hi)) {
				ok = false;
				continue;
			}
			for (j = 0; j < ret->n; j++) {
				if (pr.lo <= ret->r[j].hi && ret->r[j].lo <= pr.hi) {
					xp_xerr(x, w[i]->loc,
						"ports %u-%u overlap %u-%u earlier in the list",
						pr.lo, pr.hi, ret->r[j].lo, ret->r[j].hi);
					ok = false;
					break;
				}
			}
			if (j < ret->n)
				continue;
			if (ret->n == OT_PORTS_MAX) {
				xp_xerr(x, w[i]->loc,
					"too many ports in the list (the limit is %d)",
					OT_PORTS_MAX);
				return false;
			}
			ret->r[ret->n++] = pr;
		}
	}
	return ok;
}
