/*
 * strbuf.c - growable strings (contract in strbuf.h).
 */
#include "util/strbuf.h"
#include "util/vec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ot_sb_free(struct ot_strbuf *sb)
{
	if (!sb)
		return;
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	sb->oom = false;
}

void ot_sb_reset(struct ot_strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

static bool sb_grow(struct ot_strbuf *sb, size_t extra)
{
	size_t want;

	if (sb->oom)
		return false;
	if (extra > SIZE_MAX - sb->len - 1) {
		sb->oom = true;
		return false;
	}
	want = sb->len + extra + 1;
	if (want <= sb->cap)
		return true;
	if (ot_vec_reserve(&sb->buf, &sb->cap, want < 64 ? 64 : want, 1) < 0) {
		sb->oom = true;
		return false;
	}
	return true;
}

char *ot_sb_reserve(struct ot_strbuf *sb, size_t extra)
{
	return sb_grow(sb, extra) ? sb->buf + sb->len : NULL;
}

void ot_sb_appendn(struct ot_strbuf *sb, const char *s, size_t n)
{
	if (!sb_grow(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void ot_sb_append(struct ot_strbuf *sb, const char *s)
{
	ot_sb_appendn(sb, s, strlen(s));
}

void ot_sb_putc(struct ot_strbuf *sb, char c)
{
	ot_sb_appendn(sb, &c, 1);
}

void ot_sb_vprintf(struct ot_strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !sb_grow(sb, (size_t)n))
		return;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void ot_sb_printf(struct ot_strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ot_sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

void ot_sb_shquote(struct ot_strbuf *sb, const char *s)
{
	const char *p;
	bool safe = *s != '\0';

	for (p = s; *p && safe; p++)
		safe = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			      "_-./:=@%+,",
			      *p) != NULL;
	if (safe) {
		ot_sb_append(sb, s);
		return;
	}
	ot_sb_putc(sb, '\'');
	for (p = s; *p; p++) {
		if (*p == '\'')
			ot_sb_append(sb, "'\\''");
		else
			ot_sb_putc(sb, *p);
	}
	ot_sb_putc(sb, '\'');
}

const char *ot_sb_str(const struct ot_strbuf *sb)
{
	return sb->buf && !sb->oom ? sb->buf : "";
}

char *ot_sb_steal(struct ot_strbuf *sb)
{
	char *p;

	if (sb->oom) {
		ot_sb_free(sb);
		return NULL;
	}
	if (!sb->buf && !sb_grow(sb, 0))
		return NULL;
	if (sb->len == 0)
		sb->buf[0] = '\0';
	p = sb->buf;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

void ot_str_join(char *dst, size_t size, const char *const *parts, size_t nparts)
{
	size_t n = 0, i, k;

	for (i = 0; i < nparts; i++) {
		k = strlen(parts[i]);
		if (k > size - 1 - n)
			k = size - 1 - n;
		memcpy(dst + n, parts[i], k);
		n += k;
	}
	dst[n] = '\0';
}
