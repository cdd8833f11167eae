/*
 * diag.c - recording, sorting and rendering compiler diagnostics
 * (contract in diag.h).
 */
#include "lang/diag.h"
#include "util/vec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIAG_DEFAULT_MAX 200

void ot_diags_init(struct ot_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void ot_diags_free(struct ot_diags *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].msg);
		free(d->v[i].hint);
		free(d->v[i].note);
		free(d->v[i].via);
	}
	free(d->v);
	for (i = 0; i < d->nsources; i++) {
		free(d->sources[i]->name);
		free(d->sources[i]->text);
		free(d->sources[i]);
	}
	free(d->sources);
	memset(d, 0, sizeof(*d));
}

const char *ot_diags_add_source(struct ot_diags *d, const char *name, const char *text, size_t len)
{
	struct ot_source *s = NULL, **v;
	char *copy;
	size_t i;

	copy = malloc(len + 1);
	if (!copy) {
		d->oom = true;
		return NULL;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (i = 0; i < d->nsources; i++) {
		if (strcmp(d->sources[i]->name, name) == 0) {
			s = d->sources[i];
			free(s->text);
			s->text = copy;
			s->len = len;
			return s->name;
		}
	}
	s = calloc(1, sizeof(*s));
	v = realloc(d->sources, (d->nsources + 1) * sizeof(*v));
	if (!s || !v || !(s->name = strdup(name))) {
		if (v)
			d->sources = v;
		free(s);
		free(copy);
		d->oom = true;
		return NULL;
	}
	s->text = copy;
	s->len = len;
	d->sources = v;
	d->sources[d->nsources++] = s;
	return s->name;
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

static struct ot_diag *record(struct ot_diags *d, enum ot_diag_level level, struct ot_loc loc,
			      const char *fmt, va_list ap)
{
	size_t max = d->max_errors ? d->max_errors : DIAG_DEFAULT_MAX;
	struct ot_diag *g;

	if (level == OT_DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (level == OT_DIAG_ERROR && d->errors > max) {
		d->dropped++;
		return NULL;
	}
	if (OT_VEC_RESERVE(d->v, d->cap, d->n + 1) < 0) {
		d->oom = true;
		return NULL;
	}
	g = &d->v[d->n];
	memset(g, 0, sizeof(*g));
	g->level = level;
	g->loc = loc;
	g->msg = vfmt(fmt, ap);
	if (!g->msg) {
		d->oom = true;
		return NULL;
	}
	d->n++;
	return g;
}

struct ot_diag *ot_diag_error(struct ot_diags *d, struct ot_loc loc, const char *fmt, ...)
{
	struct ot_diag *g;
	va_list ap;

	va_start(ap, fmt);
	g = record(d, OT_DIAG_ERROR, loc, fmt, ap);
	va_end(ap);
	return g;
}

struct ot_diag *ot_diag_warning(struct ot_diags *d, struct ot_loc loc, const char *fmt, ...)
{
	struct ot_diag *g;
	va_list ap;

	va_start(ap, fmt);
	g = record(d, OT_DIAG_WARNING, loc, fmt, ap);
	va_end(ap);
	return g;
}

void ot_diag_hint(struct ot_diag *g, const char *fmt, ...)
{
	va_list ap;

	if (!g)
		return;
	free(g->hint);
	va_start(ap, fmt);
	g->hint = vfmt(fmt, ap);
	va_end(ap);
}

void ot_diag_note(struct ot_diag *g, struct ot_loc loc, const char *fmt, ...)
{
	va_list ap;

	if (!g)
		return;
	free(g->note);
	g->note_loc = loc;
	va_start(ap, fmt);
	g->note = vfmt(fmt, ap);
	va_end(ap);
}

void ot_diag_via(struct ot_diag *g, struct ot_loc loc, const char *fmt, ...)
{
	va_list ap;

	if (!g)
		return;
	free(g->via);
	g->via_loc = loc;
	va_start(ap, fmt);
	g->via = vfmt(fmt, ap);
	va_end(ap);
}

static size_t source_index(const struct ot_diags *d, const char *file)
{
	size_t i;

	for (i = 0; file && i < d->nsources; i++)
		if (d->sources[i]->name == file || strcmp(d->sources[i]->name, file) == 0)
			return i;
	return (size_t)-1;
}

struct sort_key {
	size_t file, idx;
	uint32_t line, col;
};

static int key_cmp(const void *pa, const void *pb)
{
	const struct sort_key *a = pa, *b = pb;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx; /* recording order: a stable sort */
}

void ot_diags_sort(struct ot_diags *d)
{
	struct sort_key *keys;
	struct ot_diag *out;
	size_t i;

	if (d->n < 2)
		return;
	keys = malloc(d->n * sizeof(*keys));
	out = malloc(d->n * sizeof(*out));
	if (!keys || !out) {
		free(keys);
		free(out);
		return;
	}
	for (i = 0; i < d->n; i++) {
		keys[i].file = source_index(d, d->v[i].loc.file);
		keys[i].line = d->v[i].loc.line;
		keys[i].col = d->v[i].loc.col;
		keys[i].idx = i;
	}
	qsort(keys, d->n, sizeof(*keys), key_cmp);
	for (i = 0; i < d->n; i++)
		out[i] = d->v[keys[i].idx];
	memcpy(d->v, out, d->n * sizeof(*out));
	free(out);
	free(keys);
}

static const struct ot_source *find_source(const struct ot_diags *d, const char *file)
{
	size_t i = source_index(d, file);

	return i == (size_t)-1 ? NULL : d->sources[i];
}

/* Find line `line` (1-based) in src; returns its start and sets *len (no newline). */
static const char *line_of(const struct ot_source *src, uint32_t line, size_t *len)
{
	const char *p = src->text, *end = src->text + src->len, *nl;
	uint32_t n = 1;

	while (n < line && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
		n++;
	}
	if (n != line || p > end)
		return NULL;
	nl = memchr(p, '\n', (size_t)(end - p));
	*len = nl ? (size_t)(nl - p) : (size_t)(end - p);
	if (*len && p[*len - 1] == '\r')
		(*len)--;
	return p;
}

static void render_loc(struct ot_strbuf *out, const struct ot_loc *loc)
{
	if (loc->file && loc->line)
		ot_sb_printf(out, "%s:%u:%u: ", loc->file, loc->line, loc->col);
	else if (loc->file)
		ot_sb_printf(out, "%s: ", loc->file);
}

/* An excerpt shows at most this many bytes of a line: a longer one (a
 * generated file's 16 MB line) is cut around the caret and marked "...",
 * so each diagnostic prints a bounded amount whatever the input. */
#define EXCERPT_MAX    160
#define EXCERPT_BEFORE 60 /* bytes kept before the caret when cutting */

static bool utf8_cont(char c)
{
	return ((unsigned char)c & 0xC0) == 0x80;
}

static void render_excerpt(const struct ot_diags *d, struct ot_strbuf *out,
			   const struct ot_loc *loc, bool color)
{
	const struct ot_source *src = find_source(d, loc->file);
	const char *text;
	size_t len, i, from = 0, to, caret;
	uint32_t span;

	if (!src || !loc->line)
		return;
	text = line_of(src, loc->line, &len);
	if (!text)
		return;
	caret = loc->col ? loc->col - 1 : 0; /* byte offset of the caret */
	to = len;
	if (len > EXCERPT_MAX) {
		if (caret > EXCERPT_BEFORE)
			from = (caret < len ? caret : len) - EXCERPT_BEFORE;
		while (from > 0 && utf8_cont(text[from])) /* whole characters only */
			from--;
		to = from + EXCERPT_MAX < len ? from + EXCERPT_MAX : len;
		while (to < len && to > from && utf8_cont(text[to]))
			to--;
	}
	ot_sb_printf(out, "%6u | %s", loc->line, from ? "..." : "");
	for (i = from; i < to; i++) /* control characters would garble a terminal */
		ot_sb_putc(out, (unsigned char)text[i] < 0x20 && text[i] != '\t' ? '?' : text[i]);
	ot_sb_append(out, to < len ? "...\n       | " : "\n       | ");
	if (from)
		ot_sb_append(out, "   ");
	for (i = from; i < caret && i < to; i++)
		ot_sb_putc(out, text[i] == '\t' ? '\t' : ' ');
	if (color)
		ot_sb_append(out, "\033[1;32m");
	ot_sb_putc(out, '^');
	span = loc->len;
	if (loc->col > 0 && caret + (size_t)span > to)
		span = caret < to ? (uint32_t)(to - caret) : 1;
	for (i = 1; i < span; i++)
		ot_sb_putc(out, '~');
	if (color)
		ot_sb_append(out, "\033[0m");
	ot_sb_putc(out, '\n');
}

void ot_diag_render_line(const struct ot_diag *g, struct ot_strbuf *out)
{
	render_loc(out, &g->loc);
	ot_sb_printf(out, "%s: %s", g->level == OT_DIAG_ERROR ? "error" : "warning", g->msg);
}

void ot_diags_render(const struct ot_diags *d, struct ot_strbuf *out, bool color)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct ot_diag *g = &d->v[i];
		bool err = g->level == OT_DIAG_ERROR;

		if (color)
			ot_sb_append(out, "\033[1m");
		render_loc(out, &g->loc);
		if (color)
			ot_sb_append(out, err ? "\033[1;31m" : "\033[1;35m");
		ot_sb_append(out, err ? "error: " : "warning: ");
		if (color)
			ot_sb_append(out, "\033[0;1m");
		ot_sb_append(out, g->msg);
		if (color)
			ot_sb_append(out, "\033[0m");
		ot_sb_putc(out, '\n');
		render_excerpt(d, out, &g->loc, color);
		if (g->hint)
			ot_sb_printf(out, "hint: %s\n", g->hint);
		if (g->note) {
			render_loc(out, &g->note_loc);
			ot_sb_printf(out, "note: %s\n", g->note);
			render_excerpt(d, out, &g->note_loc, color);
		}
		if (g->via) {
			render_loc(out, &g->via_loc);
			ot_sb_printf(out, "note: %s\n", g->via);
			render_excerpt(d, out, &g->via_loc, color);
		}
	}
	if (d->dropped)
		ot_sb_printf(out, "too many errors: %zu more not shown\n", d->dropped);
	if (d->oom)
		ot_sb_append(out, "out of memory while recording diagnostics\n");
	if (d->errors || d->warnings)
		ot_sb_printf(out, "%zu error%s, %zu warning%s\n", d->errors,
			     d->errors == 1 ? "" : "s", d->warnings, d->warnings == 1 ? "" : "s");
}
