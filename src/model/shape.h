/*
 * shape.h - the allocation's shape: how many nodes and tasks a job step
 * has and on which node each global rank runs. It is an input of the front
 * end, like the -D overrides: the Slurm plugin derives it from the step,
 * otc and otdeploy from -D NODES=/TASKS= and the hosts file. The language
 * reads it through its built-in names (lang/builtin.h; docs/language.md
 * section 4).
 */
#ifndef OT_MODEL_SHAPE_H
#define OT_MODEL_SHAPE_H

#include <stdint.h>

#include "util/error.h"

#define OT_MAX_TASKS 1048576u /* tasks of one allocation */

/* The start of the error of a topology with more nodes than its
 * allocation (a front end may tell it from the shape-dependent ones). */
#define OT_SHAPE_FIT_MSG "the topology needs "

struct ot_shape {
	uint32_t nodes;		 /* 1..OT_MAX_NODES */
	uint32_t tasks;		 /* nodes..OT_MAX_TASKS */
	const uint32_t *node_of; /* [tasks]: the node index of each global rank */
};

/*
 * Slurm's default (block) layout of `tasks` over `nodes`: the first
 * tasks % nodes nodes get one task more than the others, and ranks are
 * numbered node by node (-N2 -n3: ranks 0, 1 on node 0, rank 2 on node 1).
 * node_of has room for `tasks` entries. Never fails for nodes >= 1.
 */
void ot_shape_block(uint32_t nodes, uint32_t tasks, uint32_t *node_of);

/*
 * Check a shape: the counts within their limits, at least one task on
 * every node, every node index below `nodes`. Returns 0 or -EINVAL with a
 * message in err.
 */
int ot_shape_check(const struct ot_shape *s, struct ot_error *err);

#endif
