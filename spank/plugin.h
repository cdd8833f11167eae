/*
 * plugin.h - inside the SPANK plugin: what its three files share.
 *
 *   opentop.c     the entry points Slurm calls (slurm_spank_*): each one
 *                 switches on the SPANK context and calls one side;
 *   srun.c        the submit side (srun, sbatch, salloc: local and
 *                 allocator contexts, as the user): the --opentop option
 *                 and the check of the topology before anything is
 *                 allocated;
 *   slurmstepd.c  the node side (slurmstepd: remote context, root): the
 *                 build, the tasks' entry into their containers, teardown.
 *
 * One plugin instance per process: srun, sbatch, or one slurmstepd (one
 * step). Nothing here exits or aborts: a failure is a message through
 * Slurm's log functions and -1.
 */
#ifndef OT_SPANK_PLUGIN_H
#define OT_SPANK_PLUGIN_H

#include <slurm/spank.h>

#include "spank/config.h"
#include "spank/shape.h"

/* State of both sides. */
struct ot_spank_plugin {
	struct ot_spank_config cfg;	     /* plugstack.conf arguments */
	char *path;			     /* --opentop value as given; NULL: not used */
	struct ot_spank_defines cli_defines; /* --opentop-define, in order */
	struct ot_spank_defines defines;     /* the overrides in effect */
};

/* The environment forms of the options (as pyxis has them), and what the
 * submit side hands to the nodes and to the steps of the job: the bytes
 * it validated (always: see OT_SPANK_MAX_FILE; in parts, see
 * ot_spank_carry_join) and the merged overrides. */
#define OT_SPANK_ENV_TOPOLOGY "SLURM_OPENTOP_TOPOLOGY"
#define OT_SPANK_ENV_DEFINE   "SLURM_OPENTOP_DEFINE"

/* The topology path from an option or the environment (`from` names it in
 * messages). 0 or -1 (logged). */
int ot_spank_set_path(const char *path, const char *from);

extern struct ot_spank_plugin ot_spank;

/* srun.c: register --opentop (every context: slurmstepd gets its value
 * through the same callback). 0 or -1 (logged). */
int ot_spank_srun_register(spank_t sp);
/* init_post_opt, local and allocator: read, parse, check and compile the
 * topology; export SLURM_OPENTOP for the nodes. 0 or -1 (logged). */
int ot_spank_srun_check(void);
/* local_user_init (srun): the step's node count fits the topology. */
int ot_spank_srun_local_user_init(spank_t sp);
/* exit: free what the submit side kept. */
void ot_spank_srun_exit(void);

/* slurmstepd.c: init_post_opt in the remote context: gather the step's
 * inputs and fork the build (errors deferred to user_init). Returns 0. */
int ot_spank_stepd_init_post_opt(spank_t sp);
/* user_init: wait for the build, report its failure, start the relay. */
int ot_spank_stepd_user_init(spank_t sp);
/* task_init_privileged: enter the task's container. */
int ot_spank_stepd_task_init_privileged(spank_t sp);
/* task_init: OPENTOP_* variables, PMIx listener to the relay. */
int ot_spank_stepd_task_init(spank_t sp);
/* exit: stop the relay; in the remote context destroy the instance; free
 * the node side's state. 0 or -1 (teardown failed, logged). */
int ot_spank_stepd_exit(spank_t sp);

#endif
