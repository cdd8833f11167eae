/*
 * otc_diff.c - `otc diff OLD NEW HOSTS`: what `otdeploy --apply NEW` would
 * change on every node where OLD runs, without doing it. Both topologies
 * are compiled against the same hosts file and each node's two plans are
 * compared by ot_plan_diff() (plan_diff.h), the same function otnode
 * applies. A node only in OLD is shown as removed entirely, a node only in
 * NEW as added.
 */
#include "cli/otc.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan_diff.h"
#include "vocab/schema.h"

static void diff_usage(FILE *f)
{
	fputs("usage: otc diff OLD NEW HOSTS [-N|--node NAME] [--json]\n", f);
}

/* One node's change: appended to text or to the JSON array. */
static int diff_node(const struct ot_plan *a, const struct ot_plan *b, const char *node, bool json,
		     json_t *arr, struct ot_strbuf *sb, size_t *changed)
{
	struct ot_plan_diff *d = NULL;
	struct ot_error err = {0};
	int r = ot_plan_diff(a, b, &d, &err);

	if (r < 0) {
		otc_error("%s", err.msg);
		return r == -ENOMEM ? OTC_EXIT_SYSTEM : OTC_EXIT_TOPOLOGY;
	}
	*changed += !ot_plan_diff_empty(d);
	if (json) {
		json_t *o = ot_plan_diff_json(d, node);

		if (!o || json_array_append_new(arr, o) < 0)
			r = -ENOMEM;
	} else {
		if (sb->len)
			ot_sb_putc(sb, '\n');
		ot_plan_diff_text(d, node, sb);
	}
	ot_plan_diff_free(d);
	if (r < 0 || sb->oom) {
		otc_error("out of memory");
		return OTC_EXIT_SYSTEM;
	}
	return OTC_EXIT_OK;
}

int otc_run_diff(struct otc_common *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"node", required_argument, NULL, 'N'},
	    {"json", no_argument, NULL, OTC_OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	struct otc_compiled xa, xb;
	struct ot_strbuf sb = OT_STRBUF_INIT;
	const char *node = NULL;
	json_t *root = NULL, *arr = NULL;
	bool json = false, ha = false, hb = false;
	size_t i, changed = 0, shown = 0;
	int opt, rc;

	while ((opt = otc_getopt(c, argc, argv, "N:", longopts)) != -1) {
		switch (opt) {
		case 'N':
			node = optarg;
			break;
		case OTC_OPT_JSON:
			json = true;
			break;
		case 'h':
			diff_usage(stdout);
			return OTC_EXIT_OK;
		default:
			diff_usage(stderr);
			return OTC_EXIT_USAGE;
		}
	}
	if (argc - optind != 3) {
		otc_error("diff: expected OLD NEW HOSTS");
		diff_usage(stderr);
		return OTC_EXIT_USAGE;
	}
	if ((rc = otc_compile_files(c, argv[optind], argv[optind + 2], false, &xa)))
		return rc;
	ha = true;
	if ((rc = otc_compile_files(c, argv[optind + 1], argv[optind + 2], false, &xb)))
		goto out;
	hb = true;
	if (json) {
		root = json_object();
		arr = json_array();
		if (!root || !arr) {
			rc = OTC_EXIT_SYSTEM;
			goto out;
		}
	}
	/* nodes of NEW in its order, then those only OLD has */
	for (i = 0; i < xb.out->nplans && !rc; i++) {
		const struct ot_plan *b = xb.out->plans[i];

		if (node && strcmp(node, b->node) != 0)
			continue;
		shown++;
		rc = diff_node(ot_compiled_plan(xa.out, b->node), b, b->node, json, arr, &sb,
			       &changed);
	}
	for (i = 0; i < xa.out->nplans && !rc; i++) {
		const struct ot_plan *a = xa.out->plans[i];

		if ((node && strcmp(node, a->node) != 0) || ot_compiled_plan(xb.out, a->node))
			continue;
		shown++;
		rc = diff_node(a, NULL, a->node, json, arr, &sb, &changed);
	}
	if (rc)
		goto out;
	if (node && !shown) {
		otc_error("diff: no node '%s' in either topology", node);
		rc = OTC_EXIT_USAGE;
		goto out;
	}
	if (json) {
		char *s;

		json_object_set_new(root, "schema", json_string(OT_SCHEMA_DIFF));
		json_object_set_new(
		    root, "instance",
		    json_string(xb.out->nplans ? xb.out->plans[0]->instance : xb.model->name));
		json_object_set_new(root, "changed_nodes", json_integer((json_int_t)changed));
		json_object_set(root, "nodes", arr);
		s = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (!s) {
			rc = OTC_EXIT_SYSTEM;
			goto out;
		}
		puts(s);
		free(s);
	} else {
		ot_sb_printf(&sb, "\n%zu of %zu node%s change\n", changed, shown,
			     shown == 1 ? "" : "s");
		if (sb.oom) {
			rc = OTC_EXIT_SYSTEM;
			goto out;
		}
		fputs(ot_sb_str(&sb), stdout);
	}
	if (fflush(stdout) != 0) {
		otc_error("writing the output: %s", strerror(errno));
		rc = OTC_EXIT_SYSTEM;
	}
out:
	if (rc == OTC_EXIT_SYSTEM && !sb.oom && root == NULL && json)
		otc_error("out of memory");
	json_decref(root);
	json_decref(arr);
	ot_sb_free(&sb);
	if (hb)
		otc_compiled_free(&xb);
	if (ha)
		otc_compiled_free(&xa);
	return rc;
}
