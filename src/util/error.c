/*
 * error.c - recording and decorating errors (the contract is in error.h).
 */
#include "util/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ot_error_set(struct ot_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int ot_error_sys(struct ot_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	if (n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
			 strerror(code < 0 ? -code : code));
	return code;
}

int ot_error_prefix(struct ot_error *err, int code, const char *fmt, ...)
{
	char head[OT_ERROR_MAX];
	char old[OT_ERROR_MAX];
	va_list ap;

	if (code >= 0)
		code = -EIO;
	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Bounded precisions keep the compiler's truncation analysis quiet;
	 * the tail of an overlong message is what gets cut. */
	snprintf(err->msg, sizeof(err->msg), "%.1000s: %.1040s", head, old);
	return code;
}

void ot_error_clear(struct ot_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
