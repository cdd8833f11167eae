/*
 * transport_local.c - the in-process transport (contract in transport.h):
 * nodes whose hosts-file target is "local" are built on this machine with
 * no SSH and no executable to ship, in the same three steps as over SSH
 * (open, preflight, action). The executor library and the preflight run
 * in the worker thread itself (the executor switches only the calling
 * thread's namespaces, and back). Results are shaped like otnode's: JSON
 * on "stdout", one reason per line on "stderr", exit status 0 / 1.
 */
#include "deploy/transport.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy.h"
#include "exec/exec.h"
#include "exec/preflight.h"
#include "util/strbuf.h"

static void set_out(struct ot_deploy_node *n, json_t *j, const char *text, int status)
{
	free(n->output);
	free(n->errout);
	n->output = j ? json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	n->errout = strdup(text ? text : "");
	n->exit_status = status;
	json_decref(j);
}

static int local_open(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];

	return ot_plan_validate(n->plan, &n->err);
}

static int local_action(struct ot_deploy *d, size_t i, const char *verb, const char *args)
{
	struct ot_deploy_node *n = &d->nodes[i];
	struct ot_exec_opts xo = {0};
	struct ot_exec_result res = {0};
	struct ot_error e = {0};
	int rc;

	n->started = true;
	if (!strcmp(verb, "create")) {
		rc = ot_exec_create(n->plan, &xo, &res, &e);
		set_out(n, NULL, rc < 0 ? e.msg : "", rc < 0 ? 1 : 0);
	} else if (!strcmp(verb, "destroy")) {
		rc = ot_exec_destroy(n->plan->state_dir, &xo, &res, &e);
		if (rc == -ENOENT)
			rc = 0; /* nothing there: nothing to do */
		set_out(n, NULL, rc < 0 ? e.msg : "", rc < 0 ? 1 : 0);
	} else if (!strcmp(verb, "apply")) {
		unsigned flags = strstr(args, "--check")    ? OT_APPLY_CHECK
				 : strstr(args, "--revert") ? OT_APPLY_REVERT
							    : 0;
		char line[160];

		rc = ot_exec_apply(n->plan, &xo, flags, &res, &e);
		snprintf(line, sizeof(line), "%s: %u added, %u removed, %u updated", n->plan->node,
			 res.added, res.removed, res.updated);
		set_out(n, NULL, rc < 0 ? e.msg : line, rc < 0 ? 1 : 0);
		if (rc == 0 && flags & OT_APPLY_CHECK) {
			free(n->output);
			n->output = strdup(line); /* otnode prints it on stdout */
		}
	} else if (!strcmp(verb, "status")) {
		struct ot_status *st = NULL;

		rc = ot_exec_status(n->plan, &xo, &st, &e);
		if (rc < 0) {
			set_out(n, NULL, e.msg, 3);
		} else {
			set_out(n, ot_status_to_json(n->plan, st), "",
				st->nmissing || st->ndrift ? 1 : 0);
			ot_status_free(st);
		}
	} else if (!strcmp(verb, "verify")) {
		struct ot_verify *v = NULL;

		rc = ot_exec_verify(n->plan, &xo, OT_VERIFY_REMOTE, 0, &v, &e);
		if (rc < 0) {
			set_out(n, NULL, e.msg, 3);
		} else {
			set_out(n, ot_verify_to_json(n->plan, v), "",
				v->nfail ||
					(v->status && (v->status->nmissing || v->status->ndrift))
				    ? 1
				    : 0);
			ot_verify_free(v);
		}
	} else if (!strcmp(verb, "list")) {
		json_t *l = ot_exec_list_json(NULL, false, &e);

		set_out(n, l, l ? "" : e.msg, l ? 0 : 3);
	} else {
		return ot_error_set(&n->err, -EINVAL, "unknown action '%s'", verb);
	}
	return n->output || n->errout ? 0 : ot_error_set(&n->err, -ENOMEM, "out of memory");
}

static int local_preflight(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	struct ot_strbuf report = OT_STRBUF_INIT;
	struct ot_preflight *pf = NULL;
	char go[4096], nonce[80], skip[4000];
	unsigned ms = 0;
	char *tok, *save;
	int rc;

	rc = ot_preflight_prepare(n->plan, &pf, &n->err);
	if (rc < 0 || ot_preflight_busy(pf))
		n->pf_busy = true; /* the others do not wait for us */
	ot_deploy_pf_arrive(d);
	ot_deploy_pf_wait_all(d);
	if (rc < 0)
		return rc;
	ot_deploy_pf_go_line(d, go, sizeof(go));
	if (sscanf(go, "go %79s %u %3999s", nonce, &ms, skip) != 3) {
		ot_preflight_free(pf);
		return ot_error_set(&n->err, -EPROTO, "bad go line");
	}
	for (tok = strtok_r(skip, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strcmp(tok, "-"))
			ot_preflight_skip_peer(pf, tok);
	rc = ot_preflight_exchange(pf, nonce, ms, &n->err);
	if (rc == 0) {
		ot_preflight_report(pf, &report);
		set_out(n, ot_preflight_to_json(pf), ot_sb_str(&report),
			ot_preflight_ok(pf) ? 0 : 1);
	}
	ot_sb_free(&report);
	ot_preflight_free(pf);
	return rc;
}

const struct ot_deploy_transport ot_deploy_local_transport = {
    .open = local_open,
    .action = local_action,
    .preflight = local_preflight,
    .unplace = NULL,
};
