/*
 * autoaddr.c - `address auto` and `mac auto`: the front end chooses an
 * interface's addresses and MAC, so a topology written for any allocation
 * needs no address arithmetic (docs/language.md section 7, "Automatic
 * addresses").
 *
 * The rule, a function of the topology and the allocation's shape only:
 * after the whole topology is expanded (so every explicit address and MAC
 * is known, wherever it is written), each network in declaration order
 * gives its members with `address auto`, in source order (loops unrolled),
 * the lowest free host address of each of its subnets: IPv4 from .1 up to
 * the last before the broadcast address (/31 and /32: every address),
 * IPv6 from ::1 up. "Free" means that no interface or uplink of the
 * topology has it with the subnet's length, explicitly or automatically.
 * Then every interface with `mac auto`, containers in source order,
 * interfaces in their container's order, gets the lowest free MAC from
 * 02:00:00:00:00:01 up (locally administered, unicast), skipping every
 * explicit MAC. Internal to the expansion (expand_int.h).
 */
#include "model/expand_int.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

bool xp_auto_request(struct xctx *x, struct ot_ast_stmt *st, struct ot_m_iface *ifc)
{
	struct ot_ast_word *mac = st->u.iface.mac;
	bool addr = false;
	uint32_t i;

	if (mac && xp_word_is_auto(x, mac)) {
		ifc->mac_auto = true;
		ifc->mac_loc = xp_mloc(x, mac->loc);
		x->any_auto = true;
	}
	for (i = 0; i < st->u.iface.naddrs; i++) {
		struct ot_ast_word *w = st->u.iface.addrs[i];

		if (!xp_word_is_auto(x, w))
			continue;
		addr = true;
		if (st->u.iface.naddrs > 1) {
			struct ot_diag *g = xp_xerr(x, w->loc, "'address auto' stands alone");

			xp_xhint(x, g,
				 "it takes one address of each subnet of the network; write "
				 "either auto or explicit addresses");
		} else if (st->u.iface.kind != OT_AI_NET) {
			struct ot_diag *g =
			    xp_xerr(x, w->loc,
				    "'address auto' needs an interface on a network with a subnet");

			xp_xhint(x, g, "a link end or a macvlan has no subnet to take from");
		} else {
			ifc->addrs = ot_arena_calloc(x->ma, 2, sizeof(*ifc->addrs));
			ifc->addr_locs = ot_arena_calloc(x->ma, 2, sizeof(*ifc->addr_locs));
			if (!ifc->addrs || !ifc->addr_locs) {
				x->oom = true;
				return true;
			}
			ifc->addr_locs[0] = ifc->addr_locs[1] = xp_mloc(x, w->loc);
			ifc->addr_auto = true;
			x->any_auto = true;
		}
		break;
	}
	return addr;
}

/* The host offsets of a subnet that may be interface addresses. */
static void host_range(const struct ot_prefix *sub, uint64_t *first, uint64_t *last)
{
	unsigned bits = ot_addr_bits(&sub->addr) - sub->len;

	if (sub->addr.family == AF_INET && bits >= 2) {
		*first = 1;
		*last = (1ull << bits) - 2;
	} else if (sub->addr.family == AF_INET) {
		*first = 0;
		*last = (1ull << bits) - 1;
	} else {
		*first = bits ? 1 : 0;
		*last = bits >= 64 ? UINT64_MAX : (1ull << bits) - 1;
	}
}

struct cursor {
	const struct ot_prefix *sub;
	uint64_t next, last;
	size_t given;	/* automatic addresses handed out */
	bool exhausted; /* reported */
};

static void take_address(struct xctx *x, struct xnet *n, struct cursor *cu, struct ot_m_iface *ifc)
{
	struct ot_prefix *p = &ifc->addrs[ifc->naddrs];
	char ss[OT_PREFIX_STRLEN];
	struct ot_diag *g;

	if (cu->exhausted)
		return;
	for (; cu->next <= cu->last && cu->next != UINT64_MAX; cu->next++) {
		p->len = cu->sub->len;
		if (ot_prefix_host(cu->sub, cu->next, &p->addr) < 0)
			break;
		if (xp_kset_put(x, &x->addrs, xp_prefix_hash(p), p, ifc, NULL) == 0) {
			cu->next++;
			cu->given++;
			ifc->naddrs++;
			return;
		}
		if (x->oom)
			return;
	}
	cu->exhausted = true;
	ot_prefix_format(cu->sub, ss, sizeof(ss));
	g = xp_gerr(x, n->n.loc,
		    "subnet %s of network '%s' has no address left for 'address auto' of "
		    "interface '%s' of container '%s'",
		    ss, n->n.name, ifc->name, ifc->container->name);
	if (g) {
		uint64_t f, l;

		host_range(cu->sub, &f, &l);
		ot_diag_note(g, ifc->addr_locs[0],
			     "%zu interfaces got an automatic address before this one", cu->given);
		ot_diag_hint(g,
			     "the subnet has %" PRIu64 " interface addresses, %zu automatic and "
			     "the rest explicit or taken by other networks; give the network a "
			     "larger subnet",
			     l - f + 1, cu->given);
	}
}

static void assign_network(struct xctx *x, struct xnet *n)
{
	struct cursor c4 = {&n->n.subnet4, 0, 0, 0, false}, c6 = {&n->n.subnet6, 0, 0, 0, false};
	size_t i;

	host_range(&n->n.subnet4, &c4.next, &c4.last);
	host_range(&n->n.subnet6, &c6.next, &c6.last);
	for (i = 0; i < n->n.nmembers && !x->oom; i++) {
		struct ot_m_iface *ifc = n->n.members[i];

		if (!ifc->addr_auto)
			continue;
		if (!n->n.has_subnet4 && !n->n.has_subnet6) {
			struct ot_diag *g =
			    xp_gerr(x, ifc->addr_locs[0],
				    "'address auto': network '%s' has no subnet", n->n.name);

			ot_diag_note(g, n->n.loc, "network '%s' is defined here", n->n.name);
			continue;
		}
		if (n->n.has_subnet4)
			take_address(x, n, &c4, ifc);
		if (n->n.has_subnet6)
			take_address(x, n, &c6, ifc);
	}
}

static void assign_macs(struct xctx *x)
{
	uint64_t next = 1;
	size_t i, j;

	for (i = 0; i < x->ctrv.n && !x->oom; i++) {
		struct ot_m_container *c = x->ctrv.v[i];

		for (j = 0; j < c->nifaces; j++) {
			struct ot_m_iface *ifc = &c->ifaces[j];
			int k;

			if (!ifc->mac_auto)
				continue;
			for (;; next++) {
				if (next >> 40) { /* 2^40 MACs: more than any topology has */
					xp_gerr(x, ifc->mac_loc,
						"no MAC address left for 'mac auto'");
					return;
				}
				ifc->mac.b[0] = 0x02;
				for (k = 1; k < 6; k++)
					ifc->mac.b[k] = (uint8_t)(next >> (8 * (5 - k)));
				if (xp_kset_put(x, &x->macs, ot_hash64(ifc->mac.b, 6), &ifc->mac,
						ifc, NULL) == 0)
					break;
				if (x->oom)
					return;
			}
			ifc->has_mac = true;
			next++;
		}
	}
}

void xp_auto_assign(struct xctx *x)
{
	size_t i;

	for (i = 0; i < x->netv.n && !x->oom; i++)
		if (!x->netv.v[i]->n.is_link)
			assign_network(x, x->netv.v[i]);
	assign_macs(x);
}
