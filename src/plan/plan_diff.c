/*
 * plan_diff.c - the difference between two plans of one node (contract and
 * rules in plan_diff.h).
 *
 * Each operation gets a key string and a content string; the operations
 * of both plans are sorted by key and merged, which pairs an object of the
 * old plan with the same object of the new one. Dependants of what goes
 * are then found by a worklist over the old plan (only a removal can take
 * other objects along; an addition never disturbs what exists).
 */
#include "plan/plan_diff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "plan/plan_text.h"

static const char *const kind_names[OT_DIFF__COUNT] = {
    [OT_DIFF_ADD] = "add",
    [OT_DIFF_REMOVE] = "remove",
    [OT_DIFF_REPLACE] = "replace",
    [OT_DIFF_UPDATE] = "update",
};

static const char kind_marks[OT_DIFF__COUNT] = {
    [OT_DIFF_ADD] = '+',
    [OT_DIFF_REMOVE] = '-',
    [OT_DIFF_REPLACE] = '~',
    [OT_DIFF_UPDATE] = '*',
};

const char *ot_diff_kind_name(enum ot_diff_kind k)
{
	return (unsigned)k < OT_DIFF__COUNT ? kind_names[k] : "?";
}

static const char *nsn(const struct ot_plan *p, int i)
{
	return i == OT_NS_HOST_INDEX || i < 0 || (size_t)i >= p->nns ? "host" : p->ns[i].name;
}

/* ---- keys and contents ---- */

static void key_of(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *sb)
{
	char a[OT_PREFIX_STRLEN], b[OT_ADDR_STRLEN];

	ot_sb_printf(sb, "%s|%s|", ot_op_kind_name(op->kind), nsn(p, op->ns));
	switch (op->kind) {
	case OT_OP_NETNS:
		break;
	case OT_OP_LINK:
		ot_sb_append(sb, op->link.name);
		break;
	case OT_OP_LINK_UP:
		ot_sb_append(sb, op->dev);
		break;
	case OT_OP_ADDR:
		ot_prefix_format(&op->addr.addr, a, sizeof(a));
		ot_sb_printf(sb, "%s|%s", op->addr.dev, a);
		break;
	case OT_OP_ROUTE:
		ot_prefix_format(&op->route.dst, a, sizeof(a));
		ot_sb_printf(sb, "%d|%s|%u", op->route.dst.addr.family, a, op->route.metric);
		break;
	case OT_OP_FDB:
		ot_mac_format(&op->fdb.mac, a, sizeof(a));
		ot_addr_format(&op->fdb.dst, b, sizeof(b));
		ot_sb_printf(sb, "%s|%s|%s", op->fdb.dev, a, b);
		break;
	case OT_OP_SYSCTL:
		ot_sb_append(sb, op->sysctl.key);
		break;
	case OT_OP_NFT:
		ot_sb_append(sb, op->nft.table);
		break;
	case OT_OP_CGROUP:
		ot_sb_append(sb, op->cgroup.path);
		break;
	case OT_OP_MOUNT:
		ot_sb_printf(sb, "%d|%s", op->mount.kind, op->mount.dst ? op->mount.dst : "/");
		break;
	default:
		break;
	}
}

/* Everything the kernel is told, by name: the one-line form of the
 * operation (which names peer and socket namespaces), the whole table for
 * nft, the namespace's own settings for netns. Origins are left out: a line
 * moved in the source changes nothing on the node. */
static void content_of(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *sb)
{
	ot_plan_op_text(p, op, sb);
	if (op->kind == OT_OP_NFT) {
		ot_sb_putc(sb, '\n');
		ot_nft_table_text(&op->nft, "", sb);
	} else if (op->kind == OT_OP_NETNS && op->ns > 0 && (size_t)op->ns < p->nns) {
		const struct ot_plan_ns *n = &p->ns[op->ns];

		ot_sb_printf(sb, "|%s|%s|%u|%s|%s", ot_ns_role_name(n->role),
			     n->container ? n->container : "", n->isolate,
			     n->hostname ? n->hostname : "", n->cgroup ? n->cgroup : "");
	}
}

struct side {
	const struct ot_plan *p;
	size_t n;
	char **key, **content;
	size_t *order; /* op indices sorted by key */
	size_t *pair;  /* op index in the other plan, OT_DIFF_NONE */
};

static const struct side *sort_side; /* qsort has no context argument */

static int by_key(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(sort_side->key[i], sort_side->key[j]);

	return c ? c : (i < j ? -1 : i > j);
}

static void side_free(struct side *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->key)
			free(s->key[i]);
		if (s->content)
			free(s->content[i]);
	}
	free(s->key);
	free(s->content);
	free(s->order);
	free(s->pair);
}

static int side_init(struct side *s, const struct ot_plan *p)
{
	size_t i;

	s->p = p;
	s->n = p ? p->nops : 0;
	s->key = calloc(s->n + 1, sizeof(*s->key));
	s->content = calloc(s->n + 1, sizeof(*s->content));
	s->order = calloc(s->n + 1, sizeof(*s->order));
	s->pair = calloc(s->n + 1, sizeof(*s->pair));
	if (!s->key || !s->content || !s->order || !s->pair)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		struct ot_strbuf k = OT_STRBUF_INIT, c = OT_STRBUF_INIT;

		key_of(p, &p->ops[i], &k);
		content_of(p, &p->ops[i], &c);
		if (k.oom || c.oom) {
			ot_sb_free(&k);
			ot_sb_free(&c);
			return -ENOMEM;
		}
		s->key[i] = ot_sb_steal(&k);
		s->content[i] = ot_sb_steal(&c);
		if (!s->key[i] || !s->content[i])
			return -ENOMEM;
		s->order[i] = i;
		s->pair[i] = OT_DIFF_NONE;
	}
	sort_side = s;
	qsort(s->order, s->n, sizeof(*s->order), by_key);
	sort_side = NULL;
	return 0;
}

/* ---- dependants (within the old plan) ---- */

/* Does the per-device sysctl key name dev ("net/ipv4/conf/DEV/forwarding")? */
static bool sysctl_names_dev(const char *key, const char *dev)
{
	size_t n = strlen(dev);
	const char *s;

	for (s = strchr(key, '/'); s; s = strchr(s + 1, '/'))
		if (strncmp(s + 1, dev, n) == 0 && (s[1 + n] == '/' || s[1 + n] == '\0'))
			return true;
	return false;
}

/* Does op (of plan p) need device dev in namespace ns to exist? */
static bool needs_dev(const struct ot_plan *p, const struct ot_op *op, int ns, const char *dev)
{
	if (op->kind == OT_OP_LINK && op->link.kind == OT_LINK_VETH && op->link.peer_ns == ns &&
	    strcmp(op->link.peer_master, dev) == 0)
		return true;
	if (op->kind == OT_OP_LINK && op->link.kind == OT_LINK_MACVLAN && ns == OT_NS_HOST_INDEX &&
	    strcmp(op->link.lower, dev) == 0)
		return true;
	if (op->ns != ns)
		return false;
	switch (op->kind) {
	case OT_OP_LINK:
		return strcmp(op->link.master, dev) == 0;
	case OT_OP_LINK_UP:
		return strcmp(op->dev, dev) == 0;
	case OT_OP_ADDR:
		return strcmp(op->addr.dev, dev) == 0;
	case OT_OP_ROUTE:
		return !op->route.dev[0] || strcmp(op->route.dev, dev) == 0;
	case OT_OP_FDB:
		return strcmp(op->fdb.dev, dev) == 0;
	case OT_OP_SYSCTL:
		return sysctl_names_dev(op->sysctl.key, dev);
	default:
		return false;
	}
}

/* Does op b (of plan p) go when op a goes? */
static bool depends(const struct ot_plan *p, const struct ot_op *a, const struct ot_op *b)
{
	if (a == b)
		return false;
	switch (a->kind) {
	case OT_OP_NETNS:
		if (a->ns == OT_NS_HOST_INDEX)
			return false;
		return b->ns == a->ns ||
		       (b->kind == OT_OP_LINK && b->link.kind == OT_LINK_VETH &&
			b->link.peer_ns == a->ns) ||
		       (b->kind == OT_OP_LINK && b->link.kind == OT_LINK_VXLAN &&
			b->link.sock_ns == a->ns);
	case OT_OP_LINK:
		if (needs_dev(p, b, a->ns, a->link.name))
			return true;
		if (a->link.kind == OT_LINK_VETH &&
		    (needs_dev(p, b, a->link.peer_ns, a->link.peer_name) ||
		     (b->kind == OT_OP_LINK && b->ns == a->link.peer_ns &&
		      strcmp(b->link.name, a->link.peer_name) == 0)))
			return true;
		return false;
	case OT_OP_ADDR:
		/* a gateway reached through the prefix that goes */
		return b->kind == OT_OP_ROUTE && b->ns == a->ns;
	default:
		return false;
	}
}

struct work {
	struct ot_plan_diff *d;
	struct side *o, *n;
	size_t *stack, top;
};

/* Mark old op i removed (its new pair, if any, is added again). */
static void mark(struct work *w, size_t i)
{
	size_t j;

	if (w->d->remove[i])
		return;
	w->d->remove[i] = true;
	j = w->o->pair[i];
	if (j != OT_DIFF_NONE) {
		w->d->add[j] = true;
		w->d->update[j] = false;
	}
	w->stack[w->top++] = i;
}

static void propagate(struct work *w)
{
	const struct ot_plan *p = w->o->p;
	size_t i, k;

	while (w->top) {
		i = w->stack[--w->top];
		for (k = 0; k < p->nops; k++)
			if (!w->d->remove[k] && depends(p, &p->ops[i], &p->ops[k]))
				mark(w, k);
	}
}

/* The NETNS op of namespace ns in plan p, or OT_DIFF_NONE. */
static size_t netns_op(const struct ot_plan *p, int ns)
{
	size_t i;

	for (i = 0; i < p->nops; i++)
		if (p->ops[i].kind == OT_OP_NETNS && p->ops[i].ns == ns)
			return i;
	return OT_DIFF_NONE;
}

/* ---- the diff ---- */

void ot_plan_diff_free(struct ot_plan_diff *d)
{
	if (!d)
		return;
	free(d->remove);
	free(d->add);
	free(d->update);
	free(d->items);
	free(d);
}

bool ot_plan_diff_empty(const struct ot_plan_diff *d)
{
	return !d->count[OT_DIFF_ADD] && !d->count[OT_DIFF_REMOVE] && !d->count[OT_DIFF_REPLACE] &&
	       !d->count[OT_DIFF_UPDATE];
}

static void pair_up(struct side *o, struct side *n)
{
	size_t a = 0, b = 0;

	while (a < o->n && b < n->n) {
		size_t i = o->order[a], j = n->order[b];
		int c = strcmp(o->key[i], n->key[j]);

		if (c == 0) {
			o->pair[i] = j;
			n->pair[j] = i;
			a++;
			b++;
		} else if (c < 0) {
			a++;
		} else {
			b++;
		}
	}
}

static int list_items(struct ot_plan_diff *d, const struct side *o, const struct side *n)
{
	size_t i, k = 0, j;

	d->items = calloc(o->n + n->n + 1, sizeof(*d->items));
	if (!d->items)
		return -ENOMEM;
	for (i = 0; i < o->n; i++) {
		if (!d->remove[i])
			continue;
		j = o->pair[i];
		d->items[k] = (struct ot_diff_item){OT_DIFF_REMOVE, i, OT_DIFF_NONE, false};
		if (j != OT_DIFF_NONE) {
			d->items[k].kind = OT_DIFF_REPLACE;
			d->items[k].new_op = j;
			d->items[k].implied = strcmp(o->content[i], n->content[j]) == 0;
		}
		d->count[d->items[k].kind]++;
		k++;
	}
	for (j = 0; j < n->n; j++) {
		if (d->update[j]) {
			d->items[k] = (struct ot_diff_item){OT_DIFF_UPDATE, n->pair[j], j, false};
		} else if (d->add[j] && n->pair[j] == OT_DIFF_NONE) {
			d->items[k] = (struct ot_diff_item){OT_DIFF_ADD, OT_DIFF_NONE, j, false};
		} else {
			if (!d->add[j])
				d->unchanged++;
			continue;
		}
		d->count[d->items[k].kind]++;
		k++;
	}
	d->nitems = k;
	return 0;
}

int ot_plan_diff(const struct ot_plan *from, const struct ot_plan *to, struct ot_plan_diff **ret,
		 struct ot_error *err)
{
	struct side o = {0}, n = {0};
	struct ot_plan_diff *d;
	struct work w = {0};
	size_t i, j;
	int r;

	if (from && to &&
	    strcmp(from->prefix ? from->prefix : "", to->prefix ? to->prefix : "") != 0)
		return ot_error_set(
		    err, -EINVAL,
		    "%s: the running plan is instance '%s' (%s), the new one '%s' "
		    "(%s): not the same topology instance and node",
		    to->node ? to->node : "?", from->instance ? from->instance : "?",
		    from->prefix ? from->prefix : "?", to->instance ? to->instance : "?",
		    to->prefix ? to->prefix : "?");
	d = calloc(1, sizeof(*d));
	if (!d)
		return ot_error_set(err, -ENOMEM, "out of memory");
	d->from = from;
	d->to = to;
	r = side_init(&o, from);
	if (r == 0)
		r = side_init(&n, to);
	d->nfrom = o.n;
	d->nto = n.n;
	d->remove = calloc(o.n + 1, 1);
	d->add = calloc(n.n + 1, 1);
	d->update = calloc(n.n + 1, 1);
	w.stack = calloc(o.n + 1, sizeof(*w.stack));
	if (r < 0 || !d->remove || !d->add || !d->update || !w.stack) {
		r = ot_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	w.d = d;
	w.o = &o;
	w.n = &n;
	pair_up(&o, &n);

	for (j = 0; j < n.n; j++)
		if (n.pair[j] == OT_DIFF_NONE)
			d->add[j] = true;
	/* a container's mounts are made once, in its fresh mount namespace:
	 * any change to them (one added too) makes the container again */
	for (j = 0; j < n.n; j++)
		if (to->ops[j].kind == OT_OP_MOUNT && d->add[j]) {
			size_t k = netns_op(to, to->ops[j].ns);

			if (k != OT_DIFF_NONE && n.pair[k] != OT_DIFF_NONE)
				mark(&w, n.pair[k]);
		}
	propagate(&w);
	for (i = 0; i < o.n; i++) {
		const struct ot_op *op = &from->ops[i];

		j = o.pair[i];
		if (op->kind == OT_OP_MOUNT &&
		    (j == OT_DIFF_NONE || strcmp(o.content[i], n.content[j]) != 0)) {
			size_t k = netns_op(from, op->ns);

			if (k != OT_DIFF_NONE)
				mark(&w, k);
		}
		if (j == OT_DIFF_NONE) {
			/* a sysctl of one of our namespaces has no recorded old
			 * value: the namespace is made again */
			if (op->kind == OT_OP_SYSCTL && op->ns != OT_NS_HOST_INDEX) {
				size_t k = netns_op(from, op->ns);

				if (k != OT_DIFF_NONE)
					mark(&w, k);
			}
			mark(&w, i);
		} else if (strcmp(o.content[i], n.content[j]) != 0) {
			if (op->kind == OT_OP_SYSCTL || op->kind == OT_OP_NFT)
				d->update[j] = !d->remove[i];
			else
				mark(&w, i);
		}
		propagate(&w);
	}
	r = list_items(d, &o, &n);
	if (r < 0)
		r = ot_error_set(err, -ENOMEM, "out of memory");
out:
	free(w.stack);
	side_free(&o);
	side_free(&n);
	if (r < 0) {
		ot_plan_diff_free(d);
		return r;
	}
	*ret = d;
	return 0;
}

/* ---- rendering ---- */

static const struct ot_op *item_op(const struct ot_plan_diff *d, const struct ot_diff_item *it,
				   const struct ot_plan **ret_p)
{
	if (it->new_op != OT_DIFF_NONE) {
		*ret_p = d->to;
		return &d->to->ops[it->new_op];
	}
	*ret_p = d->from;
	return &d->from->ops[it->old_op];
}

void ot_plan_diff_text(const struct ot_plan_diff *d, const char *node, struct ot_strbuf *out)
{
	size_t i, w = 4;

	ot_sb_printf(out,
		     "%s: %zu to add, %zu to remove, %zu to replace, %zu to update (%zu "
		     "unchanged)\n",
		     node, d->count[OT_DIFF_ADD], d->count[OT_DIFF_REMOVE],
		     d->count[OT_DIFF_REPLACE], d->count[OT_DIFF_UPDATE], d->unchanged);
	for (i = 0; i < d->nitems; i++) {
		const struct ot_plan *p;
		const struct ot_op *op = item_op(d, &d->items[i], &p);
		size_t l = strlen(nsn(p, op->ns));

		if (l > w)
			w = l;
	}
	for (i = 0; i < d->nitems; i++) {
		const struct ot_diff_item *it = &d->items[i];
		const struct ot_plan *p;
		const struct ot_op *op = item_op(d, it, &p);

		ot_sb_printf(out, "  %c %-6s  %-*s  ", kind_marks[it->kind],
			     ot_op_kind_name(op->kind), (int)w, nsn(p, op->ns));
		ot_plan_op_text(p, op, out);
		if (it->implied)
			ot_sb_append(out, "  (again: what it depends on is replaced)");
		if (op->origin)
			ot_sb_printf(out, "  # %s", op->origin);
		ot_sb_putc(out, '\n');
	}
}

json_t *ot_plan_diff_json(const struct ot_plan_diff *d, const char *node)
{
	json_t *o = json_object(), *a = json_array();
	size_t i;

	if (!o || !a)
		goto oom;
	json_object_set_new(o, "node", json_string(node));
	for (i = 0; i < OT_DIFF__COUNT; i++)
		json_object_set_new(o, kind_names[i], json_integer((json_int_t)d->count[i]));
	json_object_set_new(o, "unchanged", json_integer((json_int_t)d->unchanged));
	for (i = 0; i < d->nitems; i++) {
		const struct ot_diff_item *it = &d->items[i];
		const struct ot_plan *p;
		const struct ot_op *op = item_op(d, it, &p);
		struct ot_strbuf sb = OT_STRBUF_INIT;
		json_t *c = json_object();

		if (!c)
			goto oom;
		ot_plan_op_text(p, op, &sb);
		json_object_set_new(c, "action", json_string(kind_names[it->kind]));
		json_object_set_new(c, "kind", json_string(ot_op_kind_name(op->kind)));
		json_object_set_new(c, "ns", json_string(nsn(p, op->ns)));
		json_object_set_new(c, "what", json_string(sb.oom ? "" : ot_sb_str(&sb)));
		if (op->origin)
			json_object_set_new(c, "origin", json_string(op->origin));
		if (it->implied)
			json_object_set_new(c, "implied", json_true());
		ot_sb_free(&sb);
		json_array_append_new(a, c);
	}
	json_object_set_new(o, "changes", a);
	return o;
oom:
	json_decref(o);
	json_decref(a);
	return NULL;
}
