/*
 * readas.h - read the user's topology file with the user's credentials.
 *
 * On a node the plugin runs as root inside slurmstepd, but the file named
 * by --opentop belongs to the user: root must never open it on the user's
 * behalf (a path to /etc/shadow, a FIFO, a device or a file the user may
 * not read would otherwise become the plugin's problem). So the plugin's
 * build process (a single-threaded child of slurmstepd) takes the job's
 * groups, gid and uid as its effective identity - no capability left -
 * to open and read the file (regular files only, size-bounded, no blocking
 * opens), then returns to root; slurmstepd bounds how long it waits for
 * that. On the submit side (srun, sbatch: already the user) the file is
 * read with the same checks and no identity change.
 */
#ifndef OT_SPANK_READAS_H
#define OT_SPANK_READAS_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct ot_spank_cred {
	uid_t uid;
	gid_t gid;
	const gid_t *gids; /* supplementary groups */
	size_t ngids;
};

/*
 * Read path (absolute, or relative to dir when dir != NULL) into a new
 * NUL-terminated buffer (*ret, free() it; *ret_len excludes the NUL). With
 * cred != NULL the file is opened and read with exactly those credentials
 * as the effective identity (the caller must be single-threaded; its
 * identity is restored before returning). Files larger than max bytes, and
 * anything but a regular file, are refused. Returns 0, or a negative errno
 * with err ("cannot read topology '/x.otp' as uid 1000: Permission
 * denied").
 */
int ot_spank_read_file(const char *path, const char *dir, const struct ot_spank_cred *cred,
		       size_t max, char **ret, size_t *ret_len, struct ot_error *err);

#endif
