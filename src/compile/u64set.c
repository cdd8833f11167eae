/*
 * u64set.c - a set of non-zero 64-bit keys (VNIs, MACs, probe pairs) for
 * the back end's uniqueness decisions, and a map from model pointers to
 * dense indices: open addressing, linear probing, load factor at most 1/2.
 * Contract in cc.h.
 */
#include "compile/cc.h"

#include <errno.h>
#include <stdlib.h>

uint64_t cc_mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

static int grow(struct cc_u64set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64, i, j;
	uint64_t *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; i < s->cap; i++) {
		if (!s->v[i])
			continue;
		for (j = cc_mix(s->v[i]) & (cap - 1); v[j]; j = (j + 1) & (cap - 1))
			;
		v[j] = s->v[i];
	}
	free(s->v);
	s->v = v;
	s->cap = cap;
	return 0;
}

bool cc_u64set_has(const struct cc_u64set *s, uint64_t k)
{
	size_t j;

	if (!s->cap)
		return false;
	for (j = cc_mix(k) & (s->cap - 1); s->v[j]; j = (j + 1) & (s->cap - 1))
		if (s->v[j] == k)
			return true;
	return false;
}

int cc_u64set_add(struct cc_u64set *s, uint64_t k)
{
	size_t j;

	if ((s->n + 1) * 2 > s->cap && grow(s) < 0)
		return -ENOMEM;
	for (j = cc_mix(k) & (s->cap - 1); s->v[j]; j = (j + 1) & (s->cap - 1))
		if (s->v[j] == k)
			return 0;
	s->v[j] = k;
	s->n++;
	return 1;
}

void cc_u64set_free(struct cc_u64set *s)
{
	free(s->v);
	s->v = NULL;
	s->cap = s->n = 0;
}

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

	for (j = cc_mix((uintptr_t)key) & (m->cap - 1); m->keys[j] && m->keys[j] != key;
	     j = (j + 1) & (m->cap - 1))
		;
	m->keys[j] = key;
	m->vals[j] = val;
}

uint32_t cc_ptrmap_get(const struct cc_ptrmap *m, const void *key)
{
	size_t j;

	for (j = cc_mix((uintptr_t)key) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1))
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
