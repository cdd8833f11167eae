/*
 * exec.h - the node executor: makes a node plan real on this kernel, reports
 * and verifies it, enters its containers, and removes it without a trace.
 *
 * One library for three callers: otnode (src/cli/otnode.c), otdeploy's local
 * mode and the SPANK plugin inside slurmstepd. Hence: nothing here prints or
 * exits; there is no global state (every call builds and frees its own
 * context, so calling twice in one process is fine); every fd is O_CLOEXEC;
 * errors follow util/error.h and name the node, the object and the operation
 * ("n1: create vxlan 'vx100' (VNI 100) in demo.n1: File exists (kernel: A
 * VXLAN device with the specified VNI already exists)").
 *
 * Namespace index 0 ("host") is the network namespace of the calling thread
 * when the call starts, not necessarily PID 1's: on a simulated host otnode
 * runs inside that host's namespace. Named namespaces are made exactly the
 * way iproute2 makes them (/run/netns, a shared mount point, one bind mount
 * of the nsfs file per namespace), so `ip netns exec`, `ip -n` and nsenter
 * work on them.
 *
 * Threads: create/destroy/status/verify switch the calling thread's network
 * namespace (setns) and always switch it back. ot_exec_enter() changes the
 * caller for good and, for the mount namespace, needs a single-threaded
 * caller (unshare(CLONE_NEWNS) refuses a shared fs_struct).
 */
#ifndef OT_EXEC_EXEC_H
#define OT_EXEC_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan/plan.h"
#include "util/error.h"

struct json_t;

/*
 * Options; a zeroed struct means the defaults.
 *
 * step_hook: called around every change the executor makes to the system,
 * with a running step number (1, 2, ...) and a description: once with
 * phase 0 after the change was journalled and before it is made, once with
 * phase 1 after it was made and before it is marked done. Returning a
 * negative errno at phase 0 makes that change fail as if the kernel had
 * refused it (fault injection: create then rolls back). A front end may
 * also end the process there (otnode's OTNODE_FAULT_KILL_AT).
 */
struct ot_exec_opts {
	int (*step_hook)(void *ctx, unsigned step, int phase, const char *what);
	/* One line per notable event ("created 12 objects"), no newline. */
	void (*progress)(void *ctx, const char *line);
	void *ctx; /* of both callbacks */
	/* destroy: leave the devices inside our namespaces (VXLAN) to the
	 * kernel's batched, asynchronous teardown of those namespaces instead
	 * of deleting each one first, which waits for an RCU grace period per
	 * device (20-40 ms each). Their VNIs are then released only once that
	 * teardown has run, a little after the call returns (milliseconds to
	 * tens of ms): a create with the same VNI before then fails with
	 * -EADDRINUSE. For callers whose next instance uses other VNIs (the SPANK
	 * plugin: one VNI window per step). */
	bool async_devices;
	/* create: who asks, recorded in the journal for `otnode list` (the
	 * sudo or login user); NULL = "" (the uid is recorded anyway). */
	const char *by;
	/* create: the uid recorded instead of the caller's real uid when
	 * has_uid (the SPANK plugin: the job's user, not slurmstepd's root),
	 * and the batch job that asks ("JOB.STEP"; NULL = ""). */
	bool has_uid;
	unsigned uid;
	const char *job;
	/* apply: the running plan remembered from call to call (below);
	 * NULL = read state_dir/plan.json every time. */
	struct ot_apply_memo *memo;
};

/*
 * The plan a node runs, remembered between calls of ot_exec_apply by a
 * caller that checks and applies plan after plan in one process (`otnode
 * apply --serve`): used instead of reading and parsing state_dir/plan.json
 * while that file is the one it was taken from (same device, inode, size
 * and modification time; every store renames a new file into place). The
 * plan is either own (read by ot_exec_apply; freed by ot_apply_memo_clear)
 * or the p of the last successful apply, which stays the caller's: while
 * ot_apply_memo_holds(m, p), p must stay alive. Zero-initialise.
 */
struct ot_apply_memo {
	struct ot_plan *own;
	const struct ot_plan *plan;
	char state_dir[512];
	unsigned long long dev, ino, size;
	long long mtime_ns;
};
void ot_apply_memo_clear(struct ot_apply_memo *m);
bool ot_apply_memo_holds(const struct ot_apply_memo *m, const struct ot_plan *p);

struct ot_exec_result {
	unsigned steps;	  /* changes made (create) or undone (destroy) */
	unsigned objects; /* objects created / removed */
	unsigned killed;  /* destroy: processes ended inside our namespaces */
	bool rolled_back; /* create failed and undid what it made */
	/* apply: */
	unsigned added, removed, updated; /* objects made, removed, changed in place */
	bool created;			  /* nothing ran: the plan was created (check: would be) */
	bool recovered;			  /* an interrupted apply was undone first */
	bool reverted;			  /* OT_APPLY_REVERT went back */
};

/*
 * Build the plan on this node: run its operations in order, each journalled
 * before it is made. On failure everything made so far is removed again
 * (rollback, from the journal) and the first error is returned with context.
 * A VXLAN whose VNI another device on this node holds gives -EADDRINUSE.
 * A plan already created (journal present) gives -EEXIST "already created".
 * The plan must be bound (ot_plan_bound) and valid. res may be NULL. Needs root
 * (CAP_SYS_ADMIN, CAP_NET_ADMIN).
 */
int ot_exec_create(const struct ot_plan *p, const struct ot_exec_opts *opts,
		   struct ot_exec_result *res, struct ot_error *err);

/*
 * Remove what create made, from state_dir's journal alone (the plan is not
 * needed: works after a crash or SIGKILL of create). Order: host nftables
 * tables and VXLAN devices (their VNI is then free at once), container
 * namespaces, switch namespaces, host links, host sysctls restored to their
 * journalled values, cgroups. Processes still inside a container or its
 * cgroup are ended first (SIGTERM, then SIGKILL 2 s later) and
 * counted in res->killed. Only objects the journal marks ours are touched: a
 * host link must still carry our alias or ifindex, an nft table our tag.
 * Namespace teardown is asynchronous in the kernel: the call returns once
 * the names are gone (with opts->async_devices, the VXLAN devices inside
 * them and their VNIs go with that asynchronous teardown too). Returns 0, -ENOENT when there is no
 * journal, or the first error (it still tries every other object; the journal is kept so a second
 * destroy can finish).
 */
int ot_exec_destroy(const char *state_dir, const struct ot_exec_opts *opts,
		    struct ot_exec_result *res, struct ot_error *err);

/* ---- apply: change a created plan into another ---- */

#define OT_APPLY_CHECK	(1u << 0) /* validate and compute the change; change nothing */
#define OT_APPLY_REVERT (1u << 1) /* a node running p goes back to the plan before it */

/*
 * Make the node run plan p instead of the plan it runs (recorded by create
 * and by every apply in p's state_dir): only the difference (plan_diff.h)
 * is removed, made, updated; untouched objects and their traffic are not
 * disturbed. Every object made is journalled as create journals it, so
 * destroy removes it. An apply killed at any point leaves the node
 * recoverable: the next apply, revert or destroy finishes the job (apply.c).
 * A failure rolls the node back to the plan it ran (res->rolled_back) and
 * returns the first error. With nothing created yet, this is
 * ot_exec_create (res->created). OT_APPLY_CHECK: only validate p, read the
 * running plan and count the change (res->added/removed/updated).
 * OT_APPLY_REVERT: p is the plan of the last apply; a node that runs it
 * (or was moving to it) goes back to the plan it ran before; any other node
 * is left as it is. p must be valid and bound, of the same instance and
 * node as the running plan (-EINVAL otherwise). 0 or -errno.
 */
int ot_exec_apply(const struct ot_plan *p, const struct ot_exec_opts *opts, unsigned flags,
		  struct ot_exec_result *res, struct ot_error *err);

/* The text of the plan the node in state_dir runs (what create or the last
 * apply or revert stored): 0 with *ret malloc'ed, -ENOENT, or -errno. */
int ot_exec_running_plan_text(const char *state_dir, char **ret, struct ot_error *err);

/* ---- status: what exists, what drifted ---- */

enum ot_obj_state {
	OT_OBJ_OK,
	OT_OBJ_MISSING,
	OT_OBJ_DRIFT, /* exists, but an attribute differs from the plan */
};

struct ot_status_item {
	size_t op; /* index into plan->ops */
	enum ot_obj_state state;
	char what[160];	  /* "link veth 'eth0' in demo.n1.web" */
	char detail[256]; /* "mtu 1500, planned 1450"; "" when OK */
};

struct ot_status {
	bool created;  /* a journal exists */
	bool complete; /* ... and create finished */
	size_t nok, nmissing, ndrift;
	struct ot_status_item *items; /* one per plan op */
	size_t nitems;
};

/*
 * Compare the plan with the system, one item per operation. Returns 0 (even
 * when things are missing: see the counts) or -errno when the comparison
 * itself failed. Free *ret with ot_status_free().
 */
int ot_exec_status(const struct ot_plan *p, const struct ot_exec_opts *opts, struct ot_status **ret,
		   struct ot_error *err);
void ot_status_free(struct ot_status *s);
/* {"node":..., "created":..., "ok":n, "missing":n, "drift":n, "objects":[...]} (new reference) */
struct json_t *ot_status_to_json(const struct ot_plan *p, const struct ot_status *s);
const char *ot_obj_state_name(enum ot_obj_state s);

/* ---- list: what was created here ---- */

#define OT_EXEC_STATE_ROOT "/run/opentop"

/*
 * The instances created on this machine and not destroyed: one entry per
 * journal under state_root (NULL = /run/opentop), read without lock:
 * {"schema": "opentop-list/1", "netns": N, "instances": [{"prefix",
 * "instance", "node", "topology", "created" (epoch s), "created_utc",
 * "by", "uid", "job", "complete", "records", "journal_version", "here"}]}.
 * Simulated hosts share /run: a journal records the network namespace its
 * create ran in, and only this namespace's are listed unless all ("here"
 * says which; a version 1 journal has none and is always listed). New
 * reference, or NULL with err set.
 */
struct json_t *ot_exec_list_json(const char *state_root, bool all, struct ot_error *err);

/* ---- verify: objects + reachability ---- */

enum ot_probe_outcome {
	OT_PROBE_REPLY,	  /* an ICMP echo reply came back */
	OT_PROBE_SILENT,  /* no reply before the timeout */
	OT_PROBE_UNREACH, /* an ICMP error or a local send error (blocked) */
	OT_PROBE_SKIPPED, /* target on another node and no --remote */
};

struct ot_probe_result {
	size_t probe; /* index into plan->probes */
	enum ot_probe_outcome outcome;
	bool pass;     /* outcome matches the expectation */
	double rtt_ms; /* REPLY only */
	char detail[128];
};

struct ot_verify {
	struct ot_status *status;
	struct ot_probe_result *probes;
	size_t nprobes, npass, nfail, nskipped;
};

#define OT_VERIFY_REMOTE     (1u << 0) /* also probe targets on other nodes */
#define OT_VERIFY_TIMEOUT_MS 5000u     /* default bound of a probe expected to be answered */

/*
 * Status, then every probe of the plan: ICMP echo from the source
 * container's namespace (raw socket; all probes in parallel), once the
 * plan's devices run (bounded wait). A probe expected to be answered is
 * resent with a doubling gap (100 ms up to 1 s) until it is or timeout_ms
 * passed (0 = OT_VERIFY_TIMEOUT_MS); one expected to be blocked must stay
 * silent for min(timeout_ms, 1 s), counted from when every answerable probe
 * was answered. Free with
 * ot_verify_free(). Returns 0 or -errno when verification could not run.
 */
int ot_exec_verify(const struct ot_plan *p, const struct ot_exec_opts *opts, unsigned flags,
		   unsigned timeout_ms, struct ot_verify **ret, struct ot_error *err);
void ot_verify_free(struct ot_verify *v);
struct json_t *ot_verify_to_json(const struct ot_plan *p, const struct ot_verify *v);

/* ---- enter a container ---- */

#define OT_ENTER_NO_SYSFS  (1u << 0) /* keep the caller's /sys (no private mount namespace) */
#define OT_ENTER_NO_CGROUP (1u << 1) /* do not join the container's cgroup */

#define OT_ENTER_MUST_FORK (1u << 0) /* returned: a pid namespace was unshared */

/*
 * Move the calling process into container namespace index ns of the plan:
 * its network namespace; the uts, ipc and mount namespaces it isolates
 * (persisted by create); its cgroup (the process is written to cgroup.procs
 * of every hierarchy; with OT_ISO_CGROUP a cgroup namespace rooted there is
 * unshared). Without a mount namespace of its own, the caller gets a private
 * one with a fresh /sys for the container's network namespace, as `ip netns
 * exec` does (UCX, for one, reads devices from /sys). With OT_ISO_PID, a pid
 * namespace is unshared and *ret_flags gets OT_ENTER_MUST_FORK: only a child
 * forked after this call is inside it (it becomes its pid 1).
 * Must be called by a single-threaded process. 0 or -errno.
 */
int ot_exec_enter(const struct ot_plan *p, int ns, unsigned flags, unsigned *ret_flags,
		  struct ot_error *err);

/* ---- what a process entering a container gives up (caps.c) ---- */

#define OT_CAPS_KEEP_EFFECTIVE                                                                     \
	(1u << 0) /* leave the effective and permitted sets: the caller                            \
		   * still needs them and changes to a user before exec (slurmstepd) */

/*
 * Apply container namespace index ns's `capabilities` and `no_new_privs`
 * to the calling process, as the last step before it runs the user's
 * program (after ot_exec_enter and anything else privileged): the dropped
 * capabilities (or every capability the kernel knows but those kept) leave
 * the bounding set (PR_CAPBSET_DROP), the inheritable and ambient sets and,
 * without OT_CAPS_KEEP_EFFECTIVE, the effective and permitted sets
 * (capset); then PR_SET_NO_NEW_PRIVS when asked. Nothing to do: 0.
 * 0 or -errno (the process is then partly restricted: the caller must not
 * run the program).
 */
int ot_exec_caps_apply(const struct ot_plan *p, int ns, unsigned flags, struct ot_error *err);
/*
 * In the child forked after ot_exec_enter() returned OT_ENTER_MUST_FORK
 * (the pid namespace's pid 1): a private copy of the mount namespace with a
 * fresh /proc showing that pid namespace (none where the container's root
 * has no /proc). Nothing to do for a container without OT_ISO_PID. 0 or
 * -errno.
 */
int ot_exec_enter_child(const struct ot_plan *p, int ns, struct ot_error *err);

#endif
