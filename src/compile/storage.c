/*
 * storage.c - the back end of a container's storage (docs/language.md,
 * "root", "mount", "tmp"): the administrator's storage bounds (binds=,
 * root=; compile/bounds.h), checked with a diagnostic at the offending
 * statement, and the lowering into OT_OP_MOUNT operations, a root first,
 * right after the node's namespaces (plan.h: each is made inside the
 * container's mount namespace, which holds it).
 */
#include "compile/cc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vocab/vocab.h"

#define TMPFS_MODE 01777 /* every user of the container may write, as /tmp */

/* ---- bounds ---- */

/* Is src under one of the allowed bind directories? */
static bool bind_allowed(const struct ot_bounds *b, const char *src)
{
	const char *d = b->binds_buf;
	uint32_t i;

	if (!b->binds_bound)
		return true;
	for (i = 0; i < b->nbinds; i++, d += strlen(d) + 1)
		if (ot_path_under(src, d))
			return true;
	return false;
}

static void binds_list(const struct ot_bounds *b, char *buf, size_t size)
{
	const char *d = b->binds_buf;
	size_t off = 0;
	uint32_t i;

	buf[0] = '\0';
	for (i = 0; i < b->nbinds && off < size; i++, d += strlen(d) + 1)
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? ", " : "", d);
}

int cc_check_storage_bounds(struct cc *c)
{
	const struct ot_bounds *b = c->o->bounds;
	uint32_t i;
	size_t j;
	int rc = 0;

	if (!b)
		return 0;
	for (i = 0; i < c->ncontainers; i++) {
		const struct ot_m_container *mc = c->containers[i].mc;

		if (b->forbid_root && mc->root) {
			struct ot_diag *g = ot_diag_error(
			    c->d, mc->root_loc, "a root directory for '%s' is not allowed here",
			    mc->name);

			ot_diag_hint(g, "the administrator does not allow root directories "
					"(root=no)");
			rc = -EINVAL;
		}
		for (j = 0; j < mc->nmounts; j++) {
			const struct ot_m_mount *m = &mc->mounts[j];
			char list[512];
			struct ot_diag *g;

			if (m->kind != OT_M_MOUNT_BIND || bind_allowed(b, m->src))
				continue;
			if (!b->nbinds) {
				g = ot_diag_error(c->d, m->src_loc,
						  "bind mount of '%s' in '%s' is not allowed here",
						  m->src, mc->name);
				ot_diag_hint(g, "the administrator allows no bind mounts "
						"(binds=none)");
			} else {
				g = ot_diag_error(c->d, m->src_loc,
						  "bind source '%s' of '%s' is outside the paths "
						  "the administrator allows",
						  m->src, mc->name);
				binds_list(b, list, sizeof(list));
				ot_diag_hint(g, "allowed: %s and what is below them", list);
			}
			rc = -EINVAL;
		}
	}
	return rc;
}

/* ---- lowering ---- */

static struct ot_op *mount_op(struct cc *c, struct ot_plan *p, int ns, const struct ot_loc *loc,
			      enum ot_mount_kind kind)
{
	int i = ot_plan_add_op(p, OT_OP_MOUNT, ns);

	if (i < 0)
		return NULL;
	p->ops[i].origin = cc_origin(c, p, loc);
	p->ops[i].mount.kind = kind;
	return &p->ops[i];
}

int cc_lower_mounts(struct cc *c, struct ot_plan *p, uint32_t nd)
{
	const struct cc_node *node = &c->nodes[nd];
	/* with binds bounded, the node refuses a symbolic link on a source's
	 * path: the bound is checked on the path as written */
	bool nofollow = c->o->bounds && c->o->bounds->binds_bound;
	uint32_t i;
	size_t j;

	for (i = 0; i < node->ncontainers; i++) {
		const struct cc_container *cc = &c->containers[node->containers[i]];
		const struct ot_m_container *mc = cc->mc;
		struct ot_op *op;

		if (mc->root) {
			op = mount_op(c, p, cc->ns, &mc->root_loc, OT_MOUNT_ROOT);
			if (!op)
				return -ENOMEM;
			op->mount.src = ot_plan_strdup(p, mc->root);
			op->mount.ro = mc->root_ro;
		}
		for (j = 0; j < mc->nmounts; j++) {
			const struct ot_m_mount *m = &mc->mounts[j];

			op = mount_op(c, p, cc->ns, &m->loc,
				      m->kind == OT_M_MOUNT_BIND ? OT_MOUNT_BIND : OT_MOUNT_TMPFS);
			if (!op)
				return -ENOMEM;
			op->mount.dst = ot_plan_strdup(p, m->dst);
			if (m->kind == OT_M_MOUNT_BIND) {
				op->mount.src = ot_plan_strdup(p, m->src);
				op->mount.ro = m->ro;
				op->mount.nofollow = nofollow;
			} else {
				op->mount.size = m->size;
				op->mount.mode = TMPFS_MODE;
			}
		}
	}
	return p->arena.oom ? -ENOMEM : 0;
}
