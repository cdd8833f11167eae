/*
 * runtime.c - access to the runtime carried by runtime.S (contract in
 * embed.h), and building images from it. A separate object from embed.c,
 * so that the static otnode itself, which links embed.c, does not carry a
 * copy of itself.
 */
#include "embed/embed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan_json.h"

extern const char ot_embed_runtime_start[];
extern const char ot_embed_runtime_end[];

const void *ot_embed_runtime(size_t *len)
{
	*len = (size_t)(ot_embed_runtime_end - ot_embed_runtime_start);
	return ot_embed_runtime_start;
}

int ot_embed_image(const struct ot_plan *p, void **ret, size_t *ret_len, struct ot_error *err)
{
	size_t rlen = 0;
	const void *rt = ot_embed_runtime(&rlen);
	char *json;
	int r;

	if (!rt || !rlen)
		return ot_error_set(err, -ENOENT, "this program carries no otnode runtime");
	json = ot_plan_dump(p, 0);
	if (!json)
		return ot_error_set(err, -ENOMEM, "out of memory");
	r = ot_embed_build(rt, rlen, json, strlen(json), ret, ret_len, err);
	free(json);
	return r;
}
