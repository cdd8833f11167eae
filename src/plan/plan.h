/*
 * plan.h - the node plan: the one contract between the compiler and the
 * executor (STYLE.md rule 1: the executor never sees the language).
 *
 * A plan is everything one node must do for one topology instance, with every
 * decision already made: namespace names, kernel interface names (at most 15
 * bytes), MTUs, VNIs, MAC addresses, VXLAN FDB entries, nftables rules,
 * cgroup limits. It is plain data: an ordered list of typed operations over a
 * table of namespaces, plus the containers' metadata (isolation, ranks) and
 * the reachability expectations `verify` checks.
 *
 * Creation runs the operations in order. Teardown is derived, not listed by
 * hand: ot_plan_teardown() says which operations need an explicit undo and in
 * which order (most objects vanish with the namespace that holds them).
 *
 * Serialised as JSON (schema OT_PLAN_SCHEMA; bump it on any incompatible
 * change): written by plan_jsonw.c, read by plan_json.c, both from the
 * names and key tables of plan_schema.h. A plan owns all its memory through its arena.
 */
#ifndef OT_PLAN_PLAN_H
#define OT_PLAN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"
#include "util/arena.h"
#include "util/error.h"
#include "vocab/vocab.h" /* OT_IFNAMSIZ, OT_ISO_*, OT_MACVLAN_*, ranks, paths */

#define OT_PLAN_SCHEMA "opentop-plan/1"

#define OT_NSNAME_MAX	200 /* a /run/netns file name, bytes */
#define OT_ALIAS_MAX	128 /* IFLA_IFALIAS we write (kernel limit is 255) */
#define OT_NFT_NAME_MAX 32

/* Namespace index 0 is always the host (the node's initial) namespace. */
#define OT_NS_HOST_INDEX 0

enum ot_ns_role {
	OT_NS_HOST,	 /* the node's own namespace: touched only when the topology asks */
	OT_NS_SWITCH,	 /* per instance and node: bridges and VXLAN devices live here */
	OT_NS_CONTAINER, /* one per container */
};

struct ot_plan_ns {
	enum ot_ns_role role;
	const char *name; /* /run/netns file name; "" for the host */
	/* containers only: */
	const char *container;	     /* logical name ("web", "rank17") */
	unsigned isolate;	     /* OT_ISO_* */
	const char *hostname;	     /* UTS hostname when OT_ISO_UTS, else NULL */
	const char *cgroup;	     /* cgroup path relative to each hierarchy root, or NULL */
	struct ot_rank_range *ranks; /* Slurm ranks mapped here (may be empty) */
	size_t nranks;
	/* what a process entering it gives up (exec/caps.c): */
	uint64_t caps;	   /* bit n: capability n (vocab/caps.h) */
	bool caps_keep;	   /* caps is the set kept (every other one is dropped) */
	bool caps_set;	   /* caps names capabilities to drop or keep */
	bool no_new_privs; /* PR_SET_NO_NEW_PRIVS */
};

enum ot_op_kind {
	OT_OP_NETNS,   /* create ns[ns] (named netns, lo up, extra namespaces, hostname) */
	OT_OP_LINK,    /* create one link (and, for veth, its peer) */
	OT_OP_LINK_UP, /* set IFF_UP */
	OT_OP_ADDR,    /* add an address */
	OT_OP_ROUTE,   /* add a route */
	OT_OP_FDB,     /* add a static VXLAN FDB entry (NUD_PERMANENT) */
	OT_OP_SYSCTL,  /* write a sysctl; the old value is journalled and restored */
	OT_OP_NFT,     /* load one nftables table, atomically (one batch) */
	OT_OP_CGROUP,  /* create a cgroup with limits */
	OT_OP_QDISC,   /* egress shaping of one interface (root qdisc) */
	OT_OP_MOUNT,   /* storage: one mount in a container's own mount namespace */
	OT_OP__COUNT
};

enum ot_link_kind { OT_LINK_VETH, OT_LINK_BRIDGE, OT_LINK_VXLAN, OT_LINK_MACVLAN, OT_LINK__COUNT };

/*
 * Field order and the 8-bit enums keep this, the largest member of struct
 * ot_op's union, at 152 bytes (ops are 168 bytes, not 192): a 1,000-node
 * cluster's plans hold 1.8 million ops. Add fields where they fill a hole.
 */
struct ot_op_link {
	enum ot_link_kind kind : 8;
	char name[OT_IFNAMSIZ];
	struct ot_mac mac;	  /* all zero = kernel's random MAC */
	bool ipv6;		  /* false: IPv6 addr_gen_mode none (no link-local, no DAD/MLD) */
	const char *alias;	  /* logical name, written as IFLA_IFALIAS; NULL = none */
	uint32_t mtu;		  /* 0 = kernel default */
	char master[OT_IFNAMSIZ]; /* bridge in the same namespace, "" = none */

	/* OT_LINK_VETH: the peer, created directly in peer_ns. */
	int peer_ns;
	const char *peer_alias;
	char peer_name[OT_IFNAMSIZ];
	char peer_master[OT_IFNAMSIZ];
	struct ot_mac peer_mac;
	bool peer_ipv6;

	/* OT_LINK_VXLAN. The device is requested from sock_ns (normally the
	 * host) with its IFLA_NET_NS_FD pointing at op->ns: the kernel keeps the
	 * UDP socket in the requesting namespace, where the underlay is. */
	bool learning; /* false: static FDB only */
	uint32_t vni;
	int sock_ns;
	uint16_t port;	      /* UDP destination (and source) port */
	struct ot_addr local; /* underlay source address (family 0 in an unbound plan) */

	/* OT_LINK_MACVLAN: lower device in the host namespace. */
	enum ot_macvlan_mode mode : 8;
	char lower[OT_IFNAMSIZ];
};

struct ot_op_addr {
	char dev[OT_IFNAMSIZ];
	struct ot_prefix addr; /* "10.0.0.5/24"; IPv6 is added with IFA_F_NODAD */
};

struct ot_op_route {
	struct ot_prefix dst;  /* len 0 = default route of dst.addr.family */
	struct ot_addr via;    /* family 0 = no gateway (on-link through dev) */
	char dev[OT_IFNAMSIZ]; /* "" = let the kernel pick from via */
	uint32_t metric;       /* 0 = kernel default */
};

struct ot_op_fdb {
	char dev[OT_IFNAMSIZ]; /* the VXLAN device */
	struct ot_mac mac;     /* all zero = head-end replication (BUM) entry */
	struct ot_addr dst;    /* remote VTEP underlay address (family 0 in an unbound plan) */
	const char *dst_node;  /* logical name of the remote node */
};

struct ot_op_sysctl {
	const char *key; /* relative to /proc/sys: "net/ipv4/ip_forward" */
	const char *value;
};

/* nftables, structured (never nft syntax: the executor builds netlink). */
enum ot_nft_hook {
	OT_NFT_PREROUTING,
	OT_NFT_INPUT,
	OT_NFT_FORWARD,
	OT_NFT_OUTPUT,
	OT_NFT_POSTROUTING,
};

enum ot_nft_chain_type {
	OT_NFT_FILTER,
	OT_NFT_NAT,
};

enum ot_nft_verdict {
	OT_NFT_ACCEPT,
	OT_NFT_DROP,
	OT_NFT_REJECT,
	OT_NFT_MASQUERADE, /* nat chains only */
	OT_NFT_SNAT,	   /* to nat_addr */
	OT_NFT_DNAT,	   /* to nat_addr[:nat_port] */
};

/* Connection-tracking states, for ct_state matches. */
#define OT_CT_NEW	  (1u << 0)
#define OT_CT_ESTABLISHED (1u << 1)
#define OT_CT_RELATED	  (1u << 2)
#define OT_CT_INVALID	  (1u << 3)

struct ot_nft_chain {
	char name[OT_NFT_NAME_MAX];
	enum ot_nft_chain_type type;
	enum ot_nft_hook hook;
	int32_t priority;
	bool policy_drop; /* base chain policy: drop (true) or accept */
};

/* One rule: every set field must match (AND); unset fields match anything. */
struct ot_nft_rule {
	uint32_t chain;	 /* index into the op's chains */
	uint8_t family;	 /* 0 = both; AF_INET / AF_INET6 restrict (implied by addresses) */
	uint8_t l4proto; /* 0 = any; IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	bool has_saddr, has_daddr;
	struct ot_prefix saddr, daddr;
	/* n == 0: any. JSON: one range stays [first, last] as before lists
	 * existed; a list is [[first, last], ...] (a compatible extension: old
	 * plans read the same, an old reader refuses a list loudly). n > 1 is
	 * one nft anonymous set in the executor. */
	struct ot_ports sport, dport;
	char iif[OT_IFNAMSIZ]; /* "" = any */
	char oif[OT_IFNAMSIZ];
	unsigned ct_state; /* OT_CT_* bits, 0 = no ct match */
	/* ICMP (l4proto IPPROTO_ICMP) or ICMPv6 (IPPROTO_ICMPV6) type in
	 * icmp_type_first..icmp_type_last; JSON "icmp_type": [first, last].
	 * The compiler's one use: ICMPv6 neighbour discovery (135..136). */
	bool has_icmp_type;
	uint8_t icmp_type_first, icmp_type_last;
	enum ot_nft_verdict verdict;
	struct ot_addr nat_addr; /* SNAT/DNAT target */
	uint16_t nat_port;	 /* DNAT port, 0 = keep */
	bool counter;		 /* add a counter expression */
	const char *comment;	 /* where it came from: "topo.otp:14"; NULL = none */
};

struct ot_op_nft {
	char table[OT_NFT_NAME_MAX]; /* table name; family is always inet */
	struct ot_nft_chain *chains;
	size_t nchains;
	struct ot_nft_rule *rules;
	size_t nrules;
};

/* Block I/O limits on one device (cgroup v2 io.max, v1 blkio.throttle.*). */
struct ot_cg_io {
	const char *dev;       /* "/dev/vda" (stat()ed on the node) or "254:0" */
	uint64_t rbps, wbps;   /* bytes per second, 0 = no limit */
	uint64_t riops, wiops; /* operations per second, 0 = no limit */
};

struct ot_op_cgroup {
	const char *path;    /* relative to each controller root: "opentop/demo.n1/web" */
	uint32_t cpu_pct;    /* 0 = no limit; 100 = one CPU (quota/period) */
	uint64_t memory;     /* bytes, 0 = no limit */
	uint32_t pids;	     /* 0 = no limit */
	struct ot_cg_io *io; /* per device, may be empty */
	size_t nio;
};

/*
 * Egress shaping of one interface, as its root qdisc: tbf when only rate
 * is set, netem when only delay/loss is, and netem (handle 1:) with a tbf
 * child (parent 1:1) when both are, as tc-netem(8) shows. Only in a
 * namespace the plan creates (the validator refuses the host): the qdiscs
 * go with their interface, so no undo and no journal record.
 */
struct ot_op_qdisc {
	char dev[OT_IFNAMSIZ];
	uint64_t rate;	      /* tbf: bytes per second, 0 = no tbf */
	uint32_t burst;	      /* tbf: bucket size, bytes */
	uint32_t limit;	      /* tbf: queue, bytes */
	uint32_t delay_us;    /* netem: 0 = none */
	uint32_t jitter_us;   /* netem */
	uint32_t loss_ppm;    /* netem: parts per million */
	uint32_t reorder_ppm; /* netem: parts per million */
};

/* ---- storage (docs/language.md: root, mount, tmp) ----
 *
 * Each is made inside the container's mount namespace (OT_ISO_MNT, made by
 * its NETNS op), which alone holds it: no mount of a container is in the
 * node's mount table, and it goes when that namespace is released, so a
 * mount op needs no undo of its own. A container's ROOT op comes before its
 * other mount ops; their dst is then a path in the new root. */
enum ot_mount_kind {
	OT_MOUNT_ROOT,	/* pivot_root into src (with /proc, /sys, /dev where it has them) */
	OT_MOUNT_BIND,	/* bind the host path src onto dst */
	OT_MOUNT_TMPFS, /* a tmpfs of size bytes (0 = the kernel's default) on dst */
	OT_MOUNT__COUNT
};

struct ot_op_mount {
	enum ot_mount_kind kind : 8;
	bool ro;	 /* read-only (ROOT, BIND) */
	bool nofollow;	 /* BIND: refuse a symbolic link on src's path (bounded binds) */
	uint32_t mode;	 /* TMPFS: permissions of its root (01777 for /tmp) */
	const char *src; /* ROOT, BIND: absolute host path; TMPFS: NULL */
	const char *dst; /* BIND, TMPFS: absolute path in the container's view */
	uint64_t size;	 /* TMPFS: bytes, 0 = kernel default (half of RAM) */
};

struct ot_op {
	enum ot_op_kind kind;
	int ns;		    /* namespace the operation acts in (index into plan->ns) */
	const char *origin; /* "topo.otp:12" for messages, or NULL */
	union {
		struct ot_op_link link;
		struct ot_op_addr addr;
		struct ot_op_route route;
		struct ot_op_fdb fdb;
		struct ot_op_sysctl sysctl;
		struct ot_op_nft nft;
		struct ot_op_cgroup cgroup;
		struct ot_op_qdisc qdisc;
		struct ot_op_mount mount;
		char dev[OT_IFNAMSIZ]; /* OT_OP_LINK_UP */
	};
};

/* A reachability expectation, checked by `verify`. */
enum ot_expect {
	OT_EXPECT_REACH,
	OT_EXPECT_BLOCKED,
};

struct ot_probe {
	int from_ns;	     /* a container namespace of this node */
	const char *to_node; /* logical node of the target */
	const char *to_container;
	struct ot_addr to_addr; /* address probed (ICMP echo) */
	enum ot_expect expect;
	const char *why; /* "same network 'lan'", "dropped by web's firewall (topo.otp:14)" */
};

/* A node of the topology as this plan sees it (for FDB peers, graphs, status). */
struct ot_plan_node {
	const char *name;
	struct ot_addr underlay; /* family 0 when not bound (plan for display only) */
};

struct ot_plan {
	struct ot_arena arena; /* owns every pointer below */

	const char *topology;  /* topology name */
	const char *instance;  /* names objects: the topology name, or "<topo>.j<job>.<step>" */
	const char *node;      /* this node's logical name */
	uint32_t node_index;   /* position in the topology's node order */
	const char *prefix;    /* "<instance>.<node>": switch netns, state dir, host object names */
	const char *state_dir; /* "/run/opentop/<prefix>": the journal lives here */
	const char *source_digest; /* hex digest of the topology source, for drift reports */

	struct ot_addr underlay; /* this node's underlay address (family 0 = none needed) */
	uint32_t underlay_mtu;

	struct ot_plan_node *nodes; /* every node of the topology, in node order */
	size_t nnodes;

	struct ot_plan_ns *ns; /* ns[0] is the host */
	size_t nns;

	struct ot_op *ops; /* in creation order */
	size_t nops;

	struct ot_probe *probes;
	size_t nprobes;

	/* private: capacities of the arrays above (malloc'ed, not in the arena) */
	size_t cap_nodes, cap_ns, cap_ops, cap_probes;
};

/* ---- construction (used by the compiler and the JSON reader) ---- */

/* A new, empty plan with ns[0] = host. NULL on OOM. Free with ot_plan_free(). */
struct ot_plan *ot_plan_new(void);
void ot_plan_free(struct ot_plan *p); /* accepts NULL */

/* Append a namespace / op / probe / node; returns its index, or -ENOMEM. The
 * returned element is zeroed except for what the arguments set. */
int ot_plan_add_ns(struct ot_plan *p, enum ot_ns_role role, const char *name);
int ot_plan_add_op(struct ot_plan *p, enum ot_op_kind kind, int ns);
int ot_plan_add_probe(struct ot_plan *p);
int ot_plan_add_node(struct ot_plan *p, const char *name, const struct ot_addr *underlay);
/* Append n nodes as n calls of ot_plan_add_node() would (names[i] copied,
 * underlays[i] NULL = none; underlays may be NULL), with one allocation for
 * the names: every plan lists every node. 0 or -ENOMEM (nothing added). */
int ot_plan_add_nodes(struct ot_plan *p, size_t n, const char *const *names,
		      const struct ot_addr *const *underlays);

/* Room for at least this many more nodes, namespaces, ops and probes, so
 * that appending them does not reallocate: a capacity hint for builders
 * that know (or can guess) a plan's size. 0 or -ENOMEM. */
int ot_plan_reserve(struct ot_plan *p, size_t nodes, size_t ns, size_t ops, size_t probes);

/* Copy s into the plan's arena (NULL in, NULL out). */
const char *ot_plan_strdup(struct ot_plan *p, const char *s);

/* ---- queries ---- */

/* Namespace index by /run/netns name ("" or "host" = 0), or -ENOENT. */
int ot_plan_ns_find(const struct ot_plan *p, const char *name);
/* Container namespace index by logical container name, or -ENOENT. */
int ot_plan_container_find(const struct ot_plan *p, const char *container);
/* Container namespace index for a Slurm global rank, or -ENOENT. */
int ot_plan_rank_find(const struct ot_plan *p, uint32_t rank);

/* Printable names of enum values ("link", "veth", "postrouting", ...), from
 * the one name table of each enum (plan_schema.h); "?" for an unknown value. */
const char *ot_op_kind_name(enum ot_op_kind k);
const char *ot_link_kind_name(enum ot_link_kind k);
const char *ot_ns_role_name(enum ot_ns_role r);
const char *ot_nft_hook_name(enum ot_nft_hook h);
const char *ot_nft_verdict_name(enum ot_nft_verdict v);
const char *ot_macvlan_mode_name(enum ot_macvlan_mode m);
const char *ot_mount_kind_name(enum ot_mount_kind k);

/*
 * Does op need an explicit undo at teardown? Objects inside a namespace the
 * plan creates vanish with it; what lives in the host namespace (links,
 * nft tables, sysctls) and the namespaces and cgroups themselves do not.
 */
bool ot_op_needs_undo(const struct ot_plan *p, const struct ot_op *op);

/*
 * Teardown order: indices of the ops to undo, latest first, written to a
 * newly malloc'ed array (*ret, free() it) of *ret_n entries. Returns 0 or
 * -ENOMEM. Container namespaces come before the switch namespace, host
 * links before host sysctls are restored.
 */
int ot_plan_teardown(const struct ot_plan *p, size_t **ret, size_t *ret_n);

/*
 * Check a plan's internal consistency: names fit IFNAMSIZ and contain no '/'
 * or whitespace, namespace names are safe file names, ns indices are in
 * range, sysctl keys and cgroup paths stay inside their trees, veth peers,
 * masters and devices named by later ops exist, VXLAN VNIs are 1..2^24-1.
 * The executor runs this on every plan it loads. Returns 0 or -EINVAL with
 * err naming the first bad operation.
 */
int ot_plan_validate(const struct ot_plan *p, struct ot_error *err);

/*
 * A plan compiled without a hosts file is "unbound": its VXLAN devices and
 * FDB entries have no underlay addresses yet. Such a plan can be shown,
 * serialised and validated, but not executed. True when every underlay
 * address the plan needs is present.
 */
bool ot_plan_bound(const struct ot_plan *p);

/* Name checks shared by the compiler and the validator. */
bool ot_ifname_valid(const char *s); /* 1..15 bytes, no '/', ':', whitespace, not "." ".." */
bool ot_nsname_valid(const char *s); /* 1..OT_NSNAME_MAX bytes of [A-Za-z0-9._-], not "." ".." */
bool ot_relpath_valid(
    const char *s); /* "a/b/c" of [A-Za-z0-9._-] components, no "." "..", no "//" */

#endif
