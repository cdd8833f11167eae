/*
 * opentop.c - the SPANK plugin: `srun --opentop=net.otp ./mpi_app` runs
 * every task of the step in its container of a user-defined network that
 * spans the step's nodes, with no daemon and nothing left behind.
 *
 * This file is the dispatch: the entry points Slurm calls, each switching
 * on the SPANK context to one side (plugin.h): srun.c for the submit side,
 * slurmstepd.c for the node side. The plain decisions are in step.c, the
 * reader in readas.c, the build in node.c. What happens where:
 *
 *   srun / sbatch / salloc (submit side, as the user, before allocation)
 *     init           parse plugstack.conf arguments (config.c), register
 *                    --opentop=FILE and --opentop-define=NAME=VALUE (also
 *                    SLURM_OPENTOP_TOPOLOGY, SLURM_OPENTOP_DEFINE)
 *     init_post_opt  read FILE, parse, validate against the bounds, compile
 *                    (unbound): the compiler's diagnostics with
 *                    file:line:col, and a failure before anything is
 *                    allocated; export SLURM_OPENTOP="<digest> <abs path>",
 *                    the bytes (SLURM_OPENTOP_TEXT) and the overrides
 *     local_user_init  (srun) the whole check again with the step's shape
 *
 *   slurmstepd (each node, root)
 *     init_post_opt  for real steps only (not the batch script or extern
 *                    step): the job's identity, the file and digest srun
 *                    recorded, the step's nodes and their underlay
 *                    addresses (node[k] = k-th node of the step); then fork
 *                    the build process, which takes the bytes that came
 *                    with the job (never the file), checks the digest, compiles with the instance
 *                    "<topo>.j<job>s<step>" and the step's VNI window,
 *                    reclaims orphans and builds this node's share - while
 *                    slurmstepd goes on with its own set-up.
 *     user_init      compile slurmstepd's own copy of the plan from the same
 *                    bytes, then wait for the build process; report a
 *                    failure (Slurm forwards it to srun from here, not
 *                    earlier); start the PMIx relay thread
 *     task_init_privileged  (each task child, root) enter the container, or
 *                    fail the task after a failure (so srun exits 1)
 *     task_init      (each task child, as the user) OPENTOP_* variables;
 *                    hand the PMIx listener to the relay
 *     exit           stop the relay, destroy the instance from its journal
 *
 * Nothing here exits or aborts: every failure is a message and a -1 to
 * Slurm. Only the symbols in opentop.lds are exported.
 */
#include <stdlib.h>
#include <string.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "spank/config.h"
#include "spank/plugin.h"

SPANK_PLUGIN(opentop, 1);

struct ot_spank_plugin ot_spank;

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	spank_context_t ctx = spank_context();
	struct ot_error err = {0};

	if (ctx != S_CTX_LOCAL && ctx != S_CTX_REMOTE && ctx != S_CTX_ALLOCATOR)
		return 0;
	if (ot_spank_config_parse(ac, av, &ot_spank.cfg, &err) < 0) {
		slurm_error("opentop: %s", err.msg);
		return -1;
	}
	return ot_spank_srun_register(sp);
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	spank_context_t ctx = spank_context();
	char env[OT_SPANK_PATH_MAX];

	/* --opentop, else its environment form (the job's environment on a
	 * node) */
	if (!ot_spank.path && (ctx == S_CTX_LOCAL || ctx == S_CTX_ALLOCATOR) &&
	    getenv(OT_SPANK_ENV_TOPOLOGY) &&
	    ot_spank_set_path(getenv(OT_SPANK_ENV_TOPOLOGY), OT_SPANK_ENV_TOPOLOGY) < 0)
		return -1;
	if (!ot_spank.path && ctx == S_CTX_REMOTE &&
	    spank_getenv(sp, OT_SPANK_ENV_TOPOLOGY, env, sizeof(env)) == ESPANK_SUCCESS &&
	    ot_spank_set_path(env, OT_SPANK_ENV_TOPOLOGY) < 0)
		return -1;
	if (!ot_spank.path)
		return 0;
	if (ctx == S_CTX_LOCAL || ctx == S_CTX_ALLOCATOR)
		return ot_spank_srun_check();
	if (ctx != S_CTX_REMOTE)
		return 0;
	return ot_spank_stepd_init_post_opt(sp);
}

int slurm_spank_local_user_init(spank_t sp, int ac, char **av)
{
	return ot_spank_srun_local_user_init(sp);
}

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	return ot_spank_stepd_user_init(sp);
}

int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	return ot_spank_stepd_task_init_privileged(sp);
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	return ot_spank_stepd_task_init(sp);
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	int rc = ot_spank_stepd_exit(sp);

	ot_spank_srun_exit();
	free(ot_spank.path);
	ot_spank.path = NULL;
	return rc;
}
