/*
 * test_nl_msg.c - every rtnetlink builder of src/exec/nl_msg.c, without root:
 * build a message, check its header, parse it back (with our parsers and,
 * for the nesting, with libmnl directly) and compare every field.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "exec/nl.h"

static char buf[OT_NL_MSGSIZE] OT_NL_ALIGNED;

static struct ot_mac mac(const char *s)
{
	struct ot_mac m;

	cr_assert_eq(ot_mac_parse(s, &m), 0);
	return m;
}

Test(nl_msg, newlink_veth_with_peer)
{
	struct ot_mac m1 = mac("02:00:00:00:00:01"), m2 = mac("02:00:00:00:00:02");
	struct ot_nl_dev dev = {
	    .name = "p0", .mac = &m1, .mtu = 1450, .master = 7, .ns_fd = 5, .up = true};
	struct ot_nl_dev peer = {.name = "eth0", .mac = &m2, .mtu = 1450, .ns_fd = -1};
	struct nlmsghdr *nlh = ot_nlmsg_newlink(buf, sizeof(buf), "veth", &dev, &peer, NULL, NULL);
	struct ot_nl_link l;

	cr_assert_not_null(nlh);
	cr_assert_eq(nlh->nlmsg_type, RTM_NEWLINK);
	cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	cr_assert_eq(ot_nl_parse_link(nlh, &l), 0);
	cr_assert_str_eq(l.name, "p0");
	cr_assert_str_eq(l.kind, "veth");
	cr_assert(l.flags & IFF_UP);
	cr_assert_eq(l.mtu, 1450);
	cr_assert_eq(l.master, 7);
	cr_assert_eq(l.ns_fd, 5);
	cr_assert(l.has_mac);
	cr_assert_arr_eq(l.mac.b, m1.b, 6);
	cr_assert(l.has_peer);
	cr_assert_str_eq(l.peer_name, "eth0");
	cr_assert_eq(l.peer_ns_fd, -1, "the peer stays in the requesting namespace");
	cr_assert_eq(l.peer_mtu, 1450);
	cr_assert_arr_eq(l.peer_mac.b, m2.b, 6);
	cr_assert_eq(l.peer_master, 0);
}

Test(nl_msg, newlink_fixed_ifindex)
{
	struct ot_nl_dev dev = {.name = "up0", .ifindex = 0x10000001, .ns_fd = -1};
	struct ot_nl_dev peer = {.name = "x", .ifindex = 0x10000002, .ns_fd = 3};
	struct nlmsghdr *nlh = ot_nlmsg_newlink(buf, sizeof(buf), "veth", &dev, &peer, NULL, NULL);
	const struct ifinfomsg *ifi;
	struct ot_nl_link l;

	cr_assert_not_null(nlh);
	ifi = mnl_nlmsg_get_payload(nlh);
	cr_assert_eq((uint32_t)ifi->ifi_index, 0x10000001);
	cr_assert_eq(ot_nl_parse_link(nlh, &l), 0);
	cr_assert_eq(l.peer_ns_fd, 3);
	cr_assert_eq(l.flags & IFF_UP, 0);
}

Test(nl_msg, newlink_vxlan)
{
	struct ot_nl_dev dev = {.name = "vx100", .mtu = 1450, .ns_fd = 9, .master = 3};
	struct ot_nl_vxlan vx = {.vni = 100, .port = 4789, .learning = false};
	struct nlmsghdr *nlh;
	struct ot_nl_link l;

	cr_assert_eq(ot_addr_parse("192.0.2.11", &vx.local), 0);
	nlh = ot_nlmsg_newlink(buf, sizeof(buf), "vxlan", &dev, NULL, &vx, NULL);
	cr_assert_not_null(nlh);
	cr_assert_eq(ot_nl_parse_link(nlh, &l), 0);
	cr_assert_str_eq(l.kind, "vxlan");
	cr_assert_eq(l.vni, 100);
	cr_assert_eq(l.port, 4789);
	cr_assert_eq(l.learning, 0);
	cr_assert(ot_addr_equal(&l.local, &vx.local));
	cr_assert_eq(l.ns_fd, 9);
	cr_assert_eq(l.master, 3);

	/* IPv6 underlay goes in IFLA_VXLAN_LOCAL6 */
	cr_assert_eq(ot_addr_parse("2001:db8::11", &vx.local), 0);
	vx.learning = true;
	nlh = ot_nlmsg_newlink(buf, sizeof(buf), "vxlan", &dev, NULL, &vx, NULL);
	cr_assert_eq(ot_nl_parse_link(nlh, &l), 0);
	cr_assert_eq(l.local.family, AF_INET6);
	cr_assert(ot_addr_equal(&l.local, &vx.local));
	cr_assert_eq(l.learning, 1);
	/* no vxlan data: refused */
	cr_assert_null(ot_nlmsg_newlink(buf, sizeof(buf), "vxlan", &dev, NULL, NULL, NULL));
}

Test(nl_msg, newlink_bridge_macvlan_unknown)
{
	struct ot_nl_dev dev = {.name = "br0", .ns_fd = -1, .up = true};
	struct ot_nl_macvlan mv = {.lower = 2, .mode = MACVLAN_MODE_BRIDGE};
	struct nlmsghdr *nlh = ot_nlmsg_newlink(buf, sizeof(buf), "bridge", &dev, NULL, NULL, NULL);
	struct ot_nl_link l;

	cr_assert_not_null(nlh);
	cr_assert_eq(ot_nl_parse_link(nlh, &l), 0);
	cr_assert_str_eq(l.kind, "bridge");
	cr_assert(l.flags & IFF_UP);

	dev.name = "mv0";
	nlh = ot_nlmsg_newlink(buf, sizeof(buf), "macvlan", &dev, NULL, NULL, &mv);
	cr_assert_not_null(nlh);
	cr_assert_eq(ot_nl_parse_link(nlh, &l), 0);
	cr_assert_str_eq(l.kind, "macvlan");
	cr_assert_eq(l.link, 2);
	cr_assert_eq(l.macvlan_mode, MACVLAN_MODE_BRIDGE);

	cr_assert_null(ot_nlmsg_newlink(buf, sizeof(buf), "dummy", &dev, NULL, NULL, NULL));
}

Test(nl_msg, builders_respect_the_buffer)
{
	struct ot_nl_dev dev = {.name = "p0", .ns_fd = -1};
	struct ot_nl_dev peer = {.name = "eth0", .ns_fd = -1};
	size_t n;

	/* every size below the full message fails cleanly, none overflows */
	cr_assert_not_null(ot_nlmsg_newlink(buf, sizeof(buf), "veth", &dev, &peer, NULL, NULL));
	n = ((struct nlmsghdr *)buf)->nlmsg_len;
	for (size_t size = 0; size < n; size++)
		cr_assert_null(ot_nlmsg_newlink(buf, size, "veth", &dev, &peer, NULL, NULL),
			       "size %zu of %zu accepted", size, n);
	cr_assert_not_null(ot_nlmsg_newlink(buf, n, "veth", &dev, &peer, NULL, NULL));
}

Test(nl_msg, setlink)
{
	struct ot_nl_set s = {
	    .name = "eth0", .up = true, .master = 4, .addr_gen_mode = 1, .alias = "web.eth0"};
	struct nlmsghdr *nlh = ot_nlmsg_setlink(buf, sizeof(buf), &s);
	struct ot_nl_link l;

	cr_assert_not_null(nlh);
	cr_assert_eq(nlh->nlmsg_type, RTM_NEWLINK);
	cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST, "a change, never a creation");
	cr_assert_eq(ot_nl_parse_link(nlh, &l), 0);
	cr_assert_str_eq(l.name, "eth0");
	cr_assert(l.flags & IFF_UP);
	cr_assert_eq(l.master, 4);
	cr_assert_eq(l.addr_gen_mode, 1);
	cr_assert_str_eq(l.alias, "web.eth0");

	s = (struct ot_nl_set){.name = "lo", .addr_gen_mode = -1};
	nlh = ot_nlmsg_setlink(buf, sizeof(buf), &s);
	cr_assert_eq(ot_nl_parse_link(nlh, &l), 0);
	cr_assert_eq(l.flags & IFF_UP, 0);
	cr_assert_eq(l.addr_gen_mode, -1);
	cr_assert_str_eq(l.alias, "");
}

Test(nl_msg, get_and_del_by_name)
{
	struct ot_nl_link l;
	struct nlmsghdr *nlh = ot_nlmsg_getlink(buf, sizeof(buf), "br0");

	cr_assert_eq(nlh->nlmsg_type, RTM_GETLINK);
	cr_assert_eq(ot_nl_parse_link(nlh, &l), 0);
	cr_assert_str_eq(l.name, "br0");
	nlh = ot_nlmsg_dellink(buf, sizeof(buf), "otx1u");
	cr_assert_eq(nlh->nlmsg_type, RTM_DELLINK);
	cr_assert_eq(ot_nl_parse_link(nlh, &l), 0);
	cr_assert_str_eq(l.name, "otx1u");
}

Test(nl_msg, newaddr_v4_v6)
{
	struct ot_prefix p;
	struct nlmsghdr *nlh;
	struct ot_nl_addr a;
	char s[OT_ADDR_STRLEN];

	cr_assert_eq(ot_prefix_parse("10.10.0.10/24", true, &p), 0);
	nlh = ot_nlmsg_newaddr(buf, sizeof(buf), 3, &p);
	cr_assert_not_null(nlh);
	cr_assert_eq(nlh->nlmsg_type, RTM_NEWADDR);
	cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	cr_assert_eq(ot_nl_parse_addr(nlh, &a), 0);
	cr_assert_eq(a.family, AF_INET);
	cr_assert_eq(a.prefixlen, 24);
	cr_assert_eq(a.ifindex, 3);
	cr_assert(ot_addr_equal(&a.addr, &p.addr));
	ot_addr_format(&a.brd, s, sizeof(s));
	cr_assert_str_eq(s, "10.10.0.255");
	cr_assert_eq(a.flags & IFA_F_NODAD, 0);

	cr_assert_eq(ot_prefix_parse("10.10.0.1/31", true, &p), 0);
	nlh = ot_nlmsg_newaddr(buf, sizeof(buf), 3, &p);
	cr_assert_eq(ot_nl_parse_addr(nlh, &a), 0);
	cr_assert_eq(a.brd.family, 0, "no broadcast on a /31");

	cr_assert_eq(ot_prefix_parse("2001:db8::5/64", true, &p), 0);
	nlh = ot_nlmsg_newaddr(buf, sizeof(buf), 4, &p);
	cr_assert_eq(ot_nl_parse_addr(nlh, &a), 0);
	cr_assert_eq(a.family, AF_INET6);
	cr_assert_eq(a.prefixlen, 64);
	cr_assert(a.flags & IFA_F_NODAD, "IPv6 without duplicate address detection");
	cr_assert(ot_addr_equal(&a.addr, &p.addr));
}

Test(nl_msg, newroute)
{
	struct ot_prefix dst;
	struct ot_addr via;
	struct ot_nl_route r;
	struct nlmsghdr *nlh;
	char s[OT_ADDR_STRLEN];

	memset(&dst, 0, sizeof(dst));
	dst.addr.family = AF_INET;
	cr_assert_eq(ot_addr_parse("10.10.0.1", &via), 0);
	nlh = ot_nlmsg_newroute(buf, sizeof(buf), &dst, &via, 0, 0);
	cr_assert_not_null(nlh);
	cr_assert_eq(ot_nl_parse_route(nlh, &r), 0);
	cr_assert_eq(r.family, AF_INET);
	cr_assert_eq(r.dst_len, 0);
	cr_assert_eq(r.table, RT_TABLE_MAIN);
	cr_assert_eq(r.scope, RT_SCOPE_UNIVERSE);
	cr_assert_eq(r.protocol, RTPROT_STATIC);
	cr_assert(ot_addr_equal(&r.gateway, &via));
	cr_assert_eq(r.oif, 0);

	/* a prefix route through a device: the network address, link scope */
	cr_assert_eq(ot_prefix_parse("10.20.3.7/16", true, &dst), 0);
	nlh = ot_nlmsg_newroute(buf, sizeof(buf), &dst, NULL, 6, 100);
	cr_assert_eq(ot_nl_parse_route(nlh, &r), 0);
	ot_addr_format(&r.dst, s, sizeof(s));
	cr_assert_str_eq(s, "10.20.0.0");
	cr_assert_eq(r.dst_len, 16);
	cr_assert_eq(r.scope, RT_SCOPE_LINK);
	cr_assert_eq(r.oif, 6);
	cr_assert_eq(r.priority, 100);
	cr_assert_eq(r.gateway.family, 0);
}

Test(nl_msg, newfdb_unicast_and_bum)
{
	struct ot_mac m = mac("02:00:00:00:00:09"), zero = {{0}};
	struct ot_addr dst;
	struct ot_nl_neigh n;
	struct nlmsghdr *nlh;

	cr_assert_eq(ot_addr_parse("192.0.2.12", &dst), 0);
	nlh = ot_nlmsg_newfdb(buf, sizeof(buf), 8, &m, &dst);
	cr_assert_not_null(nlh);
	cr_assert_eq(nlh->nlmsg_type, RTM_NEWNEIGH);
	cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	cr_assert_eq(ot_nl_parse_neigh(nlh, &n), 0);
	cr_assert_eq(n.family, AF_BRIDGE);
	cr_assert_eq(n.ifindex, 8);
	cr_assert_eq(n.state, NUD_PERMANENT);
	cr_assert_eq(n.flags, NTF_SELF);
	cr_assert_arr_eq(n.mac.b, m.b, 6);
	cr_assert(ot_addr_equal(&n.dst, &dst));

	/* all-zero MAC: head-end replication entries are appended, one per node */
	nlh = ot_nlmsg_newfdb(buf, sizeof(buf), 8, &zero, &dst);
	cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_APPEND);
	cr_assert_eq(ot_nl_parse_neigh(nlh, &n), 0);
	cr_assert(ot_mac_is_zero(&n.mac));
}

Test(nl_msg, dumps)
{
	struct nlmsghdr *nlh;

	nlh = ot_nlmsg_dump(buf, sizeof(buf), RTM_GETLINK, AF_UNSPEC);
	cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	cr_assert_eq(mnl_nlmsg_get_payload_len(nlh), sizeof(struct ifinfomsg));
	nlh = ot_nlmsg_dump(buf, sizeof(buf), RTM_GETROUTE, AF_INET6);
	cr_assert_eq(mnl_nlmsg_get_payload_len(nlh), sizeof(struct rtmsg));
	cr_assert_eq(((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_family, AF_INET6);
	cr_assert_null(ot_nlmsg_dump(buf, sizeof(buf), RTM_NEWLINK, 0), "not a dump type");
	nlh = ot_nlmsg_dump_fdb(buf, sizeof(buf), 5);
	cr_assert_eq(((struct ndmsg *)mnl_nlmsg_get_payload(nlh))->ndm_family, AF_BRIDGE);
	cr_assert_eq(mnl_nlmsg_get_payload_len(nlh), MNL_ALIGN(sizeof(struct ndmsg)) + 8);
}

Test(nl_msg, parsers_refuse_truncated)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ot_nl_link l;
	struct ot_nl_addr a;
	struct ot_nl_route r;
	struct ot_nl_neigh n;

	nlh->nlmsg_type = RTM_NEWLINK;
	cr_assert_eq(ot_nl_parse_link(nlh, &l), -EBADMSG);
	cr_assert_eq(ot_nl_parse_addr(nlh, &a), -EBADMSG);
	cr_assert_eq(ot_nl_parse_route(nlh, &r), -EBADMSG);
	cr_assert_eq(ot_nl_parse_neigh(nlh, &n), -EBADMSG);
}
