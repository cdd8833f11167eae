/*
 * diag.h - compiler diagnostics: a list of every error and warning found in
 * one run, each with file:line:col, the source line, a caret span, an
 * optional hint and an optional related location ("first defined here").
 * Modelled on nftables' error records and OpenBSD bgpd's keep-going parser.
 *
 * The list owns copies of every source text it may quote (registered with
 * ot_diags_add_source()), so locations stay printable after the parser and
 * its buffers are gone. Nothing here prints: ot_diags_render() writes text
 * into a strbuf and the front end decides where it goes.
 */
#ifndef OT_LANG_DIAG_H
#define OT_LANG_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"

/* A location in a registered source. line and col are 1-based; col counts bytes. */
struct ot_loc {
	const char *file; /* the registered name (owned by the diags' source list), or NULL */
	uint32_t line;
	uint32_t col;
	uint32_t len; /* bytes the caret span covers; 0 or 1 = a single caret */
};

enum ot_diag_level {
	OT_DIAG_ERROR,
	OT_DIAG_WARNING,
};

struct ot_diag {
	enum ot_diag_level level;
	struct ot_loc loc;
	char *msg;		/* "duplicate container 'web'" */
	char *hint;		/* NULL, or "did you mean 'lan'?" */
	struct ot_loc note_loc; /* related location, or line == 0 */
	char *note;		/* "first defined here", or NULL */
	struct ot_loc via_loc;	/* a second related location: the template use an
				 * error inside a template's body came through */
	char *via;		/* "through template 'server', used here", or NULL */
};

struct ot_source {
	char *name;
	char *text;
	size_t len;
};

struct ot_diags {
	struct ot_diag *v;
	size_t n, cap;
	size_t errors, warnings;
	size_t dropped;	   /* errors past max_errors, counted but not stored */
	size_t max_errors; /* 0 = the default (200) */
	struct ot_source **sources;
	size_t nsources;
	bool oom;
};

void ot_diags_init(struct ot_diags *d);
void ot_diags_free(struct ot_diags *d); /* accepts NULL */

/*
 * Register a source text under a name (both copied). Returns the stored name,
 * to be used as ot_loc.file, or NULL on OOM. Registering the same name twice
 * replaces the text.
 */
const char *ot_diags_add_source(struct ot_diags *d, const char *name, const char *text, size_t len);

/*
 * Record an error or warning. The returned pointer is valid until the next
 * record and may be given to ot_diag_hint()/ot_diag_note(); it is NULL when
 * the diagnostic was dropped (too many errors, or OOM) - both helpers accept
 * NULL.
 */
struct ot_diag *ot_diag_error(struct ot_diags *d, struct ot_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct ot_diag *ot_diag_warning(struct ot_diags *d, struct ot_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ot_diag_hint(struct ot_diag *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ot_diag_note(struct ot_diag *g, struct ot_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set g's second related location (the template use it came through). */
void ot_diag_via(struct ot_diag *g, struct ot_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline bool ot_diags_failed(const struct ot_diags *d)
{
	return d->errors > 0 || d->oom;
}

/* Stable sort by file (registration order), line, column. */
void ot_diags_sort(struct ot_diags *d);

/*
 * Render every diagnostic:
 *
 *   topo.otp:12:26: error: address 10.1.0.5/24 is outside subnet 10.0.0.0/24 of network 'lan'
 *      12 |     iface eth0 on lan address 10.1.0.5/24
 *         |                          ^~~~~~~~~~~
 *   hint: ...
 *   topo.otp:3:1: note: network 'lan' is defined here
 *
 * followed by "N errors, M warnings" when anything was recorded. color adds
 * ANSI colours (for terminals).
 */
void ot_diags_render(const struct ot_diags *d, struct ot_strbuf *out, bool color);

/* Render one diagnostic as a single line "file:line:col: error: msg" (no source). */
void ot_diag_render_line(const struct ot_diag *g, struct ot_strbuf *out);

#endif
