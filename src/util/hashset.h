/*
 * hashset.h - a set of small fixed-size keys: one to four 64-bit words, never
 * all zero (VNIs, MACs, probe pairs, kernel names as two words, a name and
 * its namespace). Open addressing, linear probing, load factor at most 1/2;
 * an all-zero slot is empty. The hash is deterministic (no seed), but a set
 * only answers membership: nothing depends on its order.
 *
 * The compiler and the plan validator look keys up millions of times, so
 * lookups are inline and the fixed-size entry points (..._1, _2, _3) let the
 * compiler unroll the word loops; ot_hset_add()/ot_hset_has() take the size
 * from the set.
 *
 * Maps with keys the caller owns (strings, model objects) are struct
 * ot_strmap (hash.h).
 */
#ifndef OT_UTIL_HASHSET_H
#define OT_UTIL_HASHSET_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define OT_HSET_MAX_WORDS 4

struct ot_hset {
	uint64_t *v; /* cap slots of nw words each */
	size_t cap;  /* power of two, or 0 */
	size_t n;    /* keys in the set */
	unsigned nw; /* words per key, 1..OT_HSET_MAX_WORDS (0 means 1) */
};

/* An empty set of keys of nw words (no allocation). A set zeroed in any
 * other way is an empty set of one-word keys. */
#define OT_HSET_INIT(nwords)                                                                       \
	{                                                                                          \
		NULL, 0, 0, (nwords)                                                               \
	}

/* A 64-bit finaliser (MurmurHash3's fmix64): deterministic, bijective. */
static inline uint64_t ot_mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/* Room for n keys in all without growing. 0 or -ENOMEM. */
int ot_hset_reserve(struct ot_hset *s, size_t n);

/* Free the table; the set is empty (and still usable) afterwards. */
void ot_hset_free(struct ot_hset *s);

/* ---- internals of the inline functions below ---- */

int ot_hset__grow(struct ot_hset *s); /* double the table: 0 or -ENOMEM */

static inline uint64_t *ot_hset__find(const struct ot_hset *s, const uint64_t *key, unsigned nw)
{
	uint64_t h = key[0];
	size_t i;
	unsigned w;

	for (w = 1; w < nw; w++)
		h = ot_mix64(h) ^ key[w];
	for (i = (size_t)ot_mix64(h) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		uint64_t *slot = s->v + i * nw, any = 0;
		bool same = true;

		for (w = 0; w < nw; w++) {
			any |= slot[w];
			same = same && slot[w] == key[w];
		}
		if (!any || same)
			return slot;
	}
}

static inline bool ot_hset__empty(const uint64_t *slot, unsigned nw)
{
	uint64_t any = 0;
	unsigned w;

	for (w = 0; w < nw; w++)
		any |= slot[w];
	return !any;
}

static inline int ot_hset__add(struct ot_hset *s, const uint64_t *key, unsigned nw)
{
	uint64_t *slot;

	if ((s->n + 1) * 2 > s->cap && ot_hset__grow(s) < 0)
		return -ENOMEM;
	slot = ot_hset__find(s, key, nw);
	if (!ot_hset__empty(slot, nw))
		return 0;
	memcpy(slot, key, nw * sizeof(*key));
	s->n++;
	return 1;
}

static inline bool ot_hset__has(const struct ot_hset *s, const uint64_t *key, unsigned nw)
{
	return s->cap && !ot_hset__empty(ot_hset__find(s, key, nw), nw);
}

/* ---- the interface ---- */

/* Add key (nw words, not all zero). 1 added, 0 already present, -ENOMEM. */
static inline int ot_hset_add(struct ot_hset *s, const uint64_t *key)
{
	return ot_hset__add(s, key, s->nw ? s->nw : 1);
}

/* Is key (nw words) in the set? */
static inline bool ot_hset_has(const struct ot_hset *s, const uint64_t *key)
{
	return ot_hset__has(s, key, s->nw ? s->nw : 1);
}

/* The same for a set whose keys are known to be 1, 2 or 3 words. */
static inline int ot_hset_add1(struct ot_hset *s, uint64_t k)
{
	return ot_hset__add(s, &k, 1);
}

static inline bool ot_hset_has1(const struct ot_hset *s, uint64_t k)
{
	return ot_hset__has(s, &k, 1);
}

static inline int ot_hset_add2(struct ot_hset *s, const uint64_t k[2])
{
	return ot_hset__add(s, k, 2);
}

static inline bool ot_hset_has2(const struct ot_hset *s, const uint64_t k[2])
{
	return ot_hset__has(s, k, 2);
}

static inline int ot_hset_add3(struct ot_hset *s, const uint64_t k[3])
{
	return ot_hset__add(s, k, 3);
}

static inline bool ot_hset_has3(const struct ot_hset *s, const uint64_t k[3])
{
	return ot_hset__has(s, k, 3);
}

#endif
