/*
 * ptrmap.c - a map from model pointers to dense indices, sized once: open
 * addressing, linear probing, load factor at most 1/2. Contract in cc.h.
 * (Sets of keys are struct ot_hset, util/hashset.h.)
 */
#include "compile/cc.h"

#include <errno.h>
#include <stdlib.h>

int cc_ptrmap_init(struct cc_ptrmap *m, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n + 2)
		cap *= 2;
	m->keys = calloc(cap, sizeof(*m->keys));
	m->vals = calloc(cap, sizeof(*m->vals));
	m->cap = cap;
	if (!m->keys || !m->vals) {
		cc_ptrmap_free(m);
		return -ENOMEM;
	}
	return 0;
}

void cc_ptrmap_put(struct cc_ptrmap *m, const void *key, uint32_t val)
{
	size_t j;

	for (j = ot_mix64((uintptr_t)key) & (m->cap - 1); m->keys[j] && m->keys[j] != key;
	     j = (j + 1) & (m->cap - 1))
		;
	m->keys[j] = key;
	m->vals[j] = val;
}

uint32_t cc_ptrmap_get(const struct cc_ptrmap *m, const void *key)
{
	size_t j;

	for (j = ot_mix64((uintptr_t)key) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1))
		if (m->keys[j] == key)
			return m->vals[j];
	return UINT32_MAX;
}

void cc_ptrmap_free(struct cc_ptrmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = 0;
}
