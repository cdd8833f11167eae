/*
 * owner.c - owner records of instances built by slurmstepd (contract in
 * owner.h).
 */
#include "spank/owner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan/plan.h"

#define MAGIC "opentop-owner/1"

/* Field 22 of /proc/<pid>/stat (after the parenthesised command name,
 * which may contain spaces and parentheses: parse from the last ')'). */
static int proc_starttime(pid_t pid, unsigned long long *ret)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	/* p[1] is the space before field 3. */
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", ret) != 1)
		return -EIO;
	return 0;
}

static int netns_id(unsigned long long *dev, unsigned long long *ino)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return -errno;
	*dev = (unsigned long long)st.st_dev;
	*ino = (unsigned long long)st.st_ino;
	return 0;
}

static int record_path(const char *root, const char *prefix, char *buf, size_t size)
{
	int n;

	if (!ot_nsname_valid(prefix))
		return -EINVAL;
	n = snprintf(buf, size, "%s/" OT_OWNER_SUBDIR "/%s", root, prefix);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * The state root is the administrator's choice (plugstack.conf state_root):
 * it is removed again only when a claim made it. That is remembered by a
 * mark in it (ROOT_MARK), which keeps it non-empty, so the release that
 * removes it drops the mark first and puts it back when the root is still
 * in use. A race of two releases can leave an empty root; never a root
 * that was there before.
 */
#define ROOT_MARK ".made-by-opentop-slurm"

static void root_mark(const char *state_root, bool set)
{
	char path[PATH_MAX];
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/" ROOT_MARK, state_root) >= sizeof(path))
		return;
	if (!set) {
		(void)unlink(path);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		close(fd);
}

static bool root_marked(const char *state_root)
{
	char path[PATH_MAX];

	return (size_t)snprintf(path, sizeof(path), "%s/" ROOT_MARK, state_root) < sizeof(path) &&
	       access(path, F_OK) == 0;
}

static int claim_once(const char *state_root, const char *prefix, const char *state_dir,
		      pid_t owner, struct ot_error *err)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 16], line[PATH_MAX + 128];
	unsigned long long start = 0, dev = 0, ino = 0;
	int fd, n, r;

	r = record_path(state_root, prefix, path, sizeof(path));
	if (r < 0)
		return ot_error_sys(err, r, "owner record for '%s'", prefix);
	snprintf(dir, sizeof(dir), "%s", state_root);
	if (mkdir(dir, 0755) == 0)
		root_mark(state_root, true);
	else if (errno != EEXIST)
		return ot_error_sys(err, -errno, "create '%s'", dir);
	snprintf(dir, sizeof(dir), "%s/" OT_OWNER_SUBDIR, state_root);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return ot_error_sys(err, -errno, "create '%s'", dir);
	r = proc_starttime(owner, &start);
	if (r == 0)
		r = netns_id(&dev, &ino);
	if (r < 0)
		return ot_error_sys(err, r, "owner record for '%s': identify process %d", prefix,
				    (int)owner);
	n = snprintf(line, sizeof(line), MAGIC " %d %llu %llu:%llu %s\n", (int)owner, start, dev,
		     ino, state_dir);
	if (n < 0 || (size_t)n >= sizeof(line))
		return ot_error_set(err, -ENAMETOOLONG, "owner record for '%s': too long", prefix);
	/* Write and rename: a reader never sees half a record. */
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return ot_error_sys(err, -errno, "create '%s'", tmp);
	if (write(fd, line, (size_t)n) != n) {
		r = errno ? -errno : -EIO;
		close(fd);
		unlink(tmp);
		return ot_error_sys(err, r, "write '%s'", tmp);
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		r = -errno;
		unlink(tmp);
		return ot_error_sys(err, r, "rename '%s'", tmp);
	}
	return 0;
}

/* A release on another step may remove the empty directories between our
 * mkdir and our write (ENOENT): make them again, a few times. */
int ot_owner_claim(const char *state_root, const char *prefix, const char *state_dir, pid_t owner,
		   struct ot_error *err)
{
	int r, tries = 0;

	do
		r = claim_once(state_root, prefix, state_dir, owner, err);
	while (r == -ENOENT && ++tries < 5);
	return r;
}

int ot_owner_release(const char *state_root, const char *prefix, struct ot_error *err)
{
	char path[PATH_MAX];
	int r = record_path(state_root, prefix, path, sizeof(path));

	if (r < 0)
		return ot_error_sys(err, r, "owner record for '%s'", prefix);
	if (unlink(path) < 0 && errno != ENOENT)
		return ot_error_sys(err, -errno, "remove '%s'", path);
	/* The last record gone, the node keeps no trace of OpenTop: the
	 * records' directory goes when empty (rmdir fails harmlessly while
	 * another step uses it), and the state root too when a claim made it
	 * and nothing else is in it. */
	snprintf(path, sizeof(path), "%s/" OT_OWNER_SUBDIR, state_root);
	if (rmdir(path) == 0 && root_marked(state_root)) {
		root_mark(state_root, false);
		if (rmdir(state_root) < 0 && errno != ENOENT)
			root_mark(state_root, true);
	}
	return 0;
}

/* Parse a record; returns 0 and fills the fields (state_dir into sd). */
static int record_read(const char *path, int *pid, unsigned long long *start,
		       unsigned long long *dev, unsigned long long *ino, char *sd, size_t sdsize)
{
	char buf[PATH_MAX + 128], *nl;
	ssize_t n;
	int fd, off = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if (sscanf(buf, MAGIC " %d %llu %llu:%llu %n", pid, start, dev, ino, &off) != 4 ||
	    off < 0 || buf[off] != '/')
		return -EINVAL;
	nl = strchr(buf + off, '\n');
	if (!nl || (size_t)(nl - (buf + off)) >= sdsize)
		return -EINVAL;
	*nl = '\0';
	memcpy(sd, buf + off, (size_t)(nl - (buf + off)) + 1);
	return 0;
}

int ot_owner_reap(const char *state_root,
		  int (*destroy)(const char *state_dir, void *arg, struct ot_error *err), void *arg,
		  unsigned *failed, struct ot_error *err)
{
	char dir[PATH_MAX];
	unsigned long long mydev = 0, myino = 0;
	struct dirent *de;
	DIR *d;
	int reaped = 0, r;

	*failed = 0;
	r = netns_id(&mydev, &myino);
	if (r < 0)
		return ot_error_sys(err, r, "reclaim stale instances: identify the namespace");
	snprintf(dir, sizeof(dir), "%s/" OT_OWNER_SUBDIR, state_root);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : ot_error_sys(err, -errno, "open '%s'", dir);
	while ((de = readdir(d))) {
		char path[PATH_MAX], sd[PATH_MAX];
		unsigned long long start, now, dev, ino;
		int pid;

		if (de->d_name[0] == '.' || !ot_nsname_valid(de->d_name) ||
		    strstr(de->d_name, ".tmp"))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= sizeof(path))
			continue;
		if (record_read(path, &pid, &start, &dev, &ino, sd, sizeof(sd)) < 0)
			continue;
		if (dev != mydev || ino != myino)
			continue;
		if (proc_starttime(pid, &now) == 0 && now == start)
			continue; /* its slurmstepd is alive */
		if (destroy(sd, arg, err) < 0) {
			(*failed)++;
			continue;
		}
		unlink(path);
		reaped++;
	}
	closedir(d);
	return reaped;
}
