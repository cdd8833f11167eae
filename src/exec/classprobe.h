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
 * OT_CPROBE_SPORT_LO + index (so a source-port rule sees a known port),
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

#endif
