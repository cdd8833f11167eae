/*
 * config.h - the administrator's side of the SPANK plugin: the arguments
 * after the plugin path in plugstack.conf, parsed strictly into the bounds
 * the compiler enforces (struct ot_bounds) plus the plugin's own settings.
 *
 *     required /usr/lib/opentop/opentop.so vni=1048576-2097151 \
 *         addrs=10.0.0.0/8,fd00::/8 max_containers=64 underlay_dev=eth0
 *
 * Every argument is key=value; an unknown key, a repeated key, a malformed
 * or out-of-range value is an error that names the argument (a typo in a
 * security bound must never be silently ignored). Nothing here talks to
 * Slurm: the glue in opentop.c prints the error and fails the command.
 */
#ifndef OT_SPANK_CONFIG_H
#define OT_SPANK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compile/bounds.h"
#include "compile/compile.h"
#include "plan/plan.h"
#include "util/addr.h"
#include "util/error.h"

#define OT_SPANK_MAX_ADDRS OT_BOUNDS_MAX_ADDRS /* prefixes in addrs= */
#define OT_SPANK_MAX_ARGS  64		       /* plugstack arguments */
#define OT_SPANK_PATH_MAX  4096		       /* topology path bytes */
#define OT_SPANK_STATE_MAX 256		       /* state_root bytes */

/*
 * The topology's bytes always travel with the job (never read from the
 * submit path on the nodes), so max_file is bounded by what the job's
 * environment can carry: in parts of at most OT_SPANK_CARRY_MAX encoded
 * bytes (one environment string must stay below the kernel's 128 KiB for
 * every exec), 3 encoded bytes per byte at worst, and a batch script's
 * whole environment well below the exec limit (a quarter of the default
 * 8 MiB stack).
 */
#define OT_SPANK_ENV_TEXT    "SLURM_OPENTOP_TEXT"
#define OT_SPANK_CARRY_MAX   (96u * 1024)
#define OT_SPANK_MAX_FILE    (256u * 1024)
#define OT_SPANK_CARRY_PARTS ((3 * OT_SPANK_MAX_FILE + OT_SPANK_CARRY_MAX - 1) / OT_SPANK_CARRY_MAX)

struct ot_spank_config {
	/* Bounds handed to ot_compile(); allowed_addrs points into addrs[]. */
	struct ot_bounds bounds;
	struct ot_prefix addrs[OT_SPANK_MAX_ADDRS];

	uint32_t vni_block;		/* VNIs reserved for one job step (derived VNIs) */
	bool explicit_vni;		/* may a topology name its own VNI (inside the range)? */
	bool sysctls;			/* may containers set (namespaced) net.* sysctls? */
	char underlay_dev[OT_IFNAMSIZ]; /* "" = the interface holding the node's address */
	uint32_t underlay_mtu;		/* assumed on every node, checked locally */
	int underlay_family;		/* AF_INET or AF_INET6: how node names are resolved */
	uint64_t max_file;		/* topology file bytes */
	uint32_t read_timeout_ms;	/* unused (nodes read no file); older files set it */
	bool pmix_relay;		/* relay PMIx's loopback TCP into containers */
	char state_root[OT_SPANK_STATE_MAX]; /* journals, owner records */
};

/* Fill cfg with the documented defaults (see docs/slurm.md). */
void ot_spank_config_defaults(struct ot_spank_config *cfg);

/*
 * Parse plugstack.conf arguments (av[0..ac-1], as SPANK passes them) over
 * the defaults. Returns 0, or -EINVAL with err naming the argument
 * ("plugstack.conf argument 3 'max_containers=0': must be 1..100000").
 * cfg is fully written on success only.
 */
int ot_spank_config_parse(int ac, char *const *av, struct ot_spank_config *cfg,
			  struct ot_error *err);

/*
 * The effective configuration as one line of key=value words (for logs and
 * `scontrol`-side auditing); canonical, so equal configurations give equal
 * text. Writes at most size bytes, always NUL-terminated.
 */
void ot_spank_config_format(const struct ot_spank_config *cfg, char *buf, size_t size);

#endif
