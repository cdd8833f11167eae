/*
 * qdisc.h - traffic control messages (rtnetlink RTM_NEWQDISC) for the
 * shaping of one interface: a tbf token bucket and a netem emulator, each
 * built into a caller-owned buffer like the builders of nl.h, so the unit
 * tests parse them back without root.
 */
#ifndef OT_EXEC_QDISC_H
#define OT_EXEC_QDISC_H

#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>

#include "plan/plan.h"

/* Handles: netem (or tbf alone) is the root, 1:0; a tbf below netem is 10:0,
 * in netem's one class 1:1 (tc-netem(8)). */
#define OT_QDISC_ROOT_HANDLE  0x00010000u
#define OT_QDISC_CHILD_PARENT 0x00010001u
#define OT_QDISC_CHILD_HANDLE 0x00100000u
#define OT_QDISC_NETEM_LIMIT  1000u /* packets, netem's own default */

/*
 * RTM_NEWQDISC (create, exclusive) of a tbf with q's rate, burst and limit
 * on ifindex, with the given parent and handle. NULL when it does not fit
 * or q has no rate.
 */
struct nlmsghdr *ot_nlmsg_newqdisc_tbf(void *buf, size_t size, uint32_t ifindex, uint32_t parent,
				       uint32_t handle, const struct ot_op_qdisc *q);

/*
 * RTM_NEWQDISC of a netem with q's delay, jitter, loss and reordering as
 * the root of ifindex. NULL when it does not fit or q has none of them.
 */
struct nlmsghdr *ot_nlmsg_newqdisc_netem(void *buf, size_t size, uint32_t ifindex,
					 const struct ot_op_qdisc *q);

/* RTM_DELQDISC of the root qdisc of ifindex (its children go with it):
 * the device is back to its default qdisc. NULL when it does not fit. */
struct nlmsghdr *ot_nlmsg_delqdisc_root(void *buf, size_t size, uint32_t ifindex);

/* RTM_GETQDISC dump of every qdisc (of every device) in a namespace. */
struct nlmsghdr *ot_nlmsg_dump_qdisc(void *buf, size_t size);

/*
 * Of an RTM_NEWQDISC message (a dump reply): the device, parent, handle
 * and kind ("tbf"). 0, or -EINVAL when it is not a qdisc message.
 */
int ot_nlmsg_parse_qdisc(const struct nlmsghdr *nlh, uint32_t *ifindex, uint32_t *parent,
			 uint32_t *handle, char *kind, size_t kind_size);

#endif
