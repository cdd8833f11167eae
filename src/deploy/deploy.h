/*
 * deploy.h - otdeploy's engine: take one compiled plan and one otnode
 * executable per node, bound to hosts, and run an action on all of them in
 * parallel, with all-or-nothing semantics for create.
 *
 * The caller (src/cli/otdeploy.c) loads and compiles the topology and
 * builds the executables; this module connects (ssh.h), places and checks
 * the executables (remote.h), runs `otnode <action>` and, for create, the
 * preflight first and the rollback after a failure. Hosts whose target is
 * "local" run through the executor library in this process (transport_local.c).
 *
 * Stages of `create` (each one for all nodes, in parallel, before the next):
 *   1. connect, prepare <dir>/<prefix> over SFTP, upload otnode unless an
 *      otnode of ours of the same size is there already;
 *   2. preflight on every node at once (kernel features, underlay address
 *      and MTU, UDP to the VXLAN port between node pairs), in a session
 *      that first has the host compute the SHA-256 of the executable and
 *      runs nothing until otdeploy has compared it (the "gate", transport_ssh.c);
 *   3. `otnode create` (said on the preflight's session);
 *   4. if any node failed (and not keep_going): `otnode destroy` on every
 *      node where this run may have created something, so the cluster is
 *      as before; executables this run placed are taken back.
 * With every node at once, stages 1 and 2 run back to back per node.
 * Other actions run stage 1 and then the gated `otnode destroy|status|
 * verify`; a successful destroy removes otnode and its directory.
 *
 * Progress: every state change is published under the engine's lock and
 * reported to opts.notify (from worker threads: the callback must be
 * thread-safe and quick; it may read all nodes' states). Nothing here
 * prints.
 */
#ifndef OT_DEPLOY_DEPLOY_H
#define OT_DEPLOY_DEPLOY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deploy/remote.h"
#include "deploy/ssh.h"
#include "model/model.h"
#include "plan/plan.h"
#include "util/error.h"

enum ot_deploy_action {
	OT_DEPLOY_CREATE,
	OT_DEPLOY_DESTROY,
	OT_DEPLOY_STATUS,
	OT_DEPLOY_VERIFY,
	OT_DEPLOY_APPLY, /* change what runs into this topology (apply.c) */
	OT_DEPLOY_LIST,	 /* `otnode list --json` per host (a plan-less runtime) */
	OT_DEPLOY__COUNT
};

/* What a node is doing or how it ended; ot_dstate_name() gives the word. */
enum ot_dstate {
	OT_DS_PENDING,
	OT_DS_CONNECTING,
	OT_DS_PREPARING, /* remote directory checks */
	OT_DS_UPLOADING,
	OT_DS_CHECKING, /* remote SHA-256 */
	OT_DS_READY,	/* stage 1 done, waiting for the others */
	OT_DS_PREFLIGHT,
	OT_DS_CREATING,
	OT_DS_DESTROYING,
	OT_DS_QUERYING, /* status / verify */
	OT_DS_ROLLING_BACK,
	/* final states */
	OT_DS_DONE,
	OT_DS_FAILED,
	OT_DS_ROLLED_BACK, /* created, then destroyed because another node failed */
	OT_DS_SKIPPED,	   /* not attempted: another node failed first */
	OT_DS__COUNT
};

#define OT_DEPLOY_DETAIL_MAX 160

struct ot_deploy_node {
	/* inputs, set by the caller */
	const char *name;	    /* topology node */
	const struct ot_host *host; /* its hosts-file line */
	const struct ot_plan *plan;
	const void *image; /* the node's otnode executable */
	size_t image_len;
	/* apply: a host of the hosts file that the new topology leaves out.
	 * plan is a stand-in naming its prefix; image is NULL. What runs
	 * there of this instance is destroyed by its own otnode (after a
	 * probe of its runtime), and created again on a rollback (apply.c). */
	bool leaving;

	/* derived at init */
	char sha256[OT_SHA256_HEX];    /* of image; "" until ot_deploy_node_sha256 */
	char user[64];		       /* login user; "" until connected: the SSH config's */
	char addr[256];		       /* SSH host part of the target */
	char rdir[OT_REMOTE_PATH_MAX]; /* <dir>/<prefix> */
	char rexe[OT_REMOTE_PATH_MAX]; /* <dir>/<prefix>/otnode */
	bool local;		       /* target "local": in-process executor */
	bool sudo;		       /* hosts sudo=yes: rexe is the installed otnode */

	/* progress and results (under the engine lock while running) */
	enum ot_dstate state;
	char detail[OT_DEPLOY_DETAIL_MAX]; /* "1.4 MB", "reused", ... */
	struct ot_error err;		   /* why it failed (state FAILED) */
	struct ot_error rollback_err;	   /* a failed rollback, or code 0 */
	bool reused;			   /* the same otnode was already there */
	bool placed;			   /* this run uploaded otnode (ours to take back) */
	bool created;			   /* this run's create may have made objects here */
	bool started;			   /* the last otnode command got past the gate */
	bool journal_left;		   /* create may have left state we could not undo */
	int exit_status;		   /* of the last otnode command, -1 = none */
	char exit_signal[16];		   /* it was killed by this signal ("" = not) */
	char *output;			   /* its stdout (status/verify JSON), malloc'ed */
	char *errout;			   /* its stderr, malloc'ed */
	long ms_connect, ms_upload, ms_preflight, ms_action; /* durations */
	long t_begin, t_end;				     /* monotonic ms */

	/* private */
	struct ot_ssh *ssh;
	struct ot_ssh_cmd *held;	    /* preflight's session, waiting for "create" */
	char part[OT_REMOTE_PATH_MAX + 32]; /* upload name before it is checked */
	bool need_rename;		    /* part holds the candidate, not rexe */
	uint32_t uid;
	bool pf_busy;	    /* preflight: no UDP exchange here (no "ready") */
	char *plan_frame;   /* sudo, fast apply: "plan BYTES\n" + the plan's JSON (stdin) */
	bool apply_fast;    /* apply: connected only; the probe (transport_ssh.c) decides */
	bool leave_found;   /* leaving: an otnode of this instance is there */
	bool apply_creates; /* apply's check: nothing runs there, apply creates */
	size_t plan_frame_len;
	/* watch: `otnode apply --serve` in a session of ssh, kept from round
	 * to round (ot_deploy_sessions_take/give); NULL when none */
	struct ot_ssh_cmd *serve;
	void *own_image; /* image built by ot_deploy_node_image (freed at fini) */
};

/* The otnode a sudo=yes host runs when the hosts file names none. */
#define OT_DEPLOY_SUDO_OTNODE "/usr/bin/otnode"

struct ot_deploy;

struct ot_deploy_opts {
	enum ot_deploy_action action;
	unsigned parallel; /* concurrent nodes; 0 = all */
	bool keep_going;   /* no rollback after a failure */
	bool preflight;	   /* run stage 2 before create */
	bool accept_new_host_keys;
	bool local_ok;		     /* allow hosts whose target is "local" */
	const char *known_hosts;     /* NULL = ~/.ssh/known_hosts (or the SSH config's) */
	const char *ssh_config;	     /* NULL = ~/.ssh/config + /etc/ssh/ssh_config; "none" */
	unsigned connect_timeout_ms; /* 0 = 10 s */
	unsigned command_timeout_ms; /* per otnode command; 0 = 120 s */
	unsigned preflight_udp_ms;   /* UDP exchange window; 0 = 5 s */
	/* apply: leave every SSH node's otnode serving (`apply --serve`) in
	 * its session, for the next apply of otdeploy --watch */
	bool watch;
	/* Fault injection for tests: flip one byte of the upload sent to the
	 * node of this name (the remote checksum must catch it). */
	const char *fault_corrupt_upload;
	/* Set asynchronously (a signal handler) to stop: nodes not yet started
	 * are skipped and, for create, what was made is rolled back. */
	volatile int *cancel;
	/* Called after every state change, from any thread. */
	void (*notify)(void *ctx, const struct ot_deploy *d, size_t node);
	void *notify_ctx;
};

struct ot_deploy {
	struct ot_deploy_node *nodes;
	size_t nnodes;
	struct ot_deploy_opts opts;
	pthread_mutex_t lock;
	bool failed;	  /* some node failed */
	bool rolled_back; /* stage 4 ran */
	bool cancelled;	  /* opts.cancel was seen */
	long t_begin, t_end;
	/* private: apply's runtime probe: the runtime part of the images
	 * (the same for every node) and its SHA-256; rt_len 0 = none */
	const void *rt_base;
	size_t rt_len;
	char rt_sha256[OT_SHA256_HEX];
	/* verify: the class probes across nodes (xclass.c) */
	struct ot_class_verify *xclass; /* NULL when not made */
	char xclass_note[256];		/* why not made, or what stopped them */
	bool xclass_failed;		/* they should have run and could not */
	/* private: preflight rendezvous */
	pthread_cond_t cond;
	size_t pf_ready, pf_expected;
	char pf_nonce[33];
};

/* Word for a state: "connecting", "done", ... */
const char *ot_dstate_name(enum ot_dstate s);
/* True for DONE, FAILED, ROLLED_BACK, SKIPPED. */
bool ot_dstate_final(enum ot_dstate s);
/* "create", "destroy", "status", "verify". */
const char *ot_deploy_action_name(enum ot_deploy_action a);

/*
 * Prepare an engine for nodes[0..n) (the array is the caller's and must
 * outlive the engine; only the input fields need be set). Checks every
 * node: SSH target syntax, remote directory text, a local target without
 * local_ok. Returns 0, or -EINVAL naming the node.
 */
int ot_deploy_init(struct ot_deploy *d, struct ot_deploy_node *nodes, size_t n,
		   const struct ot_deploy_opts *o, struct ot_error *err);

/*
 * The node's executable: image as the caller gave it, or (a caller that
 * leaves image NULL for a node that should not need one: a watch round's
 * nodes that keep a session) built now from its plan. Call from the
 * node's worker. 0 or -errno.
 */
int ot_deploy_node_image(struct ot_deploy_node *n, struct ot_error *err);

/*
 * The node's sha256 (of image), computed on first use (the transport's
 * gate, a report): hashing every image before connecting would delay
 * every node by all of them. Call from the node's worker, or before or
 * after the run. 0 or -EIO.
 */
int ot_deploy_node_sha256(struct ot_deploy_node *n, struct ot_error *err);

/*
 * Run the action. Returns 0 when every node succeeded (for status: no
 * drift; for verify: no mismatch), -EAGAIN when some node failed (details
 * per node; after create without keep_going the others were rolled back),
 * or another negative errno for a failure of the engine itself.
 */
int ot_deploy_run(struct ot_deploy *d, struct ot_error *err);

/* Close connections, free outputs. The nodes array stays the caller's. */
void ot_deploy_fini(struct ot_deploy *d);

/*
 * The preflight rendezvous, for the transports (transport.h): every node
 * arrives once (ready or failed), waits for all, then builds its "go" line
 * ("go <nonce> <ms> <busy,nodes|->\n").
 */
void ot_deploy_pf_arrive(struct ot_deploy *d);
void ot_deploy_pf_wait_all(struct ot_deploy *d);
void ot_deploy_pf_go_line(struct ot_deploy *d, char *buf, size_t size);

/*
 * otdeploy --verify, after every node's `otnode verify`: TCP/UDP/ICMP class
 * probes between endpoints of different nodes (listeners on every node,
 * then the senders, then the listeners stopped: xclass.c), compared with
 * the oracle on all the plans. Fills d->xclass (its nfail: disagreements)
 * or d->xclass_note; returns 0 or -errno (then xclass_failed unless the
 * run cannot have them: a local node, -EOPNOTSUPP).
 */
int ot_deploy_cross_classes(struct ot_deploy *d);

/*
 * otdeploy --watch: what one apply leaves open for the next. take moves
 * every serving node's connection and session out of the engine (before
 * ot_deploy_fini, which would close them), into s[0..nnodes): returns how
 * many. give, after the next ot_deploy_init, hands each to the node of the
 * same name and plan prefix (the same hosts file is the caller's to
 * ensure); the rest are closed, as close does (EOF: otnode ends).
 */
struct ot_deploy_session {
	char node[64];
	char prefix[128];
	struct ot_ssh *ssh;
	struct ot_ssh_cmd *serve;
	char user[64];
	uint32_t uid;
};
size_t ot_deploy_sessions_take(struct ot_deploy *d, struct ot_deploy_session *s);
void ot_deploy_sessions_give(struct ot_deploy *d, struct ot_deploy_session *s, size_t n);
void ot_deploy_sessions_close(struct ot_deploy_session *s, size_t n);

/* Split an SSH target "user@host" / "host" (IPv6 may be bracketed); the
 * user is user_opt, else the target's, else "" (the SSH config decides). */
int ot_deploy_parse_target(const char *target, const char *user_opt, char *user, size_t usize,
			   char *host, size_t hsize, struct ot_error *err);

#endif
