/*
 * hash.h - deterministic hashing and a string-keyed hash map.
 *
 * The hash is FNV-1a 64: stable across runs, machines and versions, because
 * compiled names (kernel interface names, VNIs, MACs) derive from it and must
 * never change between `create` and `destroy`.
 *
 * struct ot_strmap maps NUL-terminated keys (not copied: the caller keeps them
 * alive, typically in an arena) to pointers. Open addressing, linear probing;
 * each slot keeps its key's hash, so a lookup compares strings only on a
 * hash match and growing the table reads no key (a 100,000-container
 * topology's name maps are larger than the caches). struct ot_kmap is the
 * same for keys of any type. Sets of small fixed-size keys: hashset.h.
 */
#ifndef OT_UTIL_HASH_H
#define OT_UTIL_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint64_t ot_hash64(const void *data, size_t len);
uint64_t ot_hash64_str(const char *s);
/* Continue a hash: ot_hash64_more(ot_hash64_str("a"), "b", 1). */
uint64_t ot_hash64_more(uint64_t h, const void *data, size_t len);

struct ot_strmap_slot {
	const char *key;
	void *value;
	uint64_t hash; /* of key: probes and rehashing never touch other keys' bytes */
};

struct ot_strmap {
	struct ot_strmap_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t count;
};

#define OT_STRMAP_INIT                                                                             \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void ot_strmap_free(struct ot_strmap *m); /* frees the table, not keys or values */

/* The value for key, or NULL. */
void *ot_strmap_get(const struct ot_strmap *m, const char *key);

/* Room for n more keys without growing. 0 or -ENOMEM. */
int ot_strmap_reserve(struct ot_strmap *m, size_t n);

/*
 * Insert key -> value. Returns 0, -EEXIST (and leaves the old value; *old is
 * set to it when old != NULL), or -ENOMEM.
 */
int ot_strmap_put(struct ot_strmap *m, const char *key, void *value, void **old);

/*
 * struct ot_kmap: the same table for keys of any type that the caller keeps
 * alive and hashes itself (a hash is passed with each call), compared with
 * eq on a hash match: addresses, MACs, VNIs, model objects.
 */
struct ot_kmap_slot {
	const void *key;
	void *value;
	uint64_t hash;
};

struct ot_kmap {
	struct ot_kmap_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t count;
	bool (*eq)(const void *a, const void *b);
};

#define OT_KMAP_INIT(eq_fn)                                                                        \
	{                                                                                          \
		NULL, 0, 0, (eq_fn)                                                                \
	}

/*
 * Insert key (hash h) -> value. Returns 0, -EEXIST (the present entry kept;
 * its value in *old and its key in *old_key when those are not NULL), or
 * -ENOMEM.
 */
int ot_kmap_put(struct ot_kmap *m, uint64_t h, const void *key, void *value, void **old,
		const void **old_key);

/* Is key (hash h) in the map? */
bool ot_kmap_has(const struct ot_kmap *m, uint64_t h, const void *key);

void ot_kmap_free(struct ot_kmap *m); /* frees the table, not keys or values */

#endif
