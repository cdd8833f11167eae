/*
 * nl_msg.c - rtnetlink message builders and parsers (contract in nl.h).
 *
 * Attribute layouts follow the kernel's uapi headers and what iproute2 sends
 * (ip/link_veth.c: the peer is a struct ifinfomsg followed by its own
 * attributes inside VETH_INFO_PEER; ip/iplink_vxlan.c). Every append is
 * bounds-checked against the caller's buffer.
 */
#include "exec/nl.h"
#include "exec/nl_build.h"

#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

/* The builder (struct mb, put, nest, extra, start, finish): exec/nl_build.h. */

/* IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE mode } } */
static void put_addr_gen_mode(struct mb *m, uint8_t mode)
{
	struct nlattr *spec = nest(m, IFLA_AF_SPEC), *in6 = nest(m, AF_INET6);

	put_u8(m, IFLA_INET6_ADDR_GEN_MODE, mode);
	nest_end(m, in6);
	nest_end(m, spec);
}

/* The attributes every device carries (after its struct ifinfomsg). */
static void put_dev(struct mb *m, struct ifinfomsg *ifi, const struct ot_nl_dev *d)
{
	if (ifi && d->up) {
		ifi->ifi_flags |= IFF_UP;
		ifi->ifi_change |= IFF_UP;
	}
	if (ifi)
		ifi->ifi_index = (int)d->ifindex;
	put_strz(m, IFLA_IFNAME, d->name);
	if (d->mac && !ot_mac_is_zero(d->mac))
		put(m, IFLA_ADDRESS, sizeof(d->mac->b), d->mac->b);
	if (d->mtu)
		put_u32(m, IFLA_MTU, d->mtu);
	if (d->master)
		put_u32(m, IFLA_MASTER, d->master);
	if (d->ns_fd >= 0)
		put_u32(m, IFLA_NET_NS_FD, (uint32_t)d->ns_fd);
}

/* ---- per-kind IFLA_INFO_DATA (a table, not a switch) ---- */

struct link_args {
	const struct ot_nl_dev *peer;
	const struct ot_nl_vxlan *vx;
	const struct ot_nl_macvlan *mv;
};

static int data_veth(struct mb *m, const struct link_args *a)
{
	struct nlattr *data, *peer;
	struct ifinfomsg *ifi;

	if (!a->peer)
		return -EINVAL;
	data = nest(m, IFLA_INFO_DATA);
	peer = nest(m, VETH_INFO_PEER);
	ifi = extra(m, sizeof(*ifi));
	if (ifi)
		put_dev(m, ifi, a->peer);
	nest_end(m, peer);
	nest_end(m, data);
	return 0;
}

static int data_bridge(struct mb *m, const struct link_args *a)
{
	return 0;
}

static int data_vxlan(struct mb *m, const struct link_args *a)
{
	const struct ot_nl_vxlan *vx = a->vx;
	struct nlattr *data;

	if (!vx)
		return -EINVAL;
	data = nest(m, IFLA_INFO_DATA);
	put_u32(m, IFLA_VXLAN_ID, vx->vni);
	if (vx->local.family == AF_INET)
		put(m, IFLA_VXLAN_LOCAL, 4, vx->local.bytes);
	else if (vx->local.family == AF_INET6)
		put(m, IFLA_VXLAN_LOCAL6, 16, vx->local.bytes);
	put_u16(m, IFLA_VXLAN_PORT, htons(vx->port));
	put_u8(m, IFLA_VXLAN_LEARNING, vx->learning ? 1 : 0);
	if (vx->ttl)
		put_u8(m, IFLA_VXLAN_TTL, vx->ttl);
	nest_end(m, data);
	return 0;
}

static int data_macvlan(struct mb *m, const struct link_args *a)
{
	struct nlattr *data;

	if (!a->mv)
		return -EINVAL;
	data = nest(m, IFLA_INFO_DATA);
	put_u32(m, IFLA_MACVLAN_MODE, a->mv->mode);
	nest_end(m, data);
	return 0;
}

static const struct {
	const char *kind;
	int (*data)(struct mb *m, const struct link_args *a);
} link_kinds[] = {
    {"veth", data_veth},
    {"bridge", data_bridge},
    {"vxlan", data_vxlan},
    {"macvlan", data_macvlan},
};

struct nlmsghdr *ot_nlmsg_newlink(void *buf, size_t size, const char *kind,
				  const struct ot_nl_dev *dev, const struct ot_nl_dev *peer,
				  const struct ot_nl_vxlan *vx, const struct ot_nl_macvlan *mv)
{
	struct link_args a = {peer, vx, mv};
	struct nlattr *info;
	struct ifinfomsg *ifi;
	struct mb m;
	size_t k;

	for (k = 0; k < sizeof(link_kinds) / sizeof(link_kinds[0]); k++)
		if (strcmp(kind, link_kinds[k].kind) == 0)
			break;
	if (k == sizeof(link_kinds) / sizeof(link_kinds[0]))
		return NULL;
	if (!start(&m, buf, size, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL))
		return NULL;
	ifi = extra(&m, sizeof(*ifi));
	if (!ifi)
		return NULL;
	ifi->ifi_family = AF_UNSPEC;
	put_dev(&m, ifi, dev);
	if (mv && mv->lower)
		put_u32(&m, IFLA_LINK, mv->lower);
	info = nest(&m, IFLA_LINKINFO);
	put_strz(&m, IFLA_INFO_KIND, kind);
	if (link_kinds[k].data(&m, &a) < 0)
		return NULL;
	nest_end(&m, info);
	return finish(&m);
}

struct nlmsghdr *ot_nlmsg_setlink(void *buf, size_t size, const struct ot_nl_set *s)
{
	struct ifinfomsg *ifi;
	struct mb m;

	if (!start(&m, buf, size, RTM_NEWLINK, 0))
		return NULL;
	ifi = extra(&m, sizeof(*ifi));
	if (!ifi)
		return NULL;
	ifi->ifi_family = AF_UNSPEC;
	if (s->up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	put_strz(&m, IFLA_IFNAME, s->name);
	if (s->master)
		put_u32(&m, IFLA_MASTER, s->master);
	if (s->alias)
		put(&m, IFLA_IFALIAS, strlen(s->alias), s->alias);
	if (s->addr_gen_mode >= 0)
		put_addr_gen_mode(&m, (uint8_t)s->addr_gen_mode);
	return finish(&m);
}

static struct nlmsghdr *link_by_name(void *buf, size_t size, uint16_t type, const char *name)
{
	struct ifinfomsg *ifi;
	struct mb m;

	if (!start(&m, buf, size, type, 0))
		return NULL;
	ifi = extra(&m, sizeof(*ifi));
	if (!ifi)
		return NULL;
	ifi->ifi_family = AF_UNSPEC;
	put_strz(&m, IFLA_IFNAME, name);
	return finish(&m);
}

struct nlmsghdr *ot_nlmsg_getlink(void *buf, size_t size, const char *name)
{
	return link_by_name(buf, size, RTM_GETLINK, name);
}

struct nlmsghdr *ot_nlmsg_dellink(void *buf, size_t size, const char *name)
{
	return link_by_name(buf, size, RTM_DELLINK, name);
}

struct nlmsghdr *ot_nlmsg_newaddr(void *buf, size_t size, uint32_t ifindex,
				  const struct ot_prefix *p)
{
	unsigned alen = ot_addr_len(&p->addr);
	struct ifaddrmsg *ifa;
	struct mb m;

	if (!alen || !start(&m, buf, size, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL))
		return NULL;
	ifa = extra(&m, sizeof(*ifa));
	if (!ifa)
		return NULL;
	ifa->ifa_family = p->addr.family;
	ifa->ifa_prefixlen = p->len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	put(&m, IFA_LOCAL, alen, p->addr.bytes);
	put(&m, IFA_ADDRESS, alen, p->addr.bytes);
	if (p->addr.family == AF_INET && p->len < 31) {
		struct ot_addr brd = p->addr;
		unsigned i;

		for (i = p->len; i < 32; i++)
			brd.bytes[i / 8] |= (uint8_t)(0x80u >> (i % 8));
		put(&m, IFA_BROADCAST, 4, brd.bytes);
	}
	if (p->addr.family == AF_INET6) {
		ifa->ifa_flags = IFA_F_NODAD;
		put_u32(&m, IFA_FLAGS, IFA_F_NODAD);
	}
	return finish(&m);
}

struct nlmsghdr *ot_nlmsg_newroute(void *buf, size_t size, const struct ot_prefix *dst,
				   const struct ot_addr *via, uint32_t oif, uint32_t metric)
{
	unsigned alen = ot_addr_len(&dst->addr);
	struct rtmsg *rtm;
	struct mb m;

	if (!alen || !start(&m, buf, size, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL))
		return NULL;
	rtm = extra(&m, sizeof(*rtm));
	if (!rtm)
		return NULL;
	rtm->rtm_family = dst->addr.family;
	rtm->rtm_dst_len = dst->len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_scope = via && via->family ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	if (dst->len) {
		struct ot_prefix net = ot_prefix_network(dst);

		put(&m, RTA_DST, alen, net.addr.bytes);
	}
	if (via && via->family)
		put(&m, RTA_GATEWAY, ot_addr_len(via), via->bytes);
	if (oif)
		put_u32(&m, RTA_OIF, oif);
	if (metric)
		put_u32(&m, RTA_PRIORITY, metric);
	return finish(&m);
}

struct nlmsghdr *ot_nlmsg_newfdb(void *buf, size_t size, uint32_t ifindex, const struct ot_mac *mac,
				 const struct ot_addr *dst)
{
	bool zero = ot_mac_is_zero(mac);
	struct ndmsg *nd;
	struct mb m;

	if (!ot_addr_len(dst) ||
	    !start(&m, buf, size, RTM_NEWNEIGH, NLM_F_CREATE | (zero ? NLM_F_APPEND : NLM_F_EXCL)))
		return NULL;
	nd = extra(&m, sizeof(*nd));
	if (!nd)
		return NULL;
	nd->ndm_family = AF_BRIDGE;
	nd->ndm_ifindex = (int)ifindex;
	nd->ndm_state = NUD_PERMANENT;
	nd->ndm_flags = NTF_SELF;
	put(&m, NDA_LLADDR, 6, mac->b);
	put(&m, NDA_DST, ot_addr_len(dst), dst->bytes);
	return finish(&m);
}

struct nlmsghdr *ot_nlmsg_dump(void *buf, size_t size, uint16_t type, uint8_t family)
{
	/* Every rtnetlink dump request starts with a one-byte family; the
	 * fixed headers differ in size, so send the largest one zeroed. */
	static const size_t hdr_len[] = {
	    [RTM_GETLINK - RTM_BASE] = sizeof(struct ifinfomsg),
	    [RTM_GETADDR - RTM_BASE] = sizeof(struct ifaddrmsg),
	    [RTM_GETROUTE - RTM_BASE] = sizeof(struct rtmsg),
	    [RTM_GETNEIGH - RTM_BASE] = sizeof(struct ndmsg),
	};
	unsigned idx = (unsigned)type - RTM_BASE;
	uint8_t *hdr;
	struct mb m;

	if (idx >= sizeof(hdr_len) / sizeof(hdr_len[0]) || !hdr_len[idx] ||
	    !start(&m, buf, size, type, NLM_F_DUMP))
		return NULL;
	hdr = extra(&m, hdr_len[idx]);
	if (!hdr)
		return NULL;
	hdr[0] = family;
	return finish(&m);
}

struct nlmsghdr *ot_nlmsg_dump_fdb(void *buf, size_t size, uint32_t ifindex)
{
	struct nlmsghdr *nlh = ot_nlmsg_dump(buf, size, RTM_GETNEIGH, AF_BRIDGE);
	struct mb m = {nlh, size, nlh == NULL};

	if (nlh && ifindex)
		put_u32(&m, NDA_IFINDEX, ifindex);
	return finish(&m);
}

/* ---- parsers ---- */

static void copy_str(char *dst, size_t size, const struct nlattr *a)
{
	size_t n = mnl_attr_get_payload_len(a);

	if (n >= size)
		n = size - 1;
	memcpy(dst, mnl_attr_get_payload(a), n);
	dst[n] = '\0';
	dst[strnlen(dst, n)] = '\0';
}

static void copy_addr(struct ot_addr *dst, const struct nlattr *a)
{
	uint16_t n = mnl_attr_get_payload_len(a);

	memset(dst, 0, sizeof(*dst));
	if (n == 4 || n == 16) {
		dst->family = n == 4 ? AF_INET : AF_INET6;
		memcpy(dst->bytes, mnl_attr_get_payload(a), n);
	}
}

/* Collect the attributes of one level into tb[0..max]; reject truncated ones. */
struct tb {
	const struct nlattr **tb;
	unsigned max;
	bool bad;
};

static int tb_cb(const struct nlattr *a, void *data)
{
	struct tb *t = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

static int parse_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned max)
{
	struct tb t = {tb, max, false};

	memset(tb, 0, (max + 1) * sizeof(*tb));
	return mnl_attr_parse_nested(nest, tb_cb, &t) < 0 ? -EBADMSG : 0;
}

static bool u32_ok(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 4;
}

static bool u8_ok(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 1;
}

static int addr_gen_mode(const struct nlattr *spec)
{
	const struct nlattr *fam[AF_INET6 + 1], *in6[IFLA_INET6_MAX + 1];

	if (!spec || parse_nested(spec, fam, AF_INET6) < 0 || !fam[AF_INET6] ||
	    parse_nested(fam[AF_INET6], in6, IFLA_INET6_MAX) < 0 ||
	    !u8_ok(in6[IFLA_INET6_ADDR_GEN_MODE]))
		return -1;
	return mnl_attr_get_u8(in6[IFLA_INET6_ADDR_GEN_MODE]);
}

/* The common device attributes of a link message (or of a veth peer). */
static void link_common(const struct nlattr **tb, char *name, struct ot_mac *mac, bool *has_mac,
			uint32_t *mtu, uint32_t *master, int *ns_fd, int *agm)
{
	if (tb[IFLA_IFNAME])
		copy_str(name, 16, tb[IFLA_IFNAME]);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6) {
		memcpy(mac->b, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
		if (has_mac)
			*has_mac = true;
	}
	if (u32_ok(tb[IFLA_MTU]))
		*mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (u32_ok(tb[IFLA_MASTER]))
		*master = mnl_attr_get_u32(tb[IFLA_MASTER]);
	*ns_fd = u32_ok(tb[IFLA_NET_NS_FD]) ? (int)mnl_attr_get_u32(tb[IFLA_NET_NS_FD]) : -1;
	*agm = addr_gen_mode(tb[IFLA_AF_SPEC]);
}

static void link_data(const char *kind, const struct nlattr *data, struct ot_nl_link *l)
{
	if (strcmp(kind, "vxlan") == 0) {
		const struct nlattr *vx[IFLA_VXLAN_MAX + 1];

		if (parse_nested(data, vx, IFLA_VXLAN_MAX) < 0)
			return;
		if (u32_ok(vx[IFLA_VXLAN_ID]))
			l->vni = mnl_attr_get_u32(vx[IFLA_VXLAN_ID]);
		if (vx[IFLA_VXLAN_PORT] && mnl_attr_get_payload_len(vx[IFLA_VXLAN_PORT]) >= 2)
			l->port = ntohs(mnl_attr_get_u16(vx[IFLA_VXLAN_PORT]));
		if (vx[IFLA_VXLAN_LOCAL])
			copy_addr(&l->local, vx[IFLA_VXLAN_LOCAL]);
		if (vx[IFLA_VXLAN_LOCAL6])
			copy_addr(&l->local, vx[IFLA_VXLAN_LOCAL6]);
		if (u8_ok(vx[IFLA_VXLAN_LEARNING]))
			l->learning = mnl_attr_get_u8(vx[IFLA_VXLAN_LEARNING]);
	} else if (strcmp(kind, "macvlan") == 0) {
		const struct nlattr *mv[IFLA_MACVLAN_MAX + 1];

		if (parse_nested(data, mv, IFLA_MACVLAN_MAX) == 0 && u32_ok(mv[IFLA_MACVLAN_MODE]))
			l->macvlan_mode = mnl_attr_get_u32(mv[IFLA_MACVLAN_MODE]);
	} else if (strcmp(kind, "veth") == 0) {
		const struct nlattr *v[VETH_INFO_MAX + 1], *ptb[IFLA_MAX + 1];
		const struct nlattr *peer;
		struct tb t = {ptb, IFLA_MAX, false};
		size_t off = MNL_ALIGN(sizeof(struct ifinfomsg));

		if (parse_nested(data, v, VETH_INFO_MAX) < 0 || !v[VETH_INFO_PEER])
			return;
		peer = v[VETH_INFO_PEER];
		if (mnl_attr_get_payload_len(peer) < off)
			return;
		memset(ptb, 0, sizeof(ptb));
		mnl_attr_parse_payload((const char *)mnl_attr_get_payload(peer) + off,
				       mnl_attr_get_payload_len(peer) - off, tb_cb, &t);
		l->has_peer = true;
		link_common(ptb, l->peer_name, &l->peer_mac, NULL, &l->peer_mtu, &l->peer_master,
			    &l->peer_ns_fd, &l->peer_addr_gen_mode);
	}
}

int ot_nl_parse_link(const struct nlmsghdr *nlh, struct ot_nl_link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {0};
	struct tb t = {tb, IFLA_MAX, false};
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	memset(l, 0, sizeof(*l));
	l->learning = -1;
	l->peer_ns_fd = -1;
	l->peer_addr_gen_mode = -1;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -EBADMSG;
	l->ifindex = (uint32_t)ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	if (mnl_attr_parse(nlh, sizeof(*ifi), tb_cb, &t) < 0)
		return -EBADMSG;
	link_common(tb, l->name, &l->mac, &l->has_mac, &l->mtu, &l->master, &l->ns_fd,
		    &l->addr_gen_mode);
	if (tb[IFLA_IFALIAS])
		copy_str(l->alias, sizeof(l->alias), tb[IFLA_IFALIAS]);
	if (u32_ok(tb[IFLA_LINK]))
		l->link = mnl_attr_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_LINKINFO]) {
		const struct nlattr *info[IFLA_INFO_MAX + 1];

		if (parse_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX) < 0)
			return -EBADMSG;
		if (info[IFLA_INFO_KIND])
			copy_str(l->kind, sizeof(l->kind), info[IFLA_INFO_KIND]);
		if (info[IFLA_INFO_DATA])
			link_data(l->kind, info[IFLA_INFO_DATA], l);
	}
	return 0;
}

int ot_nl_parse_addr(const struct nlmsghdr *nlh, struct ot_nl_addr *a)
{
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	struct tb t = {tb, IFA_MAX, false};
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);

	memset(a, 0, sizeof(*a));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return -EBADMSG;
	a->family = ifa->ifa_family;
	a->prefixlen = ifa->ifa_prefixlen;
	a->ifindex = ifa->ifa_index;
	a->flags = ifa->ifa_flags;
	if (mnl_attr_parse(nlh, sizeof(*ifa), tb_cb, &t) < 0)
		return -EBADMSG;
	if (tb[IFA_ADDRESS])
		copy_addr(&a->addr, tb[IFA_ADDRESS]);
	if (tb[IFA_LOCAL]) /* IPv4: the interface's own address (IFA_ADDRESS is the peer's on p2p)
			    */
		copy_addr(&a->addr, tb[IFA_LOCAL]);
	if (tb[IFA_BROADCAST])
		copy_addr(&a->brd, tb[IFA_BROADCAST]);
	if (u32_ok(tb[IFA_FLAGS]))
		a->flags = mnl_attr_get_u32(tb[IFA_FLAGS]);
	return 0;
}

int ot_nl_parse_route(const struct nlmsghdr *nlh, struct ot_nl_route *r)
{
	const struct nlattr *tb[RTA_MAX + 1] = {0};
	struct tb t = {tb, RTA_MAX, false};
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	memset(r, 0, sizeof(*r));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return -EBADMSG;
	r->family = rtm->rtm_family;
	r->dst_len = rtm->rtm_dst_len;
	r->table = rtm->rtm_table;
	r->scope = rtm->rtm_scope;
	r->protocol = rtm->rtm_protocol;
	r->type = rtm->rtm_type;
	r->dst.family = rtm->rtm_family;
	if (mnl_attr_parse(nlh, sizeof(*rtm), tb_cb, &t) < 0)
		return -EBADMSG;
	if (tb[RTA_DST])
		copy_addr(&r->dst, tb[RTA_DST]);
	if (tb[RTA_GATEWAY])
		copy_addr(&r->gateway, tb[RTA_GATEWAY]);
	if (u32_ok(tb[RTA_OIF]))
		r->oif = mnl_attr_get_u32(tb[RTA_OIF]);
	if (u32_ok(tb[RTA_PRIORITY]))
		r->priority = mnl_attr_get_u32(tb[RTA_PRIORITY]);
	if (u32_ok(tb[RTA_TABLE]))
		r->table = (uint8_t)mnl_attr_get_u32(tb[RTA_TABLE]);
	return 0;
}

int ot_nl_parse_neigh(const struct nlmsghdr *nlh, struct ot_nl_neigh *n)
{
	const struct nlattr *tb[NDA_MAX + 1] = {0};
	struct tb t = {tb, NDA_MAX, false};
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);

	memset(n, 0, sizeof(*n));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*nd))
		return -EBADMSG;
	n->family = nd->ndm_family;
	n->ifindex = (uint32_t)nd->ndm_ifindex;
	n->state = nd->ndm_state;
	n->flags = nd->ndm_flags;
	if (mnl_attr_parse(nlh, sizeof(*nd), tb_cb, &t) < 0)
		return -EBADMSG;
	if (tb[NDA_LLADDR] && mnl_attr_get_payload_len(tb[NDA_LLADDR]) == 6) {
		memcpy(n->mac.b, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
		n->has_mac = true;
	}
	if (tb[NDA_DST])
		copy_addr(&n->dst, tb[NDA_DST]);
	return 0;
}
