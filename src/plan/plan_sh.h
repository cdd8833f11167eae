/*
 * plan_sh.h - a node plan as a POSIX shell script of iproute2 (`ip`,
 * `bridge`) and `nft -f -` commands, one command per step (`otc emit-sh`):
 * for auditing, for machines without otnode, and as the executor
 * benchmark's baseline. The create script stops at the first failure
 * (set -e); the destroy script undoes the plan's teardown order and keeps
 * going past objects that are already gone, exiting 1 if anything failed.
 */
#ifndef OT_PLAN_PLAN_SH_H
#define OT_PLAN_PLAN_SH_H

#include "plan/plan.h"
#include "util/error.h"
#include "util/strbuf.h"

enum ot_sh_mode {
	OT_SH_CREATE,
	OT_SH_DESTROY,
};

/*
 * Append the script to out. Returns 0, or -EINVAL (err says why) for a plan
 * that cannot run: an unbound plan with VXLAN devices (no underlay
 * addresses: compile with a hosts file). OOM is sticky in out.
 */
int ot_plan_sh(const struct ot_plan *p, enum ot_sh_mode mode, struct ot_strbuf *out,
	       struct ot_error *err);

#endif
