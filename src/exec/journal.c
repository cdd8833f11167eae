/*
 * journal.c - writing and reading the node journal (format and guarantees
 * in journal.h).
 */
#include "exec/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/strbuf.h"
#include "util/vec.h"

struct ot_journal {
	int fd;
	unsigned next_id;
	pthread_mutex_t lock; /* create may journal from several threads */
	char path[PATH_MAX];
};

static const struct {
	const char *name;
	unsigned nfields;
} kinds[OT_J__COUNT] = {
    [OT_J_NETNS] = {"netns", 2},   [OT_J_NSFILE] = {"nsfile", 1}, [OT_J_MOUNT] = {"mount", 1},
    [OT_J_LINK] = {"link", 4},	   [OT_J_SYSCTL] = {"sysctl", 3}, [OT_J_NFT] = {"nft", 3},
    [OT_J_CGROUP] = {"cgroup", 1}, [OT_J_DIR] = {"dir", 1},	  [OT_J_SUBTREE] = {"subtree", 2},
};

const char *ot_jkind_name(enum ot_jkind k)
{
	return (unsigned)k < OT_J__COUNT ? kinds[k].name : "?";
}

/* ---- encoding ---- */

static bool plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._/:@+,=-", c);
}

static void put_field(struct ot_strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	ot_sb_putc(sb, ' ');
	if (!s || !*s) {
		ot_sb_putc(sb, '~');
		return;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (plain(c)) {
			ot_sb_putc(sb, (char)c);
		} else {
			ot_sb_putc(sb, '%');
			ot_sb_putc(sb, hex[c >> 4]);
			ot_sb_putc(sb, hex[c & 15]);
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode one token in place; NULL when malformed. */
static char *decode(char *tok)
{
	char *r = tok, *w = tok;

	if (strcmp(tok, "~") == 0) {
		*tok = '\0';
		return tok;
	}
	while (*r) {
		if (*r == '%') {
			int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);

			if (lo < 0 || (hi == 0 && lo == 0))
				return NULL;
			*w++ = (char)(hi << 4 | lo);
			r += 3;
		} else if (plain((unsigned char)*r)) {
			*w++ = *r++;
		} else {
			return NULL;
		}
	}
	*w = '\0';
	return tok;
}

/* ---- writing ---- */

static int append(struct ot_journal *j, struct ot_strbuf *sb, struct ot_error *err)
{
	const char *s = ot_sb_str(sb);
	size_t len = sb->len;
	ssize_t n;

	if (sb->oom)
		return ot_error_set(err, -ENOMEM, "journal: out of memory");
	if (len > OT_JOURNAL_LINE_MAX)
		return ot_error_set(err, -E2BIG, "journal: record longer than %d bytes",
				    OT_JOURNAL_LINE_MAX);
	/* One write: an O_APPEND write of a short record is never interleaved,
	 * and a process killed before it leaves no trace of the record. */
	do
		n = write(j->fd, s, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return ot_error_sys(err, -errno, "journal: write '%s'", j->path);
	if ((size_t)n != len)
		return ot_error_set(err, -EIO, "journal: short write to '%s'", j->path);
	return 0;
}

/* ---- birth and death: atomic at every instant ----
 *
 * Birth: the journal appears with its header already in it (an unnamed
 * O_TMPFILE file, written, then linked as "journal"), so no reader ever
 * sees an empty journal. When the state root is missing too, it is built
 * whole beside its final place (the "stage", <root's parent>/.<root
 * name>.<state dir name>.new: root, state dir and journal saying "the
 * root is ours") and renamed into place (RENAME_NOREPLACE): the root never
 * exists without a journal that claims it.
 *
 * Death: the state dir is renamed away first, with the journal inside, to
 * its "gone" name: <root>/.<state dir name>.gone, or, when the journal says
 * the root is ours, out of the root, <root's parent>/.<root name>.<state
 * dir name>.gone; then that root is removed if it is empty, then the
 * journal and the gone dir. A process killed anywhere
 * leaves a stage, a gone dir or an empty state dir, all named after the
 * state dir: the next create or destroy sweeps them (ot_journal_sweep).
 */

#define STAGE_SUFFIX ".new"
#define GONE_SUFFIX  ".gone"
#define TEMP_NAME    OT_JOURNAL_NAME ".new" /* without O_TMPFILE */

/* The places of one state dir; root is "" when state_dir has no parent
 * that could be ours ("/x"), stage and gone_out are then unused. */
struct places {
	char dir[PATH_MAX], root[PATH_MAX];
	char stage[PATH_MAX];	 /* <root's parent>/.<root name>.<name>.new */
	char gone_in[PATH_MAX];	 /* <root>/.<name>.gone: the root is not ours */
	char gone_out[PATH_MAX]; /* <root's parent>/.<root name>.<name>.gone: it is */
	const char *name;	 /* base name of dir */
};

/* The state root of state_dir (its parent) into buf; false when it has none. */
static bool root_of(const char *state_dir, char *buf, size_t size)
{
	char *slash;

	snprintf(buf, size, "%s", state_dir);
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return false;
	*slash = '\0';
	return true;
}

static int places_of(const char *state_dir, struct places *P, struct ot_error *err)
{
	const char *rbase;
	int n;

	memset(P, 0, sizeof(*P));
	if (state_dir[0] != '/' ||
	    strlen(state_dir) + sizeof(GONE_SUFFIX) + sizeof(TEMP_NAME) + 2 > PATH_MAX / 2)
		return ot_error_set(err, -ENAMETOOLONG, "journal: bad state dir '%s'", state_dir);
	snprintf(P->dir, sizeof(P->dir), "%s", state_dir);
	P->name = strrchr(P->dir, '/') + 1;
	if (!*P->name)
		return ot_error_set(err, -EINVAL, "journal: bad state dir '%s'", state_dir);
	if (!root_of(state_dir, P->root, sizeof(P->root)))
		return 0;
	rbase = strrchr(P->root, '/');
	n = (int)(rbase - P->root);
	/* names beside the root, in its parent (n: the parent's length) */
	snprintf(P->stage, sizeof(P->stage), "%.*s/.%s.%s" STAGE_SUFFIX, n, P->root, rbase + 1,
		 P->name);
	snprintf(P->gone_out, sizeof(P->gone_out), "%.*s/.%s.%s" GONE_SUFFIX, n, P->root, rbase + 1,
		 P->name);
	/* bounded precisions: places_of() checked the lengths already */
	snprintf(P->gone_in, sizeof(P->gone_in), "%.2000s/.%.1000s" GONE_SUFFIX, P->root, P->name);
	return 0;
}

/* dir/name; places_of() bounds dir well below PATH_MAX */
static void join(char *buf, size_t size, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size)
		buf[0] = '\0';
}

/* Whether dir/name is locked by another open file (a create or destroy at
 * work). A missing file is not. */
static bool locked(const char *dir, const char *name)
{
	char path[PATH_MAX];
	bool busy;
	int fd;

	join(path, sizeof(path), dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	busy = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

static bool root_ours(const char *root, const char *journal);

/*
 * Remove what a dead journal directory holds: its journal and temporary
 * file, then the directory itself. A directory with anything else in it
 * stays (ENOTEMPTY: not provably ours).
 */
static void remove_journal_dir(const char *dir)
{
	static const char *const plans[] = {OT_PLAN_RUNNING, OT_PLAN_NEXT, OT_PLAN_PREV,
					    OT_PLAN_TEMP};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
		join(path, sizeof(path), dir, plans[i]);
		unlink(path);
	}

	join(path, sizeof(path), dir, OT_JOURNAL_NAME);
	unlink(path);
	join(path, sizeof(path), dir, TEMP_NAME);
	unlink(path);
	rmdir(dir);
}

/* Finish the death of a gone dir: the root when its journal (outside the
 * root) claims it, empty roots only; then the rest. check_lock: leave one
 * that another process holds. */
static void sweep_gone(const struct places *P, const char *gone, bool check_lock)
{
	char path[PATH_MAX];

	if (!P->root[0] || access(gone, F_OK) < 0)
		return;
	if (check_lock && locked(gone, OT_JOURNAL_NAME))
		return;
	join(path, sizeof(path), gone, OT_JOURNAL_NAME);
	if (gone == P->gone_out && root_ours(P->root, path))
		rmdir(P->root); /* only when empty: another instance may use it */
	remove_journal_dir(gone);
}

/* A stage a killed create left (it never became the root): all of it. */
static void sweep_stage(const struct places *P)
{
	char sub[PATH_MAX];

	if (!P->root[0] || access(P->stage, F_OK) < 0)
		return;
	join(sub, sizeof(sub), P->stage, P->name);
	if (locked(sub, OT_JOURNAL_NAME) || locked(sub, TEMP_NAME))
		return;
	remove_journal_dir(sub);
	rmdir(P->stage);
}

int ot_journal_sweep(const char *state_dir, struct ot_error *err)
{
	struct places P;
	char path[PATH_MAX];
	int r;

	if ((r = places_of(state_dir, &P, err)) < 0)
		return r;
	sweep_stage(&P);
	sweep_gone(&P, P.gone_in, true);
	sweep_gone(&P, P.gone_out, true);
	/* a state dir without a journal: a create killed before its journal
	 * was linked (or a concurrent create about to link it: that one sees
	 * ENOENT and makes the directory again) */
	join(path, sizeof(path), P.dir, OT_JOURNAL_NAME);
	if (access(path, F_OK) < 0 && errno == ENOENT && !locked(P.dir, TEMP_NAME)) {
		join(path, sizeof(path), P.dir, TEMP_NAME);
		unlink(path);
		if (rmdir(P.dir) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
			return ot_error_sys(err, -errno, "remove '%s'", P.dir);
	}
	return 0;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Make dir/journal holding text, locked, in one visible step: text goes
 * into an unnamed file (O_TMPFILE; a named temporary where the file system
 * has none), which is then linked under its name. *ret_fd: the journal,
 * O_APPEND, locked. -EEXIST when a journal is there, -EBUSY when another
 * create holds the temporary, -ENOENT when dir vanished.
 */
static int publish(const char *dir, const char *text, size_t len, int *ret_fd, struct ot_error *err)
{
	char tmp[PATH_MAX], path[PATH_MAX], proc[64];
	bool named = false;
	int fd, r;

	join(tmp, sizeof(tmp), dir, TEMP_NAME);
	join(path, sizeof(path), dir, OT_JOURNAL_NAME);
	fd = open(dir, O_TMPFILE | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		named = true;
		fd = open(tmp, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	}
	if (fd < 0)
		return ot_error_sys(err, -errno, "journal: create in '%s'", dir);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return ot_error_sys(err, r, "journal: lock in '%s'", dir);
	}
	r = named && ftruncate(fd, 0) < 0 ? -errno : write_all(fd, text, len);
	if (r < 0) {
		ot_error_sys(err, r, "journal: write in '%s'", dir);
		goto fail;
	}
	/* the man page's way to name an O_TMPFILE file (no CAP_DAC_READ_SEARCH
	 * needed, unlike AT_EMPTY_PATH) */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0) {
		r = -errno;
		if (r == -EEXIST)
			ot_error_set(err, r, "already created: journal '%s' exists", path);
		else
			ot_error_sys(err, r, "journal: link '%s'", path);
		goto fail;
	}
	if (named)
		unlink(tmp);
	*ret_fd = fd;
	return 0;
fail:
	if (named)
		unlink(tmp);
	close(fd);
	return r;
}

/*
 * The root is missing: build root/state dir/journal in the stage and rename
 * it into place. -EEXIST when a root appeared meanwhile (nothing left).
 */
static int publish_staged(const struct places *P, const char *text, size_t len, int *ret_fd,
			  struct ot_error *err)
{
	char sub[PATH_MAX], path[PATH_MAX];
	int r;

	if (mkdir(P->stage, 0755) < 0 && errno != EEXIST)
		return ot_error_sys(err, -errno, "mkdir '%s'", P->stage);
	join(sub, sizeof(sub), P->stage, P->name);
	if (mkdir(sub, 0700) < 0 && errno != EEXIST)
		return ot_error_sys(err, -errno, "mkdir '%s'", sub);
	if ((r = publish(sub, text, len, ret_fd, err)) < 0)
		return r;
	if (renameat2(AT_FDCWD, P->stage, AT_FDCWD, P->root, RENAME_NOREPLACE) == 0)
		return 0;
	r = -errno;
	close(*ret_fd);
	join(path, sizeof(path), sub, OT_JOURNAL_NAME);
	unlink(path);
	rmdir(sub);
	rmdir(P->stage);
	if (r == -EEXIST || r == -ENOTEMPTY)
		return -EEXIST;
	return ot_error_sys(err, r, "rename '%s' to '%s'", P->stage, P->root);
}

int ot_journal_create(const char *state_dir, const char *prefix, const char *instance,
		      const char *node, const char *digest, const struct ot_journal_meta *meta,
		      struct ot_journal **ret, struct ot_error *err)
{
	static const struct ot_journal_meta none;
	char num[64];
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_journal *j;
	struct places P;
	size_t hdr_len;
	int tries, r = 0, fd = -1;
	bool made_root = false;

	if ((r = places_of(state_dir, &P, err)) < 0)
		return r;
	j = calloc(1, sizeof(*j));
	if (!j)
		return ot_error_set(err, -ENOMEM, "journal: out of memory");
	join(j->path, sizeof(j->path), state_dir, OT_JOURNAL_NAME);
	j->next_id = 1;
	pthread_mutex_init(&j->lock, NULL);
	ot_sb_printf(&sb, "opentop-journal %d\nH", OT_JOURNAL_VERSION);
	put_field(&sb, prefix);
	put_field(&sb, instance);
	put_field(&sb, node);
	put_field(&sb, digest);
	if (!meta)
		meta = &none;
	put_field(&sb, meta->topology);
	snprintf(num, sizeof(num), "%lld", meta->created);
	put_field(&sb, num);
	put_field(&sb, meta->by);
	snprintf(num, sizeof(num), "%u", meta->uid);
	put_field(&sb, num);
	snprintf(num, sizeof(num), "%llu", meta->netns);
	put_field(&sb, num);
	ot_sb_putc(&sb, '\n');
	hdr_len = sb.len;
	/* record 1 when the root is made with the journal (see ot_journal_remove) */
	ot_sb_append(&sb, "B 1 dir");
	put_field(&sb, P.root);
	ot_sb_append(&sb, "\nD 1\n");
	if (sb.oom) {
		r = ot_error_set(err, -ENOMEM, "journal: out of memory");
		goto out;
	}
	sweep_stage(&P);
	sweep_gone(&P, P.gone_in, true);
	sweep_gone(&P, P.gone_out, true);
	/* A concurrent destroy of another instance may remove an empty root
	 * between our steps, a concurrent create make one: retry a few times. */
	for (tries = 0; tries < 4; tries++) {
		if (mkdir(state_dir, 0700) == 0 || errno == EEXIST) {
			r = publish(state_dir, ot_sb_str(&sb), hdr_len, &fd, err);
			if (r != -ENOENT)
				break;
			continue;
		}
		r = ot_error_sys(err, -errno, "mkdir '%s'", state_dir);
		if (r != -ENOENT || !P.root[0])
			break;
		r = publish_staged(&P, ot_sb_str(&sb), sb.len, &fd, err);
		made_root = r == 0;
		if (r != -EEXIST)
			break;
	}
	if (r < 0)
		goto out;
	j->fd = fd;
	j->next_id = made_root ? 2 : 1;
	*ret = j;
	j = NULL;
out:
	ot_sb_free(&sb);
	if (j) {
		pthread_mutex_destroy(&j->lock);
		free(j);
	}
	return r;
}

int ot_journal_begin(struct ot_journal *j, struct ot_jrec *rec, struct ot_error *err)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	const char *f[4] = {rec->a, rec->b, rec->c, rec->d};
	unsigned i;
	int r;

	if ((unsigned)rec->kind >= OT_J__COUNT)
		return ot_error_set(err, -EINVAL, "journal: bad record kind");
	for (i = 0; i < kinds[rec->kind].nfields; i++)
		put_field(&sb, f[i]);
	ot_sb_putc(&sb, '\n');
	/* ids follow the order of the lines: assign and write under one lock */
	pthread_mutex_lock(&j->lock);
	rec->id = j->next_id++;
	rec->state = OT_J_BEGUN;
	{
		struct ot_strbuf line = OT_STRBUF_INIT;

		ot_sb_printf(&line, "B %u %s", rec->id, kinds[rec->kind].name);
		ot_sb_appendn(&line, ot_sb_str(&sb), sb.len);
		r = append(j, &line, err);
		ot_sb_free(&line);
	}
	pthread_mutex_unlock(&j->lock);
	ot_sb_free(&sb);
	return r;
}

/* "D <id>" or "X <id> <errno>" */
static int mark(struct ot_journal *j, char what, unsigned id, int code, struct ot_error *err)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	int r;

	if (what == 'X')
		ot_sb_printf(&sb, "X %u %d\n", id, -code);
	else
		ot_sb_printf(&sb, "D %u\n", id);
	pthread_mutex_lock(&j->lock);
	r = append(j, &sb, err);
	pthread_mutex_unlock(&j->lock);
	ot_sb_free(&sb);
	return r;
}

int ot_journal_done(struct ot_journal *j, unsigned id, struct ot_error *err)
{
	return mark(j, 'D', id, 0, err);
}

int ot_journal_fail(struct ot_journal *j, unsigned id, int code, struct ot_error *err)
{
	return mark(j, 'X', id, code, err);
}

int ot_journal_undone(struct ot_journal *j, unsigned id, struct ot_error *err)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	int r;

	ot_sb_printf(&sb, "U %u\n", id);
	pthread_mutex_lock(&j->lock);
	r = append(j, &sb, err);
	pthread_mutex_unlock(&j->lock);
	ot_sb_free(&sb);
	return r;
}

int ot_journal_complete(struct ot_journal *j, struct ot_error *err)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	int r;

	ot_sb_append(&sb, "C\n");
	pthread_mutex_lock(&j->lock);
	r = append(j, &sb, err);
	pthread_mutex_unlock(&j->lock);
	ot_sb_free(&sb);
	return r;
}

int ot_journal_reopen(const char *state_dir, const struct ot_journal_image *im,
		      struct ot_journal **ret, struct ot_error *err)
{
	struct ot_journal *j;
	int fd;

	if (!im || im->lock_fd < 0)
		return ot_error_set(err, -EINVAL, "journal: reopen needs a locked image");
	fd = fcntl(im->lock_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return ot_error_sys(err, -errno, "journal: dup");
	if (fcntl(fd, F_SETFL, O_APPEND) < 0) {
		close(fd);
		return ot_error_sys(err, -errno, "journal: append mode");
	}
	if (im->torn) {
		/* the tail after the last newline: a record never acted upon */
		char buf[OT_JOURNAL_LINE_MAX + 2];
		struct stat st;
		off_t from;
		ssize_t n;

		if (fstat(fd, &st) < 0) {
			close(fd);
			return ot_error_sys(err, -errno, "journal: stat");
		}
		from = st.st_size > (off_t)sizeof(buf) ? st.st_size - (off_t)sizeof(buf) : 0;
		n = pread(fd, buf, (size_t)(st.st_size - from), from);
		while (n > 0 && buf[n - 1] != '\n')
			n--;
		if (n <= 0 || ftruncate(fd, from + n) < 0) {
			close(fd);
			return ot_error_set(err, -EIO, "journal: cannot cut its torn last record");
		}
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		close(fd);
		return ot_error_set(err, -ENOMEM, "journal: out of memory");
	}
	j->fd = fd;
	j->next_id = (unsigned)im->nrecs + 1;
	pthread_mutex_init(&j->lock, NULL);
	snprintf(j->path, sizeof(j->path), "%s/%s", state_dir, OT_JOURNAL_NAME);
	*ret = j;
	return 0;
}

void ot_journal_close(struct ot_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

/* ---- reading ---- */

void ot_journal_image_free(struct ot_journal_image *im)
{
	if (!im)
		return;
	if (im->lock_fd >= 0)
		close(im->lock_fd);
	free(im->recs);
	ot_arena_free(&im->arena);
	free(im);
}

static int bad_line(struct ot_error *err, unsigned line, const char *why)
{
	return ot_error_set(err, -EINVAL, "journal line %u: %s", line, why);
}

/* Split a line into at most max space-separated tokens. */
static unsigned split(char *line, char **tok, unsigned max)
{
	unsigned n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == max)
			return max + 1;
		tok[n++] = t;
	}
	return n;
}

/* A decimal number without sign, at most max. */
static bool parse_ull(const char *s, unsigned long long max, unsigned long long *ret)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*ret = v;
	return true;
}

static bool parse_uint(const char *s, unsigned *ret)
{
	unsigned long long v;

	if (!parse_ull(s, UINT_MAX, &v))
		return false;
	*ret = (unsigned)v;
	return true;
}

static struct ot_jrec *find(struct ot_journal_image *im, unsigned id)
{
	/* ids are 1, 2, 3... in order, so the index is id - 1 */
	if (id == 0 || id > im->nrecs || im->recs[id - 1].id != id)
		return NULL;
	return &im->recs[id - 1];
}

#define HEADER_TOKENS_V1 5  /* H prefix instance node digest */
#define HEADER_TOKENS_V2 10 /* ... topology created by uid netns */

/* The header line: its length says the version (checked against line 1). */
static int parse_header(struct ot_journal_image *im, char **tok, unsigned n, unsigned no,
			struct ot_error *err)
{
	unsigned long long created, uid, netns;
	unsigned i;

	if (no != 2 || n != (im->version == 1 ? HEADER_TOKENS_V1 : HEADER_TOKENS_V2))
		return bad_line(err, no, "bad header");
	for (i = 1; i < n; i++)
		if (!decode(tok[i]))
			return bad_line(err, no, "bad encoding");
	im->prefix = ot_arena_strdup(&im->arena, tok[1]);
	im->instance = ot_arena_strdup(&im->arena, tok[2]);
	im->node = ot_arena_strdup(&im->arena, tok[3]);
	im->digest = ot_arena_strdup(&im->arena, tok[4]);
	if (im->version == 1)
		return 0;
	if (!parse_ull(tok[6], LLONG_MAX, &created) || !parse_ull(tok[8], UINT_MAX, &uid) ||
	    !parse_ull(tok[9], ULLONG_MAX, &netns))
		return bad_line(err, no, "bad header numbers");
	im->meta.topology = ot_arena_strdup(&im->arena, tok[5]);
	im->meta.created = (long long)created;
	im->meta.by = ot_arena_strdup(&im->arena, tok[7]);
	im->meta.uid = (unsigned)uid;
	im->meta.netns = netns;
	return 0;
}

static int parse_line(struct ot_journal_image *im, char *line, unsigned no, size_t *cap,
		      struct ot_error *err)
{
	char *tok[HEADER_TOKENS_V2 + 1];
	unsigned n = split(line, tok, HEADER_TOKENS_V2), id, i;
	struct ot_jrec *r;

	if (n == 0)
		return bad_line(err, no, "empty");
	if (strcmp(tok[0], "H") == 0)
		return parse_header(im, tok, n, no, err);
	if (n > 7)
		return bad_line(err, no, "too many fields");
	if (!im->prefix)
		return bad_line(err, no, "record before the header");
	if (strcmp(tok[0], "C") == 0 && n == 1) {
		im->complete = true;
		return 0;
	}
	if (n < 2 || !parse_uint(tok[1], &id))
		return bad_line(err, no, "bad record");
	if (strcmp(tok[0], "B") == 0) {
		enum ot_jkind k;

		if (n < 3)
			return bad_line(err, no, "bad record");
		for (k = 0; k < OT_J__COUNT; k++)
			if (strcmp(tok[2], kinds[k].name) == 0)
				break;
		if (k == OT_J__COUNT)
			return bad_line(err, no, "unknown record kind");
		if (n != 3 + kinds[k].nfields)
			return bad_line(err, no, "wrong number of fields");
		if (id != im->nrecs + 1)
			return bad_line(err, no, "record ids out of order");
		if (im->nrecs == OT_JOURNAL_RECORDS_MAX)
			return bad_line(err, no, "too many records");
		if (OT_VEC_RESERVE(im->recs, *cap, im->nrecs + 1) < 0)
			return ot_error_set(err, -ENOMEM, "journal: out of memory");
		r = &im->recs[im->nrecs];
		memset(r, 0, sizeof(*r));
		r->kind = k;
		r->id = id;
		r->state = OT_J_BEGUN;
		for (i = 0; i < kinds[k].nfields; i++) {
			const char *v;

			if (!decode(tok[3 + i]))
				return bad_line(err, no, "bad encoding");
			v = ot_arena_strdup(&im->arena, tok[3 + i]);
			if (i == 0)
				r->a = v;
			else if (i == 1)
				r->b = v;
			else if (i == 2)
				r->c = v;
			else
				r->d = v;
		}
		im->nrecs++;
		return 0;
	}
	r = find(im, id);
	if (!r)
		return bad_line(err, no, "outcome of an unknown record");
	if (strcmp(tok[0], "D") == 0 && n == 2) {
		r->state = OT_J_DONE;
		return 0;
	}
	if (strcmp(tok[0], "U") == 0 && n == 2) {
		r->state = OT_J_UNDONE;
		return 0;
	}
	if (strcmp(tok[0], "X") == 0 && n == 3) {
		unsigned code;

		if (!parse_uint(tok[2], &code) || code == 0 || code > 4095)
			return bad_line(err, no, "bad error code");
		r->state = OT_J_FAILED;
		r->code = -(int)code;
		return 0;
	}
	return bad_line(err, no, "unknown record");
}

/* Parse journal text: ot_journal_read's returns. */
static int parse_text(const char *text, size_t len, struct ot_journal_image **ret,
		      struct ot_error *err)
{
	struct ot_journal_image *im = calloc(1, sizeof(*im));
	size_t pos = 0, cap = 0;
	unsigned no = 0;
	char line[OT_JOURNAL_LINE_MAX + 1];
	int r = 0;

	if (!im)
		return ot_error_set(err, -ENOMEM, "journal: out of memory");
	ot_arena_init(&im->arena);
	im->lock_fd = -1;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n;

		no++;
		if (!nl) {
			/* A record cut short by a crash: it was never acted upon,
			 * because the object comes after its record. */
			im->torn = true;
			break;
		}
		n = (size_t)(nl - (text + pos));
		if (n > OT_JOURNAL_LINE_MAX || memchr(text + pos, '\0', n)) {
			r = bad_line(err, no, "too long or binary");
			goto fail;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (no == 1) {
			int v;
			char extra;

			if (sscanf(line, "opentop-journal %d%c", &v, &extra) != 1 || v < 1 ||
			    v > OT_JOURNAL_VERSION) {
				r = bad_line(err, no, "not an opentop journal of version 1 or 2");
				goto fail;
			}
			im->version = v;
			continue;
		}
		r = parse_line(im, line, no, &cap, err);
		if (r < 0)
			goto fail;
	}
	if (!im->version || !im->prefix) {
		r = ot_error_set(err, -EINVAL, "journal: no header");
		goto fail;
	}
	if (im->arena.oom) {
		r = ot_error_set(err, -ENOMEM, "journal: out of memory");
		goto fail;
	}
	*ret = im;
	return 0;
fail:
	ot_journal_image_free(im);
	return r;
}

int ot_journal_read(const char *state_dir, bool lock, struct ot_journal_image **ret,
		    struct ot_error *err)
{
	char path[PATH_MAX];
	struct ot_strbuf sb = OT_STRBUF_INIT;
	char chunk[65536];
	int fd, r;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", state_dir, OT_JOURNAL_NAME);
	fd = open(path, (lock ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return ot_error_set(err, r, "not created: no journal '%s'", path);
		return ot_error_sys(err, r, "journal: open '%s'", path);
	}
	if (lock && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return ot_error_sys(err, r, "journal '%s' is in use by another otnode", path);
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = ot_error_sys(err, -errno, "journal: read '%s'", path);
			goto fail;
		}
		if (sb.len + (size_t)n > (size_t)OT_JOURNAL_RECORDS_MAX * 64) {
			r = ot_error_set(err, -EFBIG, "journal: '%s' too large", path);
			goto fail;
		}
		ot_sb_appendn(&sb, chunk, (size_t)n);
	}
	if (sb.oom) {
		r = ot_error_set(err, -ENOMEM, "journal: out of memory");
		goto fail;
	}
	r = parse_text(ot_sb_str(&sb), sb.len, ret, err);
	if (r < 0) {
		ot_error_prefix(err, r, "%s", path);
		goto fail;
	}
	ot_sb_free(&sb);
	(*ret)->lock_fd = lock ? fd : -1;
	if (!lock)
		close(fd);
	return 0;
fail:
	ot_sb_free(&sb);
	close(fd);
	return r;
}

/* Whether the journal at path says its create made the state root root:
 * record 1, begun and done in the same write as the header, names it. Its
 * first 8 KiB hold the answer. */
static bool root_ours(const char *root, const char *path)
{
	struct ot_strbuf want = OT_STRBUF_INIT;
	char head[2 * OT_JOURNAL_LINE_MAX + 64];
	const char *p;
	bool ours;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return false;
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return false;
	/* the header line, then exactly what ot_journal_create writes */
	p = memchr(head, '\n', (size_t)n);
	p = p ? memchr(p + 1, '\n', (size_t)(head + n - (p + 1))) : NULL;
	if (!p)
		return false;
	p++;
	ot_sb_append(&want, "B 1 dir");
	put_field(&want, root);
	ot_sb_append(&want, "\nD 1\n");
	ours = !want.oom && (size_t)(head + n - p) >= want.len &&
	       memcmp(p, ot_sb_str(&want), want.len) == 0;
	ot_sb_free(&want);
	return ours;
}

int ot_journal_remove(const char *state_dir, struct ot_error *err)
{
	char path[PATH_MAX];
	struct places P;
	int r;

	if ((r = places_of(state_dir, &P, err)) < 0)
		return r;
	if (P.root[0]) {
		const char *gone;

		join(path, sizeof(path), P.dir, OT_JOURNAL_NAME);
		gone = root_ours(P.root, path) ? P.gone_out : P.gone_in;
		sweep_gone(&P, gone, true); /* one of an earlier destroy */
		if (rename(P.dir, gone) == 0) {
			sweep_gone(&P, gone, false);
			return 0;
		}
		if (errno == ENOENT)
			return 0;
		if (errno != EXDEV)
			return ot_error_sys(err, -errno, "rename '%s' to '%s'", P.dir, gone);
		/* the root is a mount point of its own (so not ours): in place */
	}
	join(path, sizeof(path), P.dir, OT_JOURNAL_NAME);
	if (unlink(path) < 0 && errno != ENOENT)
		return ot_error_sys(err, -errno, "journal: remove '%s'", path);
	remove_journal_dir(P.dir); /* the plans kept beside it */
	if (rmdir(P.dir) < 0 && errno != ENOENT && errno != ENOTEMPTY)
		return ot_error_sys(err, -errno, "remove '%s'", P.dir);
	return 0;
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct ot_journal_image *x = *(struct ot_journal_image *const *)a;
	const struct ot_journal_image *y = *(struct ot_journal_image *const *)b;

	return strcmp(x->prefix, y->prefix);
}

int ot_journal_list(const char *state_root, struct ot_journal_image ***ret, size_t *n,
		    struct ot_error *err)
{
	struct ot_journal_image **v = NULL, *im;
	size_t cnt = 0, cap = 0, i;
	char sd[PATH_MAX];
	struct dirent *de;
	DIR *d;

	*ret = NULL;
	*n = 0;
	d = opendir(state_root);
	if (!d)
		return errno == ENOENT ? 0 : ot_error_sys(err, -errno, "open '%s'", state_root);
	while ((de = readdir(d))) {
		/* leftovers and marks start with '.' (journal.h, cgroup.c) */
		if (de->d_name[0] == '.' ||
		    (size_t)snprintf(sd, sizeof(sd), "%s/%s", state_root, de->d_name) >= sizeof(sd))
			continue;
		if (ot_journal_read(sd, false, &im, NULL) < 0)
			continue;
		if (OT_VEC_RESERVE(v, cap, cnt + 1) < 0) {
			ot_journal_image_free(im);
			for (i = 0; i < cnt; i++)
				ot_journal_image_free(v[i]);
			free(v);
			closedir(d);
			return ot_error_set(err, -ENOMEM, "out of memory");
		}
		v[cnt++] = im;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_prefix);
	*ret = v;
	*n = cnt;
	return 0;
}
