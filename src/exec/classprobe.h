/*
 * classprobe.h - live probes by traffic class: an ICMP echo, a TCP connect or
 * a UDP datagram from one network namespace to an address, with listeners
 * held (as sockets of this process, nothing else runs) in the namespaces
 * that may receive it, for the duration of the run only.
 *
 * What a probe observes:
 *   - arrived: a listener namespace saw the request after its input hook (a
 *     raw TCP / ICMP socket there sees the SYN / echo request; a UDP
 *     listener reads the datagram), and on which port (DNAT may move it);
 *   - answered: the answer came back to the source from the address and
 *     port asked (TCP: the connection completes; UDP: the listener's echo of
 *     the datagram, sent from the address it arrived at; ICMP: echo reply).
 * Requests carry their probe's identity: TCP and UDP source ports
 * base + index, the base in OT_CPROBE_SPORT_LO..HI moved by each run's
 * nonce (a source-port rule sees a port of that range; a later run never
 * meets the conntrack entries of an earlier one),
 * the UDP payload, the ICMP echo id.
 *
 * The caller must be single-threaded (it switches network namespaces with
 * setns) and root. Uses exec's layer only for errors; knows no plan.
 */
#ifndef OT_EXEC_CLASSPROBE_H
#define OT_EXEC_CLASSPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"
#include "util/error.h"

#define OT_CPROBE_SPORT_LO 20000
#define OT_CPROBE_SPORT_HI 59999

struct ot_cprobe {
	/* in */
	int src_fd; /* network namespace fd of the source */
	struct ot_addr to;
	uint8_t proto; /* 0 = ICMP echo, IPPROTO_TCP, IPPROTO_UDP */
	uint16_t port;
	/* out */
	bool arrived;
	int arrived_at; /* index into the listener namespaces, -1 */
	uint16_t arrived_port;
	bool answered;
	char detail[64]; /* "connection refused", "no route", ... */
};

/*
 * Run n probes, at most OT_CPROBE_BATCH at once, each batch for timeout_ms
 * (or until every probe of it is answered). Listeners: in each of the
 * nlisten namespaces (fds), TCP and UDP on every port of ports[] (IPv4 and,
 * when the namespace has IPv6, IPv6), plus raw TCP and ICMP sockets that
 * see what arrives. A port that cannot be bound in a namespace (taken) is
 * left out; its arrivals there are still seen by the raw sockets (TCP,
 * ICMP) but not answered. Returns 0 (results in probes) or -errno with err.
 */
#define OT_CPROBE_BATCH 4000
int ot_cprobe_run(const int *listen_fds, size_t nlisten, const uint16_t *ports, size_t nports,
		  struct ot_cprobe *probes, size_t n, unsigned timeout_ms, struct ot_error *err);

/*
 * A round that spans nodes: every node runs the same list of n probes
 * (same order, same nonce and ICMP id base, chosen by the coordinator,
 * otdeploy), each as one or both of:
 *   - ot_cprobe_listen: listeners (as for ot_cprobe_run) in this node's
 *     namespaces; ready(arg) is called once they are bound; then it notes
 *     which probes arrive (arrived, arrived_at, arrived_port), answers UDP,
 *     and returns when stop_fd becomes readable (the coordinator's "stop",
 *     sent after every sender finished). src_fd is ignored;
 *   - ot_cprobe_send: the probes with src_fd >= 0 (this node's sources) are
 *     sent and watched for timeout_ms; answered and detail are filled, the
 *     others are left alone.
 * Both return 0 or -errno with err; n is at most OT_CPROBE_BATCH (-E2BIG).
 */
struct ot_cprobe_round {
	uint32_t nonce;
	uint16_t idbase;
};
int ot_cprobe_listen(const int *listen_fds, size_t nlisten, const uint16_t *ports, size_t nports,
		     struct ot_cprobe *probes, size_t n, const struct ot_cprobe_round *rd,
		     int stop_fd, void (*ready)(void *), void *arg, struct ot_error *err);
int ot_cprobe_send(struct ot_cprobe *probes, size_t n, const struct ot_cprobe_round *rd,
		   unsigned timeout_ms, struct ot_error *err);

/*
 * Does the live probe p agree with the oracle's word: arrives (want_arrive),
 * answered (want_answer), delivered to listener want_at on want_port?
 */
bool ot_cprobe_agrees(const struct ot_cprobe *p, bool want_arrive, bool want_answer, int want_at,
		      uint16_t want_port);

/*
 * `verify` by traffic class on one node (verify_classes.c): the reach
 * analysis of this node's plan alone (src/reach) for every ordered pair of
 * its containers (and from its uplinked host), every target address and
 * every class, then the same requests live; a pair whose path leaves the
 * node is "unknown" to one plan and is not probed, nor is a request to the
 * host namespace (its ports belong to the machine's own services).
 */
struct ot_plan;
struct ot_exec_opts;
struct ot_reach;
struct ot_class_check {
	const char *from, *to; /* endpoint names */
	const char *from_node; /* the source's node */
	size_t from_ep;	       /* the source's endpoint index in the oracle */
	struct ot_addr addr;
	char cls[16];	     /* "tcp/80" */
	const char *want;    /* the oracle's verdict: "answered", "arrives", "lost" */
	const char *want_at; /* where it says the request is delivered, or NULL */
	uint16_t want_port;
	const char *why; /* the oracle's reason */
	struct ot_cprobe live;
	const char *live_at; /* where it arrived, or NULL */
	bool pass;
};
struct ot_class_verify {
	struct ot_class_check *v;
	size_t n, nfail;
	char *strings;		/* owns the why texts */
	struct ot_reach *reach; /* owns the endpoint names */
};
int ot_exec_verify_classes(const struct ot_plan *p, const struct ot_exec_opts *o,
			   unsigned timeout_ms, struct ot_class_verify **ret, struct ot_error *err);
void ot_class_verify_free(struct ot_class_verify *v); /* accepts NULL */

/*
 * Across nodes (otdeploy --verify): the oracle on every node's plan, and
 * the requests between endpoints of different nodes only (the others are
 * each node's own `verify`), as for ot_exec_verify_classes but nothing is
 * probed: live, live_at and pass are the caller's to fill (otdeploy runs a
 * round of ot_exec_xprobe on every node). Returns 0 and *ret (free with
 * ot_class_verify_free), or -errno.
 */
int ot_exec_cross_classes(const struct ot_plan *const *plans, size_t nplans,
			  struct ot_class_verify **ret, struct ot_error *err);

/* A check's live outcome as one phrase: "answered at b:80", "lost (no
 * answer in 1000 ms)". Never fails (truncates to size). */
void ot_class_check_live_text(const struct ot_class_check *k, char *buf, size_t size);

/* The endpoint called name in v (a pointer that lives as long as v), or
 * NULL. */
const char *ot_class_verify_endpoint(const struct ot_class_verify *v, const char *name);

/*
 * One node's side of a round across nodes (otnode xprobe-listen and
 * xprobe-send): probe i goes from srcs[i] (a container of this node, "@..."
 * for its host namespace, or NULL: sent from elsewhere) to pr[i].to with
 * pr[i].proto / port. listen: listeners in every container of the plan
 * until stop_fd is readable (ready(arg) once bound), at[i] = the container
 * probe i arrived in (or NULL); send: this node's probes, answered / detail
 * filled. Returns 0 or -errno with err.
 */
struct ot_xprobe_args {
	bool listen;
	const char *const *srcs;
	size_t n;
	const uint16_t *ports;
	size_t nports;
	struct ot_cprobe_round round;
	unsigned timeout_ms; /* send */
	int stop_fd;	     /* listen */
	void (*ready)(void *);
	void *arg;
};
int ot_exec_xprobe(const struct ot_plan *p, const struct ot_exec_opts *o,
		   const struct ot_xprobe_args *a, struct ot_cprobe *pr, const char **at,
		   struct ot_error *err);

#endif
