/*
 * bounds.c - administrator bounds (struct ot_bounds, the SPANK plugin's
 * plugstack.conf arguments): their text form, read and written by one
 * table shared by the plugin and `otc --bounds` (contract in bounds.h),
 * and the check that refuses a topology asking for more than the
 * administrator allows, with a diagnostic at the offending construct,
 * before anything is built. VNI bounds are applied where VNIs are decided
 * (decide.c), since derived VNIs are drawn from the allowed range.
 */
#include "compile/bounds.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile/cc.h"
#include "vocab/vocab.h"

#define VNI_LIMIT 0xffffffu

/* ---- text form ---- */

int ot_bounds_parse_u64(const char *v, uint64_t lo, uint64_t hi, uint64_t *ret,
			struct ot_error *err)
{
	unsigned long long x;
	char *end;

	if (v[0] < '0' || v[0] > '9')
		return ot_error_set(err, -EINVAL, "expected a number");
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return ot_error_set(err, -EINVAL, "must be a number in %" PRIu64 "..%" PRIu64, lo,
				    hi);
	*ret = x;
	return 0;
}

int ot_bounds_parse_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *ret,
			struct ot_error *err)
{
	uint64_t x = 0; /* set when r == 0; gcc cannot see that */
	int r = ot_bounds_parse_u64(v, lo, hi, &x, err);

	if (r == 0)
		*ret = (uint32_t)x;
	return r;
}

int ot_bounds_parse_yesno(const char *v, bool *ret, struct ot_error *err)
{
	if (!strcmp(v, "yes"))
		*ret = true;
	else if (!strcmp(v, "no"))
		*ret = false;
	else
		return ot_error_set(err, -EINVAL, "expected 'yes' or 'no'");
	return 0;
}

static int set_vni(struct ot_bounds *b, struct ot_prefix *addrs, const char *v,
		   struct ot_error *err)
{
	char lo[16], *dash = strchr(v, '-');
	uint32_t x, y;
	int r;

	(void)addrs;
	if (!dash || (size_t)(dash - v) >= sizeof(lo))
		return ot_error_set(err, -EINVAL, "expected MIN-MAX, e.g. 1048576-2097151");
	memcpy(lo, v, (size_t)(dash - v));
	lo[dash - v] = '\0';
	if ((r = ot_bounds_parse_u32(lo, 1, VNI_LIMIT, &x, err)) != 0 ||
	    (r = ot_bounds_parse_u32(dash + 1, 1, VNI_LIMIT, &y, err)) != 0)
		return ot_error_prefix(err, r, "VNI range");
	if (x > y)
		return ot_error_set(err, -EINVAL, "VNI range is empty (%u > %u)", x, y);
	b->vni_min = x;
	b->vni_max = y;
	return 0;
}

/* The next item of a comma-separated list at *p, copied into item (size
 * bytes); *p moves past it (NULL after the last). False for an empty or too
 * long item. */
static bool list_item(const char **p, char *item, size_t size)
{
	const char *comma = strchr(*p, ',');
	size_t len = comma ? (size_t)(comma - *p) : strlen(*p);

	if (len == 0 || len >= size)
		return false;
	memcpy(item, *p, len);
	item[len] = '\0';
	*p = comma ? comma + 1 : NULL;
	return true;
}

static int set_addrs(struct ot_bounds *b, struct ot_prefix *addrs, const char *v,
		     struct ot_error *err)
{
	struct ot_prefix got[OT_BOUNDS_MAX_ADDRS];
	char item[OT_PREFIX_STRLEN + 1];
	const char *p = v;
	size_t n = 0;

	if (!strcmp(v, "any")) {
		b->allowed_addrs = NULL;
		b->nallowed_addrs = 0;
		return 0;
	}
	while (p) {
		struct ot_prefix pf;

		if (!list_item(&p, item, sizeof(item)))
			return ot_error_set(err, -EINVAL, "expected CIDR[,CIDR...] or 'any'");
		if (ot_prefix_parse(item, true, &pf) < 0)
			return ot_error_set(err, -EINVAL, "'%s' is not an address prefix", item);
		if (n == OT_BOUNDS_MAX_ADDRS)
			return ot_error_set(err, -EINVAL, "more than %d prefixes",
					    OT_BOUNDS_MAX_ADDRS);
		got[n++] = ot_prefix_network(&pf);
	}
	memcpy(addrs, got, n * sizeof(got[0]));
	b->allowed_addrs = addrs;
	b->nallowed_addrs = n;
	return 0;
}

static int set_max_containers(struct ot_bounds *b, struct ot_prefix *addrs, const char *v,
			      struct ot_error *err)
{
	(void)addrs;
	return ot_bounds_parse_u32(v, 1, 100000, &b->max_containers_per_node, err);
}

static int set_max_ifaces(struct ot_bounds *b, struct ot_prefix *addrs, const char *v,
			  struct ot_error *err)
{
	(void)addrs;
	return ot_bounds_parse_u32(v, 1, 1000000, &b->max_ifaces_per_node, err);
}

/* yes|no for a bound stored as "forbid" */
static int set_forbid(bool *forbid, const char *v, struct ot_error *err)
{
	bool yes = false;
	int r = ot_bounds_parse_yesno(v, &yes, err);

	if (r == 0)
		*forbid = !yes;
	return r;
}

static int set_host_objects(struct ot_bounds *b, struct ot_prefix *addrs, const char *v,
			    struct ot_error *err)
{
	(void)addrs;
	return set_forbid(&b->forbid_host_objects, v, err);
}

static int set_limits(struct ot_bounds *b, struct ot_prefix *addrs, const char *v,
		      struct ot_error *err)
{
	(void)addrs;
	return set_forbid(&b->forbid_limits, v, err);
}

/* Isolation kinds (the one table, vocab.h) that a bound cannot allow, and
 * why: the SPANK plugin enters each task itself from task_init_privileged. */
static const char *isolate_refused(unsigned bit)
{
	switch (bit) {
	case OT_ISO_PID:
		return "a task cannot enter a new PID namespace itself (it would need a fork that "
		       "slurmstepd does not track)";
	case OT_ISO_CGROUP:
		return "moving tasks into OpenTop's cgroups would take them out of Slurm's job "
		       "cgroup";
	}
	return NULL;
}

static int set_isolate(struct ot_bounds *b, struct ot_prefix *addrs, const char *v,
		       struct ot_error *err)
{
	const char *p = v;
	unsigned mask = OT_ISO_NET;

	(void)addrs;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const struct ot_isolate_kind *k = ot_isolate_kind_by_name(p, len);

		if (!k)
			return ot_error_set(err, -EINVAL,
					    "unknown isolation kind '%.*s' (known: net, uts, ipc, "
					    "mount)",
					    (int)(len > 32 ? 32 : len), p);
		if (isolate_refused((unsigned)k->bit))
			return ot_error_set(err, -EINVAL, "'%s' cannot be allowed: %s", k->name,
					    isolate_refused((unsigned)k->bit));
		mask |= (unsigned)k->bit;
		if (!comma)
			break;
		p = comma + 1;
	}
	b->allowed_isolate = mask;
	return 0;
}

static void fmt_vni(const struct ot_bounds *b, struct ot_strbuf *sb)
{
	ot_sb_printf(sb, "%u-%u", b->vni_min, b->vni_max);
}

static void fmt_addrs(const struct ot_bounds *b, struct ot_strbuf *sb)
{
	char buf[OT_PREFIX_STRLEN];
	size_t i;

	if (b->nallowed_addrs == 0) {
		ot_sb_append(sb, "any");
		return;
	}
	for (i = 0; i < b->nallowed_addrs; i++) {
		ot_prefix_format(&b->allowed_addrs[i], buf, sizeof(buf));
		ot_sb_printf(sb, "%s%s", i ? "," : "", buf);
	}
}

static void fmt_max_containers(const struct ot_bounds *b, struct ot_strbuf *sb)
{
	ot_sb_printf(sb, "%u", b->max_containers_per_node);
}

static void fmt_max_ifaces(const struct ot_bounds *b, struct ot_strbuf *sb)
{
	ot_sb_printf(sb, "%u", b->max_ifaces_per_node);
}

static void fmt_host_objects(const struct ot_bounds *b, struct ot_strbuf *sb)
{
	ot_sb_append(sb, b->forbid_host_objects ? "no" : "yes");
}

static void fmt_limits(const struct ot_bounds *b, struct ot_strbuf *sb)
{
	ot_sb_append(sb, b->forbid_limits ? "no" : "yes");
}

static void fmt_isolate(const struct ot_bounds *b, struct ot_strbuf *sb)
{
	const struct ot_isolate_kind *k;
	bool first = true;

	for (k = ot_isolate_kinds; k < ot_isolate_kinds + OT_ISOLATE_NKINDS; k++) {
		if (k->bit != OT_ISO_NET && !(b->allowed_isolate & (unsigned)k->bit))
			continue; /* net: always */
		ot_sb_printf(sb, "%s%s", first ? "" : ",", k->name);
		first = false;
	}
}

/* ---- storage: binds=none|any|PATH[,PATH...], root=yes|no ---- */

#define MAX_BINDS 16

static int set_binds(struct ot_bounds *b, struct ot_prefix *addrs, const char *v,
		     struct ot_error *err)
{
	char buf[OT_BOUNDS_BINDS_MAX], item[OT_PATH_MAX + 1];
	const char *p = v;
	size_t off = 0;
	uint32_t n = 0;

	(void)addrs;
	if (!strcmp(v, "any") || !strcmp(v, "none")) {
		b->binds_bound = !strcmp(v, "none");
		b->nbinds = 0;
		memset(b->binds_buf, 0, sizeof(b->binds_buf));
		return 0;
	}
	while (p) {
		size_t len;

		if (!list_item(&p, item, sizeof(item)))
			return ot_error_set(err, -EINVAL,
					    "expected PATH[,PATH...], 'none' or 'any'");
		len = strlen(item);
		if (!ot_abspath_valid(item))
			return ot_error_set(err, -EINVAL,
					    "'%.64s' is not an absolute path without '.', '..', "
					    "'//' or a trailing '/'",
					    item);
		if (n == MAX_BINDS || off + len + 1 > sizeof(buf))
			return ot_error_set(err, -EINVAL, "more than %d paths or %d bytes",
					    MAX_BINDS, OT_BOUNDS_BINDS_MAX);
		memcpy(buf + off, item, len + 1);
		off += len + 1;
		n++;
	}
	memset(b->binds_buf, 0, sizeof(b->binds_buf));
	memcpy(b->binds_buf, buf, off);
	b->nbinds = n;
	b->binds_bound = true;
	return 0;
}

static int set_root(struct ot_bounds *b, struct ot_prefix *addrs, const char *v,
		    struct ot_error *err)
{
	(void)addrs;
	return set_forbid(&b->forbid_root, v, err);
}

static void fmt_binds(const struct ot_bounds *b, struct ot_strbuf *sb)
{
	const char *d = b->binds_buf;
	uint32_t i;

	if (!b->binds_bound || !b->nbinds) {
		ot_sb_append(sb, b->binds_bound ? "none" : "any");
		return;
	}
	for (i = 0; i < b->nbinds; i++, d += strlen(d) + 1)
		ot_sb_printf(sb, "%s%s", i ? "," : "", d);
}

static void fmt_root(const struct ot_bounds *b, struct ot_strbuf *sb)
{
	ot_sb_append(sb, b->forbid_root ? "no" : "yes");
}

static const struct {
	const char *name;
	int (*set)(struct ot_bounds *b, struct ot_prefix *addrs, const char *v,
		   struct ot_error *err);
	void (*format)(const struct ot_bounds *b, struct ot_strbuf *sb);
} bound_keys[] = {
    {"vni", set_vni, fmt_vni},
    {"addrs", set_addrs, fmt_addrs},
    {"max_containers", set_max_containers, fmt_max_containers},
    {"max_ifaces", set_max_ifaces, fmt_max_ifaces},
    {"host_objects", set_host_objects, fmt_host_objects},
    {"isolate", set_isolate, fmt_isolate},
    {"limits", set_limits, fmt_limits},
    {"binds", set_binds, fmt_binds},
    {"root", set_root, fmt_root},
};
#define NKEYS (sizeof(bound_keys) / sizeof(bound_keys[0]))

static int find_key(const char *key)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (!strcmp(bound_keys[i].name, key))
			return (int)i;
	return -1;
}

bool ot_bounds_key(const char *key)
{
	return find_key(key) >= 0;
}

int ot_bounds_set(struct ot_bounds *b, struct ot_prefix *addrs, const char *key, const char *value,
		  struct ot_error *err)
{
	int k = find_key(key);

	if (k < 0) {
		char known[160];
		size_t i, off = 0;

		for (i = 0; i < NKEYS; i++)
			off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s",
						i ? ", " : "", bound_keys[i].name);
		return ot_error_set(err, -ENOENT, "unknown bound '%.64s' (known: %s)", key, known);
	}
	return bound_keys[k].set(b, addrs, value, err);
}

int ot_bounds_format(const struct ot_bounds *b, const char *key, struct ot_strbuf *sb)
{
	int k = find_key(key);

	if (k < 0)
		return -ENOENT;
	bound_keys[k].format(b, sb);
	return 0;
}

/* ---- the check ---- */

static bool addr_allowed(const struct ot_bounds *b, const struct ot_addr *a)
{
	size_t i;

	if (!b->nallowed_addrs)
		return true;
	for (i = 0; i < b->nallowed_addrs; i++)
		if (ot_prefix_contains(&b->allowed_addrs[i], a))
			return true;
	return false;
}

static void allowed_list(const struct ot_bounds *b, char *buf, size_t size)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < b->nallowed_addrs && off + OT_PREFIX_STRLEN + 8 < size; i++) {
		char pf[OT_PREFIX_STRLEN];

		ot_prefix_format(&b->allowed_addrs[i], pf, sizeof(pf));
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? ", " : "", pf);
	}
	if (i < b->nallowed_addrs)
		snprintf(buf + off, size - off, ", ...");
}

static int check_addr(struct cc *c, const struct ot_prefix *pf, struct ot_loc loc, const char *who)
{
	char a[OT_PREFIX_STRLEN], list[256];
	struct ot_diag *g;

	if (addr_allowed(c->o->bounds, &pf->addr))
		return 0;
	ot_prefix_format(pf, a, sizeof(a));
	allowed_list(c->o->bounds, list, sizeof(list));
	g = ot_diag_error(c->d, loc, "address %s of %s is outside the allowed address ranges", a,
			  who);
	ot_diag_hint(g, "the administrator allows: %s", list);
	return -EINVAL;
}

static const char *iso_list(unsigned mask, char *buf, size_t size)
{
	unsigned bit;
	size_t off = 0;

	buf[0] = '\0';
	for (bit = OT_ISO_UTS; bit <= OT_ISO_CGROUP; bit <<= 1)
		if (mask & bit)
			off += (size_t)snprintf(buf + off, size - off, "%s%s", off ? " " : "",
						ot_isolate_name((enum ot_isolate)bit));
	return buf;
}

int cc_check_bounds(struct cc *c)
{
	const struct ot_bounds *b = c->o->bounds;
	uint32_t *nc, *ni, i, j, k;
	int rc = 0;

	if (!b)
		return 0;
	nc = ot_arena_calloc(&c->arena, c->nnodes + 1, sizeof(*nc));
	ni = ot_arena_calloc(&c->arena, c->nnodes + 1, sizeof(*ni));
	if (!nc || !ni)
		return -ENOMEM;
	for (i = 0; i < c->ncontainers; i++) {
		const struct cc_container *cc = &c->containers[i];
		const struct ot_m_container *mc = cc->mc;
		const char *node = c->nodes[cc->node].mn->name;
		unsigned extra = mc->isolate & ~(OT_ISO_NET | b->allowed_isolate);
		char buf[64], who[2 * OT_MAX_NAME + 8];
		struct ot_diag *g;

		if (b->max_containers_per_node &&
		    ++nc[cc->node] == b->max_containers_per_node + 1) {
			g = ot_diag_error(
			    c->d, mc->loc,
			    "container '%s' is one more than the %u containers allowed "
			    "on node '%s'",
			    mc->name, b->max_containers_per_node, node);
			rc = -EINVAL;
		}
		if (extra) {
			g = ot_diag_error(c->d, mc->isolate_loc.line ? mc->isolate_loc : mc->loc,
					  "isolation '%s' is not allowed here",
					  iso_list(extra, buf, sizeof(buf)));
			ot_diag_hint(g, "allowed: net%s%s", b->allowed_isolate ? " " : "",
				     iso_list(b->allowed_isolate, buf, sizeof(buf)));
			rc = -EINVAL;
		}
		if (b->forbid_limits && (mc->cpu_pct || mc->memory || mc->pids)) {
			ot_diag_error(c->d, mc->limit_loc.line ? mc->limit_loc : mc->loc,
				      "cgroup limits are not allowed here");
			rc = -EINVAL;
		}
		for (j = 0; j < mc->nifaces; j++) {
			const struct ot_m_iface *mi = &mc->ifaces[j];

			if (b->max_ifaces_per_node &&
			    ++ni[cc->node] == b->max_ifaces_per_node + 1) {
				ot_diag_error(
				    c->d, mi->loc,
				    "interface '%s.%s' is one more than the %u interfaces "
				    "allowed on node '%s'",
				    mc->name, mi->name, b->max_ifaces_per_node, node);
				rc = -EINVAL;
			}
			if (b->forbid_host_objects && mi->kind == OT_M_IFACE_MACVLAN) {
				g = ot_diag_error(
				    c->d, mi->loc,
				    "macvlan on host interface '%s' is not allowed here",
				    mi->lower);
				ot_diag_hint(g, "host objects (uplinks, NAT in the host, macvlan) "
						"are forbidden by the administrator");
				rc = -EINVAL;
			}
			snprintf(who, sizeof(who), "'%s.%s'", mc->name, mi->name);
			for (k = 0; k < mi->naddrs; k++)
				if (check_addr(c, &mi->addrs[k], mi->addr_locs[k], who) < 0)
					rc = -EINVAL;
		}
	}
	for (i = 0; i < c->nnets; i++) {
		const struct ot_m_network *mn = c->nets[i].mn;

		for (j = 0; j < mn->nuplinks; j++) {
			const struct ot_m_uplink *up = &mn->uplinks[j];
			char who[OT_MAX_NAME + 32];
			struct ot_diag *g;

			if (b->forbid_host_objects) {
				g = ot_diag_error(
				    c->d, up->loc,
				    "uplink of network '%s' to the host is not allowed here",
				    mn->name);
				ot_diag_hint(g, "host objects (uplinks, NAT in the host, macvlan) "
						"are forbidden by the administrator");
				rc = -EINVAL;
				continue;
			}
			snprintf(who, sizeof(who), "the uplink of '%s'", mn->name);
			if (check_addr(c, &up->address, up->loc, who) < 0)
				rc = -EINVAL;
		}
	}
	return rc;
}
