/*
 * srun.c - the SPANK plugin's submit side (see plugin.h): srun, sbatch and
 * salloc, as the user, before anything is allocated.
 *
 *   init           the --opentop=FILE option (also registered in
 *                  slurmstepd, where its value arrives the same way)
 *   init_post_opt  read FILE, parse, validate against the bounds, compile
 *                  (unbound): the compiler's diagnostics with
 *                  file:line:col, and a failure before anything is
 *                  allocated; export SLURM_OPENTOP="<digest> <abs path>"
 *   local_user_init  (srun) the step's node count matches the topology
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "compile/compile.h"
#include "model/load.h"
#include "spank/config.h"
#include "spank/plugin.h"
#include "spank/readas.h"
#include "spank/step.h"
#include "util/hash.h"
#include "util/strbuf.h"

/* The model checked at submission, kept for local_user_init. */
static struct ot_model *model;

static int opt_cb(int val, const char *optarg, int remote);

static struct spank_option option = {
    "opentop",
    "FILE",
    "run each task in its container of the OpenTop topology FILE (a private network across "
    "the step's nodes; see docs/slurm.md)",
    1,
    0,
    opt_cb,
};

static int opt_cb(int val, const char *optarg, int remote)
{
	(void)val;
	(void)remote;
	if (!optarg || !optarg[0]) {
		slurm_error("opentop: --opentop needs a topology file");
		return -1;
	}
	if (strlen(optarg) >= OT_SPANK_PATH_MAX) {
		slurm_error("opentop: --opentop: the path is longer than %d bytes",
			    OT_SPANK_PATH_MAX - 1);
		return -1;
	}
	free(ot_spank.path);
	ot_spank.path = strdup(optarg);
	if (!ot_spank.path) {
		slurm_error("opentop: out of memory");
		return -1;
	}
	return 0;
}

int ot_spank_srun_register(spank_t sp)
{
	if (spank_option_register(sp, &option) != ESPANK_SUCCESS) {
		slurm_error("opentop: cannot register --opentop");
		return -1;
	}
	return 0;
}

/* Write every diagnostic to the user's terminal, as `otc check` does. */
static void print_diags(const struct ot_diags *d)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	const char *nc = getenv("NO_COLOR");

	ot_diags_render(d, &sb, isatty(STDERR_FILENO) && !(nc && nc[0]));
	if (sb.len)
		fputs(ot_sb_str(&sb), stderr);
	fflush(stderr);
	ot_sb_free(&sb);
}

/* path made absolute against the current directory (or, inside an
 * allocation, the submit directory when the file is not found from here:
 * an inner srun may run elsewhere than sbatch did); canonical when it
 * exists (the nodes read exactly that file). malloc'ed. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *r = realpath(path, NULL);
	const char *sub = getenv("SLURM_SUBMIT_DIR");

	if (r)
		return r;
	if (path[0] != '/' && sub && sub[0] == '/' && asprintf(&r, "%s/%s", sub, path) >= 0) {
		char *c = realpath(r, NULL);

		free(r);
		if (c)
			return c;
	}
	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&r, "%s/%s", cwd, path) < 0)
		return NULL;
	return r;
}

/* Parse, check the plugin's policy and compile unbound with the bounds. */
static int check_topology(const char *name, const char *text, size_t len, struct ot_diags *d,
			  struct ot_model **ret)
{
	struct ot_load_opts lo = {.no_includes = true};
	struct ot_compile_opts co = {0};
	struct ot_compiled *c = NULL;
	struct ot_model *m = NULL;
	char inst[OT_NSNAME_MAX];
	int r;

	r = ot_topology_load_mem(name, text, len, &lo, d, &m);
	if (r < 0)
		return r;
	if (ot_spank_policy_check(m, &ot_spank.cfg, d)) {
		ot_model_free(m);
		return -EINVAL;
	}
	if (ot_spank_instance(m->name, OT_SPANK_PLACEHOLDER_JOB, OT_SPANK_PLACEHOLDER_STEP, inst,
			      sizeof(inst)) < 0) {
		ot_diag_error(d, m->loc, "topology name '%s' is too long for a job instance",
			      m->name);
		ot_model_free(m);
		return -EINVAL;
	}
	co.instance = inst;
	co.state_root = ot_spank.cfg.state_root;
	co.bounds = &ot_spank.cfg.bounds;
	ot_spank_vni_window(&ot_spank.cfg, 0, 0, &co.vni_base, &co.vni_span);
	r = ot_compile(m, &co, d, &c);
	ot_compiled_free(c);
	if (r < 0) {
		ot_model_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

int ot_spank_srun_check(void)
{
	struct ot_error err = {0};
	struct ot_diags d;
	char *abs = NULL, *text = NULL, rec[OT_SPANK_PATH_MAX + 32];
	size_t len;
	int r;

	abs = absolute(ot_spank.path);
	if (!abs) {
		slurm_error("opentop: %s: cannot make the path absolute: %m", ot_spank.path);
		return -1;
	}
	r = ot_spank_read_file(abs, NULL, NULL, ot_spank.cfg.max_file, &text, &len, &err);
	if (r < 0) {
		slurm_error("opentop: %s", err.msg);
		free(abs);
		return -1;
	}
	ot_diags_init(&d);
	r = check_topology(ot_spank.path, text, len, &d, &model);
	print_diags(&d);
	if (r < 0) {
		if (d.errors == 0 && !d.oom)
			slurm_error("opentop: topology '%s' refused: %s", ot_spank.path,
				    strerror(-r));
		else
			slurm_error(
			    "opentop: topology '%s' refused; nothing was allocated or built",
			    ot_spank.path);
		goto out;
	}
	if (ot_spank_env_format(ot_hash64(text, len), abs, rec, sizeof(rec)) < 0 ||
	    setenv(OT_SPANK_ENV, rec, 1) < 0) {
		slurm_error("opentop: cannot record the topology for the nodes");
		r = -1;
	}
out:
	ot_diags_free(&d);
	free(text);
	free(abs);
	return r < 0 ? -1 : 0;
}

int ot_spank_srun_local_user_init(spank_t sp)
{
	struct ot_error err = {0};
	uint32_t nnodes = 0;

	if (!ot_spank.path || !model)
		return 0;
	if (spank_get_item(sp, S_JOB_NNODES, &nnodes) != ESPANK_SUCCESS)
		return 0;
	if (ot_spank_check_nodes(model, nnodes, &err) < 0) {
		slurm_error("opentop: %s", err.msg);
		return -1;
	}
	return 0;
}

void ot_spank_srun_exit(void)
{
	ot_model_free(model);
	model = NULL;
}
