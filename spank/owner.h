/*
 * owner.h - which slurmstepd owns which instance on a node, so that an
 * instance whose slurmstepd vanished (SIGKILL, crash) is reclaimed by the
 * next OpenTop step on that node instead of lingering - without a job
 * epilog (which would cost every job on the cluster ~30-40 ms and drain
 * nodes when it fails; see docs/slurm.md, "Teardown").
 *
 * One small file per instance and node, <state_root>/slurm/<prefix>:
 *
 *     opentop-owner/1 <pid> <starttime> <netns dev>:<netns ino> <state_dir>
 *
 * A record is stale when its process is gone or is another process (the
 * start time, field 22 of /proc/<pid>/stat, differs). Records of other
 * network namespaces (other simulated hosts sharing /run) are left alone:
 * their host-side objects are out of reach from here.
 */
#ifndef OT_SPANK_OWNER_H
#define OT_SPANK_OWNER_H

#include <sys/types.h>

#include "util/error.h"

#define OT_OWNER_SUBDIR "slurm"

/*
 * Record that process owner (slurmstepd; the caller may be its helper
 * child) owns instance prefix (state_dir is where its journal lives), as
 * seen from the caller's network namespace. Creates <state_root>/slurm
 * (0700) if needed. Returns 0 or a negative errno with err.
 */
int ot_owner_claim(const char *state_root, const char *prefix, const char *state_dir, pid_t owner,
		   struct ot_error *err);

/* Remove this instance's record, then the records' directory when empty, and
 * the state root when a claim made it and it is empty. Returns 0 (also when
 * absent) or -errno. */
int ot_owner_release(const char *state_root, const char *prefix, struct ot_error *err);

/*
 * Reclaim every stale instance of this network namespace: call
 * destroy(state_dir, arg, err) and, when it succeeds, remove the record.
 * Returns the number reclaimed (>= 0) or a negative errno when the
 * directory cannot be read; destroy failures are counted in *failed and the
 * last one is left in err.
 */
int ot_owner_reap(const char *state_root,
		  int (*destroy)(const char *state_dir, void *arg, struct ot_error *err), void *arg,
		  unsigned *failed, struct ot_error *err);

#endif
