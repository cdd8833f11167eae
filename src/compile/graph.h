/*
 * graph.h - the topology as deployed, as a Graphviz DOT graph (`otc
 * graph`): one cluster per node with its containers, each network's
 * plumbing on that node (veth pair, bridge, VXLAN device in a container),
 * networks that span nodes as overlay segments with their VNI and MTU,
 * host uplinks and macvlans.
 */
#ifndef OT_COMPILE_GRAPH_H
#define OT_COMPILE_GRAPH_H

#include "compile/compile.h"
#include "util/strbuf.h"

/*
 * Append the DOT text of a compiled topology (the model it was compiled
 * from must still be alive). Returns 0, or -EINVAL when c carries no
 * decisions. OOM is sticky in out.
 */
int ot_graph_dot(const struct ot_compiled *c, struct ot_strbuf *out);

/*
 * As ot_graph_dot(), streamed: whenever out holds more than 64 KiB (after a
 * node's cluster or a network's edges) it is handed to flush, which writes
 * and empties it, so a million-container graph never sits in memory whole.
 * A negative return from flush stops and is returned (also -ENOMEM when
 * out ran out of memory). What is left in out at the end is the caller's.
 */
int ot_graph_dot_each(const struct ot_compiled *c, struct ot_strbuf *out,
		      int (*flush)(struct ot_strbuf *out, void *arg), void *arg);

#endif
