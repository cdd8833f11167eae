/*
 * arena.c - chunked bump allocator (contract in arena.h).
 *
 * Chunks grow geometrically up to 1 MiB; an allocation larger than half a
 * chunk gets a chunk of its own, so big arrays waste nothing. Strings are
 * packed without alignment padding; only ot_arena_alloc/calloc zero memory
 * (copies are written whole anyway).
 */
#include "util/arena.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct ot_arena_chunk {
	struct ot_arena_chunk *next;
	size_t size;
	size_t off;
	max_align_t data[];
};

#define ARENA_MIN_CHUNK ((size_t)4096)
#define ARENA_MAX_CHUNK ((size_t)1 << 20)
#define ARENA_ALIGN	_Alignof(max_align_t)
/* Past ARENA_MAX_CHUNK an arena holds a large model (a 100,000-container
 * topology is ~90 MB): it grows by 2 MiB chunks aligned for, and advised to
 * be, transparent huge pages, so filling it takes one page fault per 2 MiB
 * instead of 512 (the faults were a tenth of the compiler's time). Without
 * THP the advice is ignored and nothing else changes. */
#define ARENA_HUGE_CHUNK ((size_t)2 << 20)

void ot_arena_init(struct ot_arena *a)
{
	a->head = NULL;
	a->used = 0;
	a->oom = false;
}

void ot_arena_free(struct ot_arena *a)
{
	struct ot_arena_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->used = 0;
}

/* A chunk filling one 2 MiB huge page. */
static struct ot_arena_chunk *chunk_huge(void)
{
	struct ot_arena_chunk *c;
	void *mem;

	if (posix_memalign(&mem, ARENA_HUGE_CHUNK, ARENA_HUGE_CHUNK) != 0)
		return NULL;
	(void)madvise(mem, ARENA_HUGE_CHUNK, MADV_HUGEPAGE);
	c = mem;
	c->next = NULL;
	c->size = ARENA_HUGE_CHUNK - offsetof(struct ot_arena_chunk, data);
	c->off = 0;
	return c;
}

static struct ot_arena_chunk *chunk_new(size_t size)
{
	struct ot_arena_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->off = 0;
	return c;
}

/* size bytes at the given alignment (a power of two, at most ARENA_ALIGN),
 * not zeroed; NULL (and a->oom) on failure. Strings take alignment 1: a
 * model or plan holds hundreds of thousands of short ones. */
static void *arena_raw(struct ot_arena *a, size_t size, size_t align)
{
	struct ot_arena_chunk *c = a->head;
	size_t off, csize;

	if (size == 0)
		size = 1;
	if (size > SIZE_MAX - ARENA_ALIGN) {
		a->oom = true;
		return NULL;
	}
	off = c ? (c->off + align - 1) & ~(align - 1) : 0;
	if (!c || off > c->size || c->size - off < size) {
		if (size > ARENA_MAX_CHUNK / 2) {
			/* A big block gets its own chunk, kept behind the current one. */
			struct ot_arena_chunk *big = chunk_new(size);

			if (!big) {
				a->oom = true;
				return NULL;
			}
			big->off = size;
			if (c) {
				big->next = c->next;
				c->next = big;
			} else {
				a->head = big;
			}
			a->used += size;
			return big->data;
		}
		csize = c ? c->size * 2 : ARENA_MIN_CHUNK;
		if (csize > ARENA_MAX_CHUNK && size <= ARENA_MAX_CHUNK / 2)
			c = chunk_huge();
		else
			c = chunk_new(csize < size ? size : csize);
		if (!c) {
			a->oom = true;
			return NULL;
		}
		c->next = a->head;
		a->head = c;
		off = 0;
	}
	c->off = off + size;
	a->used += size;
	return (char *)c->data + off;
}

void *ot_arena_alloc(struct ot_arena *a, size_t size)
{
	void *p = arena_raw(a, size, ARENA_ALIGN);

	if (p)
		memset(p, 0, size ? size : 1);
	return p;
}

void *ot_arena_calloc(struct ot_arena *a, size_t n, size_t sz)
{
	if (sz && n > SIZE_MAX / sz) {
		a->oom = true;
		return NULL;
	}
	return ot_arena_alloc(a, n * sz);
}

void *ot_arena_memdup(struct ot_arena *a, const void *p, size_t n)
{
	void *q = arena_raw(a, n, ARENA_ALIGN);

	if (q && n)
		memcpy(q, p, n);
	return q;
}

char *ot_arena_strndup(struct ot_arena *a, const char *s, size_t n)
{
	char *q;

	if (!s)
		return NULL;
	q = arena_raw(a, n + 1, 1);
	if (q) {
		memcpy(q, s, n);
		q[n] = '\0';
	}
	return q;
}

char *ot_arena_strdup(struct ot_arena *a, const char *s)
{
	return s ? ot_arena_strndup(a, s, strlen(s)) : NULL;
}

char *ot_arena_vprintf(struct ot_arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	char *q;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		a->oom = true;
		return NULL;
	}
	q = arena_raw(a, (size_t)n + 1, 1);
	if (q)
		vsnprintf(q, (size_t)n + 1, fmt, ap);
	return q;
}

char *ot_arena_printf(struct ot_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *q;

	va_start(ap, fmt);
	q = ot_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return q;
}
