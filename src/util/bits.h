/*
 * bits.h - word-at-a-time helpers for the hot paths of the compiler and the
 * plan: kernel names (IFNAMSIZ = 16 byte fields) handled as two 64-bit
 * words. Header only (static inline).
 */
#ifndef OT_UTIL_BITS_H
#define OT_UTIL_BITS_H

#include <stdint.h>
#include <string.h>

/*
 * A kernel name field (char[16], IFNAMSIZ; all 16 bytes readable) as two
 * 64-bit words holding the name and zero after it, whatever the field holds
 * past its NUL; a name with no NUL in 16 bytes is cut to 15. Returns the
 * position of the first NUL, 16 when there is none. The compiler
 * copies names and plan validation keys links this way: word arithmetic,
 * no string calls (the lowest byte flagged is exactly the first zero byte).
 */
static inline unsigned ot_ifname_words(const char f[16], uint64_t *wa, uint64_t *wb)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t a, b, z;
	unsigned n, len;

	memcpy(&a, f, 8);
	memcpy(&b, f + 8, 8);
	z = (a - ones) & ~a & highs;
	if (z) {
		len = n = (unsigned)__builtin_ctzll(z) / 8;
		a = n ? a & ((1ull << (8 * n)) - 1) : 0;
		b = 0;
	} else {
		z = (b - ones) & ~b & highs;
		n = z ? (unsigned)__builtin_ctzll(z) / 8 : 7;
		len = z ? 8 + n : 16;
		b = n ? b & ((1ull << (8 * n)) - 1) : 0;
	}
	*wa = a;
	*wb = b;
	return len;
#else
	char t[16] = {0};
	size_t n = strnlen(f, 16);

	memcpy(t, f, n < 16 ? n : 16 - 1);
	memcpy(wa, t, 8);
	memcpy(wb, t + 8, 8);
	return (unsigned)n;
#endif
}

#endif
