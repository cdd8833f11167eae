/*
 * node.h - what the plugin asks of the executor on a node (src/exec):
 * build a node plan, put the calling task into one of its containers, and
 * tear an instance down from its journal. A thin adapter, so the plugin's
 * SPANK glue reads as a sequence of decisions and the executor's API can
 * evolve behind one file.
 */
#ifndef OT_SPANK_NODE_H
#define OT_SPANK_NODE_H

#include "plan/plan.h"
#include "util/error.h"

/* Build the plan on this node (rolls back on failure); a VNI still held
 * by an instance that just ended is waited for, up to 0.6 s (node.c).
 * 0 or -errno + err. */
int ot_spank_node_create(const struct ot_plan *p, struct ot_error *err);

/*
 * In a task child (root, before exec): join container namespace ns of p
 * with the isolation it asks for, and a private mount namespace with a
 * fresh /sys (so /sys/class/net shows the container's interfaces); last,
 * the container's capabilities and no_new_privs (ot_exec_caps_apply, its
 * effective and permitted sets left to slurmstepd's change to the user).
 * 0 or -errno + err.
 */
int ot_spank_node_enter(const struct ot_plan *p, int ns, struct ot_error *err);

/* Destroy the instance journalled in state_dir; its VXLAN devices, and
 * their VNIs, go with the kernel's asynchronous namespace teardown (the
 * executor's async_devices). 0 or -errno + err. */
int ot_spank_node_destroy(const char *state_dir, struct ot_error *err);

#endif
