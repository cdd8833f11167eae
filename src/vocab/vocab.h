/*
 * vocab.h - the words the language, the model, the plan and the executor
 * share: kernel name sizes, isolation kinds, macvlan modes, rank ranges,
 * the VXLAN port. They are the plan's vocabulary, but the front end needs
 * them too, so they live here, below both (layers in docs/layers.md:
 * util <- vocab <- lang <- model <- compile -> plan <- exec). Plain C
 * definitions only; depends on nothing.
 */
#ifndef OT_VOCAB_VOCAB_H
#define OT_VOCAB_VOCAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OT_IFNAMSIZ	      16 /* IFNAMSIZ: 15 bytes + NUL */
#define OT_DEFAULT_VXLAN_PORT 4789

/* Isolation kinds. NET is implied for every container. */
enum ot_isolate {
	OT_ISO_NET = 1u << 0,
	OT_ISO_UTS = 1u << 1,
	OT_ISO_IPC = 1u << 2,
	OT_ISO_PID = 1u << 3, /* entered at exec time: a pid namespace needs a process */
	OT_ISO_MNT = 1u << 4,
	OT_ISO_CGROUP = 1u << 5, /* entered at exec time, rooted at the container's cgroup */
};

/*
 * The one table of isolation kinds, in bit order: every module that names
 * a kind (the parser, plan writers, otc --bounds, the executor, the plugin)
 * reads it here.
 */
struct ot_isolate_kind {
	enum ot_isolate bit;
	const char *name;   /* in the language, plans and bounds: "mount" */
	const char *nsfile; /* /proc/PID/ns/ file and extra namespace file: "mnt" */
	int clone_flag;	    /* CLONE_NEW* */
	bool extra;	    /* a namespace created beside the netns when the
			     * container is created (uts, ipc, mnt); net is the
			     * netns itself, pid and cgroup are entered at exec */
};

#define OT_ISOLATE_NKINDS 6
extern const struct ot_isolate_kind ot_isolate_kinds[OT_ISOLATE_NKINDS];

/* The kind named `name` (len bytes, not NUL-terminated), or NULL. */
const struct ot_isolate_kind *ot_isolate_kind_by_name(const char *name, size_t len);

/* The name of one kind ("mount"); "?" for anything else. Never fails. */
const char *ot_isolate_name(enum ot_isolate bit);

enum ot_macvlan_mode {
	OT_MACVLAN_BRIDGE,
	OT_MACVLAN_PRIVATE,
	OT_MACVLAN_VEPA,
	OT_MACVLAN_PASSTHRU,
};

/*
 * Storage paths (root, bind and tmpfs mounts; the bind bound of the plugin).
 * An absolute, normal path: "/" alone, or "/a/b" (no "." or ".." component,
 * no "//", no trailing '/', no control character), at most OT_PATH_MAX
 * bytes. Never fails.
 */
#define OT_PATH_MAX 1024
bool ot_abspath_valid(const char *s);

/* Is the normal path `path` equal to or below the normal path `dir`
 * (component-wise: /data/x is below /data, /database is not)? */
bool ot_path_under(const char *path, const char *dir);

/* A range of Slurm global task ranks, inclusive. */
struct ot_rank_range {
	uint32_t first, last;
};

#endif
