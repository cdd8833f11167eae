/*
 * readas.c - reading the topology file as the job's user (contract in
 * readas.h).
 *
 * The child protocol over one pipe: a 4-byte status (0, or a positive
 * errno), then, on success, the file bytes until EOF. The child runs only
 * async-signal-safe calls between fork() and _exit(): slurmstepd is
 * multi-threaded, so nothing that may take a lock (malloc, stdio) is used
 * there.
 */
#include "spank/readas.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Stages the child reports, so the parent can say what failed. */
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
 * Open path and check it: a regular file of at most max bytes. O_NONBLOCK
 * keeps a FIFO from blocking the open; it is cleared again for the read.
 * Returns the fd, or -errno with *stage set.
 */
static int open_checked(const char *path, size_t max, enum stage *stage, off_t *size)
{
	struct stat st;
	int fd;

	*stage = ST_OPEN;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	*stage = ST_STAT;
	if (fstat(fd, &st) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
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
	(void)fcntl(fd, F_SETFL, 0);
	*size = st.st_size;
	*stage = ST_OK;
	return fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The child: never returns. */
static void child_read(int out, const char *path, const char *dir,
		       const struct ot_spank_cred *c, size_t max)
{
	char buf[16384];
	int32_t status[2];
	enum stage stage = ST_CRED;
	off_t size;
	int fd = -1;

	if (setgroups(c->ngids, c->gids) < 0 || setresgid(c->gid, c->gid, c->gid) < 0 ||
	    setresuid(c->uid, c->uid, c->uid) < 0)
		goto fail;
	/* Paranoia: a half-dropped identity must never read the file. */
	if (getuid() != c->uid || geteuid() != c->uid || getegid() != c->gid) {
		errno = EPERM;
		goto fail;
	}
	stage = ST_CHDIR;
	if (dir && path[0] != '/' && chdir(dir) < 0)
		goto fail;
	fd = open_checked(path, max, &stage, &size);
	if (fd < 0) {
		errno = -fd;
		goto fail;
	}
	status[0] = 0;
	status[1] = ST_OK;
	if (write_all(out, status, sizeof(status)) < 0)
		_exit(1);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(n < 0 ? 2 : 0);
		if (write_all(out, buf, (size_t)n) < 0)
			_exit(1);
	}
fail:
	status[0] = errno ? errno : EIO;
	status[1] = stage;
	(void)write_all(out, status, sizeof(status));
	_exit(1);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read everything from fd into a buffer of at most max+1 bytes before the
 * deadline. Returns 0 (EOF seen), -ETIMEDOUT, -EFBIG or -errno. */
static int read_pipe(int fd, size_t max, long long deadline, char **ret, size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long long left = deadline - now_ms();
		ssize_t n;
		int pr;

		if (left <= 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		pr = poll(&pfd, 1, (int)(left > 1000000 ? 1000000 : left));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			int e = -errno;

			free(buf);
			return e;
		}
		if (pr == 0)
			continue;
		if (len + 1 >= cap) {
			char *nb;

			if (cap > max + 1) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;

			free(buf);
			return e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return -EFBIG;
		}
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int read_direct(const char *path, size_t max, char **ret, size_t *ret_len,
		       struct ot_error *err)
{
	enum stage stage;
	off_t size;
	int fd = open_checked(path, max, &stage, &size), r;

	if (fd < 0)
		return report(err, stage, fd, path, -1, max);
	r = read_pipe(fd, max, now_ms() + 3600 * 1000LL, ret, ret_len);
	close(fd);
	if (r < 0)
		return report(err, r == -EFBIG ? ST_SIZE : ST_READ, r, path, -1, max);
	return 0;
}

int ot_spank_read_file(const char *path, const char *dir, const struct ot_spank_cred *cred,
		       size_t max, unsigned timeout_ms, char **ret, size_t *ret_len,
		       struct ot_error *err)
{
	long long deadline = now_ms() + timeout_ms;
	int32_t status[2];
	int p[2], r, wst;
	size_t got = 0;
	pid_t pid;

	if (!cred)
		return read_direct(path, max, ret, ret_len, err);
	if (pipe2(p, O_CLOEXEC) < 0)
		return ot_error_sys(err, -errno, "reading topology '%s': pipe", path);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(p[0]);
		close(p[1]);
		return ot_error_sys(err, r, "reading topology '%s': fork", path);
	}
	if (pid == 0) {
		close(p[0]);
		child_read(p[1], path, dir, cred, max);
	}
	close(p[1]);
	/* The status header, then the bytes. */
	while (got < sizeof(status)) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)(left > 1000000 ? 1000000 : left)) == 0) {
			r = ot_error_set(err, -ETIMEDOUT,
					 "reading topology '%s' as uid %u took longer than %u ms "
					 "(hung file system?)",
					 path, (unsigned)cred->uid, timeout_ms);
			goto out;
		}
		n = read(p[0], (char *)status + got, sizeof(status) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = ot_error_set(err, -EIO, "reading topology '%s': the reader died", path);
			goto out;
		}
		got += (size_t)n;
	}
	if (status[0]) {
		enum stage st = status[1] >= ST_OK && status[1] <= ST_READ ? (enum stage)status[1]
									   : ST_READ;

		r = report(err, st, -status[0], path, (long)cred->uid, max);
		goto out;
	}
	r = read_pipe(p[0], max, deadline, ret, ret_len);
	if (r < 0)
		report(err, r == -EFBIG ? ST_SIZE : ST_READ, r, path, (long)cred->uid, max);
out:
	close(p[0]);
	if (r < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && !(WIFEXITED(wst) && WEXITSTATUS(wst) == 0)) {
		free(*ret);
		*ret = NULL;
		r = ot_error_set(err, -EIO, "reading topology '%s' as uid %u failed midway", path,
				 (unsigned)cred->uid);
	}
	return r;
}
