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

#endif
