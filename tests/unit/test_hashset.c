/*
 * test_hashset.c - struct ot_hset (util/hashset.c): membership through
 * growth, keys of one to four words, reserve, and a cross-check against a
 * sorted list of 100,000 random keys; and the keyed map struct ot_kmap
 * (util/hash.c) with colliding hashes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "util/hash.h"
#include "util/hashset.h"

Test(hashset, one_word_keys)
{
	struct ot_hset s = OT_HSET_INIT(1);
	uint64_t k;

	cr_assert_not(ot_hset_has1(&s, 42));
	for (k = 1; k <= 1000; k++)
		cr_assert_eq(ot_hset_add1(&s, k * 7919), 1);
	for (k = 1; k <= 1000; k++) {
		cr_assert_eq(ot_hset_add1(&s, k * 7919), 0, "added twice");
		cr_assert(ot_hset_has1(&s, k * 7919));
		cr_assert_not(ot_hset_has1(&s, k * 7919 + 1));
	}
	cr_assert_eq(s.n, 1000);
	cr_assert_leq(2 * s.n, s.cap);
	ot_hset_free(&s);
	cr_assert_eq(s.n, 0);
	cr_assert_not(ot_hset_has1(&s, 7919));
	cr_assert_eq(ot_hset_add1(&s, 7919), 1, "usable after free");
	ot_hset_free(&s);
}

/* Keys that differ in one word only are different keys. */
Test(hashset, multi_word_keys)
{
	unsigned nw;

	for (nw = 2; nw <= OT_HSET_MAX_WORDS; nw++) {
		struct ot_hset s = OT_HSET_INIT(nw);
		uint64_t k[OT_HSET_MAX_WORDS] = {0};
		unsigned w, i;

		for (w = 0; w < nw; w++)
			for (i = 1; i <= 50; i++) {
				k[w] = i;
				cr_assert_eq(ot_hset_add(&s, k), 1, "nw %u word %u value %u", nw, w,
					     i);
				k[w] = 0;
			}
		cr_assert_eq(s.n, nw * 50);
		k[nw - 1] = 3;
		cr_assert(ot_hset_has(&s, k));
		k[0] = 3;
		cr_assert_not(ot_hset_has(&s, k));
		ot_hset_free(&s);
	}
}

Test(hashset, reserve_means_no_growth)
{
	struct ot_hset s = OT_HSET_INIT(2);
	uint64_t k[2];
	size_t cap, i;

	cr_assert_eq(ot_hset_reserve(&s, 5000), 0);
	cap = s.cap;
	cr_assert_geq(cap, 10000);
	for (i = 0; i < 5000; i++) {
		k[0] = i + 1;
		k[1] = ~i;
		cr_assert_eq(ot_hset_add(&s, k), 1);
	}
	cr_assert_eq(s.cap, cap);
	cr_assert_eq(ot_hset_reserve(&s, 10), 0, "never shrinks");
	cr_assert_eq(s.cap, cap);
	ot_hset_free(&s);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

Test(hashset, agrees_with_a_sorted_list)
{
	enum { N = 100000 };
	uint64_t *keys = malloc(N * sizeof(*keys)), x = 88172645463325252ull;
	struct ot_hset s = OT_HSET_INIT(1);
	size_t i, distinct = 0;

	cr_assert_not_null(keys);
	for (i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		keys[i] = (x % 50000) + 1;		 /* repeats on purpose */
		cr_assert_geq(ot_hset_add1(&s, keys[i]), 0);
	}
	qsort(keys, N, sizeof(*keys), cmp_u64);
	for (i = 0; i < N; i++)
		distinct += i == 0 || keys[i] != keys[i - 1];
	cr_assert_eq(s.n, distinct);
	for (i = 0; i < N; i++)
		cr_assert(ot_hset_has1(&s, keys[i]));
	for (i = 1; i < N; i++)
		if (keys[i] > keys[i - 1] + 1)
			cr_assert_not(ot_hset_has1(&s, keys[i - 1] + 1));
	free(keys);
	ot_hset_free(&s);
}

/* struct ot_kmap (util/hash.c): keys the caller owns, compared with eq on
 * a hash match; colliding hashes still tell keys apart. */
static bool int_eq(const void *a, const void *b)
{
	return *(const int *)a == *(const int *)b;
}

Test(kmap, put_has_and_old_entries)
{
	static int keys[3000];
	struct ot_kmap m = OT_KMAP_INIT(int_eq);
	const void *old_key;
	void *old;
	int i, probe;

	for (i = 0; i < 3000; i++) {
		keys[i] = i;
		/* hash collisions on purpose: 100 buckets for 3000 keys */
		cr_assert_eq(ot_kmap_put(&m, (uint64_t)(i % 100), &keys[i], &keys[i], NULL, NULL),
			     0);
	}
	cr_assert_eq(m.count, 3000);
	for (i = 0; i < 3000; i++) {
		probe = i;
		cr_assert(ot_kmap_has(&m, (uint64_t)(i % 100), &probe));
		cr_assert_not(ot_kmap_has(&m, (uint64_t)((i + 1) % 100), &probe));
		cr_assert_eq(ot_kmap_put(&m, (uint64_t)(i % 100), &probe, NULL, &old, &old_key),
			     -EEXIST);
		cr_assert_eq(old, &keys[i]);
		cr_assert_eq(old_key, &keys[i]);
	}
	probe = 3000;
	cr_assert_not(ot_kmap_has(&m, 0, &probe));
	ot_kmap_free(&m);
	cr_assert_not(ot_kmap_has(&m, 0, &probe));
}
