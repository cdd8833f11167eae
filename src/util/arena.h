/*
 * arena.h - bump allocator for data that lives and dies together (an AST, a
 * plan, a model). Nothing is freed individually; ot_arena_free() releases all.
 *
 * Allocation failure returns NULL and sets the arena's sticky `oom` flag, so a
 * builder may allocate many times and check once (`if (a->oom)`).
 */
#ifndef OT_UTIL_ARENA_H
#define OT_UTIL_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct ot_arena_chunk;

struct ot_arena {
	struct ot_arena_chunk *head;
	size_t used; /* bytes handed out, for statistics */
	bool oom;    /* an allocation failed since init */
};

/* An empty arena; no allocation happens until the first ot_arena_alloc(). */
void ot_arena_init(struct ot_arena *a);

/* Release every chunk. Accepts NULL and an already freed arena. */
void ot_arena_free(struct ot_arena *a);

/* Zeroed memory aligned for any type, or NULL (and a->oom set). */
void *ot_arena_alloc(struct ot_arena *a, size_t size);

/* Zeroed array of n elements of size sz; NULL on overflow or OOM. */
void *ot_arena_calloc(struct ot_arena *a, size_t n, size_t sz);

/* Copies; NULL in -> NULL out. */
char *ot_arena_strdup(struct ot_arena *a, const char *s);
char *ot_arena_strndup(struct ot_arena *a, const char *s, size_t n);
void *ot_arena_memdup(struct ot_arena *a, const void *p, size_t n);

/* printf into the arena. */
char *ot_arena_printf(struct ot_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *ot_arena_vprintf(struct ot_arena *a, const char *fmt, va_list ap);

#endif
