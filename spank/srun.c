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
#include "lang/builtin.h"
#include "lang/parse.h"
#include "model/load.h"
#include "spank/config.h"
#include "spank/plugin.h"
#include "spank/readas.h"
#include "spank/shape.h"
#include "spank/step.h"
#include "util/hash.h"
#include "util/strbuf.h"

/* What the submit side validated, kept for local_user_init: the bytes and
 * the overrides (the step's shape is known only then). */
static char *text;
static size_t text_len;
static char *text_name;
static bool text_uses_shape;

static int opt_cb(int val, const char *optarg, int remote);

#define OPT_TOPOLOGY 0
#define OPT_DEFINE   1

static struct spank_option options[] = {
    {"opentop", "FILE",
     "[opentop] run each task in its container of the OpenTop topology FILE, one file for any "
     "allocation (environment: " OT_SPANK_ENV_TOPOLOGY "; see docs/slurm.md)",
     1, OPT_TOPOLOGY, opt_cb},
    {"opentop-define", "NAME=VALUE[,...]",
     "[opentop] override a param of the topology, as otc -D (repeatable; "
     "environment: " OT_SPANK_ENV_DEFINE ")",
     1, OPT_DEFINE, opt_cb},
    SPANK_OPTIONS_TABLE_END,
};

static int opt_cb(int val, const char *optarg, int remote)
{
	struct ot_error err = {0};

	if (val == OPT_DEFINE) {
		/* In slurmstepd only the last occurrence arrives: the nodes read
		 * the submit side's merged list (OT_SPANK_ENV_DEFINE) instead. */
		if (remote)
			return 0;
		if (ot_spank_defines_add(&ot_spank.cli_defines, optarg ? optarg : "", &err) < 0) {
			slurm_error("opentop: --opentop-define: %s", err.msg);
			return -1;
		}
		return 0;
	}
	return ot_spank_set_path(optarg, "--opentop");
}

int ot_spank_set_path(const char *path, const char *from)
{
	if (!path || !path[0]) {
		slurm_error("opentop: %s needs a topology file", from);
		return -1;
	}
	if (strlen(path) >= OT_SPANK_PATH_MAX) {
		slurm_error("opentop: %s: the path is longer than %d bytes", from,
			    OT_SPANK_PATH_MAX - 1);
		return -1;
	}
	free(ot_spank.path);
	ot_spank.path = strdup(path);
	if (!ot_spank.path) {
		slurm_error("opentop: out of memory");
		return -1;
	}
	return 0;
}

int ot_spank_srun_register(spank_t sp)
{
	size_t i;

	for (i = 0; options[i].name; i++) {
		if (spank_option_register(sp, &options[i]) != ESPANK_SUCCESS) {
			slurm_error("opentop: cannot register --%s", options[i].name);
			return -1;
		}
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

/* Parse, check the plugin's policy and compile unbound with the bounds,
 * for the given shape (NULL: one node, one task). */
static int check_topology(const char *name, const char *src, size_t len,
			  const struct ot_shape *shape, struct ot_diags *d, struct ot_model **ret)
{
	struct ot_load_opts lo = {.no_includes = true, .shape = shape};
	struct ot_compile_opts co = {0};
	struct ot_compiled *c = NULL;
	struct ot_model *m = NULL;
	char inst[OT_NSNAME_MAX];
	int r;

	lo.defines = (const char *const *)ot_spank.defines.v;
	lo.ndefines = ot_spank.defines.n;
	/* the bounds checked as loops unroll, as otc --bounds does */
	lo.max_containers_per_node = ot_spank.cfg.bounds.max_containers_per_node;
	lo.max_ifaces_per_node = ot_spank.cfg.bounds.max_ifaces_per_node;
	r = ot_topology_load_mem(name, src, len, &lo, d, &m);
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

/* The overrides: the environment's first, then the command line's (later
 * ones win, as with otc -D). The allocation's shape is not a parameter. */
static int gather_defines(void)
{
	const char *env = getenv(OT_SPANK_ENV_DEFINE);
	struct ot_error err = {0};
	size_t i;

	ot_spank_defines_free(&ot_spank.defines);
	if (env && ot_spank_defines_add(&ot_spank.defines, env, &err) < 0)
		goto fail;
	for (i = 0; i < ot_spank.cli_defines.n; i++)
		if (ot_spank_defines_add(&ot_spank.defines, ot_spank.cli_defines.v[i], &err) < 0)
			goto fail;
	for (i = 0; i < ot_spank.defines.n; i++) {
		const char *def = ot_spank.defines.v[i];
		int id = ot_builtin_find(def, strcspn(def, "="));

		if (id == OT_B_NODES || id == OT_B_TASKS) {
			slurm_error(
			    "opentop: --opentop-define %s: %s is the step's %s: use srun %s", def,
			    ot_builtins[id].name, id == OT_B_NODES ? "node count" : "task count",
			    id == OT_B_NODES ? "-N" : "-n");
			return -1;
		}
	}
	if (ot_spank_defines_join(&ot_spank.defines) < 0) {
		ot_error_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	return 0;
fail:
	slurm_error("opentop: %s: %s", OT_SPANK_ENV_DEFINE, err.msg);
	return -1;
}

/* Does the topology use the allocation's shape? A scan of its words: a
 * false positive only defers the check to the step. */
static bool uses_shape(const char *src, size_t len)
{
	size_t i, k;

	for (i = 0; i < len; i++) {
		if (i && (src[i - 1] == '_' || (src[i - 1] >= '0' && src[i - 1] <= '9') ||
			  ((src[i - 1] | 0x20) >= 'a' && (src[i - 1] | 0x20) <= 'z')))
			continue;
		for (k = 0; k < OT_B__COUNT; k++) {
			size_t n = strlen(ot_builtins[k].name);

			if (n <= len - i && !memcmp(src + i, ot_builtins[k].name, n))
				return true;
		}
	}
	return false;
}

/* Errors that no shape can change: in the overrides (the command line)
 * or in the syntax (the parser runs before any value is known). */
static bool shape_independent(const struct ot_diags *d)
{
	struct ot_parse_opts po = {.no_includes = true};
	struct ot_ast *ast = NULL;
	struct ot_diags pd;
	size_t i;
	int r;

	for (i = 0; i < d->n; i++)
		if (d->v[i].level == OT_DIAG_ERROR && d->v[i].loc.file &&
		    !strcmp(d->v[i].loc.file, "command line"))
			return true;
	ot_diags_init(&pd);
	r = ot_ast_parse_mem(ot_spank.path, text, text_len, &po, &pd, &ast);
	ot_ast_free(ast);
	ot_diags_free(&pd);
	return r < 0;
}

/* The bytes validated when the job was submitted, when this srun runs
 * inside it with the same file: they are what the step must build, even if
 * the file changed or is gone since. */
static int getenv_part(void *ctx, const char *name, char *buf, size_t size)
{
	const char *v = getenv(name);

	(void)ctx;
	if (!v || strlen(v) >= size)
		return -1;
	memcpy(buf, v, strlen(v) + 1);
	return 0;
}

static char *carried(const char *abs, size_t *len)
{
	const char *rec = getenv(OT_SPANK_ENV), *path = NULL;
	uint64_t digest;
	char *copy = NULL;

	if (!rec || ot_spank_env_parse(rec, &digest, &path) < 0 || strcmp(path, abs) ||
	    ot_spank_carry_join(getenv_part, NULL, &copy) < 0)
		return NULL;
	if (ot_spank_text_decode(copy, len) < 0 || ot_hash64(copy, *len) != digest ||
	    *len > ot_spank.cfg.max_file) {
		free(copy);
		return NULL;
	}
	return copy;
}

/* The encoded bytes into SLURM_OPENTOP_TEXT, _1, ...; parts a previous
 * submission left (a larger file) are removed. 0 or -1. */
static int carry(const char *enc)
{
	size_t left = strlen(enc), n;
	char name[32], *part;
	unsigned k;
	int r;

	for (k = 0; k <= OT_SPANK_CARRY_PARTS; k++) {
		ot_spank_carry_name(k, name, sizeof(name));
		if (left == 0 && k > 0) {
			if (unsetenv(name) < 0)
				return -1;
			continue;
		}
		if (k == OT_SPANK_CARRY_PARTS)
			return -1; /* cannot happen within OT_SPANK_MAX_FILE */
		n = left < OT_SPANK_CARRY_MAX ? left : OT_SPANK_CARRY_MAX;
		part = strndup(enc, n);
		r = part ? setenv(name, part, 1) : -1;
		free(part);
		if (r < 0)
			return -1;
		enc += n;
		left -= n;
	}
	return 0;
}

int ot_spank_srun_check(void)
{
	struct ot_error err = {0};
	struct ot_diags d;
	struct ot_model *m = NULL;
	char *abs = NULL, *enc = NULL, rec[OT_SPANK_PATH_MAX + 32];
	int r;

	if (gather_defines() < 0)
		return -1;
	abs = absolute(ot_spank.path);
	if (!abs) {
		slurm_error("opentop: %s: cannot make the path absolute: %m", ot_spank.path);
		return -1;
	}
	free(text);
	text = carried(abs, &text_len);
	if (!text) {
		r = ot_spank_read_file(abs, NULL, NULL, ot_spank.cfg.max_file, &text, &text_len,
				       &err);
		if (r < 0) {
			slurm_error("opentop: %s", err.msg);
			free(abs);
			return -1;
		}
	}
	free(text_name);
	text_name = strdup(ot_spank.path);
	text_uses_shape = uses_shape(text, text_len);
	ot_diags_init(&d);
	r = check_topology(ot_spank.path, text, text_len, NULL, &d, &m);
	if (r < 0 && text_uses_shape && d.errors && !d.oom && !shape_independent(&d)) {
		/* Perhaps only at one node and one task: the step's own shape
		 * decides, after the allocation and before anything is built
		 * (local_user_init, or the nodes for sbatch and salloc). */
		ot_diags_free(&d);
		ot_diags_init(&d);
		r = 0;
	} else {
		print_diags(&d);
	}
	ot_model_free(m);
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
	/* For the nodes and the steps of this job: the record (digest and
	 * path), the bytes themselves, the merged overrides. */
	if (ot_spank_env_format(ot_hash64(text, text_len), abs, rec, sizeof(rec)) < 0 ||
	    ot_spank_text_encode(text, text_len, &enc) < 0 || setenv(OT_SPANK_ENV, rec, 1) < 0 ||
	    setenv(OT_SPANK_ENV_DEFINE, ot_spank.defines.joined, 1) < 0 || carry(enc) < 0) {
		slurm_error("opentop: cannot record the topology for the nodes");
		r = -1;
	}
	free(enc);
out:
	ot_diags_free(&d);
	free(abs);
	return r < 0 ? -1 : 0;
}

/* Is one of the errors "the topology has more nodes than the step"? That
 * depends on the node count only, never on the layout. */
static bool fit_error(const struct ot_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->v[i].level == OT_DIAG_ERROR &&
		    !strncmp(d->v[i].msg, OT_SHAPE_FIT_MSG, strlen(OT_SHAPE_FIT_MSG)))
			return true;
	return false;
}

/* The step's shape as srun knows it before the launch: its node and task
 * counts, and the tasks per node and distribution when srun has them in
 * its environment (*exact; Slurm 22.05's srun does not: then Slurm's
 * default block layout). */
static int srun_shape(spank_t sp, struct ot_shape *s, uint32_t **node_of, bool *exact,
		      struct ot_error *err)
{
	const char *tpn = getenv("SLURM_STEP_TASKS_PER_NODE"), *dist = getenv("SLURM_DISTRIBUTION");
	const char *plane = getenv("SLURM_DIST_PLANESIZE");
	uint32_t nnodes = 0, ntasks = 0, *counts;
	int r = 0;

	if (spank_get_item(sp, S_JOB_NNODES, &nnodes) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_TOTAL_TASK_COUNT, &ntasks) != ESPANK_SUCCESS || !nnodes ||
	    ntasks < nnodes || ntasks > OT_MAX_TASKS)
		return 1; /* not known here: the nodes check */
	*node_of = calloc(ntasks, sizeof(**node_of));
	counts = calloc(nnodes, sizeof(*counts));
	if (!*node_of || !counts) {
		free(counts);
		return ot_error_set(err, -ENOMEM, "out of memory");
	}
	*exact = tpn && ot_spank_tasks_per_node(tpn, nnodes, ntasks, counts, NULL) == 0;
	if (*exact)
		r = ot_spank_layout(counts, nnodes, ntasks, dist ? dist : "",
				    plane ? (uint32_t)strtoul(plane, NULL, 10) : 0, *node_of, err);
	else
		ot_shape_block(nnodes, ntasks, *node_of);
	free(counts);
	*s = (struct ot_shape){nnodes, ntasks, *node_of};
	return r;
}

int ot_spank_srun_local_user_init(spank_t sp)
{
	struct ot_error err = {0};
	struct ot_shape s;
	struct ot_diags d;
	struct ot_model *m = NULL;
	uint32_t *node_of = NULL;
	bool exact = false;
	int r;

	if (!ot_spank.path || !text)
		return 0;
	r = srun_shape(sp, &s, &node_of, &exact, &err);
	if (r > 0)
		return 0;
	if (r < 0) {
		slurm_error("opentop: %s", err.msg);
		return -1;
	}
	/* The whole check again, with the step's shape: a topology that does
	 * not fit fails here, after the allocation, before any node builds. */
	ot_diags_init(&d);
	r = check_topology(text_name, text, text_len, &s, &d, &m);
	if (r < 0 && !exact && text_uses_shape && !d.oom && !fit_error(&d)) {
		/* srun (22.05) does not know the tasks per node before the
		 * launch: the block layout stood in for them, and this error
		 * may depend on it. The nodes, which know the layout, decide. */
		ot_model_free(m);
		ot_diags_free(&d);
		free(node_of);
		return 0;
	}
	print_diags(&d);
	if (r == 0 && ot_spank_check_nodes(m, s.nodes, &err) < 0) {
		slurm_error("opentop: %s", err.msg);
		r = -1;
	} else if (r < 0) {
		slurm_error("opentop: topology '%s' refused for this step (%u nodes, %u tasks); "
			    "nothing was built",
			    ot_spank.path, s.nodes, s.tasks);
	}
	ot_model_free(m);
	ot_diags_free(&d);
	free(node_of);
	return r < 0 ? -1 : 0;
}

void ot_spank_srun_exit(void)
{
	free(text);
	text = NULL;
	free(text_name);
	text_name = NULL;
	ot_spank_defines_free(&ot_spank.defines);
	ot_spank_defines_free(&ot_spank.cli_defines);
}
