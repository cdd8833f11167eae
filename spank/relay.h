/*
 * relay.h - carry PMIx's loopback TCP into the containers, without a
 * process and without an interface.
 *
 * slurmstepd's PMIx server (Open MPI's launcher under srun --mpi=pmix)
 * listens on 127.0.0.1:<port> in the node's network namespace, and every
 * rank connects there. A rank inside its container has a loopback of its
 * own, so the connection would fail ("OPAL ERROR: Unreachable"). The
 * relay fixes that with the fact that a socket keeps the namespace it was
 * created in:
 *
 *   - slurmstepd starts one relay thread per step (ot_relay_start) before
 *     the tasks are forked, with a control socket pair;
 *   - each task, already inside its container and about to exec, creates a
 *     listening socket on the same 127.0.0.1:<port> - in the container's
 *     namespace - and hands it to the thread through the socket pair
 *     (ot_relay_offer, SCM_RIGHTS);
 *   - the thread, living in the node's namespace, accepts on those
 *     listeners and splices each connection to the real server.
 *
 * No process outlives the step (the thread ends in ot_relay_stop, called
 * from slurm_spank_exit), the containers get no extra interface, and a
 * rank reaches nothing it could not reach without containers: only ports
 * on which slurmstepd itself listens (the PMIx server's) - an offer naming
 * any other address is refused.
 */
#ifndef OT_SPANK_RELAY_H
#define OT_SPANK_RELAY_H

#include <stdint.h>

#include "util/addr.h"
#include "util/error.h"

#define OT_RELAY_MAX_CONNS 4096 /* relayed connections alive at once, per step */

struct ot_relay;

/*
 * Start the relay thread. Returns 0 with *ret and *task_fd (the socket-pair
 * end the tasks inherit and pass to ot_relay_offer; close-on-exec, owned by
 * the relay), or a negative errno with err.
 */
int ot_relay_start(struct ot_relay **ret, int *task_fd, struct ot_error *err);

/*
 * In a task, inside the container's network namespace: listen on
 * addr:port (the PMIx server's address, a loopback address) and hand the
 * socket to the relay. Returns 0 (also when another task of the same
 * container already did: EADDRINUSE), or a negative errno with err.
 */
int ot_relay_offer(int task_fd, const struct ot_addr *addr, uint16_t port, struct ot_error *err);

/* Stop the thread, close every socket it holds, free r. Accepts NULL. */
void ot_relay_stop(struct ot_relay *r);

/* Connections relayed so far (for logs and tests). */
unsigned long ot_relay_count(const struct ot_relay *r);

/* Offers refused: they named an address where this process (slurmstepd)
 * does not listen. The relay reaches nothing but slurmstepd's own
 * listening sockets, whatever the (user-controlled) task environment
 * says. */
unsigned long ot_relay_refused(const struct ot_relay *r);

#endif
