/*
 * reach.h - an independent reachability oracle over compiled plans.
 *
 * Given the plans of a topology (all nodes, or only some: a node's own plan),
 * this module rebuilds what the kernel will hold on every node - namespaces,
 * links joined into L2 segments (veth pairs, bridge ports, VXLAN devices
 * whose FDB names each other's node, macvlans on one lower device), addresses,
 * routes, forwarding sysctls and nftables tables - and walks a packet through
 * them hop by hop, as Linux would: local delivery, longest-prefix routing
 * with connected subnets, neighbour resolution on the segment (IPv4 answers
 * ARP for any address of the namespace, IPv6 only for the interface's own),
 * forwarding only where ip_forward is on, the nftables hooks in kernel order
 * (prerouting nat, input/forward/output filter, postrouting nat; first match
 * decides, then the chain policy) with connection tracking: NAT is decided on
 * a connection's first packet and undone on its replies, and a reply is
 * "established" only in the namespaces its request passed through (elsewhere
 * a TCP SYN-ACK or an ICMP echo reply is "invalid", a UDP reply "new").
 *
 * It reads the plan only (never the language, the model or the compiler's
 * probe generator): it is a second implementation of the semantics of
 * docs/language.md, checked against the first by live traffic
 * (tests/differential). Assumptions are listed in docs/reach.md.
 *
 * Layer: uses plan and util only. Nothing here prints.
 */
#ifndef OT_REACH_REACH_H
#define OT_REACH_REACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan/plan.h"
#include "util/error.h"

/* A traffic class: ICMP echo (proto 0), or TCP/UDP to one port. */
struct ot_reach_class {
	uint8_t proto; /* 0 = ICMP echo (ICMPv6 for IPv6), IPPROTO_TCP, IPPROTO_UDP */
	uint16_t port;
	bool named; /* a rule names this port (false: the one port no rule names) */
};

/* A place a packet can start from or be delivered to: a container, or the
 * host namespace of a node that the plans give an address (an uplink). */
struct ot_reach_endpoint {
	const char *name;  /* container name, or "@NODE" for a host */
	const char *node;  /* logical node */
	const char *netns; /* /run/netns name; "" for a host */
	bool host;
	struct ot_addr *addrs; /* every address of the namespace, in plan order */
	size_t naddrs;
};

enum ot_reach_verdict {
	OT_REACH_LOST,	   /* the request does not arrive anywhere */
	OT_REACH_ARRIVES,  /* it arrives, its answer does not come back */
	OT_REACH_ANSWERED, /* it arrives and the answer comes back */
	OT_REACH_UNKNOWN,  /* the path leaves what the plans describe */
};

struct ot_reach_result {
	enum ot_reach_verdict verdict;
	int delivered_to;	 /* endpoint that received the request, -1 none */
	uint16_t delivered_port; /* its destination port there (after DNAT) */
	char why[320];		 /* the rule, missing route or neighbour that decides */
	char path[320];		 /* the request's hops, "a > gw > b" */
};

struct ot_reach;

/*
 * Build the oracle from nplans plans (they must outlive it). Returns 0 and
 * *ret, or -ENOMEM / -EINVAL with err set.
 */
int ot_reach_new(const struct ot_plan *const *plans, size_t nplans, struct ot_reach **ret,
		 struct ot_error *err);
void ot_reach_free(struct ot_reach *r); /* accepts NULL */

size_t ot_reach_nendpoints(const struct ot_reach *r);
const struct ot_reach_endpoint *ot_reach_endpoint(const struct ot_reach *r, size_t i);
/* Endpoint index by name ("web", "@n1"), or -ENOENT. */
int ot_reach_endpoint_find(const struct ot_reach *r, const char *name);

/*
 * The traffic classes of the plans: ICMP echo, TCP and UDP to every port
 * (the low end of every range) that a firewall or NAT rule names (DNAT
 * targets included), and TCP and UDP to one port that no rule names.
 * Sorted; the array belongs to r.
 */
size_t ot_reach_classes(const struct ot_reach *r, const struct ot_reach_class **ret);
/* "icmp", "tcp/80", "udp/53" into buf; parse the same form (0 or -EINVAL). */
void ot_reach_class_format(const struct ot_reach_class *c, char *buf, size_t size);
int ot_reach_class_parse(const char *s, struct ot_reach_class *ret);

/*
 * A request of class c from endpoint `from` to address `to_addr` (normally
 * one of endpoint `to`'s), its answer from whoever it is delivered to.
 * Fills *res; returns 0 (the verdict is in res), -EINVAL for bad indices.
 */
int ot_reach_eval(const struct ot_reach *r, size_t from, const struct ot_addr *to_addr,
		  const struct ot_reach_class *c, struct ot_reach_result *res);

const char *ot_reach_verdict_name(enum ot_reach_verdict v);

#endif
