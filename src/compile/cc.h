/*
 * cc.h - private state of the compiler back end, shared by its files:
 * compile.c (driver and lowering into plans), decide.c (partition, names,
 * VNIs, MACs, MTUs), firewall.c (nftables lowering and the static firewall
 * evaluator), probes.c (reachability expectations), bounds.c
 * (administrator bounds) and graph.c (DOT output).
 *
 * Everything is indexed, never searched: containers, interfaces and
 * networks get dense indices in model order, and each network's members are
 * grouped by node so the per-node lowering touches only what lives on that
 * node (the compiler must scale to 100,000 containers).
 */
#ifndef OT_COMPILE_CC_H
#define OT_COMPILE_CC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "compile/compile.h"
#include "util/arena.h"
#include "util/bits.h"
#include "util/hash.h"
#include "util/hashset.h"
#include "util/strbuf.h"

/* Defaults of the derived-VNI window (compile.h: vni_base/vni_span). */
#define CC_VNI_BASE 0x100000u
#define CC_VNI_SPAN 0xE00000u

/* VXLAN encapsulation overhead on the underlay: outer Ethernet is not
 * counted by the MTU, so IP + UDP + VXLAN + inner Ethernet. */
#define CC_VXLAN_OVERHEAD4 50u
#define CC_VXLAN_OVERHEAD6 70u
#define CC_DEFAULT_MTU	   1500u

/* Limits of what one node plan may hold (user-controlled through the
 * topology; each is reported at the construct that exceeds it). */
#define CC_MAX_FDB_PER_NODE 1000000u
/* Exact (per-MAC) FDB entries of one VXLAN device on one node. A device
 * with more remote members gets none: it floods to every remote node
 * (head-end replication) and learns (docs/language.md, "VXLAN"), so a
 * network of N members on M nodes costs M x min(N, cap) entries, not M x N. */
#define CC_MAX_FDB_EXACT       4096u
#define CC_MAX_PROBES_PER_NET  64u
#define CC_MAX_PROBES_PER_NODE 4096u

/* ptrmap.c: a map from pointers (model elements) to dense indices, sized up front
 * for n keys (it never grows: the model's element counts are known). */
struct cc_ptrmap {
	const void **keys;
	uint32_t *vals;
	size_t cap;
};
int cc_ptrmap_init(struct cc_ptrmap *m, size_t n);
void cc_ptrmap_put(struct cc_ptrmap *m, const void *key, uint32_t val);
uint32_t cc_ptrmap_get(const struct cc_ptrmap *m, const void *key); /* UINT32_MAX if absent */
void cc_ptrmap_free(struct cc_ptrmap *m);

/* How one network is plumbed on one node. */
enum cc_plumb {
	CC_PAIR,	 /* exactly two local members, one node: one veth pair */
	CC_LONE,	 /* one member, one node: veth with its peer alone in the switch ns */
	CC_BRIDGE,	 /* bridge in the switch ns (+ VXLAN when spanning) + veth per member */
	CC_VXLAN_DIRECT, /* spanning, one member here: the VXLAN device is the member */
};

/* One container interface. */
struct cc_iface {
	const struct ot_m_iface *mi;
	uint32_t container;	 /* index into cc.containers */
	uint32_t net;		 /* index into cc.nets (OT_M_IFACE_NET only) */
	char kname[OT_IFNAMSIZ]; /* kernel name in the container's namespace */
	bool renamed;		 /* kname differs from the written name */
	char port[OT_IFNAMSIZ];	 /* switch-side veth end (CC_LONE, CC_BRIDGE), else "" */
	struct ot_mac mac;	 /* user's or derived; zero = the kernel's random one */
	bool ipv6;		 /* the interface has IPv6 addresses, or its network is IPv6 */
};

struct cc_container {
	const struct ot_m_container *mc;
	uint32_t node;
	uint32_t first_iface; /* this container's ifaces are [first_iface, +mc->nifaces) */
	const char *nsname;   /* "<instance>.<node>.<container>" */
	int ns;		      /* namespace index in its node's plan (set while lowering) */
	bool has_ipv6;
};

/* A member of a network: a container interface or a host uplink. */
struct cc_member {
	uint32_t node;
	int32_t iface; /* index into cc.ifaces, or -1 for an uplink */
	const struct ot_m_uplink *up;
	/* uplinks only: */
	char kname[OT_IFNAMSIZ]; /* host-side name ("ot" + 8 hex), unique on the host */
	char port[OT_IFNAMSIZ];	 /* switch-side veth end (CC_BRIDGE) */
	struct ot_mac mac;
	const char *alias; /* "<instance>/<node>/uplink-<network>" */
};

/* A network's presence on one node. */
struct cc_netnode {
	uint32_t node;
	uint32_t first, n; /* members [first, first + n) of the network */
	enum cc_plumb plumb;
	char bridge[OT_IFNAMSIZ]; /* CC_BRIDGE */
	char vxlan[OT_IFNAMSIZ];  /* VXLAN device name (switch ns, or the member's name) */
};

struct cc_net {
	const struct ot_m_network *mn;
	struct cc_member *members; /* grouped by node (node order), source order inside */
	uint32_t nmembers;
	struct cc_netnode *nodes; /* in node order */
	uint32_t nnodes;
	uint32_t *src_members; /* container members' interfaces (cc.ifaces), source order */
	bool vxlan;	       /* spans more than one node */
	uint32_t vni;	       /* explicit or derived; 0 for a single-node network without one */
	bool vni_derived;
	uint32_t mtu; /* every member's MTU */
	bool ipv6;
	const char *alias;    /* the network's name, for bridges and VXLAN devices */
	const char *why_same; /* "same network 'NAME'" (or link), made by the first probe */
};

/* Per node: the networks present (indices into nets, network order) and
 * the containers placed there (model order). */
struct cc_node {
	const struct ot_m_node *mn;
	const struct ot_host *host; /* NULL when unbound */
	uint32_t underlay_mtu;
	uint32_t *nets;
	uint32_t nnets;
	uint32_t *netnode; /* for each entry of nets: index into that net's nodes[] */
	uint32_t *containers;
	uint32_t ncontainers;
	const char *prefix; /* "<instance>.<node>" */
	bool needs_switch;
};

/* A reachability expectation, decided before any plan is written. */
struct cc_probe {
	uint32_t src;	     /* container the echo leaves from */
	uint32_t target;     /* interface it is sent to */
	struct ot_addr addr; /* the target address */
	bool reach;
	const char *why; /* in cc's arena */
};

/* "file.otp:12" strings of the plan being written, by (file, line). */
#define CC_ORIGIN_CACHE 256
struct cc_origin_slot {
	const char *file;
	uint32_t line;
	const char *text;
};

struct cc {
	struct ot_arena arena;
	const struct ot_model *m;
	const struct ot_compile_opts *o;
	struct ot_diags *d;
	const char *instance;
	const char *state_root;
	const char *cgroup_root;
	uint32_t vni_base, vni_span;
	uint16_t vxlan_port;
	int underlay_family; /* AF_INET / AF_INET6 of the hosts file, 0 unbound */

	struct cc_node *nodes;
	uint32_t nnodes;
	struct cc_container *containers;
	uint32_t ncontainers;
	struct cc_iface *ifaces;
	uint32_t nifaces;
	struct cc_net *nets;
	uint32_t nnets;

	struct cc_ptrmap net_index;	  /* network -> index */
	struct cc_ptrmap container_index; /* container -> index */

	struct cc_probe *probes; /* malloc'ed, grouped by source node */
	size_t nprobes, cap_probes;
	uint32_t *node_probes; /* node i's probes: [node_probes[i], node_probes[i + 1]) */

	size_t ops_hint;	 /* ops of the largest plan so far: the next one's capacity */
	const char **node_names; /* every plan's node list: names, */
	const struct ot_addr **node_underlays; /* underlays (NULL when unbound) */

	const struct ot_plan *origin_plan; /* the plan origin_cache belongs to */
	struct cc_origin_slot origin_cache[CC_ORIGIN_CACHE];
};

/* ot_compiled's private part: the decisions, for graph.c. */
struct ot_compile_state {
	struct cc cc;
};

/* decide.c: everything decided before lowering. 0 or -EINVAL/-ENOMEM. */
int cc_index(struct cc *c);
int cc_bind_hosts(struct cc *c);
int cc_partition(struct cc *c);
int cc_decide_vnis(struct cc *c);
int cc_decide_mtus(struct cc *c);
int cc_decide_macs(struct cc *c);
int cc_decide_names(struct cc *c);

/* bounds.c: administrator bounds (c->o->bounds). */
int cc_check_bounds(struct cc *c);

/* compile.c: checks the lowering relies on, made before any plan is
 * written (so a streamed compile never hands out a plan and fails later):
 * every gateway is inside an interface's subnet; no node needs more FDB
 * entries than CC_MAX_FDB_PER_NODE. */
int cc_check_routes(struct cc *c);
int cc_check_fdb(struct cc *c);

/* True when the VXLAN device of network n on the node of nn learns remote
 * MACs instead of holding one exact FDB entry per remote member. */
static inline bool cc_fdb_learns(const struct cc_net *n, const struct cc_netnode *nn)
{
	return n->nmembers - nn->n > CC_MAX_FDB_EXACT;
}

/* dst = a b c (any may be ""), cut to size - 1 bytes; NUL-terminated. */
static inline void cc_cat(char *dst, size_t size, const char *a, const char *b, const char *c)
{
	ot_str_join(dst, size, (const char *const[]){a, b, c}, 3);
}

/* dst = the kernel name in src, both char[OT_IFNAMSIZ] fields, with dst
 * zero after the name (whatever src holds after its NUL). Every link, FDB
 * entry and address of a plan copies one or two: two 8-byte words, no
 * string calls. */
static inline void cc_name_copy(char dst[OT_IFNAMSIZ], const char src[OT_IFNAMSIZ])
{
	uint64_t a, b;

	(void)ot_ifname_words(src, &a, &b);
	memcpy(dst, &a, 8);
	memcpy(dst + 8, &b, 8);
}

/* The same into an arena; NULL on OOM. */
static inline char *cc_arena_cat(struct ot_arena *ar, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = ot_arena_alloc(ar, la + lb + lc + 1);

	if (!s)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

/* Index helpers. */
static inline uint32_t cc_container_of(const struct cc *c, const struct ot_m_container *mc)
{
	return cc_ptrmap_get(&c->container_index, mc);
}

static inline uint32_t cc_net_of(const struct cc *c, const struct ot_m_network *mn)
{
	return cc_ptrmap_get(&c->net_index, mn);
}

static inline uint32_t cc_iface_of(const struct cc *c, const struct ot_m_iface *mi)
{
	return c->containers[cc_container_of(c, mi->container)].first_iface +
	       (uint32_t)(mi - mi->container->ifaces);
}

/* origin.c: "file.otp:12" (basename of the file) in the plan's arena, or NULL. */
const char *cc_origin(struct cc *c, struct ot_plan *p, const struct ot_loc *loc);

/* firewall.c */
struct ot_plan;
/* Lower a container's rules and NAT into one nft op (none when it has
 * neither). 0 or -ENOMEM. */
int cc_lower_firewall(struct cc *c, struct ot_plan *p, uint32_t container);
/* The host NAT table of a node's masquerading uplinks (none without). */
int cc_lower_host_nat(struct cc *c, struct ot_plan *p, uint32_t node);

/* storage.c: the storage bounds (diagnostics in c->d; 0 or -EINVAL), and a
 * node's OT_OP_MOUNT operations (0 or -ENOMEM) */
int cc_check_storage_bounds(struct cc *c);
int cc_lower_mounts(struct cc *c, struct ot_plan *p, uint32_t node);

/* The static evaluation of one container's firewall for an ICMP echo
 * request. dir is OT_M_IN/OUT/FORWARD; iif/oif the interfaces it passes
 * (NULL when not applicable). Returns true when accepted; otherwise *why
 * (arena string) says which rule or policy dropped it. */
bool cc_fw_accepts(struct cc *c, uint32_t container, enum ot_m_dir dir, const struct ot_addr *src,
		   const struct ot_addr *dst, const struct ot_m_iface *iif,
		   const struct ot_m_iface *oif, const char **why);

/* probes.c: the expectations of every node (c->o->probes), into c->probes,
 * grouped by the source's node (c->node_probes). */
int cc_probes(struct cc *c);

#endif
