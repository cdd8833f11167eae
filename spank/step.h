/*
 * step.h - the decisions the plugin makes for one job step, as plain
 * functions of their inputs (no Slurm calls, no system calls), so they are
 * unit-tested without a cluster and every node of a step computes the same
 * answers from the same inputs:
 *
 *   - the instance name, which scopes every object by job and step;
 *   - the step's VNI window inside the administrator's range;
 *   - the binding of topology nodes to the step's nodes (node[k] = k-th);
 *   - the plugin's policy checks beyond struct ot_bounds;
 *   - which container a task enters;
 *   - where the PMIx server listens (from the task environment).
 */
#ifndef OT_SPANK_STEP_H
#define OT_SPANK_STEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/diag.h"
#include "model/model.h"
#include "plan/plan.h"
#include "spank/config.h"
#include "util/addr.h"
#include "util/error.h"

/* Step ids at and above this are Slurm's pseudo steps (batch script,
 * extern, interactive...): never put into containers. */
#define OT_SPANK_PSEUDO_STEP 0xfffffff0u

/* The instance name used when no job exists yet (validation in srun and
 * sbatch): the longest a real one can be, so length limits bite early. */
#define OT_SPANK_PLACEHOLDER_JOB  4294967295u
#define OT_SPANK_PLACEHOLDER_STEP 4294967279u

/*
 * "<topo>.j<job>s<step>" into buf. Returns 0, or -ENAMETOOLONG when it does
 * not fit size bytes.
 */
int ot_spank_instance(const char *topo, uint32_t job, uint32_t step, char *buf, size_t size);

/*
 * The step's window of derived VNIs: [*base, *base + *span), span =
 * cfg->vni_block, inside [vni_min, vni_max]. Consecutive (job, step) pairs
 * get disjoint windows; the window repeats only after
 * (range / vni_block) pairs (see docs/slurm.md, "VNIs").
 */
void ot_spank_vni_window(const struct ot_spank_config *cfg, uint32_t job, uint32_t step,
			 uint32_t *base, uint32_t *span);

/* The binding of a topology to a step's nodes. */
struct ot_spank_binding {
	struct ot_hosts hosts; /* hosts[k] binds model node k to step node k */
};

/*
 * Bind model node k to step node k (names[k], underlay addrs[k]) with the
 * administrator's underlay MTU and device. The topology must use exactly
 * n nodes. Returns 0 and fills b (release with ot_spank_binding_free), or
 * -EINVAL with err saying how to fix the srun line, or -ENOMEM.
 */
int ot_spank_bind(const struct ot_model *m, const char *const *names, const struct ot_addr *addrs,
		  size_t n, const struct ot_spank_config *cfg, struct ot_spank_binding *b,
		  struct ot_error *err);
void ot_spank_binding_free(struct ot_spank_binding *b); /* accepts a zeroed binding */

/*
 * Check the topology against the node count of the step (0 = not known
 * yet): returns 0 or -EINVAL with err ("topology 'x' has 3 nodes (n0, n1,
 * n2) but the step runs on 2: use srun -N3").
 */
int ot_spank_check_nodes(const struct ot_model *m, uint32_t nnodes, struct ot_error *err);

/*
 * The plugin's policy on top of ot_bounds (explicit VNIs, sysctls): every
 * violation becomes an error diagnostic at its source location. Returns
 * the number of errors added.
 */
size_t ot_spank_policy_check(const struct ot_model *m, const struct ot_spank_config *cfg,
			     struct ot_diags *d);

/* Does any container of the topology name its Slurm ranks explicitly? */
bool ot_spank_explicit_ranks(const struct ot_model *m);

/*
 * The namespace index (into p->ns) a task enters. With explicit ranks the
 * task's global rank decides (it must map to a container of this node);
 * otherwise the local_id-th task of the node enters the local_id-th
 * container of the node. Returns the index, or -ENOENT with err naming the
 * task, the node and the fix.
 */
int ot_spank_task_ns(const struct ot_plan *p, bool explicit_ranks, uint32_t local_id,
		     uint32_t global_id, struct ot_error *err);

/*
 * Parse a PMIx server URI ("pmix-server.1234;tcp4://127.0.0.1:45678", also
 * tcp6://[::1]:P) into its address and port. Returns 0, or -EINVAL.
 */
int ot_spank_pmix_uri(const char *uri, struct ot_addr *addr, uint16_t *port);

/*
 * The submit side's record for the nodes, carried in the job environment
 * as SLURM_OPENTOP="<16 hex digest> <absolute path>". Format into buf
 * (returns 0 or -ENAMETOOLONG) / parse (returns 0 or -EINVAL; *path points
 * into s).
 */
#define OT_SPANK_ENV "SLURM_OPENTOP"

/*
 * The topology's bytes as an environment value: Slurm drops a job
 * variable whose value holds a newline, so '%' and every control byte but
 * tab become %XX (hand-written: a dozen lines, and readable in `env`).
 * encode: malloc'ed NUL-terminated text into *ret, 0 or -ENOMEM.
 * decode: in place, the decoded length in *len; 0 or -EINVAL.
 */
int ot_spank_text_encode(const char *text, size_t len, char **ret);
int ot_spank_text_decode(char *s, size_t *len);
/*
 * The encoded bytes travel in up to OT_SPANK_CARRY_PARTS variables of at
 * most OT_SPANK_CARRY_MAX bytes each (one environment string must stay
 * below the kernel's 128 KiB for every exec): SLURM_OPENTOP_TEXT, then
 * SLURM_OPENTOP_TEXT_1, _2, ... Part k's name into buf (at least 32 bytes).
 * join: concatenate the parts get() finds, from part 0 until one is
 * missing, into a malloc'ed string *ret; get(ctx, name, buf, size) copies
 * the value (NUL-terminated) and returns 0, or returns <0 when it is
 * missing or does not fit. 0, -ENOENT (no part 0), -E2BIG or -ENOMEM.
 */
void ot_spank_carry_name(unsigned k, char *buf, size_t size);
int ot_spank_carry_join(int (*get)(void *ctx, const char *name, char *buf, size_t size), void *ctx,
			char **ret);
int ot_spank_env_format(uint64_t digest, const char *abspath, char *buf, size_t size);
int ot_spank_env_parse(const char *s, uint64_t *digest, const char **path);

#endif
