/*
 * cgroup.c - container cgroups on both layouts Linux has: pure cgroup v2 (one
 * tree, controllers enabled through cgroup.subtree_control) and the hybrid
 * layout of systemd hosts (v1 hierarchies per controller under
 * /sys/fs/cgroup/<ctrl>, plus a controller-less v2 tree at
 * /sys/fs/cgroup/unified). Hierarchies are found in /proc/self/mountinfo,
 * not guessed from paths.
 *
 * A container's cgroup is created in every hierarchy that matters (v1 cpu,
 * memory, pids; the v2 tree), so membership is uniform and destroy can find
 * every process. Limits: v2 cpu.max / memory.max / pids.max, v1
 * cpu.cfs_quota_us (period 100 ms) / memory.limit_in_bytes / pids.max.
 * Block I/O limits (`limit io`): v2 io.max ("MAJ:MIN rbps=N ..."), v1
 * blkio.throttle.{read,write}_{bps,iops}_device ("MAJ:MIN N"), the device
 * resolved here, on the node (a /dev path is stat()ed).
 *
 * Shared state. The cgroup parent every instance's cgroups live under
 * ("opentop") and the controllers enabled in a v2 cgroup.subtree_control
 * for them belong to no single instance: the first makes them, another
 * uses them, and the last one to leave must take them away, whoever made
 * them. So what an instance makes there also gets a mark file in the state
 * root, <root>/.cg.<path, '/' as '%'>[.+<controller>]: an instance that
 * finds the object in place and marked journals it as if it had made it
 * (a relied-on record, begun and done at once). Destroy removes a cgroup
 * directory once it is empty and disables a controller once the directory
 * has no child cgroup left (otherwise another instance may still need it),
 * and drops the mark with the object. An object made by anyone else (the
 * administrator, systemd) has no mark and is never touched.
 */
#include "exec/exec_int.h"
#include "util/vec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define CPU_PERIOD_US 100000

/* Does the list (separated by commas or spaces) have token t? */
static bool has_token(const char *list, const char *t)
{
	size_t n = strlen(t);
	const char *p = list;

	while ((p = strstr(p, t))) {
		if ((p == list || p[-1] == ',' || p[-1] == ' ') &&
		    (p[n] == ',' || p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

int ot_cg_detect(struct ot_cgroups *cg, struct ot_error *err)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	memset(cg, 0, sizeof(*cg));
	if (!f)
		return ot_error_sys(err, -errno, "open /proc/self/mountinfo");
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char mnt[256], fstype[32], super[1024];
		char *dash = strstr(line, " - ");
		int n;

		if (!dash || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1)
			continue;
		n = sscanf(dash + 3, "%31s %*s %1023s", fstype, super);
		if (n != 2)
			continue;
		if (strcmp(fstype, "cgroup2") == 0 && !cg->v2[0])
			snprintf(cg->v2, sizeof(cg->v2), "%s", mnt);
		if (strcmp(fstype, "cgroup") != 0)
			continue;
		if (has_token(super, "cpu") && !cg->cpu[0])
			snprintf(cg->cpu, sizeof(cg->cpu), "%s", mnt);
		if (has_token(super, "memory") && !cg->memory[0])
			snprintf(cg->memory, sizeof(cg->memory), "%s", mnt);
		if (has_token(super, "pids") && !cg->pids[0])
			snprintf(cg->pids, sizeof(cg->pids), "%s", mnt);
		if (has_token(super, "blkio") && !cg->blkio[0])
			snprintf(cg->blkio, sizeof(cg->blkio), "%s", mnt);
	}
	fclose(f);
	if (cg->cpu[0] || cg->memory[0] || cg->pids[0] || cg->blkio[0])
		cg->mode = OT_CG_HYBRID;
	else if (cg->v2[0])
		cg->mode = OT_CG_V2;
	else
		cg->mode = OT_CG_NONE;
	return 0;
}

/* Every hierarchy directory a cgroup path lives in (root/path), up to max. */
static size_t cg_dirs(const struct ot_cgroups *cg, const char *path, char dirs[][512], size_t max)
{
	const char *roots[5] = {cg->v2, cg->cpu, cg->memory, cg->pids, cg->blkio};
	size_t n = 0, i, k;

	for (i = 0; i < 5 && n < max; i++) {
		bool dup = false;

		if (!roots[i][0])
			continue;
		for (k = 0; k < i; k++)
			dup |= strcmp(roots[k], roots[i]) == 0;
		if (!dup)
			snprintf(dirs[n++], 512, "%s/%s", roots[i], path);
	}
	return n;
}

static int write_file(const char *dir, const char *file, const char *value, struct ot_error *err)
{
	char path[PATH_MAX];
	size_t len = strlen(value);
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (f < 0)
		return ot_error_sys(err, -errno, "open '%s'", path);
	n = write(f, value, len);
	if (n < 0 || (size_t)n != len) {
		int e = n < 0 ? -errno : -EIO;

		close(f);
		return ot_error_sys(err, e, "write '%s' to '%s'", value, path);
	}
	close(f);
	return 0;
}

static int read_file(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (f < 0)
		return -errno;
	n = read(f, buf, size - 1);
	close(f);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

/* ---- marks of shared state ---- */

/* The mark of cgroup dir (ctrl NULL) or of ctrl in its subtree_control;
 * false when state_dir has no root to keep it in. */
static bool mark_path(const char *state_dir, const char *dir, const char *ctrl, char *buf,
		      size_t size)
{
	const char *slash = state_dir ? strrchr(state_dir, '/') : NULL;
	size_t n;
	char *p;

	if (!slash || slash == state_dir)
		return false;
	n = (size_t)snprintf(buf, size, "%.*s/.cg.%s%s%s", (int)(slash - state_dir), state_dir, dir,
			     ctrl ? ".+" : "", ctrl ? ctrl : "");
	if (n >= size)
		return false;
	for (p = buf + (slash - state_dir) + 5; *p; p++)
		if (*p == '/')
			*p = '%';
	return true;
}

static bool marked(const char *state_dir, const char *dir, const char *ctrl)
{
	char path[PATH_MAX];

	return mark_path(state_dir, dir, ctrl, path, sizeof(path)) && access(path, F_OK) == 0;
}

static int mark(const char *state_dir, const char *dir, const char *ctrl, struct ot_error *err)
{
	char path[PATH_MAX];
	int fd;

	if (!mark_path(state_dir, dir, ctrl, path, sizeof(path)))
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return ot_error_sys(err, -errno, "create '%s'", path);
	close(fd);
	return 0;
}

void ot_cg_unmark(const char *state_dir, const char *dir, const char *ctrl)
{
	char path[PATH_MAX];

	if (mark_path(state_dir, dir, ctrl, path, sizeof(path)))
		unlink(path);
}

bool ot_cg_has_child(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool child = false;

	if (!d)
		return false;
	while (!child && (e = readdir(d)))
		child = e->d_type == DT_DIR && strcmp(e->d_name, ".") != 0 &&
			strcmp(e->d_name, "..") != 0;
	closedir(d);
	return child;
}

/* Journal an object another instance made and marked as ours too. */
static int rely(struct ot_xctx *x, enum ot_jkind kind, const char *dir, const char *ctrl,
		struct ot_error *err)
{
	struct ot_jrec rec = {.kind = kind, .a = dir, .b = ctrl};
	int r;

	if ((r = ot_journal_begin(x->j, &rec, err)) < 0)
		return r;
	return ot_journal_done(x->j, rec.id, err);
}

/* Enable the controllers a v2 child needs in dir's subtree_control, one
 * at a time, each journalled and marked first. */
static int v2_enable(struct ot_xctx *x, const char *dir, const struct ot_op_cgroup *c,
		     struct ot_error *err)
{
	static const char *const ctrl[] = {"cpu", "memory", "pids", "io"};
	bool need[4] = {c->cpu_pct != 0, c->memory != 0, c->pids != 0, c->nio != 0};
	const char *sd = x->p->state_dir;
	char have[512], want[16];
	size_t i;
	int r;

	if (read_file(dir, "cgroup.subtree_control", have, sizeof(have)) < 0)
		have[0] = '\0';
	for (i = 0; i < 4; i++) {
		struct ot_jrec rec = {.kind = OT_J_SUBTREE, .a = dir, .b = ctrl[i]};

		if (!need[i])
			continue;
		if (has_token(have, ctrl[i])) {
			if (marked(sd, dir, ctrl[i]) &&
			    (r = rely(x, OT_J_SUBTREE, dir, ctrl[i], err)) < 0)
				return r;
			continue;
		}
		if ((r = ot_journal_begin(x->j, &rec, err)) < 0)
			return r;
		if ((r = ot_x_step(x, 0, "enable %s below %s", ctrl[i], dir)) < 0)
			return ot_error_sys(err, r, "enable %s below '%s' (injected fault)",
					    ctrl[i], dir);
		snprintf(want, sizeof(want), "+%s", ctrl[i]);
		if ((r = mark(sd, dir, ctrl[i], err)) < 0 ||
		    (r = write_file(dir, "cgroup.subtree_control", want, err)) < 0) {
			ot_journal_fail(x->j, rec.id, r, NULL);
			return r;
		}
		if ((r = ot_x_step(x, 1, "enable %s below %s", ctrl[i], dir)) < 0)
			return ot_error_sys(err, r, "enable %s below '%s' (injected fault)",
					    ctrl[i], dir);
		ot_x_made(x);
		if ((r = ot_journal_done(x->j, rec.id, err)) < 0)
			return r;
	}
	return 0;
}

int ot_cg_subtree_restore(const char *state_dir, const char *dir, const char *ctrl,
			  struct ot_error *err)
{
	char what[32];
	int r;

	if (ot_cg_has_child(dir))
		return 0; /* the last instance below restores it */
	snprintf(what, sizeof(what), "-%s", ctrl ? ctrl : "");
	r = write_file(dir, "cgroup.subtree_control", what, err);
	if (r < 0 && r != -ENOENT)
		return r;
	ot_cg_unmark(state_dir, dir, ctrl);
	return 0;
}

static int mk(struct ot_xctx *x, const char *dir, struct ot_error *err)
{
	struct ot_jrec rec = {.kind = OT_J_CGROUP, .a = dir};
	int r;

	if (access(dir, F_OK) == 0) {
		/* exists: a shared parent another instance made (marked) is
		 * ours too; anyone else's is not */
		if (marked(x->p->state_dir, dir, NULL))
			return rely(x, OT_J_CGROUP, dir, NULL, err);
		return 0;
	}
	if ((r = ot_journal_begin(x->j, &rec, err)) < 0)
		return r;
	r = ot_x_step(x, 0, "cgroup %s", dir);
	if (r < 0)
		return ot_error_sys(err, r, "mkdir '%s' (injected fault)", dir);
	if (mkdir(dir, 0755) < 0) {
		r = -errno;
		if (r == -EEXIST)
			return ot_journal_fail(x->j, rec.id, r, err);
		ot_journal_fail(x->j, rec.id, r, NULL);
		return ot_error_sys(err, r, "mkdir '%s'", dir);
	}
	if ((r = mark(x->p->state_dir, dir, NULL, err)) < 0)
		return r;
	if ((r = ot_x_step(x, 1, "cgroup %s", dir)) < 0)
		return ot_error_sys(err, r, "cgroup '%s' (injected fault)", dir);
	ot_x_made(x);
	return ot_journal_done(x->j, rec.id, err);
}

/* Make root/path and every missing parent below root. */
static int mk_path(struct ot_xctx *x, const char *root, const char *path,
		   const struct ot_op_cgroup *c, bool v2, struct ot_error *err)
{
	char dir[PATH_MAX];
	size_t rl = strlen(root);
	const char *p = path;
	int r;

	if (rl + strlen(path) + 2 > sizeof(dir))
		return ot_error_set(err, -ENAMETOOLONG, "cgroup path too long");
	snprintf(dir, sizeof(dir), "%s", root);
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		size_t len = strlen(dir);

		if (v2 && (r = v2_enable(x, dir, c, err)) < 0)
			return r;
		snprintf(dir + len, sizeof(dir) - len, "/%.*s", (int)n, p);
		if ((r = mk(x, dir, err)) < 0)
			return r;
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

int ot_cg_io_devnum(const char *dev, unsigned *maj, unsigned *min, struct ot_error *err)
{
	char sys[64];
	struct stat st;
	int n = 0;

	if (strncmp(dev, "/dev/", 5) == 0) {
		if (stat(dev, &st) < 0)
			return ot_error_sys(err, -errno, "io limit: block device '%s'", dev);
		if (!S_ISBLK(st.st_mode))
			return ot_error_set(err, -ENOTBLK, "io limit: '%s' is not a block device",
					    dev);
		*maj = major(st.st_rdev);
		*min = minor(st.st_rdev);
		return 0;
	}
	if (sscanf(dev, "%u:%u%n", maj, min, &n) != 2 || dev[n])
		return ot_error_set(err, -EINVAL, "io limit: bad device '%s'", dev);
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", *maj, *min);
	if (access(sys, F_OK) < 0)
		return ot_error_set(err, -ENOENT,
				    "io limit: no block device %u:%u on this node (%s is missing)",
				    *maj, *min, sys);
	return 0;
}

/* Write the io limits of c into the cgroup directory dir: one io.max line
 * per device (v2), or one line per limit and device in the v1 throttle
 * files. */
static int io_limits(const char *dir, const struct ot_op_cgroup *c, bool v2, struct ot_error *err)
{
	static const char *const v1file[4] = {
	    "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
	    "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
	static const char *const v2key[4] = {"rbps", "wbps", "riops", "wiops"};
	size_t i, k;
	int r;

	for (i = 0; i < c->nio; i++) {
		const struct ot_cg_io *io = &c->io[i];
		const uint64_t val[4] = {io->rbps, io->wbps, io->riops, io->wiops};
		unsigned maj, min;
		char line[160];
		size_t n;

		if ((r = ot_cg_io_devnum(io->dev, &maj, &min, err)) < 0)
			return ot_error_prefix(err, r, "cgroup '%s'", c->path);
		n = (size_t)snprintf(line, sizeof(line), "%u:%u", maj, min);
		for (k = 0; k < 4; k++) {
			if (!val[k])
				continue;
			if (v2) {
				n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%" PRIu64,
						      v2key[k], val[k]);
				continue;
			}
			snprintf(line, sizeof(line), "%u:%u %" PRIu64, maj, min, val[k]);
			if ((r = write_file(dir, v1file[k], line, err)) < 0)
				return ot_error_prefix(err, r, "io limit on %s", io->dev);
		}
		if (v2 && (r = write_file(dir, "io.max", line, err)) < 0)
			return ot_error_prefix(err, r, "io limit on %s", io->dev);
	}
	return 0;
}

int ot_cg_create(struct ot_xctx *x, const struct ot_op_cgroup *c, struct ot_error *err)
{
	struct ot_cgroups cg;
	char dir[PATH_MAX], v[64];
	int r;

	if ((r = ot_cg_detect(&cg, err)) < 0)
		return r;
	if (cg.mode == OT_CG_NONE)
		return ot_error_set(err, -ENOTSUP, "no cgroup file system mounted");
	if (cg.v2[0] && (r = mk_path(x, cg.v2, c->path, c, cg.mode == OT_CG_V2, err)) < 0)
		return r;
	if (cg.mode == OT_CG_V2) {
		snprintf(dir, sizeof(dir), "%s/%s", cg.v2, c->path);
		if (c->cpu_pct) {
			snprintf(v, sizeof(v), "%" PRIu64 " %d",
				 (uint64_t)c->cpu_pct * CPU_PERIOD_US / 100, CPU_PERIOD_US);
			if ((r = write_file(dir, "cpu.max", v, err)) < 0)
				return r;
		}
		if (c->memory) {
			snprintf(v, sizeof(v), "%" PRIu64, c->memory);
			if ((r = write_file(dir, "memory.max", v, err)) < 0)
				return r;
		}
		if (c->pids) {
			snprintf(v, sizeof(v), "%u", c->pids);
			if ((r = write_file(dir, "pids.max", v, err)) < 0)
				return r;
		}
		return io_limits(dir, c, true, err);
	}
	if (cg.cpu[0]) {
		if ((r = mk_path(x, cg.cpu, c->path, c, false, err)) < 0)
			return r;
		snprintf(dir, sizeof(dir), "%s/%s", cg.cpu, c->path);
		if (c->cpu_pct) {
			snprintf(v, sizeof(v), "%d", CPU_PERIOD_US);
			if ((r = write_file(dir, "cpu.cfs_period_us", v, err)) < 0)
				return r;
			snprintf(v, sizeof(v), "%" PRIu64,
				 (uint64_t)c->cpu_pct * CPU_PERIOD_US / 100);
			if ((r = write_file(dir, "cpu.cfs_quota_us", v, err)) < 0)
				return r;
		}
	}
	if (cg.memory[0] && strcmp(cg.memory, cg.cpu) != 0) {
		if ((r = mk_path(x, cg.memory, c->path, c, false, err)) < 0)
			return r;
	}
	if (cg.memory[0] && c->memory) {
		snprintf(dir, sizeof(dir), "%s/%s", cg.memory, c->path);
		snprintf(v, sizeof(v), "%" PRIu64, c->memory);
		if ((r = write_file(dir, "memory.limit_in_bytes", v, err)) < 0)
			return r;
	}
	if (cg.pids[0] && strcmp(cg.pids, cg.cpu) != 0 && strcmp(cg.pids, cg.memory) != 0) {
		if ((r = mk_path(x, cg.pids, c->path, c, false, err)) < 0)
			return r;
	}
	if (cg.pids[0] && c->pids) {
		snprintf(dir, sizeof(dir), "%s/%s", cg.pids, c->path);
		snprintf(v, sizeof(v), "%u", c->pids);
		if ((r = write_file(dir, "pids.max", v, err)) < 0)
			return r;
	}
	if (c->nio && !cg.blkio[0])
		return ot_error_set(
		    err, -ENOTSUP,
		    "cgroup '%s': io limits need the blkio controller (cgroup v1) or "
		    "io (cgroup v2), and neither is mounted",
		    c->path);
	if (cg.blkio[0] && strcmp(cg.blkio, cg.cpu) != 0 && strcmp(cg.blkio, cg.memory) != 0 &&
	    strcmp(cg.blkio, cg.pids) != 0) {
		if ((r = mk_path(x, cg.blkio, c->path, c, false, err)) < 0)
			return r;
	}
	if (c->nio) {
		snprintf(dir, sizeof(dir), "%s/%s", cg.blkio, c->path);
		return io_limits(dir, c, false, err);
	}
	return 0;
}

static int expect(const char *dir, const char *file, const char *want, char *detail, size_t size)
{
	char have[128];

	if (read_file(dir, file, have, sizeof(have)) < 0) {
		snprintf(detail, size, "cannot read %s", file);
		return 1;
	}
	if (strcmp(have, want) != 0) {
		snprintf(detail, size, "%s is '%s', planned '%s'", file, have, want);
		return 1;
	}
	return 0;
}

/* The line of file (in dir) that starts with "MAJ:MIN ", in line; false when none. */
static bool dev_line(const char *dir, const char *file, const char *dev, char *line, size_t size)
{
	char buf[2048], *p, *save = NULL;
	size_t n = strlen(dev);

	if (read_file(dir, file, buf, sizeof(buf)) < 0)
		return false;
	for (p = strtok_r(buf, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
		if (strncmp(p, dev, n) == 0 && p[n] == ' ') {
			snprintf(line, size, "%s", p);
			return true;
		}
	}
	return false;
}

/* The io limits of c in dir against the kernel's files; 0 = as planned. */
static int io_check(const char *dir, const struct ot_op_cgroup *c, bool v2, char *detail,
		    size_t size)
{
	static const char *const v1file[4] = {
	    "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
	    "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
	static const char *const v2key[4] = {"rbps", "wbps", "riops", "wiops"};
	size_t i, k;

	for (i = 0; i < c->nio; i++) {
		const struct ot_cg_io *io = &c->io[i];
		const uint64_t val[4] = {io->rbps, io->wbps, io->riops, io->wiops};
		char dev[32], line[256], want[64];
		unsigned maj, min;

		if (ot_cg_io_devnum(io->dev, &maj, &min, NULL) < 0) {
			snprintf(detail, size, "io limit: no block device %s", io->dev);
			return 1;
		}
		snprintf(dev, sizeof(dev), "%u:%u", maj, min);
		for (k = 0; k < 4; k++) {
			if (!val[k])
				continue;
			if (v2) {
				snprintf(want, sizeof(want), " %s=%" PRIu64, v2key[k], val[k]);
				if (!dev_line(dir, "io.max", dev, line, sizeof(line)) ||
				    !strstr(line, want)) {
					snprintf(detail, size, "io.max has no '%s%s' for %s", dev,
						 want, io->dev);
					return 1;
				}
				continue;
			}
			snprintf(want, sizeof(want), "%s %" PRIu64, dev, val[k]);
			if (!dev_line(dir, v1file[k], dev, line, sizeof(line)) ||
			    strcmp(line, want) != 0) {
				snprintf(detail, size, "%s has no '%s' for %s", v1file[k], want,
					 io->dev);
				return 1;
			}
		}
	}
	return 0;
}

int ot_cg_check(const struct ot_cgroups *cg, const struct ot_op_cgroup *c, char *detail,
		size_t size)
{
	char dirs[5][512], dir[PATH_MAX], v[64];
	size_t n = cg_dirs(cg, c->path, dirs, 5), i;

	detail[0] = '\0';
	for (i = 0; i < n; i++)
		if (access(dirs[i], F_OK) < 0) {
			snprintf(detail, size, "no directory '%s'", dirs[i]);
			return -ENOENT;
		}
	if (cg->mode == OT_CG_V2) {
		snprintf(dir, sizeof(dir), "%s/%s", cg->v2, c->path);
		if (c->cpu_pct) {
			snprintf(v, sizeof(v), "%" PRIu64 " %d",
				 (uint64_t)c->cpu_pct * CPU_PERIOD_US / 100, CPU_PERIOD_US);
			if (expect(dir, "cpu.max", v, detail, size))
				return 1;
		}
		if (c->memory) {
			snprintf(v, sizeof(v), "%" PRIu64, c->memory);
			if (expect(dir, "memory.max", v, detail, size))
				return 1;
		}
	} else {
		if (c->cpu_pct && cg->cpu[0]) {
			snprintf(dir, sizeof(dir), "%s/%s", cg->cpu, c->path);
			snprintf(v, sizeof(v), "%" PRIu64,
				 (uint64_t)c->cpu_pct * CPU_PERIOD_US / 100);
			if (expect(dir, "cpu.cfs_quota_us", v, detail, size))
				return 1;
		}
		if (c->memory && cg->memory[0]) {
			/* v1 rounds the limit down to whole pages */
			char have[64];
			uint64_t got;

			snprintf(dir, sizeof(dir), "%s/%s", cg->memory, c->path);
			if (read_file(dir, "memory.limit_in_bytes", have, sizeof(have)) < 0 ||
			    (got = strtoull(have, NULL, 10)) > c->memory ||
			    c->memory - got >= 65536) {
				snprintf(detail, size,
					 "memory.limit_in_bytes is '%s', planned %" PRIu64, have,
					 c->memory);
				return 1;
			}
		}
	}
	if (c->pids) {
		snprintf(dir, sizeof(dir), "%s/%s", cg->mode == OT_CG_V2 ? cg->v2 : cg->pids,
			 c->path);
		snprintf(v, sizeof(v), "%u", c->pids);
		if ((cg->mode == OT_CG_V2 || cg->pids[0]) &&
		    expect(dir, "pids.max", v, detail, size))
			return 1;
	}
	if (c->nio && (cg->mode == OT_CG_V2 || cg->blkio[0])) {
		snprintf(dir, sizeof(dir), "%s/%s", cg->mode == OT_CG_V2 ? cg->v2 : cg->blkio,
			 c->path);
		return io_check(dir, c, cg->mode == OT_CG_V2, detail, size);
	}
	return 0;
}

int ot_cg_join(const struct ot_cgroups *cg, const char *path, pid_t pid, struct ot_error *err)
{
	char dirs[5][512], v[32];
	size_t n = cg_dirs(cg, path, dirs, 5), i;
	int r;

	snprintf(v, sizeof(v), "%d", (int)pid);
	for (i = 0; i < n; i++)
		if ((r = write_file(dirs[i], "cgroup.procs", v, err)) < 0)
			return r;
	return 0;
}

void ot_cg_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap)
{
	char path[PATH_MAX], line[32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		long v = strtol(line, NULL, 10);

		if (v <= 0)
			continue;
		if (OT_VEC_RESERVE(*pids, *cap, *n + 1) < 0)
			break;
		(*pids)[(*n)++] = (pid_t)v;
	}
	fclose(f);
}
