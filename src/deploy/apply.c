/*
 * apply.c - `otdeploy --apply NEW HOSTS`: change a running topology into
 * NEW on every node, with the engine's parallel stages (deploy.c) and the
 * node's `otnode apply` (exec/apply.c: only the difference is changed).
 *
 * Stages, each on all nodes in parallel before the next (1 and 2 back to
 * back per node):
 *   1. connect. Over SSH, when the node's otnode carries this otdeploy's
 *      runtime, nothing is placed: stage 2's probe checks the directory
 *      and that runtime in the check's own session, and the otnode there
 *      runs the new plan from stdin (transport_ssh.c); otherwise the new
 *      otnode is placed as for every action;
 *   2. `otnode apply --check` everywhere: the new plan is valid, of the
 *      instance and node that run there, and its change can be computed.
 *      One failure and nothing is applied anywhere (each node's reason in
 *      its report). A host of the hosts file that the new topology leaves
 *      out (deploy.h: leaving) is probed instead: is an otnode of this
 *      instance there, and ours to run?
 *   3. `otnode apply` everywhere (a leaving host: its otnode's destroy);
 *   4. if a node failed (and not keep_going): `otnode apply --revert` on
 *      every node where the apply started. A node that applied goes back
 *      to the plan it ran; one whose apply failed has rolled itself back
 *      (or, killed or cut off, is recovered by the revert); a node that
 *      runs anything else is left alone (exec.h: OT_APPLY_REVERT). A node
 *      the apply created (its check said "would create it") is destroyed;
 *      a leaving host's instance is created again. So the cluster runs the
 *      old topology again, everywhere;
 *   5. on success, a leaving host keeps no file of ours (as after destroy).
 * A node with nothing created yet gets its plan created by its apply.
 */
#include "deploy/transport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

static const struct ot_deploy_transport *tport(const struct ot_deploy_node *n)
{
	return n->local ? &ot_deploy_local_transport : &ot_deploy_ssh_transport;
}

/* Run `otnode apply ARGS` on node i: 0, or the failure in n->err. */
static int run_apply(struct ot_deploy *d, size_t i, const char *args, const char *verb)
{
	struct ot_deploy_node *n = &d->nodes[i];
	int rc;

	n->started = false;
	rc = tport(n)->action(d, i, "apply", args);
	if (rc == 0 && n->exit_status != 0)
		rc = ot_deploy_otnode_failed(n, verb);
	return rc;
}

static void stage_check(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	char what[OT_DEPLOY_DETAIL_MAX];
	int rc;

	if (ot_deploy_cancelled(d, i))
		return;
	ot_deploy_set_state(d, i, OT_DS_QUERYING, "otnode apply --check");
	if (n->leaving) {
		rc = ot_deploy_ssh_leave(d, i, NULL);
		if (rc < 0) {
			ot_deploy_fail(d, i, rc, &n->err);
			return;
		}
		if (n->leave_found)
			ot_deploy_set_state(d, i, OT_DS_READY,
					    "not in the topology: to be destroyed");
		else
			ot_deploy_set_state(d, i, OT_DS_DONE,
					    "not in the topology, nothing of it there");
		return;
	}
	if (n->local) {
		rc = run_apply(d, i, " --check", "apply --check");
	} else {
		/* one session for both: the check, then (held) the apply */
		rc = ot_deploy_ssh_apply_check(d, i);
		if (rc == 0 && n->exit_status != 0)
			rc = ot_deploy_otnode_failed(n, "apply --check");
	}
	if (rc < 0) {
		ot_deploy_fail(d, i, rc, &n->err);
		return;
	}
	/* otnode's check line: a node it creates is destroyed by a rollback */
	n->apply_creates = n->output && strstr(n->output, ": would create it");
	ot_deploy_last_line(n->output ? n->output : "", what, sizeof(what));
	ot_deploy_set_state(d, i, OT_DS_READY, "%s", what);
}

/* Stages 1 and 2 back to back for one node: its check need not wait for
 * the slowest upload (the barrier before stage 3 waits for every check). */
static void stage_open_check(struct ot_deploy *d, size_t i)
{
	ot_deploy_stage_open(d, i);
	if (d->nodes[i].state == OT_DS_READY)
		stage_check(d, i);
}

static void stage_apply(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	char what[OT_DEPLOY_DETAIL_MAX];
	long t0 = ot_mono_ms();
	int rc;

	if (ot_deploy_cancelled(d, i) || n->state == OT_DS_DONE)
		return;
	if (n->leaving) {
		ot_deploy_set_state(d, i, OT_DS_DESTROYING, "otnode destroy: not in the topology");
		n->started = false;
		rc = ot_deploy_ssh_leave(d, i, "destroy");
		if (rc == 0 && n->exit_status != 0)
			rc = ot_deploy_otnode_failed(n, "destroy");
	} else {
		ot_deploy_set_state(d, i, OT_DS_CREATING, "otnode apply");
		rc = run_apply(d, i, "", "apply");
	}
	n->ms_action = ot_mono_ms() - t0;
	n->created = n->started; /* may have changed something: revert it */
	if (rc < 0) {
		ot_deploy_fail(d, i, rc, &n->err);
		return;
	}
	ot_deploy_last_line(n->errout ? n->errout : "", what, sizeof(what));
	ot_deploy_set_state(d, i, OT_DS_DONE, "%s%s", n->leaving ? "not in the topology: " : "",
			    what);
}

static void stage_revert(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];
	bool was_done = n->state == OT_DS_DONE;
	int rc;

	if (was_done)
		ot_deploy_set_state(d, i, OT_DS_ROLLING_BACK, "%s",
				    n->leaving ? "otnode create" : "otnode apply --revert");
	if (n->leaving) { /* destroyed: made again, from the plan it carries */
		rc = ot_deploy_ssh_leave(d, i, "create");
		if (rc == 0 && n->exit_status != 0)
			rc = ot_deploy_otnode_failed(n, "create");
		if (rc < 0)
			n->rollback_err = n->err;
	} else if (n->apply_creates) { /* created by the apply: destroyed */
		rc = ot_deploy_undo_cmd(d, i, "destroy", "");
		if (rc == 0 && n->placed && tport(n)->unplace)
			(void)tport(n)->unplace(d, i); /* as create's rollback */
	} else {
		/* the otnode there carries the plan it applied (--save-plan):
		 * it goes back to carrying the one it reverts to (sudo: the
		 * installed otnode is never rewritten) */
		rc = ot_deploy_undo_cmd(d, i, "apply",
					n->sudo ? " --revert" : " --revert --save-plan");
	}
	if (rc < 0) {
		n->journal_left = true;
		if (was_done) {
			n->err = n->rollback_err;
			ot_error_prefix(&n->err, n->err.code, "revert");
		}
		ot_deploy_set_state(d, i, OT_DS_FAILED,
				    "revert failed: a mix of old and new may be left");
		return;
	}
	if (was_done)
		ot_deploy_set_state(d, i, OT_DS_ROLLED_BACK, "%s",
				    n->leaving
					? "destroyed, then created again: another node failed"
					: "applied, then reverted: another node failed");
	else
		ot_deploy_set_state(d, i, OT_DS_FAILED, "%s (rolled back)", n->err.msg);
}

static void stage_unplace(struct ot_deploy *d, size_t i)
{
	struct ot_deploy_node *n = &d->nodes[i];

	if (ot_deploy_ssh_transport.unplace(d, i) < 0)
		ot_deploy_set_state(d, i, OT_DS_DONE, "destroyed; '%s' left: %s", n->rdir,
				    n->err.msg);
}

/* Nodes not finished yet are skipped, with why; sessions held are closed. */
static void skip_all(struct ot_deploy *d, const char *why)
{
	size_t i;

	for (i = 0; i < d->nnodes; i++) {
		if (!ot_dstate_final(d->nodes[i].state))
			ot_deploy_set_state(d, i, OT_DS_SKIPPED, "%s", why);
		ot_deploy_ssh_release(&d->nodes[i]);
	}
}

static bool interrupted(struct ot_deploy *d)
{
	if (d->opts.cancel && *d->opts.cancel)
		d->cancelled = true;
	return d->cancelled;
}

int ot_deploy_apply_run(struct ot_deploy *d, struct ot_error *err)
{
	bool *pick = calloc(d->nnodes ? d->nnodes : 1, sizeof(*pick));
	size_t i;
	int rc;

	if (!pick)
		return ot_error_set(err, -ENOMEM, "out of memory");
	d->t_begin = ot_mono_ms();
	for (i = 0; i < d->nnodes; i++)
		pick[i] = true;

	/* 1 and 2: reach every node, place the new otnode, check the new plan
	 * against what runs there (one after the other per node) */
	rc = ot_deploy_stage(d, stage_open_check, pick, err);
	if (rc < 0)
		goto out;
	if (d->failed || interrupted(d)) {
		skip_all(d, d->cancelled
				? "interrupted"
				: "not applied: another node failed (connect, upload or check)");
		goto out;
	}
	/* 3: apply */
	ot_deploy_pick_alive(d, pick);
	rc = ot_deploy_stage(d, stage_apply, pick, err);
	if (rc < 0)
		goto out;
	/* 4: all or nothing */
	if ((d->failed || interrupted(d)) && !d->opts.keep_going) {
		for (i = 0; i < d->nnodes; i++)
			pick[i] = d->nodes[i].created;
		d->rolled_back = true;
		rc = ot_deploy_stage(d, stage_revert, pick, err);
	} else if (!d->failed) {
		/* 5: a node that left keeps no file of ours (as after destroy) */
		for (i = 0; i < d->nnodes; i++)
			pick[i] = d->nodes[i].leaving && d->nodes[i].created;
		rc = ot_deploy_stage(d, stage_unplace, pick, err);
	}
out:
	return ot_deploy_end(d, pick, rc);
}
