/*
 * plan_json.h - the plan's canonical JSON form (schema OT_PLAN_SCHEMA), with
 * jansson. Writing is canonical: sorted keys, fields at their zero value
 * omitted, arrays in plan order, so equal plans give equal bytes. Reading is
 * strict: unknown keys, wrong types, out-of-range numbers and unknown enum
 * names are errors naming the JSON path; the result is run through
 * ot_plan_validate(). A node plan's JSON is what otnode carries.
 */
#ifndef OT_PLAN_PLAN_JSON_H
#define OT_PLAN_PLAN_JSON_H

#include <stddef.h>

#include "plan/plan.h"
#include "util/strbuf.h"

struct json_t; /* jansson's json_t */

/*
 * The plan as text: indented (2 spaces, one key per line) when pretty,
 * compact otherwise; newline-terminated. malloc'ed, NULL on OOM (or a
 * string that is not valid UTF-8). Written by ot_plan_json_write(), the one
 * writer of plans (tests/unit/plan_json_oracle.c checks it against jansson).
 */
char *ot_plan_dump(const struct ot_plan *p, int pretty);

/*
 * Append the plan's canonical JSON to out, streamed (no json_t tree: fast and
 * small for large plans), byte for byte what ot_plan_dump() returns without
 * its final newline. depth is the nesting level the object starts at (0 at
 * top level; 2 for a plan inside a "plans" array of an enclosing object), for
 * pretty output embedded in a larger document. Returns 0, -EINVAL (a string
 * is not valid UTF-8) or -ENOMEM.
 */
int ot_plan_json_write(const struct ot_plan *p, int pretty, int depth, struct ot_strbuf *out);

/* Build a plan from a JSON object. 0 and *ret, or -EINVAL/-ENOMEM and err. */
int ot_plan_from_json(struct json_t *obj, struct ot_plan **ret, struct ot_error *err);

/* Parse text (len bytes, need not be NUL-terminated) into a plan. */
int ot_plan_load(const char *text, size_t len, struct ot_plan **ret, struct ot_error *err);

#endif
