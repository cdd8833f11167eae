/*
 * fuzz_plan_json.c - libFuzzer target for the plan JSON reader, the input
 * that crosses from the compiler to every node (otnode's embedded payload,
 * otdeploy, the SPANK plugin). An input is tried as one node plan
 * (ot_plan_load: parse, build, validate) and, when it is a cluster document
 * ({"plans": [...]}, what `otc plan --json` prints), each of its plans
 * through ot_plan_from_json. Every plan accepted must survive a round trip:
 * written, read back and written again, the two texts are equal; else the
 * target aborts (the fuzzer reports it as a crash).
 *
 * Built like fuzz_parser.c (tests/mk/lang.mk): with libFuzzer for
 * `make fuzz`, and with replay.c for `make check`, seeded from the golden
 * plans and the executor's hand-written plans.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "plan/plan_json.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An accepted plan, written, read back and written again: same text. */
static void round_trip(const struct ot_plan *p)
{
	struct ot_error err = {0};
	struct ot_plan *q = NULL;
	char *a = ot_plan_dump(p, 0), *b = NULL;

	if (!a)
		return; /* out of memory: not a finding */
	if (ot_plan_load(a, strlen(a), &q, &err) < 0) {
		fprintf(stderr, "fuzz_plan_json: a written plan is refused: %s\n%s\n", err.msg, a);
		abort();
	}
	b = ot_plan_dump(q, 0);
	if (b && strcmp(a, b) != 0) {
		fprintf(stderr, "fuzz_plan_json: round trip changed the plan\n%s\n%s\n", a, b);
		abort();
	}
	free(b);
	free(a);
	ot_plan_free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ot_error err = {0};
	struct ot_plan *p = NULL;
	json_t *doc, *plans, *one;
	size_t i;

	if (ot_plan_load((const char *)data, size, &p, &err) == 0) {
		round_trip(p);
		ot_plan_free(p);
		return 0;
	}
	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	plans = json_is_object(doc) ? json_object_get(doc, "plans") : NULL;
	json_array_foreach(plans, i, one)
	{
		p = NULL;
		if (ot_plan_from_json(one, &p, &err) == 0) {
			round_trip(p);
			ot_plan_free(p);
		}
	}
	json_decref(doc);
	return 0;
}
