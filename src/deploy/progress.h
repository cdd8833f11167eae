/*
 * progress.h - what otdeploy shows: the live view (one line per node,
 * redrawn in place on a terminal), plain event lines (not a terminal), the
 * final per-node table, the cluster-wide reachability matrix of --verify,
 * and the JSON report (--json). Everything is rendered into a strbuf; the
 * front end decides where it goes. Callers hold the engine's lock (or the
 * engine is not running) while rendering.
 */
#ifndef OT_DEPLOY_PROGRESS_H
#define OT_DEPLOY_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "deploy/deploy.h"
#include "util/strbuf.h"

struct json_t;

/* The live view: exactly one line per node, each ending in "\n", no wider
 * than width columns (0 = no limit). */
void ot_progress_view(const struct ot_deploy *d, bool color, unsigned width, struct ot_strbuf *out);

/* One event line for node i's current state: "h2: uploading (1.4 MB)\n". */
void ot_progress_event(const struct ot_deploy *d, size_t i, struct ot_strbuf *out);

/* The final table (rows no wider than width columns, 0 = 120), a summary
 * line, and the full reason of each failure. */
void ot_progress_table(const struct ot_deploy *d, bool color, unsigned width,
		       struct ot_strbuf *out);

/*
 * --status: per node, the counts of objects ok / missing / drifted and the
 * first few that are not ok, from otnode's status JSON.
 */
void ot_progress_status(const struct ot_deploy *d, struct ot_strbuf *out);

/*
 * --verify: merge every node's `otnode verify --json` output into one
 * matrix (rows: source containers, columns: targets; "ok" where the
 * outcome matched the topology, "MISMATCH" where not). Appends the text to
 * out and returns the number of mismatches, or -EINVAL when a node's
 * output cannot be read (the reason is appended too).
 */
int ot_progress_verify_matrix(const struct ot_deploy *d, bool color, struct ot_strbuf *out);

/*
 * --verify: the class probes across nodes (ot_deploy_cross_classes): one
 * "MISMATCH A -> B (ADDR) CLASS: reach says ..., live: ..." line per
 * disagreement and a count line, or why they were not made. Returns the
 * number of disagreements, 1 more when they could not run.
 */
int ot_progress_cross_classes(const struct ot_deploy *d, struct ot_strbuf *out);

/* The whole run as JSON (new reference; NULL on OOM). Node outputs that
 * are JSON are embedded as objects. */
struct json_t *ot_deploy_to_json(const struct ot_deploy *d);

#endif
