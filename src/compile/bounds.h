/*
 * bounds.h - administrator bounds as text: the one parser and formatter of
 * the bound keys, shared by the SPANK plugin's plugstack.conf arguments
 * (spank/config.c) and `otc --bounds KEY=VALUE` (src/cli/otc.c), so a
 * value means the same in both (docs/slurm.md, "Bounds"):
 *
 *   vni=MIN-MAX             1 <= MIN <= MAX <= 16777215
 *   addrs=CIDR[,CIDR...]    at most OT_BOUNDS_MAX_ADDRS prefixes (host bits
 *                           cleared); addrs=any: no address bound; an
 *                           empty value is refused (a typo must not lift a
 *                           security bound)
 *   max_containers=N        1..100000 per node
 *   max_ifaces=N            1..1000000 per node
 *   host_objects=yes|no
 *   isolate=KIND[,KIND...]  from net, uts, ipc, mount (net is always
 *                           allowed); pid and cgroup cannot be allowed
 *   limits=yes|no
 *   binds=PATH[,PATH...]    bind sources allowed: these paths and below
 *                           (at most 16 absolute, normal paths); none: no
 *                           bind mounts; any: no bound
 *   root=yes|no             whether a container may have a root directory
 *
 * Checking a topology against the bounds is bounds.c's cc_check_bounds.
 */
#ifndef OT_COMPILE_BOUNDS_H
#define OT_COMPILE_BOUNDS_H

#include "compile/compile.h"
#include "util/addr.h"
#include "util/error.h"
#include "util/strbuf.h"

#define OT_BOUNDS_MAX_ADDRS 32

/*
 * Set the bound KEY from the text VALUE in *b; addrs= keeps its prefixes
 * in addrs[] (OT_BOUNDS_MAX_ADDRS of them, the caller's, and b's
 * allowed_addrs points there). Returns 0; -ENOENT when KEY is not a bound
 * (err names the known keys); -EINVAL for a bad value (err says what was
 * expected, without the key). On failure *b is unchanged.
 */
int ot_bounds_set(struct ot_bounds *b, struct ot_prefix *addrs, const char *key, const char *value,
		  struct ot_error *err);

/* Append KEY's value in *b in the form ot_bounds_set reads ("any" for no
 * address bound). Returns 0, or -ENOENT when KEY is not a bound. */
int ot_bounds_format(const struct ot_bounds *b, const char *key, struct ot_strbuf *sb);

/* The value syntax of the bound keys, for the plugin's other keys too: a
 * decimal number in lo..hi ("expected a number", "must be a number in
 * LO..HI"), and yes|no ("expected 'yes' or 'no'"). 0 or -EINVAL. */
int ot_bounds_parse_u64(const char *v, uint64_t lo, uint64_t hi, uint64_t *ret,
			struct ot_error *err);
int ot_bounds_parse_u32(const char *v, uint32_t lo, uint32_t hi, uint32_t *ret,
			struct ot_error *err);
int ot_bounds_parse_yesno(const char *v, bool *ret, struct ot_error *err);

/* True when KEY is one of the bound keys above. */
bool ot_bounds_key(const char *key);

#endif
