/*
 * inspect.c - the --status table and the --list report (contract in
 * inspect.h).
 */
#include "deploy/inspect.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Object states by how bad they are: the worst one describes a row. */
static const char *const states[] = {"ok", "drift", "missing", "unknown"};

static int rank(const char *s)
{
	size_t k;

	for (k = 0; k < sizeof(states) / sizeof(states[0]); k++)
		if (s && !strcmp(s, states[k]))
			return (int)k;
	return 3;
}

static void target_of(const struct ot_deploy_node *n, char *buf, size_t size)
{
	if (n->local)
		snprintf(buf, size, "local");
	else
		snprintf(buf, size, "%s%s%s", n->user, n->user[0] ? "@" : "", n->addr);
}

/* st[op] = rank of the op's state per `otnode status --json` (3 = unknown) */
static int *op_ranks(const struct ot_plan *p, json_t *status)
{
	int *st = malloc((p->nops ? p->nops : 1) * sizeof(*st));
	json_t *objs = json_object_get(status, "objects"), *o;
	size_t k;

	if (!st)
		return NULL;
	for (k = 0; k < p->nops; k++)
		st[k] = 3;
	json_array_foreach(objs, k, o)
	{
		json_int_t op = json_integer_value(json_object_get(o, "op"));

		if (op >= 0 && (size_t)op < p->nops)
			st[op] = rank(json_string_value(json_object_get(o, "state")));
	}
	return st;
}

static int max_i(int a, int b)
{
	return a > b ? a : b;
}

/* The interfaces of container namespace ns: links made in it and veth
 * peers put into it, each with its addresses. */
static json_t *interfaces(const struct ot_plan *p, int ns, const int *st, bool created, int *worst)
{
	json_t *arr = json_array();
	size_t k, m;

	for (k = 0; arr && k < p->nops; k++) {
		const struct ot_op *op = &p->ops[k];
		const char *name = NULL;
		json_t *e, *addrs;
		int r;

		if (op->kind != OT_OP_LINK)
			continue;
		if (op->ns == ns)
			name = op->link.name;
		else if (op->link.kind == OT_LINK_VETH && op->link.peer_ns == ns)
			name = op->link.peer_name;
		if (!name)
			continue;
		r = st[k];
		addrs = json_array();
		for (m = 0; m < p->nops; m++) {
			const struct ot_op *a = &p->ops[m];
			char buf[OT_PREFIX_STRLEN];

			if (a->kind != OT_OP_ADDR || a->ns != ns || strcmp(a->addr.dev, name))
				continue;
			ot_prefix_format(&a->addr.addr, buf, sizeof(buf));
			json_array_append_new(addrs, json_string(buf));
			r = max_i(r, st[m]);
		}
		*worst = max_i(*worst, r);
		e = json_object();
		json_object_set_new(e, "name", json_string(name));
		json_object_set_new(e, "addresses", addrs);
		json_object_set_new(e, "state", json_string(created ? states[r] : "not created"));
		json_array_append_new(arr, e);
	}
	return arr;
}

/* {"schema": schema, key: []}; *arr borrows the array. NULL when out of memory. */
static json_t *doc_new(const char *schema, const char *key, json_t **arr)
{
	json_t *root = json_object();

	*arr = json_array();
	if (!root || !*arr || json_object_set_new(root, key, *arr) < 0) {
		json_decref(root);
		return NULL;
	}
	json_object_set_new(root, "schema", json_string(schema));
	return root;
}

json_t *ot_inspect_status_json(const struct ot_deploy *d)
{
	json_t *rows, *root = doc_new(OT_SCHEMA_INSPECT, "containers", &rows);
	char tb[OT_REMOTE_PATH_MAX];
	size_t i, k;

	if (!root)
		return NULL;
	for (i = 0; i < d->nnodes; i++) {
		const struct ot_deploy_node *n = &d->nodes[i];
		const struct ot_plan *p = n->plan;
		json_t *status = n->output ? json_loads(n->output, 0, NULL) : NULL;
		bool created = !status || json_is_true(json_object_get(status, "created"));
		int *st = op_ranks(p, status);

		target_of(n, tb, sizeof(tb));
		for (k = 0; st && k < p->nns; k++) {
			const struct ot_plan_ns *ns = &p->ns[k];
			json_t *row;
			size_t o;
			int worst = 0;

			if (ns->role != OT_NS_CONTAINER)
				continue;
			for (o = 0; o < p->nops; o++)
				if (p->ops[o].kind == OT_OP_NETNS && p->ops[o].ns == (int)k)
					worst = max_i(worst, st[o]);
			row = json_object();
			json_object_set_new(row, "node", json_string(n->name));
			json_object_set_new(row, "target", json_string(tb));
			json_object_set_new(row, "container", json_string(ns->container));
			json_object_set_new(row, "netns", json_string(ns->name));
			json_object_set_new(row, "interfaces",
					    interfaces(p, (int)k, st, created, &worst));
			json_object_set_new(row, "state",
					    json_string(created ? states[worst] : "not created"));
			json_array_append_new(rows, row);
		}
		free(st);
		json_decref(status);
	}
	return root;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? s : "-";
}

void ot_inspect_status_text(const struct ot_deploy *d, struct ot_strbuf *out)
{
	json_t *root = ot_inspect_status_json(d), *rows, *row, *ifs, *ifc, *a;
	size_t i, k, m;

	if (!root)
		return;
	rows = json_object_get(root, "containers");
	ot_sb_printf(out, "%-8s %-12s %-24s %-10s %-22s %s\n", "NODE", "CONTAINER", "NETNS",
		     "INTERFACE", "ADDRESSES", "STATE");
	json_array_foreach(rows, i, row)
	{
		ifs = json_object_get(row, "interfaces");
		if (!json_array_size(ifs))
			ot_sb_printf(out, "%-8s %-12s %-24s %-10s %-22s %s\n", str(row, "node"),
				     str(row, "container"), str(row, "netns"), "-", "-",
				     str(row, "state"));
		json_array_foreach(ifs, k, ifc)
		{
			struct ot_strbuf ab = OT_STRBUF_INIT;

			json_array_foreach(json_object_get(ifc, "addresses"), m, a)
			    ot_sb_printf(&ab, "%s%s", m ? "," : "", json_string_value(a));
			ot_sb_printf(out, "%-8s %-12s %-24s %-10s %-22s %s\n", str(row, "node"),
				     str(row, "container"), str(row, "netns"), str(ifc, "name"),
				     ab.len ? ot_sb_str(&ab) : "-", str(ifc, "state"));
			ot_sb_free(&ab);
		}
	}
	json_decref(root);
}

json_t *ot_inspect_list_json(const struct ot_deploy *d)
{
	json_t *hosts, *root = doc_new(OT_SCHEMA_LIST, "hosts", &hosts);
	char tb[OT_REMOTE_PATH_MAX];
	size_t i;

	if (!root)
		return NULL;
	for (i = 0; i < d->nnodes; i++) {
		const struct ot_deploy_node *n = &d->nodes[i];
		json_t *h = json_object(), *l = NULL, *inst;

		target_of(n, tb, sizeof(tb));
		json_object_set_new(h, "node", json_string(n->name));
		json_object_set_new(h, "target", json_string(tb));
		json_object_set_new(h, "result", json_string(ot_dstate_name(n->state)));
		if (n->state == OT_DS_DONE && n->output)
			l = json_loads(n->output, 0, NULL);
		inst = json_object_get(l, "instances");
		if (n->state != OT_DS_DONE)
			json_object_set_new(h, "error", json_string(n->err.msg));
		else if (!json_is_array(inst))
			json_object_set_new(h, "error", json_string("otnode list said no list"));
		if (json_is_array(inst))
			json_object_set(h, "instances", inst);
		else
			json_object_set_new(h, "instances", json_array());
		json_decref(l);
		json_array_append_new(hosts, h);
	}
	return root;
}

void ot_inspect_list_text(const struct ot_deploy *d, struct ot_strbuf *out)
{
	json_t *root = ot_inspect_list_json(d), *h, *e;
	size_t i, k;

	if (!root)
		return;
	ot_sb_printf(out, "%-8s %-16s %-24s %-10s %-20s %-12s %s\n", "HOST", "TOPOLOGY", "INSTANCE",
		     "NODE", "CREATED (UTC)", "BY", "STATE");
	json_array_foreach(json_object_get(root, "hosts"), i, h)
	{
		json_t *inst = json_object_get(h, "instances");

		if (json_object_get(h, "error")) {
			ot_sb_printf(out, "%-8s (failed: %s)\n", str(h, "node"), str(h, "error"));
			continue;
		}
		if (!json_array_size(inst))
			ot_sb_printf(out, "%-8s (nothing)\n", str(h, "node"));
		json_array_foreach(inst, k, e) ot_sb_printf(
		    out, "%-8s %-16s %-24s %-10s %-20s %-12s %s\n", str(h, "node"),
		    str(e, "topology"), str(e, "instance"), str(e, "node"), str(e, "created_utc"),
		    str(e, "by"),
		    json_is_true(json_object_get(e, "complete")) ? "created" : "incomplete");
	}
	json_decref(root);
}
