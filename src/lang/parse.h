/*
 * parse.h - .otp source -> syntax tree (ast.h), reporting every syntax
 * error of every file in one run (the parser resynchronises at the end of
 * the statement or block that went wrong). Includes are read here, with
 * the limits of model.h (include depth, total source bytes) and cycle
 * detection; names in expressions are bound to loop variables and params.
 */
#ifndef OT_LANG_PARSE_H
#define OT_LANG_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "lang/ast.h"
#include "lang/diag.h"

struct ot_parse_opts {
	bool no_includes; /* refuse `include` (untrusted input read as root) */
};

/*
 * Parse the file at `path` (main file: must start with `topology`).
 * Returns 0 and *ret (free with ot_ast_free), -EINVAL when syntax errors
 * were recorded in d (*ret is still set: the tree of what parsed), a
 * negative errno when the file cannot be read (also a diagnostic; *ret NULL),
 * or -ENOMEM.
 */
int ot_ast_parse_file(const char *path, const struct ot_parse_opts *o, struct ot_diags *d,
		      struct ot_ast **ret);

/* Same from memory; `name` is used in locations and to resolve includes. */
int ot_ast_parse_mem(const char *name, const char *text, size_t len, const struct ot_parse_opts *o,
		     struct ot_diags *d, struct ot_ast **ret);

void ot_ast_free(struct ot_ast *ast); /* accepts NULL */

/*
 * Read a whole file for the front end: regular files only, at most `max`
 * bytes, O_CLOEXEC. Returns 0 and a malloc'd buffer (NUL-terminated; free
 * it), or -errno (-EFBIG when larger than max). *ret_dev and *ret_ino identify
 * the file (for include cycles); either may be NULL.
 */
int ot_source_read(const char *path, size_t max, char **ret, size_t *ret_len,
		   unsigned long long *ret_dev, unsigned long long *ret_ino);

#endif
