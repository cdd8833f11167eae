/*
 * expand.h - syntax tree -> resolved model: parameters bound, loops
 * unrolled, templates evaluated, values parsed and range-checked, names
 * resolved, and the topology-wide semantic checks (duplicates, subnets,
 * MACs, VNIs, ranks, limits). Internal to the front end: callers use
 * ot_topology_load() (model/load.h).
 */
#ifndef OT_MODEL_EXPAND_H
#define OT_MODEL_EXPAND_H

#include <stddef.h>
#include <stdint.h>

#include "lang/ast.h"
#include "lang/diag.h"
#include "model/load.h"
#include "model/model.h"
#include "util/hash.h"

/*
 * Expand `ast` (parsed without errors) into a new model. o (may be NULL):
 * `defines` ("NAME=VALUE" overrides of params, and, without a shape, of
 * NODES and TASKS), the per-node bounds, and the allocation's shape
 * (NULL: from the defines, else `hosts` nodes when non-zero, else one
 * node; one task per node unless TASKS is defined; block layout).
 * Returns 0 and *ret, -EINVAL (errors in d), or -ENOMEM. The AST is
 * annotated (literal caches) but not freed.
 */
int ot_model_expand(struct ot_ast *ast, const struct ot_load_opts *o, struct ot_diags *d,
		    struct ot_model **ret);

/*
 * Make the name maps built during expansion (keys and values owned by the
 * model) the model's lookup index; the maps are moved (left empty).
 * Returns 0 or -ENOMEM.
 */
int ot_model_adopt_index(struct ot_model *m, struct ot_strmap *nodes, struct ot_strmap *networks,
			 struct ot_strmap *containers);

#endif
