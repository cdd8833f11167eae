/*
 * readas.c - reading the topology file as the job's user (contract in
 * readas.h).
 *
 * With credentials, the file is read by a short-lived thread that first
 * drops to the job's groups, gid and uid with raw system calls: on Linux
 * credentials belong to the thread, and only glibc's wrappers propagate
 * them to every thread of the process, so the raw calls change this
 * thread alone and the rest of slurmstepd keeps running as root. Dropping
 * all three uids to the user's also drops every capability of the thread
 * (capabilities(7)), so the kernel checks the open exactly as for the
 * user. The thread dies with its credentials. (A forked child would do the
 * same, but forking slurmstepd costs milliseconds per step; a thread costs
 * tens of microseconds.)
 *
 * The caller waits at most timeout_ms. A thread stuck in a hung shared
 * file system cannot be killed; it is left to finish on its own and frees
 * what it uses (a reference count shared with the caller).
 */
#include "spank/readas.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
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
		  size_t max)
{
	char who[32] = "";

	if (uid >= 0)
		snprintf(who, sizeof(who), " as uid %ld", uid);
	switch (st) {
	case ST_TYPE:
		return ot_error_set(err, -EINVAL, "topology '%s' is not a regular file", path);
	case ST_SIZE:
		return ot_error_set(err, -EFBIG,
				    "topology '%s' is larger than %zu bytes (plugstack.conf: "
				    "max_file)",
				    path, max);
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

/* Shared by the caller and the reader thread; the last one frees it. */
struct job {
	atomic_int refs;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	/* in */
	char *path, *dir;
	uid_t uid;
	gid_t gid;
	gid_t *gids;
	size_t ngids, max;
	/* out */
	int code;
	enum stage stage;
	char *text;
	size_t len;
};

static void job_put(struct job *j)
{
	if (atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	free(j->text);
	free(j->path);
	free(j->dir);
	free(j->gids);
	free(j);
}

static void *reader(void *arg)
{
	struct job *j = arg;
	int dirfd = AT_FDCWD, code;
	enum stage stage = ST_CRED;
	char *text = NULL;
	size_t len = 0;

	/* This thread only: raw system calls, not glibc's process-wide
	 * wrappers (see the top of the file). Groups and gid first, while
	 * the thread may still change them. */
	if (syscall(SYS_setgroups, j->ngids, j->gids) < 0 ||
	    syscall(SYS_setresgid, j->gid, j->gid, j->gid) < 0 ||
	    syscall(SYS_setresuid, j->uid, j->uid, j->uid) < 0) {
		code = -errno;
		goto out;
	}
	stage = ST_CHDIR;
	if (j->dir) {
		dirfd = open(j->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0) {
			code = -errno;
			goto out;
		}
	}
	code = read_checked(dirfd, j->path, j->max, &stage, &text, &len);
	if (dirfd >= 0)
		close(dirfd);
out:
	pthread_mutex_lock(&j->lock);
	j->code = code;
	j->stage = stage;
	j->text = text;
	j->len = len;
	j->done = true;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	job_put(j);
	return NULL;
}

static int read_as(const char *path, const char *dir, const struct ot_spank_cred *c, size_t max,
		   unsigned timeout_ms, char **ret, size_t *ret_len, struct ot_error *err)
{
	struct job *j = calloc(1, sizeof(*j));
	pthread_condattr_t ca;
	pthread_attr_t attr;
	pthread_t th;
	sigset_t all, old;
	struct timespec until;
	int r;

	if (!j)
		return ot_error_set(err, -ENOMEM, "reading topology '%s': out of memory", path);
	atomic_init(&j->refs, 2);
	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cond, &ca);
	pthread_condattr_destroy(&ca);
	j->path = strdup(path);
	j->dir = dir ? strdup(dir) : NULL;
	j->uid = c->uid;
	j->gid = c->gid;
	j->ngids = c->ngids;
	j->gids = malloc((c->ngids ? c->ngids : 1) * sizeof(gid_t));
	j->max = max;
	if (!j->path || (dir && !j->dir) || !j->gids) {
		atomic_store(&j->refs, 1);
		job_put(j);
		return ot_error_set(err, -ENOMEM, "reading topology '%s': out of memory", path);
	}
	if (c->ngids)
		memcpy(j->gids, c->gids, c->ngids * sizeof(gid_t));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Signals stay with the caller's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&th, &attr, reader, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r) {
		atomic_store(&j->refs, 1);
		job_put(j);
		return ot_error_sys(err, -r, "reading topology '%s': cannot start a thread", path);
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&j->lock);
	while (!j->done)
		if (pthread_cond_timedwait(&j->cond, &j->lock, &until) == ETIMEDOUT)
			break;
	if (!j->done) {
		pthread_mutex_unlock(&j->lock);
		job_put(j);
		return ot_error_set(err, -ETIMEDOUT,
				    "reading topology '%s' as uid %u took longer than %u ms (hung "
				    "file system?)",
				    path, (unsigned)c->uid, timeout_ms);
	}
	pthread_mutex_unlock(&j->lock);
	r = j->code;
	if (r == 0) {
		*ret = j->text;
		*ret_len = j->len;
		j->text = NULL;
	} else {
		report(err, j->stage, r, path, (long)c->uid, max);
	}
	job_put(j);
	return r;
}

int ot_spank_read_file(const char *path, const char *dir, const struct ot_spank_cred *cred,
		       size_t max, unsigned timeout_ms, char **ret, size_t *ret_len,
		       struct ot_error *err)
{
	enum stage stage;
	int r;

	if (cred)
		return read_as(path, dir, cred, max, timeout_ms, ret, ret_len, err);
	r = read_checked(AT_FDCWD, path, max, &stage, ret, ret_len);
	if (r < 0)
		return report(err, stage, r, path, -1, max);
	return 0;
}
