/*
 * preflight.h - checks a node runs before anything is created (otnode
 * preflight, otdeploy's stage 2): does this kernel have what the plan
 * needs, is the underlay address the hosts file gave on this host with a
 * large enough MTU, and does UDP to the VXLAN port get through between
 * this node and a sample of the nodes it shares a VXLAN network with: all
 * of them in a network of up to 16 nodes, beyond that the members at ring
 * distance 1, 4, 16, ... in underlay address order (2 log4 M of M - 1:
 * 10 of 999 at 1,000 nodes; why and what it misses in preflight.c).
 *
 * Kernel features are tried for real, in a throwaway network namespace
 * owned by a short-lived thread (unshare(CLONE_NEWNET) affects only that
 * thread; the namespace dies with its last socket): a veth pair, a bridge,
 * a VXLAN device, a macvlan, an nftables table with the chain types the
 * plan uses. Nothing is made in the node's own namespaces.
 *
 * The UDP check needs every node at once and leaves no process behind:
 *   1. ot_preflight_prepare() runs the local checks and opens a UDP socket
 *      on <underlay>:<ephemeral port> to send from and a raw UDP socket on
 *      <underlay> that sees every datagram the host accepts for the VXLAN
 *      port. The port itself is never bound: a VXLAN device of another
 *      topology may hold it, or be created while we wait, and both
 *      deployments must succeed;
 *   2. the caller tells its coordinator it is ready (otnode prints
 *      "ready <port>") and waits until every node is (otdeploy sends
 *      "go <nonce> <ms>");
 *   3. ot_preflight_exchange() sends each sampled peer a probe carrying
 *      the nonce to <peer>:<port> (again after 50 ms, the gap doubling up
 *      to 400 ms), answers every valid probe with an ack to <peer>:<port>,
 *      and stops once every peer has acked us, has been heard from, and
 *      has said it holds our ack (a flag in its packets) - so nobody
 *      leaves while a peer still waits for its answer - or after ms. The
 *      sockets are closed in ot_preflight_free().
 * A peer whose probes never arrive or whose acks never come back is a
 * failed check naming both nodes and the port; datagrams the kernel
 * dropped on their way out (UdpSndbufErrors: a full neighbour table) are a
 * warning saying so.
 */
#ifndef OT_EXEC_PREFLIGHT_H
#define OT_EXEC_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan/plan.h"
#include "util/error.h"
#include "util/strbuf.h"

struct json_t;
struct ot_preflight;

/* Nonce text: up to 64 bytes of [0-9a-f]. */
#define OT_PREFLIGHT_NONCE_MAX 64

/*
 * Run the local checks and, when the plan has VXLAN peers, bind the UDP
 * socket. Check failures are recorded in the result (see ot_preflight_ok),
 * not returned: the return is 0, or -errno when the checks could not run at
 * all (err filled). Free *ret with ot_preflight_free().
 */
int ot_preflight_prepare(const struct ot_plan *p, struct ot_preflight **ret, struct ot_error *err);

/* The UDP port that will be exchanged on, or 0 when there are no peers. */
uint16_t ot_preflight_port(const struct ot_preflight *pf);

/* Our UDP port was in use already (say "ready busy": peers skip us).
 * Always false since the exchange binds no port; kept for the "ready" /
 * "go" protocol between otdeploy and otnode. */
bool ot_preflight_busy(const struct ot_preflight *pf);

/* A peer said its port is busy: pairs with it are not checked. Call
 * before the exchange. */
void ot_preflight_skip_peer(struct ot_preflight *pf, const char *node);

/*
 * The UDP exchange (step 3 above), at most ms milliseconds (0 = 5000).
 * Results are recorded per peer. 0, or -EINVAL for a bad nonce.
 */
int ot_preflight_exchange(struct ot_preflight *pf, const char *nonce, unsigned ms,
			  struct ot_error *err);

/* Every check passed (warnings allowed). */
bool ot_preflight_ok(const struct ot_preflight *pf);

/* One line per failed check and warning: "<node>: preflight: ...\n". */
void ot_preflight_report(const struct ot_preflight *pf, struct ot_strbuf *out);

/*
 * {"node":..., "ok":bool, "checks":[{"check":..., "ok":bool, "warning":bool,
 *  "detail":...}], "udp":{"port":N, "vxlan_peers":N, "peers":[{"node":...,
 *  "addr":..., "reached":bool, "heard":bool, "checked":bool
 *  [, "send_error":...]}]}}: peers lists the sampled peers only
 * (new reference, NULL on OOM).
 */
struct json_t *ot_preflight_to_json(const struct ot_preflight *pf);

void ot_preflight_free(struct ot_preflight *pf); /* accepts NULL */

#endif
