/*
 * plan_diff.h - what changes on a node when its running plan is replaced by
 * another one (`otc diff`, `otnode apply`, `otdeploy --apply`).
 *
 * A pure function of two plans of the same instance and node. Every
 * operation has a stable key - its kind and the identity of the object it
 * makes (a namespace by name, a link by namespace and name, an address by
 * namespace, device and prefix, a route by namespace, destination and
 * metric, an FDB entry by device, MAC and remote, a sysctl by namespace and
 * key, an nft table by namespace and name, a cgroup by path) - and a content
 * (everything else the kernel is told, namespace indices replaced by names,
 * origins left out). Operations of the old plan whose key is gone are
 * removed, those of the new plan whose key is new are added, and those whose
 * content changed are replaced (removed, then added) - except a sysctl (its
 * value is written in place) and an nft table (replaced by one atomic batch,
 * so the flows it lets through are never cut).
 *
 * Replacing or removing an object takes what depends on it along: every
 * operation inside a namespace that goes, the addresses, routes, FDB
 * entries, up state, slaves and per-device sysctls of a link that goes, the
 * routes of a namespace whose addresses change. Those dependants are
 * replaced too (marked `implied`). A sysctl that disappears from a
 * namespace of ours cannot be put back to a value nobody recorded: the
 * namespace is rebuilt instead.
 *
 * The executor removes the `remove` operations of the old plan in reverse
 * order, then makes the `add` and `update` operations of the new plan in
 * plan order.
 */
#ifndef OT_PLAN_PLAN_DIFF_H
#define OT_PLAN_PLAN_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "plan/plan.h"
#include "util/error.h"
#include "util/strbuf.h"

#define OT_DIFF_NONE ((size_t)-1)

enum ot_diff_kind {
	OT_DIFF_ADD,	 /* new object */
	OT_DIFF_REMOVE,	 /* object no longer in the plan */
	OT_DIFF_REPLACE, /* removed, then made again as the new plan says */
	OT_DIFF_UPDATE,	 /* changed in place (sysctl value, nft table: atomically) */
	OT_DIFF__COUNT
};

struct ot_diff_item {
	enum ot_diff_kind kind;
	size_t old_op, new_op; /* indices, OT_DIFF_NONE when absent */
	bool implied;	       /* REPLACE only because something it depends on goes */
};

struct ot_plan_diff {
	const struct ot_plan *from, *to; /* may be NULL: an empty plan */
	size_t nfrom, nto;		 /* their op counts */
	bool *remove;			 /* [nfrom]: undo this op of `from` */
	bool *add;			 /* [nto]: make this op of `to` */
	bool *update;			 /* [nto]: change in place */
	struct ot_diff_item *items;	 /* removals (old order), then additions (new order) */
	size_t nitems;
	size_t count[OT_DIFF__COUNT];
	size_t unchanged;
};

/*
 * Compare the running plan `from` with `to`; either may be NULL (nothing
 * running / nothing wanted). Two plans must be of the same node of the
 * same instance (equal prefix), else -EINVAL naming both. 0 and *ret (free
 * with ot_plan_diff_free), or -ENOMEM.
 */
int ot_plan_diff(const struct ot_plan *from, const struct ot_plan *to, struct ot_plan_diff **ret,
		 struct ot_error *err);
void ot_plan_diff_free(struct ot_plan_diff *d); /* accepts NULL */

/* No operation to remove, add or update. */
bool ot_plan_diff_empty(const struct ot_plan_diff *d);

/* "add", "remove", "replace", "update" */
const char *ot_diff_kind_name(enum ot_diff_kind k);

/*
 * Append the change list of node `node` as text: a summary line, then one
 * line per item ("  + netns  demo.n1.web  container web ...  # topo.otp:9").
 */
void ot_plan_diff_text(const struct ot_plan_diff *d, const char *node, struct ot_strbuf *out);

struct json_t;
/* {"node":..., "add":n, "remove":n, "replace":n, "update":n, "unchanged":n,
 *  "changes":[{"action","kind","ns","what","origin"?,"implied"?}...]}
 * (new reference; NULL on OOM). */
struct json_t *ot_plan_diff_json(const struct ot_plan_diff *d, const char *node);

#endif
