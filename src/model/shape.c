/*
 * shape.c - the allocation's shape in the expansion: where it comes from
 * (the caller's struct ot_shape, or -D NODES= / -D TASKS= / the hosts
 * file / one node with one task), the values of the built-in names
 * (lang/builtin.h) and the check that the topology fits the allocation.
 * Contract of the exported helpers in shape.h; the xp_ functions are
 * internal to the expansion (expand_int.h).
 */
#include "model/expand_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lang/builtin.h"

void ot_shape_block(uint32_t nodes, uint32_t tasks, uint32_t *node_of)
{
	uint32_t base = tasks / nodes, extra = tasks % nodes, k, r = 0, i;

	for (k = 0; k < nodes; k++)
		for (i = 0; i < base + (k < extra); i++)
			node_of[r++] = k;
}

int ot_shape_check(const struct ot_shape *s, struct ot_error *err)
{
	uint32_t *count, r, k;

	if (s->nodes < 1 || s->nodes > OT_MAX_NODES)
		return ot_error_set(err, -EINVAL, "%u nodes: the limit is 1..%d", s->nodes,
				    OT_MAX_NODES);
	if (s->tasks < s->nodes || s->tasks > OT_MAX_TASKS)
		return ot_error_set(err, -EINVAL,
				    "%u tasks on %u nodes: at least one task per node, at most %u "
				    "tasks",
				    s->tasks, s->nodes, OT_MAX_TASKS);
	if (!s->node_of)
		return ot_error_set(err, -EINVAL, "the shape has no task layout");
	count = calloc(s->nodes, sizeof(*count));
	if (!count)
		return ot_error_set(err, -ENOMEM, "out of memory");
	for (r = 0; r < s->tasks; r++) {
		if (s->node_of[r] >= s->nodes) {
			free(count);
			return ot_error_set(err, -EINVAL, "rank %u is on node %u of %u", r,
					    s->node_of[r], s->nodes);
		}
		count[s->node_of[r]]++;
	}
	for (k = 0; k < s->nodes && count[k]; k++)
		;
	free(count);
	if (k < s->nodes)
		return ot_error_set(err, -EINVAL, "node %u of the allocation runs no task", k);
	return 0;
}

/* A -D value for NODES or TASKS: a decimal integer in lo..hi. */
static bool define_value(struct xctx *x, struct ot_loc cl, const char *name, const char *text,
			 uint32_t lo, uint32_t hi, uint32_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (!*text || *end || errno) {
		ot_diag_error(x->d, cl, "-D %s: the value is not an integer", name);
		return false;
	}
	if (v < lo || v > hi) {
		ot_diag_error(x->d, cl, "-D %s=%lld is out of range (%u..%u)", name, v, lo, hi);
		return false;
	}
	*ret = (uint32_t)v;
	return true;
}

bool xp_define_is_shape(const char *def)
{
	const char *eq = strchr(def, '=');

	return ot_builtin_find(def, eq ? (size_t)(eq - def) : strlen(def)) >= 0;
}

/* The layout by node: first[k]..first[k+1] index ranks[] (increasing). */
static void index_shape(struct xctx *x)
{
	const struct ot_shape *s = &x->shape;
	uint32_t k, r, *fill;

	x->shape_first = calloc(s->nodes + 1, sizeof(*x->shape_first));
	x->shape_ranks = calloc(s->tasks, sizeof(*x->shape_ranks));
	fill = calloc(s->nodes, sizeof(*fill));
	if (!x->shape_first || !x->shape_ranks || !fill) {
		free(fill);
		x->oom = true;
		return;
	}
	for (r = 0; r < s->tasks; r++)
		x->shape_first[s->node_of[r] + 1]++;
	for (k = 0; k < s->nodes; k++)
		x->shape_first[k + 1] += x->shape_first[k];
	for (r = 0; r < s->tasks; r++) {
		k = s->node_of[r];
		x->shape_ranks[x->shape_first[k] + fill[k]++] = r;
	}
	free(fill);
}

void xp_shape_init(struct xctx *x, const struct ot_shape *given, uint32_t hosts,
		   const char *const *defines, size_t ndefines)
{
	struct ot_loc cl = {NULL, 0, 0, 0};
	uint32_t nodes = hosts ? hosts : 1, tasks = 0, *own;
	bool tasks_set = false;
	struct ot_error err = {0};
	size_t i;

	for (i = 0; i < ndefines; i++) {
		const char *eq = strchr(defines[i], '=');
		int id;

		if (!eq || !xp_define_is_shape(defines[i]))
			continue;
		if (!cl.file)
			cl.file = ot_diags_add_source(x->d, "command line", "", 0);
		id = ot_builtin_find(defines[i], (size_t)(eq - defines[i]));
		if (given || (id != OT_B_NODES && id != OT_B_TASKS)) {
			struct ot_diag *g = ot_diag_error(
			    x->d, cl, "-D %.64s: %s is %s and cannot be set here", defines[i],
			    ot_builtins[id].usage, ot_builtins[id].meaning);

			if (given)
				ot_diag_hint(g, "the job step sets it: use srun -N/-n");
			continue;
		}
		if (id == OT_B_NODES &&
		    define_value(x, cl, "NODES", eq + 1, 1, OT_MAX_NODES, &nodes))
			x->shape_bound = true;
		if (id == OT_B_TASKS &&
		    define_value(x, cl, "TASKS", eq + 1, 1, OT_MAX_TASKS, &tasks))
			tasks_set = true;
	}
	if (given) {
		x->shape = *given;
		x->shape_bound = true;
		if (ot_shape_check(given, &err) < 0) {
			if (!cl.file)
				cl.file = ot_diags_add_source(x->d, "allocation", "", 0);
			ot_diag_error(x->d, cl, "invalid allocation shape: %s", err.msg);
			x->fatal = true;
			return;
		}
		index_shape(x);
		return;
	}
	if (!tasks_set)
		tasks = nodes; /* as srun -N without -n: one task per node */
	if (tasks < nodes) {
		if (!cl.file)
			cl.file = ot_diags_add_source(x->d, "command line", "", 0);
		ot_diag_error(x->d, cl, "-D TASKS=%u is less than the %u nodes", tasks, nodes);
		x->fatal = true;
		return;
	}
	own = calloc(tasks, sizeof(*own));
	if (!own) {
		x->oom = true;
		return;
	}
	ot_shape_block(nodes, tasks, own);
	x->shape_own = own;
	x->shape = (struct ot_shape){nodes, tasks, own};
	index_shape(x);
}

void xp_shape_free(struct xctx *x)
{
	free(x->shape_own);
	free(x->shape_first);
	free(x->shape_ranks);
}

/* An argument that must be a node index. */
static bool node_arg(struct xctx *x, const struct ot_ast_expr *a, int64_t v)
{
	if (v >= 0 && v < (int64_t)x->shape.nodes)
		return true;
	xp_xerr(x, a->loc, "node %" PRId64 " is out of range: the allocation has %u node%s (0..%u)",
		v, x->shape.nodes, x->shape.nodes == 1 ? "" : "s", x->shape.nodes - 1);
	return false;
}

bool xp_eval_builtin(struct xctx *x, const struct ot_ast_expr *e, int64_t *ret)
{
	int64_t a = 0, b = 0;
	uint32_t n;

	if (!x->shape_first) /* no shape (reported): no cascade */
		return false;
	if ((e->l && !xp_eval(x, e->l, &a)) || (e->r && !xp_eval(x, e->r, &b)))
		return false;
	switch ((enum ot_builtin)e->slot) {
	case OT_B_NODES:
		*ret = x->shape.nodes;
		return true;
	case OT_B_TASKS:
		*ret = x->shape.tasks;
		return true;
	case OT_B_TASKS_ON:
		if (!node_arg(x, e->l, a))
			return false;
		*ret = x->shape_first[a + 1] - x->shape_first[a];
		return true;
	case OT_B_RANK_OF:
		if (!node_arg(x, e->l, a))
			return false;
		n = x->shape_first[a + 1] - x->shape_first[a];
		if (b < 0 || b >= (int64_t)n) {
			xp_xerr(x, e->r->loc,
				"task %" PRId64 " is out of range: node %" PRId64
				" runs %u task%s (0..%u)",
				b, a, n, n == 1 ? "" : "s", n - 1);
			return false;
		}
		*ret = x->shape_ranks[x->shape_first[a] + b];
		return true;
	case OT_B_NODE_OF:
		if (a < 0 || a >= (int64_t)x->shape.tasks) {
			xp_xerr(x, e->l->loc,
				"rank %" PRId64
				" is out of range: the allocation has %u task%s (0..%u)",
				a, x->shape.tasks, x->shape.tasks == 1 ? "" : "s",
				x->shape.tasks - 1);
			return false;
		}
		*ret = x->shape.node_of[a];
		return true;
	default:
		return false;
	}
}

void xp_shape_fit(struct xctx *x)
{
	const struct ot_model *m = x->m;
	const struct ot_m_node *extra;
	struct ot_diag *g;

	if (!x->shape_bound || m->nnodes <= x->shape.nodes)
		return;
	extra = m->nodes[x->shape.nodes];
	g = xp_gerr(x, extra->loc,
		    OT_SHAPE_FIT_MSG "%zu nodes, the allocation has %u: node '%s' has no "
				     "machine",
		    m->nnodes, x->shape.nodes, extra->name);
	if (g)
		ot_diag_hint(g, "node k of the topology (in natural order of names) runs on node k "
				"of the allocation; place containers with node[node_of(RANK)] or "
				"node[K] for K below NODES");
}
