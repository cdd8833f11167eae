/*
 * model.h - the resolved topology: what the .otp source means, after
 * parameters are bound, loops expanded, templates evaluated and every name
 * resolved. It is the contract between the language front end (src/lang:
 * source -> AST -> model) and the compiler back end (src/compile: model +
 * hosts -> one plan per node).
 *
 * Everything here is concrete: no expressions, no templates, no unresolved
 * names. Every element keeps the source location it came from so the back
 * end can report semantic errors (address outside subnet, VNI collision,
 * MTU too small...) at file:line:col. The model owns all memory through its
 * arena; arrays are in source order (after expansion) unless stated.
 *
 * Point-to-point links ("link r1.eth1 -- r2.eth1") are networks with
 * is_link set and exactly two members: the back end treats every L2 segment
 * alike and picks the plumbing (veth pair, bridge, VXLAN) per node.
 */
#ifndef OT_MODEL_MODEL_H
#define OT_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/diag.h"
#include "lang/limits.h"
#include "util/addr.h"
#include "util/arena.h"
#include "vocab/vocab.h"

struct ot_m_node;
struct ot_m_network;
struct ot_m_container;

struct ot_m_node {
	const char *name;  /* "n1", "node0" */
	struct ot_loc loc; /* first declaration or use */
	uint32_t index;	   /* position in node order (natural sort of names) */
};

/* A host-side attachment of a network on one node ("uplink"): the node's
 * own namespace gets an interface on the segment with `address`, and,
 * optionally, masquerades the network's subnet out of `out` (or any
 * interface when out is ""). */
struct ot_m_uplink {
	struct ot_m_node *node;
	struct ot_prefix address; /* gateway address in the host namespace */
	bool masquerade;
	char out[OT_IFNAMSIZ]; /* host egress interface for masquerade, "" = any */
	struct ot_loc loc;
};

struct ot_m_network {
	const char *name; /* "lan"; for links: "r1.eth1--r2.eth1" */
	struct ot_loc loc;
	bool is_link; /* a point-to-point link: exactly two members, no subnet needed */
	bool has_subnet4, has_subnet6;
	struct ot_prefix subnet4, subnet6;
	uint32_t vni; /* 0 = derive deterministically */
	struct ot_loc vni_loc;
	uint32_t mtu; /* 0 = derive (1500, or underlay MTU - overhead when spanning nodes) */
	struct ot_loc mtu_loc;
	bool force_bridge; /* always a bridge, even for one or two members on a node */
	struct ot_m_uplink *uplinks;
	size_t nuplinks;
	struct ot_m_iface **members; /* filled by the front end, in source order */
	size_t nmembers;
};

enum ot_m_iface_kind {
	OT_M_IFACE_NET,	    /* on a network or link: the back end picks veth/VXLAN */
	OT_M_IFACE_MACVLAN, /* macvlan on a host interface (lower) */
};

struct ot_m_iface {
	const char *name; /* as written; may exceed 15 bytes (the back end shortens) */
	struct ot_loc loc;
	struct ot_m_container *container;
	enum ot_m_iface_kind kind;
	struct ot_m_network *network; /* OT_M_IFACE_NET */
	char lower[OT_IFNAMSIZ];      /* OT_M_IFACE_MACVLAN: host interface */
	enum ot_macvlan_mode macvlan_mode;
	struct ot_prefix *addrs; /* interface addresses with prefix length */
	struct ot_loc *addr_locs;
	size_t naddrs;
	bool has_mac;
	struct ot_mac mac;
	struct ot_loc mac_loc;
	bool addr_auto; /* `address auto`: addrs were chosen by the front end */
	bool mac_auto;	/* `mac auto`: mac was chosen by the front end */
	uint32_t mtu;	/* 0 = the network's */
	struct ot_loc mtu_loc;
};

struct ot_m_route {
	struct ot_loc loc;
	struct ot_prefix dst; /* len 0 = default (dst.addr.family says which) */
	bool has_via;
	struct ot_addr via;
	struct ot_m_iface *dev; /* NULL = derive from via */
	uint32_t metric;
};

enum ot_m_dir {
	OT_M_IN,      /* to this container (input) */
	OT_M_OUT,     /* from this container (output) */
	OT_M_FORWARD, /* through this container (a router) */
};

enum ot_m_action {
	OT_M_ALLOW,
	OT_M_DROP,
	OT_M_REJECT,
};

/* One firewall rule. Rules are evaluated in source order per direction;
 * the first match decides; without a match the packet is accepted unless
 * the container set a default ("policy in drop"). Firewalls are stateful:
 * replies to allowed traffic are always accepted (the back end adds the
 * conntrack rule). */
struct ot_m_rule {
	struct ot_loc loc;
	enum ot_m_dir dir;
	enum ot_m_action action;
	uint8_t family;	 /* 0 = both; AF_INET / AF_INET6 ("ip"/"ip6" or implied) */
	uint8_t l4proto; /* 0 = any; IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	bool has_src, has_dst;
	struct ot_prefix src, dst;
	struct ot_ports sport, dport; /* n == 0: any */
	struct ot_m_iface *iif, *oif; /* NULL = any */
};

enum ot_m_nat_kind {
	OT_M_MASQUERADE, /* source NAT to the egress address */
	OT_M_SNAT,	 /* source NAT to `to` */
	OT_M_DNAT,	 /* destination NAT to `to`[:to_port] */
};

struct ot_m_nat {
	struct ot_loc loc;
	enum ot_m_nat_kind kind;
	struct ot_m_iface *oif; /* masquerade/snat: egress interface (NULL = any) */
	struct ot_m_iface *iif; /* dnat: ingress interface (NULL = any) */
	uint8_t l4proto;
	bool has_src, has_dst;
	struct ot_prefix src, dst;
	struct ot_ports dport;
	struct ot_addr to;
	uint16_t to_port;
};

struct ot_m_sysctl {
	struct ot_loc loc;
	const char *key; /* "net/ipv4/tcp_congestion_control" (dots turned into '/') */
	const char *value;
};

/* Storage (model/storage.c): a mount in the container's mount namespace. */
enum ot_m_mount_kind { OT_M_MOUNT_BIND, OT_M_MOUNT_TMPFS };

struct ot_m_mount {
	struct ot_loc loc;     /* the statement */
	struct ot_loc src_loc; /* bind: the source (for the administrator's bound) */
	enum ot_m_mount_kind kind;
	const char *src; /* bind: host path */
	const char *dst; /* path in the container's view */
	uint64_t size;	 /* tmpfs: bytes, 0 = the kernel's default */
	bool ro;
};

struct ot_m_container {
	const char *name;
	struct ot_loc loc;
	struct ot_m_node *node;
	unsigned isolate; /* OT_ISO_* (vocab.h); always includes OT_ISO_NET */
	struct ot_loc isolate_loc;
	const char *hostname; /* NULL = the container name (only used with OT_ISO_UTS) */
	bool forward;	      /* router: ip_forward (and IPv6 forwarding) on, in its namespace */
	struct ot_loc forward_loc;
	bool policy_drop[3]; /* default action per OT_M_* direction when no rule matches */

	struct ot_m_iface *ifaces;
	size_t nifaces;
	struct ot_m_route *routes;
	size_t nroutes;
	struct ot_m_rule *rules;
	size_t nrules;
	struct ot_m_nat *nats;
	size_t nnats;
	struct ot_m_sysctl *sysctls;
	size_t nsysctls;

	uint32_t cpu_pct; /* 0 = no limit; 100 = one CPU */
	uint64_t memory;  /* bytes, 0 = no limit */
	uint32_t pids;	  /* 0 = no limit */
	struct ot_loc limit_loc;

	struct ot_rank_range *ranks; /* explicit Slurm rank mapping, may be empty */
	size_t nranks;
	struct ot_loc ranks_loc;

	/* what a process entering the container gives up (`capabilities`,
	 * `no_new_privs`; vocab/caps.h) */
	uint64_t caps;	   /* bit n: capability n */
	bool caps_keep;	   /* caps is what to keep (all others are dropped); else what to drop */
	bool caps_set;	   /* a `capabilities` statement was given */
	bool no_new_privs; /* PR_SET_NO_NEW_PRIVS */
	struct ot_loc caps_loc, nnp_loc;
	/* storage (model/storage.c); needs OT_ISO_MNT */
	const char *root; /* host directory to pivot_root into, NULL = none */
	bool root_ro;
	struct ot_loc root_loc;
	struct ot_m_mount *mounts; /* in source order */
	size_t nmounts;
};

struct ot_model {
	struct ot_arena arena;
	const char *name; /* topology name */
	struct ot_loc loc;
	const char *file;	   /* main source file as given */
	const char *source_digest; /* hex FNV-1a 64 of every source byte read (incl. includes) */
	uint16_t vxlan_port;	   /* UDP port for every VXLAN of the topology (default 4789) */

	struct ot_m_node **nodes; /* in node order */
	size_t nnodes;
	struct ot_m_network **networks;
	size_t nnetworks;
	struct ot_m_container **containers;
	size_t ncontainers;

	void *index; /* private to model.c: hashed name lookups; NULL = linear */
};

void ot_model_free(struct ot_model *m); /* accepts NULL */

/*
 * Build the hashed lookup index (the loader does; a hand-built model may).
 * Returns 0 or -ENOMEM (lookups then stay linear). Call again after adding
 * elements.
 */
int ot_model_index(struct ot_model *m);

/* Lookups (hashed after ot_model_index(), else linear; NULL when absent). */
struct ot_m_node *ot_model_node(const struct ot_model *m, const char *name);
struct ot_m_network *ot_model_network(const struct ot_model *m, const char *name);
struct ot_m_container *ot_model_container(const struct ot_model *m, const char *name);

/* ------------------------------------------------------------------ */
/* The hosts file: binds topology nodes to machines (otc, otdeploy).    */

struct ot_host {
	const char *name; /* topology node name ("n1"; "node[0]" is read as "node0") */
	struct ot_loc loc;
	const char *ssh_target;	 /* "host", "user@host"; "local" = run here, no SSH */
	struct ot_addr underlay; /* this host's underlay address */
	uint32_t mtu;		 /* underlay MTU, 0 = 1500 */
	uint16_t ssh_port;	 /* 0 = 22 */
	const char *user;	 /* NULL = from ssh_target or the local user */
	const char *identity;	 /* private key file, NULL = agent / defaults */
	const char *dir;	 /* remote directory for otnode, NULL = "/var/lib/opentop" */
	const char *dev;	 /* underlay interface, NULL = the one holding `underlay` */
	bool sudo;		 /* run the installed otnode through `sudo -n` */
	const char *otnode;	 /* that installed otnode, NULL = "/usr/bin/otnode" */
};

struct ot_hosts {
	struct ot_arena arena;
	const char *file;
	struct ot_host *hosts;
	size_t nhosts;
};

void ot_hosts_free(struct ot_hosts *h); /* accepts NULL */
const struct ot_host *ot_hosts_find(const struct ot_hosts *h, const char *name);

#endif
