/*
 * hash.c - FNV-1a 64 and the string map (contract in hash.h).
 */
#include "util/hash.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

uint64_t ot_hash64_more(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t ot_hash64(const void *data, size_t len)
{
	return ot_hash64_more(FNV_OFFSET, data, len);
}

uint64_t ot_hash64_str(const char *s)
{
	return ot_hash64(s, strlen(s));
}

void ot_strmap_free(struct ot_strmap *m)
{
	if (!m)
		return;
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}

/* The first slot for a hash: FNV-1a's low bits vary little between keys
 * that differ in their last byte ("c1x7", "c1x8"), so the index comes from
 * the high bits of a multiplicative mix. */
static size_t slot_start(uint64_t h, size_t cap)
{
	return (size_t)((h * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static size_t slot_of(const struct ot_strmap *m, const char *key, uint64_t h)
{
	size_t i = slot_start(h, m->cap);

	while (m->slots[i].key && (m->slots[i].hash != h || strcmp(m->slots[i].key, key) != 0))
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *ot_strmap_get(const struct ot_strmap *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = slot_of(m, key, ot_hash64_str(key));
	return m->slots[i].key ? m->slots[i].value : NULL;
}

/* Move to a table of cap slots (a power of two above count * 4/3). */
static int strmap_resize(struct ot_strmap *m, size_t cap)
{
	struct ot_strmap old = *m;
	size_t i, j;

	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return -ENOMEM;
	}
	m->cap = cap;
	m->count = old.count;
	for (i = 0; i < old.cap; i++) {
		if (!old.slots[i].key)
			continue;
		for (j = slot_start(old.slots[i].hash, cap); m->slots[j].key;
		     j = (j + 1) & (cap - 1))
			;
		m->slots[j] = old.slots[i];
	}
	free(old.slots);
	return 0;
}

static int strmap_grow(struct ot_strmap *m)
{
	return strmap_resize(m, m->cap ? m->cap * 2 : 16);
}

int ot_strmap_reserve(struct ot_strmap *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 16;

	if (n > SIZE_MAX / 8)
		return -ENOMEM;
	while ((m->count + n) * 4 > cap * 3)
		cap *= 2;
	return cap == m->cap ? 0 : strmap_resize(m, cap);
}

int ot_strmap_put(struct ot_strmap *m, const char *key, void *value, void **old)
{
	uint64_t h;
	size_t i;
	int r;

	if ((m->count + 1) * 4 > m->cap * 3) {
		r = strmap_grow(m);
		if (r < 0)
			return r;
	}
	h = ot_hash64_str(key);
	i = slot_of(m, key, h);
	if (m->slots[i].key) {
		if (old)
			*old = m->slots[i].value;
		return -EEXIST;
	}
	m->slots[i].key = key;
	m->slots[i].value = value;
	m->slots[i].hash = h;
	m->count++;
	return 0;
}

/* ---- struct ot_kmap ---- */

static size_t kmap_find(const struct ot_kmap *m, uint64_t h, const void *key)
{
	size_t i = slot_start(h, m->cap);

	while (m->slots[i].key && (m->slots[i].hash != h || !m->eq(m->slots[i].key, key)))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int kmap_grow(struct ot_kmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64, i, j;
	struct ot_kmap_slot *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++) {
		if (!m->slots[i].key)
			continue;
		for (j = slot_start(m->slots[i].hash, cap); v[j].key; j = (j + 1) & (cap - 1))
			;
		v[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = v;
	m->cap = cap;
	return 0;
}

int ot_kmap_put(struct ot_kmap *m, uint64_t h, const void *key, void *value, void **old,
		const void **old_key)
{
	size_t i;

	if ((m->count + 1) * 2 > m->cap && kmap_grow(m) < 0)
		return -ENOMEM;
	i = kmap_find(m, h, key);
	if (m->slots[i].key) {
		if (old)
			*old = m->slots[i].value;
		if (old_key)
			*old_key = m->slots[i].key;
		return -EEXIST;
	}
	m->slots[i] = (struct ot_kmap_slot){key, value, h};
	m->count++;
	return 0;
}

bool ot_kmap_has(const struct ot_kmap *m, uint64_t h, const void *key)
{
	return m->cap && m->slots[kmap_find(m, h, key)].key;
}

void ot_kmap_free(struct ot_kmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}
