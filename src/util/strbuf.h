/*
 * strbuf.h - a growable, always NUL-terminated string, for writers of text
 * (plans, shell scripts, DOT graphs, diagnostics).
 *
 * Allocation failure is sticky: after it, appends do nothing and `oom` stays
 * set, so a writer appends freely and checks once at the end.
 */
#ifndef OT_UTIL_STRBUF_H
#define OT_UTIL_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct ot_strbuf {
	char *buf; /* NUL-terminated when len > 0 or after any append; may be NULL when empty */
	size_t len;
	size_t cap;
	bool oom;
};

#define OT_STRBUF_INIT                                                                             \
	{                                                                                          \
		NULL, 0, 0, false                                                                  \
	}

void ot_sb_free(struct ot_strbuf *sb);	/* accepts NULL */
void ot_sb_reset(struct ot_strbuf *sb); /* length 0, keeps the memory */
void ot_sb_append(struct ot_strbuf *sb, const char *s);
void ot_sb_appendn(struct ot_strbuf *sb, const char *s, size_t n);
void ot_sb_putc(struct ot_strbuf *sb, char c);
void ot_sb_printf(struct ot_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ot_sb_vprintf(struct ot_strbuf *sb, const char *fmt, va_list ap);

/*
 * Room for at least `extra` more bytes after the text: returns where they go
 * (buf + len), or NULL on OOM (sticky, as for appends). For writers that
 * fill the buffer themselves: write at most `extra` bytes there, then set
 * len past them and write the NUL at buf[len] (the room includes it).
 */
char *ot_sb_reserve(struct ot_strbuf *sb, size_t extra);

/* Append s quoted for a POSIX shell (single quotes; bare when safe). */
void ot_sb_shquote(struct ot_strbuf *sb, const char *s);

/* The text so far ("" when empty); valid until the next append. */
const char *ot_sb_str(const struct ot_strbuf *sb);

/* Hand the buffer to the caller (free() it); the strbuf becomes empty. NULL on OOM. */
char *ot_sb_steal(struct ot_strbuf *sb);

/* dst (size > 0 bytes) = the nparts strings one after the other, cut to
 * size - 1 bytes as snprintf cuts; NUL-terminated. No formatting: it runs
 * for every object of a 100,000-container cluster. */
void ot_str_join(char *dst, size_t size, const char *const *parts, size_t nparts);

#endif
