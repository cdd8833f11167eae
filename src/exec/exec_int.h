/*
 * exec_int.h - internals shared by the executor's files: the run context
 * (one per public call: no global state), namespace switching, per-namespace
 * netlink sockets opened once, ifindex lookups, sysctl access, cgroups,
 * process reaping and the journal-driven undo that both destroy and the
 * rollback of a failed create use.
 */
#ifndef OT_EXEC_EXEC_INT_H
#define OT_EXEC_EXEC_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>

#include "exec/exec.h"
#include "exec/journal.h"
#include "exec/nl.h"

#define OT_NETNS_DIR "/run/netns"

/* Run-time state of one plan namespace. */
struct ot_xns {
	int fd;		 /* nsfs descriptor, -1 until opened */
	struct ot_nl rt; /* NETLINK_ROUTE inside it (rt.sock NULL until opened) */
	struct ot_nl nf; /* NETLINK_NETFILTER inside it */
};

/* A tiny cache of name -> ifindex per namespace (bridges, devices addressed twice). */
struct ot_ifx {
	int ns;
	char name[16];
	uint32_t ifindex;
};

struct ot_xctx {
	const struct ot_plan *p; /* NULL for destroy (journal only) */
	struct ot_exec_opts o;
	int host_fd;	   /* the calling thread's netns at start */
	struct ot_xns *ns; /* one per plan namespace (nns) */
	size_t nns;
	unsigned step;	      /* changes made (atomic: see ot_x_step) */
	unsigned hooks;	      /* step hook calls (atomic) */
	unsigned objects;     /* atomic: ot_x_made() */
	pthread_mutex_t lock; /* what namespace workers share (extra_dir_ready) */
	struct ot_journal *j;
	const char *state_dir; /* undo: the journal's (x->p may be NULL) */
	struct ot_ifx *ifx;
	size_t nifx, capifx;
	bool netns_dir_ready;
	bool extra_dir_ready;		       /* <state_dir>/ns is our private mount */
	char msg[OT_NL_MSGSIZE] OT_NL_ALIGNED; /* request buffer */
};

/*
 * Wait, at most bound_ms, until every device the plan brings up (its
 * OT_OP_LINK_UP ops) that is up with carrier is also running (IFF_RUNNING):
 * until the kernel's link watcher has activated a device whose carrier just
 * came on, what it sends is dropped, and on a loaded machine that takes
 * seconds. Returns 0 (all running), 1 (the bound passed; why, when non-NULL,
 * names one device still waiting) or -errno (err).
 */
int ot_x_links_wait(struct ot_xctx *x, unsigned bound_ms, char *why, size_t size,
		    struct ot_error *err);

/* Set up / tear down a context. ctx_init opens the host namespace fd. */
int ot_x_init(struct ot_xctx *x, const struct ot_plan *p, const struct ot_exec_opts *o,
	      struct ot_error *err);
void ot_x_free(struct ot_xctx *x);

/* The node prefix of error messages: "n1" ("?" for a plan without one). */
const char *ot_x_node_name(const struct ot_plan *p);

/* Display name of namespace i: "host" or its /run/netns name. */
const char *ot_x_nsname(const struct ot_xctx *x, int i);

/* The nsfs fd of namespace i (opened lazily from /run/netns). */
int ot_x_nsfd(struct ot_xctx *x, int i, struct ot_error *err);

/* Move the calling thread into namespace i / back to the host namespace. */
int ot_x_enter(struct ot_xctx *x, int i, struct ot_error *err);
int ot_x_leave(struct ot_xctx *x, struct ot_error *err);

/* The netlink socket of bus (NETLINK_ROUTE/NETFILTER) inside namespace i. */
struct ot_nl *ot_x_nl(struct ot_xctx *x, int i, int bus, struct ot_error *err);

/* ifindex of device name in namespace i (cached); -ENODEV when absent. */
int ot_x_ifindex(struct ot_xctx *x, int i, const char *name, uint32_t *ret, struct ot_error *err);

/* Step accounting and the fault-injection hook (see ot_exec_opts). Safe
 * from several threads: every hook call gets its own running number. */
int ot_x_step(struct ot_xctx *x, int phase, const char *fmt, ...) OT_PRINTF(3, 4);
/* Count one object made. */
void ot_x_made(struct ot_xctx *x);

/* Progress line through opts->progress. */
void ot_x_progress(struct ot_xctx *x, const char *fmt, ...) OT_PRINTF(2, 3);

/* Read / write a sysctl (key relative to /proc/sys) in namespace i. The
 * value read has its trailing newline removed. */
int ot_x_sysctl_read(struct ot_xctx *x, int i, const char *key, char *buf, size_t size,
		     struct ot_error *err);
int ot_x_sysctl_write(struct ot_xctx *x, int i, const char *key, const char *value,
		      struct ot_error *err);
/* Same, in the namespace whose nsfs fd is given (destroy: by name). */
int ot_x_sysctl_write_fd(struct ot_xctx *x, int fd, const char *key, const char *value,
			 struct ot_error *err);

/* The tag that marks our nft tables and host links for this plan prefix. */
void ot_x_tag(const char *prefix, char *buf, size_t size);

/* ---- namespaces (ns.c) ---- */

/* Make /run/netns a shared mount point the way `ip netns add` does. */
int ot_ns_dir_prepare(struct ot_error *err);
/* Create the named network namespace /run/netns/name; the calling thread
 * ends up back in the host namespace; *ret_fd gets its nsfs fd and *nl a
 * NETLINK_ROUTE socket opened inside it (lo is brought up through it). */
int ot_ns_create_net(struct ot_xctx *x, const char *name, int *ret_fd, struct ot_nl *nl,
		     struct ot_error *err);
/* Persist the extra namespaces a container isolates (uts, ipc, mnt: bind
 * mounts under dir), set its hostname, give its mount namespace a fresh
 * /sys. Journals each file through the callback-free x->j. */
int ot_ns_create_extra(struct ot_xctx *x, int ns, struct ot_error *err);
/* Remove a named namespace file (umount + unlink); ENOENT is success. */
int ot_ns_remove(const char *path, struct ot_error *err);
/* The file of container `name`'s namespace kind ("uts", "ipc", "mnt"). */
void ot_ns_extra_path(const char *state_dir, const char *nsname, const char *kind, char *buf,
		      size_t size);

/* ---- storage (mount.c) ---- */

/* The node-side facts of one OT_OP_MOUNT (a root directory, a bind source
 * exist; a tmpfs fits the node's memory): 0 or -errno, err naming the node,
 * the container and the mount. Changes nothing. */
int ot_mount_check(const struct ot_plan *p, const struct ot_op *op, struct ot_error *err);
/* Make one OT_OP_MOUNT inside its container's mount namespace (a child
 * process does; the node's mount table is not touched). 0 or -errno. */
int ot_mount_make(struct ot_xctx *x, const struct ot_op *op, struct ot_error *err);
/* "mount bind /data to /data in NS": what an op is, for steps and status. */
void ot_mount_describe(const struct ot_op_mount *m, const char *ns, char *buf, size_t size);
/* Is it there as planned (looked at from inside the namespace)? 0 yes,
 * -ENOENT missing, 1 drifted; detail says how. */
int ot_mount_status(struct ot_xctx *x, const struct ot_op *op, char *detail, size_t size);

/* ---- cgroups (cgroup.c) ---- */

enum ot_cg_mode {
	OT_CG_NONE,   /* no cgroup file system found */
	OT_CG_V2,     /* pure v2 at one mount point */
	OT_CG_HYBRID, /* v1 controllers (cpu, memory, pids, blkio) plus maybe a v2 tree */
};

struct ot_cgroups {
	enum ot_cg_mode mode;
	char v2[256];  /* v2 mount point, "" when none */
	char cpu[256]; /* v1 mount points, "" when absent */
	char memory[256];
	char pids[256];
	char blkio[256]; /* v1 blkio (io limits), "" when absent */
};

/* Find the cgroup hierarchies from /proc/self/mountinfo. */
int ot_cg_detect(struct ot_cgroups *cg, struct ot_error *err);
/* Create path (journalled, parents included) and write its limits. */
int ot_cg_create(struct ot_xctx *x, const struct ot_op_cgroup *c, struct ot_error *err);
/* Compare limits with the plan; detail gets the first difference. 0 = same,
 * 1 = differs, -ENOENT = missing. */
int ot_cg_check(const struct ot_cgroups *cg, const struct ot_op_cgroup *c, char *detail,
		size_t size);
/*
 * The device number of an io limit's device: "/dev/NAME" is stat()ed (it
 * must be a block device), "MAJ:MIN" must be in /sys/dev/block. 0, or
 * -ENOENT/-ENOTBLK with err naming the device.
 */
int ot_cg_io_devnum(const char *dev, unsigned *maj, unsigned *min, struct ot_error *err);
/* Write pid into cgroup.procs of every hierarchy of path. */
int ot_cg_join(const struct ot_cgroups *cg, const char *path, pid_t pid, struct ot_error *err);
/* Collect the pids in dir/cgroup.procs into the set. */
void ot_cg_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap);
/* Whether a cgroup directory has a child cgroup. */
bool ot_cg_has_child(const char *dir);
/* Remove the mark of cgroup dir (ctrl NULL) or of a controller enabled in
 * its subtree_control, in state_dir's root (see cgroup.c). */
void ot_cg_unmark(const char *state_dir, const char *dir, const char *ctrl);
/* Undo of an OT_J_SUBTREE record: disable ctrl in dir's subtree_control and
 * drop its mark, unless a child cgroup is left below dir (another instance
 * may need it: the last one restores it). 0 or -errno. */
int ot_cg_subtree_restore(const char *state_dir, const char *dir, const char *ctrl,
			  struct ot_error *err);

/* ---- create and apply (create.c, apply.c) ---- */

/* Can p be run here: valid, bound to hosts, with an absolute state_dir?
 * 0 or -EINVAL naming the node and the reason. */
int ot_x_plan_runnable(const struct ot_plan *p, struct ot_error *err);

/* Make the ops of x->p with sel[i] (in plan order) and change those with
 * upd[i] in place (a sysctl written, an nft table swapped in one batch);
 * both NULL = every op. Journalled into x->j like create. 0 or -errno. */
int ot_x_run_ops(struct ot_xctx *x, const bool *sel, const bool *upd, struct ot_error *err);

/* Write plan p (or its canonical JSON, json when not NULL) to
 * state_dir/name, atomically (a temporary file renamed). 0 or -errno. */
int ot_x_plan_store(const char *state_dir, const char *name, const struct ot_plan *p,
		    const char *json, struct ot_error *err);

/* ---- undo (undo.c): destroy and rollback ---- */

/* Remove what the journal image says exists, in teardown order. */
int ot_undo(struct ot_xctx *x, const struct ot_journal_image *im, const char *state_dir,
	    struct ot_exec_result *res, struct ot_error *err);

#endif
