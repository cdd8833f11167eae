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
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/strbuf.h"
#include "util/vec.h"

struct ot_journal {
	int fd;
	unsigned next_id;
	bool sync;
	pthread_mutex_t lock; /* create may journal from several threads */
	char path[PATH_MAX];
};

static const struct {
	const char *name;
	unsigned nfields;
} kinds[OT_J__COUNT] = {
    [OT_J_NETNS] = {"netns", 2},   [OT_J_NSFILE] = {"nsfile", 1}, [OT_J_MOUNT] = {"mount", 1},
    [OT_J_LINK] = {"link", 4},	   [OT_J_SYSCTL] = {"sysctl", 3}, [OT_J_NFT] = {"nft", 3},
    [OT_J_CGROUP] = {"cgroup", 1}, [OT_J_DIR] = {"dir", 1},
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
	if (j->sync && fdatasync(j->fd) < 0)
		return ot_error_sys(err, -errno, "journal: fdatasync '%s'", j->path);
	return 0;
}

/* mkdir one level; *made tells whether this call made it. */
static int mkdir_p1(const char *dir, mode_t mode, bool *made, struct ot_error *err)
{
	*made = mkdir(dir, mode) == 0;
	if (!*made && errno != EEXIST)
		return ot_error_sys(err, -errno, "mkdir '%s'", dir);
	return 0;
}

/*
 * Make the state root (state_dir's parent) and state_dir. A concurrent
 * destroy of another instance may remove an empty root between the two
 * mkdirs (ot_journal_remove): then the root is made again, a few times at
 * most. *made_root tells whether the root is ours to remove.
 */
static int make_dirs(const char *state_dir, const char *root, bool *made_root,
		     struct ot_error *err)
{
	bool made = false, m;
	int tries, r;

	for (tries = 0; tries < 4; tries++) {
		if (root && (r = mkdir_p1(root, 0755, &m, err)) < 0)
			return r;
		made |= root && m;
		if (mkdir(state_dir, 0700) == 0 || errno == EEXIST) {
			*made_root = made;
			return 0;
		}
		if (errno != ENOENT || !root)
			break;
	}
	return ot_error_sys(err, -errno, "mkdir '%s'", state_dir);
}

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

int ot_journal_create(const char *state_dir, const char *prefix, const char *instance,
		      const char *node, const char *digest, bool sync, struct ot_journal **ret,
		      struct ot_error *err)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_journal *j;
	char root[PATH_MAX];
	bool has_root, made_root = false;
	int r;

	if (strlen(state_dir) + sizeof(OT_JOURNAL_NAME) + 2 > sizeof(j->path))
		return ot_error_set(err, -ENAMETOOLONG, "journal: state dir too long");
	has_root = root_of(state_dir, root, sizeof(root));
	if ((r = make_dirs(state_dir, has_root ? root : NULL, &made_root, err)) < 0)
		return r;
	j = calloc(1, sizeof(*j));
	if (!j)
		return ot_error_set(err, -ENOMEM, "journal: out of memory");
	snprintf(j->path, sizeof(j->path), "%s/%s", state_dir, OT_JOURNAL_NAME);
	j->sync = sync;
	j->next_id = 1;
	pthread_mutex_init(&j->lock, NULL);
	j->fd =
	    open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (j->fd < 0) {
		r = -errno;
		free(j);
		if (r == -EEXIST)
			return ot_error_set(err, r, "already created: journal '%s/%s' exists",
					    state_dir, OT_JOURNAL_NAME);
		return ot_error_sys(err, r, "journal: create '%s/%s'", state_dir, OT_JOURNAL_NAME);
	}
	if (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		ot_journal_close(j);
		return ot_error_sys(err, r == -EWOULDBLOCK ? -EBUSY : r, "journal: lock");
	}
	ot_sb_printf(&sb, "opentop-journal %d\nH", OT_JOURNAL_VERSION);
	put_field(&sb, prefix);
	put_field(&sb, instance);
	put_field(&sb, node);
	put_field(&sb, digest);
	ot_sb_putc(&sb, '\n');
	if (made_root) {
		/* Record 1, begun and done in the same write as the header (see
		 * ot_journal_remove). A crash between the mkdir and this write
		 * leaves an empty root behind: the journal cannot be written
		 * before the directories that hold it. */
		ot_sb_append(&sb, "B 1 dir");
		put_field(&sb, root);
		ot_sb_append(&sb, "\nD 1\n");
		j->next_id = 2;
	}
	r = append(j, &sb, err);
	ot_sb_free(&sb);
	if (r < 0) {
		ot_journal_close(j);
		return r;
	}
	*ret = j;
	return 0;
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

static bool parse_uint(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT_MAX)
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

static int parse_line(struct ot_journal_image *im, char *line, unsigned no, size_t *cap,
		      struct ot_error *err)
{
	char *tok[8];
	unsigned n = split(line, tok, 7), id, i;
	struct ot_jrec *r;

	if (n == 0)
		return bad_line(err, no, "empty");
	if (strcmp(tok[0], "H") == 0) {
		if (n != 5 || no != 2)
			return bad_line(err, no, "bad header");
		for (i = 1; i < 5; i++)
			if (!decode(tok[i]))
				return bad_line(err, no, "bad encoding");
		im->prefix = ot_arena_strdup(&im->arena, tok[1]);
		im->instance = ot_arena_strdup(&im->arena, tok[2]);
		im->node = ot_arena_strdup(&im->arena, tok[3]);
		im->digest = ot_arena_strdup(&im->arena, tok[4]);
		return 0;
	}
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
		if (n != 3 + kinds[k].nfields) /* n == 8: more than 7 tokens */
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

int ot_journal_parse(const char *text, size_t len, struct ot_journal_image **ret,
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

			if (sscanf(line, "opentop-journal %d%c", &v, &extra) != 1 ||
			    v != OT_JOURNAL_VERSION) {
				r = bad_line(err, no, "not an opentop journal of version 1");
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
	r = ot_journal_parse(ot_sb_str(&sb), sb.len, ret, err);
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

bool ot_journal_root_ours(const char *state_dir, const char *text, size_t len)
{
	struct ot_strbuf want = OT_STRBUF_INIT;
	char root[PATH_MAX];
	const char *p;
	bool ours = false;

	if (!root_of(state_dir, root, sizeof(root)))
		return false;
	/* the header line, then exactly what ot_journal_create writes */
	p = memchr(text, '\n', len);
	p = p ? memchr(p + 1, '\n', len - (size_t)(p + 1 - text)) : NULL;
	if (!p)
		return false;
	p++;
	ot_sb_append(&want, "B 1 dir");
	put_field(&want, root);
	ot_sb_append(&want, "\nD 1\n");
	ours = !want.oom && (size_t)(text + len - p) >= want.len &&
	       memcmp(p, ot_sb_str(&want), want.len) == 0;
	ot_sb_free(&want);
	return ours;
}

/* Whether the journal in state_dir says its create made the state root:
 * its first 4 KiB hold the answer (header, then record 1). */
static bool root_ours(const char *state_dir, const char *path)
{
	char head[2 * OT_JOURNAL_LINE_MAX + 64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return false;
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	close(fd);
	return n > 0 && ot_journal_root_ours(state_dir, head, (size_t)n);
}

int ot_journal_remove(const char *state_dir, struct ot_error *err)
{
	char path[PATH_MAX], root[PATH_MAX];
	bool ours;

	snprintf(path, sizeof(path), "%s/%s", state_dir, OT_JOURNAL_NAME);
	ours = root_ours(state_dir, path);
	if (unlink(path) < 0 && errno != ENOENT)
		return ot_error_sys(err, -errno, "journal: remove '%s'", path);
	if (rmdir(state_dir) < 0 && errno != ENOENT && errno != ENOTEMPTY)
		return ot_error_sys(err, -errno, "remove '%s'", state_dir);
	/* The root goes only when empty: another instance may be using it. */
	if (ours && root_of(state_dir, root, sizeof(root)) && rmdir(root) < 0 &&
	    errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST && errno != EBUSY)
		return ot_error_sys(err, -errno, "remove '%s'", root);
	return 0;
}
