/*
 * compile.h - the compiler back end: a resolved model (model.h) plus an
 * optional hosts binding -> one node plan (plan.h) per topology node.
 *
 * Every decision is made here: namespace and kernel names, which networks
 * need a bridge or a VXLAN on which node (minimal plumbing), VNIs, MACs,
 * MTUs, head-end-replication FDB entries, nftables tables (only where rules
 * exist), sysctls, cgroups, and the reachability probes `verify` runs.
 * Semantic errors go to the diagnostics list with the model's locations; the
 * back end never prints.
 */
#ifndef OT_COMPILE_COMPILE_H
#define OT_COMPILE_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/diag.h"
#include "model/model.h"
#include "plan/plan.h"

/*
 * Administrator bounds (the SPANK plugin's plugstack.conf arguments). A
 * topology that exceeds them is refused with a diagnostic at the offending
 * construct, before anything is built. Zero/empty fields mean "no bound".
 */
#define OT_BOUNDS_BINDS_MAX 1024 /* bytes of binds_buf */

struct ot_bounds {
	uint32_t vni_min, vni_max;	 /* allowed VNI range (explicit and derived) */
	struct ot_prefix *allowed_addrs; /* every interface address must be inside one */
	size_t nallowed_addrs;
	uint32_t max_containers_per_node;
	uint32_t max_ifaces_per_node;
	bool forbid_host_objects; /* uplinks, masquerade in the host, macvlan */
	unsigned allowed_isolate; /* OT_ISO_* mask; 0 = only net */
	bool forbid_limits;	  /* cgroup limits */
	/* storage (compile/storage.c): with binds_bound, a bind source must be
	 * equal to or below one of the nbinds paths packed (NUL-separated) in
	 * binds_buf (none: no bind mounts); forbid_root: no root directory */
	bool binds_bound;
	bool forbid_root;
	uint32_t nbinds;
	char binds_buf[OT_BOUNDS_BINDS_MAX];
};

struct ot_compile_opts {
	const char *instance;	      /* object namespace; NULL = the topology name */
	const struct ot_hosts *hosts; /* NULL = unbound (display only: no underlay addresses) */
	const char *state_root;	      /* NULL = "/run/opentop" */
	const char *cgroup_root;      /* NULL = "opentop" */
	uint32_t vni_base; /* derived VNIs are vni_base + (hash mod vni_span); 0 = defaults */
	uint32_t vni_span;
	const struct ot_bounds *bounds; /* NULL = none */
	bool probes;			/* compute reachability probes (verify) */
	/* ot_compile: free each plan once written and validated; the result
	 * keeps the decisions only (nplans 0), for ot_graph_dot() on large
	 * clusters: peak memory is one plan's */
	bool decisions_only;
};

struct ot_compile_state; /* private: the decisions behind the plans (graph.c) */

struct ot_compiled {
	struct ot_plan **plans; /* one per node, in node order */
	size_t nplans;
	/* private; refers to the model, which must outlive it */
	struct ot_compile_state *state;
};

/*
 * Compile. Returns 0 and *ret (free with ot_compiled_free), or a negative
 * errno with the reasons in d (-EINVAL for topology errors, -ENOMEM).
 * Warnings may be recorded on success.
 */
int ot_compile(const struct ot_model *m, const struct ot_compile_opts *o, struct ot_diags *d,
	       struct ot_compiled **ret);
void ot_compiled_free(struct ot_compiled *c); /* accepts NULL */

/*
 * Compile, streamed: every decision and check is made first (all errors
 * reported, nothing handed out when there is one), then each node's plan is
 * written, validated and handed to fn in node order, and only that plan is
 * in memory at a time. fn owns the plan it gets (ot_plan_free() it, even
 * when returning an error); a negative return from fn stops the compile and
 * is returned. Otherwise as ot_compile(). For tools that emit plans one by
 * one (otc plan --json, otc build) on large clusters.
 */
int ot_compile_each(const struct ot_model *m, const struct ot_compile_opts *o, struct ot_diags *d,
		    int (*fn)(struct ot_plan *p, void *arg), void *arg);

/* The plan of node `name`, or NULL. */
struct ot_plan *ot_compiled_plan(const struct ot_compiled *c, const char *name);

#endif
