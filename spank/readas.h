/*
 * readas.h - read the user's topology file with the user's credentials.
 *
 * On a node the plugin runs as root inside slurmstepd, but the file named
 * by --opentop belongs to the user: root must never open it on the user's
 * behalf (a path to /etc/shadow, a FIFO, a device or a file the user may
 * not read would otherwise become the plugin's problem). The nodes no
 * longer read the file at all (the bytes come with the job, see
 * plugin.h): only the submit side (srun, sbatch: already the user) reads
 * it, with cred == NULL. The cred path (take the job's groups, gid and
 * uid as the effective identity, read, return to root) has no caller in
 * the plugin any more and is left for removal.
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
