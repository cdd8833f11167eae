/*
 * journal.h - the node's record of what `create` made, so that `destroy`
 * removes exactly that: after a crash, a SIGKILL at any point, or without the
 * plan.
 *
 * Every object is recorded *before* it is made ("B" = begun), then marked
 * done ("D") or failed ("X", with the errno: an object that already existed -
 * EEXIST - was never ours and destroy leaves it alone). A begun record
 * without an outcome means "may exist": destroy tries to remove it and
 * ignores ENOENT; ownership checks (a host link's alias, an nftables table's
 * userdata) guard the objects that can pre-exist under the same name.
 *
 * The file is text, one record per line, versioned by its first line
 * ("opentop-journal 2"), fields separated by one space and percent-encoded
 * (empty = "~"). The second line is the header: "H prefix instance node
 * digest" in version 1; version 2 adds "topology created by uid netns"
 * (who made it and when, for `otnode list`). Both versions are read. It lives in the plan's
 * state_dir and is held under flock(LOCK_EX) while create or destroy runs.
 *
 * Birth and death are atomic: the journal appears with its header in it
 * (written to an unnamed file, then linked), and a missing state root
 * appears with state dir and journal in it (built beside it, renamed into
 * place); destroy renames the state dir out of the root before it removes
 * anything. A process killed at any instruction leaves either a complete
 * journal or a leftover ot_journal_sweep() recognises by its name.
 *
 * Durability: every record is one write(2) on an O_APPEND descriptor. That
 * survives the death of the process, which is what the journal is for:
 * everything it describes (namespaces, links, tables, cgroups, sysctls) is
 * kernel state that does not survive a reboot either.
 *
 * Apply (apply.c) appends to a complete journal: records of what it makes,
 * like create's, and "U" (undone) for a record whose object it removed:
 * destroy and later removals skip it, so a name that is reused by somebody
 * else later is never taken for ours.
 */
#ifndef OT_EXEC_JOURNAL_H
#define OT_EXEC_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"
#include "util/error.h"

#define OT_JOURNAL_VERSION     2 /* written; 1 is still read */
#define OT_JOURNAL_NAME	       "journal"
#define OT_JOURNAL_LINE_MAX    4096    /* longest record accepted */
#define OT_JOURNAL_RECORDS_MAX 1000000 /* most records accepted */

/* Plans kept beside the journal for apply (apply.c): the one running, the
 * one an apply is moving to (present only while it runs: an interrupted
 * apply), the one before the last apply (its revert), and the temporary
 * name they are written under. Removed with the journal's directory. */
#define OT_PLAN_RUNNING "plan.json"
#define OT_PLAN_NEXT	"plan.next.json"
#define OT_PLAN_PREV	"plan.prev.json"
#define OT_PLAN_TEMP	"plan.tmp"

enum ot_jkind {
	OT_J_NETNS,   /* a: /run/netns name, b: "container" | "switch" */
	OT_J_NSFILE,  /* a: a bind-mounted namespace file (uts/ipc/mnt) */
	OT_J_MOUNT,   /* a: a directory bind-mounted onto itself, private */
	OT_J_LINK,    /* a: namespace ("" = host), b: ifname, c: alias, d: ifindex
		       * (in the host either marks it ours; elsewhere: a VXLAN
		       * device, deleted before its namespace goes) */
	OT_J_SYSCTL,  /* a: namespace ("" = host), b: key, c: the old value */
	OT_J_NFT,     /* a: namespace ("" = host), b: table (inet), c: userdata tag */
	OT_J_CGROUP,  /* a: absolute directory */
	OT_J_DIR,     /* a: a directory we made (removed when empty) */
	OT_J_SUBTREE, /* a: cgroup v2 directory, b: a controller enabled in its
		       * cgroup.subtree_control (by us, or by another instance:
		       * see cgroup.c) */
	OT_J__COUNT
};

enum ot_jstate {
	OT_J_BEGUN,  /* recorded, outcome unknown: may exist */
	OT_J_DONE,   /* made */
	OT_J_FAILED, /* not made (code says why); never ours */
	OT_J_UNDONE, /* made, then removed again by an apply ("U"): no longer ours,
		      * whatever bears its name now */
};

struct ot_jrec {
	enum ot_jkind kind;
	unsigned id;
	enum ot_jstate state;
	int code;		   /* FAILED: the negative errno */
	const char *a, *b, *c, *d; /* fields by kind (see enum ot_jkind); NULL = "" */
};

/* A journal being written (create). */
struct ot_journal_image;
struct ot_journal;

/* Who made a journal and when (header fields of version 2). */
struct ot_journal_meta {
	const char *topology;	  /* topology name, NULL = "" */
	long long created;	  /* seconds since the epoch (UTC) */
	const char *by;		  /* login or sudo user, NULL = "" */
	unsigned uid;		  /* real uid of the creating process */
	unsigned long long netns; /* inode of its network namespace, 0 = unknown */
};

/*
 * Make state_dir/journal, locked, with the header naming the plan (prefix,
 * instance, node, source digest) and meta (may be NULL: unknown) already in
 * it when it appears. Makes
 * state_dir (0700) and its parent, the state root (0755), when missing; a
 * root made here is recorded (record 1, in the same first write) so that
 * ot_journal_remove takes it away again. Sweeps what a killed create or
 * destroy of this state dir left first. Returns 0, -EEXIST when a journal
 * is already there (the plan was created and not destroyed), -EBUSY when
 * another process is creating it, or another -errno.
 */
int ot_journal_create(const char *state_dir, const char *prefix, const char *instance,
		      const char *node, const char *digest, const struct ot_journal_meta *meta,
		      struct ot_journal **ret, struct ot_error *err);

/*
 * Continue the journal of image im (read with its lock, which stays the
 * image's): records are appended after the last one; a record torn by a
 * killed writer is cut off first. For apply. 0 or -errno.
 */
int ot_journal_reopen(const char *state_dir, const struct ot_journal_image *im,
		      struct ot_journal **ret, struct ot_error *err);

/* Record rec (its id is assigned and returned in rec->id) as begun. */
int ot_journal_begin(struct ot_journal *j, struct ot_jrec *rec, struct ot_error *err);
/* Mark record id done / failed with code. */
int ot_journal_done(struct ot_journal *j, unsigned id, struct ot_error *err);
int ot_journal_fail(struct ot_journal *j, unsigned id, int code, struct ot_error *err);
/* Mark record id undone: removed by an apply, never to be touched again. */
int ot_journal_undone(struct ot_journal *j, unsigned id, struct ot_error *err);
/* Mark the whole create complete ("C"). */
int ot_journal_complete(struct ot_journal *j, struct ot_error *err);
/* Close (the lock goes with it). Accepts NULL. */
void ot_journal_close(struct ot_journal *j);

/* A journal read back (destroy, status). */
struct ot_journal_image {
	struct ot_arena arena;
	int version;
	const char *prefix, *instance, *node, *digest;
	struct ot_journal_meta meta; /* version 1: all zero / NULL */
	struct ot_jrec *recs;	     /* in the order they were begun */
	size_t nrecs;
	bool complete; /* "C" seen */
	bool torn;     /* the last line was incomplete (ignored) */
	int lock_fd;   /* held when read with lock, else -1 */
};

/*
 * Read and parse state_dir/journal. With lock, also take flock(LOCK_EX |
 * LOCK_NB) and keep it in the image until ot_journal_image_free(). Returns
 * 0, -ENOENT when there is no journal, -EBUSY when locked by another
 * process, -EINVAL for a malformed journal (err names the line), -ENOMEM.
 */
int ot_journal_read(const char *state_dir, bool lock, struct ot_journal_image **ret,
		    struct ot_error *err);
void ot_journal_image_free(struct ot_journal_image *im); /* accepts NULL */

/*
 * The journal's death: rename state_dir out of the root (to the "gone" dir
 * beside the root), remove the state root (state_dir's parent, e.g.
 * /run/opentop) when this journal's create made it (record 1: a "dir"
 * record of the root begun and done with the header) and it is empty, then
 * the journal and the gone dir. A reader without this rule removes record 1
 * at its rank, where the root is not empty yet: harmless. 0 or -errno.
 */
int ot_journal_remove(const char *state_dir, struct ot_error *err);

/*
 * Remove what a create or destroy of state_dir killed at any point left
 * outside a journal: a state dir without a journal (and its temporary
 * file), a half-built stage of the root, a gone dir (finishing its death,
 * the root included when it claims it). Names derive from state_dir and
 * hold nothing else, so they are provably ours; one locked by a running
 * create or destroy is left alone. 0 or -errno.
 */
int ot_journal_sweep(const char *state_dir, struct ot_error *err);

/*
 * The journals under state_root (e.g. /run/opentop): every subdirectory
 * holding a readable journal, read without lock, sorted by prefix, into a
 * malloc'ed array of images (*ret, *n; free each with
 * ot_journal_image_free, then the array). One that cannot be read is
 * skipped. A missing root is an empty list. 0 or -errno.
 */
int ot_journal_list(const char *state_root, struct ot_journal_image ***ret, size_t *n,
		    struct ot_error *err);

/* "netns", "link", ... */
const char *ot_jkind_name(enum ot_jkind k);

#endif
