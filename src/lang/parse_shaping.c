/*
 * parse_shaping.c - the syntax of traffic shaping and block I/O limits:
 * the options `rate`, `burst`, `delay`, `jitter`, `loss` and `reorder` of
 * an `iface` statement, and `limit io DEVICE ...`. Only the shape of the
 * statement is checked here (which option needs which); values are parsed
 * and bounded by the expansion (src/model/shaping.c), because a
 * template's value is known only then. Internal to the parser
 * (parse_int.h).
 */
#include "lang/parse_int.h"

/* Append the shaping options of an `iface` statement to defs (room for 6);
 * returns how many. */
size_t ps_shape_opts(struct ot_ast_stmt *st, struct optdef *defs)
{
	size_t n = 0;

	defs[n++] = (struct optdef){.kw = "rate",
				    .kind = OPT_WORD,
				    .what = "a rate such as 100mbit",
				    .w = &st->u.iface.rate};
	defs[n++] = (struct optdef){.kw = "burst",
				    .kind = OPT_WORD,
				    .what = "a burst size such as 32K",
				    .w = &st->u.iface.burst};
	defs[n++] = (struct optdef){.kw = "delay",
				    .kind = OPT_WORD,
				    .what = "a delay such as 10ms",
				    .w = &st->u.iface.delay};
	defs[n++] = (struct optdef){.kw = "jitter",
				    .kind = OPT_WORD,
				    .what = "a jitter such as 2ms",
				    .w = &st->u.iface.jitter};
	defs[n++] = (struct optdef){.kw = "loss",
				    .kind = OPT_WORD,
				    .what = "a percentage such as 0.1%",
				    .w = &st->u.iface.loss};
	defs[n++] = (struct optdef){.kw = "reorder",
				    .kind = OPT_WORD,
				    .what = "a percentage such as 1%",
				    .w = &st->u.iface.reorder};
	return n;
}

/* An option that only makes sense beside another: `burst` with `rate`,
 * `jitter` and `reorder` with `delay` (netem reorders by sending some
 * packets without the delay; without a delay there is nothing to jump). */
bool ps_shape_check(struct parser *p, const struct ot_ast_stmt *st)
{
	static const struct {
		size_t opt, needs;
		const char *hint;
	} deps[] = {
	    {offsetof(struct ot_ast_stmt, u.iface.burst),
	     offsetof(struct ot_ast_stmt, u.iface.rate),
	     "'burst' is the token bucket's size: iface eth0 on lan rate 100mbit burst 32K"},
	    {offsetof(struct ot_ast_stmt, u.iface.jitter),
	     offsetof(struct ot_ast_stmt, u.iface.delay),
	     "'jitter' varies the delay: iface eth0 on lan delay 10ms jitter 2ms"},
	    {offsetof(struct ot_ast_stmt, u.iface.reorder),
	     offsetof(struct ot_ast_stmt, u.iface.delay),
	     "reordered packets skip the delay: iface eth0 on lan delay 10ms reorder 1%"},
	};
	static const char *const names[][2] = {
	    {"burst", "rate"}, {"jitter", "delay"}, {"reorder", "delay"}};
	size_t i;

	for (i = 0; i < NOPTS(deps); i++) {
		const struct ot_ast_word *w =
		    *(struct ot_ast_word *const *)((const char *)st + deps[i].opt);
		const struct ot_ast_word *need =
		    *(struct ot_ast_word *const *)((const char *)st + deps[i].needs);
		struct ot_diag *g;

		if (!w || need)
			continue;
		g = ot_diag_error(p->d, w->loc, "'%s' needs '%s' on the same interface",
				  names[i][0], names[i][1]);
		ot_diag_hint(g, "%s", deps[i].hint);
		return false;
	}
	return true;
}

/* limit io DEVICE [read_bps SIZE] [write_bps SIZE] [read_iops N] [write_iops N],
 * the `io` keyword not yet read. */
bool ps_limit_io(struct parser *p, struct ot_ast_stmt *st)
{
	struct optdef defs[4];

	ps_next(p, OT_LEX_STMT);
	st->u.limit.io_dev = ps_read_word(p, "a block device such as /dev/vda or 254:0");
	if (!st->u.limit.io_dev)
		return false;
	defs[0] = (struct optdef){.kw = "read_bps",
				  .kind = OPT_WORD,
				  .what = "bytes per second such as 10M",
				  .w = &st->u.limit.rbps};
	defs[1] = (struct optdef){.kw = "write_bps",
				  .kind = OPT_WORD,
				  .what = "bytes per second such as 10M",
				  .w = &st->u.limit.wbps};
	defs[2] = (struct optdef){.kw = "read_iops",
				  .kind = OPT_WORD,
				  .what = "operations per second",
				  .w = &st->u.limit.riops};
	defs[3] = (struct optdef){.kw = "write_iops",
				  .kind = OPT_WORD,
				  .what = "operations per second",
				  .w = &st->u.limit.wiops};
	if (ps_at_end(ps_peek(p, OT_LEX_STMT))) {
		struct ot_diag *g =
		    ps_expected(p, ps_peek(p, OT_LEX_STMT),
				"'read_bps', 'write_bps', 'read_iops' or 'write_iops'");

		ot_diag_hint(g, "limit io /dev/vda read_bps 10M write_iops 100");
		return false;
	}
	return ps_parse_opts(p, "limit io", defs, NOPTS(defs));
}
