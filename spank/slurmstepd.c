/*
 * slurmstepd.c - the SPANK plugin's node side (see plugin.h): in
 * slurmstepd, on each node of the step, as root.
 *
 *     init_post_opt  for real steps only (not the batch script or extern
 *                    step): the job's identity, the file and digest srun
 *                    recorded, the step's nodes and their underlay
 *                    addresses (node[k] = k-th node of the step); then fork
 *                    the build process, which reads FILE as the job's user,
 *                    checks the digest, compiles with the instance
 *                    "<topo>.j<job>s<step>" and the step's VNI window,
 *                    reclaims orphans and builds this node's share - while
 *                    slurmstepd goes on with its own set-up.
 *     user_init      wait for the build process and compile slurmstepd's own
 *                    copy of the plan from the bytes it read; report a
 *                    failure (Slurm forwards it to srun from here, not
 *                    earlier); start the PMIx relay thread
 *     task_init_privileged  (each task child, root) enter the container, or
 *                    fail the task after a failure (so srun exits 1)
 *     task_init      (each task child, as the user) OPENTOP_* variables;
 *                    hand the PMIx listener to the relay
 *     exit           stop the relay, destroy the instance from its journal
 *
 * Nothing here exits or aborts (except the build process, a forked child
 * that ends with _exit): every failure is a message and a -1 to Slurm.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "compile/compile.h"
#include "model/load.h"
#include "spank/config.h"
#include "spank/node.h"
#include "spank/owner.h"
#include "spank/plugin.h"
#include "spank/readas.h"
#include "spank/relay.h"
#include "spank/shape.h"
#include "spank/step.h"
#include "util/hash.h"
#include "util/strbuf.h"
#include "util/clock.h"

#define OT_SPANK_MAX_NODES OT_MAX_NODES
#define MAX_NODE_LINES	   20 /* diagnostic lines forwarded from a node */

/* The node side of the plugin instance (one slurmstepd, one step). */
static struct {
	/* inputs gathered in init_post_opt (node_prepare) */
	uint32_t job, step, nodeid, nnodes;
	struct ot_spank_cred cred;    /* the job's identity (gids are Slurm's) */
	char user[64];		      /* ... its user name ("" = unknown), for the journal */
	char file[OT_SPANK_PATH_MAX]; /* the topology to read */
	char dir[PATH_MAX];	      /* ... relative to this, when not absolute */
	uint64_t digest;	      /* what srun read, when it told us */
	bool have_digest;
	struct ot_shape shape; /* the step's shape (spank/shape.h) */
	uint32_t *node_of;     /* ... its layout */
	char *carried;	       /* the bytes srun validated, when they came along */
	size_t carried_len;
	struct ot_spank_defines defines; /* the submit side's merged overrides */
	char **names;			 /* the step's nodes, in step order */
	struct ot_addr *addrs;		 /* ... and their underlay addresses */
	char node_name[256];		 /* this node, as Slurm names it */

	/* the build process (see build_child) */
	pid_t stepd; /* slurmstepd, the instance's owner */
	pid_t build_pid;
	int build_fd;
	struct ot_error build_err;
	long long t_setup, t_build;
	long long t_phase[4]; /* build process: compile, reclaim, claim, create (us) */

	/* the outcome */
	char deferred[OT_ERROR_MAX]; /* error to report from user_init */
	bool active;		     /* tasks enter containers */
	bool times;		     /* SLURM_OPENTOP_TIMES=1: log the build's times at info */
	bool created;		     /* an instance exists: destroy it at exit */
	char prefix[OT_NSNAME_MAX];  /* ... its name and journal, from the build */
	char state_dir[PATH_MAX];
	char instance[OT_NSNAME_MAX];
	struct ot_compiled *compiled;
	struct ot_plan *plan; /* this node's plan (in compiled) */
	bool explicit_ranks;
	struct ot_relay *relay;
	int relay_fd;
} st = {.relay_fd = -1};

static int defer(const struct ot_error *err)
{
	snprintf(st.deferred, sizeof(st.deferred), "%s", err->msg);
	return -1;
}

/* The step's node names, in step order (node[k] = names[k]). */
static int step_nodes(spank_t sp, char ***ret, struct ot_error *err)
{
	char buf[65536], **names;
	hostlist_t hl;
	uint32_t i;

	if (spank_getenv(sp, "SLURM_STEP_NODELIST", buf, sizeof(buf)) != ESPANK_SUCCESS)
		return ot_error_set(err, -ENOENT,
				    "the step's node list (SLURM_STEP_NODELIST) is "
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
	struct addrinfo hints = {.ai_family = ot_spank.cfg.underlay_family,
				 .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res = NULL;
	int r = getaddrinfo(name, NULL, &hints, &res);

	if (r)
		return ot_error_set(err, -EHOSTUNREACH, "cannot resolve node '%s' (%s): %s", name,
				    ot_spank.cfg.underlay_family == AF_INET6 ? "IPv6" : "IPv4",
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
	if (ot_spank.cfg.underlay_dev[0] && strcmp(dev, ot_spank.cfg.underlay_dev))
		return ot_error_set(err, -EADDRNOTAVAIL,
				    "node '%s' resolves to %s on interface '%s', not on the "
				    "underlay interface '%s' (plugstack.conf: underlay_dev)",
				    name, buf, dev, ot_spank.cfg.underlay_dev);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (s < 0 || ioctl(s, SIOCGIFMTU, &ifr) < 0)
		r = ot_error_sys(err, -errno, "read the MTU of '%s'", dev);
	else if ((uint32_t)ifr.ifr_mtu < ot_spank.cfg.underlay_mtu)
		r = ot_error_set(err, -EMSGSIZE,
				 "the underlay interface '%s' has MTU %d, below the configured "
				 "underlay_mtu=%" PRIu32,
				 dev, ifr.ifr_mtu, ot_spank.cfg.underlay_mtu);
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

	ot_spank_config_format(&ot_spank.cfg, line, sizeof(line));
	slurm_verbose("opentop: configuration: %s", line);
}

static int reap_one(const char *state_dir, void *arg, struct ot_error *err)
{
	(void)arg;
	return ot_spank_node_destroy(state_dir, err);
}

/*
 * Compile the topology text for this step and node into st.compiled and
 * st.plan, from the inputs node_prepare gathered: the build process and
 * slurmstepd both run this on the same bytes and get the same plan.
 */
static int node_compile(const char *text, size_t len, struct ot_error *err)
{
	struct ot_load_opts lo = {.no_includes = true, .shape = &st.shape};
	struct ot_compile_opts co = {0};
	struct ot_spank_binding bind = {0};
	struct ot_model *m = NULL;
	struct ot_diags d;
	int r;

	ot_diags_init(&d);
	if (st.have_digest && ot_hash64(text, len) != st.digest) {
		r = ot_error_set(err, -ESTALE,
				 "topology '%s' changed after srun read it (digest %016" PRIx64
				 ", now %016" PRIx64 "): every node must build the same topology",
				 st.file, st.digest, ot_hash64(text, len));
		goto out;
	}
	lo.defines = (const char *const *)st.defines.v;
	lo.ndefines = st.defines.n;
	/* the bounds checked as loops unroll, as otc --bounds does */
	lo.max_containers_per_node = ot_spank.cfg.bounds.max_containers_per_node;
	lo.max_ifaces_per_node = ot_spank.cfg.bounds.max_ifaces_per_node;
	r = ot_topology_load_mem(ot_spank.path, text, len, &lo, &d, &m);
	if (r < 0 || ot_spank_policy_check(m, &ot_spank.cfg, &d)) {
		diags_to_error(&d, err);
		r = -EINVAL;
		goto out;
	}
	/* node[k] is the k-th node of the step */
	r = ot_spank_bind(m, (const char *const *)st.names, st.addrs, st.nnodes, &ot_spank.cfg,
			  &bind, err);
	if (r < 0)
		goto out;
	if (ot_spank_instance(m->name, st.job, st.step, st.instance, sizeof(st.instance)) < 0) {
		r = ot_error_set(err, -ENAMETOOLONG, "topology name '%s' is too long", m->name);
		goto out;
	}
	co.instance = st.instance;
	co.hosts = &bind.hosts;
	co.state_root = ot_spank.cfg.state_root;
	co.bounds = &ot_spank.cfg.bounds;
	ot_spank_vni_window(&ot_spank.cfg, st.job, st.step, &co.vni_base, &co.vni_span);
	r = ot_compile(m, &co, &d, &st.compiled);
	if (r < 0) {
		diags_to_error(&d, err);
		goto out;
	}
	st.plan = ot_compiled_plan(st.compiled, m->nodes[st.nodeid]->name);
	if (!st.plan) {
		r = ot_error_set(err, -ENOENT, "no plan for node '%s'", m->nodes[st.nodeid]->name);
		goto out;
	}
	st.explicit_ranks = ot_spank_explicit_ranks(m);
out:
	if (r < 0) {
		ot_compiled_free(st.compiled);
		st.compiled = NULL;
		st.plan = NULL;
	}
	ot_spank_binding_free(&bind);
	ot_model_free(m);
	ot_diags_free(&d);
	return r;
}

/*
 * The build process. slurmstepd forks it in init_post_opt and goes on with
 * its own step set-up (I/O, PAM, MPI) while the child reads the file as the
 * job's user, compiles, reclaims orphans, records the owner and builds this
 * node's share; user_init, the last hook before the tasks are forked, waits
 * for it (exit does, if the step ends before). A process and not a thread:
 * between the two hooks slurmstepd drops and regains privileges with
 * glibc's seteuid(), which changes every thread of the process, and the
 * file must be read under the user's identity without slurmstepd taking it.
 * The child is single-threaded, calls no Slurm function (another thread of
 * slurmstepd may hold Slurm's locks) and reports through a pipe:
 *
 *     message 1: i32 rc, u32 n, n bytes   rc 0: the file; else an error
 *     message 2: i32 rc, u32 n, n bytes   rc 0: "<prefix>\n<state_dir>\n
 *                                         <reclaimed> <not reclaimed>";
 *                                         else an error
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

static void send_msg(int fd, int32_t rc, const char *data, size_t n)
{
	uint32_t len = (uint32_t)n;

	if (write_all(fd, &rc, sizeof(rc)) < 0 || write_all(fd, &len, sizeof(len)) < 0 ||
	    write_all(fd, data, n) < 0)
		_exit(1);
}

static void send_err(int fd, const struct ot_error *err)
{
	send_msg(fd, err->code < 0 ? err->code : -EIO, err->msg,
		 strnlen(err->msg, sizeof(err->msg) - 1));
}

static void __attribute__((noreturn)) build_child(int fd)
{
	struct ot_error err = {0};
	char done[2 * PATH_MAX];
	unsigned failed = 0;
	int n, reaped;
	long long t[4];
	char job[32];
	struct ot_spank_creator who = {st.user[0] ? st.user : NULL, st.cred.uid, job};

	snprintf(job, sizeof(job), "%" PRIu32 ".%" PRIu32, st.job, st.step);
	/* the bytes srun validated came with the job: no file to read */
	t[0] = ot_mono_us();
	if (node_compile(st.carried, st.carried_len, &err) < 0) {
		send_err(fd, &err);
		_exit(0);
	}
	/* Reclaim instances whose slurmstepd died, then claim ours before the
	 * first object exists (a crash from here on is reclaimable). */
	t[1] = ot_mono_us();
	reaped = ot_owner_reap(ot_spank.cfg.state_root, reap_one, NULL, &failed, NULL);
	t[2] = ot_mono_us();
	/* The owner is slurmstepd, not this short-lived child. */
	if (ot_owner_claim(ot_spank.cfg.state_root, st.plan->prefix, st.plan->state_dir, st.stepd,
			   &err) < 0) {
		send_err(fd, &err);
		_exit(0);
	}
	t[3] = ot_mono_us();
	if (ot_spank_node_create(st.plan, &who, &err) < 0) {
		ot_owner_release(ot_spank.cfg.state_root, st.plan->prefix, NULL);
		send_err(fd, &err);
		_exit(0);
	}
	/* where, what was reclaimed, and the phases' times (us) for the log */
	n = snprintf(done, sizeof(done), "%s\n%s\n%d %u %lld %lld %lld %lld", st.plan->prefix,
		     st.plan->state_dir, reaped > 0 ? reaped : 0, failed, t[1] - t[0], t[2] - t[1],
		     t[3] - t[2], ot_mono_us() - t[3]);
	send_msg(fd, 0, done, (size_t)n);
	_exit(0);
}

static void build_start(void)
{
	int p[2];
	pid_t pid;

	st.t_build = ot_mono_us();
	st.stepd = getpid();
	if (pipe2(p, O_CLOEXEC) < 0) {
		ot_error_sys(&st.build_err, -errno, "pipe");
		defer(&st.build_err);
		return;
	}
	pid = fork();
	if (pid < 0) {
		ot_error_sys(&st.build_err, -errno, "cannot fork the build process");
		defer(&st.build_err);
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		close(p[0]);
		build_child(p[1]);
	}
	close(p[1]);
	st.build_pid = pid;
	st.build_fd = p[0];
}

/* Read the build process's report. Returns rc and a malloc'ed,
 * NUL-terminated *data; -EIO (the process died) with *data NULL. */
static int recv_msg(char **data, size_t *n)
{
	unsigned char hdr[8];
	size_t got = 0, want = sizeof(hdr);
	char *buf = NULL;
	int32_t rc = 0;
	uint32_t len = 0;

	*data = NULL;
	for (;;) {
		unsigned char *dst = buf ? (unsigned char *)buf : hdr;
		ssize_t r;

		if (got == want) {
			if (buf)
				break;
			memcpy(&rc, hdr, 4);
			memcpy(&len, hdr + 4, 4);
			if (len > ot_spank.cfg.max_file + OT_ERROR_MAX)
				return -EIO;
			buf = malloc((size_t)len + 1);
			if (!buf)
				return -ENOMEM;
			got = 0;
			want = len;
			continue;
		}
		r = read(st.build_fd, dst + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			return -EIO;
		}
		got += (size_t)r;
	}
	buf[len] = '\0';
	*data = buf;
	*n = len;
	return rc;
}

/*
 * Wait for the build process (user_init, or exit). On success the step is
 * active and st.plan is slurmstepd's own copy of the plan; on failure the
 * error is deferred to user_init / the tasks.
 */
static void build_finish(void)
{
	long long t_wait = ot_mono_us();
	char *data = NULL, *nl;
	size_t n;
	int wst, rc, r2;

	if (st.build_pid <= 0)
		return;
	/* Our own copy of the plan from the same bytes (the build process
	 * compiles them too, meanwhile), then the build's report. */
	rc = node_compile(st.carried, st.carried_len, &st.build_err);
	r2 = recv_msg(&data, &n);
	if (r2 == 0 && data && (nl = strchr(data, '\n'))) {
		/* built: remember where, even if our own compile failed */
		char *nl2 = strchr(nl + 1, '\n');
		int reaped = 0;
		unsigned failed = 0;

		*nl = '\0';
		if (nl2) {
			*nl2 = '\0';
			if (sscanf(nl2 + 1, "%d %u %lld %lld %lld %lld", &reaped, &failed,
				   &st.t_phase[0], &st.t_phase[1], &st.t_phase[2],
				   &st.t_phase[3]) < 2)
				reaped = 0, failed = 0;
		}
		snprintf(st.prefix, sizeof(st.prefix), "%s", data);
		snprintf(st.state_dir, sizeof(st.state_dir), "%s", nl + 1);
		st.created = true;
		if (reaped > 0)
			slurm_info("opentop: reclaimed %d orphaned instance%s", reaped,
				   reaped == 1 ? "" : "s");
		if (failed)
			slurm_error("opentop: %u orphaned instance%s could not be "
				    "reclaimed (see %s/" OT_OWNER_SUBDIR ")",
				    failed, failed == 1 ? "" : "s", ot_spank.cfg.state_root);
	} else if (rc == 0) {
		rc = r2 < 0 ? r2 : -EIO;
		ot_error_set(&st.build_err, rc, "%s", data ? data : "the build process died");
	}
	free(data);
	close(st.build_fd);
	/* The report is what counts: someone else may have reaped the child. */
	while (waitpid(st.build_pid, &wst, 0) < 0 && errno == EINTR)
		;
	st.build_pid = -1;
	if (rc < 0) {
		ot_error_prefix(&st.build_err, rc, "node %" PRIu32 " ('%s')", st.nodeid,
				st.node_name);
		defer(&st.build_err);
		return;
	}
	st.active = true;
	(st.times ? slurm_info : slurm_verbose)(
	    "opentop: %s: built %s on %s: %.1f ms in slurmstepd before the build, "
	    "%.1f ms build (compile %.1f, reclaim %.1f, claim %.1f, create %.1f), "
	    "waited %.1f ms for it",
	    st.instance, st.prefix, st.node_name, (double)st.t_setup / 1000.0,
	    (double)(ot_mono_us() - st.t_build) / 1000.0, st.t_phase[0] / 1000.0,
	    st.t_phase[1] / 1000.0, st.t_phase[2] / 1000.0, st.t_phase[3] / 1000.0,
	    (double)(ot_mono_us() - t_wait) / 1000.0);
}

/*
 * The step's shape from what Slurm publishes alike on every node (task
 * count, tasks per node, distribution), checked against this node's own
 * tasks before anything is built: every node derives the same shape, or
 * refuses.
 */
static int step_shape(spank_t sp, struct ot_error *err)
{
	char tpn[8192] = "", dist[64] = "", plane[16] = "";
	uint32_t ntasks = 0, *gtids = NULL, ngtids = 0, *counts, l;
	int r;

	if (spank_get_item(sp, S_JOB_TOTAL_TASK_COUNT, &ntasks) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_LOCAL_TASK_COUNT, &ngtids) != ESPANK_SUCCESS)
		return ot_error_set(err, -EIO, "cannot read the step's tasks from Slurm");
	if (ntasks < st.nnodes || ntasks > OT_MAX_TASKS)
		return ot_error_set(
		    err, -EINVAL, "unexpected step layout (%" PRIu32 " tasks on %" PRIu32 " nodes)",
		    ntasks, st.nnodes);
	if (spank_getenv(sp, "SLURM_STEP_TASKS_PER_NODE", tpn, sizeof(tpn)) != ESPANK_SUCCESS)
		return ot_error_set(err, -ENOENT,
				    "the step's tasks per node (SLURM_STEP_TASKS_PER_NODE) are not "
				    "in the job environment");
	(void)spank_getenv(sp, "SLURM_DISTRIBUTION", dist, sizeof(dist));
	(void)spank_getenv(sp, "SLURM_DIST_PLANESIZE", plane, sizeof(plane));
	st.node_of = calloc(ntasks, sizeof(*st.node_of));
	counts = calloc(st.nnodes, sizeof(*counts));
	if (!st.node_of || !counts) {
		free(counts);
		return ot_error_set(err, -ENOMEM, "out of memory");
	}
	r = ot_spank_tasks_per_node(tpn, st.nnodes, ntasks, counts, err);
	if (r == 0)
		r = ot_spank_layout(counts, st.nnodes, ntasks, dist,
				    (uint32_t)strtoul(plane, NULL, 10), st.node_of, err);
	free(counts);
	if (r < 0)
		return r;
	st.shape = (struct ot_shape){st.nnodes, ntasks, st.node_of};
	/* this node's own tasks (Slurm 22.05 has no S_JOB_GTIDS item) */
	gtids = calloc(ngtids ? ngtids : 1, sizeof(*gtids));
	if (!gtids)
		return ot_error_set(err, -ENOMEM, "out of memory");
	for (l = 0; l < ngtids; l++) {
		if (spank_get_item(sp, S_JOB_LOCAL_TO_GLOBAL_ID, l, &gtids[l]) != ESPANK_SUCCESS) {
			free(gtids);
			return ot_error_set(err, -EIO,
					    "cannot read the global id of local task %" PRIu32, l);
		}
	}
	r = ot_spank_layout_check(&st.shape, st.nodeid, gtids, ngtids, err);
	free(gtids);
	return r;
}

static int spank_part(void *ctx, const char *name, char *buf, size_t size)
{
	return spank_getenv(ctx, name, buf, (int)size) == ESPANK_SUCCESS ? 0 : -1;
}

/* The overrides and the bytes the submit side validated (see plugin.h):
 * the nodes build exactly those, never a file read here. */
static int step_carried(spank_t sp, struct ot_error *err)
{
	char *buf = NULL, def[16384];
	size_t n = 0;
	int r;

	st.times = spank_getenv(sp, "SLURM_OPENTOP_TIMES", def, sizeof(def)) == ESPANK_SUCCESS &&
		   !strcmp(def, "1");
	if (spank_getenv(sp, OT_SPANK_ENV_DEFINE, def, sizeof(def)) == ESPANK_SUCCESS &&
	    ot_spank_defines_add(&st.defines, def, err) < 0)
		return err->code;
	r = st.have_digest ? ot_spank_carry_join(spank_part, sp, &buf) : -ENOENT;
	if (r == -ENOMEM)
		return ot_error_set(err, r, "out of memory");
	if (r < 0)
		return ot_error_set(
		    err, -ENOENT,
		    "the bytes of topology '%s' did not come with the job (%s): "
		    "submit it with srun, sbatch or salloc where the OpenTop plugin "
		    "is loaded",
		    st.file, !st.have_digest ? "no " OT_SPANK_ENV : OT_SPANK_ENV_TEXT);
	if (ot_spank_text_decode(buf, &n) < 0 || n > ot_spank.cfg.max_file) {
		r = n > ot_spank.cfg.max_file
			? ot_error_set(
			      err, -EFBIG,
			      "topology '%s' is %zu bytes, larger than the bound of %" PRIu64
			      " bytes (plugstack.conf: max_file)",
			      st.file, n, ot_spank.cfg.max_file)
			: ot_error_set(err, -EINVAL, "%s is not a valid encoding",
				       OT_SPANK_ENV_TEXT);
		free(buf);
		return r;
	}
	st.carried = buf;
	st.carried_len = n;
	return 0;
}

/* The job's user name, for the journal (`otnode list`); "" when the
 * account database does not know the uid (the uid is recorded anyway). */
static void job_user(uid_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	buf[0] = '\0';
	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, size, "%s", res->pw_name);
}

/* In slurmstepd (root), init_post_opt: everything the build needs from
 * Slurm and the node, then the build process. */
static int node_prepare(spank_t sp)
{
	struct ot_error err = {0};
	char rec[OT_SPANK_PATH_MAX + 32];
	const char *recpath = NULL;
	long long t0 = ot_mono_us();
	uint32_t i;
	int ngids = 0;
	gid_t *gids = NULL;

	log_config();
	st.build_pid = -1;
	if (spank_get_item(sp, S_JOB_ID, &st.job) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_UID, &st.cred.uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &st.cred.gid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_NNODES, &st.nnodes) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_NODEID, &st.nodeid) != ESPANK_SUCCESS) {
		ot_error_set(&err, -EIO, "cannot read the job's identity from Slurm");
		goto fail;
	}
	job_user(st.cred.uid, st.user, sizeof(st.user));
	if (spank_get_item(sp, S_JOB_SUPPLEMENTARY_GIDS, &gids, &ngids) == ESPANK_SUCCESS &&
	    ngids > 0) {
		st.cred.gids = gids; /* Slurm's, valid for the step */
		st.cred.ngids = (size_t)ngids;
	}
	if (st.nnodes == 0 || st.nnodes > OT_SPANK_MAX_NODES || st.nodeid >= st.nnodes) {
		ot_error_set(&err, -EINVAL,
			     "unexpected step layout (node %" PRIu32 " of %" PRIu32 ")", st.nodeid,
			     st.nnodes);
		goto fail;
	}
	/* The file: the submit side's absolute path and digest when they
	 * reached us, else the option, relative to the submit directory. */
	snprintf(st.file, sizeof(st.file), "%s", ot_spank.path);
	if (spank_getenv(sp, OT_SPANK_ENV, rec, sizeof(rec)) == ESPANK_SUCCESS &&
	    ot_spank_env_parse(rec, &st.digest, &recpath) == 0) {
		snprintf(st.file, sizeof(st.file), "%s", recpath);
		st.have_digest = true;
	} else if (st.file[0] != '/' &&
		   spank_getenv(sp, "SLURM_SUBMIT_DIR", st.dir, sizeof(st.dir)) != ESPANK_SUCCESS) {
		ot_error_set(&err, -ENOENT, "'%s' is relative and the submit directory is unknown",
			     st.file);
		goto fail;
	}
	if (step_shape(sp, &err) < 0 || step_carried(sp, &err) < 0)
		goto fail;
	if (step_nodes(sp, &st.names, &err) < 0)
		goto fail;
	snprintf(st.node_name, sizeof(st.node_name), "%s", st.names[st.nodeid]);
	st.addrs = calloc(st.nnodes, sizeof(*st.addrs));
	if (!st.addrs) {
		ot_error_set(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < st.nnodes; i++)
		if (resolve(st.names[i], &st.addrs[i], &err) < 0)
			goto fail;
	if (check_underlay(st.node_name, &st.addrs[st.nodeid], &err) < 0)
		goto fail;
	st.t_setup = ot_mono_us() - t0;
	build_start();
	return 0;
fail:
	ot_error_prefix(&err, err.code, "node %" PRIu32 " ('%s')", st.nodeid,
			st.node_name[0] ? st.node_name : "?");
	return defer(&err);
}

int ot_spank_stepd_init_post_opt(spank_t sp)
{
	/* The batch script, the extern and the interactive step stay in the
	 * node's namespace: their inner srun steps get containers of their own. */
	if (spank_get_item(sp, S_JOB_STEPID, &st.step) != ESPANK_SUCCESS ||
	    st.step >= OT_SPANK_PSEUDO_STEP)
		return 0;
	/* Errors surface in user_init, where srun sees them. */
	(void)node_prepare(sp);
	return 0;
}

int ot_spank_stepd_user_init(spank_t sp)
{
	struct ot_error err = {0};
	uint32_t step = 0;
	char name[32];
	unsigned k;

	build_finish();
	/* The tasks need not carry the topology's bytes (nor hit the
	 * kernel's limit on one environment string); a batch script keeps
	 * them for its steps. */
	if (spank_get_item(sp, S_JOB_STEPID, &step) == ESPANK_SUCCESS &&
	    step < OT_SPANK_PSEUDO_STEP)
		for (k = 0; k <= OT_SPANK_CARRY_PARTS; k++) {
			ot_spank_carry_name(k, name, sizeof(name));
			(void)spank_unsetenv(sp, name);
		}
	/* Report a node-side failure here, where Slurm forwards it to srun,
	 * but fail the tasks in task_init_privileged: a user_init failure
	 * leaves srun's exit status at 0 (Slurm 22.05), a task failure
	 * does not. */
	if (st.deferred[0]) {
		slurm_error("opentop: %s", st.deferred);
		return 0;
	}
	if (!st.active || !ot_spank.cfg.pmix_relay)
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

int ot_spank_stepd_task_init_privileged(spank_t sp)
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

int ot_spank_stepd_task_init(spank_t sp)
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

int ot_spank_stepd_exit(spank_t sp)
{
	struct ot_error err = {0};
	int rc = 0;

	(void)sp;
	build_finish();
	ot_relay_stop(st.relay);
	st.relay = NULL;
	if (spank_context() == S_CTX_REMOTE && st.created) {
		if (ot_spank_node_destroy(st.state_dir, &err) < 0) {
			/* The owner record stays: the next step on this node retries. */
			slurm_error("opentop: %s: teardown failed: %s", st.prefix, err.msg);
			rc = -1;
		} else {
			ot_owner_release(ot_spank.cfg.state_root, st.prefix, NULL);
		}
		st.created = st.active = false;
	}
	ot_compiled_free(st.compiled);
	st.compiled = NULL;
	st.plan = NULL;
	free_names(st.names, st.nnodes);
	st.names = NULL;
	free(st.node_of);
	st.node_of = NULL;
	free(st.carried);
	st.carried = NULL;
	ot_spank_defines_free(&st.defines);
	free(st.addrs);
	st.addrs = NULL;
	return rc;
}
