/*
 * plan_json_oracle.h - the plan as a jansson tree, the reference the
 * streamed writer is tested against (tests only; see plan_json_oracle.c).
 */
#ifndef OT_TESTS_PLAN_JSON_ORACLE_H
#define OT_TESTS_PLAN_JSON_ORACLE_H

#include <jansson.h>

#include "plan/plan.h"

/* The plan as a JSON object (new reference), or NULL on OOM or a string
 * that is not valid UTF-8. */
json_t *ot_plan_to_json(const struct ot_plan *p);

#endif
