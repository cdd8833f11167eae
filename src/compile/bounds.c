/*
 * bounds.c - administrator bounds (struct ot_bounds, the SPANK plugin's
 * plugstack.conf arguments): refuse a topology that asks for more than the
 * administrator allows, with a diagnostic at the offending construct,
 * before anything is built. VNI bounds are applied where VNIs are decided
 * (decide.c), since derived VNIs are drawn from the allowed range.
 */
#include "compile/cc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
