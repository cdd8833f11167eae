/*
 * nl.h - the executor's netlink layer (libmnl): sockets that talk to one
 * network namespace, request/acknowledge with the kernel's extended ack
 * message, dumps with sequence, port id and NLM_F_DUMP_INTR checks, and the
 * rtnetlink message builders and parsers the executor, `status` and the unit
 * tests share.
 *
 * One request, one acknowledgement: batching rtnetlink requests saves only
 * syscalls, which cost nothing next to the kernel's work per request
 * (measured: docs/performance.md, "nobatch").
 *
 * Builders write into a caller-owned buffer with bounds-checked appends and
 * return the message, or NULL when it does not fit (callers treat that as
 * -EMSGSIZE). They never talk to the kernel, so tests/unit/test_nl_msg.c runs
 * them without root and parses the result back with the parsers below.
 */
#ifndef OT_EXEC_NL_H
#define OT_EXEC_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "util/addr.h"
#include "util/error.h"

/* Room for one request (requests are < 1 KiB) and for dump replies. */
#define OT_NL_MSGSIZE 4096
#define OT_NL_RCVSIZE 32768
/* Message buffers hold struct nlmsghdr: declare them with this. */
#define OT_NL_ALIGNED __attribute__((aligned(8)))

struct ot_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	int bus;
	char *rbuf; /* OT_NL_RCVSIZE bytes */
};

/*
 * Open a netlink socket of bus (NETLINK_ROUTE, NETLINK_NETFILTER) in the
 * calling thread's current network namespace: the socket stays bound to that
 * namespace for its life. CLOEXEC, NETLINK_EXT_ACK and NETLINK_CAP_ACK on.
 * Returns 0 or -errno (err filled).
 */
int ot_nl_open(struct ot_nl *nl, int bus, struct ot_error *err);

/* Close; accepts a never-opened (zeroed) or already closed struct. */
void ot_nl_close(struct ot_nl *nl);

/*
 * Send one request (NLM_F_ACK is added, the sequence number assigned) and
 * wait for its acknowledgement. Data messages in the reply (NLM_F_ECHO, a
 * GET) go to cb when cb is non-NULL. On a kernel error returns its -errno and
 * sets err to "<strerror> (kernel: <extack message>)"; the caller prepends
 * what it was doing.
 */
int ot_nl_request(struct ot_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
		  struct ot_error *err);

/*
 * Run a dump request (NLM_F_DUMP is added) and pass every data message to cb.
 * A dump interrupted by a concurrent change (NLM_F_DUMP_INTR) is restarted
 * up to 3 times; cb must therefore tolerate a restart (reset flag: the
 * callback data's owner resets it through `restart`, called before each
 * attempt when non-NULL). Returns 0 or -errno.
 */
int ot_nl_dump(struct ot_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
	       void (*restart)(void *data), struct ot_error *err);

/*
 * Send an nfnetlink batch (BATCH_BEGIN ... BATCH_END, every message inside
 * with NLM_F_ACK) and collect the replies. The kernel processes a batch
 * inside sendmsg, so every reply is queued when it returns. Returns 0 or the
 * first error with the extack message; the batch is atomic either way.
 */
int ot_nl_send_nfbatch(struct ot_nl *nl, const void *buf, size_t len, struct ot_error *err);

/* ---- rtnetlink builders ---- */

/* A device as the link builder sees it (one side of a veth, or the device).
 * The kernel ignores IFLA_IFALIAS in a creating message: aliases are set
 * with ot_nlmsg_setlink() afterwards. */
struct ot_nl_dev {
	const char *name;
	uint32_t ifindex;	  /* ifi_index: this index or fail (EBUSY); 0 = kernel's choice */
	const struct ot_mac *mac; /* NULL or all zero = kernel's choice */
	uint32_t mtu;		  /* 0 = default */
	uint32_t master;	  /* ifindex of the bridge in the device's namespace, 0 = none */
	int ns_fd;		  /* IFLA_NET_NS_FD: create it there; -1 = the socket's namespace */
	bool up;		  /* IFF_UP at creation */
};

/* Kind-specific data. */
struct ot_nl_vxlan {
	uint32_t vni;
	uint16_t port; /* host order */
	struct ot_addr local;
	bool learning;
	uint8_t ttl; /* 0 = kernel default (1: why we set it) */
};

struct ot_nl_macvlan {
	uint32_t lower; /* IFLA_LINK: lower device ifindex in the socket's namespace */
	uint32_t mode;	/* MACVLAN_MODE_* */
};

/*
 * RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL. kind is "veth", "bridge",
 * "vxlan" or "macvlan"; peer (veth only) is created in the peer's ns_fd or,
 * with -1, in the socket's namespace. vx / mv only for their kinds.
 */
struct nlmsghdr *ot_nlmsg_newlink(void *buf, size_t size, const char *kind,
				  const struct ot_nl_dev *dev, const struct ot_nl_dev *peer,
				  const struct ot_nl_vxlan *vx, const struct ot_nl_macvlan *mv);

/* Changes to an existing device. */
struct ot_nl_set {
	const char *name;
	bool up;	   /* set IFF_UP */
	uint32_t master;   /* ifindex of a bridge, 0 = leave */
	int addr_gen_mode; /* IPv6: 0 eui64, 1 none, -1 = leave */
	const char *alias; /* IFLA_IFALIAS, NULL = leave */
};

/*
 * RTM_NEWLINK (no create) making the changes of s. The IPv6 mode goes in
 * IFLA_AF_SPEC / AF_INET6 / IFLA_INET6_ADDR_GEN_MODE: kernel 6.18 refuses
 * IFLA_AF_SPEC in a creating RTM_NEWLINK (EAFNOSUPPORT) and ignores
 * IFLA_IFALIAS there, hence this separate message, sent before the device
 * goes up.
 */
struct nlmsghdr *ot_nlmsg_setlink(void *buf, size_t size, const struct ot_nl_set *s);

/* RTM_GETLINK / RTM_DELLINK by name. */
struct nlmsghdr *ot_nlmsg_getlink(void *buf, size_t size, const char *name);
struct nlmsghdr *ot_nlmsg_dellink(void *buf, size_t size, const char *name);

/* RTM_NEWADDR (NLM_F_CREATE|NLM_F_EXCL); IPv6 with IFA_F_NODAD. IPv4 gets
 * IFA_LOCAL and IFA_BROADCAST like `ip addr add ... brd +` for len < 31. */
struct nlmsghdr *ot_nlmsg_newaddr(void *buf, size_t size, uint32_t ifindex,
				  const struct ot_prefix *p);

/* RTM_NEWROUTE in the main table, static, universe scope (link scope when
 * there is no gateway). oif 0 = no RTA_OIF. */
struct nlmsghdr *ot_nlmsg_newroute(void *buf, size_t size, const struct ot_prefix *dst,
				   const struct ot_addr *via, uint32_t oif, uint32_t metric);

/* RTM_NEWNEIGH AF_BRIDGE on a VXLAN device: NTF_SELF, NUD_PERMANENT,
 * NDA_LLADDR mac (all zero = BUM entry), NDA_DST dst. An all-zero MAC is
 * added with NLM_F_APPEND, so the entries of several remote nodes coexist
 * (head-end replication); a unicast MAC with NLM_F_EXCL, so a duplicate is
 * an error. */
struct nlmsghdr *ot_nlmsg_newfdb(void *buf, size_t size, uint32_t ifindex, const struct ot_mac *mac,
				 const struct ot_addr *dst);

/* Dump requests: links, addresses, routes (main table), bridge FDB of ifindex. */
struct nlmsghdr *ot_nlmsg_dump(void *buf, size_t size, uint16_t type, uint8_t family);
struct nlmsghdr *ot_nlmsg_dump_fdb(void *buf, size_t size, uint32_t ifindex);

/* ---- rtnetlink parsers (replies, dumps, and our own requests) ---- */

struct ot_nl_link {
	uint32_t ifindex;
	unsigned flags; /* IFF_* */
	char name[16];
	char kind[16]; /* IFLA_INFO_KIND, "" when absent */
	char alias[256];
	struct ot_mac mac;
	bool has_mac;
	uint32_t mtu;
	uint32_t master;
	uint32_t link;	      /* IFLA_LINK (veth peer / lower ifindex) */
	int ns_fd;	      /* IFLA_NET_NS_FD when present, else -1 */
	int addr_gen_mode;    /* -1 when absent */
	uint32_t vni;	      /* vxlan */
	uint16_t port;	      /* vxlan, host order */
	struct ot_addr local; /* vxlan */
	int learning;	      /* vxlan, -1 when absent */
	uint32_t macvlan_mode;
	bool has_peer;	    /* veth request: VETH_INFO_PEER present */
	char peer_name[16]; /* ... and its fields */
	int peer_ns_fd;
	uint32_t peer_master;
	int peer_addr_gen_mode;
	struct ot_mac peer_mac;
	uint32_t peer_mtu;
};

struct ot_nl_addr {
	uint8_t family, prefixlen;
	uint32_t ifindex;
	uint32_t flags;	     /* IFA_FLAGS or ifa_flags */
	struct ot_addr addr; /* IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6 */
	struct ot_addr brd;
};

struct ot_nl_route {
	uint8_t family, dst_len, table, scope, protocol, type;
	struct ot_addr dst, gateway;
	uint32_t oif, priority;
};

struct ot_nl_neigh {
	uint8_t family;
	uint32_t ifindex;
	uint16_t state;
	uint8_t flags;
	struct ot_mac mac;
	bool has_mac;
	struct ot_addr dst;
};

/* Fill the struct from an RTM_*LINK / *ADDR / *ROUTE / *NEIGH message.
 * Return 0, or -EBADMSG for a truncated or malformed message. */
int ot_nl_parse_link(const struct nlmsghdr *nlh, struct ot_nl_link *ret);
int ot_nl_parse_addr(const struct nlmsghdr *nlh, struct ot_nl_addr *ret);
int ot_nl_parse_route(const struct nlmsghdr *nlh, struct ot_nl_route *ret);
int ot_nl_parse_neigh(const struct nlmsghdr *nlh, struct ot_nl_neigh *ret);

#endif
