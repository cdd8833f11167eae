/*
 * transport.h - inside src/deploy: how the engine (deploy.c) reaches a
 * node. One table per transport, so the stage logic is written once:
 *
 *   transport_ssh.c    over SSH (libssh): place otnode, run it behind a
 *                      checksum gate;
 *   transport_local.c  hosts whose target is "local": the executor library
 *                      in this process, no SSH, no executable to ship.
 *
 * Every operation works on node i of the engine, returns 0 or -errno with
 * the reason in the node's err, and leaves what otnode printed in the
 * node's output / errout / exit_status (the local transport shapes its
 * results the same way). Also here: the engine's helpers the transports
 * use. Not installed, not used outside src/deploy.
 */
#ifndef OT_DEPLOY_TRANSPORT_H
#define OT_DEPLOY_TRANSPORT_H

#include <stddef.h>

#include "deploy/deploy.h"

#define OT_DEPLOY_MARGIN_MS 5000u /* local deadline past the remote timeout(1) */
#define OT_DEPLOY_READY_MS  30000u

struct ot_deploy_transport {
	/* stage 1: reach the node and make its otnode available */
	int (*open)(struct ot_deploy *d, size_t i);
	/* run `otnode VERB ARGS`: output, errout and exit_status filled */
	int (*action)(struct ot_deploy *d, size_t i, const char *verb, const char *args);
	/* preflight with the UDP rendezvous (ot_deploy_pf_*, deploy.h) */
	int (*preflight)(struct ot_deploy *d, size_t i);
	/* take back what open placed (or NULL) */
	int (*unplace)(struct ot_deploy *d, size_t i);
	/* start `otnode VERB` behind the gate, stdin and stdout kept open
	 * for the caller (xclass.c); NULL where there is no session */
	int (*session)(struct ot_deploy *d, size_t i, const char *verb, struct ot_ssh_cmd **ret);
};

extern const struct ot_deploy_transport ot_deploy_ssh_transport;
extern const struct ot_deploy_transport ot_deploy_local_transport;

/* SSH: close a session held open after the preflight, without creating
 * (nothing runs; no-op when none is held). */
void ot_deploy_ssh_release(struct ot_deploy_node *n);

/* SSH, watch: end a serving `otnode apply --serve` session (EOF: it exits,
 * changing nothing) and free it; NULL is a no-op. The caller forgets it
 * (a node's serve, and held when it is the same). */
void ot_deploy_ssh_serve_end(struct ot_ssh_cmd *serve);

/* SSH: `otnode apply --check` in a session then held for `otnode apply`
 * (ssh_action with verb "apply" says the word); see transport_ssh.c. */
int ot_deploy_ssh_apply_check(struct ot_deploy *d, size_t i);

/* SSH, apply: a host the new topology leaves (deploy.h: leaving). verb
 * NULL: check what is there (n->leave_found); else run `otnode VERB` (its
 * own plan: destroy, or create on a rollback) behind a probe of its
 * runtime; see transport_ssh.c. */
int ot_deploy_ssh_leave(struct ot_deploy *d, size_t i, const char *verb);

/* Publish a state change of node i (fmt NULL: keep the detail). */
void ot_deploy_set_state(struct ot_deploy *d, size_t i, enum ot_dstate s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The last non-empty line of a command's stderr, for a one-line reason
 * (otnode's "otnode: " prefix dropped). */
void ot_deploy_last_line(const char *text, char *buf, size_t size);

/*
 * The engine's stages for apply.c, which runs `apply` with stages of its
 * own: run fn on every picked node (opts.parallel at once); stage 1 for
 * one node; a node's failure; the reason an otnode command failed; a
 * cancel seen.
 */
int ot_deploy_stage(struct ot_deploy *d, void (*fn)(struct ot_deploy *d, size_t i),
		    const bool *pick, struct ot_error *err);
void ot_deploy_stage_open(struct ot_deploy *d, size_t i);
void ot_deploy_fail(struct ot_deploy *d, size_t i, int rc, const struct ot_error *e);
int ot_deploy_otnode_failed(struct ot_deploy_node *n, const char *verb);
bool ot_deploy_cancelled(struct ot_deploy *d, size_t i);
/* The end of a run: free pick, stamp the end, and ot_deploy_run's return
 * (rc when negative, -EINTR when cancelled, -EAGAIN when a node failed). */
int ot_deploy_end(struct ot_deploy *d, bool *pick, int rc);
/* pick[i] = node i neither failed nor was skipped; returns how many. */
size_t ot_deploy_pick_alive(struct ot_deploy *d, bool *pick);

/* Undo an action on node i with `otnode VERB ARGS` (reconnecting when
 * needed), keeping what the action reported (output, errout, exit status,
 * err). 0, or the failure in n->rollback_err. */
int ot_deploy_undo_cmd(struct ot_deploy *d, size_t i, const char *verb, const char *args);

/* `otdeploy --apply` (apply.c): ot_deploy_run's body for OT_DEPLOY_APPLY. */
int ot_deploy_apply_run(struct ot_deploy *d, struct ot_error *err);

#endif
