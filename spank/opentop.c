/*
 * opentop.c - the SPANK plugin: `srun --opentop=net.otp ./mpi_app` runs
 * every task of the step in its container of a user-defined network that
 * spans the step's nodes, with no daemon and nothing left behind.
 *
 * This file is the Slurm glue: it switches on the SPANK context and calls
 * the plain decisions of step.c, the reader of readas.c, the compiler and
 * the executor (node.c). What happens where:
 *
 *   srun / sbatch / salloc (submit side, as the user, before allocation)
 *     init           parse plugstack.conf arguments (config.c), register
 *                    --opentop=FILE
 *     init_post_opt  read FILE, parse, validate against the bounds, compile
 *                    (unbound): the compiler's diagnostics with
 *                    file:line:col, and a failure before anything is
 *                    allocated; export SLURM_OPENTOP="<digest> <abs path>"
 *     local_user_init  (srun) the step's node count matches the topology
 *
 *   slurmstepd (each node, root)
 *     init_post_opt  for real steps only (not the batch script or extern
 *                    step): read FILE as the job's user, check the digest,
 *                    compile bound to the step's nodes (node[k] = k-th node
 *                    of the step, underlay = the node name's address), with
 *                    the instance "<topo>.j<job>s<step>" and the step's VNI
 *                    window; reclaim orphans; start building this node's
 *                    share in a child process (it overlaps slurmstepd's own
 *                    set-up).
 *                    Errors are kept for user_init, where Slurm forwards
 *                    them to srun's stderr (not earlier: there they only
 *                    reach slurmd's log).
 *     user_init      wait for the build; report a deferred error; start the
 *                    PMIx relay thread
 *     task_init_privileged  (each task child, root) enter the container, or
 *                    fail the task after a deferred error (so srun exits 1)
 *     task_init      (each task child, as the user) OPENTOP_* variables;
 *                    hand the PMIx listener to the relay
 *     exit           stop the relay, destroy the instance from its journal
 *
 * Nothing here exits or aborts: every failure is a message and a -1 to
 * Slurm. Only the symbols in opentop.lds are exported.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <net/if.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <ifaddrs.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "compile/compile.h"
#include "lang/load.h"
#include "spank/config.h"
#include "spank/node.h"
#include "spank/owner.h"
#include "spank/readas.h"
#include "spank/relay.h"
#include "spank/step.h"
#include "util/hash.h"
#include "util/strbuf.h"

SPANK_PLUGIN(opentop, 1);

#define OT_SPANK_MAX_NODES OT_MAX_NODES
#define MAX_NODE_LINES	   20 /* diagnostic lines forwarded from a node */

/* One plugin instance per process: srun, sbatch, or one slurmstepd (one
 * step). */
static struct {
	struct ot_spank_config cfg;
	char *path;			/* --opentop value as given */

	/* submit side */
	struct ot_model *model;		/* kept for local_user_init */

	/* node side */
	bool active;			/* this step builds and enters containers */
	char deferred[OT_ERROR_MAX];	/* error to report from user_init */
	uint32_t job, step, nodeid, nnodes;
	char instance[OT_NSNAME_MAX];
	struct ot_compiled *compiled;
	struct ot_plan *plan;		/* this node's plan (in compiled) */
	bool explicit_ranks;
	bool created;
	char node_name[256];		/* the Slurm node, for messages */
	struct ot_relay *relay;
	int relay_fd;

	/* the build process (see build_start) */
	pid_t build_pid;
	int build_fd;
	bool building;
	int build_rc;
	struct ot_error build_err;
	long long t_setup, t_build;
} st;

static int opt_cb(int val, const char *optarg, int remote);

static struct spank_option option = {
	"opentop", "FILE",
	"run each task in its container of the OpenTop topology FILE (a private network across "
	"the step's nodes; see docs/slurm.md)",
	1, 0, opt_cb,
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
	free(st.path);
	st.path = strdup(optarg);
	if (!st.path) {
		slurm_error("opentop: out of memory");
		return -1;
	}
	return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	spank_context_t ctx = spank_context();
	struct ot_error err = {0};

	if (ctx != S_CTX_LOCAL && ctx != S_CTX_REMOTE && ctx != S_CTX_ALLOCATOR)
		return 0;
	st.relay_fd = -1;
	if (ot_spank_config_parse(ac, av, &st.cfg, &err) < 0) {
		slurm_error("opentop: %s", err.msg);
		return -1;
	}
	if (spank_option_register(sp, &option) != ESPANK_SUCCESS) {
		slurm_error("opentop: cannot register --opentop");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Submit side                                                          */

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
	if (ot_spank_policy_check(m, &st.cfg, d)) {
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
	co.state_root = st.cfg.state_root;
	co.bounds = &st.cfg.bounds;
	ot_spank_vni_window(&st.cfg, 0, 0, &co.vni_base, &co.vni_span);
	r = ot_compile(m, &co, d, &c);
	ot_compiled_free(c);
	if (r < 0) {
		ot_model_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

static int submit_check(void)
{
	struct ot_error err = {0};
	struct ot_diags d;
	char *abs = NULL, *text = NULL, rec[OT_SPANK_PATH_MAX + 32];
	size_t len;
	int r;

	abs = absolute(st.path);
	if (!abs) {
		slurm_error("opentop: %s: cannot make the path absolute: %m", st.path);
		return -1;
	}
	r = ot_spank_read_file(abs, NULL, NULL, st.cfg.max_file, 0, &text, &len, &err);
	if (r < 0) {
		slurm_error("opentop: %s", err.msg);
		free(abs);
		return -1;
	}
	ot_diags_init(&d);
	r = check_topology(st.path, text, len, &d, &st.model);
	print_diags(&d);
	if (r < 0) {
		if (d.errors == 0 && !d.oom)
			slurm_error("opentop: topology '%s' refused: %s", st.path, strerror(-r));
		else
			slurm_error("opentop: topology '%s' refused; nothing was allocated or built",
				    st.path);
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

int slurm_spank_local_user_init(spank_t sp, int ac, char **av)
{
	struct ot_error err = {0};
	uint32_t nnodes = 0;

	if (!st.path || !st.model)
		return 0;
	if (spank_get_item(sp, S_JOB_NNODES, &nnodes) != ESPANK_SUCCESS)
		return 0;
	if (ot_spank_check_nodes(st.model, nnodes, &err) < 0) {
		slurm_error("opentop: %s", err.msg);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Node side                                                            */

static int defer(const struct ot_error *err)
{
	snprintf(st.deferred, sizeof(st.deferred), "%s", err->msg);
	return -1;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The step's node names, in step order (node[k] = names[k]). */
static int step_nodes(spank_t sp, char ***ret, struct ot_error *err)
{
	char buf[65536], **names;
	hostlist_t hl;
	uint32_t i;

	if (spank_getenv(sp, "SLURM_STEP_NODELIST", buf, sizeof(buf)) != ESPANK_SUCCESS)
		return ot_error_set(err, -ENOENT, "the step's node list (SLURM_STEP_NODELIST) is "
						  "not in the job environment");
	hl = slurm_hostlist_create(buf);
	if (!hl)
		return ot_error_set(err, -EINVAL, "cannot parse the step's node list '%.200s'",
				    buf);
	names = calloc(st.nnodes, sizeof(*names));
	for (i = 0; names && i < st.nnodes; i++) {
		names[i] = slurm_hostlist_shift(hl);
		if (!names[i])
			break;
	}
	slurm_hostlist_destroy(hl);
	if (!names || i < st.nnodes) {
		if (names)
			while (i--)
				free(names[i]);
		free(names);
		return ot_error_set(err, -EINVAL,
				    "the step's node list '%.200s' does not have %" PRIu32 " nodes",
				    buf, st.nnodes);
	}
	*ret = names;
	return 0;
}

static void free_names(char **names, uint32_t n)
{
	uint32_t i;

	if (!names)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int resolve(const char *name, struct ot_addr *a, struct ot_error *err)
{
	struct addrinfo hints = {.ai_family = st.cfg.underlay_family, .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res = NULL;
	int r = getaddrinfo(name, NULL, &hints, &res);

	if (r)
		return ot_error_set(err, -EHOSTUNREACH, "cannot resolve node '%s' (%s): %s", name,
				    st.cfg.underlay_family == AF_INET6 ? "IPv6" : "IPv4",
				    gai_strerror(r));
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)res->ai_family;
	if (res->ai_family == AF_INET)
		memcpy(a->bytes, &((struct sockaddr_in *)res->ai_addr)->sin_addr, 4);
	else
		memcpy(a->bytes, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, 16);
	freeaddrinfo(res);
	return 0;
}

/* This node's underlay address must be one of its own, on underlay_dev
 * when one is configured, whose MTU must reach underlay_mtu. */
static int check_underlay(const char *name, const struct ot_addr *a, struct ot_error *err)
{
	struct ifaddrs *ifs = NULL, *i;
	char buf[OT_ADDR_STRLEN], dev[IF_NAMESIZE] = "";
	struct ifreq ifr;
	int s, r = 0;

	ot_addr_format(a, buf, sizeof(buf));
	if (getifaddrs(&ifs) < 0)
		return ot_error_sys(err, -errno, "list this node's addresses");
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != a->family)
			continue;
		if ((a->family == AF_INET &&
		     !memcmp(&((struct sockaddr_in *)i->ifa_addr)->sin_addr, a->bytes, 4)) ||
		    (a->family == AF_INET6 &&
		     !memcmp(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, a->bytes, 16))) {
			snprintf(dev, sizeof(dev), "%s", i->ifa_name);
			break;
		}
	}
	freeifaddrs(ifs);
	if (!dev[0])
		return ot_error_set(err, -EADDRNOTAVAIL,
				    "node '%s' resolves to %s, which is not an address of this "
				    "node",
				    name, buf);
	if (st.cfg.underlay_dev[0] && strcmp(dev, st.cfg.underlay_dev))
		return ot_error_set(err, -EADDRNOTAVAIL,
				    "node '%s' resolves to %s on interface '%s', not on the "
				    "underlay interface '%s' (plugstack.conf: underlay_dev)",
				    name, buf, dev, st.cfg.underlay_dev);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (s < 0 || ioctl(s, SIOCGIFMTU, &ifr) < 0)
		r = ot_error_sys(err, -errno, "read the MTU of '%s'", dev);
	else if ((uint32_t)ifr.ifr_mtu < st.cfg.underlay_mtu)
		r = ot_error_set(err, -EMSGSIZE,
				 "the underlay interface '%s' has MTU %d, below the configured "
				 "underlay_mtu=%" PRIu32,
				 dev, ifr.ifr_mtu, st.cfg.underlay_mtu);
	if (s >= 0)
		close(s);
	return r;
}

/* Diagnostics found on a node: one line each into err (Slurm forwards
 * single lines). */
static void diags_to_error(const struct ot_diags *d, struct ot_error *err)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	size_t i, shown = 0;

	for (i = 0; i < d->n && shown < MAX_NODE_LINES; i++) {
		if (d->v[i].level != OT_DIAG_ERROR)
			continue;
		ot_sb_append(&sb, shown++ ? "\n  " : "");
		ot_diag_render_line(&d->v[i], &sb);
	}
	if (d->errors > shown)
		ot_sb_printf(&sb, "\n  ... and %zu more", d->errors - shown);
	ot_error_set(err, -EINVAL, "topology refused on this node:\n  %s",
		     sb.oom ? "(out of memory)" : ot_sb_str(&sb));
	ot_sb_free(&sb);
}

/* The effective bounds, for the node's log (srun -v shows it too). */
static void log_config(void)
{
	char line[1024];

	ot_spank_config_format(&st.cfg, line, sizeof(line));
	slurm_verbose("opentop: configuration: %s", line);
}

/*
 * The build overlaps with slurmstepd's own step set-up: a child process,
 * forked in init_post_opt, runs the executor while slurmstepd goes on (I/O,
 * PAM, MPI set-up), and user_init, the last hook before the tasks are
 * forked, waits for it (exit does, if the step ends before). A process, not
 * a thread: between the two hooks slurmstepd drops and regains privileges
 * with glibc's seteuid(), which changes the credentials of every thread of
 * the process - a build thread would lose root halfway. The child runs only
 * the executor (libc, libmnl, libnftnl; no Slurm call, no lock another
 * thread may hold), reports through a pipe and _exit()s.
 */
static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void build_start(void)
{
	int p[2];
	pid_t pid;

	st.t_build = now_us();
	st.building = true;
	st.build_pid = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		goto here;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		goto here;
	}
	if (pid == 0) {
		struct ot_error e = {0};
		int32_t rc;

		close(p[0]);
		rc = ot_spank_node_create(st.plan, &e);
		if (write_all(p[1], &rc, sizeof(rc)) == 0 && rc < 0)
			(void)write_all(p[1], e.msg, strnlen(e.msg, sizeof(e.msg) - 1));
		_exit(0);
	}
	close(p[1]);
	st.build_pid = pid;
	st.build_fd = p[0];
	return;
here: /* no child: build in this process */
	st.build_rc = ot_spank_node_create(st.plan, &st.build_err);
}

/* The child's report: rc, then the message when rc < 0. */
static void build_collect(void)
{
	char buf[sizeof(int32_t) + OT_ERROR_MAX];
	size_t got = 0;
	int32_t rc;
	int wst;

	for (;;) {
		ssize_t n = read(st.build_fd, buf + got, sizeof(buf) - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(st.build_fd);
	/* The report is what counts; someone else may have reaped the child. */
	while (waitpid(st.build_pid, &wst, 0) < 0 && errno == EINTR)
		;
	if (got < sizeof(rc)) {
		st.build_rc = ot_error_set(&st.build_err, -EIO, "the build process died");
		return;
	}
	memcpy(&rc, buf, sizeof(rc));
	buf[got] = '\0';
	st.build_rc = rc;
	if (rc < 0)
		ot_error_set(&st.build_err, rc, "%s", buf + sizeof(rc));
}

/* Wait for the build; on success the step is active, else the error is
 * deferred to user_init / the tasks. */
static void build_finish(void)
{
	long long t_wait = now_us();

	if (!st.building)
		return;
	if (st.build_pid > 0)
		build_collect();
	st.building = false;
	if (st.build_rc < 0) {
		ot_owner_release(st.cfg.state_root, st.plan->prefix, NULL);
		ot_error_prefix(&st.build_err, "node %" PRIu32 " ('%s')", st.nodeid, st.node_name);
		defer(&st.build_err);
		return;
	}
	st.created = true;
	st.active = true;
	slurm_verbose("opentop: %s: built %s on %s: set-up %.1f ms, build %.1f ms (waited %.1f "
		      "ms for it)",
		      st.instance, st.plan->prefix, st.node_name, (double)st.t_setup / 1000.0,
		      (double)(now_us() - st.t_build) / 1000.0,
		      (double)(now_us() - t_wait) / 1000.0);
}

static int reap_one(const char *state_dir, void *arg, struct ot_error *err)
{
	(void)arg;
	return ot_spank_node_destroy(state_dir, err);
}

static int node_setup(spank_t sp)
{
	struct ot_error err = {0};
	struct ot_spank_cred cred = {0};
	struct ot_spank_binding bind = {0};
	struct ot_compile_opts co = {0};
	struct ot_load_opts lo = {.no_includes = true};
	struct ot_model *m = NULL;
	struct ot_diags d;
	struct ot_addr *addrs = NULL;
	char **names = NULL, rec[OT_SPANK_PATH_MAX + 32], dir[PATH_MAX], *text = NULL;
	const char *path = st.path, *recpath = NULL;
	uint64_t digest = 0;
	bool have_digest = false;
	long long t0 = now_us();
	size_t len;
	unsigned failed;
	uint32_t i;
	int r, ngids = 0;
	gid_t *gids = NULL;

	ot_diags_init(&d);
	log_config();
	if (spank_get_item(sp, S_JOB_ID, &st.job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_UID, &cred.uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &cred.gid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_NNODES, &st.nnodes) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_NODEID, &st.nodeid) != ESPANK_SUCCESS) {
		ot_error_set(&err, -EIO, "cannot read the job's identity from Slurm");
		goto fail;
	}
	if (spank_get_item(sp, S_JOB_SUPPLEMENTARY_GIDS, &gids, &ngids) == ESPANK_SUCCESS &&
	    ngids > 0) {
		cred.gids = gids;
		cred.ngids = (size_t)ngids;
	}
	if (st.nnodes == 0 || st.nnodes > OT_SPANK_MAX_NODES || st.nodeid >= st.nnodes) {
		ot_error_set(&err, -EINVAL, "unexpected step layout (node %" PRIu32 " of %" PRIu32
					    ")",
			     st.nodeid, st.nnodes);
		goto fail;
	}

	/* The file, as the job's user: the submit side's absolute path and
	 * digest when they reached us, else the option relative to the
	 * submit directory. */
	if (spank_getenv(sp, OT_SPANK_ENV, rec, sizeof(rec)) == ESPANK_SUCCESS &&
	    ot_spank_env_parse(rec, &digest, &recpath) == 0) {
		path = recpath;
		have_digest = true;
	} else if (path[0] != '/' &&
		   spank_getenv(sp, "SLURM_SUBMIT_DIR", dir, sizeof(dir)) != ESPANK_SUCCESS) {
		ot_error_set(&err, -ENOENT, "'%s' is relative and the submit directory is unknown",
			     path);
		goto fail;
	}
	r = ot_spank_read_file(path, path[0] == '/' ? NULL : dir, &cred, st.cfg.max_file,
			       st.cfg.read_timeout_ms, &text, &len, &err);
	if (r < 0)
		goto fail;
	if (have_digest && ot_hash64(text, len) != digest) {
		ot_error_set(&err, -ESTALE,
			     "topology '%s' changed after srun read it (digest %016" PRIx64
			     ", now %016" PRIx64 "): every node must build the same topology",
			     path, digest, ot_hash64(text, len));
		goto fail;
	}

	/* Bind node[k] to the k-th node of the step. */
	r = ot_topology_load_mem(st.path, text, len, &lo, &d, &m);
	if (r < 0 || ot_spank_policy_check(m, &st.cfg, &d)) {
		diags_to_error(&d, &err);
		goto fail;
	}
	r = step_nodes(sp, &names, &err);
	if (r < 0)
		goto fail;
	addrs = calloc(st.nnodes, sizeof(*addrs));
	if (!addrs) {
		ot_error_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < st.nnodes; i++)
		if (resolve(names[i], &addrs[i], &err) < 0)
			goto fail;
	if (check_underlay(names[st.nodeid], &addrs[st.nodeid], &err) < 0)
		goto fail;
	if (ot_spank_bind(m, (const char *const *)names, addrs, st.nnodes, &st.cfg, &bind, &err) <
	    0)
		goto fail;
	if (ot_spank_instance(m->name, st.job, st.step, st.instance, sizeof(st.instance)) < 0) {
		ot_error_set(&err, -ENAMETOOLONG, "topology name '%s' is too long", m->name);
		goto fail;
	}
	co.instance = st.instance;
	co.hosts = &bind.hosts;
	co.state_root = st.cfg.state_root;
	co.bounds = &st.cfg.bounds;
	ot_spank_vni_window(&st.cfg, st.job, st.step, &co.vni_base, &co.vni_span);
	r = ot_compile(m, &co, &d, &st.compiled);
	if (r < 0) {
		diags_to_error(&d, &err);
		goto fail;
	}
	st.plan = ot_compiled_plan(st.compiled, m->nodes[st.nodeid]->name);
	if (!st.plan) {
		ot_error_set(&err, -ENOENT, "no plan for node '%s'", m->nodes[st.nodeid]->name);
		goto fail;
	}
	st.explicit_ranks = ot_spank_explicit_ranks(m);

	/* Reclaim instances whose slurmstepd died, then claim ours before
	 * the first object exists (a crash from here on is reclaimable). */
	r = ot_owner_reap(st.cfg.state_root, reap_one, NULL, &failed, &err);
	if (r > 0)
		slurm_info("opentop: reclaimed %d orphaned instance%s", r, r == 1 ? "" : "s");
	if (failed)
		slurm_error("opentop: %u orphaned instance%s could not be reclaimed: %s", failed,
			    failed == 1 ? "" : "s", err.msg);
	ot_error_clear(&err);
	if (ot_owner_claim(st.cfg.state_root, st.plan->prefix, st.plan->state_dir, &err) < 0)
		goto fail;
	snprintf(st.node_name, sizeof(st.node_name), "%s", names[st.nodeid]);
	st.t_setup = now_us() - t0;
	build_start();
	ot_model_free(m);
	ot_diags_free(&d);
	ot_spank_binding_free(&bind);
	free_names(names, st.nnodes);
	free(addrs);
	free(text);
	return 0;
fail:
	ot_error_prefix(&err, "node %" PRIu32 " ('%s')", st.nodeid,
			names ? names[st.nodeid] : "?");
	defer(&err);
	ot_compiled_free(st.compiled);
	st.compiled = NULL;
	st.plan = NULL;
	ot_model_free(m);
	ot_diags_free(&d);
	ot_spank_binding_free(&bind);
	free_names(names, st.nnodes);
	free(addrs);
	free(text);
	return -1;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	spank_context_t ctx = spank_context();

	if (!st.path)
		return 0;
	if (ctx == S_CTX_LOCAL || ctx == S_CTX_ALLOCATOR)
		return submit_check();
	if (ctx != S_CTX_REMOTE)
		return 0;
	/* The batch script, the extern and the interactive step stay in the
	 * node's namespace: their inner srun steps get containers of their own. */
	if (spank_get_item(sp, S_JOB_STEPID, &st.step) != ESPANK_SUCCESS ||
	    st.step >= OT_SPANK_PSEUDO_STEP)
		return 0;
	/* Errors surface in user_init, where srun sees them. */
	(void)node_setup(sp);
	return 0;
}

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	struct ot_error err = {0};

	build_finish();
	/* Report a node-side failure here, where Slurm forwards it to srun,
	 * but fail the tasks in task_init_privileged: a user_init failure
	 * leaves srun's exit status at 0 (Slurm 22.05), a task failure
	 * does not. */
	if (st.deferred[0]) {
		slurm_error("opentop: %s", st.deferred);
		return 0;
	}
	if (!st.active || !st.cfg.pmix_relay)
		return 0;
	/* Whether the step uses PMIx shows only in each task's environment
	 * (srun --mpi, or MpiDefault in slurm.conf), after the tasks are
	 * forked: start the relay for every step; an idle thread costs
	 * nothing. */
	if (ot_relay_start(&st.relay, &st.relay_fd, &err) < 0) {
		slurm_error("opentop: %s", err.msg);
		return -1;
	}
	return 0;
}

int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	struct ot_error err = {0};
	uint32_t gid = 0;
	int lid = 0, ns;

	if (st.deferred[0]) {
		slurm_error("opentop: not starting the task: its container could not be built "
			    "(see above)");
		return -1;
	}
	if (!st.active)
		return 0;
	if (spank_get_item(sp, S_TASK_ID, &lid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_TASK_GLOBAL_ID, &gid) != ESPANK_SUCCESS || lid < 0) {
		slurm_error("opentop: cannot identify the task");
		return -1;
	}
	ns = ot_spank_task_ns(st.plan, st.explicit_ranks, (uint32_t)lid, gid, &err);
	if (ns < 0 || ot_spank_node_enter(st.plan, ns, &err) < 0) {
		slurm_error("opentop: %s", err.msg);
		return -1;
	}
	return 0;
}

/* The PMIx server addresses a task may use, one variable per PMIx
 * protocol version. */
static const char *const pmix_uri_vars[] = {
	"PMIX_SERVER_URI41", "PMIX_SERVER_URI4", "PMIX_SERVER_URI3",
	"PMIX_SERVER_URI21", "PMIX_SERVER_URI2",
};

static int offer_pmix(spank_t sp)
{
	struct ot_error err = {0};
	uint16_t done[8];
	size_t i, j, ndone = 0;

	for (i = 0; i < sizeof(pmix_uri_vars) / sizeof(pmix_uri_vars[0]); i++) {
		char uri[512];
		struct ot_addr a;
		uint16_t port;

		if (spank_getenv(sp, pmix_uri_vars[i], uri, sizeof(uri)) != ESPANK_SUCCESS ||
		    ot_spank_pmix_uri(uri, &a, &port) < 0)
			continue;
		for (j = 0; j < ndone && done[j] != port; j++)
			;
		if (j < ndone || ndone == sizeof(done) / sizeof(done[0]))
			continue;
		done[ndone++] = port;
		if (ot_relay_offer(st.relay_fd, &a, port, &err) < 0) {
			slurm_error("opentop: %s", err.msg);
			return -1;
		}
	}
	return 0;
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	uint32_t gid = 0;
	int lid = 0, ns;

	if (!st.active)
		return 0;
	if (spank_get_item(sp, S_TASK_ID, &lid) == ESPANK_SUCCESS &&
	    spank_get_item(sp, S_TASK_GLOBAL_ID, &gid) == ESPANK_SUCCESS) {
		ns = ot_spank_task_ns(st.plan, st.explicit_ranks, (uint32_t)lid, gid, NULL);
		if (ns > 0) {
			spank_setenv(sp, "OPENTOP_CONTAINER", st.plan->ns[ns].container, 1);
			spank_setenv(sp, "OPENTOP_NETNS", st.plan->ns[ns].name, 1);
		}
	}
	spank_setenv(sp, "OPENTOP_INSTANCE", st.instance, 1);
	spank_setenv(sp, "OPENTOP_NODE", st.plan->node, 1);
	if (st.relay && offer_pmix(sp) < 0)
		return -1;
	return 0;
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	struct ot_error err = {0};
	int rc = 0;

	build_finish();
	if (spank_context() == S_CTX_REMOTE && st.created) {
		ot_relay_stop(st.relay);
		st.relay = NULL;
		if (ot_spank_node_destroy(st.plan->state_dir, &err) < 0) {
			/* The owner record stays: the next step on this node retries. */
			slurm_error("opentop: %s: teardown failed: %s", st.instance, err.msg);
			rc = -1;
		} else {
			ot_owner_release(st.cfg.state_root, st.plan->prefix, NULL);
		}
		st.created = st.active = false;
	}
	ot_relay_stop(st.relay);
	st.relay = NULL;
	ot_compiled_free(st.compiled);
	st.compiled = NULL;
	st.plan = NULL;
	ot_model_free(st.model);
	st.model = NULL;
	free(st.path);
	st.path = NULL;
	return rc;
}
