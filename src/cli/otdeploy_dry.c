/*
 * otdeploy_dry.c - `otdeploy --dry-run --json`: what each node would get,
 * as one JSON document (schema opentop-dry-run/1, docs/otdeploy.1.md). The
 * same facts as the text dry run: where otnode would go and what it is,
 * the checks and the otnode command that would run, the plan's size by
 * operation kind. Nothing is contacted: every value comes from the hosts
 * file, the compiled plans and the built images (ot_deploy_init).
 */
#include <jansson.h>

#include "cli/otdeploy.h"
#include "plan/plan.h"

/* The remote side of one node: target, port, directory, executable. */
static void remote_json(const struct ot_deploy *d, const struct ot_deploy_node *n, json_t *o)
{
	char target[340];

	if (n->local) {
		json_object_set_new(o, "target", json_string("local"));
		return;
	}
	snprintf(target, sizeof(target), "%s%s%s", n->user, n->user[0] ? "@" : "", n->addr);
	json_object_set_new(o, "target", json_string(target));
	json_object_set_new(o, "port", json_integer(n->host->ssh_port ? n->host->ssh_port : 22));
	json_object_set_new(o, "ssh_config",
			    d->opts.ssh_config ? json_string(d->opts.ssh_config) : json_null());
	json_object_set_new(o, "known_hosts",
			    d->opts.known_hosts ? json_string(d->opts.known_hosts) : json_null());
	/* sudo=yes: no directory; otnode is the installed one, run by sudo */
	json_object_set_new(o, "sudo", json_boolean(n->sudo));
	json_object_set_new(o, "directory", n->sudo ? json_null() : json_string(n->rdir));
	json_object_set_new(o, "otnode", json_string(n->rexe));
	json_object_set_new(o, "otnode_bytes", json_integer((json_int_t)n->image.len));
	json_object_set_new(o, "sha256", json_string(n->sha256));
}

/* The plan's size: namespaces, operations (in all and by kind), probes. */
static json_t *plan_json(const struct ot_plan *p)
{
	json_t *o = json_object(), *kinds = json_object();
	size_t counts[OT_OP__COUNT] = {0}, k;

	if (!o || !kinds) {
		json_decref(o);
		json_decref(kinds);
		return NULL;
	}
	for (k = 0; k < p->nops; k++)
		counts[p->ops[k].kind]++;
	for (k = 0; k < OT_OP__COUNT; k++)
		if (counts[k])
			json_object_set_new(kinds, ot_op_kind_name(k),
					    json_integer((json_int_t)counts[k]));
	json_object_set_new(o, "prefix", json_string(p->prefix));
	json_object_set_new(o, "namespaces", json_integer((json_int_t)p->nns));
	json_object_set_new(o, "ops", json_integer((json_int_t)p->nops));
	json_object_set_new(o, "ops_by_kind", kinds);
	json_object_set_new(o, "probes", json_integer((json_int_t)p->nprobes));
	return o;
}

json_t *otdeploy_dry_run_json(const struct ot_deploy *d, const char *topology)
{
	enum ot_deploy_action a = d->opts.action;
	json_t *root = json_object(), *nodes = json_array();
	size_t i;

	if (!root || !nodes) {
		json_decref(root);
		json_decref(nodes);
		return NULL;
	}
	json_object_set_new(root, "action", json_string(ot_deploy_action_name(a)));
	json_object_set_new(root, "topology", json_string(topology));
	json_object_set_new(
	    root, "rollback",
	    json_boolean((a == OT_DEPLOY_CREATE || a == OT_DEPLOY_APPLY) && !d->opts.keep_going));
	for (i = 0; i < d->nnodes; i++) {
		const struct ot_deploy_node *n = &d->nodes[i];
		const struct ot_plan *p = n->plan;
		json_t *o = json_object();
		char ub[OT_ADDR_STRLEN];

		if (!o || json_array_append_new(nodes, o) < 0) {
			json_decref(root);
			json_decref(nodes);
			return NULL;
		}
		json_object_set_new(o, "node", json_string(n->name));
		json_object_set_new(o, "local", json_boolean(n->local));
		remote_json(d, n, o);
		if (a == OT_DEPLOY_CREATE && d->opts.preflight) {
			ot_addr_format(&p->underlay, ub, sizeof(ub));
			json_object_set_new(
			    o, "preflight",
			    json_pack("{s:o, s:I}", "underlay",
				      p->underlay.family ? json_string(ub) : json_null(), "mtu",
				      (json_int_t)(p->underlay_mtu ? p->underlay_mtu : 1500)));
		} else {
			json_object_set_new(o, "preflight", json_null());
		}
		json_object_set_new(o, "command", json_string(ot_deploy_action_name(a)));
		json_object_set_new(o, "plan", plan_json(p));
	}
	json_object_set_new(root, "nodes", nodes);
	return root;
}
