/*
 * remote.h - where otdeploy puts files on a host, and the rules that keep
 * it there.
 *
 * Layout: <dir>/<prefix>/otnode, where dir is the host's configured
 * directory (hosts file `dir=`, default /var/lib/opentop) and prefix is the
 * plan's "<instance>.<node>" (simulated hosts share one file system, so the
 * node's name must be part of the path). Uploads go to a fresh
 * "otnode.part-<random>" created exclusively next to it, are checked there
 * and renamed into place.
 *
 * The directory is trusted only after every component has been looked at
 * with lstat from "/" down: it must be a real directory (a symbolic link is
 * refused: we never make one), owned by root or by the login user; a
 * component writable by group or others is accepted only with the sticky
 * bit and only above the configured directory (like /tmp); the configured
 * directory and everything below it must be writable by its owner alone.
 * Missing components are created 0700. So nobody but root and the login
 * user can swap a component between the check and the use.
 */
#ifndef OT_DEPLOY_REMOTE_H
#define OT_DEPLOY_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deploy/ssh.h"
#include "util/error.h"

#define OT_REMOTE_DEFAULT_DIR "/var/lib/opentop"
#define OT_REMOTE_PATH_MAX    512
#define OT_SHA256_HEX	      65 /* 64 hex digits + NUL */

/*
 * Check the text of a configured remote directory by the one rule of
 * ot_dir_problem() (util/path.h), which `otc check` applies to the hosts
 * file's dir= too. Returns 0 or -EINVAL with the reason.
 */
int ot_remote_dir_valid(const char *dir, struct ot_error *err);

/*
 * Walk dir/sub on the host (sub: one more component, e.g. the plan prefix,
 * or NULL) and create what is missing, enforcing the rules above. uid is
 * the login user's uid on the host. Returns 0, or -EPERM (a rule is
 * broken: the message names the component and the rule), -EINVAL (bad
 * text), or a transport error.
 */
int ot_remote_dir_prepare(struct ot_ssh *s, const char *dir, const char *sub, uint32_t uid,
			  struct ot_error *err);

/*
 * The rules above for one existing component: path with its lstat st;
 * inside = at or below the configured directory. 0, or -EPERM naming the
 * component and the rule. (For checks made from `stat` output, below.)
 */
int ot_remote_component_check(const char *path, const struct ot_ssh_stat *st, uint32_t uid,
			      bool inside, struct ot_error *err);

/*
 * One line of `stat -c '%f %u %s'` (which, like lstat, does not follow a
 * symbolic link): raw mode in hex, owner uid, size. 0, or -EINVAL when the
 * line is not that. gid is not given (0).
 */
int ot_remote_stat_parse(const char *line, struct ot_ssh_stat *st);

/*
 * sudo=yes: may `sudo -n path` be trusted to run what root installed? path
 * (same text rules as a directory) must be a regular executable file owned
 * by root and writable by root alone, and every directory above it too (no
 * symbolic link anywhere, no sticky exception): otherwise whoever may write
 * there could replace what sudo runs as root. Returns 0, -ENOENT (not
 * installed), -EPERM (the message names the component and the rule), or a
 * transport error.
 */
int ot_remote_exe_trusted(struct ot_ssh *s, const char *path, struct ot_error *err);

/* Lowercase hex SHA-256 of data (OpenSSL's libcrypto). 0 or -EIO. */
int ot_sha256_hex(const void *data, size_t len, char out[OT_SHA256_HEX]);

/* The same of iov[0..niov) end to end, hashed piece by piece (no joined
 * copy): equal to ot_sha256_hex of the joined bytes. 0 or -EIO. */
int ot_sha256_hexv(const struct iovec *iov, size_t niov, char out[OT_SHA256_HEX]);

/*
 * Parse the first word of `sha256sum` output ("<64 hex>  <file>") into
 * out. 0, or -EINVAL when the text does not start with 64 hex digits.
 */
int ot_sha256_parse(const char *text, char out[OT_SHA256_HEX]);

#endif
