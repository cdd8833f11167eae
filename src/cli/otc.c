/*
 * otc.c - the OpenTop compiler's command line: check, plan, emit-sh, graph,
 * version, help (and build, added by otc_build.c). A command table maps
 * each subcommand to its function, synopsis and help text; the common
 * options (-D, --instance, --bounds) and the load-and-compile step are
 * shared (otc.h). Only this layer prints and chooses exit statuses:
 * 0 ok, 1 topology errors, 2 usage, 3 system error.
 */
#include "cli/otc.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cliopt.h"
#include "compile/graph.h"
#include "plan/plan_json.h"
#include "plan/plan_schema.h"
#include "plan/plan_sh.h"
#include "plan/plan_text.h"
#include "util/suggest.h"

void otc_error(const char *fmt, ...)
{
	va_list ap;

	fputs("otc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ------------------------------------------------------------------ */
/* common options                                                      */

enum {
	OPT_INSTANCE = 0x100,
	OPT_BOUNDS,
	OPT_HELP,
};

static const struct option common_longopts[] = {
    {"instance", required_argument, NULL, OPT_INSTANCE},
    {"bounds", required_argument, NULL, OPT_BOUNDS},
    {"help", no_argument, NULL, 'h'},
    {"define", required_argument, NULL, 'D'},
};
#define NCOMMON (sizeof(common_longopts) / sizeof(common_longopts[0]))

/* Is word one of the common options (-D..., --define, --instance=...)? */
static bool common_option(const char *word)
{
	size_t i, n;

	if (strncmp(word, "-D", 2) == 0)
		return true;
	if (strncmp(word, "--", 2) != 0)
		return false;
	n = strcspn(word + 2, "=");
	for (i = 0; i < NCOMMON; i++)
		if (n && strlen(common_longopts[i].name) == n &&
		    strncmp(common_longopts[i].name, word + 2, n) == 0)
			return true;
	return false;
}

/* One administrator bound, KEY=VALUE, read by the plugin's parser
 * (compile/bounds.h): a value means the same here and in plugstack.conf. */
static int parse_bound(struct otc_common *c, const char *arg, struct ot_error *err)
{
	const char *eq = strchr(arg, '=');
	char key[32];

	if (!eq || (size_t)(eq - arg) >= sizeof(key))
		return ot_error_set(err, -EINVAL, "expected KEY=VALUE");
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	c->has_bounds = true;
	return ot_bounds_set(&c->bounds, c->bounds_addrs, key, eq + 1, err);
}

/*
 * Letters otc used before the family's table (docs/cli.md) gave them other
 * meanings: still accepted where the option they stood for is, with a
 * note on stderr. In otdeploy, -n is --dry-run and -j is --parallel.
 */
static const struct {
	char old;	 /* the old letter */
	int code;	 /* what it now returns */
	const char *now; /* the spelling to use */
	const char *elsewhere;
} old_letters[] = {
    {'n', 'N', "-N, --node", "-n is --dry-run"},
    {'j', OTC_OPT_JSON, "--json", "-j is --parallel"},
};

/* Does the subcommand take the option returned as code (a letter of
 * optstring or a long option's value)? Its argument in *arg. */
static bool takes(const char *optstring, const struct option *longopts, int code, bool *arg)
{
	const char *p = code < 0x80 && optstring ? strchr(optstring, code) : NULL;

	if (p && code != ':') {
		*arg = p[1] == ':';
		return true;
	}
	for (; longopts && longopts->name; longopts++)
		if (longopts->val == code) {
			*arg = longopts->has_arg != no_argument;
			return true;
		}
	return false;
}

int otc_getopt(struct otc_common *c, int argc, char **argv, const char *optstring,
	       const struct option *longopts)
{
	struct option all[32];
	char shortopts[64];
	struct ot_error err = {0};
	size_t n = 0, i, k;
	int opt, r;
	bool arg;

	/* ':' first: a missing value is reported as ':'. GNU getopt permutes,
	 * so options may follow the operands. Every message is ours (cliopt.c). */
	opterr = 0;
	k = (size_t)snprintf(shortopts, sizeof(shortopts), ":hD:%s", optstring ? optstring : "");
	for (i = 0; i < sizeof(old_letters) / sizeof(old_letters[0]); i++)
		if (k + 3 < sizeof(shortopts) &&
		    takes(optstring, longopts, old_letters[i].code, &arg))
			k += (size_t)snprintf(shortopts + k, sizeof(shortopts) - k, "%c%s",
					      old_letters[i].old, arg ? ":" : "");
	for (i = 0; longopts && longopts[i].name && n < 24; i++)
		all[n++] = longopts[i];
	for (i = 0; i < NCOMMON; i++)
		all[n++] = common_longopts[i];
	memset(&all[n], 0, sizeof(all[n]));
	if (optind <= 1) { /* the first call for this command line */
		char prog[64];

		snprintf(prog, sizeof(prog), "otc: %s", argv[0]);
		if (ot_cli_single_dash(prog, argc, argv, all) < 0)
			return '?';
	}

	for (;;) {
		opt = getopt_long(argc, argv, shortopts, all, NULL);
		switch (opt) {
		case 'D':
			if (!strchr(optarg, '=') || c->ndefines >= OTC_MAX_DEFINES) {
				otc_error("%s: -D wants NAME=VALUE (at most %u)", argv[0],
					  OTC_MAX_DEFINES);
				return '?';
			}
			c->defines[c->ndefines++] = optarg;
			continue;
		case OPT_INSTANCE:
			c->instance = optarg;
			continue;
		case OPT_BOUNDS:
			r = parse_bound(c, optarg, &err);
			if (r < 0) {
				otc_error("%s: --bounds '%s': %s", argv[0], optarg, err.msg);
				return '?';
			}
			continue;
		case ':':
		case '?': {
			char prog[64];

			snprintf(prog, sizeof(prog), "otc: %s", argv[0]);
			ot_cli_getopt_error(prog, opt, argv, all);
			return '?';
		}
		default:
			for (i = 0; i < sizeof(old_letters) / sizeof(old_letters[0]); i++)
				if (opt == old_letters[i].old) {
					fprintf(stderr,
						"otc: %s: note: -%c is the old spelling of %s (in "
						"otdeploy, %s)\n",
						argv[0], opt, old_letters[i].now,
						old_letters[i].elsewhere);
					return old_letters[i].code;
				}
			return opt;
		}
	}
}

/* ------------------------------------------------------------------ */
/* load and compile                                                    */

static void print_diags(const struct otc_common *c, struct ot_diags *d)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;

	if (c->diag_json) {
		if (otc_diags_json(d, c->diag_json) < 0)
			otc_error("out of memory");
		return;
	}
	if (!d->n && !d->dropped)
		return;
	ot_diags_sort(d);
	ot_diags_render(d, &sb, c->color);
	fputs(ot_sb_str(&sb), stderr);
	ot_sb_free(&sb);
}

static int status_of(int rc)
{
	if (rc == -EINVAL)
		return OTC_EXIT_TOPOLOGY;
	return OTC_EXIT_SYSTEM;
}

/* -D overrides, and the bounds the expansion checks as loops unroll. */
static struct ot_load_opts load_opts(const struct otc_common *c)
{
	struct ot_load_opts lo = {.defines = c->defines, .ndefines = c->ndefines};

	if (c->has_bounds) {
		lo.max_containers_per_node = c->bounds.max_containers_per_node;
		lo.max_ifaces_per_node = c->bounds.max_ifaces_per_node;
	}
	return lo;
}

/* As otc_compile_files(); with fn, the plans are streamed to it one by one
 * (ot_compile_each) and x->out stays NULL: peak memory is one plan's. With
 * decisions, x->out holds no plans (ot_compile_opts.decisions_only). */
static int compile_files(const struct otc_common *c, const char *file, const char *hosts,
			 bool probes, bool decisions, int (*fn)(struct ot_plan *p, void *arg),
			 void *arg, struct otc_compiled *x)
{
	struct ot_load_opts lo = load_opts(c);
	struct ot_compile_opts co = {
	    .instance = c->instance, .probes = probes, .decisions_only = decisions};
	int rc, rh = 0;

	memset(x, 0, sizeof(*x));
	ot_diags_init(&x->diags);
	/* the hosts file first: its host count is NODES when -D does not set it */
	if (hosts)
		rh = ot_hosts_load(hosts, &x->diags, &x->hosts); /* its errors too, in one run */
	lo.hosts = x->hosts ? (uint32_t)x->hosts->nhosts : 0;
	rc = ot_topology_load(file, &lo, &x->diags, &x->model);
	if (rc == 0 && rh == 0) {
		co.hosts = x->hosts;
		co.bounds = c->has_bounds ? &c->bounds : NULL;
		rc = fn ? ot_compile_each(x->model, &co, &x->diags, fn, arg)
			: ot_compile(x->model, &co, &x->diags, &x->out);
	}
	print_diags(c, &x->diags);
	if (rc < 0 || rh < 0) {
		int s = status_of(rc < 0 ? rc : rh);

		if (rc < 0 && rh < 0 && status_of(rh) > s)
			s = status_of(rh);
		if ((rc == -ENOMEM || rh == -ENOMEM || x->diags.oom))
			otc_error("out of memory");
		otc_compiled_free(x);
		return s;
	}
	return OTC_EXIT_OK;
}

int otc_compile_files(const struct otc_common *c, const char *file, const char *hosts, bool probes,
		      struct otc_compiled *x)
{
	return compile_files(c, file, hosts, probes, false, NULL, NULL, x);
}

void otc_compiled_free(struct otc_compiled *x)
{
	ot_compiled_free(x->out);
	ot_model_free(x->model);
	ot_hosts_free(x->hosts);
	ot_diags_free(&x->diags);
	memset(x, 0, sizeof(*x));
}

/* ------------------------------------------------------------------ */
/* the commands                                                        */

struct cmd {
	const char *name;
	int (*run)(struct otc_common *c, int argc, char **argv);
	const char *synopsis;
	const char *help;
};

static const struct cmd *find_cmd(const char *name);
static void cmd_usage(FILE *f, const struct cmd *k);

static int write_out(const char *s, size_t n)
{
	if (fwrite(s, 1, n, stdout) != n || fflush(stdout) != 0) {
		otc_error("writing the output: %s", strerror(errno));
		return OTC_EXIT_SYSTEM;
	}
	return OTC_EXIT_OK;
}

/* Positional operands FILE [HOSTS]; usage error otherwise. */
static int operands(const struct cmd *k, int argc, char **argv, bool need_hosts, const char **file,
		    const char **hosts)
{
	int n = argc - optind;

	if (n < 1 || n > 2 || (need_hosts && n < 2)) {
		otc_error("%s: expected %s", k->name, need_hosts ? "FILE HOSTS" : "FILE [HOSTS]");
		cmd_usage(stderr, k);
		return OTC_EXIT_USAGE;
	}
	*file = argv[optind];
	*hosts = n == 2 ? argv[optind + 1] : NULL;
	return OTC_EXIT_OK;
}

/* Usual option loop tail: help or usage error. */
#define OPT_COMMON_CASES(k)                                                                        \
	case 'h':                                                                                  \
		cmd_usage(stdout, k);                                                              \
		return OTC_EXIT_OK;                                                                \
	default:                                                                                   \
		cmd_usage(stderr, k);                                                              \
		return OTC_EXIT_USAGE

/* check's plan sink: count the VXLAN devices, drop the plan. */
static int count_vxlan(struct ot_plan *p, void *arg)
{
	size_t *vx = arg, j;

	for (j = 0; j < p->nops; j++)
		*vx += p->ops[j].kind == OT_OP_LINK && p->ops[j].link.kind == OT_LINK_VXLAN;
	ot_plan_free(p);
	return 0;
}

/*
 * otc check --json: one document (schema opentop-check/1) whatever the
 * outcome: file, hosts, ok, the diagnostics and their counts, and when ok
 * the summary the text form prints. The exit status is the text form's.
 */
static int check_json(struct otc_common *c, const char *file, const char *hosts)
{
	json_t *doc = json_object(), *sum;
	struct otc_compiled x;
	size_t vx = 0;
	int rc, w;

	if (!doc || otc_diags_json(&(struct ot_diags){0}, doc) < 0) {
		json_decref(doc);
		otc_error("out of memory");
		return OTC_EXIT_SYSTEM;
	}
	c->diag_json = doc;
	rc = compile_files(c, file, hosts, false, false, count_vxlan, &vx, &x);
	c->diag_json = NULL;
	json_object_set_new(doc, "file", json_string(file));
	json_object_set_new(doc, "hosts", hosts ? json_string(hosts) : json_null());
	json_object_set_new(doc, "ok", json_boolean(rc == OTC_EXIT_OK));
	if (rc == OTC_EXIT_OK) {
		sum = json_pack("{s:s, s:I, s:I, s:I, s:I}", "topology", x.model->name, "nodes",
				(json_int_t)x.model->nnodes, "containers",
				(json_int_t)x.model->ncontainers, "networks",
				(json_int_t)x.model->nnetworks, "vxlan_devices", (json_int_t)vx);
		json_object_set_new(doc, "summary", sum);
		otc_compiled_free(&x);
	}
	w = ot_cli_json_print("otc", doc, OT_SCHEMA_CHECK, JSON_INDENT(2) | JSON_SORT_KEYS);
	return w ? w : rc;
}

static int run_check(struct otc_common *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, OTC_OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	const struct cmd *k = find_cmd("check");
	struct otc_compiled x;
	const char *file, *hosts;
	size_t vx = 0;
	bool json = false;
	int opt, rc;

	while ((opt = otc_getopt(c, argc, argv, "", longopts)) != -1) {
		switch (opt) {
		case OTC_OPT_JSON:
			json = true;
			break;
			OPT_COMMON_CASES(k);
		}
	}
	if ((rc = operands(k, argc, argv, false, &file, &hosts)))
		return rc;
	if (json)
		return check_json(c, file, hosts);
	/* streamed: a large cluster's plans are never all in memory */
	if ((rc = compile_files(c, file, hosts, false, false, count_vxlan, &vx, &x)))
		return rc;
	printf("%s: ok: %zu node%s, %zu container%s, %zu network%s, %zu VXLAN device%s%s%s\n", file,
	       x.model->nnodes, x.model->nnodes == 1 ? "" : "s", x.model->ncontainers,
	       x.model->ncontainers == 1 ? "" : "s", x.model->nnetworks,
	       x.model->nnetworks == 1 ? "" : "s", vx, vx == 1 ? "" : "s",
	       hosts ? ", bound to " : "", hosts ? hosts : "");
	otc_compiled_free(&x);
	return OTC_EXIT_OK;
}

static int pick_node(const struct otc_compiled *x, const char *node, struct ot_plan **ret)
{
	struct ot_plan *p = ot_compiled_plan(x->out, node);
	struct ot_suggest sg;
	size_t i;

	if (p) {
		*ret = p;
		return OTC_EXIT_OK;
	}
	ot_suggest_init(&sg, node);
	for (i = 0; i < x->out->nplans; i++)
		ot_suggest_add(&sg, x->out->plans[i]->node);
	fprintf(stderr, "otc: no node '%s' in topology '%s'", node, x->model->name);
	if (ot_suggest_best(&sg))
		fprintf(stderr, " (did you mean '%s'?)", ot_suggest_best(&sg));
	fputs("; its nodes are:", stderr);
	for (i = 0; i < x->out->nplans && i < 32; i++)
		fprintf(stderr, " %s", x->out->plans[i]->node);
	fputs(i < x->out->nplans ? " ...\n" : "\n", stderr);
	return OTC_EXIT_USAGE;
}

/* A JSON string literal, as jansson writes it. */
static char *json_quote(const char *s)
{
	json_t *j = json_string(s);
	char *q = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	json_decref(j);
	return q;
}

struct cluster_out {
	struct ot_strbuf sb;
	const char *instance; /* quoted */
	size_t nplans;
	int status;
};

/* ot_compile_each() sink: the next element of "plans", written at once. The
 * header goes out with the first plan: every error is found before any plan
 * is handed out, so nothing precedes a diagnostic. */
static int cluster_plan(struct ot_plan *p, void *arg)
{
	struct cluster_out *co = arg;
	int rc;

	ot_sb_reset(&co->sb);
	if (!co->nplans++)
		ot_sb_printf(&co->sb, "{\n  \"instance\": %s,\n  \"plans\": [\n    ", co->instance);
	else
		ot_sb_append(&co->sb, ",\n    ");
	rc = ot_plan_json_write(p, 1, 2, &co->sb);
	ot_plan_free(p);
	if (rc < 0) {
		otc_error(rc == -ENOMEM ? "out of memory" : "a plan string is not valid UTF-8");
		co->status = OTC_EXIT_SYSTEM;
		return rc;
	}
	co->status = write_out(co->sb.buf, co->sb.len);
	return co->status ? -EIO : 0;
}

/*
 * otc plan --json without --node: the whole cluster, streamed node by node
 * (a 1,000-node cluster's plans are hundreds of megabytes), exactly as
 * jansson would write {"instance", "plans": [...], "schema", "topology"}
 * with sorted keys and 2-space indentation.
 */
static int cluster_json(const struct otc_common *c, const char *file, const char *hosts)
{
	struct ot_load_opts lo = load_opts(c);
	struct ot_compile_opts co = {.instance = c->instance, .probes = true};
	struct cluster_out out = {OT_STRBUF_INIT, NULL, 0, OTC_EXIT_OK};
	struct otc_compiled x;
	char *qi = NULL, *qt = NULL, *qs = NULL;
	int rc, rh = 0;

	memset(&x, 0, sizeof(x));
	ot_diags_init(&x.diags);
	if (hosts)
		rh = ot_hosts_load(hosts, &x.diags, &x.hosts);
	lo.hosts = x.hosts ? (uint32_t)x.hosts->nhosts : 0;
	rc = ot_topology_load(file, &lo, &x.diags, &x.model);
	if (rc < 0 || rh < 0) {
		print_diags(c, &x.diags);
		rc = status_of(rc < 0 ? rc : rh);
		otc_compiled_free(&x);
		return rc;
	}
	co.hosts = x.hosts;
	co.bounds = c->has_bounds ? &c->bounds : NULL;
	qi = json_quote(c->instance && *c->instance ? c->instance : x.model->name);
	qt = json_quote(x.model->name);
	qs = json_quote(OT_SCHEMA_CLUSTER);
	if (!qi || !qt || !qs) {
		otc_error("out of memory");
		rc = OTC_EXIT_SYSTEM;
		goto out;
	}
	out.instance = qi;
	rc = ot_compile_each(x.model, &co, &x.diags, cluster_plan, &out);
	print_diags(c, &x.diags);
	if (rc < 0) {
		rc = out.status ? out.status : status_of(rc);
		goto out;
	}
	ot_sb_reset(&out.sb);
	if (out.nplans)
		ot_sb_append(&out.sb, "\n  ]");
	else
		ot_sb_printf(&out.sb, "{\n  \"instance\": %s,\n  \"plans\": []", qi);
	ot_sb_printf(&out.sb, ",\n  \"schema\": %s,\n  \"topology\": %s\n}\n", qs, qt);
	rc = out.sb.oom ? OTC_EXIT_SYSTEM : write_out(out.sb.buf, out.sb.len);
out:
	free(qi);
	free(qt);
	free(qs);
	ot_sb_free(&out.sb);
	otc_compiled_free(&x);
	return rc;
}

/* plan's sink for every node's text: one plan rendered, written and
 * dropped at a time (a large cluster's plans never all in memory). */
struct text_out {
	size_t nplans;
	int status;
};

static int plan_text_one(struct ot_plan *p, void *arg)
{
	struct text_out *o = arg;
	struct ot_strbuf sb = OT_STRBUF_INIT;

	if (o->nplans++)
		ot_sb_putc(&sb, '\n');
	ot_plan_text(p, &sb);
	ot_plan_free(p);
	if (sb.oom) {
		otc_error("out of memory");
		o->status = OTC_EXIT_SYSTEM;
	} else {
		o->status = write_out(sb.buf, sb.len);
	}
	ot_sb_free(&sb);
	return o->status ? -EIO : 0;
}

static int run_plan(struct otc_common *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"node", required_argument, NULL, 'N'},
	    {"json", no_argument, NULL, OTC_OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	const struct cmd *k = find_cmd("plan");
	const char *file, *hosts, *node = NULL;
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct otc_compiled x;
	struct ot_plan *p = NULL;
	bool json = false;
	char *text = NULL;
	int opt, rc;
	size_t i;

	while ((opt = otc_getopt(c, argc, argv, "N:", longopts)) != -1) {
		switch (opt) {
		case 'N':
			node = optarg;
			break;
		case OTC_OPT_JSON:
			json = true;
			break;
			OPT_COMMON_CASES(k);
		}
	}
	if ((rc = operands(k, argc, argv, false, &file, &hosts)))
		return rc;
	if (json && !node)
		return cluster_json(c, file, hosts);
	if (!node) {
		struct text_out out = {0, OTC_EXIT_OK};

		rc = compile_files(c, file, hosts, true, false, plan_text_one, &out, &x);
		otc_compiled_free(&x);
		return out.status ? out.status : rc;
	}
	if ((rc = otc_compile_files(c, file, hosts, true, &x)))
		return rc;
	if (node && (rc = pick_node(&x, node, &p))) {
		otc_compiled_free(&x);
		return rc;
	}
	if (json) {
		text = ot_plan_dump(p, 1);
	} else {
		for (i = 0; i < x.out->nplans; i++) {
			if (p && x.out->plans[i] != p)
				continue;
			if (sb.len)
				ot_sb_putc(&sb, '\n');
			ot_plan_text(x.out->plans[i], &sb);
		}
		text = ot_sb_steal(&sb);
	}
	if (!text) {
		otc_error("out of memory");
		rc = OTC_EXIT_SYSTEM;
	} else {
		rc = write_out(text, strlen(text));
	}
	free(text);
	ot_sb_free(&sb);
	otc_compiled_free(&x);
	return rc;
}

static int run_emit_sh(struct otc_common *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"node", required_argument, NULL, 'N'},
	    {"destroy", no_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	const struct cmd *k = find_cmd("emit-sh");
	const char *file, *hosts, *node = NULL;
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_error err = {0};
	enum ot_sh_mode mode = OT_SH_CREATE;
	struct otc_compiled x;
	struct ot_plan *p;
	int opt, rc;

	while ((opt = otc_getopt(c, argc, argv, "N:", longopts)) != -1) {
		switch (opt) {
		case 'N':
			node = optarg;
			break;
		case 'd':
			mode = OT_SH_DESTROY;
			break;
			OPT_COMMON_CASES(k);
		}
	}
	if ((rc = operands(k, argc, argv, false, &file, &hosts)))
		return rc;
	if (!node) {
		otc_error("emit-sh: --node NAME is required (one script per node)");
		cmd_usage(stderr, k);
		return OTC_EXIT_USAGE;
	}
	if ((rc = otc_compile_files(c, file, hosts, false, &x)))
		return rc;
	if ((rc = pick_node(&x, node, &p))) {
		otc_compiled_free(&x);
		return rc;
	}
	if (ot_plan_sh(p, mode, &sb, &err) < 0) {
		otc_error("emit-sh: %s", err.msg);
		rc = OTC_EXIT_USAGE;
	} else if (sb.oom) {
		otc_error("out of memory");
		rc = OTC_EXIT_SYSTEM;
	} else {
		rc = write_out(ot_sb_str(&sb), sb.len);
	}
	ot_sb_free(&sb);
	otc_compiled_free(&x);
	return rc;
}

/* ot_graph_dot_each's flush: write what the graph holds so far. */
static int graph_flush(struct ot_strbuf *sb, void *arg)
{
	int *rc = arg;

	*rc = write_out(ot_sb_str(sb), sb->len);
	ot_sb_reset(sb);
	return *rc == OTC_EXIT_OK ? 0 : -EIO;
}

static int run_graph(struct otc_common *c, int argc, char **argv)
{
	const struct cmd *k = find_cmd("graph");
	struct ot_strbuf sb = OT_STRBUF_INIT;
	const char *file, *hosts;
	struct otc_compiled x;
	int opt, rc, r;

	while ((opt = otc_getopt(c, argc, argv, "", NULL)) != -1) {
		switch (opt) {
			OPT_COMMON_CASES(k);
		}
	}
	if ((rc = operands(k, argc, argv, false, &file, &hosts)))
		return rc;
	if ((rc = compile_files(c, file, hosts, false, true, NULL, NULL, &x)))
		return rc;
	r = ot_graph_dot_each(x.out, &sb, graph_flush, &rc);
	if (r == -EIO) {
		/* graph_flush said why, rc is its status */
	} else if (r < 0) {
		otc_error("out of memory");
		rc = OTC_EXIT_SYSTEM;
	} else {
		rc = write_out(ot_sb_str(&sb), sb.len);
	}
	ot_sb_free(&sb);
	otc_compiled_free(&x);
	return rc;
}

static int run_version(struct otc_common *c, int argc, char **argv)
{
	ot_cli_version("otc");
	return OTC_EXIT_OK;
}

static int run_help(struct otc_common *c, int argc, char **argv);

static const char common_help[] =
    "Common options:\n"
    "  -D, --define NAME=VALUE  override a `param` of the topology (repeatable)\n"
    "  --instance NAME          name objects after NAME instead of the topology name\n"
    "  --bounds KEY=VALUE       apply an administrator bound, as the Slurm plugin does\n"
    "                           (vni=MIN-MAX, addrs=PFX,..., max_containers=N,\n"
    "                           max_ifaces=N, host_objects=yes|no, isolate=KIND,...,\n"
    "                           limits=yes|no; repeatable)\n"
    "  -h, --help               this help\n";

static const struct cmd cmds[] = {
    {"check", run_check, "check FILE [HOSTS] [--json]",
     "Parse, validate and compile FILE (bound to the hosts file HOSTS when given) and\n"
     "report every error, each as file:line:col with the source line and a caret.\n"
     "Prints a one-line summary on success.\n"
     "  --json  one JSON document on stdout instead (schema opentop-check/1): every\n"
     "          diagnostic with file, line, column, end_column, severity, message,\n"
     "          hint and related locations; the counts; the summary when ok\n"},
    {"plan", run_plan, "plan FILE [HOSTS] [--node NAME] [--json]",
     "Show the plan of every node (or of --node NAME): every operation in order with\n"
     "all decisions made (names, MTUs, VNIs, MACs, FDB entries, nftables rules),\n"
     "the reachability probes `verify` runs, and the teardown order.\n"
     "  -N, --node NAME  only this node (-n: the old spelling)\n"
     "  --json           canonical JSON (sorted keys): with --node, that node's plan\n"
     "                   (what otnode carries); otherwise an object with schema,\n"
     "                   topology, instance and every node's plan, in node order\n"},
    {"emit-sh", run_emit_sh, "emit-sh FILE [HOSTS] --node NAME [--destroy]",
     "Write the plan of node NAME as a POSIX shell script of iproute2 and nft\n"
     "commands, one command per step, with comments naming the topology lines.\n"
     "Networks spanning nodes need HOSTS (underlay addresses).\n"
     "  -N, --node NAME  the node (required; -n: the old spelling)\n"
     "  --destroy        the script that undoes it, in teardown order\n"},
    {"graph", run_graph, "graph FILE [HOSTS]",
     "Write the topology as deployed as a Graphviz DOT graph: nodes as clusters,\n"
     "containers, bridges, VXLAN segments (VNI, MTU), uplinks.\n"
     "Render with: otc graph FILE | dot -Tsvg > topology.svg\n"},
    {"build", otc_run_build, "build FILE HOSTS -o DIR [--node NAME] [--runtime FILE]",
     "Write DIR/<node>/otnode for every node: one static executable carrying that\n"
     "node's plan, needing nothing installed on the node (see otnode(1)).\n"
     "  -o, --output DIR  output directory (created)\n"
     "  -N, --node NAME   only this node (repeatable; -n: the old spelling)\n"
     "  --runtime FILE    otnode runtime to use instead of the one built into otc\n"},
    {"reach", otc_run_reach, "reach FILE [HOSTS] [--json] [--explain A B CLASS]",
     "For every ordered pair of containers (and hosts with an uplink address) and\n"
     "every traffic class (icmp, tcp/P and udp/P for each port a rule names, one\n"
     "port none names): does a request arrive, does its answer come back. Computed\n"
     "from the plans, independently of the probes (see docs/reach.md).\n"
     "  --json               every result as JSON\n"
     "  --explain A B CLASS  the path and the rule or missing route that decides\n"},
    {"diff", otc_run_diff, "diff OLD NEW HOSTS [-N|--node NAME] [--json]",
     "Show what `otdeploy --apply NEW HOSTS` changes on each node where OLD runs,\n"
     "without doing it: per node, the operations added (+), removed (-), replaced\n"
     "(~: removed, then made again) and updated in place (*: a sysctl value, an\n"
     "nft table swapped atomically). Both files are compiled against HOSTS.\n"
     "  -N, --node NAME  only this node\n"
     "  --json           JSON, schema opentop-diff/1\n"},
    {"version", run_version, "version", "Print the version and the plan schema.\n"},
    {"help", run_help, "help [COMMAND]", "Show the help of otc or of COMMAND.\n"},
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

/* find_cmd(), or NULL after "unknown command" with a suggestion. */
static const struct cmd *find_cmd_or_say(const char *name, const char *tail)
{
	const struct cmd *k = find_cmd(name);
	const char *names[NCMDS];
	size_t i;

	if (k)
		return k;
	for (i = 0; i < NCMDS; i++)
		names[i] = cmds[i].name;
	ot_cli_unknown_command("otc", name, names, NCMDS, tail);
	return NULL;
}

/* The full help on stdout (--help); on stderr (a usage error) the synopsis
 * and where the rest is. */
static void cmd_usage(FILE *f, const struct cmd *k)
{
	if (f == stderr) {
		fprintf(f, "usage: otc %s\n(`otc help %s` for the options)\n", k->synopsis,
			k->name);
		return;
	}
	fprintf(f, "usage: otc %s\n\n%s", k->synopsis, k->help);
	if (k->run != run_version && k->run != run_help)
		fprintf(f, "\n%s", common_help);
}

static void usage(FILE *f)
{
	size_t i;

	fputs("usage: otc COMMAND [OPTIONS] ...\n\n"
	      "The OpenTop compiler: a topology (.otp) in, one plan per node out.\n\n"
	      "Commands:\n",
	      f);
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  otc %s\n", cmds[i].synopsis);
	fprintf(f,
		"\n%s  -V, --version            the version, as otdeploy and otnode print it\n"
		"\nExit status: 0 ok, 1 errors in the topology or hosts file, 2 usage, "
		"3 system error.\nSee otc(1), docs/cli.md and `otc help COMMAND`.\n",
		common_help);
}

static int run_help(struct otc_common *c, int argc, char **argv)
{
	const struct cmd *k;

	if (argc < 2) {
		usage(stdout);
		return OTC_EXIT_OK;
	}
	k = find_cmd_or_say(argv[1], "");
	if (!k)
		return OTC_EXIT_USAGE;
	cmd_usage(stdout, k);
	return OTC_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct otc_common c;
	const struct cmd *k;
	const char *nc = getenv("NO_COLOR");

	memset(&c, 0, sizeof(c));
	c.color = isatty(STDERR_FILENO) && !(nc && *nc);
	if (argc < 2) {
		usage(stderr);
		return OTC_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return OTC_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return run_version(&c, argc - 1, argv + 1);
	if (argv[1][0] == '-') {
		static const struct option top[] = {
		    {"help", no_argument, NULL, 'h'},
		    {"version", no_argument, NULL, 'V'},
		    {NULL, 0, NULL, 0},
		};

		int opt;

		/* an option before the command: --he, --vers, or say which is
		 * unknown (did you mean --version?) */
		opterr = 0;
		opt = getopt_long(2, argv, ":hV", top, NULL);
		if (opt == 'h') {
			usage(stdout);
			return OTC_EXIT_OK;
		}
		if (opt == 'V')
			return run_version(&c, argc - 1, argv + 1);
		if (common_option(argv[1])) {
			otc_error("'%s' is an option of the commands: write it after one "
				  "(otc COMMAND %s ...)",
				  argv[1], argv[1]);
			return OTC_EXIT_USAGE;
		}
		ot_cli_getopt_error("otc", opt, argv, top);
		fputs("usage: otc COMMAND [OPTIONS] ... (see `otc --help`)\n", stderr);
		return OTC_EXIT_USAGE;
	}
	k = find_cmd_or_say(argv[1], " (try `otc help`)");
	if (!k)
		return OTC_EXIT_USAGE;
	return k->run(&c, argc - 1, argv + 1);
}
