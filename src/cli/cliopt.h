/*
 * cliopt.h - what otc, otdeploy and otnode share on their command lines,
 * so the three behave as one family (docs/cli.md): one version line, one
 * way to report an unknown command or option (with "did you mean", from
 * util/suggest.h), one refusal of conflicting actions, one duration
 * syntax, and one rule for JSON output: every document carries a "schema"
 * key naming its format and version (vocab/schema.h; the plan's own is
 * OT_PLAN_SCHEMA).
 *
 * Everything here prints to stderr or stdout: it is front-end code.
 */
#ifndef OT_CLI_CLIOPT_H
#define OT_CLI_CLIOPT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "vocab/schema.h"

struct json_t;

/* Exit statuses, the same in the three programs. */
#define OT_CLI_EXIT_OK	   0 /* done */
#define OT_CLI_EXIT_FAIL   1 /* topology errors, a node failed, drift, mismatch */
#define OT_CLI_EXIT_USAGE  2 /* bad command line */
#define OT_CLI_EXIT_SYSTEM 3 /* cannot read, out of memory, I/O error */

/*
 * Print the version line every program prints for --version, -V and its
 * `version` command: "PROG (OpenTop) VERSION, plan schema SCHEMA". The
 * part after PROG is the same in otc, otdeploy and otnode.
 */
void ot_cli_version(const char *prog);

/*
 * Report an unknown command WORD on stderr: "PROG: unknown command 'WORD'
 * (did you mean 'X'?)", X being the closest of names[0..n) (none when no
 * name is a plausible typo), then TAIL ("" or e.g. " (try `otc help`)").
 */
void ot_cli_unknown_command(const char *prog, const char *word, const char *const *names, size_t n,
			    const char *tail);

/*
 * Report the error getopt_long() just returned (ret '?' or ':'; the caller
 * set opterr = 0 and began optstring with ':') on stderr, naming the
 * option as written (argv[optind - 1]) and, for a long option that does
 * not exist, the closest of longopts ("did you mean '--json'?"); for an
 * abbreviation that fits several, all of them; for "-json" (one dash),
 * "--json".
 */
void ot_cli_getopt_error(const char *prog, int ret, char **argv, const struct option *longopts);

/*
 * Refuse a long option written with one dash ("-json"), which getopt
 * would read as a cluster of letters (-j -s -o -n): scans argv[1..argc)
 * up to "--" for a word "-NAME" or "-NAME=..." where NAME is one of
 * longopts, and reports it ("did you mean '--json'?"). Returns 0 or
 * -EINVAL (reported).
 */
int ot_cli_single_dash(const char *prog, int argc, char **argv, const struct option *longopts);

/*
 * An action option NAME (e.g. "--destroy") was given; *cur is the one
 * given before it (NULL if none). The same one twice is fine; another is a
 * usage error, reported on stderr ("PROG: --destroy and --status are two
 * actions; give one"). Returns 0 (and *cur = name) or -EINVAL.
 */
int ot_cli_action(const char *prog, const char **cur, const char *name);

/*
 * Options A and B (as the user would write them, e.g. "--quiet",
 * "--verbose") contradict each other: report it on stderr, the same way
 * as two actions. Returns -EINVAL.
 */
int ot_cli_conflict(const char *prog, const char *a, const char *b, const char *why);

/*
 * Parse a duration: digits with an optional unit, ms, s, m or h ("500ms",
 * "2s", "5m"); bare digits are in unit_ms milliseconds (the option's
 * documented unit: 1000 for "SECS", 1 for "MS"). The result must lie in
 * [min_ms, max_ms]. Returns 0 with *ret_ms set, or -EINVAL.
 */
int ot_cli_duration_ms(const char *s, unsigned unit_ms, unsigned min_ms, unsigned max_ms,
		       unsigned *ret_ms);

/*
 * Set doc's "schema" key to SCHEMA (NULL: doc has its own, as the
 * executor's and the deployer's reports do) and print doc to stdout, followed by a
 * newline, with jansson flags (JSON_INDENT(2) | JSON_SORT_KEYS, ...).
 * Consumes doc (NULL: out of memory). Returns 0, or OT_CLI_EXIT_SYSTEM
 * after saying why on stderr ("PROG: ...").
 */
int ot_cli_json_print(const char *prog, struct json_t *doc, const char *schema, size_t flags);

#endif
