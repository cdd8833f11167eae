/*
 * otnode.h - what the commands of `otnode` share (otnode.c owns main and
 * the command table; otnode_apply.c is `otnode apply`, with otdeploy's
 * check-then-apply and serve protocols).
 *
 * A command is `int fn(struct otnode_cli *c, int argc, char **argv)`,
 * argv[0] being its name; it returns an exit status (OTNODE_EXIT_*). It
 * parses its options with otnode_sub_options(), gets its plan with
 * otnode_load_plan() and the executor's options with otnode_init_opts().
 */
#ifndef OT_CLI_OTNODE_H
#define OT_CLI_OTNODE_H

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "exec/exec.h"
#include "plan/plan.h"
#include "util/error.h"
#include "util/strbuf.h"

#define OTNODE_EXIT_FAIL   1
#define OTNODE_EXIT_USAGE  2
#define OTNODE_EXIT_SYSTEM 3

struct otnode_cli {
	const char *plan_file; /* --plan FILE instead of the embedded plan */
	bool plan_stdin;       /* --plan-stdin: "plan <bytes>\n" + the plan on stdin */
	char *stdin_text;      /* ... read once (serve: the last one) */
	size_t stdin_len;
	struct ot_plan *plan;
	bool json;
	unsigned kill_at, fail_at;
	bool trace;
	char exe[PATH_MAX];    /* save_plan: this executable's path, read once */
	struct ot_strbuf self; /* ... and its bytes */
};

/* The commands' long-only options (getopt values). */
enum {
	OPT_JSON = 0x100,
	OPT_REMOTE,
	OPT_TIMEOUT,
	OPT_WAIT_GO,
	OPT_STATE_DIR,
	OPT_NO_CLASSES,
	OPT_ALL,
	OPT_CHECK,
	OPT_REVERT,
	OPT_SAVE_PLAN,
	OPT_SERVE
};

/* "otnode: " and the message, on stderr. */
void otnode_die(const char *fmt, ...) OT_PRINTF(1, 2);

/* --help on stdout, or a one-line pointer to it on stderr; returns status. */
int otnode_usage(FILE *f, int status);

/*
 * A line from stdin, read with read(2), never through stdio: what follows
 * on stdin (a plan's bytes, the preflight's "go" line, serve's next word,
 * xprobe's requests) must stay there for whoever reads it next. 0 (the
 * newline dropped), or -1 at EOF or past size - 1 bytes.
 */
int otnode_read_line(char *buf, size_t size);

/* The plan after its "plan <bytes>" line (head, without the newline):
 * exactly that many bytes, into c->stdin_text (the one before freed).
 * 0 or an exit status (said why). */
int otnode_read_plan_body(struct otnode_cli *c, const char *head);

/* c->stdin_text into *ret: a valid plan whose state is under
 * /run/opentop/ (any plan on stdin may run as root: sudo). 0 or -errno
 * with err. */
int otnode_parse_stdin_plan(struct otnode_cli *c, struct ot_plan **ret, struct ot_error *err);

/* c->plan from --plan-stdin, --plan FILE or the embedded plan (once).
 * 0 or an exit status (said why). */
int otnode_load_plan(struct otnode_cli *c);

/* The executor's options: fault hooks and progress from the environment,
 * who asks (for the journal). */
void otnode_init_opts(struct otnode_cli *c, struct ot_exec_opts *o);

/* getopt_long over extra (plus -h): values[i] = 1 for each option of
 * extra[i] seen, strval[i] its argument. 0, 'h' for --help, '?' after an
 * option error (reported). */
int otnode_sub_options(int argc, char **argv, const struct option *extra, int *values,
		       const char **strval);

/* `otnode apply` (otnode_apply.c). */
int otnode_cmd_apply(struct otnode_cli *c, int argc, char **argv);

#endif
