/*
 * error.h - the one error contract of OpenTop (see STYLE.md, rule 2).
 *
 * A function that can fail returns 0 on success or a negative errno value on
 * failure and, on failure, fills the caller-owned struct ot_error it was
 * given. Context is prepended while the error propagates upwards
 * ("n1: create vxlan 'vx100' (VNI 100): File exists"), and only the front ends
 * (src/cli, spank) print it. Nothing below src/cli prints or exits.
 *
 * Every function below accepts err == NULL (the error is then discarded) and
 * returns the (negative) code it recorded, so the usual idiom is:
 *
 *	if (fd < 0)
 *		return ot_error_sys(err, -errno, "open '%s'", path);
 */
#ifndef OT_UTIL_ERROR_H
#define OT_UTIL_ERROR_H

#include <stddef.h>

#define OT_ERROR_MAX 2048

struct ot_error {
	int code;		/* negative errno, 0 when no error is recorded */
	char msg[OT_ERROR_MAX]; /* human-readable, no trailing newline */
};

#define OT_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Record an error: code (negative errno) and a formatted message. Returns code. */
int ot_error_set(struct ot_error *err, int code, const char *fmt, ...) OT_PRINTF(3, 4);

/* Like ot_error_set() but appends ": <strerror(-code)>". Returns code. */
int ot_error_sys(struct ot_error *err, int code, const char *fmt, ...) OT_PRINTF(3, 4);

/*
 * Prepend "<formatted>: " to the recorded message (context while propagating)
 * and record code as its code. Returns code, whatever err is: with err ==
 * NULL the context is discarded but the failure is not, so
 *
 *	return e < 0 ? ot_error_prefix(err, e, "delete '%s'", name) : 0;
 *
 * never reads as success. code is a negative errno; a code >= 0 (a caller's
 * bug: there is no failure to decorate) is recorded and returned as -EIO.
 * Truncates from the end when the buffer is full.
 */
int ot_error_prefix(struct ot_error *err, int code, const char *fmt, ...) OT_PRINTF(3, 4);

/* Forget any recorded error. */
void ot_error_clear(struct ot_error *err);

#endif
