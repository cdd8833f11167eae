/*
 * readas.c - reading the topology file as the job's user (contract in
 * readas.h).
 *
 * With credentials, the calling process takes the job's groups, effective
 * gid and effective uid for the open and the read, then returns to root.
 * It must be single-threaded: the plugin calls it in its build process, a
 * child of slurmstepd (see opentop.c), never in slurmstepd itself, whose
 * other threads would change identity too.
 */
#include "spank/readas.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Stages, so the caller can say what failed. */
enum stage {
	ST_OK,
	ST_CRED,
	ST_CHDIR,
	ST_OPEN,
	ST_STAT,
	ST_TYPE,
	ST_SIZE,
	ST_READ,
};

/* Turn a failed stage into the user's message. uid < 0: read in-process. */
static int report(struct ot_error *err, enum stage st, int code, const char *path, long uid,
		  size_t max, size_t size)
{
	char who[32] = "";

	if (uid >= 0)
		snprintf(who, sizeof(who), " as uid %ld", uid);
	switch (st) {
	case ST_TYPE:
		return ot_error_set(err, -EINVAL, "topology '%s' is not a regular file", path);
	case ST_SIZE:
		if (!size)
			return ot_error_set(
			    err, -EFBIG,
			    "topology '%s' grew beyond the bound of %zu bytes while "
			    "it was read (plugstack.conf: max_file)",
			    path, max);
		return ot_error_set(err, -EFBIG,
				    "topology '%s' is %zu bytes, larger than the bound of %zu "
				    "bytes (plugstack.conf: max_file)",
				    path, size, max);
	case ST_CRED:
		return ot_error_sys(err, code, "cannot switch to uid %ld to read topology '%s'",
				    uid, path);
	case ST_CHDIR:
		return ot_error_sys(err, code,
				    "cannot enter the submit directory to read topology '%s'%s",
				    path, who);
	default:
		return ot_error_sys(err, code, "cannot read topology '%s'%s", path, who);
	}
}

/*
 * Open path (relative to dirfd) and read it: a regular file of at most max
 * bytes. O_NONBLOCK keeps a FIFO from blocking the open. Returns 0 with a
 * malloc'ed, NUL-terminated *ret, or -errno with *stage set.
 */
static int read_checked(int dirfd, const char *path, size_t max, enum stage *stage, char **ret,
			size_t *ret_len)
{
	struct stat st;
	size_t len = 0, cap;
	char *buf;
	int fd, e;

	*stage = ST_OPEN;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	*stage = ST_STAT;
	if (fstat(fd, &st) < 0)
		goto fail_errno;
	*stage = ST_TYPE;
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	*stage = ST_SIZE;
	if ((uint64_t)st.st_size > max) {
		*ret_len = (size_t)st.st_size;
		close(fd);
		return -EFBIG;
	}
	*stage = ST_READ;
	/* The size may change while we read: read to EOF, within max. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 == cap) {
			char *nb;

			if (len >= max + 1)
				break;
			cap = cap * 2 > max + 2 ? max + 2 : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = -errno;
			free(buf);
			close(fd);
			return e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > max) {
		free(buf);
		*ret_len = 0; /* it grew while we read: no size to report */
		*stage = ST_SIZE;
		return -EFBIG;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	*stage = ST_OK;
	return 0;
fail_errno:
	e = -errno;
	close(fd);
	return e;
}

/*
 * Become the job's user for file access: its groups, then its effective gid
 * and uid (the real and saved ids stay root, so the caller can come back).
 * With a non-zero effective uid the process has no effective capability
 * left (capabilities(7)), so the kernel checks every access exactly as for
 * the user. Only for a single-threaded caller.
 */
struct saved {
	uid_t euid;
	gid_t egid;
	gid_t groups[NGROUPS_MAX];
	int ngroups;
};

static int become(const struct ot_spank_cred *c, struct saved *sv)
{
	sv->euid = geteuid();
	sv->egid = getegid();
	sv->ngroups = getgroups(NGROUPS_MAX, sv->groups);
	if (sv->ngroups < 0)
		return -errno;
	if (setgroups(c->ngids, c->gids) < 0 || setegid(c->gid) < 0 || seteuid(c->uid) < 0)
		return -errno;
	/* Paranoia: a half-dropped identity must never read the file. */
	if (geteuid() != c->uid || getegid() != c->gid)
		return -EPERM;
	return 0;
}

static int come_back(const struct saved *sv)
{
	if (seteuid(sv->euid) < 0 || setegid(sv->egid) < 0 ||
	    setgroups((size_t)sv->ngroups, sv->groups) < 0)
		return -errno;
	return 0;
}

int ot_spank_read_file(const char *path, const char *dir, const struct ot_spank_cred *cred,
		       size_t max, char **ret, size_t *ret_len, struct ot_error *err)
{
	enum stage stage = ST_CRED;
	struct saved sv;
	int dirfd = AT_FDCWD, r, back;

	*ret_len = 0;
	if (!cred) {
		r = read_checked(AT_FDCWD, path, max, &stage, ret, ret_len);
		return r < 0 ? report(err, stage, r, path, -1, max, *ret_len) : 0;
	}
	r = become(cred, &sv);
	if (r == 0 && dir && path[0] != '/') {
		stage = ST_CHDIR;
		dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			r = -errno;
	}
	if (r == 0)
		r = read_checked(dirfd, path, max, &stage, ret, ret_len);
	if (dirfd >= 0)
		close(dirfd);
	back = come_back(&sv);
	if (back < 0) {
		if (r == 0)
			free(*ret);
		return ot_error_sys(err, back, "cannot return to root after reading topology '%s'",
				    path);
	}
	return r < 0 ? report(err, stage, r, path, (long)cred->uid, max, *ret_len) : 0;
}
