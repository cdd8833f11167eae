/*
 * shape.h - the job step's shape as every node of the step sees it: the
 * tasks Slurm placed on each node (SLURM_STEP_TASKS_PER_NODE, "4,2(x2)")
 * and the distribution (SLURM_DISTRIBUTION, SLURM_DIST_PLANESIZE) give
 * the node of every global rank, the way Slurm's task layout assigns them;
 * each node then checks its own global task ids (S_JOB_GTIDS) against it
 * before anything is built. Pure functions (no Slurm calls, no
 * environment), unit-tested without a cluster. Also the -D style
 * overrides of the plugin (--opentop-define, SLURM_OPENTOP_DEFINE).
 */
#ifndef OT_SPANK_SHAPE_H
#define OT_SPANK_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "model/shape.h"
#include "util/error.h"

/*
 * Parse a tasks-per-node list ("2(x3),1": 2, 2, 2, 1) into counts[nnodes].
 * It must describe exactly nnodes nodes with at least one task each and
 * add up to ntasks. Returns 0 or -EINVAL with err.
 */
int ot_spank_tasks_per_node(const char *s, uint32_t nnodes, uint32_t ntasks, uint32_t *counts,
			    struct ot_error *err);

/*
 * The node of each global rank, node_of[ntasks], for the node-level part
 * of a distribution (before ':' or ','): "" or "block" (ranks node by
 * node), "cyclic" (one rank per node in turn, skipping full nodes),
 * "plane" (plane ranks per node in turn). "arbitrary" and others:
 * -ENOTSUP with err. Slurm's own layout (src/common/slurm_step_layout.c).
 */
int ot_spank_layout(const uint32_t *counts, uint32_t nnodes, uint32_t ntasks, const char *dist,
		    uint32_t plane, uint32_t *node_of, struct ot_error *err);

/*
 * This node's global task ids (any order) must be exactly the ranks the
 * layout puts on nodeid. Returns 0 or -EINVAL with err naming both.
 */
int ot_spank_layout_check(const struct ot_shape *s, uint32_t nodeid, const uint32_t *gtids,
			  uint32_t ngtids, struct ot_error *err);

/* The -D style overrides, in order (later ones win). */
struct ot_spank_defines {
	char **v;
	size_t n;
	char *joined; /* "A=1,B=2", after ot_spank_defines_join */
};

#define OT_SPANK_MAX_DEFINES 256

/*
 * Append the comma-separated "NAME=VALUE" items of s (empty items are
 * skipped). Names and values are checked by the compiler. Returns 0,
 * -E2BIG (more than OT_SPANK_MAX_DEFINES) or -ENOMEM, with err.
 */
int ot_spank_defines_add(struct ot_spank_defines *d, const char *s, struct ot_error *err);
/* d->joined = the items joined with ','. Returns 0 or -ENOMEM. */
int ot_spank_defines_join(struct ot_spank_defines *d);
void ot_spank_defines_free(struct ot_spank_defines *d);

#endif
