/*
 * vec.h - growing a malloc'ed array: the one doubling loop.
 *
 *	struct ot_op *ops = NULL;
 *	size_t n = 0, cap = 0;
 *
 *	if (OT_VEC_RESERVE(ops, cap, n + 1) < 0)
 *		return -ENOMEM;
 *	ops[n++] = op;
 *
 * The capacity doubles (from 8), or jumps to what is asked when that is
 * more, so n appends cost O(n) copies in all.
 */
#ifndef OT_UTIL_VEC_H
#define OT_UTIL_VEC_H

#include <stddef.h>

/*
 * Make room for at least n elements of size sz in *pv (a pointer to the
 * array pointer, which may be NULL when *cap is 0). Grows *pv with realloc
 * and updates *cap; the new elements are not initialised. Returns 0, or
 * -ENOMEM (the array and *cap unchanged, also when n * sz would overflow).
 */
int ot_vec_reserve(void *pv, size_t *cap, size_t n, size_t sz);

/* The same, typed: OT_VEC_RESERVE(array, cap, n) with cap a size_t lvalue. */
#define OT_VEC_RESERVE(v, cap, n) ot_vec_reserve(&(v), &(cap), (n), sizeof(*(v)))

#endif
