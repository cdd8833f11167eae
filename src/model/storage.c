/*
 * storage.c - the storage statements of a container, expanded and checked
 * (docs/language.md, "root", "mount", "tmp"): paths absolute and normal,
 * tmpfs sizes in range, one root, one mount per target, at most
 * MAX_MOUNTS mounts, and all of it only in a container with its own mount
 * namespace. What only the node can tell (that a directory exists, that a
 * size fits its memory) is checked there (src/exec/mount.c); what the
 * administrator allows, by the compiler (compile/bounds.c).
 */
#include "model/expand_int.h"

#include <string.h>

#define MAX_MOUNTS 64
#define MIN_TMPFS  (4ull << 10) /* one page */
#define MAX_TMPFS  (1ull << 50) /* 1024T, as memory limits */
#define TMP_DIR	   "/tmp"

static void note_first(struct xctx *x, struct ot_loc loc)
{
	if (!x->cs.storage_loc.line)
		x->cs.storage_loc = loc;
}

/* A path word: absolute, normal, not "/" unless root_ok. NULL after an error. */
static const char *path_of(struct xctx *x, struct ot_ast_word *w, const char *what)
{
	const char *t = xp_word_text(x, w);
	const char *s;
	char buf[80];

	if (!t)
		return NULL;
	if (!ot_abspath_valid(t)) {
		struct ot_diag *g =
		    xp_xerr(x, w->loc, "invalid %s '%s'", what, xp_shown(t, buf, sizeof(buf)));

		xp_xhint(x, g,
			 "an absolute path without '.', '..', '//' or a trailing '/', at most "
			 "%d bytes",
			 OT_PATH_MAX);
		return NULL;
	}
	if (!strcmp(t, "/")) {
		xp_xerr(x, w->loc, "the %s may not be '/'", what);
		return NULL;
	}
	s = ot_arena_strdup(x->ma, t);
	if (!s)
		x->oom = true;
	return s;
}

static bool size_of(struct xctx *x, struct ot_ast_word *w, uint64_t *ret)
{
	const char *t = xp_word_text(x, w);
	char buf[80];
	uint64_t v;

	if (!t)
		return false;
	if (!xp_parse_size(t, &v)) {
		struct ot_diag *g =
		    xp_xerr(x, w->loc, "invalid tmpfs size '%s'", xp_shown(t, buf, sizeof(buf)));

		xp_xhint(x, g, "bytes, or a number with K, M, G or T (binary units): 64M");
		return false;
	}
	if (v < MIN_TMPFS || v > MAX_TMPFS) {
		xp_xerr(x, w->loc, "tmpfs size %s is out of range (4K..1024T)", t);
		return false;
	}
	*ret = v;
	return true;
}

void xp_root(struct xctx *x, struct ot_ast_stmt *st)
{
	struct ot_m_container *c = x->cs.c;
	const char *src;

	note_first(x, st->loc);
	if (c->root) {
		xp_duplicate(x, st->loc, c->root_loc, "'root'");
		return;
	}
	src = path_of(x, st->u.storage.src, "root directory");
	if (!src)
		return;
	c->root = src;
	c->root_ro = st->u.storage.ro;
	c->root_loc = xp_mloc(x, st->loc);
}

/* mount bind, mount tmpfs, tmp private */
void xp_mount(struct xctx *x, struct ot_ast_stmt *st)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_mount m = {.loc = xp_mloc(x, st->loc)};
	size_t i;

	note_first(x, st->loc);
	switch (st->u.storage.kind) {
	case OT_AM_BIND:
		m.kind = OT_M_MOUNT_BIND;
		m.src_loc = xp_mloc(x, st->u.storage.src->loc);
		m.src = path_of(x, st->u.storage.src, "bind source");
		m.dst = path_of(x, st->u.storage.dst, "mount target");
		m.ro = st->u.storage.ro;
		if (!m.src || !m.dst)
			return;
		break;
	case OT_AM_TMPFS:
		m.kind = OT_M_MOUNT_TMPFS;
		m.dst = path_of(x, st->u.storage.dst, "mount target");
		if (!m.dst || !size_of(x, st->u.storage.size, &m.size))
			return;
		break;
	case OT_AM_TMP:
		if (cs->tmp_set) {
			struct ot_loc first = {0};

			for (i = 0; i < cs->mounts.n; i++)
				if (!strcmp(cs->mounts.v[i].dst, TMP_DIR))
					first = cs->mounts.v[i].loc;
			xp_duplicate(x, st->loc, first, "'tmp private'");
			return;
		}
		cs->tmp_set = true;
		m.kind = OT_M_MOUNT_TMPFS;
		m.dst = TMP_DIR;
		if (st->u.storage.size && !size_of(x, st->u.storage.size, &m.size))
			return;
		break;
	default:
		return;
	}
	for (i = 0; i < cs->mounts.n; i++) {
		if (!strcmp(cs->mounts.v[i].dst, m.dst)) {
			struct ot_diag *g = xp_xerr(x, st->loc, "'%s' is mounted twice in '%s'",
						    m.dst, cs->c->name);

			ot_diag_note(g, cs->mounts.v[i].loc, "first mounted here");
			return;
		}
	}
	if (cs->mounts.n == MAX_MOUNTS) {
		xp_xerr(x, st->loc, "too many mounts in container '%s' (the limit is %d)",
			cs->c->name, MAX_MOUNTS);
		return;
	}
	if (!VPUSH(x, cs->mounts))
		return;
	cs->mounts.v[cs->mounts.n - 1] = m;
}

void xp_storage_finish(struct xctx *x)
{
	struct cscratch *cs = &x->cs;
	struct ot_m_container *c = cs->c;

	if (cs->storage_loc.line && !(c->isolate & OT_ISO_MNT)) {
		struct ot_diag *g =
		    xp_xerr(x, cs->storage_loc, "'root', 'mount' and 'tmp' need 'isolate mount'");

		xp_xhint(x, g,
			 "the mounts are made in the container's own mount namespace; add "
			 "'mount' to its 'isolate' statement");
	}
	c->mounts = NULL;
	c->nmounts = 0;
	if (cs->mounts.n) {
		c->mounts =
		    ot_arena_memdup(x->ma, cs->mounts.v, cs->mounts.n * sizeof(*cs->mounts.v));
		if (!c->mounts)
			x->oom = true;
		else
			c->nmounts = cs->mounts.n;
	}
}
