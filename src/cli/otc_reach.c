/*
 * otc_reach.c - `otc reach FILE [HOSTS] [--json] [--explain A B CLASS]`:
 * the reachability matrix the oracle (src/reach) computes from the compiled
 * plans of every node.
 *
 * Text: one line per ordered pair and target address, one column per class:
 * A (answered), a (arrives, no answer), - (lost), ? (unknown); a request
 * delivered elsewhere than the target (DNAT) is marked with > and listed
 * below. JSON (schema opentop-reach/1): classes, endpoints and one result per
 * pair, address and class.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cliopt.h"
#include "cli/otc.h"
#include "reach/reach.h"

static json_t *result_json(const struct ot_reach *r, size_t a, size_t b, const struct ot_addr *to,
			   const char *cls, const struct ot_reach_result *res)
{
	char s[OT_ADDR_STRLEN];
	json_t *o = json_object();

	ot_addr_format(to, s, sizeof(s));
	json_object_set_new(o, "from", json_string(ot_reach_endpoint(r, a)->name));
	json_object_set_new(o, "to", json_string(ot_reach_endpoint(r, b)->name));
	json_object_set_new(o, "addr", json_string(s));
	json_object_set_new(o, "class", json_string(cls));
	json_object_set_new(o, "verdict", json_string(ot_reach_verdict_name(res->verdict)));
	if (res->delivered_to >= 0) {
		json_object_set_new(
		    o, "delivered_to",
		    json_string(ot_reach_endpoint(r, (size_t)res->delivered_to)->name));
		if (res->delivered_port)
			json_object_set_new(o, "delivered_port", json_integer(res->delivered_port));
	}
	json_object_set_new(o, "why", json_string(res->why));
	return o;
}

static int endpoints_json(const struct ot_reach *r, json_t *root)
{
	json_t *eps = json_array();
	size_t i, k;

	for (i = 0; i < ot_reach_nendpoints(r); i++) {
		const struct ot_reach_endpoint *e = ot_reach_endpoint(r, i);
		json_t *o = json_object(), *addrs = json_array();
		char s[OT_ADDR_STRLEN];

		for (k = 0; k < e->naddrs; k++) {
			ot_addr_format(&e->addrs[k], s, sizeof(s));
			json_array_append_new(addrs, json_string(s));
		}
		json_object_set_new(o, "name", json_string(e->name));
		json_object_set_new(o, "node", json_string(e->node));
		json_object_set_new(o, "netns", json_string(e->netns));
		json_object_set_new(o, "host", json_boolean(e->host));
		json_object_set_new(o, "addrs", addrs);
		json_array_append_new(eps, o);
	}
	return json_object_set_new(root, "endpoints", eps);
}

static int matrix(const struct ot_reach *r, bool json)
{
	const struct ot_reach_class *cls;
	size_t ncls = ot_reach_classes(r, &cls), n = ot_reach_nendpoints(r), a, b, k, c;
	json_t *root = json ? json_object() : NULL, *results = json ? json_array() : NULL;
	char name[32], notes[8192] = "";
	size_t nl = 0;

	if (json) {
		json_t *ca = json_array();

		for (c = 0; c < ncls; c++) {
			ot_reach_class_format(&cls[c], name, sizeof(name));
			json_array_append_new(ca, json_string(name));
		}
		json_object_set_new(root, "schema", json_string(OT_SCHEMA_REACH));
		json_object_set_new(root, "classes", ca);
		endpoints_json(r, root);
	} else {
		printf("%-40s", "from -> to (address)");
		for (c = 0; c < ncls; c++) {
			ot_reach_class_format(&cls[c], name, sizeof(name));
			printf(" %-9s", name);
		}
		printf("\n");
	}
	for (a = 0; a < n; a++)
		for (b = 0; b < n; b++) {
			const struct ot_reach_endpoint *t = ot_reach_endpoint(r, b);

			if (a == b)
				continue;
			for (k = 0; k < t->naddrs; k++) {
				char s[OT_ADDR_STRLEN], row[96];

				ot_addr_format(&t->addrs[k], s, sizeof(s));
				snprintf(row, sizeof(row), "%s -> %s (%s)",
					 ot_reach_endpoint(r, a)->name, t->name, s);
				if (!json)
					printf("%-40s", row);
				for (c = 0; c < ncls; c++) {
					struct ot_reach_result res;
					static const char sym[] = "-aA?";
					bool away;

					if (ot_reach_eval(r, a, &t->addrs[k], &cls[c], &res) < 0)
						return OTC_EXIT_SYSTEM;
					ot_reach_class_format(&cls[c], name, sizeof(name));
					if (json) {
						json_array_append_new(
						    results,
						    result_json(r, a, b, &t->addrs[k], name, &res));
						continue;
					}
					away =
					    res.delivered_to >= 0 && (size_t)res.delivered_to != b;
					printf(" %c%-8s", sym[res.verdict], away ? ">" : "");
					if (away && nl < sizeof(notes) - 200)
						nl += (size_t)snprintf(
						    notes + nl, sizeof(notes) - nl,
						    "  > %s %s: delivered to %s port %u\n", row,
						    name,
						    ot_reach_endpoint(r, (size_t)res.delivered_to)
							->name,
						    res.delivered_port);
				}
				if (!json)
					printf("\n");
			}
		}
	if (json) {
		char *text;

		json_object_set_new(root, "results", results);
		text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		json_decref(root);
		if (!text)
			return OTC_EXIT_SYSTEM;
		puts(text);
		free(text);
	} else {
		printf("\nA answered, a arrives without answer, - lost, ? unknown\n%s", notes);
	}
	return OTC_EXIT_OK;
}

static int explain(const struct ot_reach *r, const char *from, const char *to, const char *cls)
{
	struct ot_reach_class c;
	int a = ot_reach_endpoint_find(r, from), b = ot_reach_endpoint_find(r, to);
	const struct ot_reach_endpoint *t;
	size_t k;

	if (a < 0 || b < 0) {
		otc_error("reach: no container or uplinked host '%s'", a < 0 ? from : to);
		return OTC_EXIT_USAGE;
	}
	if (ot_reach_class_parse(cls, &c) < 0) {
		otc_error("reach: class '%s' is not icmp, tcp/PORT or udp/PORT", cls);
		return OTC_EXIT_USAGE;
	}
	t = ot_reach_endpoint(r, (size_t)b);
	for (k = 0; k < t->naddrs; k++) {
		struct ot_reach_result res;
		char s[OT_ADDR_STRLEN];

		ot_addr_format(&t->addrs[k], s, sizeof(s));
		ot_reach_eval(r, (size_t)a, &t->addrs[k], &c, &res);
		printf("%s -> %s (%s) %s: %s\n  path: %s\n", from, to, s, cls,
		       ot_reach_verdict_name(res.verdict), res.path);
		if (res.delivered_to >= 0)
			printf("  delivered to: %s%s%.0u\n",
			       ot_reach_endpoint(r, (size_t)res.delivered_to)->name,
			       res.delivered_port ? " port " : "", res.delivered_port);
		printf("  because: %s\n", res.why);
	}
	return OTC_EXIT_OK;
}

int otc_run_reach(struct otc_common *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, OTC_OPT_JSON},
	    {"explain", no_argument, NULL, 'e'},
	    {NULL, 0, NULL, 0},
	};
	bool json = false, expl = false;
	struct otc_compiled x;
	struct ot_reach *r = NULL;
	struct ot_error err = {0};
	int opt, rc, nop;

	while ((opt = otc_getopt(c, argc, argv, "e", longopts)) != -1) {
		if (opt == OTC_OPT_JSON)
			json = true;
		else if (opt == 'e')
			expl = true;
		else if (opt == 'h') {
			printf("usage: otc reach FILE [HOSTS] [--json] [--explain A B CLASS]\n");
			return OTC_EXIT_OK;
		} else
			return OTC_EXIT_USAGE;
	}
	if (json && expl) {
		ot_cli_conflict("otc: reach", "--json", "--explain",
				"are two outputs (--explain prints text)");
		return OTC_EXIT_USAGE;
	}
	nop = argc - optind;
	if (nop < 1 + 3 * expl || nop > 2 + 3 * expl) {
		otc_error("usage: otc reach FILE [HOSTS] [--json] [--explain A B CLASS]");
		return OTC_EXIT_USAGE;
	}
	if ((rc = otc_compile_files(c, argv[optind], nop == 2 + 3 * expl ? argv[optind + 1] : NULL,
				    false, &x)))
		return rc;
	if (ot_reach_new((const struct ot_plan *const *)x.out->plans, x.out->nplans, &r, &err) <
	    0) {
		otc_error("%s", err.msg);
		rc = OTC_EXIT_SYSTEM;
	} else if (expl) {
		rc = explain(r, argv[argc - 3], argv[argc - 2], argv[argc - 1]);
	} else {
		rc = matrix(r, json);
	}
	ot_reach_free(r);
	otc_compiled_free(&x);
	return rc;
}
