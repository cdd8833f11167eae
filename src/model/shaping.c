/*
 * shaping.c - the values of traffic shaping (the `rate`, `burst`, `delay`,
 * `jitter`, `loss` and `reorder` options of an interface) and of block
 * I/O limits (`limit io DEVICE ...`): parsed, bounded and stored in the
 * model. Every bound is the language's (docs/language.md §7); a value out
 * of bounds is an error at its word. Whether the node's kernel has the
 * qdiscs and the device exists is the executor's preflight, not ours.
 * Internal to the expansion (expand_int.h).
 */
#include "model/expand_int.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define MIN_RATE    1000ull		      /* bytes/s: 8kbit */
#define MAX_RATE    (100ull * 1000000000 / 8) /* bytes/s: 100gbit */
#define MIN_BURST   2048u		      /* a full 1500-byte frame fits */
#define MAX_BURST   (1u << 30)
#define MAX_DELAY   10000000u /* us: 10 s */
#define PPM	    1000000u
#define MAX_IO_DEVS 16
#define MAX_IO_BPS  (1ull << 40) /* 1T per second */
#define MAX_IO_OPS  10000000ull

struct unit {
	const char *name;
	uint64_t mult;
};

/*
 * "1.5" with a multiplier: the exact product, fractions allowed down to the
 * multiplier's precision (1.5 with 1000 is 1500; 1.0005 with 1000 is not
 * exact and refused). False on a syntax error or overflow.
 */
static bool parse_scaled(const char *t, size_t n, uint64_t mult, uint64_t *ret)
{
	uint64_t ip = 0, frac = 0, div = 1;
	size_t i = 0;
	bool dot = false, digits = false;

	for (; i < n; i++) {
		char ch = t[i];

		if (ch == '.' && !dot) {
			dot = true;
			continue;
		}
		if (ch < '0' || ch > '9')
			return false;
		digits = true;
		if (!dot) {
			if (ip > (UINT64_MAX - 9) / 10)
				return false;
			ip = ip * 10 + (uint64_t)(ch - '0');
		} else {
			if (div > UINT64_MAX / 10)
				return false;
			frac = frac * 10 + (uint64_t)(ch - '0');
			div *= 10;
		}
	}
	if (!digits || (dot && div == 1) || mult % div != 0)
		return false;
	if (ip > UINT64_MAX / mult)
		return false;
	*ret = ip * mult + frac * (mult / div);
	return true;
}

/* A number followed by one of the units (longest suffix first in the table). */
static bool parse_unit(const char *t, const struct unit *u, uint64_t *ret)
{
	size_t n = strlen(t);

	for (; u->name; u++) {
		size_t k = strlen(u->name);

		if (n > k && strcmp(t + n - k, u->name) == 0)
			return parse_scaled(t, n - k, u->mult, ret);
	}
	return false;
}

/* rate in bits per second, SI units as in tc(8) */
static const struct unit rate_units[] = {
    {"gbit", 1000000000}, {"mbit", 1000000}, {"kbit", 1000}, {"bit", 1}, {NULL, 0}};
/* delays in microseconds */
static const struct unit time_units[] = {{"us", 1}, {"ms", 1000}, {"s", 1000000}, {NULL, 0}};
/* percentages in parts per million */
static const struct unit pct_units[] = {{"%", 10000}, {NULL, 0}};

/* The word's value in a unit table, bounded; false after an error at w. */
static bool word_unit(struct xctx *x, struct ot_ast_word *w, const struct unit *u, const char *what,
		      uint64_t lo, uint64_t hi, const char *range, const char *hint, uint64_t *ret)
{
	const char *t = xp_word_text(x, w);
	char buf[80];
	uint64_t v;

	if (!t)
		return false;
	if (!parse_unit(t, u, &v)) {
		struct ot_diag *g =
		    xp_xerr(x, w->loc, "invalid %s '%s'", what, xp_shown(t, buf, sizeof(buf)));

		xp_xhint(x, g, "%s", hint);
		return false;
	}
	if (v < lo || v > hi) {
		xp_xerr(x, w->loc, "%s %s is out of range (%s)", what, t, range);
		return false;
	}
	*ret = v;
	return true;
}

/* The options with a unit, one row each: where the value goes (a uint32_t
 * of struct ot_m_shaping, or the uint64_t rate, divided by div). */
static const struct shaping_opt {
	size_t word; /* offset of the word in struct ot_ast_stmt */
	const struct unit *units;
	const char *what, *range, *hint;
	uint64_t lo, hi, div;
	size_t dst; /* offset in struct ot_m_shaping */
	bool wide;  /* dst is the uint64_t rate */
} shaping_opts[] = {
#define W(f) offsetof(struct ot_ast_stmt, u.iface.f)
#define D(f) offsetof(struct ot_m_shaping, f)
    {W(rate), rate_units, "rate", "8kbit..100gbit",
     "bits per second with bit, kbit, mbit or gbit: 100mbit", MIN_RATE * 8, MAX_RATE * 8, 8,
     D(rate), true},
    {W(delay), time_units, "delay", "1us..10s", "a time with us, ms or s: 10ms", 1, MAX_DELAY, 1,
     D(delay_us), false},
    {W(jitter), time_units, "jitter", "1us..10s", "a time with us, ms or s: 2ms", 1, MAX_DELAY, 1,
     D(jitter_us), false},
    {W(loss), pct_units, "loss", "0.0001%..100%", "a percentage: 0.1%", 1, PPM, 1, D(loss_ppm),
     false},
    {W(reorder), pct_units, "reorder", "0.0001%..100%", "a percentage: 1%", 1, PPM, 1,
     D(reorder_ppm), false},
#undef W
#undef D
};

void xp_iface_shaping(struct xctx *x, struct ot_ast_stmt *st, struct ot_m_iface *ifc)
{
	struct ot_m_shaping s;
	struct ot_m_shaping *copy;
	bool ok = true;
	size_t i;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < sizeof(shaping_opts) / sizeof(shaping_opts[0]); i++) {
		const struct shaping_opt *o = &shaping_opts[i];
		struct ot_ast_word *w = *(struct ot_ast_word **)((char *)st + o->word);
		uint64_t v;

		if (!w)
			continue;
		if (!s.loc.line || w->loc.line < s.loc.line ||
		    (w->loc.line == s.loc.line && w->loc.col < s.loc.col))
			s.loc = w->loc;
		if (!word_unit(x, w, o->units, o->what, o->lo, o->hi, o->range, o->hint, &v)) {
			ok = false;
			continue;
		}
		if (o->wide)
			*(uint64_t *)((char *)&s + o->dst) = v / o->div;
		else
			*(uint32_t *)((char *)&s + o->dst) = (uint32_t)(v / o->div);
	}
	if (!s.loc.line)
		return;
	if (st->u.iface.burst) {
		const char *t = xp_word_text(x, st->u.iface.burst);
		char buf[80];
		uint64_t v;

		if (!t) {
			ok = false;
		} else if (!xp_parse_size(t, &v)) {
			struct ot_diag *g = xp_xerr(x, st->u.iface.burst->loc, "invalid burst '%s'",
						    xp_shown(t, buf, sizeof(buf)));

			xp_xhint(x, g, "bytes, or a number with K, M or G (binary units): 32K");
			ok = false;
		} else if (v < MIN_BURST || v > MAX_BURST) {
			xp_xerr(x, st->u.iface.burst->loc, "burst %s is out of range (2K..1G)", t);
			ok = false;
		} else {
			s.burst = (uint32_t)v;
		}
	}
	if (ok && s.jitter_us > s.delay_us) {
		struct ot_diag *g =
		    xp_xerr(x, st->u.iface.jitter->loc, "jitter %s is larger than the delay",
			    xp_word_text(x, st->u.iface.jitter));

		xp_xhint(x, g, "the delay varies by +/- the jitter and cannot go below 0");
		ok = false;
	}
	if (!ok)
		return;
	s.loc = xp_mloc(x, s.loc);
	copy = ot_arena_memdup(x->ma, &s, sizeof(s));
	if (!copy)
		x->oom = true;
	ifc->shaping = copy;
}

/* "/dev/NAME..." (resolved on the node) or "MAJOR:MINOR". */
static bool io_dev_valid(const char *t)
{
	unsigned long maj, min;
	int n = 0;
	size_t i;

	if (strncmp(t, "/dev/", 5) == 0) {
		if (strlen(t) > 128 || !t[5] || strstr(t, "/../") || strstr(t, "/./") ||
		    strcmp(t + strlen(t) - 3, "/..") == 0 || t[strlen(t) - 1] == '/')
			return false;
		for (i = 5; t[i]; i++)
			if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
			      (t[i] >= '0' && t[i] <= '9') || strchr("_.-/", t[i])))
				return false;
		return true;
	}
	if (t[0] < '0' || t[0] > '9' || sscanf(t, "%lu:%lu%n", &maj, &min, &n) != 2 || t[n] != '\0')
		return false;
	return maj < 4096 && min < (1ul << 20) && strspn(t, "0123456789:") == strlen(t);
}

void xp_limit_io(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	struct ot_ast_word *w = st->u.limit.io_dev;
	const char *t = xp_word_text(x, w);
	struct {
		struct ot_ast_word *w;
		const char *what;
		bool size;
		size_t off;
	} vals[] = {
	    {st->u.limit.rbps, "read_bps", true, offsetof(struct ot_m_io, rbps)},
	    {st->u.limit.wbps, "write_bps", true, offsetof(struct ot_m_io, wbps)},
	    {st->u.limit.riops, "read_iops", false, offsetof(struct ot_m_io, riops)},
	    {st->u.limit.wiops, "write_iops", false, offsetof(struct ot_m_io, wiops)},
	};
	struct ot_m_io io, *e;
	char buf[80];
	bool ok = true;
	size_t i;

	if (!t)
		return;
	if (!io_dev_valid(t)) {
		struct ot_diag *g =
		    xp_xerr(x, w->loc, "invalid block device '%s'", xp_shown(t, buf, sizeof(buf)));

		xp_xhint(x, g, "a device path under /dev (/dev/vda) or MAJOR:MINOR (254:0)");
		return;
	}
	for (i = 0; i < cs->io.n; i++) {
		if (strcmp(cs->io.v[i].dev, t) == 0) {
			xp_duplicate(x, w->loc, cs->io.v[i].loc, "io limit for this device");
			return;
		}
	}
	if (cs->io.n >= MAX_IO_DEVS) {
		xp_xerr(x, w->loc, "too many io limits in container '%s' (the limit is %d devices)",
			cs->c->name, MAX_IO_DEVS);
		return;
	}
	memset(&io, 0, sizeof(io));
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		const char *vt;
		uint64_t v;

		if (!vals[i].w)
			continue;
		vt = xp_word_text(x, vals[i].w);
		if (!vt) {
			ok = false;
			continue;
		}
		if (vals[i].size ? !xp_parse_size(vt, &v) : !xp_parse_u64(vt, &v)) {
			struct ot_diag *g = xp_xerr(x, vals[i].w->loc, "invalid %s '%s'",
						    vals[i].what, xp_shown(vt, buf, sizeof(buf)));

			xp_xhint(x, g, "%s",
				 vals[i].size
				     ? "bytes per second, or a number with K, M, G or T: 10M"
				     : "operations per second: 100");
			ok = false;
		} else if (vals[i].size ? (v < 1024 || v > MAX_IO_BPS)
					: (v < 1 || v > MAX_IO_OPS)) {
			xp_xerr(x, vals[i].w->loc, "%s %s is out of range (%s)", vals[i].what, vt,
				vals[i].size ? "1K..1T" : "1..10000000");
			ok = false;
		} else {
			*(uint64_t *)((char *)&io + vals[i].off) = v;
		}
	}
	if (!ok)
		return;
	io.dev = ot_arena_strdup(x->ma, t);
	io.loc = xp_mloc(x, w->loc);
	if (!io.dev) {
		x->oom = true;
		return;
	}
	e = VPUSH(x, cs->io);
	if (e)
		*e = io;
	if (!cs->c->limit_loc.line)
		cs->c->limit_loc = xp_mloc(x, st->loc);
}
