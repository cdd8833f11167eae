/*
 * otc.h - what the subcommands of `otc` share (otc.c owns the command
 * table; other files, e.g. otc_build.c, add one row and one function).
 *
 * A subcommand is `int fn(struct otc_common *c, int argc, char **argv)`,
 * argv[0] being the subcommand's name and c zeroed but for `color`; it
 * returns an exit status (OTC_EXIT_*). It parses its
 * options with otc_getopt() (which handles the common ones: -D, --instance,
 * --bounds, --help) and loads and compiles with otc_compile_files(), which
 * prints the diagnostics to stderr.
 */
#ifndef OT_CLI_OTC_H
#define OT_CLI_OTC_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "compile/bounds.h"
#include "compile/compile.h"
#include "model/load.h"

#define OTC_EXIT_OK	  0 /* success */
#define OTC_EXIT_TOPOLOGY 1 /* the topology or hosts file has errors */
#define OTC_EXIT_USAGE	  2 /* bad command line */
#define OTC_EXIT_SYSTEM	  3 /* cannot read, out of memory, I/O error */

#define OTC_MAX_DEFINES 256

/* What otc_getopt() returns for --json (the subcommand's longopts give it
 * this value; the old short spelling -j is mapped to it). Subcommands' own
 * long-only options use values from 0x300 up. */
#define OTC_OPT_JSON 0x200

/* Options every subcommand accepts. */
struct otc_common {
	const char *defines[OTC_MAX_DEFINES]; /* -D NAME=VALUE */
	size_t ndefines;
	const char *instance; /* --instance NAME */
	bool has_bounds;      /* --bounds KEY=VALUE seen */
	struct ot_bounds bounds;
	struct ot_prefix bounds_addrs[OT_BOUNDS_MAX_ADDRS];
	bool color; /* diagnostics in colour (a terminal, no NO_COLOR) */
	/* otc check --json: the diagnostics go into this JSON object
	 * (otc_diags_json) instead of to stderr; NULL otherwise */
	struct json_t *diag_json;
};

/* Everything a loaded and compiled topology holds. */
struct otc_compiled {
	struct ot_diags diags;
	struct ot_model *model;
	struct ot_hosts *hosts; /* NULL without a hosts file */
	struct ot_compiled *out;
};

/*
 * getopt_long over the subcommand's own options (optstring/longopts, which
 * must not reuse the common letters D, h or the codes >= 0x100 below) plus
 * the common ones, which it handles itself. Returns the next option of the
 * subcommand's own, -1 at the end, or 'h' for --help, '?' for a usage error
 * (already reported on stderr).
 */
int otc_getopt(struct otc_common *c, int argc, char **argv, const char *optstring,
	       const struct option *longopts);

/*
 * Load FILE (and HOSTS when not NULL) and compile with the common options
 * (probes: compute verify expectations). Diagnostics (errors and warnings)
 * go to stderr. Returns OTC_EXIT_OK with *x filled (free with
 * otc_compiled_free), or an exit status.
 */
int otc_compile_files(const struct otc_common *c, const char *file, const char *hosts, bool probes,
		      struct otc_compiled *x);
void otc_compiled_free(struct otc_compiled *x);

/*
 * Put d's diagnostics (sorted) into the JSON object doc: "diagnostics" (an
 * array, one object per record: file, line, column, end_column, severity,
 * message, hint, related) and the counts "errors", "warnings", "dropped".
 * Returns 0, or -1 when out of memory (otc_diag_json.c).
 */
int otc_diags_json(struct ot_diags *d, struct json_t *doc);

/* `otc build` (otc_build.c). */
int otc_run_build(struct otc_common *c, int argc, char **argv);

/* `otc diff` (otc_diff.c). */
int otc_run_diff(struct otc_common *c, int argc, char **argv);

/* `otc reach` (otc_reach.c). */
int otc_run_reach(struct otc_common *c, int argc, char **argv);

/* Print "otc: <msg>" to stderr. */
void otc_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
