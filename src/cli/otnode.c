/*
 * otnode.c - the node executable: one static program per node that carries
 * that node's plan (src/embed) and builds, reports, verifies, enters and
 * removes it with the executor library (src/exec). Manual: docs/otnode.1.md.
 * This file holds main, the command table and every command but apply
 * (otnode_apply.c); what they share is in otnode.h.
 *
 * Output: results on stdout (text, or JSON with --json), progress and errors
 * on stderr. Exit status: 0 ok, 1 failed / drift / reachability mismatch,
 * 2 usage, 3 system (no plan, not root, out of memory).
 *
 * Test hooks (environment): OTNODE_FAULT_KILL_AT=k ends the process with
 * SIGKILL at change step k of create; OTNODE_FAULT_FAIL_AT=k makes step k
 * fail (create then rolls back). Steps are numbered 1, 2, ... as
 * OTNODE_TRACE=1 prints them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cliopt.h"
#include "cli/otnode.h"
#include "embed/embed.h"
#include "exec/classprobe.h"
#include "exec/exec.h"
#include "exec/preflight.h"
#include "plan/plan_json.h"
#include "plan/plan_text.h"
#include "util/strbuf.h"
#include "util/suggest.h"
#include "util/clock.h"

void otnode_die(const char *fmt, ...)
{
	va_list ap;

	fputs("otnode: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char usage_text[] =
    "usage: otnode [--plan FILE] COMMAND [OPTIONS]\n"
    "\n"
    "Build, check and remove this node's share of an OpenTop topology. The plan is\n"
    "carried inside this executable (see `otnode show`).\n"
    "\n"
    "commands:\n"
    "  create                  build it (journalled; a failure rolls back)\n"
    "  destroy                 remove exactly what create made (from the journal)\n"
    "  apply [--check|--revert|--wait-go MARK|--serve MARK] [--save-plan]\n"
    "                          change what runs here into this plan: only the\n"
    "                          difference (`otc diff`); a failure rolls back; --check\n"
    "                          changes nothing; --revert goes back to the plan before\n"
    "                          this one; --wait-go: check, print MARK, apply when\n"
    "                          stdin says \"apply\" (otdeploy); --serve: the same for\n"
    "                          plan after plan on stdin (otdeploy --watch);\n"
    "                          --save-plan: the executable then carries the plan\n"
    "                          the node runs (with --plan-stdin or --revert)\n"
    "  status [--json]         what exists and what drifted from the plan\n"
    "  show [--json]           print the embedded plan\n"
    "  exec CONTAINER [--] CMD...  run CMD inside a container's namespaces\n"
    "  verify [--json] [--remote] [--timeout MS] [--no-classes]\n"
    "                          status plus the reachability probes of the plan, and\n"
    "                          TCP/UDP/ICMP by class between this node's containers\n"
    "                          compared with `otc reach` on this plan (docs/reach.md)\n"
    "  preflight [--json] [--wait-go]\n"
    "                          check the kernel, underlay and VXLAN port (otdeploy)\n"
    "  list [--json] [--all]   the instances created on this host (their journals)\n"
    "  version                 print the version and the plan schema\n"
    "  xprobe-listen           one side of the class probes across nodes, driven\n"
    "  xprobe-send             by otdeploy --verify on stdin (docs/reach.md)\n"
    "\n"
    "options:\n"
    "  --plan FILE             use the plan in FILE (JSON) instead of the embedded one\n"
    "  --plan-stdin            read 'plan BYTES', then the plan, from stdin (sudo)\n"
    "  -h, --help              this help\n"
    "  -V, --version           the version, as otc and otdeploy print it\n"
    "\n"
    "exit status: 0 ok, 1 failed/drift/mismatch, 2 usage, 3 system error\n";

/* The whole text on stdout (--help); on stderr (a usage error, already
 * explained) one line saying where it is, as otc and otdeploy do. */
int otnode_usage(FILE *f, int status)
{
	if (f == stderr)
		fputs("usage: otnode [--plan FILE] COMMAND [OPTIONS] (see `otnode --help`)\n", f);
	else
		fputs(usage_text, f);
	return status;
}

/* The state root a plan read from stdin must keep to: that plan comes from
 * whoever may run `sudo otnode`, so it must not name another directory for
 * the journal (docs/otdeploy.1.md, SUDO). */
#define STATE_ROOT "/run/opentop/"

static bool state_dir_ok(const char *dir)
{
	return dir && strncmp(dir, STATE_ROOT, strlen(STATE_ROOT)) == 0 &&
	       ot_nsname_valid(dir + strlen(STATE_ROOT));
}

/* otnode.h: read(2), never stdio, so nothing after the line is taken. */
int otnode_read_line(char *buf, size_t size)
{
	size_t n = 0;
	ssize_t k;

	while (n + 1 < size) {
		k = read(STDIN_FILENO, buf + n, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return 0;
		}
		n++;
	}
	return -1;
}

/* The plan after its "plan <bytes>" line (head, without the newline):
 * exactly that many bytes, into c->stdin_text (the one before freed). */
int otnode_read_plan_body(struct otnode_cli *c, const char *head)
{
	unsigned long long v;
	size_t n, len;
	char *end, *text;
	ssize_t k;

	if (strncmp(head, "plan ", 5) != 0 || (v = strtoull(head + 5, &end, 10)) == 0 || *end ||
	    v > OT_EMBED_PAYLOAD_MAX) {
		otnode_die("--plan-stdin: expected 'plan BYTES' and the plan on stdin");
		return OTNODE_EXIT_USAGE;
	}
	len = (size_t)v;
	text = malloc(len + 1);
	if (!text) {
		otnode_die("out of memory");
		return OTNODE_EXIT_SYSTEM;
	}
	for (n = 0; n < len;) {
		k = read(STDIN_FILENO, text + n, len - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			otnode_die("--plan-stdin: the plan ends after %zu of %zu bytes", n, len);
			free(text);
			return OTNODE_EXIT_USAGE;
		}
		n += (size_t)k;
	}
	text[len] = '\0';
	free(c->stdin_text);
	c->stdin_text = text;
	c->stdin_len = len;
	return 0;
}

/* --plan-stdin: "plan <bytes>\n", then exactly that many bytes. */
static int read_plan_stdin(struct otnode_cli *c)
{
	char head[32];

	if (c->stdin_text)
		return 0;
	if (otnode_read_line(head, sizeof(head)) < 0)
		head[0] = '\0';
	return otnode_read_plan_body(c, head);
}

/* c->stdin_text into *ret: a valid plan whose state is under STATE_ROOT
 * (any plan on stdin may run as root: sudo). 0 or -errno with err. */
int otnode_parse_stdin_plan(struct otnode_cli *c, struct ot_plan **ret, struct ot_error *err)
{
	int r = ot_plan_load(c->stdin_text, c->stdin_len, ret, err);

	if (r == 0 && !state_dir_ok((*ret)->state_dir)) {
		ot_plan_free(*ret);
		*ret = NULL;
		r = ot_error_set(err, -EINVAL,
				 "a plan on stdin must keep its state in " STATE_ROOT "<prefix>");
	}
	if (r < 0)
		ot_error_prefix(err, r, "plan on stdin");
	return r;
}

int otnode_load_plan(struct otnode_cli *c)
{
	struct ot_error err = {0};
	int r;

	if (c->plan)
		return 0;
	if (c->plan_stdin) {
		if ((r = read_plan_stdin(c)))
			return r;
		r = otnode_parse_stdin_plan(c, &c->plan, &err);
	} else if (c->plan_file) {
		FILE *f = fopen(c->plan_file, "re");
		struct ot_strbuf sb = OT_STRBUF_INIT;
		char buf[65536];
		size_t n;

		if (!f) {
			otnode_die("cannot open '%s': %s", c->plan_file, strerror(errno));
			return OTNODE_EXIT_SYSTEM;
		}
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			ot_sb_appendn(&sb, buf, n);
		fclose(f);
		if (sb.oom) {
			ot_sb_free(&sb);
			otnode_die("out of memory");
			return OTNODE_EXIT_SYSTEM;
		}
		r = ot_plan_load(ot_sb_str(&sb), sb.len, &c->plan, &err);
		ot_sb_free(&sb);
		if (r < 0)
			ot_error_prefix(&err, r, "%s", c->plan_file);
	} else {
		r = ot_embed_self_plan(&c->plan, &err);
		if (r == -ENOENT)
			ot_error_set(&err, r,
				     "this otnode carries no plan (build one with `otc build`, "
				     "or pass --plan FILE)");
	}
	if (r < 0) {
		otnode_die("%s", err.msg);
		return OTNODE_EXIT_SYSTEM;
	}
	return 0;
}

/* ---- fault hooks and progress ---- */

static int step_hook(void *ctx, unsigned step, int phase, const char *what)
{
	struct otnode_cli *c = ctx;

	if (c->trace)
		fprintf(stderr, "otnode: step %u %s %s\n", step, phase ? "made" : "make", what);
	if (c->kill_at && step == c->kill_at) {
		fflush(stderr);
		raise(SIGKILL);
	}
	if (c->fail_at && step == c->fail_at)
		return -EIO;
	return 0;
}

static void progress(void *ctx, const char *line)
{
	fprintf(stderr, "otnode: %s\n", line);
}

static unsigned env_uint(const char *name)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return 0;
	v = strtoul(s, &end, 10);
	return *end || v > 1000000000ul ? 0 : (unsigned)v;
}

void otnode_init_opts(struct otnode_cli *c, struct ot_exec_opts *o)
{
	memset(o, 0, sizeof(*o));
	c->kill_at = env_uint("OTNODE_FAULT_KILL_AT");
	c->fail_at = env_uint("OTNODE_FAULT_FAIL_AT");
	c->trace = env_uint("OTNODE_TRACE") != 0;
	o->step_hook = step_hook;
	o->ctx = c;
	/* who, for the journal: sudo sets SUDO_USER, sshd and login LOGNAME */
	o->by = getenv("SUDO_USER");
	if (!o->by || !*o->by)
		o->by = getenv("LOGNAME");
	if (!o->by || !*o->by)
		o->by = getenv("USER");
	o->progress = progress;
}

/* A JSON report of the executor on stdout (it carries its schema). */
static int print_json(json_t *j)
{
	return ot_cli_json_print("otnode", j, NULL, JSON_INDENT(2) | JSON_SORT_KEYS);
}

/* Common option parsing for subcommands: --json, plus what the caller adds. */
int otnode_sub_options(int argc, char **argv, const struct option *extra, int *values,
		       const char **strval)
{
	int ch;

	optind = 1;
	opterr = 0; /* cliopt.c words the errors, with "did you mean" */
	while ((ch = getopt_long(argc, argv, "+:h", extra, NULL)) != -1) {
		size_t i;

		if (ch == 'h')
			return 'h';
		if (ch == '?' || ch == ':') {
			char prog[64];

			snprintf(prog, sizeof(prog), "otnode: %s", argv[0]);
			ot_cli_getopt_error(prog, ch, argv, extra);
			return '?';
		}
		for (i = 0; extra[i].name; i++)
			if (extra[i].val == ch) {
				values[i] = 1;
				if (extra[i].has_arg && strval)
					strval[i] = optarg;
			}
	}
	return 0;
}

/* After otnode_sub_options() (r its result): --help, an option error (already
 * reported), or an operand the command does not take. */
static int sub_usage(int r, int argc, char **argv)
{
	if (r == 'h')
		return otnode_usage(stdout, 0);
	if (!r && optind < argc)
		otnode_die("%s: unexpected argument '%s'", argv[0], argv[optind]);
	return otnode_usage(stderr, OTNODE_EXIT_USAGE);
}

/* ---- commands ---- */

static int cmd_create(struct otnode_cli *c, int argc, char **argv)
{
	struct ot_exec_opts o;
	struct ot_exec_result res;
	struct ot_error err = {0};
	double t0;
	int r;

	optind = 1;
	if (argc > 1)
		return sub_usage(0, argc, argv);
	if ((r = otnode_load_plan(c)))
		return r;
	otnode_init_opts(c, &o);
	t0 = ot_clock_s(CLOCK_MONOTONIC);
	r = ot_exec_create(c->plan, &o, &res, &err);
	if (r < 0) {
		otnode_die("%s%s", err.msg, res.rolled_back ? " (rolled back)" : "");
		return r == -ENOMEM ? OTNODE_EXIT_SYSTEM : OTNODE_EXIT_FAIL;
	}
	fprintf(stderr, "otnode: %s: created in %.3f s\n", c->plan->node,
		ot_clock_s(CLOCK_MONOTONIC) - t0);
	return 0;
}

/*
 * destroy needs only the state directory, not the plan: read it from the
 * payload's JSON without building and validating the whole plan (that is
 * most of the time a destroy of a thousand containers would spend in user
 * space). It must name a directory under /run/opentop like the compiler's.
 */
static int payload_state_dir(struct otnode_cli *c, char *buf, size_t size)
{
	struct ot_error err = {0};
	json_t *root, *v;
	char *text = NULL;
	size_t len = 0;
	const char *dir;
	int fd, r;

	if (c->plan_stdin) {
		if ((r = read_plan_stdin(c)))
			return r;
		text = strdup(c->stdin_text);
		if (!text) {
			otnode_die("out of memory");
			return OTNODE_EXIT_SYSTEM;
		}
		len = c->stdin_len;
		fd = -1;
		r = 0;
	} else if (c->plan_file)
		fd = open(c->plan_file, O_RDONLY | O_CLOEXEC);
	else
		fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0 && !c->plan_stdin) {
		otnode_die("cannot open '%s': %s", c->plan_file ? c->plan_file : "/proc/self/exe",
			   strerror(errno));
		return OTNODE_EXIT_SYSTEM;
	}
	if (c->plan_stdin) {
		/* read above */
	} else if (c->plan_file) {
		struct stat st;

		r = fstat(fd, &st) < 0 || st.st_size > OT_EMBED_PAYLOAD_MAX ? -EFBIG : 0;
		if (r == 0 && (text = malloc((size_t)st.st_size + 1)) &&
		    read(fd, text, (size_t)st.st_size) == st.st_size)
			len = (size_t)st.st_size;
		else
			r = ot_error_set(&err, -EIO, "cannot read '%s'", c->plan_file);
	} else {
		r = ot_embed_read_fd(fd, &text, &len, &err);
	}
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		free(text);
		otnode_die("%s", err.msg);
		return OTNODE_EXIT_SYSTEM;
	}
	root = json_loadb(text, len, 0, NULL);
	free(text);
	v = json_object_get(root, "state_dir");
	dir = json_string_value(v);
	if (!state_dir_ok(dir) || strlen(dir) >= size) {
		json_decref(root);
		otnode_die("the plan has no valid state_dir");
		return OTNODE_EXIT_SYSTEM;
	}
	snprintf(buf, size, "%s", dir);
	json_decref(root);
	return 0;
}

static int cmd_destroy(struct otnode_cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"state-dir", required_argument, NULL, OPT_STATE_DIR},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int set[2] = {0};
	const char *val[2] = {NULL};
	char state_dir[512];
	const char *dir;
	struct ot_exec_opts o;
	struct ot_exec_result res;
	struct ot_error err = {0};
	double t0;
	int r;

	r = otnode_sub_options(argc, argv, opts, set, val);
	if (r || optind != argc)
		return sub_usage(r, argc, argv);
	if (set[0]) {
		dir = val[0];
	} else {
		if ((r = payload_state_dir(c, state_dir, sizeof(state_dir))))
			return r;
		dir = state_dir;
	}
	otnode_init_opts(c, &o);
	t0 = ot_clock_s(CLOCK_MONOTONIC);
	r = ot_exec_destroy(dir, &o, &res, &err);
	if (r == -ENOENT) {
		fprintf(stderr, "otnode: nothing to destroy (%s)\n", err.msg);
		return 0;
	}
	if (r < 0) {
		otnode_die("%s", err.msg);
		return OTNODE_EXIT_FAIL;
	}
	fprintf(stderr, "otnode: destroyed %u objects in %.3f s%s\n", res.objects,
		ot_clock_s(CLOCK_MONOTONIC) - t0,
		res.killed ? " (processes inside were ended)" : "");
	return 0;
}

static void print_status_text(const struct ot_plan *p, const struct ot_status *s, bool all)
{
	size_t i;

	for (i = 0; i < s->nitems; i++) {
		const struct ot_status_item *it = &s->items[i];

		if (!all && it->state == OT_OBJ_OK)
			continue;
		printf("%-8s %s%s%s\n", ot_obj_state_name(it->state), it->what,
		       it->detail[0] ? ": " : "", it->detail);
	}
	printf("%s: %s%zu ok, %zu missing, %zu drifted\n", p->node,
	       s->created ? (s->complete ? "" : "create incomplete, ") : "not created, ", s->nok,
	       s->nmissing, s->ndrift);
}

static int cmd_status(struct otnode_cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, OPT_JSON},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int set[2] = {0};
	struct ot_exec_opts o;
	struct ot_status *s = NULL;
	struct ot_error err = {0};
	int r;

	r = otnode_sub_options(argc, argv, opts, set, NULL);
	if (r || optind != argc)
		return sub_usage(r, argc, argv);
	if ((r = otnode_load_plan(c)))
		return r;
	otnode_init_opts(c, &o);
	if (ot_exec_status(c->plan, &o, &s, &err) < 0) {
		otnode_die("%s", err.msg);
		return OTNODE_EXIT_SYSTEM;
	}
	r = s->nmissing || s->ndrift ? OTNODE_EXIT_FAIL : 0;
	if (set[0]) {
		int w = print_json(ot_status_to_json(c->plan, s));

		r = w ? w : r;
	} else {
		print_status_text(c->plan, s, true);
	}
	ot_status_free(s);
	return r;
}

static int cmd_show(struct otnode_cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, OPT_JSON},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int set[2] = {0};
	int r;

	r = otnode_sub_options(argc, argv, opts, set, NULL);
	if (r || optind != argc)
		return sub_usage(r, argc, argv);
	if ((r = otnode_load_plan(c)))
		return r;
	if (set[0]) {
		char *s = ot_plan_dump(c->plan, 1);

		if (!s) {
			otnode_die("out of memory");
			return OTNODE_EXIT_SYSTEM;
		}
		fputs(s, stdout);
		free(s);
	} else {
		struct ot_strbuf sb = OT_STRBUF_INIT;

		ot_plan_text(c->plan, &sb);
		if (sb.oom) {
			ot_sb_free(&sb);
			otnode_die("out of memory");
			return OTNODE_EXIT_SYSTEM;
		}
		fputs(ot_sb_str(&sb), stdout);
		ot_sb_free(&sb);
	}
	return fflush(stdout) == 0 ? 0 : OTNODE_EXIT_SYSTEM;
}

static int cmd_exec(struct otnode_cli *c, int argc, char **argv)
{
	struct ot_error err = {0};
	unsigned got = 0;
	int ns, status, r, first = 1;
	pid_t pid;

	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))
		return otnode_usage(stdout, 0);
	if (argc < 3)
		return otnode_usage(stderr, OTNODE_EXIT_USAGE);
	if ((r = otnode_load_plan(c)))
		return r;
	ns = ot_plan_container_find(c->plan, argv[1]);
	if (ns < 0) {
		struct ot_suggest sg;
		size_t k;

		ot_suggest_init(&sg, argv[1]);
		for (k = 0; k < c->plan->nns; k++)
			ot_suggest_add(&sg, c->plan->ns[k].container);
		otnode_die("%s: no container '%s' on this node%s%s%s", c->plan->node, argv[1],
			   ot_suggest_best(&sg) ? " (did you mean '" : "",
			   ot_suggest_best(&sg) ? ot_suggest_best(&sg) : "",
			   ot_suggest_best(&sg) ? "'?)" : "");
		return OTNODE_EXIT_USAGE;
	}
	first = 2;
	if (strcmp(argv[first], "--") == 0)
		first++;
	if (first >= argc)
		return otnode_usage(stderr, OTNODE_EXIT_USAGE);
	if (ot_exec_enter(c->plan, ns, 0, &got, &err) < 0 ||
	    ot_exec_caps_apply(c->plan, ns, 0, &err) < 0) {
		otnode_die("%s", err.msg);
		return OTNODE_EXIT_SYSTEM;
	}
	if (!(got & OT_ENTER_MUST_FORK)) {
		execvp(argv[first], argv + first);
		otnode_die("exec '%s': %s", argv[first], strerror(errno));
		return errno == ENOENT ? 127 : 126;
	}
	/* a new pid namespace: the child is its pid 1; we wait and pass its status on */
	pid = fork();
	if (pid < 0) {
		otnode_die("fork: %s", strerror(errno));
		return OTNODE_EXIT_SYSTEM;
	}
	if (pid == 0) {
		if (ot_exec_enter_child(c->plan, ns, &err) < 0) {
			fprintf(stderr, "otnode: %s\n", err.msg);
			_exit(OTNODE_EXIT_SYSTEM);
		}
		execvp(argv[first], argv + first);
		fprintf(stderr, "otnode: exec '%s': %s\n", argv[first], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return OTNODE_EXIT_SYSTEM;
	/* _exit: once the namespace's pid 1 is gone, the new pid namespace
	 * refuses any further fork, so no exit handler may need one (LSan's). */
	fflush(NULL);
	_exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
}

/* The reachability matrix: rows = source containers, columns = targets. */
static void print_matrix(const struct ot_plan *p, const struct ot_verify *v)
{
	const char **cols = calloc(p->nprobes ? p->nprobes : 1, sizeof(*cols));
	const char **rows = calloc(p->nprobes ? p->nprobes : 1, sizeof(*rows));
	char(*colname)[96] = calloc(p->nprobes ? p->nprobes : 1, sizeof(*colname));
	size_t nc = 0, nr = 0, i, j, k;

	if (!cols || !rows || !colname)
		goto out;
	for (i = 0; i < p->nprobes; i++) {
		const struct ot_probe *pr = &p->probes[i];
		const char *from = p->ns[pr->from_ns].container;
		char name[96];

		snprintf(name, sizeof(name), "%s%s%s",
			 pr->to_node && strcmp(pr->to_node, p->node) ? pr->to_node : "",
			 pr->to_node && strcmp(pr->to_node, p->node) ? ":" : "",
			 pr->to_container ? pr->to_container : "?");
		for (j = 0; j < nc && strcmp(colname[j], name); j++)
			;
		if (j == nc) {
			snprintf(colname[nc], sizeof(colname[nc]), "%s", name);
			cols[nc] = colname[nc];
			nc++;
		}
		for (j = 0; j < nr && strcmp(rows[j], from); j++)
			;
		if (j == nr)
			rows[nr++] = from;
	}
	if (!nc)
		goto out;
	printf("\n%-16s", "from \\ to");
	for (j = 0; j < nc; j++)
		printf(" %-18.18s", cols[j]);
	printf("\n");
	for (i = 0; i < nr; i++) {
		printf("%-16.16s", rows[i]);
		for (j = 0; j < nc; j++) {
			const char *cell = ".";

			for (k = 0; k < p->nprobes; k++) {
				const struct ot_probe *pr = &p->probes[k];
				const struct ot_probe_result *res = &v->probes[k];
				char name[96];

				snprintf(name, sizeof(name), "%s%s%s",
					 pr->to_node && strcmp(pr->to_node, p->node) ? pr->to_node
										     : "",
					 pr->to_node && strcmp(pr->to_node, p->node) ? ":" : "",
					 pr->to_container ? pr->to_container : "?");
				if (strcmp(p->ns[pr->from_ns].container, rows[i]) ||
				    strcmp(name, cols[j]))
					continue;
				if (res->outcome == OT_PROBE_SKIPPED)
					cell = "skipped";
				else if (pr->expect == OT_EXPECT_REACH)
					cell = res->pass ? "reach ok" : "REACH FAILED";
				else
					cell = res->pass ? "blocked ok" : "NOT BLOCKED";
			}
			printf(" %-18s", cell);
		}
		printf("\n");
	}
out:
	free(cols);
	free(rows);
	free(colname);
}

/* One line per class probe that disagrees with the oracle; JSON of all. */
static json_t *class_report(const struct ot_class_verify *cv, bool text)
{
	json_t *arr = text ? NULL : json_array();
	size_t i;

	for (i = 0; i < cv->n; i++) {
		const struct ot_class_check *k = &cv->v[i];
		char a[OT_ADDR_STRLEN], live[128];

		ot_addr_format(&k->addr, a, sizeof(a));
		ot_class_check_live_text(k, live, sizeof(live));
		if (text && !k->pass)
			printf("MISMATCH %s -> %s (%s) %s: reach says %s%s%s:%u (%s), live: %s\n",
			       k->from, k->to, a, k->cls, k->want, k->want_at ? " at " : "",
			       k->want_at ? k->want_at : "", k->want_port, k->why, live);
		if (!text)
			json_array_append_new(
			    arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "from", k->from, "to",
					   k->to, "address", a, "class", k->cls, "reach", k->want,
					   "live", live, "pass", k->pass));
	}
	return arr;
}

static int cmd_verify(struct otnode_cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, OPT_JSON},
					     {"remote", no_argument, NULL, OPT_REMOTE},
					     {"timeout", required_argument, NULL, OPT_TIMEOUT},
					     {"help", no_argument, NULL, 'h'},
					     {"no-classes", no_argument, NULL, OPT_NO_CLASSES},
					     {NULL, 0, NULL, 0}};
	int set[5] = {0};
	const char *val[5] = {NULL};
	struct ot_class_verify *cv = NULL;
	unsigned timeout = 0;
	struct ot_exec_opts o;
	struct ot_verify *v = NULL;
	struct ot_error err = {0};
	size_t i;
	int r;

	r = otnode_sub_options(argc, argv, opts, set, val);
	if (r || optind != argc)
		return sub_usage(r, argc, argv);
	if (set[2] && ot_cli_duration_ms(val[2], 1, 1, 60000, &timeout) < 0) {
		otnode_die("verify: --timeout wants 1..60000 milliseconds (or with a unit: "
			   "500ms, 2s), not '%s'",
			   val[2]);
		return OTNODE_EXIT_USAGE;
	}
	if ((r = otnode_load_plan(c)))
		return r;
	otnode_init_opts(c, &o);
	if (ot_exec_verify(c->plan, &o, set[1] ? OT_VERIFY_REMOTE : 0, timeout, &v, &err) < 0) {
		otnode_die("%s", err.msg);
		return OTNODE_EXIT_SYSTEM;
	}
	if (!set[4] &&
	    ot_exec_verify_classes(c->plan, &o, timeout ? timeout : 1000, &cv, &err) < 0) {
		otnode_die("%s", err.msg);
		ot_verify_free(v);
		return OTNODE_EXIT_SYSTEM;
	}
	r = v->nfail || (cv && cv->nfail) || v->status->nmissing || v->status->ndrift
		? OTNODE_EXIT_FAIL
		: 0;
	if (set[0]) {
		json_t *j = ot_verify_to_json(c->plan, v);
		int w;

		if (j && cv) { /* class disagreements count as failed probes (otdeploy) */
			json_object_set_new(j, "class_probes", class_report(cv, false));
			json_object_set_new(j, "classes_fail", json_integer((json_int_t)cv->nfail));
			json_object_set_new(j, "probes_fail",
					    json_integer((json_int_t)(v->nfail + cv->nfail)));
		}
		w = print_json(j);

		r = w ? w : r;
	} else {
		print_status_text(c->plan, v->status, false);
		for (i = 0; i < v->nprobes; i++) {
			const struct ot_probe_result *res = &v->probes[i];
			const struct ot_probe *pr = &c->plan->probes[res->probe];
			char a[OT_ADDR_STRLEN];

			if (res->outcome == OT_PROBE_SKIPPED || res->pass)
				continue;
			ot_addr_format(&pr->to_addr, a, sizeof(a));
			printf("MISMATCH %s -> %s (%s): expected %s, %s%s%s\n",
			       c->plan->ns[pr->from_ns].container,
			       pr->to_container ? pr->to_container : "?", a,
			       pr->expect == OT_EXPECT_REACH ? "reachable" : "blocked", res->detail,
			       pr->why ? "; " : "", pr->why ? pr->why : "");
		}
		print_matrix(c->plan, v);
		printf("%s: probes: %zu pass, %zu fail, %zu skipped%s\n", c->plan->node, v->npass,
		       v->nfail, v->nskipped,
		       v->nskipped && !set[1] ? " (--remote probes other nodes)" : "");
		if (cv) {
			class_report(cv, true);
			printf(
			    "%s: by class (tcp/udp/icmp, this node's pairs): %zu pass, %zu fail\n",
			    c->plan->node, cv->n - cv->nfail, cv->nfail);
		}
	}
	ot_class_verify_free(cv);
	ot_verify_free(v);
	return r;
}

static int cmd_preflight(struct otnode_cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, OPT_JSON},
					     {"wait-go", no_argument, NULL, OPT_WAIT_GO},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int set[3] = {0};
	struct ot_preflight *pf = NULL;
	struct ot_strbuf report = OT_STRBUF_INIT;
	struct ot_error err = {0};
	char line[4200], nonce[OT_PREFLIGHT_NONCE_MAX + 16], skip[4100];
	unsigned ms = 0;
	int r;

	r = otnode_sub_options(argc, argv, opts, set, NULL);
	if (r || optind != argc)
		return sub_usage(r, argc, argv);
	if ((r = otnode_load_plan(c)))
		return r;
	if (ot_preflight_prepare(c->plan, &pf, &err) < 0) {
		otnode_die("%s", err.msg);
		return OTNODE_EXIT_SYSTEM;
	}
	if (set[1]) {
		/* the coordinator's protocol: "ready <port>|busy", then "go ..." */
		if (ot_preflight_busy(pf))
			printf("ready busy\n");
		else
			printf("ready %u\n", (unsigned)ot_preflight_port(pf));
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin) ||
		    sscanf(line, "go %79s %u %4095s", nonce, &ms, skip) != 3) {
			ot_preflight_free(pf);
			otnode_die("preflight: expected 'go NONCE MS SKIP' on stdin");
			return OTNODE_EXIT_USAGE;
		}
		if (strcmp(skip, "-") != 0) {
			char *save = NULL, *tok;

			for (tok = strtok_r(skip, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				ot_preflight_skip_peer(pf, tok);
		}
		if (ot_preflight_exchange(pf, nonce, ms, &err) < 0) {
			ot_preflight_free(pf);
			otnode_die("%s", err.msg);
			return OTNODE_EXIT_USAGE;
		}
	}
	r = ot_preflight_ok(pf) ? 0 : OTNODE_EXIT_FAIL;
	ot_preflight_report(pf, &report);
	fputs(ot_sb_str(&report), stderr);
	ot_sb_free(&report);
	if (set[0]) {
		int w = print_json(ot_preflight_to_json(pf));

		r = w ? w : r;
	} else {
		printf("%s: preflight %s\n", c->plan->node, r ? "FAILED" : "ok");
	}
	ot_preflight_free(pf);
	return r;
}

static void xprobe_ready(void *arg)
{
	(void)arg;
	printf("ready\n");
	fflush(stdout);
}

/*
 * xprobe-listen / xprobe-send: this node's side of a round of class probes
 * across nodes, driven by otdeploy --verify on stdin (docs/reach.md):
 *
 *	round NONCE IDBASE TIMEOUT_MS
 *	ports P,Q,...|-
 *	p SRC|- ADDR icmp|tcp|udp PORT     (one line per probe, in order)
 *	end
 *
 * listen prints "ready" once its listeners are bound, then, after a line
 * "stop" (or EOF), "a I CONTAINER PORT" per probe that arrived here and
 * "done"; send prints "r I 0|1 DETAIL" per probe sent from here and "done".
 */
static int cmd_xprobe(struct otnode_cli *c, int argc, char **argv, bool listen)
{
	struct ot_xprobe_args a = {
	    .listen = listen, .stop_fd = STDIN_FILENO, .ready = xprobe_ready};
	struct ot_cprobe *pr = NULL;
	const char **srcs = NULL, **at = NULL;
	char **own = NULL;
	uint16_t ports[64];
	struct ot_exec_opts o;
	struct ot_error err = {0};
	char line[512], src[128], addr[80], proto[8], plist[400];
	size_t cap = 0, i;
	unsigned nonce, idbase, port;
	int r = OTNODE_EXIT_USAGE;

	if (argc > 1)
		return otnode_usage(stderr, OTNODE_EXIT_USAGE);
	if ((r = otnode_load_plan(c)))
		return r;
	r = OTNODE_EXIT_USAGE;
	if (otnode_read_line(line, sizeof(line)) < 0 ||
	    sscanf(line, "round %u %u %u", &nonce, &idbase, &a.timeout_ms) != 3 ||
	    otnode_read_line(line, sizeof(line)) < 0 || sscanf(line, "ports %399s", plist) != 1)
		goto bad;
	a.round.nonce = nonce;
	a.round.idbase = (uint16_t)idbase;
	if (strcmp(plist, "-")) {
		char *save = NULL, *tok;

		for (tok = strtok_r(plist, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (a.nports == 64 || sscanf(tok, "%u", &port) != 1 || !port ||
			    port > 65535)
				goto bad;
			ports[a.nports++] = (uint16_t)port;
		}
	}
	a.ports = ports;
	while (otnode_read_line(line, sizeof(line)) == 0 && strcmp(line, "end")) {
		struct ot_cprobe *p;

		if (a.n == cap) {
			cap = cap ? 2 * cap : 256;
			if (cap > OT_CPROBE_BATCH * 2 || !(pr = realloc(pr, cap * sizeof(*pr))) ||
			    !(own = realloc(own, cap * sizeof(*own))))
				goto bad;
		}
		p = memset(&pr[a.n], 0, sizeof(*p));
		if (sscanf(line, "p %127s %79s %7s %u", src, addr, proto, &port) != 4 ||
		    ot_addr_parse(addr, &p->to) < 0 || port > 65535)
			goto bad;
		p->proto = !strcmp(proto, "tcp")   ? IPPROTO_TCP
			   : !strcmp(proto, "udp") ? IPPROTO_UDP
						   : 0;
		p->port = (uint16_t)port;
		own[a.n] = strcmp(src, "-") ? strdup(src) : NULL;
		a.n++;
	}
	if (strcmp(line, "end"))
		goto bad;
	srcs = calloc(a.n + 1, sizeof(*srcs));
	at = calloc(a.n + 1, sizeof(*at));
	if (!srcs || !at) {
		r = OTNODE_EXIT_SYSTEM;
		goto out;
	}
	for (i = 0; i < a.n; i++)
		srcs[i] = own[i];
	a.srcs = srcs;
	otnode_init_opts(c, &o);
	if (ot_exec_xprobe(c->plan, &o, &a, pr, at, &err) < 0) {
		otnode_die("%s", err.msg);
		r = OTNODE_EXIT_SYSTEM;
		goto out;
	}
	for (i = 0; i < a.n; i++)
		if (listen && at[i])
			printf("a %zu %s %u\n", i, at[i], (unsigned)pr[i].arrived_port);
		else if (!listen && srcs[i])
			printf("r %zu %d %s\n", i, pr[i].answered,
			       pr[i].detail[0] ? pr[i].detail : "-");
	printf("done\n");
	r = 0;
	goto out;
bad:
	otnode_die("xprobe: bad input on stdin near '%.80s'", line);
out:
	for (i = 0; own && i < a.n; i++)
		free(own[i]);
	free(own);
	free(pr);
	free(srcs);
	free(at);
	return r;
}

static int cmd_xprobe_listen(struct otnode_cli *c, int argc, char **argv)
{
	return cmd_xprobe(c, argc, argv, true);
}

static int cmd_xprobe_send(struct otnode_cli *c, int argc, char **argv)
{
	return cmd_xprobe(c, argc, argv, false);
}

/* list: the instances created here (ot_exec_list_json), as a table or JSON */
static int cmd_list(struct otnode_cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, OPT_JSON},
					     {"all", no_argument, NULL, OPT_ALL},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int set[3] = {0};
	struct ot_error err = {0};
	json_t *o, *arr;
	size_t i;
	int r;

	(void)c;
	r = otnode_sub_options(argc, argv, opts, set, NULL);
	if (r || optind != argc)
		return otnode_usage(r == 'h' ? stdout : stderr, r == 'h' ? 0 : OTNODE_EXIT_USAGE);
	o = ot_exec_list_json(NULL, set[1], &err);
	if (!o) {
		otnode_die("%s", err.msg);
		return OTNODE_EXIT_SYSTEM;
	}
	if (set[0])
		return print_json(o);
	arr = json_object_get(o, "instances");
	printf("%-24s %-16s %-10s %-20s %-12s %s\n", "PREFIX", "TOPOLOGY", "NODE", "CREATED (UTC)",
	       "BY", "STATE");
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *e = json_array_get(arr, i);
		const char *by = json_string_value(json_object_get(e, "by"));
		const char *job = json_string_value(json_object_get(e, "job"));

		printf("%-24s %-16s %-10s %-20s %-12s %s%s%s%s\n",
		       json_string_value(json_object_get(e, "prefix")),
		       json_string_value(json_object_get(e, "topology")),
		       json_string_value(json_object_get(e, "node")),
		       json_string_value(json_object_get(e, "created_utc")), by && *by ? by : "?",
		       json_is_true(json_object_get(e, "complete")) ? "created" : "incomplete",
		       json_is_true(json_object_get(e, "here")) ? "" : " (other netns)",
		       job && *job ? " job " : "", job && *job ? job : "");
	}
	json_decref(o);
	return 0;
}

static int cmd_version(struct otnode_cli *c, int argc, char **argv)
{
	ot_cli_version("otnode");
	if (!c->plan_file) {
		struct ot_plan *p = NULL;

		if (ot_embed_self_plan(&p, NULL) == 0) {
			printf("carries: %s, node %s (%s)\n", p->instance ? p->instance : "?",
			       p->node, p->source_digest ? p->source_digest : "no digest");
			ot_plan_free(p);
		} else {
			printf("carries no plan\n");
		}
	}
	return 0;
}

static const struct {
	const char *name;
	int (*run)(struct otnode_cli *c, int argc, char **argv);
} commands[] = {
    {"create", cmd_create},
    {"destroy", cmd_destroy},
    {"apply", otnode_cmd_apply},
    {"status", cmd_status},
    {"show", cmd_show},
    {"exec", cmd_exec},
    {"verify", cmd_verify},
    {"preflight", cmd_preflight},
    {"version", cmd_version},
    {"xprobe-listen", cmd_xprobe_listen},
    {"xprobe-send", cmd_xprobe_send},
    {"list", cmd_list},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The options before the command (--plan FILE, --plan-stdin, --help, --version). */
static const struct option top_opts[] = {
    {"plan", required_argument, NULL, 'p'},
    {"plan-stdin", no_argument, NULL, 's'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static int unknown_command(const char *word)
{
	const char *names[NCOMMANDS + 1];
	size_t k;

	for (k = 0; k < NCOMMANDS; k++)
		names[k] = commands[k].name;
	names[k] = "help";
	ot_cli_unknown_command("otnode", word, names, NCOMMANDS + 1, " (see `otnode --help`)");
	return OTNODE_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct otnode_cli c = {0};
	int i, r, opt;
	size_t k;

	/* '+': stop at the command, its options are its own (and exec's
	 * command line is not ours to read) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:hV", top_opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			return otnode_usage(stdout, 0);
		case 'V':
			return cmd_version(&c, 0, NULL);
		case 'p':
			c.plan_file = optarg;
			break;
		case 's':
			c.plan_stdin = true;
			break;
		default:
			ot_cli_getopt_error("otnode", opt, argv, top_opts);
			return otnode_usage(stderr, OTNODE_EXIT_USAGE);
		}
	}
	i = optind;
	if (i >= argc)
		return otnode_usage(stderr, OTNODE_EXIT_USAGE);
	for (k = 0; k < NCOMMANDS; k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			break;
	if (k == NCOMMANDS) {
		if (strcmp(argv[i], "help") == 0)
			return otnode_usage(stdout, 0);
		return unknown_command(argv[i]);
	}
	if (c.plan_stdin && c.plan_file) {
		ot_cli_conflict("otnode", "--plan", "--plan-stdin",
				"say where the plan comes from");
		return OTNODE_EXIT_USAGE;
	}
	r = commands[k].run(&c, argc - i, argv + i);
	ot_plan_free(c.plan);
	free(c.stdin_text);
	ot_sb_free(&c.self);
	return r;
}
