/*
 * load.h - the language front end's entry points: .otp source -> resolved
 * model (model.h), and hosts file -> struct ot_hosts. All problems go to the
 * diagnostics list (every one found in a single run, with file:line:col);
 * nothing prints.
 */
#ifndef OT_MODEL_LOAD_H
#define OT_MODEL_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/diag.h"
#include "model/model.h"
#include "model/shape.h"

/*
 * The allocation's shape (NODES, TASKS, tasks_on(), rank_of(), node_of() in
 * the language): given by the Slurm plugin from the job step; NULL means
 * NODES from -D NODES=N, else `hosts` when non-zero (the hosts file's
 * lines), else 1; TASKS from -D TASKS=N, else NODES; Slurm's default block
 * layout. See docs/language.md section 4.
 */
struct ot_load_opts {
	const char *const *defines; /* "name=value" overrides of `param` defaults */
	size_t ndefines;
	bool no_includes; /* refuse `include` (untrusted input read as root) */
	/* Administrator bounds (otc --bounds, the Slurm plugin), checked as the
	 * loops unroll, so a loop past them stops at the first container or
	 * interface too many instead of building the whole topology first;
	 * 0 = no bound. The back end checks the other bounds. */
	uint32_t max_containers_per_node;
	uint32_t max_ifaces_per_node;
	const struct ot_shape *shape; /* the allocation's shape, or NULL */
	uint32_t hosts;		      /* without a shape: the hosts file's host count, or 0 */
};

/*
 * Parse, expand and resolve a topology. Returns 0 and *ret (free with
 * ot_model_free), or -EINVAL (errors in d), -ENOENT/-EACCES... (cannot read:
 * also a diagnostic), -ENOMEM. Warnings may be recorded on success.
 */
int ot_topology_load(const char *path, const struct ot_load_opts *o, struct ot_diags *d,
		     struct ot_model **ret);

/* Same, from memory; `name` is the file name used in locations. */
int ot_topology_load_mem(const char *name, const char *text, size_t len,
			 const struct ot_load_opts *o, struct ot_diags *d, struct ot_model **ret);

/* Parse a hosts file. Same return convention. */
int ot_hosts_load(const char *path, struct ot_diags *d, struct ot_hosts **ret);
int ot_hosts_load_mem(const char *name, const char *text, size_t len, struct ot_diags *d,
		      struct ot_hosts **ret);

#endif
