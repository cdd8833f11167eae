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
 */
#include "model/expand.h"

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

#define MAX_CPU_PCT	 (100u * 4096) /* 4096 CPUs */
#define MIN_MEMORY	 (1ull << 20)  /* 1 MiB */
#define MAX_MEMORY	 (1ull << 50)  /* 1 PiB */
#define MAX_PIDS	 4194304u      /* PID_MAX_LIMIT */
#define MAX_RANK	 0x7fffffffu
#define MAX_SYSCTL_KEY	 128
#define MAX_SYSCTL_VALUE 256
#define MAX_HOSTNAME	 64
#define MAX_METRIC	 0xffffffffu

/* ------------------------------------------------------------------ */
/* small containers                                                     */

#define VEC(T)                                                                                     \
	struct {                                                                                   \
		T *v;                                                                              \
		size_t n, cap;                                                                     \
	}

/* A hash set of keys that live elsewhere (model memory), with their value. */
struct kset_ent {
	uint64_t h;
	const void *key;
	void *val;
};

struct kset {
	struct kset_ent *v;
	size_t cap, n;
	bool (*eq)(const void *a, const void *b);
};

struct xnode {
	struct ot_m_node n; /* first: the model points here */
	bool declared;
	struct ot_loc decl_loc;
};

struct xnet {
	struct ot_m_network n; /* first */
	size_t fill;
	bool vni_set, mtu_set, bridge_set;
	struct ot_loc subnet4_loc, subnet6_loc, bridge_loc;
	VEC(struct ot_m_uplink) uplinks;
	VEC(bool) uplink_nolen;
	VEC(struct ot_loc) uplink_addr_loc;
	VEC(struct ot_m_iface *) mv; /* members bound while their container was built */
	bool late;		     /* a member was bound after the pass (forward reference) */
};

struct nref {
	const char *name; /* NULL = none */
	struct ot_loc loc;
};

struct ifx {
	const char *net;
	struct ot_loc net_loc;
	uint16_t nolen; /* bit i: address i had no prefix length */
};

struct pend_if {
	struct ot_m_iface *ifc;
	const char *net;
	struct ot_loc net_loc;
	uint16_t nolen;
};

struct pend_link {
	struct ot_loc loc;
	const char *ca, *ia, *cb, *ib;
	struct ot_loc la, lb;
	uint32_t mtu;
	struct ot_loc mtu_loc;
	bool broken; /* an error was reported: claim the ends, make no network */
};

/* A rank range and its container, for the topology-wide overlap check. */
struct rank_use {
	uint32_t first, last;
	const struct ot_m_container *c;
};

/* The container being built. */
struct cscratch {
	struct ot_m_container *c;
	bool dup;
	VEC(struct ot_m_iface) ifaces;
	VEC(struct ifx) ifx;
	VEC(struct ot_m_route) routes;
	VEC(struct nref) route_dev;
	VEC(struct ot_m_rule) rules;
	VEC(struct nref) rule_iif;
	VEC(struct nref) rule_oif;
	VEC(struct ot_m_nat) nats;
	VEC(struct nref) nat_if;
	VEC(struct ot_m_sysctl) sysctls;
	VEC(struct ot_rank_range) ranks;
	bool isolate_set, hostname_set, forward_set, policy_set[3];
	struct ot_loc hostname_loc, policy_loc[3], cpu_loc, mem_loc, pids_loc;
	bool cpu_set, mem_set, pids_set, ranks_set;
};

struct xctx {
	struct ot_model *m;
	struct ot_arena *ma;
	struct ot_diags *d;
	struct ot_ast *ast;
	bool oom, fatal;

	int64_t *params;
	int64_t vars[OT_MAX_LOOP_DEPTH];
	const char *varnames[OT_MAX_LOOP_DEPTH];
	unsigned nvars;
	uint64_t iterations;
	struct kset seen_errors; /* (location, kind) reported inside loops */

	char wbuf[1024]; /* word evaluation scratch */
	const char *last_dfile, *last_mfile;
	struct ot_strmap files;	  /* diagnostics file name -> model copy */
	VEC(const char *) fpairs; /* (diagnostics name, model copy) pairs */

	struct ot_strmap nodes, networks, containers;
	struct xnode *last_node; /* the node of the last lookup */
	VEC(struct xnode *) nodev;
	VEC(struct xnet *) netv;
	VEC(struct ot_m_container *) ctrv;
	VEC(struct pend_if) pifs; /* interfaces on networks not yet declared */
	VEC(struct pend_link) links;
	VEC(struct ot_m_iface *) linkends;
	VEC(struct ot_m_container *) late_overlaps; /* containers waiting for pifs */
	VEC(struct rank_use) ranks;
	struct kset addrs, macs, vnis; /* what must be unique in the topology */
	bool any_late;

	struct cscratch cs;
	struct xnet *net; /* network block being expanded */

	bool vxlan_set;
	struct ot_loc vxlan_loc;
};

static void *xalloc(struct xctx *x, size_t n)
{
	void *p = ot_arena_alloc(x->ma, n);

	if (!p)
		x->oom = true;
	return p;
}

static bool vreserve(struct xctx *x, void **v, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 8;
	nv = realloc(*v, ncap * sz);
	if (!nv) {
		x->oom = true;
		return false;
	}
	*v = nv;
	*cap = ncap;
	return true;
}

#define VPUSH(x, vec)                                                                              \
	(vreserve((x), (void **)&(vec).v, &(vec).cap, (vec).n, sizeof(*(vec).v))                   \
	     ? memset(&(vec).v[(vec).n++], 0, sizeof(*(vec).v))                                    \
	     : NULL)
#define VFREE(vec) (free((vec).v), (vec).v = NULL, (vec).n = (vec).cap = 0)

/* The first slot for a hash: FNV-1a's low bits vary little between keys
 * that differ in one byte (addresses of a subnet), so take the high bits
 * of a multiplicative mix (Fibonacci hashing) for the index. */
static size_t slot_start(uint64_t h, size_t cap)
{
	return (size_t)((h * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

/* Insert key -> val. Returns 0, -EEXIST (with the present entry's value in
 * *old and key in *old_key, when given) or -ENOMEM. */
static int kset_put2(struct xctx *x, struct kset *s, uint64_t h, const void *key, void *val,
		     void **old, const void **old_key)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64, j;
		struct kset_ent *nv = calloc(ncap, sizeof(*nv));

		if (!nv) {
			x->oom = true;
			return -ENOMEM;
		}
		for (j = 0; j < s->cap; j++) {
			if (!s->v[j].key)
				continue;
			for (i = slot_start(s->v[j].h, ncap); nv[i].key; i = (i + 1) & (ncap - 1))
				;
			nv[i] = s->v[j];
		}
		free(s->v);
		s->v = nv;
		s->cap = ncap;
	}
	for (i = slot_start(h, s->cap); s->v[i].key; i = (i + 1) & (s->cap - 1)) {
		if (s->v[i].h == h && s->eq(s->v[i].key, key)) {
			if (old)
				*old = s->v[i].val;
			if (old_key)
				*old_key = s->v[i].key;
			return -EEXIST;
		}
	}
	s->v[i].h = h;
	s->v[i].key = key;
	s->v[i].val = val;
	s->n++;
	return 0;
}

static bool kset_has(const struct kset *s, uint64_t h, const void *key)
{
	size_t i;

	if (!s->cap)
		return false;
	for (i = slot_start(h, s->cap); s->v[i].key; i = (i + 1) & (s->cap - 1))
		if (s->v[i].h == h && s->eq(s->v[i].key, key))
			return true;
	return false;
}

static int kset_put(struct xctx *x, struct kset *s, uint64_t h, const void *key, void *val,
		    void **old)
{
	return kset_put2(x, s, h, key, val, old, NULL);
}

static void kset_free(struct kset *s)
{
	free(s->v);
	s->v = NULL;
	s->cap = s->n = 0;
}

/* ------------------------------------------------------------------ */
/* locations and diagnostics                                            */

/* A location whose file name the model owns (it outlives the diagnostics). */
static struct ot_loc mloc(struct xctx *x, struct ot_loc l)
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
};

static bool errkey_eq(const void *a, const void *b)
{
	const struct errkey *p = a, *q = b;

	return p->file == q->file && p->line == q->line && p->col == q->col && p->fmt == q->fmt;
}

/* True the first time an error of this kind (format) is seen at loc; the
 * key is stored only then, so repeats cost no memory. */
static bool first_at(struct xctx *x, struct ot_loc loc, const char *fmt)
{
	struct errkey key = {loc.file, loc.line, loc.col, fmt}, *k;
	uint64_t h = ot_hash64(&loc.line, sizeof(loc.line));

	h = ot_hash64_more(h, &loc.col, sizeof(loc.col));
	h = ot_hash64_more(h, &fmt, sizeof(fmt));
	if (kset_has(&x->seen_errors, h, &key))
		return false;
	k = xalloc(x, sizeof(*k));
	if (!k)
		return false;
	*k = key;
	return kset_put(x, &x->seen_errors, h, k, NULL, NULL) == 0;
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
__attribute__((format(printf, 3, 4))) static struct ot_diag *xerr(struct xctx *x, struct ot_loc loc,
								  const char *fmt, ...)
{
	struct ot_diag *g;
	char buf[512], ctxbuf[200];
	va_list ap;

	if (x->nvars) {
		if (!first_at(x, loc, fmt))
			return NULL; /* reported for an earlier iteration */
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	g = ot_diag_error(x->d, loc, "%s", buf);
	if (g && x->nvars) {
		loop_context(x, ctxbuf, sizeof(ctxbuf));
		ot_diag_hint(g, "in the loop iteration with %s", ctxbuf);
	}
	return g;
}

/*
 * Record an error of a topology-wide check: once per location and kind, so
 * a mistake inside a loop is one error there too.
 */
__attribute__((format(printf, 3, 4))) static struct ot_diag *gerr(struct xctx *x, struct ot_loc loc,
								  const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!first_at(x, loc, fmt))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return ot_diag_error(x->d, loc, "%s", buf);
}

/* A hint that keeps the loop context. */
__attribute__((format(printf, 3, 4))) static void xhint(struct xctx *x, struct ot_diag *g,
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
static const char *shown(const char *s, char *buf, size_t size)
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
static void hint_similar(struct xctx *x, struct ot_diag *g, const char *name,
			 const struct ot_strmap *m)
{
	struct ot_suggest sg;

	if (!g || x->d->errors > 50)
		return;
	ot_suggest_init(&sg, name);
	suggest_from_map(&sg, m);
	if (ot_suggest_best(&sg))
		xhint(x, g, "did you mean '%s'?", ot_suggest_best(&sg));
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
	default:
		return false;
	}
}

static bool eval(struct xctx *x, const struct ot_ast_expr *e, int64_t *ret)
{
	int64_t a, b;

	if (leaf(x, e, ret))
		return true;
	switch (e->kind) {
	case OT_E_NEG:
		if (!eval(x, e->l, &a))
			return false;
		if (a == INT64_MIN) {
			xerr(x, e->loc, "arithmetic overflow");
			return false;
		}
		*ret = -a;
		return true;
	default:
		break;
	}
	if ((!leaf(x, e->l, &a) && !eval(x, e->l, &a)) || (!leaf(x, e->r, &b) && !eval(x, e->r, &b)))
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
			xerr(x, e->r->loc, "division by zero");
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
	xerr(x, e->loc, "arithmetic overflow");
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
static const char *word_text(struct xctx *x, const struct ot_ast_word *w)
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
		if (!leaf(x, s->e, &v) && !eval(x, s->e, &v))
			return NULL;
		if (s->index && v < 0) {
			xerr(x, s->e->loc, "node index %" PRId64 " is negative", v);
			return NULL;
		}
		if (s->conv != 'd' && v < 0) {
			xerr(x, s->e->loc,
			     "cannot format the negative value %" PRId64 " in hexadecimal", v);
			return NULL;
		}
		if (!put_int(x->wbuf, sizeof(x->wbuf), &n, v, s->conv, s->width))
			goto too_long;
	}
	x->wbuf[n] = '\0';
	return x->wbuf;
too_long:
	xerr(x, w->loc, "value is longer than %zu bytes", sizeof(x->wbuf) - 1);
	return NULL;
}

/* A name of the language: evaluated, checked, copied into the model. */
static const char *word_name(struct xctx *x, struct ot_ast_word *w, const char *what)
{
	const char *t, *problem;
	char buf[80];
	char *copy;

	if (w->lit && w->cache)
		return (const char *)w->cache;
	t = word_text(x, w);
	if (!t)
		return NULL;
	problem = ot_name_problem(t, strlen(t), OT_MAX_NAME);
	if (problem) {
		xerr(x, w->loc, "invalid %s name '%s': %s", what, shown(t, buf, sizeof(buf)),
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
static bool parse_u64(const char *t, uint64_t *ret)
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
	const char *t = word_text(x, w);
	char buf[80];
	uint64_t v;

	if (!t)
		return false;
	if (!parse_u64(t, &v)) {
		xerr(x, w->loc, "invalid %s '%s': expected a number", what,
		     shown(t, buf, sizeof(buf)));
		return false;
	}
	if (v < lo || v > hi) {
		xerr(x, w->loc, "%s %s is out of range (%" PRIu64 "..%" PRIu64 ")", what,
		     shown(t, buf, sizeof(buf)), lo, hi);
		return false;
	}
	*ret = v;
	return true;
}

static bool word_u32(struct xctx *x, struct ot_ast_word *w, const char *what, uint32_t lo,
		     uint32_t hi, uint32_t *ret)
{
	uint64_t v;

	if (!word_uint(x, w, what, lo, hi, &v))
		return false;
	*ret = (uint32_t)v;
	return true;
}

static bool word_prefix(struct xctx *x, struct ot_ast_word *w, bool need_len, const char *what,
			const char *example, struct ot_prefix *ret, bool *nolen)
{
	const char *t = word_text(x, w);
	char buf[80];

	if (!t)
		return false;
	if (ot_prefix_parse(t, need_len, ret) < 0) {
		struct ot_diag *g =
		    xerr(x, w->loc, "invalid %s '%s'", what, shown(t, buf, sizeof(buf)));

		xhint(x, g, "%s", example);
		return false;
	}
	if (nolen)
		*nolen = !strchr(t, '/');
	return true;
}

static bool word_addr(struct xctx *x, struct ot_ast_word *w, const char *what, struct ot_addr *ret)
{
	const char *t = word_text(x, w);
	char buf[80];

	if (!t)
		return false;
	if (ot_addr_parse(t, ret) < 0) {
		struct ot_diag *g =
		    xerr(x, w->loc, "invalid %s '%s'", what, shown(t, buf, sizeof(buf)));

		xhint(x, g, "an address without prefix length, such as 10.0.0.1 or fd00::1");
		return false;
	}
	return true;
}

/* "P" or "P-Q", 1..65535. */
static bool word_ports(struct xctx *x, struct ot_ast_word *w, uint16_t *lo, uint16_t *hi)
{
	const char *t = word_text(x, w), *dash;
	char buf[80], a[24];
	uint64_t va, vb;
	size_t n;

	if (!t)
		return false;
	dash = strchr(t, '-');
	n = dash ? (size_t)(dash - t) : strlen(t);
	if (n >= sizeof(a))
		n = sizeof(a) - 1;
	memcpy(a, t, n);
	a[n] = '\0';
	if (!parse_u64(a, &va) || (dash && !parse_u64(dash + 1, &vb))) {
		struct ot_diag *g =
		    xerr(x, w->loc, "invalid port '%s'", shown(t, buf, sizeof(buf)));

		xhint(x, g, "a port (80) or a range of ports (8000-8099)");
		return false;
	}
	if (!dash)
		vb = va;
	if (va < 1 || va > 65535 || vb < 1 || vb > 65535) {
		xerr(x, w->loc, "port %s is out of range (1..65535)", shown(t, buf, sizeof(buf)));
		return false;
	}
	if (va > vb) {
		xerr(x, w->loc, "port range %s is reversed", shown(t, buf, sizeof(buf)));
		return false;
	}
	*lo = (uint16_t)va;
	*hi = (uint16_t)vb;
	return true;
}

/* Checks run as elements are finished (defined with the topology-wide ones). */
static void bind_iface(struct xctx *x, struct ot_m_iface *ifc, struct xnet *n, bool late);
static void iface_subnet_checks(struct xctx *x, struct ot_m_iface *ifc, uint16_t nolen);
static void iface_register(struct xctx *x, struct ot_m_iface *ifc);
static void container_overlaps(struct xctx *x, struct ot_m_container *c);
static void uplink_checks(struct xctx *x, struct xnet *n);

/* ------------------------------------------------------------------ */
/* nodes                                                                */

static struct xnode *node_new(struct xctx *x, struct ot_ast_word *w, const char *name);

static struct xnode *node_get(struct xctx *x, struct ot_ast_word *w)
{
	struct xnode *n;
	const char *name;

	/* Consecutive containers are mostly on the same node: check the last
	 * one before validating and looking the name up again. */
	if (x->last_node && !w->lit) {
		const char *t = word_text(x, w);

		if (!t)
			return NULL;
		if (strcmp(t, x->last_node->n.name) == 0)
			return x->last_node;
	}
	name = word_name(x, w, "node");
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
		xerr(x, w->loc, "too many nodes (the limit is %d)", OT_MAX_NODES);
		x->fatal = true;
		return NULL;
	}
	n = xalloc(x, sizeof(*n));
	if (!n || !VPUSH(x, x->nodev))
		return NULL;
	x->nodev.v[x->nodev.n - 1] = n;
	n->n.name = name;
	n->n.loc = mloc(x, w->loc);
	if (ot_strmap_put(&x->nodes, name, n, NULL) < 0)
		x->oom = true;
	x->last_node = n;
	return n;
}

static void x_node(struct xctx *x, struct ot_ast_stmt *st)
{
	struct xnode *n = node_get(x, st->u.w);

	if (!n)
		return;
	if (n->declared) {
		struct ot_diag *g = xerr(x, st->u.w->loc, "duplicate node '%s'", n->n.name);

		ot_diag_note(g, n->decl_loc, "first declared here");
		return;
	}
	n->declared = true;
	n->decl_loc = st->u.w->loc;
	n->n.loc = mloc(x, st->u.w->loc);
}

/* ------------------------------------------------------------------ */
/* top level                                                            */

static void expand_list(struct xctx *x, struct ot_ast_stmt *st);

static void x_nothing(struct xctx *x, struct ot_ast_stmt *st)
{
}

static void x_include(struct xctx *x, struct ot_ast_stmt *st)
{
	expand_list(x, st->body);
}

/* A statement or value that may be given once, given again at 'at': the
 * error, with a note at the first. Returns the diagnostic (for a hint). */
static struct ot_diag *duplicate(struct xctx *x, struct ot_loc at, struct ot_loc first,
				 const char *what)
{
	struct ot_diag *g = xerr(x, at, "duplicate %s", what);

	ot_diag_note(g, first, "first given here");
	return g;
}

static void x_vxlan(struct xctx *x, struct ot_ast_stmt *st)
{
	uint32_t port;

	if (x->vxlan_set) {
		duplicate(x, st->loc, x->vxlan_loc, "'vxlan port'");
		return;
	}
	if (!word_u32(x, st->u.w, "port", 1, 65535, &port))
		return;
	x->vxlan_set = true;
	x->vxlan_loc = st->loc;
	x->m->vxlan_port = (uint16_t)port;
}

static void x_for(struct xctx *x, struct ot_ast_stmt *st)
{
	int64_t lo, hi, v;
	uint64_t count;

	if (!eval(x, st->u.loop.lo, &lo) || !eval(x, st->u.loop.hi, &hi))
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
		g = xerr(x, l,
			 "too many loop iterations: this loop would bring the total to more "
			 "than %d",
			 OT_MAX_LOOP_ITERATIONS);
		xhint(x, g, "all loops of a topology together may run at most %d iterations",
		      OT_MAX_LOOP_ITERATIONS);
		x->fatal = true;
		return;
	}
	x->iterations += count;
	x->varnames[x->nvars] = st->u.loop.var;
	x->nvars++;
	for (v = lo;; v++) {
		x->vars[x->nvars - 1] = v;
		expand_list(x, st->body);
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
	const char *name = word_name(x, st->u.named.name, "network");
	size_t i;

	if (!name)
		return;
	n = xalloc(x, sizeof(*n));
	if (!n)
		return;
	n->n.name = name;
	n->n.loc = mloc(x, st->u.named.name->loc);
	old = ot_strmap_get(&x->networks, name);
	x->net = n;
	expand_list(x, st->body);
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
			xerr(x, n->uplink_addr_loc.v[i],
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
		struct ot_diag *g = xerr(x, st->u.named.name->loc, "duplicate network '%s'", name);

		ot_diag_note(g, old->n.loc, "first defined here");
		return;
	}
	if (x->netv.n >= OT_MAX_NETWORKS) {
		xerr(x, st->u.named.name->loc, "too many networks (the limit is %d)",
		     OT_MAX_NETWORKS);
		x->fatal = true;
		return;
	}
	if (!VPUSH(x, x->netv))
		return;
	x->netv.v[x->netv.n - 1] = n;
	if (ot_strmap_put(&x->networks, name, n, NULL) < 0)
		x->oom = true;
	uplink_checks(x, n);
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

		if (!word_prefix(x, w, true, "subnet",
				 "a subnet with prefix length, such as 10.0.0.0/24 or fd00::/64",
				 &p, NULL))
			continue;
		net = ot_prefix_network(&p);
		if (memcmp(net.addr.bytes, p.addr.bytes, sizeof(p.addr.bytes)) != 0) {
			struct ot_diag *g;

			ot_prefix_format(&p, a, sizeof(a));
			ot_prefix_format(&net, b, sizeof(b));
			g = xerr(x, w->loc, "subnet %s has host bits set", a);
			xhint(x, g, "did you mean %s?", b);
			continue;
		}
		if (p.len == 0) {
			xerr(x, w->loc, "a subnet of prefix length 0 would hold every address");
			continue;
		}
		v6 = p.addr.family == AF_INET6;
		if (v6 ? n->n.has_subnet6 : n->n.has_subnet4) {
			struct ot_diag *g = xerr(x, w->loc, "network '%s' already has an %s subnet",
						 n->n.name, v6 ? "IPv6" : "IPv4");

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
		duplicate(x, st->loc, n->n.vni_loc, "'vni'");
		return;
	}
	if (!word_u32(x, st->u.w, "VNI", 1, 16777215, &v))
		return;
	n->vni_set = true;
	n->n.vni = v;
	n->n.vni_loc = mloc(x, st->u.w->loc);
}

static void x_mtu(struct xctx *x, struct ot_ast_stmt *st)
{
	struct xnet *n = x->net;
	uint32_t v;

	if (n->mtu_set) {
		duplicate(x, st->loc, n->n.mtu_loc, "'mtu'");
		return;
	}
	if (!word_u32(x, st->u.w, "MTU", 68, 65535, &v))
		return;
	n->mtu_set = true;
	n->n.mtu = v;
	n->n.mtu_loc = mloc(x, st->u.w->loc);
}

static void x_bridge(struct xctx *x, struct ot_ast_stmt *st)
{
	struct xnet *n = x->net;

	if (n->bridge_set) {
		duplicate(x, st->loc, n->bridge_loc, "'bridge always'");
		return;
	}
	n->bridge_set = true;
	n->bridge_loc = st->loc;
	n->n.force_bridge = true;
}

static bool host_ifname(struct xctx *x, struct ot_ast_word *w, char out[OT_IFNAMSIZ])
{
	const char *t = word_text(x, w), *problem;
	char buf[80];

	if (!t)
		return false;
	problem = ot_ifname_problem(t);
	if (problem) {
		xerr(x, w->loc, "invalid host interface name '%s': %s", shown(t, buf, sizeof(buf)),
		     problem);
		return false;
	}
	snprintf(out, OT_IFNAMSIZ, "%s", t);
	return true;
}

/* An interface (or uplink) address: unicast, not loopback. */
static bool check_unicast(struct xctx *x, struct ot_ast_word *w, const struct ot_prefix *p)
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
	xerr(x, w->loc, "address %s %s", a, why);
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
	node = node_get(x, st->u.uplink.node);
	if (!node)
		return;
	if (!word_prefix(x, st->u.uplink.addr, false, "uplink address",
			 "an address such as 10.0.0.1/24", &u.address, &nolen) ||
	    !check_unicast(x, st->u.uplink.addr, &u.address))
		return;
	if (st->u.uplink.out && !host_ifname(x, st->u.uplink.out, u.out))
		return;
	for (i = 0; i < n->uplinks.n; i++) {
		if (n->uplinks.v[i].node == &node->n) {
			struct ot_diag *g = xerr(x, st->u.uplink.node->loc,
						 "network '%s' already has an uplink on node '%s'",
						 n->n.name, node->n.name);

			ot_diag_note(g, n->uplinks.v[i].loc, "first uplink here");
			return;
		}
	}
	u.node = &node->n;
	u.masquerade = st->u.uplink.masquerade;
	u.loc = mloc(x, st->loc);
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
	const char *t = word_text(x, w), *dot, *problem;
	char buf[80];
	char *s;

	if (!t)
		return false;
	dot = strchr(t, '.');
	if (!dot) {
		struct ot_diag *g =
		    xerr(x, w->loc, "invalid link end '%s': expected CONTAINER.IFACE",
			 shown(t, buf, sizeof(buf)));

		xhint(x, g, "link r1.eth1 -- r2.eth1");
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
		xerr(x, w->loc, "invalid link end '%s': a name %s", shown(t, buf, sizeof(buf)),
		     problem);
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
	if (st->u.link.mtu && word_u32(x, st->u.link.mtu, "MTU", 68, 65535, &l.mtu))
		l.mtu_loc = mloc(x, st->u.link.mtu->loc);
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
/* containers                                                           */

static void cs_reset(struct cscratch *cs)
{
	cs->ifaces.n = cs->ifx.n = 0;
	cs->routes.n = cs->route_dev.n = 0;
	cs->rules.n = cs->rule_iif.n = cs->rule_oif.n = 0;
	cs->nats.n = cs->nat_if.n = 0;
	cs->sysctls.n = cs->ranks.n = 0;
	cs->isolate_set = cs->hostname_set = cs->forward_set = false;
	memset(cs->policy_set, 0, sizeof(cs->policy_set));
	cs->cpu_set = cs->mem_set = cs->pids_set = cs->ranks_set = false;
}

static void cs_free(struct cscratch *cs)
{
	VFREE(cs->ifaces);
	VFREE(cs->ifx);
	VFREE(cs->routes);
	VFREE(cs->route_dev);
	VFREE(cs->rules);
	VFREE(cs->rule_iif);
	VFREE(cs->rule_oif);
	VFREE(cs->nats);
	VFREE(cs->nat_if);
	VFREE(cs->sysctls);
	VFREE(cs->ranks);
}

static struct ot_m_iface *find_iface(struct ot_m_iface *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* Bind an interface reference of a container statement to its interface. */
static struct ot_m_iface *resolve_ref(struct xctx *x, struct ot_m_container *c,
				      const struct nref *r)
{
	struct ot_m_iface *ifc;
	struct ot_suggest sg;
	struct ot_diag *g;
	size_t i;

	if (!r->name)
		return NULL;
	ifc = find_iface(c->ifaces, c->nifaces, r->name);
	if (ifc)
		return ifc;
	g = xerr(x, r->loc, "unknown interface '%s' in container '%s'", r->name, c->name);
	ot_suggest_init(&sg, r->name);
	for (i = 0; i < c->nifaces; i++)
		ot_suggest_add(&sg, c->ifaces[i].name);
	if (ot_suggest_best(&sg))
		xhint(x, g, "did you mean '%s'?", ot_suggest_best(&sg));
	return NULL;
}

#define ARENA_COPY(x, dst, ndst, vec)                                                              \
	do {                                                                                       \
		(ndst) = 0;                                                                        \
		(dst) = NULL;                                                                      \
		if ((vec).n) {                                                                     \
			(dst) = ot_arena_memdup((x)->ma, (vec).v, (vec).n * sizeof(*(vec).v));     \
			if (!(dst))                                                                \
				(x)->oom = true;                                                   \
			else                                                                       \
				(ndst) = (vec).n;                                                  \
		}                                                                                  \
	} while (0)

static void finish_container(struct xctx *x)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_container *c = cs->c;
	bool late = false;
	size_t i;

	ARENA_COPY(x, c->ifaces, c->nifaces, cs->ifaces);
	ARENA_COPY(x, c->routes, c->nroutes, cs->routes);
	ARENA_COPY(x, c->rules, c->nrules, cs->rules);
	ARENA_COPY(x, c->nats, c->nnats, cs->nats);
	ARENA_COPY(x, c->sysctls, c->nsysctls, cs->sysctls);
	ARENA_COPY(x, c->ranks, c->nranks, cs->ranks);
	if (x->oom)
		return;
	for (i = 0; i < c->nifaces; i++)
		c->ifaces[i].container = c;
	for (i = 0; i < c->nroutes; i++)
		c->routes[i].dev = resolve_ref(x, c, &cs->route_dev.v[i]);
	for (i = 0; i < c->nrules; i++) {
		c->rules[i].iif = resolve_ref(x, c, &cs->rule_iif.v[i]);
		c->rules[i].oif = resolve_ref(x, c, &cs->rule_oif.v[i]);
	}
	for (i = 0; i < c->nnats; i++) {
		if (c->nats[i].kind == OT_M_DNAT)
			c->nats[i].iif = resolve_ref(x, c, &cs->nat_if.v[i]);
		else
			c->nats[i].oif = resolve_ref(x, c, &cs->nat_if.v[i]);
	}
	if (cs->hostname_set && !(c->isolate & OT_ISO_UTS)) {
		struct ot_diag *g = xerr(x, cs->hostname_loc, "'hostname' needs 'isolate uts'");

		xhint(x, g,
		      "without a UTS namespace the host's own name would change; add "
		      "'isolate net uts'");
	}
	if (cs->dup)
		return;
	/* Bind, check and register each interface now, while the container
	 * is in the cache; only interfaces on networks declared further down
	 * wait for the end of the pass. */
	for (i = 0; i < c->nifaces; i++) {
		struct ot_m_iface *ifc = &c->ifaces[i];
		const char *net = cs->ifx.v[i].net;
		struct xnet *n;

		if (ifc->kind == OT_M_IFACE_NET && !net) {
			struct ot_m_iface **p = VPUSH(x, x->linkends);

			if (!p)
				return;
			*p = ifc; /* a link end: lengths are explicit */
		} else if (ifc->kind == OT_M_IFACE_NET && !net[0]) {
			ifc->naddrs = 0; /* invalid network name (reported): no cascade */
			continue;
		} else if (ifc->kind == OT_M_IFACE_NET) {
			n = ot_strmap_get(&x->networks, net);
			if (!n) {
				struct pend_if *p = VPUSH(x, x->pifs);

				if (!p)
					return;
				p->ifc = ifc;
				p->net = net;
				p->net_loc = cs->ifx.v[i].net_loc;
				p->nolen = cs->ifx.v[i].nolen;
				late = true;
				continue;
			}
			bind_iface(x, ifc, n, false);
			iface_subnet_checks(x, ifc, cs->ifx.v[i].nolen);
		}
		iface_register(x, ifc);
	}
	if (late) {
		struct ot_m_container **p = VPUSH(x, x->late_overlaps);

		if (p)
			*p = c;
	} else {
		container_overlaps(x, c);
	}
	for (i = 0; i < c->nranks; i++) {
		struct rank_use *u = VPUSH(x, x->ranks);

		if (!u)
			return;
		u->first = c->ranks[i].first;
		u->last = c->ranks[i].last;
		u->c = c;
	}
	if (!VPUSH(x, x->ctrv))
		return;
	x->ctrv.v[x->ctrv.n - 1] = c;
}

static void x_container(struct xctx *x, struct ot_ast_stmt *st)
{
	struct ot_m_container *c, *old;
	struct xnode *node;
	const char *name;

	name = word_name(x, st->u.named.name, "container");
	node = node_get(x, st->u.named.node);
	if (!name || !node)
		return;
	if (x->ctrv.n >= OT_MAX_CONTAINERS) {
		xerr(x, st->u.named.name->loc, "too many containers (the limit is %d)",
		     OT_MAX_CONTAINERS);
		x->fatal = true;
		return;
	}
	c = xalloc(x, sizeof(*c));
	if (!c)
		return;
	c->name = name;
	c->loc = mloc(x, st->u.named.name->loc);
	c->node = &node->n;
	c->isolate = OT_ISO_NET;
	cs_reset(&x->cs);
	x->cs.c = c;
	old = NULL;
	switch (ot_strmap_put(&x->containers, name, c, (void **)&old)) {
	case 0:
		x->cs.dup = false;
		break;
	case -EEXIST: {
		struct ot_diag *g =
		    xerr(x, st->u.named.name->loc, "duplicate container '%s'", name);

		ot_diag_note(g, old->loc, "first defined here");
		x->cs.dup = true;
		break;
	}
	default:
		x->oom = true;
		return;
	}
	expand_list(x, st->body);
	finish_container(x);
	x->cs.c = NULL;
}

static void x_isolate(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;

	if (cs->isolate_set) {
		struct ot_diag *g = duplicate(x, st->loc, cs->c->isolate_loc, "'isolate'");

		xhint(x, g, "list every namespace kind in one statement: isolate net uts ipc");
		return;
	}
	cs->isolate_set = true;
	cs->c->isolate = st->u.isolate.mask | OT_ISO_NET;
	cs->c->isolate_loc = mloc(x, st->loc);
}

static bool hostname_ok(const char *s)
{
	size_t i, n = strlen(s), label = 0;

	if (n == 0 || n > MAX_HOSTNAME)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c == '-' && label > 0)))
			return false;
		label++;
	}
	return label > 0 && s[n - 1] != '-';
}

static void x_hostname(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	const char *t;
	char buf[80];

	if (cs->hostname_set) {
		duplicate(x, st->loc, cs->hostname_loc, "'hostname'");
		return;
	}
	t = word_text(x, st->u.w);
	if (!t)
		return;
	if (!hostname_ok(t)) {
		struct ot_diag *g =
		    xerr(x, st->u.w->loc, "invalid host name '%s'", shown(t, buf, sizeof(buf)));

		xhint(x, g, "letters, digits and '-' in dot-separated labels, at most %d bytes",
		      MAX_HOSTNAME);
		return;
	}
	cs->hostname_set = true;
	cs->hostname_loc = st->loc;
	cs->c->hostname = ot_arena_strdup(x->ma, t);
	if (!cs->c->hostname)
		x->oom = true;
}

static bool check_mac(struct xctx *x, struct ot_ast_word *w, struct ot_mac *mac)
{
	const char *t = word_text(x, w);
	char buf[80];

	if (!t)
		return false;
	if (ot_mac_parse(t, mac) < 0) {
		struct ot_diag *g =
		    xerr(x, w->loc, "invalid MAC address '%s'", shown(t, buf, sizeof(buf)));

		xhint(x, g,
		      "six two-digit hex groups such as 02:00:00:00:00:01 (templates: "
		      "{i:02x})");
		return false;
	}
	if (ot_mac_is_zero(mac)) {
		xerr(x, w->loc, "MAC address %s is all zeros", t);
		return false;
	}
	if (mac->b[0] & 1) {
		struct ot_diag *g = xerr(x, w->loc, "MAC address %s is a multicast address", t);

		xhint(x, g,
		      "the lowest bit of the first byte must be 0; locally administered "
		      "unicast addresses start with 02");
		return false;
	}
	return true;
}

static void x_iface(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_iface *ifc, *old;
	struct ifx *fx;
	const char *name;
	uint32_t i;

	name = word_name(x, st->u.iface.name, "interface");
	if (!name)
		return;
	if (strcmp(name, "lo") == 0) {
		xerr(x, st->u.iface.name->loc,
		     "'lo' is the loopback interface every container "
		     "already has");
		return;
	}
	old = find_iface(cs->ifaces.v, cs->ifaces.n, name);
	if (old) {
		struct ot_diag *g =
		    xerr(x, st->u.iface.name->loc, "duplicate interface '%s' in container '%s'",
			 name, cs->c->name);

		ot_diag_note(g, old->loc, "first defined here");
		return;
	}
	if (cs->ifaces.n >= OT_MAX_IFACES) {
		xerr(x, st->u.iface.name->loc,
		     "too many interfaces in container '%s' (the limit is %d)", cs->c->name,
		     OT_MAX_IFACES);
		return;
	}
	if (st->u.iface.naddrs > OT_MAX_ADDRS) {
		xerr(x, st->u.iface.addrs[OT_MAX_ADDRS]->loc,
		     "too many addresses on interface '%s' (the limit is %d)", name, OT_MAX_ADDRS);
		return;
	}
	ifc = VPUSH(x, cs->ifaces);
	fx = VPUSH(x, cs->ifx);
	if (!ifc || !fx)
		return;
	ifc->name = name;
	ifc->loc = mloc(x, st->u.iface.name->loc);
	ifc->kind = st->u.iface.kind == OT_AI_MACVLAN ? OT_M_IFACE_MACVLAN : OT_M_IFACE_NET;
	ifc->macvlan_mode = (enum ot_macvlan_mode)st->u.iface.mode;
	if (st->u.iface.kind == OT_AI_NET) {
		fx->net = word_name(x, st->u.iface.net, "network");
		fx->net_loc = st->u.iface.net->loc;
		if (!fx->net) {
			/* reported; keep the interface so later references resolve */
			fx->net = "";
		}
	} else if (st->u.iface.kind == OT_AI_MACVLAN) {
		host_ifname(x, st->u.iface.lower, ifc->lower);
	}
	if (st->u.iface.naddrs) {
		ifc->addrs = ot_arena_calloc(x->ma, st->u.iface.naddrs, sizeof(*ifc->addrs));
		ifc->addr_locs =
		    ot_arena_calloc(x->ma, st->u.iface.naddrs, sizeof(*ifc->addr_locs));
		if (!ifc->addrs || !ifc->addr_locs) {
			x->oom = true;
			return;
		}
	}
	for (i = 0; i < st->u.iface.naddrs; i++) {
		struct ot_ast_word *w = st->u.iface.addrs[i];
		struct ot_prefix p;
		bool nolen;

		if (!word_prefix(x, w, false, "address",
				 "an interface address such as 10.0.0.5/24 or fd00::5/64", &p,
				 &nolen) ||
		    !check_unicast(x, w, &p))
			continue;
		if (nolen && st->u.iface.kind != OT_AI_NET) {
			struct ot_diag *g = xerr(x, w->loc, "address needs a prefix length");

			xhint(x, g, "only interfaces on a network with a subnet may omit it");
			continue;
		}
		if (nolen)
			fx->nolen |= (uint16_t)(1u << ifc->naddrs);
		ifc->addr_locs[ifc->naddrs] = mloc(x, w->loc);
		ifc->addrs[ifc->naddrs++] = p;
	}
	if (st->u.iface.mac && check_mac(x, st->u.iface.mac, &ifc->mac)) {
		ifc->has_mac = true;
		ifc->mac_loc = mloc(x, st->u.iface.mac->loc);
	}
	if (st->u.iface.mtu && word_u32(x, st->u.iface.mtu, "MTU", 68, 65535, &ifc->mtu)) {
		ifc->mtu_loc = mloc(x, st->u.iface.mtu->loc);
		for (i = 0; ifc->mtu < 1280 && i < ifc->naddrs; i++) {
			if (ifc->addrs[i].addr.family == AF_INET6) {
				xerr(x, st->u.iface.mtu->loc,
				     "MTU %u is too small for IPv6 (at least 1280)", ifc->mtu);
				break;
			}
		}
	}
}

static void x_route(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_route r;
	struct nref *dev;
	char a[OT_PREFIX_STRLEN], b[OT_PREFIX_STRLEN];
	size_t i;

	memset(&r, 0, sizeof(r));
	r.loc = mloc(x, st->loc);
	if (st->u.route.dst) {
		struct ot_prefix net;

		if (!word_prefix(x, st->u.route.dst, false, "route destination",
				 "'default' or a prefix such as 10.1.0.0/16", &r.dst, NULL))
			return;
		net = ot_prefix_network(&r.dst);
		if (memcmp(net.addr.bytes, r.dst.addr.bytes, sizeof(net.addr.bytes)) != 0) {
			struct ot_diag *g;

			ot_prefix_format(&r.dst, a, sizeof(a));
			ot_prefix_format(&net, b, sizeof(b));
			g = xerr(x, st->u.route.dst->loc, "route destination %s has host bits set",
				 a);
			xhint(x, g, "did you mean %s?", b);
			return;
		}
	}
	if (st->u.route.via) {
		if (!word_addr(x, st->u.route.via, "gateway", &r.via))
			return;
		r.has_via = true;
		if (st->u.route.dst && r.via.family != r.dst.addr.family) {
			xerr(x, st->u.route.via->loc, "gateway is %s but the destination is %s",
			     r.via.family == AF_INET6 ? "IPv6" : "IPv4",
			     r.dst.addr.family == AF_INET6 ? "IPv6" : "IPv4");
			return;
		}
	}
	if (!st->u.route.dst)
		r.dst.addr.family = r.has_via ? r.via.family : AF_INET;
	if (st->u.route.metric &&
	    !word_u32(x, st->u.route.metric, "metric", 0, MAX_METRIC, &r.metric))
		return;
	for (i = 0; i < cs->routes.n; i++) {
		const struct ot_m_route *o = &cs->routes.v[i];

		if (o->metric == r.metric && o->dst.len == r.dst.len &&
		    ot_addr_equal(&o->dst.addr, &r.dst.addr)) {
			struct ot_diag *g;

			ot_prefix_format(&r.dst, a, sizeof(a));
			g = xerr(x, st->loc, "duplicate route to %s in container '%s'",
				 r.dst.len ? a : "default", cs->c->name);
			ot_diag_note(g, o->loc, "first given here");
			return;
		}
	}
	if (cs->routes.n >= OT_MAX_ROUTES) {
		xerr(x, st->loc, "too many routes in container '%s' (the limit is %d)", cs->c->name,
		     OT_MAX_ROUTES);
		return;
	}
	dev = VPUSH(x, cs->route_dev);
	if (!dev || !VPUSH(x, cs->routes))
		return;
	cs->routes.v[cs->routes.n - 1] = r;
	if (st->u.route.dev) {
		dev->name = word_name(x, st->u.route.dev, "interface");
		dev->loc = st->u.route.dev->loc;
	}
}

static bool sysctl_key_ok(const char *k)
{
	size_t i, n = strlen(k), seg = 0;

	if (n > MAX_SYSCTL_KEY || strncmp(k, "net.", 4) != 0)
		return false;
	for (i = 0; i < n; i++) {
		char c = k[i];

		if (c == '.') {
			if (seg == 0)
				return false;
			seg = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
		seg++;
	}
	return seg > 0;
}

static void x_sysctl(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_sysctl *s;
	const char *t;
	char *key, buf[80];
	struct ot_strbuf val = OT_STRBUF_INIT;
	size_t i;

	t = word_text(x, st->u.sysctl.key);
	if (!t)
		return;
	if (!sysctl_key_ok(t)) {
		struct ot_diag *g;

		if (strncmp(t, "net.", 4) != 0) {
			g = xerr(x, st->u.sysctl.key->loc, "sysctl '%s' is not a network sysctl",
				 shown(t, buf, sizeof(buf)));
			xhint(x, g, "only net.* sysctls belong to a network namespace");
		} else {
			g = xerr(x, st->u.sysctl.key->loc, "invalid sysctl key '%s'",
				 shown(t, buf, sizeof(buf)));
			xhint(x, g,
			      "dot-separated names of letters, digits, '_' and '-', such as "
			      "net.ipv4.tcp_ecn");
		}
		return;
	}
	key = ot_arena_strdup(x->ma, t);
	if (!key) {
		x->oom = true;
		return;
	}
	for (i = 0; key[i]; i++)
		if (key[i] == '.')
			key[i] = '/';
	for (i = 0; i < st->u.sysctl.nvals; i++) {
		t = word_text(x, st->u.sysctl.vals[i]);
		if (!t) {
			ot_sb_free(&val);
			return;
		}
		if (i)
			ot_sb_putc(&val, ' ');
		ot_sb_append(&val, t);
	}
	t = ot_sb_str(&val);
	for (i = 0; t[i]; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
			break;
	if (t[i] || val.len > MAX_SYSCTL_VALUE || val.len == 0) {
		xerr(x, st->u.sysctl.vals[0]->loc, "invalid sysctl value: %s",
		     val.len == 0 ? "empty"
		     : t[i]	  ? "control characters"
				  : "longer than 256 bytes");
		ot_sb_free(&val);
		return;
	}
	for (i = 0; i < cs->sysctls.n; i++) {
		if (strcmp(cs->sysctls.v[i].key, key) == 0) {
			struct ot_diag *g = xerr(x, st->u.sysctl.key->loc, "duplicate sysctl '%s'",
						 word_text(x, st->u.sysctl.key));

			ot_diag_note(g, cs->sysctls.v[i].loc, "first set here");
			ot_sb_free(&val);
			return;
		}
	}
	if (cs->sysctls.n >= OT_MAX_SYSCTLS) {
		xerr(x, st->loc, "too many sysctls in container '%s' (the limit is %d)",
		     cs->c->name, OT_MAX_SYSCTLS);
		ot_sb_free(&val);
		return;
	}
	s = VPUSH(x, cs->sysctls);
	if (s) {
		s->loc = mloc(x, st->loc);
		s->key = key;
		s->value = ot_arena_strdup(x->ma, t);
		if (!s->value)
			x->oom = true;
	}
	ot_sb_free(&val);
}

static void x_forward(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;

	if (cs->forward_set) {
		duplicate(x, st->loc, cs->c->forward_loc, "'forward'");
		return;
	}
	cs->forward_set = true;
	cs->c->forward = true;
	cs->c->forward_loc = mloc(x, st->loc);
}

static void x_block(struct xctx *x, struct ot_ast_stmt *st)
{
	expand_list(x, st->body);
}

/* "256M", "1G", "1048576": bytes, with binary K/M/G/T suffixes. */
static bool parse_size(const char *t, uint64_t *ret)
{
	static const char units[] = "KMGT";
	char num[24];
	size_t n = strlen(t);
	unsigned shift = 0;
	const char *u;
	uint64_t v;

	if (n == 0 || n >= sizeof(num))
		return false;
	u = strchr(units, t[n - 1] >= 'a' ? t[n - 1] - 32 : t[n - 1]);
	if (u && t[n - 1] != '\0') {
		shift = 10 * (unsigned)(u - units + 1);
		n--;
	}
	memcpy(num, t, n);
	num[n] = '\0';
	if (!parse_u64(num, &v))
		return false;
	if (v > (UINT64_MAX >> shift))
		v = UINT64_MAX;
	else
		v <<= shift;
	*ret = v;
	return true;
}

static void x_limit(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_container *c = cs->c;
	char buf[80];
	const char *t;

	if (st->u.limit.cpu) {
		struct ot_ast_word *w = st->u.limit.cpu;
		uint64_t v;
		char num[24];
		size_t n;

		if (cs->cpu_set) {
			duplicate(x, w->loc, cs->cpu_loc, "cpu limit");
		} else if ((t = word_text(x, w)) != NULL) {
			n = strlen(t);
			if (n < 2 || n >= sizeof(num) || t[n - 1] != '%') {
				struct ot_diag *g = xerr(x, w->loc, "invalid cpu limit '%s'",
							 shown(t, buf, sizeof(buf)));

				xhint(
				    x, g,
				    "a percentage of one CPU: 50%% is half a CPU, 200%% two CPUs");
			} else {
				memcpy(num, t, n - 1);
				num[n - 1] = '\0';
				if (!parse_u64(num, &v)) {
					struct ot_diag *g =
					    xerr(x, w->loc, "invalid cpu limit '%s'",
						 shown(t, buf, sizeof(buf)));

					xhint(x, g,
					      "a percentage of one CPU: 50%% is half a CPU, 200%% "
					      "two CPUs");
				} else if (v < 1 || v > MAX_CPU_PCT) {
					xerr(x, w->loc, "cpu limit %s is out of range (1%%..%u%%)",
					     t, MAX_CPU_PCT);
				} else {
					cs->cpu_set = true;
					cs->cpu_loc = w->loc;
					c->cpu_pct = (uint32_t)v;
				}
			}
		}
	}
	if (st->u.limit.memory) {
		struct ot_ast_word *w = st->u.limit.memory;
		uint64_t v;

		if (cs->mem_set) {
			duplicate(x, w->loc, cs->mem_loc, "memory limit");
		} else if ((t = word_text(x, w)) != NULL) {
			if (!parse_size(t, &v)) {
				struct ot_diag *g = xerr(x, w->loc, "invalid memory limit '%s'",
							 shown(t, buf, sizeof(buf)));

				xhint(x, g,
				      "bytes, or a number with K, M, G or T (binary units): 256M");
			} else if (v < MIN_MEMORY || v > MAX_MEMORY) {
				xerr(x, w->loc, "memory limit %s is out of range (1M..1024T)", t);
			} else {
				cs->mem_set = true;
				cs->mem_loc = w->loc;
				c->memory = v;
			}
		}
	}
	if (st->u.limit.pids) {
		struct ot_ast_word *w = st->u.limit.pids;
		uint32_t v;

		if (cs->pids_set) {
			duplicate(x, w->loc, cs->pids_loc, "pids limit");
		} else if (word_u32(x, w, "pids limit", 1, MAX_PIDS, &v)) {
			cs->pids_set = true;
			cs->pids_loc = w->loc;
			c->pids = v;
		}
	}
	if (!c->limit_loc.line)
		c->limit_loc = mloc(x, st->loc);
}

static void x_ranks(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	uint32_t i;

	if (!cs->ranks_set) {
		cs->ranks_set = true;
		cs->c->ranks_loc = mloc(x, st->loc);
	}
	for (i = 0; i < st->u.list.n; i++) {
		struct ot_ast_word *w = st->u.list.v[i];
		const char *t = word_text(x, w), *dots;
		struct ot_rank_range *r;
		uint64_t a, b;
		char buf[80], first[24];
		size_t n;

		if (!t)
			continue;
		dots = strstr(t, "..");
		n = dots ? (size_t)(dots - t) : strlen(t);
		if (n >= sizeof(first))
			n = sizeof(first) - 1;
		memcpy(first, t, n);
		first[n] = '\0';
		if (!parse_u64(first, &a) || (dots && !parse_u64(dots + 2, &b))) {
			struct ot_diag *g =
			    xerr(x, w->loc, "invalid rank '%s'", shown(t, buf, sizeof(buf)));

			xhint(x, g, "a rank (4) or an inclusive range (0..3)");
			continue;
		}
		if (!dots)
			b = a;
		if (a > MAX_RANK || b > MAX_RANK) {
			xerr(x, w->loc, "rank %s is out of range (0..%u)",
			     shown(t, buf, sizeof(buf)), MAX_RANK);
			continue;
		}
		if (a > b) {
			xerr(x, w->loc, "rank range %s is reversed", t);
			continue;
		}
		if (cs->ranks.n >= OT_MAX_RANK_RANGES) {
			xerr(x, w->loc, "too many rank ranges in container '%s' (the limit is %d)",
			     cs->c->name, OT_MAX_RANK_RANGES);
			return;
		}
		r = VPUSH(x, cs->ranks);
		if (!r)
			return;
		r->first = (uint32_t)a;
		r->last = (uint32_t)b;
	}
}

/* ------------------------------------------------------------------ */
/* firewall and NAT                                                     */

static const enum ot_m_dir dir_map[] = {
    [OT_AD_IN] = OT_M_IN,
    [OT_AD_OUT] = OT_M_OUT,
    [OT_AD_FORWARD] = OT_M_FORWARD,
};

static const enum ot_m_action action_map[] = {
    [OT_AA_ALLOW] = OT_M_ALLOW,
    [OT_AA_DROP] = OT_M_DROP,
    [OT_AA_REJECT] = OT_M_REJECT,
};

static const char *family_name(uint8_t f)
{
	return f == AF_INET6 ? "IPv6" : "IPv4";
}

/* Merge a family implied by one part of a rule into *fam; false on conflict. */
static bool merge_family(struct xctx *x, uint8_t *fam, struct ot_loc *fam_loc, uint8_t f,
			 struct ot_loc loc, const char *what)
{
	if (!*fam) {
		*fam = f;
		*fam_loc = loc;
		return true;
	}
	if (*fam == f)
		return true;
	{
		struct ot_diag *g = xerr(x, loc, "%s is %s, but the rule is %s", what,
					 family_name(f), family_name(*fam));

		ot_diag_note(g, *fam_loc, "the rule's family comes from here");
	}
	return false;
}

static bool check_rule_count(struct xctx *x, struct ot_loc loc)
{
	if (x->cs.rules.n + x->cs.nats.n < OT_MAX_RULES)
		return true;
	xerr(x, loc, "too many firewall and nat rules in container '%s' (the limit is %d)",
	     x->cs.c->name, OT_MAX_RULES);
	return false;
}

static void x_rule(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_rule r;
	struct ot_loc fam_loc = st->u.rule.family_loc;
	struct nref *iif, *oif;
	bool ok = true;

	memset(&r, 0, sizeof(r));
	r.loc = mloc(x, st->loc);
	r.dir = dir_map[st->u.rule.dir];
	r.action = action_map[st->u.rule.action];
	r.family = st->u.rule.family;
	r.l4proto = st->u.rule.proto;
	if (r.l4proto == IPPROTO_ICMP)
		ok &= merge_family(x, &r.family, &fam_loc, AF_INET, st->u.rule.proto_loc, "icmp");
	else if (r.l4proto == IPPROTO_ICMPV6)
		ok &=
		    merge_family(x, &r.family, &fam_loc, AF_INET6, st->u.rule.proto_loc, "icmpv6");
	if (st->u.rule.from) {
		if (word_prefix(x, st->u.rule.from, false, "address",
				"an address or a prefix such as 10.0.0.0/24", &r.src, NULL)) {
			r.has_src = true;
			ok &= merge_family(x, &r.family, &fam_loc, r.src.addr.family,
					   st->u.rule.from->loc, "the 'from' address");
		} else {
			ok = false;
		}
	}
	if (st->u.rule.to) {
		if (word_prefix(x, st->u.rule.to, false, "address",
				"an address or a prefix such as 10.0.0.0/24", &r.dst, NULL)) {
			r.has_dst = true;
			ok &= merge_family(x, &r.family, &fam_loc, r.dst.addr.family,
					   st->u.rule.to->loc, "the 'to' address");
		} else {
			ok = false;
		}
	}
	if (st->u.rule.sport || st->u.rule.dport) {
		if (r.l4proto != IPPROTO_TCP && r.l4proto != IPPROTO_UDP) {
			struct ot_diag *g =
			    xerr(x, (st->u.rule.sport ? st->u.rule.sport : st->u.rule.dport)->loc,
				 "ports need 'tcp' or 'udp'");

			xhint(x, g, "allow in tcp dport 22");
			ok = false;
		} else {
			if (st->u.rule.sport)
				ok &= word_ports(x, st->u.rule.sport, &r.sport_lo, &r.sport_hi);
			if (st->u.rule.dport)
				ok &= word_ports(x, st->u.rule.dport, &r.dport_lo, &r.dport_hi);
		}
	}
	if (st->u.rule.oif && r.dir == OT_M_IN) {
		xerr(x, st->u.rule.oif->loc,
		     "'oif' cannot be used with 'in': incoming traffic has no "
		     "output interface");
		ok = false;
	}
	if (st->u.rule.iif && r.dir == OT_M_OUT) {
		xerr(x, st->u.rule.iif->loc,
		     "'iif' cannot be used with 'out': outgoing traffic has no "
		     "input interface");
		ok = false;
	}
	if (!ok || !check_rule_count(x, st->loc))
		return;
	iif = VPUSH(x, cs->rule_iif);
	oif = VPUSH(x, cs->rule_oif);
	if (!iif || !oif || !VPUSH(x, cs->rules))
		return;
	cs->rules.v[cs->rules.n - 1] = r;
	if (st->u.rule.iif) {
		iif->name = word_name(x, st->u.rule.iif, "interface");
		iif->loc = st->u.rule.iif->loc;
	}
	if (st->u.rule.oif) {
		oif->name = word_name(x, st->u.rule.oif, "interface");
		oif->loc = st->u.rule.oif->loc;
	}
	/* keep the three vectors in step even when a name was invalid */
}

static void x_policy(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	enum ot_m_dir d = dir_map[st->u.policy.dir];

	if (cs->policy_set[d]) {
		struct ot_diag *g = xerr(x, st->loc, "duplicate policy for '%s'",
					 d == OT_M_IN	 ? "in"
					 : d == OT_M_OUT ? "out"
							 : "forward");

		ot_diag_note(g, cs->policy_loc[d], "first given here");
		return;
	}
	cs->policy_set[d] = true;
	cs->policy_loc[d] = st->loc;
	cs->c->policy_drop[d] = st->u.policy.drop;
}

/* "10.0.0.5", "10.0.0.5:8080", "fd00::5", "[fd00::5]:8080". */
static bool nat_target(struct xctx *x, struct ot_ast_word *w, struct ot_addr *a, uint16_t *port)
{
	const char *t = word_text(x, w), *colon = NULL;
	char buf[80], addr[OT_ADDR_STRLEN + 2];
	uint64_t pv;
	size_t n;

	if (!t)
		return false;
	*port = 0;
	if (t[0] == '[') {
		const char *close = strchr(t, ']');

		if (!close || (close[1] && close[1] != ':'))
			goto bad;
		n = (size_t)(close - t - 1);
		colon = close[1] ? close + 1 : NULL;
		t++;
	} else {
		colon = strchr(t, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address */
		n = colon ? (size_t)(colon - t) : strlen(t);
	}
	if (n >= sizeof(addr))
		goto bad;
	memcpy(addr, t, n);
	addr[n] = '\0';
	if (ot_addr_parse(addr, a) < 0)
		goto bad;
	if (colon) {
		if (!parse_u64(colon + 1, &pv))
			goto bad;
		if (pv < 1 || pv > 65535) {
			xerr(x, w->loc, "port %s is out of range (1..65535)", colon + 1);
			return false;
		}
		*port = (uint16_t)pv;
	}
	return true;
bad : {
	struct ot_diag *g =
	    xerr(x, w->loc, "invalid NAT target '%s'", shown(word_text(x, w), buf, sizeof(buf)));

	xhint(x, g, "an address, ADDRESS:PORT, or [IPV6]:PORT");
}
	return false;
}

static void x_nat(struct xctx *x, struct ot_ast_stmt *st)
{
	static const enum ot_m_nat_kind kinds[] = {
	    [OT_A_MASQUERADE] = OT_M_MASQUERADE,
	    [OT_A_SNAT] = OT_M_SNAT,
	    [OT_A_DNAT] = OT_M_DNAT,
	};
	struct cscratch *cs = &x->cs;
	struct ot_m_nat n;
	struct nref *ref;
	bool ok = true;

	memset(&n, 0, sizeof(n));
	n.loc = mloc(x, st->loc);
	n.kind = kinds[st->kind];
	n.l4proto = st->u.nat.proto;
	if (st->u.nat.from) {
		ok &= word_prefix(x, st->u.nat.from, false, "address",
				  "an address or a prefix such as 10.0.0.0/24", &n.src, NULL);
		n.has_src = ok;
	}
	if (st->u.nat.to) {
		if (n.kind == OT_M_SNAT)
			ok &= word_addr(x, st->u.nat.to, "NAT address", &n.to);
		else
			ok &= nat_target(x, st->u.nat.to, &n.to, &n.to_port);
	}
	if (ok && n.has_src && n.to.family && n.src.addr.family != n.to.family) {
		xerr(x, st->u.nat.to->loc, "the 'to' address is %s but 'from' is %s",
		     family_name(n.to.family), family_name(n.src.addr.family));
		ok = false;
	}
	if (st->u.nat.dport) {
		if (!n.l4proto) {
			struct ot_diag *g =
			    xerr(x, st->u.nat.dport->loc, "ports need 'tcp' or 'udp'");

			xhint(x, g, "dnat in eth0 tcp dport 80 to 10.0.0.5:8080");
			ok = false;
		} else {
			ok &= word_ports(x, st->u.nat.dport, &n.dport_lo, &n.dport_hi);
		}
	}
	if (ok && n.to_port && !n.l4proto) {
		xerr(x, st->u.nat.to->loc, "a target port needs 'tcp' or 'udp'");
		ok = false;
	}
	if (!ok || !check_rule_count(x, st->loc))
		return;
	ref = VPUSH(x, cs->nat_if);
	if (!ref || !VPUSH(x, cs->nats))
		return;
	cs->nats.v[cs->nats.n - 1] = n;
	if (st->u.nat.ifname) {
		ref->name = word_name(x, st->u.nat.ifname, "interface");
		ref->loc = st->u.nat.ifname->loc;
	}
}

/* ------------------------------------------------------------------ */
/* dispatch                                                             */

static void (*const handlers[OT_A__COUNT])(struct xctx *x, struct ot_ast_stmt *st) = {
    [OT_A_TOPOLOGY] = x_nothing, [OT_A_PARAM] = x_nothing,
    [OT_A_INCLUDE] = x_include,	 [OT_A_VXLAN_PORT] = x_vxlan,
    [OT_A_NODE] = x_node,	 [OT_A_NETWORK] = x_network,
    [OT_A_LINK] = x_link,	 [OT_A_CONTAINER] = x_container,
    [OT_A_FOR] = x_for,		 [OT_A_SUBNET] = x_subnet,
    [OT_A_VNI] = x_vni,		 [OT_A_MTU] = x_mtu,
    [OT_A_BRIDGE] = x_bridge,	 [OT_A_UPLINK] = x_uplink,
    [OT_A_ISOLATE] = x_isolate,	 [OT_A_HOSTNAME] = x_hostname,
    [OT_A_IFACE] = x_iface,	 [OT_A_ROUTE] = x_route,
    [OT_A_SYSCTL] = x_sysctl,	 [OT_A_FORWARD] = x_forward,
    [OT_A_FIREWALL] = x_block,	 [OT_A_NAT] = x_block,
    [OT_A_LIMIT] = x_limit,	 [OT_A_RANKS] = x_ranks,
    [OT_A_RULE] = x_rule,	 [OT_A_POLICY] = x_policy,
    [OT_A_MASQUERADE] = x_nat,	 [OT_A_SNAT] = x_nat,
    [OT_A_DNAT] = x_nat,
};

static void expand_list(struct xctx *x, struct ot_ast_stmt *st)
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
	if (!parse_u64(s, &v) || v > (uint64_t)INT64_MAX)
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
		if (!set[i] && !eval(x, ast->params[i].value, &x->params[i]))
			x->params[i] = 0;
	free(set);
}

/* ------------------------------------------------------------------ */
/* resolution and topology-wide checks                                  */

/* ------------------------------------------------------------------ */
/* per-interface checks (run when a container is finished, or, for      */
/* interfaces on networks declared further down, after the pass)        */

static void bind_iface(struct xctx *x, struct ot_m_iface *ifc, struct xnet *n, bool late)
{
	ifc->network = &n->n;
	n->n.nmembers++;
	if (late) {
		n->late = true; /* its members are collected again, in source order */
		x->any_late = true;
	} else if (VPUSH(x, n->mv)) {
		n->mv.v[n->mv.n - 1] = ifc;
	}
}

/* Default prefix lengths, subnet membership. */
static void iface_subnet_checks(struct xctx *x, struct ot_m_iface *ifc, uint16_t nolen)
{
	struct ot_m_network *n = ifc->network;
	size_t k;

	for (k = 0; k < ifc->naddrs; k++) {
		struct ot_prefix *a = &ifc->addrs[k];
		bool v6 = a->addr.family == AF_INET6;
		bool has = v6 ? n->has_subnet6 : n->has_subnet4;
		const struct ot_prefix *sub = v6 ? &n->subnet6 : &n->subnet4;
		char as[OT_PREFIX_STRLEN], ss[OT_PREFIX_STRLEN];
		struct ot_diag *g;

		if (nolen & (1u << k)) {
			if (!has) {
				g = xerr(
				    x, ifc->addr_locs[k],
				    "address needs a prefix length: network '%s' has no %s subnet",
				    n->name, family_name(a->addr.family));
				ot_diag_note(g, n->loc, "network '%s' is defined here", n->name);
				continue;
			}
			a->len = sub->len;
		}
		if (!has)
			continue;
		if (ot_prefix_contains(sub, &a->addr) && a->len == sub->len &&
		    !ot_prefix_is_network_addr(a) && !ot_prefix_is_broadcast_addr(a))
			continue; /* the common case: nothing to format */
		ot_prefix_format(a, as, sizeof(as));
		ot_prefix_format(sub, ss, sizeof(ss));
		if (!ot_prefix_contains(sub, &a->addr)) {
			g = xerr(x, ifc->addr_locs[k],
				 "address %s is outside subnet %s of network '%s'", as, ss,
				 n->name);
			ot_diag_note(g, n->loc, "network '%s' is defined here", n->name);
		} else if (a->len != sub->len) {
			g = xerr(
			    x, ifc->addr_locs[k],
			    "address %s has prefix length /%u, but subnet %s of network '%s' is "
			    "/%u",
			    as, a->len, ss, n->name, sub->len);
			xhint(x, g, "write the address without a length to use the subnet's");
		} else if (ot_prefix_is_network_addr(a)) {
			xerr(x, ifc->addr_locs[k], "address %s is the network address of subnet %s",
			     as, ss);
		} else {
			xerr(x, ifc->addr_locs[k],
			     "address %s is the broadcast address of subnet %s", as, ss);
		}
	}
}

static bool prefix_eq(const void *a, const void *b)
{
	const struct ot_prefix *p = a, *q = b;

	return p->len == q->len && ot_addr_equal(&p->addr, &q->addr);
}

static uint64_t prefix_hash(const struct ot_prefix *p)
{
	uint64_t h = ot_hash64(&p->addr.family, 1);

	h = ot_hash64_more(h, p->addr.bytes, ot_addr_len(&p->addr));
	return ot_hash64_more(h, &p->len, 1);
}

static bool mac_eq(const void *a, const void *b)
{
	return memcmp(a, b, 6) == 0;
}

static bool u32_eq(const void *a, const void *b)
{
	return *(const uint32_t *)a == *(const uint32_t *)b;
}

/* The note for a duplicate address: where the first one is. Values in the
 * address set are interfaces, or uplinks tagged by their low bit. */
static void note_first_use(struct ot_diag *g, const void *key, void *val)
{
	if ((uintptr_t)val & 1) {
		const struct ot_m_uplink *u = (const void *)((uintptr_t)val & ~(uintptr_t)1);

		ot_diag_note(g, u->loc, "also the address of the uplink of node '%s'",
			     u->node->name);
	} else {
		const struct ot_m_iface *ifc = val;
		size_t k = (size_t)((const struct ot_prefix *)key - ifc->addrs);

		ot_diag_note(g, ifc->addr_locs[k],
			     "also the address of interface '%s' of container '%s'", ifc->name,
			     ifc->container->name);
	}
}

/* Addresses and the MAC must be unique in the topology. */
static void iface_register(struct xctx *x, struct ot_m_iface *ifc)
{
	char buf[OT_PREFIX_STRLEN];
	size_t k;

	for (k = 0; k < ifc->naddrs; k++) {
		const void *okey = NULL;
		void *old = NULL;

		if (kset_put2(x, &x->addrs, prefix_hash(&ifc->addrs[k]), &ifc->addrs[k], ifc, &old,
			      &okey) == -EEXIST) {
			struct ot_diag *g;

			ot_prefix_format(&ifc->addrs[k], buf, sizeof(buf));
			g = xerr(x, ifc->addr_locs[k], "duplicate address %s", buf);
			note_first_use(g, okey, old);
		}
	}
	if (ifc->has_mac) {
		struct ot_m_iface *old = NULL;

		if (kset_put(x, &x->macs, ot_hash64(ifc->mac.b, 6), &ifc->mac, ifc,
			     (void **)&old) == -EEXIST) {
			struct ot_diag *g;

			ot_mac_format(&ifc->mac, buf, sizeof(buf));
			g = xerr(x, ifc->mac_loc, "duplicate MAC address %s", buf);
			ot_diag_note(g, old->mac_loc,
				     "also the MAC of interface '%s' of container '%s'", old->name,
				     old->container->name);
		}
	}
}

/* Two interfaces of one container on overlapping subnets: the kernel would
 * route by accident. Bounded by OT_MAX_IFACES * OT_MAX_ADDRS. */
static void container_overlaps(struct xctx *x, struct ot_m_container *c)
{
	size_t a, b, ka, kb;

	for (a = 0; a < c->nifaces; a++) {
		struct ot_m_iface *ia = &c->ifaces[a];

		for (b = a + 1; b < c->nifaces; b++) {
			struct ot_m_iface *ib = &c->ifaces[b];

			for (ka = 0; ka < ia->naddrs; ka++) {
				for (kb = 0; kb < ib->naddrs; kb++) {
					struct ot_prefix pa = ot_prefix_network(&ia->addrs[ka]);
					struct ot_prefix pb = ot_prefix_network(&ib->addrs[kb]);
					char sa[OT_PREFIX_STRLEN], sb[OT_PREFIX_STRLEN];
					struct ot_diag *g;

					if (!ot_prefix_overlap(&pa, &pb))
						continue;
					ot_prefix_format(&pb, sb, sizeof(sb));
					ot_prefix_format(&pa, sa, sizeof(sa));
					g = xerr(
					    x, ib->addr_locs[kb],
					    "subnet %s of interface '%s' overlaps subnet %s of "
					    "interface '%s' in container '%s'",
					    sb, ib->name, sa, ia->name, c->name);
					ot_diag_note(g, ia->addr_locs[ka], "the other address");
					goto next_pair; /* one error per pair of interfaces */
				}
			}
		next_pair:;
		}
	}
}

/* At the end of a network's block: uplink addresses in the subnet and
 * unique, the explicit VNI unique. */
static void uplink_checks(struct xctx *x, struct xnet *xn)
{
	struct ot_m_network *n = &xn->n;
	char as[OT_PREFIX_STRLEN], ss[OT_PREFIX_STRLEN];
	size_t k;

	for (k = 0; k < n->nuplinks; k++) {
		struct ot_m_uplink *u = &n->uplinks[k];
		struct ot_prefix *a = &u->address;
		bool v6 = a->addr.family == AF_INET6;
		const struct ot_prefix *sub = v6 ? &n->subnet6 : &n->subnet4;
		const void *okey = NULL;
		void *old = NULL;

		if (!a->len)
			continue; /* its length was missing: reported */
		if ((v6 ? n->has_subnet6 : n->has_subnet4) &&
		    (!ot_prefix_contains(sub, &a->addr) || a->len != sub->len ||
		     ot_prefix_is_network_addr(a) || ot_prefix_is_broadcast_addr(a))) {
			ot_prefix_format(a, as, sizeof(as));
			ot_prefix_format(sub, ss, sizeof(ss));
			if (!ot_prefix_contains(sub, &a->addr) || a->len != sub->len)
				xerr(x, u->loc,
				     "uplink address %s is not an address of subnet %s of network "
				     "'%s'",
				     as, ss, n->name);
			else
				xerr(x, u->loc, "uplink address %s is the %s address of subnet %s",
				     as, ot_prefix_is_network_addr(a) ? "network" : "broadcast",
				     ss);
			continue;
		}
		if (kset_put2(x, &x->addrs, prefix_hash(a), a, (void *)((uintptr_t)u | 1), &old,
			      &okey) == -EEXIST) {
			struct ot_diag *g;

			ot_prefix_format(a, as, sizeof(as));
			g = xerr(x, u->loc, "duplicate address %s", as);
			note_first_use(g, okey, old);
		}
	}
	if (n->vni) {
		struct ot_m_network *old = NULL;

		if (kset_put(x, &x->vnis, ot_hash64(&n->vni, 4), &n->vni, n, (void **)&old) ==
		    -EEXIST) {
			struct ot_diag *g =
			    xerr(x, n->vni_loc, "VNI %u is already used by network '%s'", n->vni,
				 old->name);

			ot_diag_note(g, old->vni_loc, "network '%s' has it here", old->name);
		}
	}
}

/* ------------------------------------------------------------------ */
/* resolution after the pass                                            */

/* Interfaces on networks declared below their container. */
static void resolve_late(struct xctx *x)
{
	size_t i;

	for (i = 0; i < x->pifs.n; i++) {
		struct pend_if *p = &x->pifs.v[i];
		struct xnet *n = ot_strmap_get(&x->networks, p->net);
		struct ot_diag *g;

		if (n) {
			bind_iface(x, p->ifc, n, true);
			iface_subnet_checks(x, p->ifc, p->nolen);
			iface_register(x, p->ifc);
			continue;
		}
		g = gerr(x, p->net_loc, "unknown network '%s'", p->net);
		hint_similar(x, g, p->net, &x->networks);
		p->ifc->naddrs = 0; /* their lengths are unknown: no cascade of errors */
	}
	for (i = 0; i < x->late_overlaps.n; i++)
		container_overlaps(x, x->late_overlaps.v[i]);
}

static bool ptr_eq(const void *a, const void *b)
{
	return a == b;
}

static uint64_t ptr_hash(const void *p)
{
	return (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull;
}

static void resolve_links(struct xctx *x)
{
	struct kset linked = {.eq = ptr_eq}, ends_ok = {.eq = ptr_eq};
	size_t i, k;

	for (i = 0; i < x->linkends.n; i++)
		kset_put(x, &ends_ok, ptr_hash(x->linkends.v[i]), x->linkends.v[i], NULL, NULL);

	for (i = 0; i < x->links.n && !x->oom; i++) {
		struct pend_link *l = &x->links.v[i];
		struct ot_m_iface *ends[2] = {NULL, NULL};
		struct xnet *n;

		for (k = 0; k < 2; k++) {
			const char *cn = k ? l->cb : l->ca, *in = k ? l->ib : l->ia;
			struct ot_loc loc = k ? l->lb : l->la;
			struct ot_m_container *c;
			struct ot_m_iface *ifc;
			struct ot_diag *g;
			void *old = NULL;

			if (!cn)
				continue; /* reported */
			c = ot_strmap_get(&x->containers, cn);
			if (!c) {
				g = gerr(x, loc, "unknown container '%s'", cn);
				hint_similar(x, g, cn, &x->containers);
				continue;
			}
			ifc = find_iface(c->ifaces, c->nifaces, in);
			if (!ifc) {
				struct ot_suggest sg;
				size_t j;

				g = gerr(x, loc, "container '%s' has no interface '%s'", cn, in);
				ot_suggest_init(&sg, in);
				for (j = 0; j < c->nifaces; j++)
					ot_suggest_add(&sg, c->ifaces[j].name);
				if (ot_suggest_best(&sg))
					ot_diag_hint(g, "did you mean '%s'?", ot_suggest_best(&sg));
				else
					ot_diag_hint(
					    g, "declare it in the container: iface %s address ...",
					    in);
				continue;
			}
			if (!kset_has(&ends_ok, ptr_hash(ifc), ifc)) {
				/* not declared as a link end: it has 'on' or 'macvlan' */
				g = gerr(x, loc,
					 "interface '%s' of container '%s' is %s; a "
					 "link end is declared without 'on'",
					 in, cn,
					 ifc->kind == OT_M_IFACE_MACVLAN ? "a macvlan"
									 : "on a network");
				ot_diag_note(g, ifc->loc, "the interface is declared here");
				continue;
			}
			if (ends[0] == ifc) {
				gerr(x, loc, "a link cannot connect an interface to itself");
				continue;
			}
			if (kset_put(x, &linked, ptr_hash(ifc), ifc, l, &old) == -EEXIST) {
				g = gerr(x, loc,
					 "interface '%s' of container '%s' is already "
					 "linked",
					 in, cn);
				ot_diag_note(g, ((struct pend_link *)old)->loc, "linked here");
				continue;
			}
			ends[k] = ifc;
		}
		if (!ends[0] || !ends[1] || l->broken)
			continue;
		if (x->netv.n >= OT_MAX_NETWORKS) {
			gerr(x, l->loc, "too many networks (the limit is %d)", OT_MAX_NETWORKS);
			break;
		}
		n = xalloc(x, sizeof(*n));
		if (!n || !VPUSH(x, x->netv))
			break;
		x->netv.v[x->netv.n - 1] = n;
		n->n.name = ot_arena_printf(x->ma, "%s.%s--%s.%s", l->ca, l->ia, l->cb, l->ib);
		n->n.loc = mloc(x, l->loc);
		n->n.is_link = true;
		n->n.mtu = l->mtu;
		n->n.mtu_loc = l->mtu_loc;
		n->n.members = ot_arena_calloc(x->ma, 2, sizeof(*n->n.members));
		if (!n->n.name || !n->n.members) {
			x->oom = true;
			break;
		}
		if (ot_strmap_put(&x->networks, n->n.name, n, NULL) == -ENOMEM) {
			x->oom = true;
			break;
		}
		n->n.members[0] = ends[0];
		n->n.members[1] = ends[1];
		n->n.nmembers = 2;
		n->fill = 2;
		ends[0]->network = ends[1]->network = &n->n;
	}
	for (i = 0; i < x->linkends.n; i++) {
		struct ot_m_iface *ifc = x->linkends.v[i];
		void *old = NULL;

		/* an end of a link that failed for its other end is not reported again */
		if (!ifc->network &&
		    kset_put(x, &linked, ptr_hash(ifc), ifc, NULL, &old) != -EEXIST) {
			struct ot_diag *g = gerr(x, ifc->loc,
						 "interface '%s' of container "
						 "'%s' is not connected",
						 ifc->name, ifc->container->name);

			ot_diag_hint(g,
				     "put it on a network (iface %s on NET) or use it in a link "
				     "(link %s.%s -- OTHER.IFACE)",
				     ifc->name, ifc->container->name, ifc->name);
		}
	}
	kset_free(&linked);
	kset_free(&ends_ok);
}

/* Members of named networks, in source order of the interfaces: as bound
 * during the pass, or, for a network that got a member later, collected
 * again in container order. */
static void fill_members(struct xctx *x)
{
	size_t i, j;

	for (i = 0; i < x->netv.n; i++) {
		struct xnet *n = x->netv.v[i];

		if (n->n.is_link || !n->n.nmembers)
			continue;
		if (!n->late) {
			n->n.members = ot_arena_memdup(x->ma, n->mv.v, n->mv.n * sizeof(*n->mv.v));
		} else {
			n->n.members = ot_arena_calloc(x->ma, n->n.nmembers, sizeof(*n->n.members));
			n->fill = 0;
		}
		if (!n->n.members) {
			x->oom = true;
			return;
		}
	}
	for (i = 0; x->any_late && i < x->ctrv.n; i++) {
		struct ot_m_container *c = x->ctrv.v[i];

		for (j = 0; j < c->nifaces; j++) {
			struct ot_m_iface *ifc = &c->ifaces[j];
			struct xnet *n = (struct xnet *)ifc->network;

			if (n && n->late)
				n->n.members[n->fill++] = ifc;
		}
	}
}

static void check_mtus(struct xctx *x)
{
	size_t i;

	for (i = 0; i < x->netv.n; i++) {
		struct ot_m_network *n = &x->netv.v[i]->n;

		if (n->has_subnet6 && n->mtu && n->mtu < 1280)
			gerr(x, n->mtu_loc, "MTU %u is too small for IPv6 (at least 1280)", n->mtu);
	}
}

static int rank_cmp(const void *pa, const void *pb)
{
	const struct rank_use *a = pa, *b = pb;

	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return a->last < b->last ? -1 : a->last > b->last;
}

static void check_ranks(struct xctx *x)
{
	struct rank_use *v = x->ranks.v;
	size_t i, n = x->ranks.n, far = 0;

	if (n < 2)
		return;
	/* Ranks are usually written in increasing order: sort only if not. */
	for (i = 1; i < n && rank_cmp(&v[i - 1], &v[i]) <= 0; i++)
		;
	if (i < n)
		qsort(v, n, sizeof(*v), rank_cmp);
	/* `far` is the range reaching furthest so far: any later range starting
	 * at or before its end overlaps it. */
	for (i = 1; i < n; i++) {
		if (v[i].first <= v[far].last) {
			struct ot_diag *g =
			    gerr(x, v[i].c->ranks_loc,
				 "rank %u of container '%s' is also mapped to container "
				 "'%s'",
				 v[i].first, v[i].c->name, v[far].c->name);

			ot_diag_note(g, v[far].c->ranks_loc, "container '%s' maps it here",
				     v[far].c->name);
		}
		if (v[i].last > v[far].last)
			far = i;
	}
}

static int node_cmp(const void *pa, const void *pb)
{
	const struct ot_m_node *a = *(struct ot_m_node *const *)pa;
	const struct ot_m_node *b = *(struct ot_m_node *const *)pb;

	return ot_natural_cmp(a->name, b->name);
}

static void finish_model(struct xctx *x)
{
	struct ot_model *m = x->m;
	size_t i;

	m->nodes = ot_arena_calloc(x->ma, x->nodev.n ? x->nodev.n : 1, sizeof(*m->nodes));
	m->networks = ot_arena_calloc(x->ma, x->netv.n ? x->netv.n : 1, sizeof(*m->networks));
	m->containers = ot_arena_calloc(x->ma, x->ctrv.n ? x->ctrv.n : 1, sizeof(*m->containers));
	if (!m->nodes || !m->networks || !m->containers) {
		x->oom = true;
		return;
	}
	for (i = 0; i < x->nodev.n; i++)
		m->nodes[i] = &x->nodev.v[i]->n;
	m->nnodes = x->nodev.n;
	qsort(m->nodes, m->nnodes, sizeof(*m->nodes), node_cmp);
	for (i = 0; i < m->nnodes; i++)
		m->nodes[i]->index = (uint32_t)i;
	for (i = 0; i < x->netv.n; i++)
		m->networks[i] = &x->netv.v[i]->n;
	m->nnetworks = x->netv.n;
	if (x->ctrv.n)
		memcpy(m->containers, x->ctrv.v, x->ctrv.n * sizeof(*m->containers));
	m->ncontainers = x->ctrv.n;
}

static void warnings(struct xctx *x)
{
	size_t i;

	for (i = 0; i < x->netv.n; i++) {
		struct ot_m_network *n = &x->netv.v[i]->n;

		if (!n->is_link && !n->nmembers && !n->nuplinks)
			ot_diag_warning(x->d, n->loc, "network '%s' has no members", n->name);
	}
	if (!x->ctrv.n)
		ot_diag_warning(x->d, x->ast->topology_loc, "the topology has no containers");
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
	}
}

int ot_model_expand(struct ot_ast *ast, const char *const *defines, size_t ndefines,
		    struct ot_diags *d, struct ot_model **ret)
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
	x.seen_errors.eq = errkey_eq;
	x.addrs.eq = prefix_eq;
	x.macs.eq = mac_eq;
	x.vnis.eq = u32_eq;
	m->vxlan_port = OT_DEFAULT_VXLAN_PORT;
	m->file = ot_arena_strdup(x.ma, ast->file ? ast->file : "");
	snprintf(digest, sizeof(digest), "%016" PRIx64, ast->digest);
	m->source_digest = ot_arena_strdup(x.ma, digest);

	eval_params(&x, defines, ndefines);
	if (ast->topology && !x.oom) {
		m->name = word_name(&x, ast->topology, "topology");
		m->loc = mloc(&x, ast->topology_loc);
	}
	if (d->errors == errors && !x.oom)
		expand_list(&x, ast->stmts);
	if (!x.fatal && !x.oom) {
		resolve_late(&x);
		resolve_links(&x);
		fill_members(&x);
		check_mtus(&x);
		check_ranks(&x);
		finish_model(&x);
	}
	if (!x.oom && d->errors == errors)
		warnings(&x);
	remap_diags(&x, first_diag);

	if (x.oom || m->arena.oom || d->oom)
		r = -ENOMEM;
	else if (d->errors > errors)
		r = -EINVAL;
	else if (ot_model_adopt_index(m, &x.nodes, &x.networks, &x.containers) < 0)
		r = -ENOMEM;

	free(x.params);
	kset_free(&x.seen_errors);
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
	kset_free(&x.addrs);
	kset_free(&x.macs);
	kset_free(&x.vnis);
	VFREE(x.fpairs);
	cs_free(&x.cs);
	if (r < 0) {
		ot_model_free(m);
		return r;
	}
	*ret = m;
	return 0;
}
