/*
 * names.h - name rules and name helpers shared by the front end: identifier
 * and kernel-name validation and the natural order of node names
 * (node2 < node10). The "did you mean" suggestions the front end gives are
 * util/suggest.h, which this header includes for its users.
 */
#ifndef OT_LANG_NAMES_H
#define OT_LANG_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/suggest.h"

/*
 * Check a name of the language ([A-Za-z_][A-Za-z0-9_-]*, 1..max bytes).
 * Returns NULL when valid, else a static phrase saying what is wrong
 * ("is empty", "is longer than 63 bytes", "contains '.'", ...).
 */
const char *ot_name_problem(const char *s, size_t len, size_t max);

/* A variable name (param, loop variable): [A-Za-z_][A-Za-z0-9_]*. */
bool ot_name_is_var(const char *s, size_t len);

/*
 * Check a kernel interface name (host interfaces: macvlan lower, uplink
 * egress): 1..15 bytes, no '/', ':', whitespace or control bytes, not "."
 * or "..". Returns NULL when valid, else a static phrase.
 */
const char *ot_ifname_problem(const char *s);

/*
 * Natural order: digit runs compare as numbers ("node2" < "node10"), the
 * rest bytewise; names equal under that order ("n01", "n1") are ordered
 * bytewise, so the order is total and deterministic.
 */
int ot_natural_cmp(const char *a, const char *b);

#endif
