/*
 * plan.c - building, querying, validating and ordering the teardown of node
 * plans (contract in plan.h).
 */
#include "plan/plan.h"

#include <stdio.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/bits.h"
#include "util/hash.h"
#include "util/hashset.h"
#include "util/vec.h"

struct ot_plan *ot_plan_new(void)
{
	struct ot_plan *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	ot_arena_init(&p->arena);
	if (ot_plan_add_ns(p, OT_NS_HOST, "") != OT_NS_HOST_INDEX) {
		ot_plan_free(p);
		return NULL;
	}
	return p;
}

void ot_plan_free(struct ot_plan *p)
{
	if (!p)
		return;
	free(p->nodes);
	free(p->ns);
	free(p->ops);
	free(p->probes);
	ot_arena_free(&p->arena);
	free(p);
}

/* Append one zeroed element to a malloc'ed array; its index or -ENOMEM. */
static int grow(void *v, size_t *n, size_t *cap, size_t sz)
{
	if (*n > INT_MAX - 1 || ot_vec_reserve(v, cap, *n + 1, sz) < 0)
		return -ENOMEM;
	memset(*(char **)v + *n * sz, 0, sz);
	return (int)(*n)++;
}

/* Capacity for at least n + extra elements. */
static int reserve(void *v, size_t n, size_t *cap, size_t extra, size_t sz)
{
	if (extra > SIZE_MAX - n)
		return -ENOMEM;
	return ot_vec_reserve(v, cap, n + extra, sz);
}

int ot_plan_reserve(struct ot_plan *p, size_t nodes, size_t ns, size_t ops, size_t probes)
{
	if (reserve(&p->nodes, p->nnodes, &p->cap_nodes, nodes, sizeof(*p->nodes)) < 0 ||
	    reserve(&p->ns, p->nns, &p->cap_ns, ns, sizeof(*p->ns)) < 0 ||
	    reserve(&p->ops, p->nops, &p->cap_ops, ops, sizeof(*p->ops)) < 0 ||
	    reserve(&p->probes, p->nprobes, &p->cap_probes, probes, sizeof(*p->probes)) < 0)
		return -ENOMEM;
	return 0;
}

const char *ot_plan_strdup(struct ot_plan *p, const char *s)
{
	return ot_arena_strdup(&p->arena, s);
}

int ot_plan_add_ns(struct ot_plan *p, enum ot_ns_role role, const char *name)
{
	int i = grow(&p->ns, &p->nns, &p->cap_ns, sizeof(*p->ns));

	if (i < 0)
		return i;
	p->ns[i].role = role;
	p->ns[i].name = ot_plan_strdup(p, name ? name : "");
	if (!p->ns[i].name) {
		p->nns--;
		return -ENOMEM;
	}
	if (role == OT_NS_CONTAINER)
		p->ns[i].isolate = OT_ISO_NET;
	return i;
}

int ot_plan_add_op(struct ot_plan *p, enum ot_op_kind kind, int ns)
{
	int i = grow(&p->ops, &p->nops, &p->cap_ops, sizeof(*p->ops));

	if (i < 0)
		return i;
	p->ops[i].kind = kind;
	p->ops[i].ns = ns;
	return i;
}

int ot_plan_add_probe(struct ot_plan *p)
{
	return grow(&p->probes, &p->nprobes, &p->cap_probes, sizeof(*p->probes));
}

int ot_plan_add_node(struct ot_plan *p, const char *name, const struct ot_addr *underlay)
{
	int i = grow(&p->nodes, &p->nnodes, &p->cap_nodes, sizeof(*p->nodes));

	if (i < 0)
		return i;
	p->nodes[i].name = ot_plan_strdup(p, name);
	if (!p->nodes[i].name) {
		p->nnodes--;
		return -ENOMEM;
	}
	if (underlay)
		p->nodes[i].underlay = *underlay;
	return i;
}

int ot_plan_add_nodes(struct ot_plan *p, size_t n, const char *const *names,
		      const struct ot_addr *const *underlays)
{
	size_t i, total = 0;
	char *s;

	if (!n)
		return 0;
	if (reserve(&p->nodes, p->nnodes, &p->cap_nodes, n, sizeof(*p->nodes)) < 0)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		total += strlen(names[i]) + 1;
	s = ot_arena_alloc(&p->arena, total);
	if (!s)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct ot_plan_node *nd = &p->nodes[p->nnodes + i];

		memset(nd, 0, sizeof(*nd));
		nd->name = s;
		s = stpcpy(s, names[i]) + 1;
		if (underlays && underlays[i])
			nd->underlay = *underlays[i];
	}
	p->nnodes += n;
	return 0;
}

int ot_plan_ns_find(const struct ot_plan *p, const char *name)
{
	size_t i;

	if (!name || !*name || strcmp(name, "host") == 0)
		return OT_NS_HOST_INDEX;
	for (i = 1; i < p->nns; i++)
		if (strcmp(p->ns[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int ot_plan_container_find(const struct ot_plan *p, const char *container)
{
	size_t i;

	for (i = 1; i < p->nns; i++)
		if (p->ns[i].role == OT_NS_CONTAINER && strcmp(p->ns[i].container, container) == 0)
			return (int)i;
	return -ENOENT;
}

int ot_plan_rank_find(const struct ot_plan *p, uint32_t rank)
{
	size_t i, j;

	for (i = 1; i < p->nns; i++)
		for (j = 0; j < p->ns[i].nranks; j++)
			if (rank >= p->ns[i].ranks[j].first && rank <= p->ns[i].ranks[j].last)
				return (int)i;
	return -ENOENT;
}

static inline bool needs_undo(const struct ot_plan *p, const struct ot_op *op)
{
	switch (op->kind) {
	case OT_OP_NETNS:
	case OT_OP_CGROUP:
		return true;
	case OT_OP_LINK:
		/* A link in the host namespace stays after our namespaces go. A veth
		 * whose peer is in the host goes with its other end, but deleting it
		 * explicitly is harmless and keeps the host clean even if the other
		 * end's namespace is pinned by a stray process. */
		return op->ns == OT_NS_HOST_INDEX ||
		       (op->link.kind == OT_LINK_VETH && op->link.peer_ns == OT_NS_HOST_INDEX);
	case OT_OP_SYSCTL:
	case OT_OP_NFT:
		return op->ns == OT_NS_HOST_INDEX;
	case OT_OP_MOUNT: /* held by the container's mount namespace */
	case OT_OP_LINK_UP:
	case OT_OP_ADDR:
	case OT_OP_ROUTE:
	case OT_OP_FDB:
		/* In the host namespace these belong to a link we delete, or to a
		 * host link we do not own (refused by the compiler). */
		return false;
	case OT_OP__COUNT:
		break;
	}
	return false;
}

bool ot_op_needs_undo(const struct ot_plan *p, const struct ot_op *op)
{
	return needs_undo(p, op);
}

/* Teardown rank: lower goes first. Within a rank, latest op first. */
static inline int teardown_rank(const struct ot_plan *p, const struct ot_op *op)
{
	switch (op->kind) {
	case OT_OP_NFT:
		return 0; /* stop NAT/filtering before its interfaces vanish */
	case OT_OP_NETNS:
		return p->ns[op->ns].role == OT_NS_CONTAINER ? 1 : 2;
	case OT_OP_LINK:
		return 3;
	case OT_OP_SYSCTL:
		return 4;
	case OT_OP_CGROUP:
		return 5; /* after the processes that used it are gone */
	default:
		return 6;
	}
}

int ot_plan_teardown(const struct ot_plan *p, size_t **ret, size_t *ret_n)
{
	size_t *v, n = 0, i, start[8] = {0}, fill[7];
	int rank;

	/* one pass to count per rank, one to place (latest op first per rank):
	 * plans hold up to millions of ops */
	for (i = 0; i < p->nops; i++)
		if (needs_undo(p, &p->ops[i]))
			start[teardown_rank(p, &p->ops[i]) + 1]++;
	for (rank = 0; rank < 7; rank++) {
		start[rank + 1] += start[rank];
		fill[rank] = start[rank + 1];
	}
	n = start[7];
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < p->nops; i++)
		if (needs_undo(p, &p->ops[i]))
			v[--fill[teardown_rank(p, &p->ops[i])]] = i;
	*ret = v;
	*ret_n = n;
	return 0;
}

bool ot_plan_bound(const struct ot_plan *p)
{
	size_t i;

	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];

		if (op->kind == OT_OP_LINK && op->link.kind == OT_LINK_VXLAN &&
		    !op->link.local.family)
			return false;
		if (op->kind == OT_OP_FDB && !op->fdb.dst.family)
			return false;
	}
	return true;
}

/* Bytes a kernel interface name may not hold (and NUL, which ends it). */
static const bool ifname_bad[256] = {
    [0 ... ' '] = true,
    ['/'] = true,
    [':'] = true,
    [0x7f ... 0xff] = true,
};

bool ot_ifname_valid(const char *s)
{
	size_t n;

	if (!s)
		return false;
	for (n = 0; n < OT_IFNAMSIZ && !ifname_bad[(unsigned char)s[n]]; n++)
		;
	if (n == 0 || n >= OT_IFNAMSIZ || s[n] != '\0')
		return false;
	return !(s[0] == '.' && (n == 1 || (n == 2 && s[1] == '.')));
}

/* [A-Za-z0-9._-]: safe in file names and namespace names. */
static const bool safe[256] = {
    ['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['0' ... '9'] = true,
    ['.'] = true,	  ['_'] = true,		['-'] = true,
};

static bool safe_char(char c)
{
	return safe[(unsigned char)c];
}

bool ot_nsname_valid(const char *s)
{
	size_t n;

	if (!s)
		return false;
	for (n = 0; n <= OT_NSNAME_MAX && safe[(unsigned char)s[n]]; n++)
		;
	if (n == 0 || n > OT_NSNAME_MAX || s[n] != '\0')
		return false;
	return !(s[0] == '.' && (n == 1 || (n == 2 && s[1] == '.')));
}

bool ot_relpath_valid(const char *s)
{
	const char *c = s, *seg;

	if (!s || !*s || strlen(s) > 1024)
		return false;
	while (*c) {
		seg = c;
		while (*c && *c != '/') {
			if (!safe_char(*c))
				return false;
			c++;
		}
		if (c == seg || (c - seg == 1 && seg[0] == '.') ||
		    (c - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		if (*c == '/') {
			c++;
			if (!*c)
				return false;
		}
	}
	return true;
}

/* ---- validation ---- */

/* A storage op (plan.h): in a container with its own mount namespace, made
 * before; a root first among the container's mounts, never "/" itself. */
static const char *validate_mount(const struct ot_plan *p, size_t i, const bool *made)
{
	const struct ot_op *op = &p->ops[i];
	const struct ot_op_mount *m = &op->mount;
	const struct ot_plan_ns *pn = &p->ns[op->ns];

	if (pn->role != OT_NS_CONTAINER || !(pn->isolate & OT_ISO_MNT) || !made[op->ns])
		return "mount outside a container with its own mount namespace";
	switch (m->kind) {
	case OT_MOUNT_ROOT:
		if (!ot_abspath_valid(m->src) || !strcmp(m->src, "/") || m->dst || m->size)
			return "bad root directory";
		if (i > 0 && p->ops[i - 1].kind == OT_OP_MOUNT && p->ops[i - 1].ns == op->ns)
			return "root after another mount of the container";
		return NULL;
	case OT_MOUNT_BIND:
		if (!ot_abspath_valid(m->src) || !ot_abspath_valid(m->dst) ||
		    !strcmp(m->dst, "/") || m->size)
			return "bad bind mount source or target";
		return NULL;
	case OT_MOUNT_TMPFS:
		if (m->src || !ot_abspath_valid(m->dst) || !strcmp(m->dst, "/") || m->ro ||
		    m->mode > 07777)
			return "bad tmpfs target or mode";
		return NULL;
	case OT_MOUNT__COUNT:
		break;
	}
	return "bad mount kind";
}

struct link_seen {
	int ns;
	const char *name;
};

static bool ns_ok(const struct ot_plan *p, int ns)
{
	return ns >= 0 && (size_t)ns < p->nns;
}

/*
 * The links created so far while validating, by (namespace, name): an
 * open-addressing hash set, so validating a plan is linear in its size (a
 * node plan may hold a million operations, and checks a name two or three
 * times per op). A name is at most 15 bytes, so a key is the name as two
 * zero-padded 64-bit words and the namespace: hashed and compared without
 * touching the strings again.
 */
struct link_key {
	uint64_t a, b;
	int ns;
};

struct link_set {
	struct ot_hset set;  /* keys: the two words of the name, the namespace */
	bool *made;	     /* per namespace: its netns op was seen */
	struct link_key lo;  /* "lo", which every namespace has */
	struct link_key hit; /* the last link found (FDB entries name one device in runs) */
};

/* The key of a name field (char[OT_IFNAMSIZ]); false when it holds no
 * valid-length name (such a link cannot exist). */
static bool link_key(int ns, const char *f, struct link_key *k)
{
	unsigned len = ot_ifname_words(f, &k->a, &k->b);

	k->ns = ns;
	return len > 0 && len < OT_IFNAMSIZ;
}

static bool link_key_eq(const struct link_key *x, const struct link_key *y)
{
	return x->a == y->a && x->b == y->b && x->ns == y->ns;
}

static int link_add(struct link_set *s, int ns, const char *name)
{
	struct link_key k;

	if (!link_key(ns, name, &k))
		return 0; /* the caller checked the name; nothing to remember */
	return ot_hset_add3(&s->set, (const uint64_t[3]){k.a, k.b, (uint32_t)k.ns}) < 0 ? -ENOMEM
											: 0;
}

/* Is there a link called name (a char[OT_IFNAMSIZ] field) in namespace ns
 * created by an earlier op? */
static bool link_exists(struct link_set *s, int ns, const char *name)
{
	struct link_key k;

	if (!link_key(ns, name, &k))
		return false;
	if (link_key_eq(&k, &s->hit))
		return true;
	/* every namespace has its own loopback */
	if (link_key_eq(&k, &(struct link_key){s->lo.a, s->lo.b, ns}))
		return true;
	if (!ot_hset_has3(&s->set, (const uint64_t[3]){k.a, k.b, (uint32_t)k.ns}))
		return false;
	s->hit = k;
	return true;
}

static int bad(struct ot_error *err, size_t i, const struct ot_op *op, const char *what)
{
	return ot_error_set(err, -EINVAL, "plan op %zu (%s%s%s): %s", i, ot_op_kind_name(op->kind),
			    op->origin ? ", " : "", op->origin ? op->origin : "", what);
}

/* A port set the executor can build: at most OT_PORTS_MAX elements, each
 * 1 <= lo <= hi, none overlapping another (the kernel refuses overlapping
 * interval-set elements). */
static bool ports_valid(const struct ot_ports *ps)
{
	uint16_t i, j;

	if (ps->n > OT_PORTS_MAX)
		return false;
	for (i = 0; i < ps->n; i++) {
		if (!ps->r[i].lo || ps->r[i].lo > ps->r[i].hi)
			return false;
		for (j = 0; j < i; j++)
			if (ps->r[i].lo <= ps->r[j].hi && ps->r[j].lo <= ps->r[i].hi)
				return false;
	}
	return true;
}

static int validate_nft(const struct ot_op_nft *n)
{
	size_t i;

	if (!n->table[0] || !ot_nsname_valid(n->table))
		return -1;
	for (i = 0; i < n->nchains; i++)
		if (!ot_nsname_valid(n->chains[i].name) || n->chains[i].hook > OT_NFT_POSTROUTING ||
		    n->chains[i].type > OT_NFT_NAT)
			return -1;
	for (i = 0; i < n->nrules; i++) {
		const struct ot_nft_rule *r = &n->rules[i];

		if (r->chain >= n->nchains || r->verdict > OT_NFT_DNAT)
			return -1;
		if (!ports_valid(&r->sport) || !ports_valid(&r->dport))
			return -1;
		if ((r->iif[0] && !ot_ifname_valid(r->iif)) ||
		    (r->oif[0] && !ot_ifname_valid(r->oif)))
			return -1;
		if (r->verdict >= OT_NFT_MASQUERADE && n->chains[r->chain].type != OT_NFT_NAT)
			return -1;
	}
	return 0;
}

static int validate_ops(const struct ot_plan *p, struct link_set *links, struct ot_error *err);

int ot_plan_validate(const struct ot_plan *p, struct ot_error *err)
{
	struct link_set links = {OT_HSET_INIT(3), NULL, {0, 0, 0}, {0, 0, -1}};
	static const char lo[OT_IFNAMSIZ] = "lo";
	struct ot_strmap names = OT_STRMAP_INIT; /* namespace names seen */
	size_t i, n;
	int rc, r;

	if (!p->nns || p->ns[0].role != OT_NS_HOST)
		return ot_error_set(err, -EINVAL, "plan: namespace 0 must be the host");
	if (!p->prefix || !ot_nsname_valid(p->prefix))
		return ot_error_set(err, -EINVAL, "plan: bad prefix '%s'",
				    p->prefix ? p->prefix : "");
	if (!p->node || !*p->node)
		return ot_error_set(err, -EINVAL, "plan: no node name");
	if (ot_strmap_reserve(&names, p->nns) < 0)
		return ot_error_set(err, -ENOMEM, "plan: out of memory");
	for (i = 1; i < p->nns; i++) {
		const struct ot_plan_ns *ns = &p->ns[i];

		rc = 0;
		if (ns->role == OT_NS_HOST || !ot_nsname_valid(ns->name))
			rc =
			    ot_error_set(err, -EINVAL, "plan: bad namespace %zu '%s'", i, ns->name);
		else if ((r = ot_strmap_put(&names, ns->name, (void *)ns, NULL)) < 0)
			rc = r == -ENOMEM ? ot_error_set(err, -ENOMEM, "plan: out of memory")
					  : ot_error_set(err, -EINVAL, "plan: namespace '%s' twice",
							 ns->name);
		else if (ns->role == OT_NS_CONTAINER && (!ns->container || !*ns->container))
			rc = ot_error_set(err, -EINVAL,
					  "plan: namespace '%s' has no container name", ns->name);
		else if (ns->cgroup && !ot_relpath_valid(ns->cgroup))
			rc = ot_error_set(err, -EINVAL, "plan: bad cgroup path for '%s'", ns->name);
		if (rc < 0) {
			ot_strmap_free(&names);
			return rc;
		}
	}
	ot_strmap_free(&names);
	link_key(0, lo, &links.lo);
	for (i = 0, n = 0; i < p->nops; i++)
		n += p->ops[i].kind == OT_OP_LINK ? 2 : 0; /* a veth is two */
	links.made = calloc(p->nns, sizeof(*links.made));
	if (!links.made || ot_hset_reserve(&links.set, n) < 0) { /* sized: no rehashing */
		free(links.made);
		ot_hset_free(&links.set);
		return ot_error_set(err, -ENOMEM, "plan: out of memory");
	}
	rc = validate_ops(p, &links, err);
	ot_hset_free(&links.set);
	free(links.made);
	if (rc < 0)
		return rc;
	for (i = 0; i < p->nprobes; i++)
		if (!ns_ok(p, p->probes[i].from_ns) ||
		    p->ns[p->probes[i].from_ns].role != OT_NS_CONTAINER ||
		    !ot_addr_len(&p->probes[i].to_addr))
			return ot_error_set(err, -EINVAL, "plan: bad probe %zu", i);
	return 0;
}

static int validate_ops(const struct ot_plan *p, struct link_set *links, struct ot_error *err)
{
	size_t i;

	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];

		if (!ns_ok(p, op->ns) || op->kind >= OT_OP__COUNT)
			return bad(err, i, op, "namespace index or kind out of range");
		switch (op->kind) {
		case OT_OP_NETNS:
			if (op->ns == OT_NS_HOST_INDEX)
				return bad(err, i, op, "cannot create the host namespace");
			if (links->made[op->ns])
				return bad(err, i, op, "namespace created twice");
			links->made[op->ns] = true;
			break;
		case OT_OP_LINK: {
			const struct ot_op_link *l = &op->link;

			if (l->kind >= OT_LINK__COUNT || !ot_ifname_valid(l->name))
				return bad(err, i, op, "bad link kind or name");
			if (link_exists(links, op->ns, l->name))
				return bad(err, i, op, "link name already used in its namespace");
			if (l->master[0] && !link_exists(links, op->ns, l->master))
				return bad(err, i, op, "master bridge not created before");
			if ((l->alias && strlen(l->alias) > OT_ALIAS_MAX) ||
			    (l->peer_alias && strlen(l->peer_alias) > OT_ALIAS_MAX))
				return bad(err, i, op, "alias too long");
			if (l->mtu && (l->mtu < 68 || l->mtu > 65535))
				return bad(err, i, op, "MTU out of range 68..65535");
			if (l->kind == OT_LINK_VETH) {
				if (!ns_ok(p, l->peer_ns) || !ot_ifname_valid(l->peer_name))
					return bad(err, i, op, "bad veth peer");
				if (link_exists(links, l->peer_ns, l->peer_name) ||
				    (l->peer_ns == op->ns && strcmp(l->peer_name, l->name) == 0))
					return bad(err, i, op, "veth peer name already used");
				if (l->peer_master[0] &&
				    !link_exists(links, l->peer_ns, l->peer_master))
					return bad(err, i, op,
						   "peer master bridge not created before");
			}
			if (l->kind == OT_LINK_VXLAN) {
				if (l->vni == 0 || l->vni >= (1u << 24))
					return bad(err, i, op, "VNI out of range 1..16777215");
				if (!ns_ok(p, l->sock_ns) || !l->port)
					return bad(err, i, op,
						   "bad VXLAN socket namespace or port");
			}
			if (l->kind == OT_LINK_MACVLAN && !ot_ifname_valid(l->lower))
				return bad(err, i, op, "bad macvlan lower device");
			if (link_add(links, op->ns, l->name) < 0 ||
			    (l->kind == OT_LINK_VETH &&
			     link_add(links, l->peer_ns, l->peer_name) < 0))
				return ot_error_set(err, -ENOMEM, "plan: out of memory");
			break;
		}
		case OT_OP_LINK_UP:
			if (!link_exists(links, op->ns, op->dev))
				return bad(err, i, op, "no such link in that namespace");
			break;
		case OT_OP_ADDR:
			if (!link_exists(links, op->ns, op->addr.dev))
				return bad(err, i, op, "no such link in that namespace");
			if (!ot_addr_len(&op->addr.addr.addr))
				return bad(err, i, op, "no address");
			break;
		case OT_OP_ROUTE:
			if (op->route.dev[0] && !link_exists(links, op->ns, op->route.dev))
				return bad(err, i, op, "no such link in that namespace");
			if (!ot_addr_len(&op->route.dst.addr))
				return bad(err, i, op, "no destination family");
			if (op->route.via.family &&
			    op->route.via.family != op->route.dst.addr.family)
				return bad(err, i, op, "gateway family differs from destination");
			if (!op->route.via.family && !op->route.dev[0])
				return bad(err, i, op, "route needs a gateway or a device");
			break;
		case OT_OP_FDB:
			if (!link_exists(links, op->ns, op->fdb.dev))
				return bad(err, i, op, "FDB entry on a device not created before");
			break;
		case OT_OP_SYSCTL:
			if (!op->sysctl.key || !ot_relpath_valid(op->sysctl.key) ||
			    !op->sysctl.value || strncmp(op->sysctl.key, "net/", 4) != 0 ||
			    strchr(op->sysctl.value, '\n'))
				return bad(err, i, op,
					   "sysctl key must be a net/ path, value one line");
			break;
		case OT_OP_NFT:
			if (validate_nft(&op->nft) < 0)
				return bad(err, i, op, "bad nftables table, chain or rule");
			break;
		case OT_OP_CGROUP:
			if (!op->cgroup.path || !ot_relpath_valid(op->cgroup.path))
				return bad(err, i, op, "bad cgroup path");
			break;
		case OT_OP_MOUNT: {
			const char *why = validate_mount(p, i, links->made);

			if (why)
				return bad(err, i, op, why);
			break;
		}
		case OT_OP__COUNT:
			break;
		}
	}
	return 0;
}
