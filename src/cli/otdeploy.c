/*
 * otdeploy.c - the `otdeploy` front end: compile a topology, bind it to the
 * hosts file, build each node's otnode, and create / destroy / check it on
 * every host at once over SSH (src/deploy). This file parses options,
 * prints diagnostics, the live view and the report; everything else is in
 * the libraries. See docs/otdeploy.1.md.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli/cliopt.h"
#include "cli/filewatch.h"
#include "cli/otdeploy.h"
#include "compile/compile.h"
#include "deploy/deploy.h"
#include "deploy/inspect.h"
#include "deploy/progress.h"
#include "deploy/ssh.h"
#include "model/load.h"
#include "util/strbuf.h"
#include "util/suggest.h"
#include "util/clock.h"
#include "util/version.h"

#define EXIT_FAILED 1
#define EXIT_USAGE  2
#define EXIT_SYSTEM 3
#define MAX_DEFINES 256

static const char usage_text[] =
    "usage: otdeploy [ACTION] [OPTIONS] TOPOLOGY.otp HOSTS\n"
    "       otdeploy [ACTION] [OPTIONS] --local TOPOLOGY.otp\n"
    "       otdeploy --list [OPTIONS] HOSTS\n"
    "\n"
    "Build TOPOLOGY on the hosts of HOSTS over SSH, all nodes in parallel; when a\n"
    "node fails, what the others made is destroyed again (all or nothing).\n"
    "With --local and no HOSTS, every node of TOPOLOGY is built on this machine\n"
    "(in-process, no SSH); its nodes must not need VXLAN between them.\n"
    "\n"
    "Actions (default: create):\n"
    "      --destroy            remove what create made, on every node\n"
    "      --apply              change what runs into TOPOLOGY: on each node only\n"
    "                           the difference (`otc diff`); every node checks the\n"
    "                           new plan first (one refusal: nothing changes), a\n"
    "                           failure reverts every node to what it ran\n"
    "      --status             what exists and what drifted from the plan\n"
    "      --verify             objects plus the reachability matrix across nodes\n"
    "      --list               the instances created on each host of HOSTS\n"
    "                           (topology, node, when, by whom; no TOPOLOGY)\n"
    "      --watch              --apply now, then again each time TOPOLOGY or\n"
    "                           HOSTS is saved changed, until Ctrl-C (what runs\n"
    "                           stays); each node's otnode keeps serving in its\n"
    "                           SSH session, so a change costs only its apply\n"
    "  -n, --dry-run            show what would be done per node; touch nothing\n"
    "Options:\n"
    "  -j, --parallel N         at most N nodes at once (default: all)\n"
    "  -k, --keep-going         no rollback when a node fails\n"
    "      --local              allow hosts whose target is 'local' (built here,\n"
    "                           in-process, no SSH); without HOSTS: all nodes here\n"
    "  -D, --define NAME=VALUE  set a topology parameter\n"
    "      --instance NAME      name the objects NAME instead of the topology name\n"
    "      --ssh-config FILE    read this OpenSSH client config instead of\n"
    "                           ~/.ssh/config and /etc/ssh/ssh_config ('none': none)\n"
    "      --known-hosts FILE   trust only the host keys in FILE\n"
    "                           (default ~/.ssh/known_hosts)\n"
    "      --accept-new-host-keys  record unknown host keys (changed keys are\n"
    "                           always refused)\n"
    "      --no-preflight       skip the kernel/underlay/UDP checks before create\n"
    "      --timeout SECS       limit per otnode command (default 120; or 90s, 2m)\n"
    "      --connect-timeout SECS  limit per connection (default 10)\n"
    "      --json               the report (or with --dry-run, the dry run) as JSON\n"
    "  -q, --quiet              no live progress\n"
    "  -v, --verbose            every step of every node as a line with its time\n"
    "      --color WHEN         auto (default), always, never\n"
    "  -h, --help               this text\n"
    "  -V, --version            the version, as otc and otnode print it\n"
    "\n"
    "Exit status: 0 done; 1 a node failed, drifted or mismatched (or the\n"
    "topology has errors); 2 usage; 3 a local system error.\n";

enum {
	OPT_DESTROY = 256,
	OPT_APPLY,
	OPT_STATUS,
	OPT_VERIFY,
	OPT_LOCAL,
	OPT_INSTANCE,
	OPT_KNOWN_HOSTS,
	OPT_SSH_CONFIG,
	OPT_ACCEPT_NEW,
	OPT_NO_PREFLIGHT,
	OPT_TIMEOUT,
	OPT_CONNECT_TIMEOUT,
	OPT_JSON,
	OPT_COLOR,
	OPT_LIST,
	OPT_WATCH,
};

static const struct option long_opts[] = {
    {"destroy", no_argument, NULL, OPT_DESTROY},
    {"apply", no_argument, NULL, OPT_APPLY},
    {"status", no_argument, NULL, OPT_STATUS},
    {"verify", no_argument, NULL, OPT_VERIFY},
    {"list", no_argument, NULL, OPT_LIST},
    {"watch", no_argument, NULL, OPT_WATCH},
    {"dry-run", no_argument, NULL, 'n'},
    {"define", required_argument, NULL, 'D'},
    {"parallel", required_argument, NULL, 'j'},
    {"keep-going", no_argument, NULL, 'k'},
    {"local", no_argument, NULL, OPT_LOCAL},
    {"instance", required_argument, NULL, OPT_INSTANCE},
    {"known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS},
    {"ssh-config", required_argument, NULL, OPT_SSH_CONFIG},
    {"accept-new-host-keys", no_argument, NULL, OPT_ACCEPT_NEW},
    {"no-preflight", no_argument, NULL, OPT_NO_PREFLIGHT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"color", required_argument, NULL, OPT_COLOR},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

struct cli {
	struct ot_deploy_opts dopts;
	bool dry_run, json, quiet, verbose, color;
	const char *instance;
	const char *defines[MAX_DEFINES];
	size_t ndefines;
	const char *topo, *hosts_file; /* hosts_file NULL: --local, every node here */
	bool watch;		       /* --watch: apply, then again on every change */
};

/* ---- live view ---- */

struct view {
	bool live;   /* redraw in place on a terminal */
	bool events; /* plain lines (not a terminal) */
	bool stamps; /* prefix event lines with the time since the start */
	double t0;   /* CLOCK_MONOTONIC, seconds */
	bool color;
	unsigned width;
	size_t drawn; /* lines on screen to overwrite */
	struct ot_strbuf buf;
	const struct ot_deploy *d;
	pthread_mutex_t *lock;
	volatile int stop;
};

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Called with the engine lock held. */
static void view_draw(struct view *v)
{
	struct ot_strbuf lines = OT_STRBUF_INIT;
	const char *p, *nl;

	ot_sb_reset(&v->buf);
	if (v->drawn)
		ot_sb_printf(&v->buf, "\033[%zuA", v->drawn);
	ot_progress_view(v->d, v->color, v->width, &lines);
	for (p = ot_sb_str(&lines); *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		ot_sb_append(&v->buf, "\r\033[2K");
		ot_sb_appendn(&v->buf, p, (size_t)(nl - p + 1));
	}
	v->drawn = v->d->nnodes;
	write_all(STDERR_FILENO, ot_sb_str(&v->buf), v->buf.len);
	ot_sb_free(&lines);
}

static void on_change(void *ctx, const struct ot_deploy *d, size_t i)
{
	struct view *v = ctx;

	if (v->live) {
		view_draw(v);
	} else if (v->events) {
		ot_sb_reset(&v->buf);
		if (v->stamps) {
			ot_sb_printf(&v->buf, "%+8.3fs ", ot_clock_s(CLOCK_MONOTONIC) - v->t0);
		}
		ot_progress_event(d, i, &v->buf);
		write_all(STDERR_FILENO, ot_sb_str(&v->buf), v->buf.len);
	}
}

/* Redraw four times a second so elapsed times move. */
static void *ticker(void *arg)
{
	struct view *v = arg;
	struct timespec ts = {0, 250000000};

	while (!v->stop) {
		nanosleep(&ts, NULL);
		pthread_mutex_lock(v->lock);
		if (!v->stop)
			view_draw(v);
		pthread_mutex_unlock(v->lock);
	}
	return NULL;
}

/* ---- interrupts ---- */

static volatile int interrupted;
static volatile int watch_idle; /* --watch, between rounds: a signal ends it */

static void on_signal(int sig)
{
	static const char msg[] =
	    "\notdeploy: interrupted: finishing running commands, then rolling back "
	    "(again to quit at once)\n";

	if (interrupted) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	interrupted = 1;
	if (watch_idle)
		return; /* watch_main says what is left */
	write_all(STDERR_FILENO, msg, sizeof(msg) - 1);
}

/* ---- options ---- */

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/* An action option: one per run (cli/cliopt.h refuses a second one). */
static int set_action(struct cli *c, const char **given, const char *name, enum ot_deploy_action a)
{
	if (ot_cli_action("otdeploy", given, name) < 0)
		return -EINVAL;
	c->dopts.action = a;
	return 0;
}

/* Wrong operands: say what is expected, and when the first looks like an
 * action written without its dashes ("otdeploy destroy ..."), which one. */
static int bad_operands(int argc, char **argv)
{
	static const char *const actions[] = {"destroy", "apply", "status",
					      "verify",	 "list",  "create"};
	struct ot_suggest sg;
	const char *best = NULL;
	size_t i;

	fprintf(stderr, "otdeploy: need TOPOLOGY.otp and HOSTS, or --local and "
			"TOPOLOGY.otp (see --help)\n");
	if (optind >= argc)
		return -EINVAL;
	ot_suggest_init(&sg, argv[optind]);
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(argv[optind], actions[i]) == 0)
			best = actions[i];
		ot_suggest_add(&sg, actions[i]);
	}
	if (!best)
		best = ot_suggest_best(&sg);
	if (best && strcmp(best, "create") == 0)
		fprintf(stderr,
			"otdeploy: '%s' is not a file: create is the default action, "
			"give no word for it\n",
			argv[optind]);
	else if (best)
		fprintf(stderr, "otdeploy: '%s' is not a file (did you mean '--%s'?)\n",
			argv[optind], best);
	return -EINVAL;
}

static int parse_args(int argc, char **argv, struct cli *c)
{
	const char *color = "auto", *action = NULL;
	unsigned u;
	int opt;

	c->dopts.action = OT_DEPLOY_CREATE;
	c->dopts.preflight = true;
	opterr = 0; /* cli/cliopt.c words every error, with "did you mean" */
	if (ot_cli_single_dash("otdeploy", argc, argv, long_opts) < 0)
		return -EINVAL;
	while ((opt = getopt_long(argc, argv, ":nj:kD:qvhV", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_DESTROY:
			if (set_action(c, &action, "--destroy", OT_DEPLOY_DESTROY) < 0)
				return -EINVAL;
			break;
		case OPT_APPLY:
			if (set_action(c, &action, "--apply", OT_DEPLOY_APPLY) < 0)
				return -EINVAL;
			break;
		case OPT_STATUS:
			if (set_action(c, &action, "--status", OT_DEPLOY_STATUS) < 0)
				return -EINVAL;
			break;
		case OPT_VERIFY:
			if (set_action(c, &action, "--verify", OT_DEPLOY_VERIFY) < 0)
				return -EINVAL;
			break;
		case OPT_LIST:
			if (set_action(c, &action, "--list", OT_DEPLOY_LIST) < 0)
				return -EINVAL;
			break;
		case OPT_WATCH:
			if (set_action(c, &action, "--watch", OT_DEPLOY_APPLY) < 0)
				return -EINVAL;
			c->watch = true;
			break;
		case 'n':
			c->dry_run = true;
			break;
		case 'j':
			if (parse_uint(optarg, 1, 4096, &u) < 0) {
				fprintf(stderr, "otdeploy: --parallel wants 1..4096, not '%s'\n",
					optarg);
				return -EINVAL;
			}
			c->dopts.parallel = u;
			break;
		case 'k':
			c->dopts.keep_going = true;
			break;
		case OPT_LOCAL:
			c->dopts.local_ok = true;
			break;
		case 'D':
			if (c->ndefines == MAX_DEFINES || !strchr(optarg, '=')) {
				fprintf(stderr, "otdeploy: -D wants NAME=VALUE (at most %d)\n",
					MAX_DEFINES);
				return -EINVAL;
			}
			c->defines[c->ndefines++] = optarg;
			break;
		case OPT_INSTANCE:
			if (!ot_nsname_valid(optarg) || strlen(optarg) > 64) {
				fprintf(
				    stderr,
				    "otdeploy: --instance '%s': use up to 64 of [A-Za-z0-9._-]\n",
				    optarg);
				return -EINVAL;
			}
			c->instance = optarg;
			break;
		case OPT_KNOWN_HOSTS:
			c->dopts.known_hosts = optarg;
			break;
		case OPT_SSH_CONFIG:
			c->dopts.ssh_config = optarg;
			break;
		case OPT_ACCEPT_NEW:
			c->dopts.accept_new_host_keys = true;
			break;
		case OPT_NO_PREFLIGHT:
			c->dopts.preflight = false;
			break;
		case OPT_TIMEOUT:
			if (ot_cli_duration_ms(optarg, 1000, 1000, 86400000, &u) < 0) {
				fprintf(stderr,
					"otdeploy: --timeout wants 1..86400 seconds (or "
					"with a unit: 90s, 5m), not '%s'\n",
					optarg);
				return -EINVAL;
			}
			c->dopts.command_timeout_ms = u;
			break;
		case OPT_CONNECT_TIMEOUT:
			if (ot_cli_duration_ms(optarg, 1000, 1000, 3600000, &u) < 0) {
				fprintf(stderr,
					"otdeploy: --connect-timeout wants 1..3600 seconds (or "
					"with a unit: 30s, 1m), not '%s'\n",
					optarg);
				return -EINVAL;
			}
			c->dopts.connect_timeout_ms = u;
			break;
		case OPT_JSON:
			c->json = true;
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'v':
			c->verbose = true;
			break;
		case OPT_COLOR:
			color = optarg;
			if (strcmp(color, "auto") && strcmp(color, "always") &&
			    strcmp(color, "never")) {
				fprintf(stderr, "otdeploy: --color wants auto, always or never\n");
				return -EINVAL;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case 'V':
			ot_cli_version("otdeploy");
			exit(0);
		default:
			ot_cli_getopt_error("otdeploy", opt, argv, long_opts);
			return -EINVAL;
		}
	}
	if (c->quiet && c->verbose)
		return ot_cli_conflict("otdeploy", "--quiet", "--verbose",
				       "ask for less and for more progress");
	if (c->watch && c->dry_run)
		return ot_cli_conflict(
		    "otdeploy", "--watch", "--dry-run",
		    "do not go together (one apply's dry run: --apply --dry-run)");
	if (c->watch && c->json)
		return ot_cli_conflict("otdeploy", "--watch", "--json",
				       "do not go together (the watch reports each round as text)");
	if (c->dopts.action == OT_DEPLOY_LIST) {
		if (argc - optind != 1) {
			fprintf(stderr, "otdeploy: --list needs HOSTS alone (see --help)\n");
			return -EINVAL;
		}
		c->hosts_file = argv[optind];
	} else if (argc - optind == 1 && c->dopts.local_ok) {
		c->topo = argv[optind];
	} else if (argc - optind == 2) {
		c->topo = argv[optind];
		c->hosts_file = argv[optind + 1];
	} else {
		return bad_operands(argc, argv);
	}
	c->color = !strcmp(color, "always") ||
		   (!strcmp(color, "auto") && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	c->dopts.fault_corrupt_upload = getenv("OTDEPLOY_FAULT_CORRUPT_UPLOAD");
	return 0;
}

/* ---- load, compile, build ---- */

static void print_diags(struct ot_diags *dg, bool color)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;

	if (!dg->n)
		return;
	ot_diags_sort(dg);
	ot_diags_render(dg, &sb, color && isatty(STDERR_FILENO));
	fputs(ot_sb_str(&sb), stderr);
	ot_sb_free(&sb);
}

struct job {
	struct ot_model *model;
	struct ot_hosts *hosts;
	struct ot_host *here; /* --local without HOSTS: one "local" host per node */
	struct ot_compiled *compiled;
	struct ot_deploy_node *nodes;
	size_t nnodes;
	struct ot_plan **lplans; /* --list: one plan-less stand-in per host */
};

static void job_free(struct job *j)
{
	size_t i;

	for (i = 0; j->lplans && i < j->nnodes; i++)
		ot_plan_free(j->lplans[i]);
	free(j->lplans);
	free(j->nodes);
	free(j->here);
	ot_compiled_free(j->compiled);
	ot_hosts_free(j->hosts);
	ot_model_free(j->model);
}

/*
 * --local without HOSTS: every node is this machine. The topology is
 * compiled unbound (no underlay addresses), which is complete for nodes
 * that share no network; nodes joined by VXLAN cannot all live in one
 * network namespace (one VNI per port and namespace), so such a topology
 * is refused here, before anything is made. 0 or EXIT_*.
 */
static int bind_here(struct cli *c, struct job *j)
{
	size_t i, k;

	for (i = 0; i < j->nnodes; i++) {
		const struct ot_plan *p = j->compiled->plans[i];

		for (k = 0; k < p->nops; k++) {
			const struct ot_op *op = &p->ops[k];

			if (op->kind != OT_OP_LINK || op->link.kind != OT_LINK_VXLAN)
				continue;
			fprintf(stderr,
				"otdeploy: %s: --local without HOSTS builds every node on this "
				"machine, but node '%s' reaches other nodes over VXLAN ('%s'): "
				"nodes on one machine cannot share a network; put the containers "
				"on one node, or give a hosts file (hosts/simcluster makes a "
				"cluster of network namespaces on this machine)\n",
				c->topo, p->node, op->link.name);
			return EXIT_FAILED;
		}
	}
	j->here = calloc(j->nnodes ? j->nnodes : 1, sizeof(*j->here));
	if (!j->here) {
		fprintf(stderr, "otdeploy: out of memory\n");
		return EXIT_SYSTEM;
	}
	for (i = 0; i < j->nnodes; i++) {
		j->here[i].name = j->compiled->plans[i]->node;
		j->here[i].ssh_target = "local";
	}
	return 0;
}

/*
 * --list: one node per host of the hosts file (lines with the same target,
 * port and user are one host), each with a stand-in plan (its node name,
 * and a random prefix so the runtime placed for the look has a directory
 * of its own) and the bare otnode runtime: `otnode list` reads journals,
 * no plan. 0 or EXIT_*.
 */
static int prepare_list(struct cli *c, struct job *j)
{
	struct ot_diags dg;
	size_t i, k;
	unsigned char rnd[4];
	char prefix[64];
	int rc;

	ot_diags_init(&dg);
	rc = ot_hosts_load(c->hosts_file, &dg, &j->hosts);
	print_diags(&dg, c->color);
	ot_diags_free(&dg);
	if (rc < 0)
		return EXIT_FAILED;
	j->nodes = calloc(j->hosts->nhosts + 1, sizeof(*j->nodes));
	j->lplans = calloc(j->hosts->nhosts + 1, sizeof(*j->lplans));
	if (!j->nodes || !j->lplans || getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		fprintf(stderr, "otdeploy: out of memory\n");
		return EXIT_SYSTEM;
	}
	snprintf(prefix, sizeof(prefix), "otdeploy-list.%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
		 rnd[3]);
	for (i = 0; i < j->hosts->nhosts; i++) {
		const struct ot_host *h = &j->hosts->hosts[i];
		struct ot_plan *p;

		for (k = 0; k < i; k++) {
			const struct ot_host *o = &j->hosts->hosts[k];

			if (!strcmp(o->ssh_target, h->ssh_target) && o->ssh_port == h->ssh_port &&
			    !strcmp(o->user ? o->user : "", h->user ? h->user : ""))
				break;
		}
		if (k < i)
			continue; /* the same host again */
		p = ot_plan_new();
		if (!p || !(p->node = ot_arena_strdup(&p->arena, h->name)) ||
		    !(p->prefix = ot_arena_strdup(&p->arena, prefix))) {
			ot_plan_free(p);
			fprintf(stderr, "otdeploy: out of memory\n");
			return EXIT_SYSTEM;
		}
		j->lplans[j->nnodes] = p;
		j->nodes[j->nnodes].name = h->name;
		j->nodes[j->nnodes].host = h;
		j->nodes[j->nnodes].plan = p;
		j->nodes[j->nnodes].bare = true;
		j->nnodes++;
	}
	return 0;
}

/*
 * --apply: every host of the hosts file with no node in the new topology
 * may run a node of this instance that the topology leaves: it goes in as
 * a leaving node (deploy.h) with a stand-in plan naming its prefix
 * "<instance>.<host name>"; the engine destroys what runs there, if
 * anything. Hosts bound to this machine ("local") run nothing to leave.
 */
static int add_leaving(struct job *j)
{
	const char *inst = j->compiled->nplans ? j->compiled->plans[0]->instance : NULL;
	size_t i, k, n = j->nnodes;

	if (!inst)
		return 0;
	j->lplans = calloc(j->nnodes + j->hosts->nhosts + 1, sizeof(*j->lplans));
	if (!j->lplans)
		goto oom;
	for (i = 0; i < j->hosts->nhosts; i++) {
		const struct ot_host *h = &j->hosts->hosts[i];
		struct ot_plan *p;
		char *prefix;

		for (k = 0; k < n && strcmp(j->nodes[k].name, h->name); k++)
			;
		if (k < n || !strcmp(h->ssh_target, "local"))
			continue;
		p = ot_plan_new();
		if (!p)
			goto oom;
		j->lplans[j->nnodes] = p;
		prefix = ot_arena_printf(&p->arena, "%s.%s", inst, h->name);
		if (!prefix || !(p->node = ot_arena_strdup(&p->arena, h->name)) ||
		    !(p->instance = ot_arena_strdup(&p->arena, inst)))
			goto oom;
		p->prefix = prefix;
		j->nodes[j->nnodes].name = h->name;
		j->nodes[j->nnodes].host = h;
		j->nodes[j->nnodes].plan = p;
		j->nodes[j->nnodes].leaving = true;
		j->nnodes++;
	}
	return 0;
oom:
	fprintf(stderr, "otdeploy: out of memory\n");
	return EXIT_SYSTEM;
}

/*
 * Load, compile, bind. No node gets an executable now: the engine builds
 * it where it must place or hash it (ot_deploy_node_image), from pieces
 * that share this program's runtime (deploy/image.h).
 */
static int prepare(struct cli *c, struct job *j)
{
	struct ot_load_opts lo = {.defines = c->defines, .ndefines = c->ndefines};
	struct ot_compile_opts co = {0};
	struct ot_diags dg;
	size_t i;
	int rc, bad = 0;

	ot_diags_init(&dg);
	/* the hosts file first: its host count is NODES when -D does not set it
	 * (--local without one: -D or the topology's own default) */
	rc = c->hosts_file ? ot_hosts_load(c->hosts_file, &dg, &j->hosts) : 0;
	if (rc == 0) {
		if (j->hosts)
			lo.hosts = (uint32_t)j->hosts->nhosts;
		rc = ot_topology_load(c->topo, &lo, &dg, &j->model);
	}
	if (rc == 0) {
		co.instance = c->instance;
		co.hosts = j->hosts;
		/* Always: the same otnode serves create and verify. */
		co.probes = true;
		rc = ot_compile(j->model, &co, &dg, &j->compiled);
	}
	print_diags(&dg, c->color);
	ot_diags_free(&dg);
	if (rc < 0)
		return EXIT_FAILED;

	j->nnodes = j->compiled->nplans;
	/* apply: room for the hosts the new topology leaves (add_leaving) */
	j->nodes = calloc(j->nnodes + (j->hosts ? j->hosts->nhosts : 0) + 1, sizeof(*j->nodes));
	if (!j->nodes) {
		fprintf(stderr, "otdeploy: out of memory\n");
		return EXIT_SYSTEM;
	}
	if (!c->hosts_file) {
		rc = bind_here(c, j);
		if (rc)
			return rc;
	}
	for (i = 0; i < j->nnodes; i++) {
		struct ot_plan *p = j->compiled->plans[i];
		const struct ot_host *h = j->here ? &j->here[i] : ot_hosts_find(j->hosts, p->node);

		if (!h) {
			fprintf(stderr, "otdeploy: node '%s' of %s has no line in %s\n", p->node,
				c->topo, c->hosts_file);
			bad = 1;
			continue;
		}
		j->nodes[i].name = p->node;
		j->nodes[i].host = h;
		j->nodes[i].plan = p;
	}
	if (!bad && c->dopts.action == OT_DEPLOY_APPLY && j->hosts)
		return add_leaving(j);
	return bad ? EXIT_FAILED : 0;
}

/* ---- dry run ---- */

static void dry_run(struct cli *c, struct ot_deploy *d)
{
	static const char *const verbs[OT_DEPLOY__COUNT] = {
	    [OT_DEPLOY_CREATE] = "otnode create",
	    [OT_DEPLOY_DESTROY] = "otnode destroy",
	    [OT_DEPLOY_STATUS] = "otnode status --json",
	    [OT_DEPLOY_VERIFY] = "otnode verify --remote --json",
	    [OT_DEPLOY_APPLY] = "otnode apply --check, then otnode apply",
	    [OT_DEPLOY_LIST] = "otnode list --json",
	};
	const char *kh = c->dopts.known_hosts ? c->dopts.known_hosts : "~/.ssh/known_hosts";
	size_t i, k, counts[OT_OP__COUNT];

	printf("dry run: %s of %s on %zu node%s; nothing is contacted or changed\n",
	       ot_deploy_action_name(c->dopts.action), c->topo ? c->topo : c->hosts_file, d->nnodes,
	       d->nnodes == 1 ? "" : "s");
	for (i = 0; i < d->nnodes; i++) {
		const struct ot_deploy_node *n = &d->nodes[i];
		const struct ot_plan *p = n->plan;
		char ub[OT_ADDR_STRLEN];

		memset(counts, 0, sizeof(counts));
		for (k = 0; k < p->nops; k++)
			counts[p->ops[k].kind]++;
		ot_addr_format(&p->underlay, ub, sizeof(ub));
		printf("\n%s", n->name);
		if (n->local) {
			printf(" -> this machine (local, in-process)\n");
		} else {
			if (n->host->ssh_port)
				printf(" -> %s%s%s port %u", n->user, n->user[0] ? "@" : "",
				       n->addr, n->host->ssh_port);
			else
				printf(" -> %s%s%s", n->user, n->user[0] ? "@" : "", n->addr);
			printf(" (and what %s says of it), host key checked against %s\n",
			       c->dopts.ssh_config ? c->dopts.ssh_config : "~/.ssh/config", kh);
			if (n->sudo)
				printf("  otnode     %s, installed (root's alone, checked), run as "
				       "`sudo -n %s --plan-stdin VERB`, the plan on stdin\n",
				       n->rexe, n->rexe);
			else
				printf(
				    "  directory  %s (each component lstat'ed; created 0700 if "
				    "missing)\n"
				    "  otnode     %s, %.1f MB, sha256 %s (uploaded unless the "
				    "same bytes are there; checked with sha256sum on the host)\n",
				    n->rdir, n->rexe, n->image.len / 1e6, n->sha256);
		}
		if (c->dopts.action == OT_DEPLOY_CREATE && c->dopts.preflight)
			printf(
			    "  preflight  kernel features, underlay %s MTU %u, UDP between nodes\n",
			    p->underlay.family ? ub : "(none needed)",
			    p->underlay_mtu ? p->underlay_mtu : 1500);
		printf("  run        %s%s\n", verbs[c->dopts.action],
		       c->dopts.action == OT_DEPLOY_CREATE || c->dopts.action == OT_DEPLOY_APPLY
			   ? (c->dopts.keep_going ? " (no rollback: --keep-going)"
						  : " (rolled back if any node fails)")
			   : "");
		if (c->dopts.action == OT_DEPLOY_LIST)
			continue; /* no plan: the journals are read */
		printf("  plan       %s: %zu namespaces, %zu ops (", p->prefix, p->nns, p->nops);
		for (k = 0; k < OT_OP__COUNT; k++)
			if (counts[k])
				printf("%s%zu %s", k ? " " : "", counts[k], ot_op_kind_name(k));
		printf("), %zu probes\n", p->nprobes);
	}
}

/* ---- main ---- */

/* ---- --watch ---- */

/* otdeploy --watch: what one round leaves for the next */
struct watch {
	struct ot_deploy_session *sessions;
	size_t nsessions;
	double t_change; /* CLOCK_MONOTONIC when the change was seen */
	unsigned round;
};

/* The round's one line on stdout (after the table, which -q leaves out
 * when all went well). */
static void watch_summary(struct cli *c, const struct ot_deploy *d, const struct watch *w,
			  int status)
{
	size_t i, done = 0, failed = 0, back = 0, serving = 0;
	double secs = ot_clock_s(CLOCK_MONOTONIC) - w->t_change;

	for (i = 0; i < d->nnodes; i++) {
		done += d->nodes[i].state == OT_DS_DONE;
		failed += d->nodes[i].state == OT_DS_FAILED;
		back += d->nodes[i].state == OT_DS_ROLLED_BACK;
		serving += d->nodes[i].serve != NULL;
	}
	if (!status && serving)
		printf("otdeploy: watch: round %u: %s applied on %zu node%s in %.3f s (%zu "
		       "serving)\n",
		       w->round, c->topo, done, done == 1 ? "" : "s", secs, serving);
	else if (!status) /* every node local (in-process) */
		printf("otdeploy: watch: round %u: %s applied on %zu node%s in %.3f s\n", w->round,
		       c->topo, done, done == 1 ? "" : "s", secs);
	else if (c->dopts.keep_going)
		printf("otdeploy: watch: round %u: %s applied on %zu of %zu nodes in %.3f s, %zu "
		       "failed (--keep-going: no rollback)\n",
		       w->round, c->topo, done, d->nnodes, secs, failed);
	else
		printf("otdeploy: watch: round %u: %s not applied (%zu failed, %zu reverted): the "
		       "nodes run what they ran before\n",
		       w->round, c->topo, failed, back);
	fflush(stdout);
}

/*
 * One run of the engine over the prepared job: the live view, the run, the
 * report on stdout. With w (--watch), the sessions of the round before go
 * in and this round's come out. The exit status.
 */
static int run_job(struct cli *c, struct job *j, struct watch *w)
{
	struct ot_deploy d;
	struct ot_error err = {0};
	struct view v = {0};
	struct ot_strbuf out = OT_STRBUF_INIT;
	struct winsize ws;
	pthread_t tick;
	bool ticking = false;
	int rc, status;

	c->dopts.cancel = &interrupted;
	c->dopts.notify = on_change;
	c->dopts.notify_ctx = &v;
	rc = ot_deploy_init(&d, j->nodes, j->nnodes, &c->dopts, &err);
	if (rc < 0) {
		fprintf(stderr, "otdeploy: %s\n", err.msg);
		return EXIT_FAILED;
	}
	if (c->dry_run) {
		size_t k;

		status = 0;
		/* the checksums the run would compare (hashed when needed there) */
		for (k = 0; k < d.nnodes; k++)
			(void)ot_deploy_node_sha256(&d.nodes[k], NULL);
		if (c->json)
			status =
			    ot_cli_json_print("otdeploy", otdeploy_dry_run_json(&d, c->topo),
					      OT_SCHEMA_DRY_RUN, JSON_INDENT(2) | JSON_SORT_KEYS);
		else
			dry_run(c, &d);
		ot_deploy_fini(&d);
		return status;
	}
	if (w) {
		ot_deploy_sessions_give(&d, w->sessions, w->nsessions);
		w->nsessions = 0;
	}

	v.d = &d;
	v.lock = &d.lock;
	v.color = c->color && isatty(STDERR_FILENO);
	v.live = !c->quiet && !c->verbose && isatty(STDERR_FILENO);
	v.events = c->verbose || (!c->quiet && !v.live);
	v.stamps = c->verbose;
	v.t0 = ot_clock_s(CLOCK_MONOTONIC);
	v.width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 0;
	if (v.live && pthread_create(&tick, NULL, ticker, &v) == 0)
		ticking = true;

	rc = ot_deploy_run(&d, &err);

	if (ticking) {
		pthread_mutex_lock(&d.lock);
		v.stop = 1;
		view_draw(&v);
		pthread_mutex_unlock(&d.lock);
		pthread_join(tick, NULL);
	}
	if (rc < 0 && rc != -EAGAIN && rc != -EINTR) {
		fprintf(stderr, "otdeploy: %s\n", err.msg);
		status = EXIT_SYSTEM;
	} else {
		status = rc < 0 ? EXIT_FAILED : 0;
	}
	if (c->dopts.action == OT_DEPLOY_STATUS && !c->json) {
		ot_sb_reset(&out);
		ot_progress_status(&d, &out);
		ot_inspect_status_text(&d, &out); /* the containerlab-inspect view */
		fputs(ot_sb_str(&out), stdout);
	}
	if (c->dopts.action == OT_DEPLOY_VERIFY) {
		int mm;

		ot_sb_reset(&out);
		mm = ot_progress_verify_matrix(&d, c->color, &out);
		mm += mm >= 0 ? ot_progress_cross_classes(&d, &out) : 0;
		if (!c->json)
			fputs(ot_sb_str(&out), stdout);
		if (mm != 0 && !status)
			status = EXIT_FAILED;
	}
	if (c->dopts.action == OT_DEPLOY_LIST) {
		/* the instances, not the run: a host that failed says why there */
		if (c->json) {
			int wr = ot_cli_json_print("otdeploy", ot_inspect_list_json(&d), NULL,
						   JSON_INDENT(2) | JSON_SORT_KEYS);

			if (wr && !status)
				status = wr;
		} else {
			ot_sb_reset(&out);
			ot_inspect_list_text(&d, &out);
			fputs(ot_sb_str(&out), stdout);
		}
	} else if (c->json) {
		json_t *jr = ot_deploy_to_json(&d);
		int wr;

		/* --status: the containerlab-inspect view inside the report */
		if (jr && c->dopts.action == OT_DEPLOY_STATUS)
			json_object_set_new(jr, "inspect", ot_inspect_status_json(&d));
		wr = ot_cli_json_print("otdeploy", jr, NULL, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (wr && !status)
			status = wr;
	} else if (!w || !c->quiet || status) {
		ot_sb_reset(&out);
		ot_progress_table(
		    &d, c->color,
		    isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_col
											: 0,
		    &out);
		fputs(ot_sb_str(&out), stdout);
	}
	if (w) {
		watch_summary(c, &d, w, status);
		free(w->sessions);
		w->sessions = calloc(d.nnodes + 1, sizeof(*w->sessions));
		w->nsessions = w->sessions ? ot_deploy_sessions_take(&d, w->sessions) : 0;
	}
	ot_deploy_fini(&d);
	ot_sb_free(&v.buf);
	ot_sb_free(&out);
	return status;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	/* one SSH connection per node stays open across the stages */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The bytes of path into *buf (malloc'ed, NUL-ended): 0 or -errno. */
static int slurp(const char *path, char **buf)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "re");

	*buf = NULL;
	if (!f)
		return -errno;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ot_sb_appendn(&sb, chunk, n);
	fclose(f);
	if (sb.oom) {
		ot_sb_free(&sb);
		return -ENOMEM;
	}
	*buf = ot_sb_steal(&sb);
	return *buf ? 0 : -ENOMEM;
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/*
 * otdeploy --watch TOPOLOGY HOSTS: apply TOPOLOGY now (nodes where nothing
 * runs are created), then again each time TOPOLOGY or HOSTS is saved with
 * other contents, until a signal; what the last apply made stays. Each
 * node's otnode keeps serving in its SSH session between rounds
 * (`otnode apply --serve`), so a change costs its check and apply only. A
 * round that fails is rolled back as --apply rolls back; a topology with
 * errors changes nothing; either way the watch goes on.
 */
static int watch_main(struct cli *c)
{
	const char *paths[2] = {c->topo, c->hosts_file};
	char *last_topo = NULL, *last_hosts = NULL; /* the last round's bytes */
	bool last_ok = false;			    /* ... and it applied */
	struct ot_filewatch fw;
	struct sigaction sa = {0};
	sigset_t stop_sigs, old_mask;
	struct ot_error err = {0};
	struct watch w = {0};
	int status = 0, rc;

	raise_fd_limit();
	if (ot_filewatch_open(&fw, paths, c->hosts_file ? 2 : 1, &err) < 0 ||
	    ot_ssh_global_init(&err) < 0) {
		fprintf(stderr, "otdeploy: --watch: %s\n", err.msg);
		ot_filewatch_close(&fw);
		return EXIT_SYSTEM;
	}
	sa.sa_handler = on_signal; /* no SA_RESTART: the wait ends with EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGINT);
	sigaddset(&stop_sigs, SIGTERM);
	signal(SIGPIPE, SIG_IGN);
	c->dopts.watch = true;
	w.t_change = ot_clock_s(CLOCK_MONOTONIC);
	for (;;) {
		char *topo = NULL, *hosts = NULL;

		rc = slurp(c->topo, &topo);
		if (rc == 0 && c->hosts_file)
			rc = slurp(c->hosts_file, &hosts);
		if (rc < 0) {
			/* mid-save, or gone: the next event tells */
			fprintf(stderr, "otdeploy: watch: cannot read %s: %s; waiting\n",
				topo ? c->hosts_file : c->topo, strerror(-rc));
		} else if (last_ok && same_text(topo, last_topo) && same_text(hosts, last_hosts)) {
			/* saved, not changed (after a round that did not apply,
			 * the same bytes are tried again: what was in the way
			 * may be gone) */
		} else {
			struct job j = {0};

			if (!same_text(hosts, last_hosts)) {
				/* other hosts, maybe: every session starts again */
				ot_deploy_sessions_close(w.sessions, w.nsessions);
				w.nsessions = 0;
			}
			free(last_topo);
			free(last_hosts);
			last_topo = topo;
			last_hosts = hosts;
			topo = hosts = NULL;
			w.round++;
			status = prepare(c, &j);
			if (status)
				printf(
				    "otdeploy: watch: round %u: %s has errors: nothing changed\n",
				    w.round, c->topo);
			else
				status = run_job(c, &j, &w);
			last_ok = status == 0;
			fflush(stdout);
			job_free(&j);
			if (w.round == 1)
				fprintf(stderr,
					"otdeploy: watching %s%s%s: every save is applied; "
					"Ctrl-C ends the watch and leaves what runs\n",
					c->topo, c->hosts_file ? " and " : "",
					c->hosts_file ? c->hosts_file : "");
		}
		free(topo);
		free(hosts);
		/* SIGINT and SIGTERM blocked from the test to the wait, which
		 * unblocks them atomically: one arriving in between ends the
		 * wait at once instead of being seen only after the next save */
		sigprocmask(SIG_BLOCK, &stop_sigs, &old_mask);
		watch_idle = 1;
		rc = interrupted ? 0 : ot_filewatch_wait(&fw, &old_mask, &err);
		watch_idle = 0;
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		if (rc < 0) {
			fprintf(stderr, "otdeploy: watch: %s\n", err.msg);
			status = EXIT_SYSTEM;
		}
		if (rc <= 0)
			break;
		w.t_change = ot_clock_s(CLOCK_MONOTONIC);
	}
	ot_deploy_sessions_close(w.sessions, w.nsessions);
	free(w.sessions);
	free(last_topo);
	free(last_hosts);
	ot_filewatch_close(&fw);
	ot_ssh_global_fini();
	fprintf(stderr,
		"otdeploy: watch ended after %u round%s; what the last one applied stays "
		"(otdeploy --destroy removes it)\n",
		w.round, w.round == 1 ? "" : "s");
	return status;
}

int main(int argc, char **argv)
{
	struct cli c = {0};
	struct job j = {0};
	struct ot_error err = {0};
	struct sigaction sa = {0};
	int status;

	if (parse_args(argc, argv, &c) < 0)
		return EXIT_USAGE;
	if (c.watch)
		return watch_main(&c);
	status = c.dopts.action == OT_DEPLOY_LIST ? prepare_list(&c, &j) : prepare(&c, &j);
	if (status || c.dry_run) {
		if (!status)
			status = run_job(&c, &j, NULL);
		job_free(&j);
		return status;
	}
	raise_fd_limit();
	if (ot_ssh_global_init(&err) < 0) {
		fprintf(stderr, "otdeploy: %s\n", err.msg);
		job_free(&j);
		return EXIT_SYSTEM;
	}
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	status = run_job(&c, &j, NULL);
	ot_ssh_global_fini();
	job_free(&j);
	return status;
}
