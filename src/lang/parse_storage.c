/*
 * parse_storage.c - the storage statements of a container block (the
 * syntax only; docs/language.md, "root", "mount", "tmp"):
 *
 *   root PATH [ro]
 *   mount bind SRC to DST [ro|rw]
 *   mount tmpfs DST size SIZE
 *   tmp private [size SIZE]
 *
 * Paths are words (templates allowed) or strings; their values are checked
 * when the tree is expanded (src/model/storage.c). Internal to the parser
 * (parse_int.h).
 */
#include "lang/parse_int.h"

#include <string.h>

/* A path: a word or a string. */
static struct ot_ast_word *read_path(struct parser *p, const char *what)
{
	const struct ot_token *t = ps_peek(p, OT_LEX_WORD);
	struct ot_token tok;

	if (t->kind == OT_T_STRING) {
		tok = ps_next(p, OT_LEX_WORD);
		return ps_string_word(p, &tok);
	}
	return ps_read_word(p, what);
}

/* An optional bare "ro" (and, when rw_ok, "rw"); false after an error. */
static bool read_mode(struct parser *p, struct ot_ast_stmt *st, bool rw_ok)
{
	const struct ot_token *t = ps_peek(p, OT_LEX_STMT);

	if (ps_tok_is(t, "ro") || (rw_ok && ps_tok_is(t, "rw"))) {
		st->u.storage.ro = ps_tok_is(t, "ro");
		st->u.storage.mode_loc = t->loc;
		ps_next(p, OT_LEX_STMT);
		return true;
	}
	if (!ps_at_end(t)) {
		ps_expected(p, t,
			    rw_ok ? "'ro', 'rw' or the end of the statement"
				  : "'ro' or the end of the statement");
		return false;
	}
	return true;
}

/* An optional "size SIZE" (required: a missing one is an error). */
static bool read_size(struct parser *p, struct ot_ast_stmt *st, bool required, const char *where)
{
	const struct ot_token *t = ps_peek(p, OT_LEX_STMT);

	if (!ps_tok_is(t, "size")) {
		if (!required && ps_at_end(t))
			return true;
		if (required)
			return ps_expect_kw(p, "size", where);
		ps_expected(p, t, "'size' or the end of the statement");
		return false;
	}
	ps_next(p, OT_LEX_STMT);
	st->u.storage.size = ps_read_word(p, "a size such as 64M");
	return st->u.storage.size != NULL;
}

struct ot_ast_stmt *ps_root(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_ROOT, kw);

	if (!st)
		return NULL;
	st->u.storage.kind = OT_AM_ROOT;
	st->u.storage.src = read_path(p, "a directory (the container's root)");
	if (!st->u.storage.src || !read_mode(p, st, false))
		return NULL;
	return st;
}

struct ot_ast_stmt *ps_mount(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_MOUNT, kw);
	const struct ot_token *t;

	if (!st)
		return NULL;
	t = ps_peek(p, OT_LEX_STMT);
	if (ps_tok_is(t, "bind")) {
		ps_next(p, OT_LEX_STMT);
		st->u.storage.kind = OT_AM_BIND;
		st->u.storage.src = read_path(p, "a host path to bind");
		if (!st->u.storage.src || !ps_expect_kw(p, "to", "after the bind source"))
			return NULL;
		st->u.storage.dst = read_path(p, "a path in the container");
		if (!st->u.storage.dst || !read_mode(p, st, true))
			return NULL;
		return st;
	}
	if (ps_tok_is(t, "tmpfs")) {
		ps_next(p, OT_LEX_STMT);
		st->u.storage.kind = OT_AM_TMPFS;
		st->u.storage.dst = read_path(p, "a path in the container");
		if (!st->u.storage.dst || !read_size(p, st, true, "after the tmpfs path"))
			return NULL;
		return st;
	}
	ps_expected(p, t, "'bind' or 'tmpfs'");
	return NULL;
}

struct ot_ast_stmt *ps_tmp(struct parser *p, const struct ot_token *kw, enum ctx ctx)
{
	struct ot_ast_stmt *st = ps_new_stmt(p, OT_A_TMP, kw);

	if (!st || !ps_expect_kw(p, "private", "after 'tmp'"))
		return NULL;
	st->u.storage.kind = OT_AM_TMP;
	if (!read_size(p, st, false, NULL))
		return NULL;
	return st;
}
