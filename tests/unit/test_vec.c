/*
 * test_vec.c - ot_vec_reserve (util/vec.c): growth by doubling, jumps to
 * what is asked, contents kept, overflow refused without touching the array.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/vec.h"

Test(vec, appends_keep_contents_and_double)
{
	int *v = NULL;
	size_t n = 0, cap = 0, reallocs = 0, last = 0, i;

	for (i = 0; i < 100000; i++) {
		cr_assert_eq(OT_VEC_RESERVE(v, cap, n + 1), 0);
		cr_assert_geq(cap, n + 1);
		if (cap != last) {
			reallocs++;
			cr_assert(last == 0 ? cap == 8 : cap == 2 * last, "cap %zu after %zu", cap,
				  last);
			last = cap;
		}
		v[n++] = (int)i;
	}
	cr_assert_leq(reallocs, 15);
	for (i = 0; i < n; i++)
		cr_assert_eq(v[i], (int)i);
	free(v);
}

Test(vec, large_request_and_no_op)
{
	char *v = NULL;
	size_t cap = 0;

	cr_assert_eq(OT_VEC_RESERVE(v, cap, 1000), 0);
	cr_assert_eq(cap, 1000);
	v[999] = 'x';
	cr_assert_eq(OT_VEC_RESERVE(v, cap, 10), 0);
	cr_assert_eq(cap, 1000, "never shrinks");
	cr_assert_eq(OT_VEC_RESERVE(v, cap, 1001), 0);
	cr_assert_eq(cap, 2000);
	cr_assert_eq(v[999], 'x');
	free(v);
}

Test(vec, overflow_is_enomem)
{
	uint64_t *v = NULL;
	size_t cap = 0;

	cr_assert_eq(OT_VEC_RESERVE(v, cap, 4), 0);
	v[0] = 7;
	cr_assert_eq(OT_VEC_RESERVE(v, cap, SIZE_MAX / 4), -ENOMEM);
	cr_assert_eq(cap, 8);
	cr_assert_eq(v[0], 7);
	free(v);
}
