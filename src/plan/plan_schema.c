/*
 * plan_schema.c - the plan's vocabulary: enum names and the JSON keys of
 * each operation kind (contract in plan_schema.h and, for the ot_*_name()
 * functions, plan.h).
 */
#include "plan/plan_schema.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

const struct ot_enum_name ot_op_kind_names[] = {
    {"netns", OT_OP_NETNS},
    {"link", OT_OP_LINK},
    {"up", OT_OP_LINK_UP},
    {"addr", OT_OP_ADDR},
    {"route", OT_OP_ROUTE},
    {"fdb", OT_OP_FDB},
    {"sysctl", OT_OP_SYSCTL},
    {"nft", OT_OP_NFT},
    {"cgroup", OT_OP_CGROUP},
    {"mount", OT_OP_MOUNT},
    {NULL, 0},
};

/* The plan's link kinds are the kernel's IFLA_INFO_KIND names. */
const struct ot_enum_name ot_link_kind_names[] = {
    {"veth", OT_LINK_VETH},
    {"bridge", OT_LINK_BRIDGE},
    {"vxlan", OT_LINK_VXLAN},
    {"macvlan", OT_LINK_MACVLAN},
    {NULL, 0},
};

const struct ot_enum_name ot_ns_role_names[] = {
    {"host", OT_NS_HOST},
    {"switch", OT_NS_SWITCH},
    {"container", OT_NS_CONTAINER},
    {NULL, 0},
};

const struct ot_enum_name ot_nft_hook_names[] = {
    {"prerouting", OT_NFT_PREROUTING},	 {"input", OT_NFT_INPUT},
    {"forward", OT_NFT_FORWARD},	 {"output", OT_NFT_OUTPUT},
    {"postrouting", OT_NFT_POSTROUTING}, {NULL, 0},
};

const struct ot_enum_name ot_nft_chain_type_names[] = {
    {"filter", OT_NFT_FILTER},
    {"nat", OT_NFT_NAT},
    {NULL, 0},
};

const struct ot_enum_name ot_nft_verdict_names[] = {
    {"accept", OT_NFT_ACCEPT},
    {"drop", OT_NFT_DROP},
    {"reject", OT_NFT_REJECT},
    {"masquerade", OT_NFT_MASQUERADE},
    {"snat", OT_NFT_SNAT},
    {"dnat", OT_NFT_DNAT},
    {NULL, 0},
};

const struct ot_enum_name ot_nft_family_names[] = {
    {"ip", AF_INET},
    {"ip6", AF_INET6},
    {NULL, 0},
};

const struct ot_enum_name ot_l4proto_names[] = {
    {"tcp", IPPROTO_TCP},
    {"udp", IPPROTO_UDP},
    {"icmp", IPPROTO_ICMP},
    {"icmpv6", IPPROTO_ICMPV6},
    {NULL, 0},
};

const struct ot_enum_name ot_ct_state_names[] = {
    {"new", OT_CT_NEW},
    {"established", OT_CT_ESTABLISHED},
    {"related", OT_CT_RELATED},
    {"invalid", OT_CT_INVALID},
    {NULL, 0},
};

const struct ot_enum_name ot_macvlan_mode_names[] = {
    {"bridge", OT_MACVLAN_BRIDGE},
    {"private", OT_MACVLAN_PRIVATE},
    {"vepa", OT_MACVLAN_VEPA},
    {"passthru", OT_MACVLAN_PASSTHRU},
    {NULL, 0},
};

const struct ot_enum_name ot_expect_names[] = {
    {"reach", OT_EXPECT_REACH},
    {"blocked", OT_EXPECT_BLOCKED},
    {NULL, 0},
};

const char *ot_enum_name(const struct ot_enum_name *t, int v)
{
	for (; t->name; t++)
		if (t->val == v)
			return t->name;
	return "?";
}

int ot_enum_value_n(const struct ot_enum_name *t, const char *s, size_t n, int *ret)
{
	for (; t->name; t++)
		if (strlen(t->name) == n && memcmp(t->name, s, n) == 0) {
			*ret = t->val;
			return 0;
		}
	return -EINVAL;
}

int ot_enum_value(const struct ot_enum_name *t, const char *s, int *ret)
{
	return ot_enum_value_n(t, s, strlen(s), ret);
}

const char *ot_op_kind_name(enum ot_op_kind k)
{
	return ot_enum_name(ot_op_kind_names, (int)k);
}

const char *ot_link_kind_name(enum ot_link_kind k)
{
	return ot_enum_name(ot_link_kind_names, (int)k);
}

const char *ot_ns_role_name(enum ot_ns_role r)
{
	return ot_enum_name(ot_ns_role_names, (int)r);
}

const char *ot_nft_hook_name(enum ot_nft_hook h)
{
	return ot_enum_name(ot_nft_hook_names, (int)h);
}

const char *ot_nft_verdict_name(enum ot_nft_verdict v)
{
	return ot_enum_name(ot_nft_verdict_names, (int)v);
}

const char *ot_macvlan_mode_name(enum ot_macvlan_mode m)
{
	return ot_enum_name(ot_macvlan_mode_names, (int)m);
}

const char *ot_mount_kind_name(enum ot_mount_kind k)
{
	return ot_enum_name(ot_mount_kind_names, (int)k);
}

/* ------------------------------------------------------------------ */
/* JSON keys, per operation kind, in strcmp order                     */

#define F(k, t, lk, field)                                                                         \
	{                                                                                          \
		k, "\"" k "\":", sizeof(k) + 2, t, lk, offsetof(struct ot_op, field)               \
	}
#define END                                                                                        \
	{                                                                                          \
		NULL, NULL, 0, 0, 0, 0                                                             \
	}
#define VETH	(1u << OT_LINK_VETH)
#define VXLAN	(1u << OT_LINK_VXLAN)
#define MACVLAN (1u << OT_LINK_MACVLAN)
/* the keys every operation has */
#define COMMON F("ns", OT_F_NS, 0, ns), F("op", OT_F_OP, 0, kind), F("origin", OT_F_MEMO, 0, origin)

static const struct ot_plan_field f_netns[] = {COMMON, END};

static const struct ot_plan_field f_link[] = {
    F("alias", OT_F_STR, 0, link.alias),
    F("ipv6", OT_F_BOOL, 0, link.ipv6),
    F("kind", OT_F_LINK_KIND, 0, link),
    F("learning", OT_F_BOOL, VXLAN, link.learning),
    F("local", OT_F_ADDR, VXLAN, link.local),
    F("lower", OT_F_NAME, MACVLAN, link.lower),
    F("mac", OT_F_MAC, 0, link.mac),
    F("master", OT_F_NAME, 0, link.master),
    F("mode", OT_F_MACVLAN_MODE, MACVLAN, link),
    F("mtu", OT_F_U32, 0, link.mtu),
    F("name", OT_F_NAME, 0, link.name),
    COMMON,
    F("peer", OT_F_PEER, VETH, link),
    F("port", OT_F_U16, VXLAN, link.port),
    F("sock_ns", OT_F_NS, VXLAN, link.sock_ns),
    F("vni", OT_F_U32, VXLAN, link.vni),
    END,
};

const struct ot_plan_field ot_plan_peer_fields[] = {
    F("alias", OT_F_STR, 0, link.peer_alias),
    F("ipv6", OT_F_BOOL, 0, link.peer_ipv6),
    F("mac", OT_F_MAC, 0, link.peer_mac),
    F("master", OT_F_NAME, 0, link.peer_master),
    F("name", OT_F_NAME, 0, link.peer_name),
    F("ns", OT_F_NS, 0, link.peer_ns),
    END,
};

static const struct ot_plan_field f_up[] = {F("dev", OT_F_NAME, 0, dev), COMMON, END};

static const struct ot_plan_field f_addr[] = {
    F("addr", OT_F_PREFIX, 0, addr.addr),
    F("dev", OT_F_NAME, 0, addr.dev),
    COMMON,
    END,
};

static const struct ot_plan_field f_route[] = {
    F("dev", OT_F_NAME, 0, route.dev),	    F("dst", OT_F_ROUTE_DST, 0, route.dst),
    F("metric", OT_F_U32, 0, route.metric), COMMON,
    F("via", OT_F_ADDR, 0, route.via),	    END,
};

static const struct ot_plan_field f_fdb[] = {
    F("dev", OT_F_NAME, 0, fdb.dev),
    F("dst", OT_F_ADDR, 0, fdb.dst),
    F("dst_node", OT_F_MEMO, 0, fdb.dst_node),
    F("mac", OT_F_MAC_ALWAYS, 0, fdb.mac), /* all zero: head-end replication */
    COMMON,
    END,
};

static const struct ot_plan_field f_sysctl[] = {
    F("key", OT_F_STR, 0, sysctl.key),
    COMMON,
    F("value", OT_F_STR_ALWAYS, 0, sysctl.value),
    END,
};

static const struct ot_plan_field f_nft[] = {F("nft", OT_F_NFT, 0, nft), COMMON, END};

static const struct ot_plan_field f_cgroup[] = {
    F("cpu_pct", OT_F_U32, 0, cgroup.cpu_pct), F("memory", OT_F_U64, 0, cgroup.memory), COMMON,
    F("path", OT_F_STR, 0, cgroup.path),       F("pids", OT_F_U32, 0, cgroup.pids),	END,
};

/* storage */
const struct ot_enum_name ot_mount_kind_names[] = {
    {"root", OT_MOUNT_ROOT},
    {"bind", OT_MOUNT_BIND},
    {"tmpfs", OT_MOUNT_TMPFS},
    {NULL, 0},
};

static const struct ot_plan_field f_mount[] = {
    F("dst", OT_F_STR, 0, mount.dst),
    F("kind", OT_F_MOUNT_KIND, 0, mount),
    F("mode", OT_F_U32, 0, mount.mode),
    F("nofollow", OT_F_BOOL, 0, mount.nofollow),
    COMMON,
    F("ro", OT_F_BOOL, 0, mount.ro),
    F("size", OT_F_U64, 0, mount.size),
    F("src", OT_F_STR, 0, mount.src),
    END,
};

const struct ot_plan_field *const ot_plan_op_fields[OT_OP__COUNT] = {
    [OT_OP_MOUNT] = f_mount,   [OT_OP_NETNS] = f_netns,	  [OT_OP_LINK] = f_link,
    [OT_OP_LINK_UP] = f_up,    [OT_OP_ADDR] = f_addr,	  [OT_OP_ROUTE] = f_route,
    [OT_OP_FDB] = f_fdb,       [OT_OP_SYSCTL] = f_sysctl, [OT_OP_NFT] = f_nft,
    [OT_OP_CGROUP] = f_cgroup,
};
