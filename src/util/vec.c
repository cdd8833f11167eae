/*
 * vec.c - growing a malloc'ed array (contract in vec.h).
 */
#include "util/vec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int ot_vec_reserve(void *pv, size_t *cap, size_t n, size_t sz)
{
	void **v = pv;
	size_t c;
	void *nv;

	if (n <= *cap)
		return 0;
	c = *cap > SIZE_MAX / 2 ? SIZE_MAX : *cap * 2;
	if (c < 8)
		c = 8;
	if (c < n)
		c = n;
	if (sz && c > SIZE_MAX / sz) {
		c = n;
		if (c > SIZE_MAX / sz)
			return -ENOMEM;
	}
	nv = realloc(*v, c * sz);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}
