/*
 * hashset.c - a set of small fixed-size keys (contract in hashset.h; the
 * lookups are inline there): growing the table.
 */
#include "util/hashset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int resize(struct ot_hset *s, size_t cap)
{
	unsigned nw = s->nw ? s->nw : 1;
	struct ot_hset t = {NULL, cap, 0, nw};
	size_t i;

	t.v = calloc(cap, nw * sizeof(*t.v));
	if (!t.v)
		return -ENOMEM;
	for (i = 0; i < s->cap; i++) {
		const uint64_t *slot = s->v + i * nw;

		if (!ot_hset__empty(slot, nw))
			memcpy(ot_hset__find(&t, slot, nw), slot, nw * sizeof(*slot));
	}
	free(s->v);
	s->v = t.v;
	s->cap = cap;
	return 0;
}

int ot_hset__grow(struct ot_hset *s)
{
	return resize(s, s->cap ? s->cap * 2 : 64);
}

int ot_hset_reserve(struct ot_hset *s, size_t n)
{
	size_t cap = s->cap ? s->cap : 16;

	if (n > SIZE_MAX / 4)
		return -ENOMEM;
	while (cap < 2 * n + 2)
		cap *= 2;
	return cap == s->cap ? 0 : resize(s, cap);
}

void ot_hset_free(struct ot_hset *s)
{
	free(s->v);
	s->v = NULL;
	s->cap = s->n = 0;
}
