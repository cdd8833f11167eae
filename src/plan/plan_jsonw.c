/*
 * plan_jsonw.c - the plan's canonical JSON written straight into a string
 * buffer (contract in plan_json.h: ot_plan_json_write).
 *
 * This is the one writer of plans. Why not jansson: building a json_t tree
 * costs a hash table per object; a 1,000-node cluster's plans hold millions
 * of objects and took 15+ s to serialise that way, against well under a
 * second streamed. The output is the canonical form: keys in strcmp order
 * (for operations, from the key tables of plan_schema.c; the reader accepts
 * the same keys), members at their zero value omitted, strings escaped as
 * jansson escapes them, invalid UTF-8 refused as jansson refuses it.
 * tests/unit/test_plan_text_json.c checks it byte for byte against
 * json_dumps(JSON_SORT_KEYS) of a jansson tree (tests/unit/plan_json_oracle.c)
 * on every kind of field.
 *
 * A 1,000-node cluster is ~1.8 million ops and ~270 MB of JSON, so the
 * writer is built for throughput: it writes straight into the caller's
 * strbuf with one bounds check per member; namespace names (one or two per
 * op) are quoted once per plan into a table; origins and node names come
 * from a small memo by address; kernel names (char[16] fields) are measured
 * and checked as two 64-bit words; numbers and addresses use a digit-pair
 * table. Strings that need escapes take the slow, simple path.
 */
#include "plan/plan_json.h"
#include "plan/plan_schema.h"
#include "util/bits.h"
#include "vocab/caps.h"

#include <errno.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define JW_MAX_DEPTH 16
#define JW_ROOM	     64	  /* a separator, indentation (2 per level) and a short key fit */
#define JW_CHUNK     2048 /* longest single write; longer text goes in pieces */
#define JW_GROW	     65536
#define JW_MEMO	     64 /* direct-mapped memo of repeated strings (origins, nodes) */
#define JW_MEMO_LEN  48 /* copied whole: a constant-size copy is a few moves */
#define JW_NS_PAD    64 /* namespace names up to this are copied whole too */

#define JW_FDB_MAX 320 /* JSON before or after an FDB entry's MAC, kept for the next */

/* A string already written, by its address: its quoted JSON form. */
struct jw_memo {
	const char *s;
	size_t len;
	char q[JW_MEMO_LEN];
};

/*
 * The writer writes straight into the caller's strbuf (o .. lim is room
 * reserved there), with one bounds check per member rather than per byte.
 * After an allocation failure it keeps "writing" into scratch, which is
 * thrown away, and reports -ENOMEM at the end.
 */
struct jw {
	struct ot_strbuf *sb;
	char *o, *lim;
	bool pretty;
	bool bad; /* invalid UTF-8 met, or nesting too deep */
	bool oom;
	int depth;
	bool first[JW_MAX_DEPTH];
	/* every namespace's name as a quoted JSON string ("host" for index 0),
	 * made once per plan: each op names one or two of them */
	char *nsq;
	uint32_t *nsoff; /* nns + 1 offsets into nsq */
	size_t nns;
	struct ot_strbuf esc; /* a string with escapes, being built */
	/* the last FDB entry written: what its JSON depends on besides the MAC,
	 * and the JSON before and after the MAC (w_fdb) */
	struct {
		bool valid;
		int depth, ns;
		char dev[OT_IFNAMSIZ];
		struct ot_addr dst;
		const char *dst_node, *origin;
		size_t npre, nsuf;
		char pre[JW_FDB_MAX], suf[JW_FDB_MAX];
	} fdb;
	size_t mac_at, mac_end; /* where the last OT_F_MAC_ALWAYS value was written */
	/* each operation kind's name, quoted */
	char opq[OT_OP__COUNT][16];
	uint8_t opqlen[OT_OP__COUNT];
	struct jw_memo memo[JW_MEMO];
	char scratch[JW_CHUNK + 2 * JW_ROOM];
};

static void grow(struct jw *w, size_t n)
{
	char *room;

	if (!w->oom) {
		w->sb->len = (size_t)(w->o - w->sb->buf);
		room = ot_sb_reserve(w->sb, n > JW_GROW ? n : JW_GROW);
		if (room) {
			w->o = room;
			w->lim = w->sb->buf + w->sb->cap - 1;
			return;
		}
		w->oom = true;
	}
	w->o = w->scratch;
	w->lim = w->scratch + sizeof(w->scratch);
}

/* Room for n more bytes (n <= JW_CHUNK + JW_ROOM). */
static inline void need(struct jw *w, size_t n)
{
	if ((size_t)(w->lim - w->o) < n)
		grow(w, n);
}

/* Copy n bytes; the caller made room. */
static inline void put(struct jw *w, const void *s, size_t n)
{
	memcpy(w->o, s, n);
	w->o += n;
}

/* Copy n bytes, any n. */
static void out(struct jw *w, const char *s, size_t n)
{
	while (n) {
		size_t k = n < JW_CHUNK ? n : JW_CHUNK;

		need(w, k);
		put(w, s, k);
		s += k;
		n -= k;
	}
}

static inline void outc(struct jw *w, char c)
{
	need(w, 1);
	*w->o++ = c;
}

/* Two decimal digits of 0..99, for numbers without division loops. */
static const char digits2[] = "00010203040506070809101112131415161718192021222324252627282930313233"
			      "34353637383940414243444546474849505152535455565758596061626364656667"
			      "6869707172737475767778798081828384858687888990919293949596979899";

/* Decimal v into o (room for 20 bytes); past its end. */
static char *put_u64(char *o, unsigned long long v)
{
	char t[20];
	size_t n = sizeof(t);

	while (v >= 100) {
		n -= 2;
		memcpy(t + n, digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		n -= 2;
		memcpy(t + n, digits2 + 2 * v, 2);
	} else {
		t[--n] = (char)('0' + v);
	}
	memcpy(o, t + n, sizeof(t) - n);
	return o + sizeof(t) - n;
}

static void out_u64(struct jw *w, unsigned long long v)
{
	need(w, 20);
	w->o = put_u64(w->o, v);
}

static void out_int(struct jw *w, long long v)
{
	need(w, 21);
	if (v < 0) {
		*w->o++ = '-';
		w->o = put_u64(w->o, 0ull - (unsigned long long)v);
	} else {
		w->o = put_u64(w->o, (unsigned long long)v);
	}
}

/* A newline and the indentation of depth (pretty output only); the caller
 * made room (JW_ROOM covers JW_MAX_DEPTH levels). */
static inline void indent(struct jw *w, int depth)
{
	if (!w->pretty)
		return;
	*w->o++ = '\n';
	memset(w->o, ' ', (size_t)depth * 2);
	w->o += depth * 2;
}

/* Length of a valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xC2 || s[0] > 0xF4)
		return 0;
	len = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
	if (n < len)
		return 0;
	cp = s[0] & (0x7F >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* Bytes copied as they are: printable ASCII but '"' and '\\'. */
static const bool plain[256] = {
    [' '] = 1, ['!'] = 1, ['#' ... '['] = 1, [']' ... '~'] = 1, [0x7f] = 1,
};

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* The high bit of each byte of x that needs escaping or UTF-8 checking:
 * < 0x20, '"', '\\', or >= 0x80. Exact up to the first such byte (a borrow
 * may mark bytes above it too), which is all the callers rely on. */
static inline uint64_t special_bits(uint64_t x)
{
	uint64_t lt20 = (x - ONES * 0x20) & ~x;
	uint64_t q = x ^ (ONES * '"'), b = x ^ (ONES * '\\');

	return (lt20 | ((q - ONES) & ~q) | ((b - ONES) & ~b) | x) & HIGHS;
}

/* The quoted, escaped form of s (n bytes) appended to sb; false if s is
 * not valid UTF-8. As jansson writes it: the escapes below, other control
 * characters as \u00XX, everything else (UTF-8 too) as is. */
static bool escape(struct ot_strbuf *sb, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run;
	char u[8];
	size_t k;

	ot_sb_putc(sb, '"');
	for (run = p; p < end;) {
		if (plain[*p]) {
			p++;
			continue;
		}
		if (*p >= 0x80) {
			k = utf8_len(p, (size_t)(end - p));
			if (!k)
				return false;
			p += k;
			continue;
		}
		ot_sb_appendn(sb, (const char *)run, (size_t)(p - run));
		switch (*p) {
		case '"':
			ot_sb_append(sb, "\\\"");
			break;
		case '\\':
			ot_sb_append(sb, "\\\\");
			break;
		case '\b':
			ot_sb_append(sb, "\\b");
			break;
		case '\f':
			ot_sb_append(sb, "\\f");
			break;
		case '\n':
			ot_sb_append(sb, "\\n");
			break;
		case '\r':
			ot_sb_append(sb, "\\r");
			break;
		case '\t':
			ot_sb_append(sb, "\\t");
			break;
		default:
			u[0] = '\\';
			u[1] = 'u';
			u[2] = '0';
			u[3] = '0';
			u[4] = "0123456789ABCDEF"[*p >> 4];
			u[5] = "0123456789ABCDEF"[*p & 15];
			ot_sb_appendn(sb, u, 6);
			break;
		}
		run = ++p;
	}
	ot_sb_appendn(sb, (const char *)run, (size_t)(p - run));
	ot_sb_putc(sb, '"');
	return true;
}

/* A string that needs escapes or holds UTF-8. */
static void str_slow(struct jw *w, const char *s, size_t n)
{
	ot_sb_reset(&w->esc);
	if (!escape(&w->esc, s, n)) {
		w->bad = true;
		return;
	}
	if (w->esc.oom) {
		w->oom = true;
		grow(w, 0);
		return;
	}
	out(w, w->esc.buf, w->esc.len);
}

/* s (n bytes) as a JSON string: the common case, nothing to escape, is
 * checked 8 bytes at a time while it is copied. */
static void str_n(struct jw *w, const char *s, size_t n)
{
	size_t k;
	char *o;

	if (n > JW_CHUNK) {
		str_slow(w, s, n);
		return;
	}
	need(w, n + 2);
	o = w->o + 1;
	for (k = 0; k + 8 <= n; k += 8) {
		uint64_t x;

		memcpy(&x, s + k, 8);
		if (special_bits(x)) {
			str_slow(w, s, n);
			return;
		}
		memcpy(o + k, &x, 8);
	}
	for (; k < n; k++) {
		if (!plain[(unsigned char)s[k]]) {
			str_slow(w, s, n);
			return;
		}
		o[k] = s[k];
	}
	w->o[0] = '"';
	o[n] = '"';
	w->o += n + 2;
}

static void str(struct jw *w, const char *s)
{
	str_n(w, s, strlen(s));
}

/* A kernel name field (char[OT_IFNAMSIZ]): all 16 bytes are readable, so
 * it is measured, checked and copied as two words. */
static void str_name(struct jw *w, const char *f)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t a, b, keep;
	size_t n = ot_ifname_words(f, &a, &b); /* zero past the name */

	if (n == OT_IFNAMSIZ) /* no NUL: an invalid plan, written as it is */
		goto slow;
	if (n < 8) {
		keep = (1ull << (8 * n)) - 1;
		if (special_bits(a) & keep)
			goto slow;
	} else {
		keep = (1ull << (8 * (n - 8))) - 1;
		if (special_bits(a) || (special_bits(b) & keep))
			goto slow;
	}
	need(w, 18);
	w->o[0] = '"';
	memcpy(w->o + 1, &a, 8);
	memcpy(w->o + 9, &b, 8);
	w->o[1 + n] = '"';
	w->o += n + 2;
	return;
slow:
	str_slow(w, f, n);
#else
	str_n(w, f, strnlen(f, OT_IFNAMSIZ));
#endif
}

/* A string that recurs in a plan (an origin, a node's name): written from
 * the memo when it was written before. */
static void str_memo(struct jw *w, const char *s)
{
	struct jw_memo *m = &w->memo[((uintptr_t)s >> 3) % JW_MEMO];
	size_t n;
	char *from;

	if (m->s == s) {
		need(w, JW_MEMO_LEN);
		memcpy(w->o, m->q, JW_MEMO_LEN);
		w->o += m->len;
		return;
	}
	n = strlen(s);
	if (n + 2 > JW_MEMO_LEN) {
		str_n(w, s, n);
		return;
	}
	need(w, JW_MEMO_LEN); /* so that it is written right here, in one piece */
	from = w->o;
	str_n(w, s, n);
	if (w->o == from + n + 2 && !w->oom) {
		m->s = s;
		m->len = n + 2;
		memcpy(m->q, from, n + 2);
	}
}

/* Before a value inside the current container (a key's value follows its
 * key, so only array elements and keys call this); the caller made room. */
static inline void sep(struct jw *w)
{
	if (!w->first[w->depth])
		*w->o++ = ',';
	w->first[w->depth] = false;
	indent(w, w->depth);
}

static void item(struct jw *w)
{
	need(w, JW_ROOM);
	sep(w);
}

static void open_(struct jw *w, char c)
{
	outc(w, c);
	if (w->depth + 1 >= JW_MAX_DEPTH) {
		w->bad = true;
		return;
	}
	w->first[++w->depth] = true;
}

static void close_(struct jw *w, char c)
{
	bool empty = w->first[w->depth];

	need(w, JW_ROOM);
	w->depth--;
	if (!empty)
		indent(w, w->depth);
	*w->o++ = c;
}

/* Keys are string literals, written with their quotes and colon in one
 * copy of a length known at compile time: K("name") is the pair
 * "\"name\":", 7. */
#define K(lit) "\"" lit "\":", sizeof(lit) + 2

static inline void key(struct jw *w, const char *quoted, size_t n)
{
	need(w, JW_ROOM + n);
	sep(w);
	put(w, quoted, n);
	if (w->pretty)
		*w->o++ = ' ';
}

/* Members, each omitted at its zero value. */
static void m_str(struct jw *w, const char *k, size_t kn, const char *v)
{
	if (v && *v) {
		key(w, k, kn);
		str(w, v);
	}
}

static void m_name(struct jw *w, const char *k, size_t kn, const char *field)
{
	if (field[0]) {
		key(w, k, kn);
		str_name(w, field);
	}
}

static void m_memo(struct jw *w, const char *k, size_t kn, const char *v)
{
	if (v && *v) {
		key(w, k, kn);
		str_memo(w, v);
	}
}

/* A constant string value: L("fdb") is "\"fdb\"", 5. */
#define L(lit) "\"" lit "\"", sizeof(lit) + 1

static void m_lit(struct jw *w, const char *k, size_t kn, const char *quoted, size_t n)
{
	key(w, k, kn);
	need(w, n);
	put(w, quoted, n);
}

static void m_str_always(struct jw *w, const char *k, size_t kn, const char *v)
{
	key(w, k, kn);
	str(w, v ? v : "");
}

static void m_int(struct jw *w, const char *k, size_t kn, long long v)
{
	if (v) {
		key(w, k, kn);
		out_int(w, v);
	}
}

static void m_true(struct jw *w, const char *k, size_t kn, bool v)
{
	if (v) {
		key(w, k, kn);
		need(w, 4);
		put(w, "true", 4);
	}
}

/* IPv4 in dotted quad, MACs without printf; IPv6 via ot_addr_format. */
static char *put_ipv4(char *o, const struct ot_addr *a)
{
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = a->bytes[i];

		if (v >= 100) {
			*o++ = (char)('0' + v / 100);
			v %= 100;
			memcpy(o, digits2 + 2 * v, 2);
			o += 2;
		} else if (v >= 10) {
			memcpy(o, digits2 + 2 * v, 2);
			o += 2;
		} else {
			*o++ = (char)('0' + v);
		}
		*o++ = '.';
	}
	return o - 1;
}

static void out_addr(struct jw *w, const struct ot_addr *a)
{
	char buf[OT_ADDR_STRLEN];

	if (a->family != AF_INET) {
		ot_addr_format(a, buf, sizeof(buf));
		str(w, buf);
		return;
	}
	need(w, 18);
	*w->o++ = '"';
	w->o = put_ipv4(w->o, a);
	*w->o++ = '"';
}

static void m_addr(struct jw *w, const char *k, size_t kn, const struct ot_addr *a)
{
	if (!a->family)
		return;
	key(w, k, kn);
	out_addr(w, a);
}

static void m_prefix(struct jw *w, const char *k, size_t kn, const struct ot_prefix *p)
{
	char buf[OT_PREFIX_STRLEN];

	if (!p->addr.family)
		return;
	key(w, k, kn);
	if (p->addr.family != AF_INET) {
		ot_prefix_format(p, buf, sizeof(buf));
		str(w, buf);
		return;
	}
	need(w, 40);
	*w->o++ = '"';
	w->o = put_ipv4(w->o, &p->addr);
	*w->o++ = '/';
	w->o = put_u64(w->o, p->len);
	*w->o++ = '"';
}

/* Two lowercase hex digits of each byte value. */
static const char hex2[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
			   "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
			   "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
			   "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
			   "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
			   "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
			   "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
			   "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

static void out_mac(struct jw *w, const struct ot_mac *m)
{
	char *t;

	need(w, 19);
	t = w->o;
	memcpy(t, "\"00:00:00:00:00:00\"", 19);
	memcpy(t + 1, hex2 + 2 * m->b[0], 2);
	memcpy(t + 4, hex2 + 2 * m->b[1], 2);
	memcpy(t + 7, hex2 + 2 * m->b[2], 2);
	memcpy(t + 10, hex2 + 2 * m->b[3], 2);
	memcpy(t + 13, hex2 + 2 * m->b[4], 2);
	memcpy(t + 16, hex2 + 2 * m->b[5], 2);
	w->o += 19;
}

static void m_mac(struct jw *w, const char *k, size_t kn, const struct ot_mac *m)
{
	if (ot_mac_is_zero(m))
		return;
	key(w, k, kn);
	out_mac(w, m);
}

/* [a, b] */
static void out_pair(struct jw *w, long long a, long long b)
{
	open_(w, '[');
	item(w);
	out_int(w, a);
	item(w);
	out_int(w, b);
	close_(w, ']');
}

static void m_pair(struct jw *w, const char *k, size_t kn, long long a, long long b)
{
	key(w, k, kn);
	out_pair(w, a, b);
}

/* A port set: one range as [first, last] (the form plans had before lists,
 * so a one-range rule writes what it always wrote), several as a list of
 * such pairs; omitted when empty (any port). */
static void m_ports(struct jw *w, const char *k, size_t kn, const struct ot_ports *ps)
{
	uint16_t i;

	if (!ps->n)
		return;
	if (ps->n == 1) {
		m_pair(w, k, kn, ps->r[0].lo, ps->r[0].hi);
		return;
	}
	key(w, k, kn);
	open_(w, '[');
	for (i = 0; i < ps->n && i < OT_PORTS_MAX; i++) {
		item(w);
		out_pair(w, ps->r[i].lo, ps->r[i].hi);
	}
	close_(w, ']');
}

/* A namespace by index ("host" for 0), from the table made for the plan;
 * omitted when the name is empty, like any empty string. */
static void m_ns(struct jw *w, const char *k, size_t kn, int ns)
{
	size_t n;

	if (ns < 0 || (size_t)ns >= w->nns) { /* an invalid plan: say so, do not crash */
		m_lit(w, k, kn, L("?"));
		return;
	}
	n = w->nsoff[ns + 1] - w->nsoff[ns];
	if (!n)
		return;
	key(w, k, kn);
	if (n > JW_NS_PAD) {
		out(w, w->nsq + w->nsoff[ns], n);
		return;
	}
	need(w, JW_NS_PAD);
	memcpy(w->o, w->nsq + w->nsoff[ns], JW_NS_PAD); /* the table has room past its end */
	w->o += n;
}

/* ---- objects, keys in strcmp order ---- */

/* A name from an enum table; the table's strings are the memo's keys. */
static void m_enum(struct jw *w, const char *k, size_t kn, const struct ot_enum_name *t, int v)
{
	m_memo(w, k, kn, ot_enum_name(t, v));
}

/* An array of the names of the bits set in mask, in bit order. */
static void m_bits(struct jw *w, const char *k, size_t kn, const struct ot_enum_name *t,
		   unsigned mask)
{
	key(w, k, kn);
	open_(w, '[');
	for (; t->name; t++)
		if (mask & (unsigned)t->val) {
			item(w);
			str(w, t->name);
		}
	close_(w, ']');
}

/* Isolation kinds, in the one table's (bit) order. */
static void m_isolate(struct jw *w, unsigned mask)
{
	size_t k;

	key(w, K("isolate"));
	open_(w, '[');
	for (k = 0; k < OT_ISOLATE_NKINDS; k++)
		if (mask & (unsigned)ot_isolate_kinds[k].bit) {
			item(w);
			str(w, ot_isolate_kinds[k].name);
		}
	close_(w, ']');
}

static void w_nft(struct jw *w, const struct ot_op_nft *n)
{
	size_t i;

	open_(w, '{');
	key(w, K("chains"));
	open_(w, '[');
	for (i = 0; i < n->nchains; i++) {
		const struct ot_nft_chain *c = &n->chains[i];

		item(w);
		open_(w, '{');
		m_enum(w, K("hook"), ot_nft_hook_names, c->hook);
		m_str(w, K("name"), c->name);
		m_str(w, K("policy"), c->policy_drop ? "drop" : "accept");
		m_int(w, K("priority"), c->priority);
		m_enum(w, K("type"), ot_nft_chain_type_names, c->type);
		close_(w, '}');
	}
	close_(w, ']');
	key(w, K("rules"));
	open_(w, '[');
	for (i = 0; i < n->nrules; i++) {
		const struct ot_nft_rule *r = &n->rules[i];

		item(w);
		open_(w, '{');
		m_str(w, K("chain"), r->chain < n->nchains ? n->chains[r->chain].name : "");
		m_str(w, K("comment"), r->comment);
		m_true(w, K("counter"), r->counter);
		if (r->ct_state)
			m_bits(w, K("ct_state"), ot_ct_state_names, r->ct_state);
		if (r->has_daddr)
			m_prefix(w, K("daddr"), &r->daddr);
		m_ports(w, K("dport"), &r->dport);
		if (r->family)
			m_enum(w, K("family"), ot_nft_family_names, r->family);
		if (r->has_icmp_type)
			m_pair(w, K("icmp_type"), r->icmp_type_first, r->icmp_type_last);
		m_str(w, K("iif"), r->iif);
		m_addr(w, K("nat_addr"), &r->nat_addr);
		m_int(w, K("nat_port"), r->nat_port);
		m_str(w, K("oif"), r->oif);
		if (r->l4proto)
			m_enum(w, K("proto"), ot_l4proto_names, r->l4proto);
		if (r->has_saddr)
			m_prefix(w, K("saddr"), &r->saddr);
		m_ports(w, K("sport"), &r->sport);
		m_enum(w, K("verdict"), ot_nft_verdict_names, r->verdict);
		close_(w, '}');
	}
	close_(w, ']');
	m_str(w, K("table"), n->table);
	close_(w, '}');
}

static void w_fields(struct jw *w, const struct ot_op *op, const struct ot_plan_field *f);

/*
 * The members of an object from its key table (plan_schema.c), in the
 * table's order. Where an FDB entry's MAC is written (OT_F_MAC_ALWAYS), its
 * offsets into the output are kept for w_fdb().
 */
static void w_field(struct jw *w, const struct ot_op *op, const struct ot_plan_field *f)
{
	const char *v = (const char *)op + f->off;
	const char *k = f->qkey;
	size_t kn = f->qlen;
	char dst[OT_PREFIX_STRLEN];

	switch ((enum ot_plan_ftype)f->type) {
	case OT_F_NS:
		m_ns(w, k, kn, *(const int *)v);
		break;
	case OT_F_OP:
		if ((unsigned)op->kind < OT_OP__COUNT)
			m_lit(w, k, kn, w->opq[op->kind], w->opqlen[op->kind]);
		else
			m_lit(w, k, kn, L("?"));
		break;
	case OT_F_MEMO:
		m_memo(w, k, kn, *(const char *const *)v);
		break;
	case OT_F_STR:
		m_str(w, k, kn, *(const char *const *)v);
		break;
	case OT_F_STR_ALWAYS:
		m_str_always(w, k, kn, *(const char *const *)v);
		break;
	case OT_F_NAME:
		m_name(w, k, kn, v);
		break;
	case OT_F_U16:
		m_int(w, k, kn, *(const uint16_t *)v);
		break;
	case OT_F_U32:
		m_int(w, k, kn, *(const uint32_t *)v);
		break;
	case OT_F_U64:
		m_int(w, k, kn, (long long)*(const uint64_t *)v);
		break;
	case OT_F_BOOL:
		m_true(w, k, kn, *(const bool *)v);
		break;
	case OT_F_ADDR:
		m_addr(w, k, kn, (const struct ot_addr *)v);
		break;
	case OT_F_PREFIX:
		m_prefix(w, k, kn, (const struct ot_prefix *)v);
		break;
	case OT_F_MAC:
		m_mac(w, k, kn, (const struct ot_mac *)v);
		break;
	case OT_F_MAC_ALWAYS:
		key(w, k, kn);
		w->mac_at = (size_t)(w->o - w->sb->buf);
		out_mac(w, (const struct ot_mac *)v);
		w->mac_end = (size_t)(w->o - w->sb->buf);
		break;
	case OT_F_LINK_KIND:
		m_enum(w, k, kn, ot_link_kind_names, ((const struct ot_op_link *)v)->kind);
		break;
	case OT_F_MACVLAN_MODE:
		m_enum(w, k, kn, ot_macvlan_mode_names, ((const struct ot_op_link *)v)->mode);
		break;
	case OT_F_MOUNT_KIND:
		m_enum(w, k, kn, ot_mount_kind_names, ((const struct ot_op_mount *)v)->kind);
		break;
	case OT_F_ROUTE_DST: {
		const struct ot_prefix *d = (const struct ot_prefix *)v;

		if (d->len == 0)
			snprintf(dst, sizeof(dst), "default%s",
				 d->addr.family == AF_INET6 ? "6" : "");
		else
			ot_prefix_format(d, dst, sizeof(dst));
		m_str(w, k, kn, dst);
		break;
	}
	case OT_F_PEER:
		key(w, k, kn);
		open_(w, '{');
		w_fields(w, op, ot_plan_peer_fields);
		close_(w, '}');
		break;
	case OT_F_NFT:
		key(w, k, kn);
		w_nft(w, (const struct ot_op_nft *)v);
		break;
	case OT_F_CG_IO: {
		const struct ot_op_cgroup *c = (const struct ot_op_cgroup *)v;
		const struct ot_plan_field *g;
		size_t i;

		if (!c->nio)
			break;
		key(w, k, kn);
		open_(w, '[');
		for (i = 0; i < c->nio; i++) {
			item(w);
			open_(w, '{');
			/* the element's offsets are in struct ot_cg_io (scalars only) */
			for (g = ot_plan_cg_io_fields; g->key; g++)
				w_field(w, (const struct ot_op *)(const void *)&c->io[i], g);
			close_(w, '}');
		}
		close_(w, ']');
		break;
	}
	}
}

static void w_fields(struct jw *w, const struct ot_op *op, const struct ot_plan_field *f)
{
	unsigned kind = op->kind == OT_OP_LINK ? 1u << op->link.kind : 0;

	for (; f->key; f++)
		if (!f->links || (f->links & kind))
			w_field(w, op, f);
}

/*
 * An FDB entry. Half the ops of a large plan are FDB entries, in runs toward
 * one remote node that differ only in their MAC: when everything else
 * matches the previous entry (device, destination, node, namespace, origin,
 * depth), its JSON before and after the MAC is copied.
 */
static void w_fdb(struct jw *w, const struct ot_op *op)
{
	const struct ot_op_fdb *e = &op->fdb;
	size_t a, d;

	if (w->fdb.valid && w->fdb.depth == w->depth && w->fdb.ns == op->ns &&
	    w->fdb.dst_node == e->dst_node && w->fdb.origin == op->origin &&
	    memcmp(w->fdb.dev, e->dev, OT_IFNAMSIZ) == 0 &&
	    memcmp(&w->fdb.dst, &e->dst, sizeof(e->dst)) == 0) {
		need(w, w->fdb.npre);
		put(w, w->fdb.pre, w->fdb.npre);
		out_mac(w, &e->mac);
		need(w, w->fdb.nsuf);
		put(w, w->fdb.suf, w->fdb.nsuf);
		return;
	}
	a = (size_t)(w->o - w->sb->buf);
	open_(w, '{');
	w_fields(w, op, ot_plan_op_fields[OT_OP_FDB]);
	close_(w, '}');
	d = (size_t)(w->o - w->sb->buf);
	/* offsets into sb stay right when it grows; not after an allocation
	 * failure (the writer is in scratch then) */
	w->fdb.valid =
	    !w->oom && !w->bad && w->mac_at - a <= JW_FDB_MAX && d - w->mac_end <= JW_FDB_MAX;
	if (!w->fdb.valid)
		return;
	w->fdb.depth = w->depth;
	w->fdb.ns = op->ns;
	w->fdb.dst_node = e->dst_node;
	w->fdb.origin = op->origin;
	memcpy(w->fdb.dev, e->dev, OT_IFNAMSIZ);
	w->fdb.dst = e->dst;
	w->fdb.npre = w->mac_at - a;
	w->fdb.nsuf = d - w->mac_end;
	memcpy(w->fdb.pre, w->sb->buf + a, w->fdb.npre);
	memcpy(w->fdb.suf, w->sb->buf + w->mac_end, w->fdb.nsuf);
}

static void w_op(struct jw *w, const struct ot_op *op)
{
	static const struct ot_plan_field unknown[] = {
	    {"ns", "\"ns\":", 5, OT_F_NS, 0, offsetof(struct ot_op, ns)},
	    {"op", "\"op\":", 5, OT_F_OP, 0, 0},
	    {"origin", "\"origin\":", 9, OT_F_MEMO, 0, offsetof(struct ot_op, origin)},
	    {NULL, NULL, 0, 0, 0, 0},
	};

	if (op->kind == OT_OP_FDB) {
		w_fdb(w, op);
		return;
	}
	open_(w, '{');
	w_fields(w, op, (unsigned)op->kind < OT_OP__COUNT ? ot_plan_op_fields[op->kind] : unknown);
	close_(w, '}');
}

/* "caps_drop": ["net_raw", ...] or "caps_keep": [...], in number order. */
static void m_caps(struct jw *w, const struct ot_plan_ns *ns)
{
	unsigned n;

	if (!ns->caps_set)
		return;
	if (ns->caps_keep)
		key(w, K(OT_PLAN_KEY_CAPS_KEEP));
	else
		key(w, K(OT_PLAN_KEY_CAPS_DROP));
	open_(w, '[');
	for (n = 0; n < OT_CAP_COUNT; n++)
		if (ns->caps & (1ull << n)) {
			item(w);
			str(w, ot_cap_name(n));
		}
	close_(w, ']');
}

static void w_ns(struct jw *w, const struct ot_plan_ns *ns)
{
	size_t i;

	open_(w, '{');
	if (ns->role == OT_NS_CONTAINER) {
		m_caps(w, ns);
		m_str(w, K("cgroup"), ns->cgroup);
		m_str(w, K("container"), ns->container);
		m_str(w, K("hostname"), ns->hostname);
		m_isolate(w, ns->isolate);
	}
	m_str(w, K("name"), ns->name);
	if (ns->role == OT_NS_CONTAINER)
		m_true(w, K(OT_PLAN_KEY_NO_NEW_PRIVS), ns->no_new_privs);
	if (ns->role == OT_NS_CONTAINER && ns->nranks) {
		key(w, K("ranks"));
		open_(w, '[');
		for (i = 0; i < ns->nranks; i++) {
			item(w);
			open_(w, '[');
			item(w);
			out_u64(w, ns->ranks[i].first);
			item(w);
			out_u64(w, ns->ranks[i].last);
			close_(w, ']');
		}
		close_(w, ']');
	}
	m_enum(w, K("role"), ot_ns_role_names, ns->role);
	close_(w, '}');
}

static const char *ns_name(const struct ot_plan *p, int ns)
{
	return ns == OT_NS_HOST_INDEX ? "host" : p->ns[ns].name;
}

/* The teardown lines, as plan_json.c words them. */
static void w_teardown(struct jw *w, const struct ot_plan *p)
{
	size_t *td = NULL, n = 0, i;

	key(w, K("teardown"));
	open_(w, '[');
	if (ot_plan_teardown(p, &td, &n) < 0) {
		w->bad = true;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		const struct ot_op *op = &p->ops[td[i]];
		char what[256], num[24];

		switch (op->kind) {
		case OT_OP_NETNS:
			if (op->ns > 0 && (size_t)op->ns < w->nns &&
			    w->nsoff[op->ns + 1] - w->nsoff[op->ns] >= 2 &&
			    w->nsoff[op->ns + 1] - w->nsoff[op->ns] < sizeof(what) - 14) {
				/* "delete netns " and the name as quoted in the table */
				size_t k = w->nsoff[op->ns + 1] - w->nsoff[op->ns];

				item(w);
				need(w, k + 13);
				put(w, "\"delete netns ", 14);
				put(w, w->nsq + w->nsoff[op->ns] + 1, k - 1);
				continue;
			}
			ot_str_join(what, sizeof(what),
				    (const char *[]){"delete netns ", p->ns[op->ns].name}, 2);
			break;
		case OT_OP_LINK:
			ot_str_join(what, sizeof(what),
				    (const char *[]){"delete link ",
						     op->ns == OT_NS_HOST_INDEX
							 ? op->link.name
							 : op->link.peer_name,
						     " in host"},
				    3);
			break;
		case OT_OP_SYSCTL:
			ot_str_join(what, sizeof(what),
				    (const char *[]){"restore sysctl ", op->sysctl.key, " in ",
						     ns_name(p, op->ns)},
				    4);
			break;
		case OT_OP_NFT:
			ot_str_join(what, sizeof(what),
				    (const char *[]){"delete nft table inet ", op->nft.table,
						     " in ", ns_name(p, op->ns)},
				    4);
			break;
		case OT_OP_CGROUP:
			ot_str_join(what, sizeof(what),
				    (const char *[]){"remove cgroup ", op->cgroup.path}, 2);
			break;
		case OT_OP_QDISC: /* never undone: only in our namespaces */
		default:
			*put_u64(num, td[i]) = '\0';
			ot_str_join(what, sizeof(what), (const char *[]){"undo op ", num}, 2);
			break;
		}
		item(w);
		str(w, what);
	}
	free(td);
	close_(w, ']');
}

/* One entry of the node list. Every plan lists every node (a 1,000-node
 * cluster's plans hold a million entries), so the compact form of the usual
 * entry, a plain name and an IPv4 underlay, is written in one piece. */
static void w_node(struct jw *w, const struct ot_plan_node *nd)
{
	size_t n = nd->name ? strlen(nd->name) : 0, k;
	char *o;

	if (!w->pretty && n && n <= JW_CHUNK && nd->underlay.family == AF_INET) {
		for (k = 0; k < n && plain[(unsigned char)nd->name[k]]; k++)
			;
		if (k == n) {
			need(w, n + 48);
			o = w->o;
			if (!w->first[w->depth])
				*o++ = ',';
			w->first[w->depth] = false;
			memcpy(o, "{\"name\":\"", 9);
			memcpy(o + 9, nd->name, n);
			o += 9 + n;
			memcpy(o, "\",\"underlay\":\"", 14);
			o = put_ipv4(o + 14, &nd->underlay);
			memcpy(o, "\"}", 2);
			w->o = o + 2;
			return;
		}
	}
	item(w);
	open_(w, '{');
	m_str(w, K("name"), nd->name);
	m_addr(w, K("underlay"), &nd->underlay);
	close_(w, '}');
}

/* The quoted name of every namespace, by index, for m_ns(). */
static void ns_table(struct jw *w, const struct ot_plan *p)
{
	struct ot_strbuf t = OT_STRBUF_INIT;
	size_t i;

	w->nns = 0;
	w->nsoff = malloc((p->nns + 1) * sizeof(*w->nsoff));
	if (!w->nsoff) {
		w->oom = true;
		return;
	}
	for (i = 0; i < p->nns; i++) {
		const char *name = ns_name(p, (int)i);

		w->nsoff[i] = t.len;
		if (name && *name && !escape(&t, name, strlen(name)))
			w->bad = true;
	}
	w->nsoff[p->nns] = t.len;
	if (ot_sb_reserve(&t, JW_NS_PAD))
		memset(t.buf + t.len, 0, JW_NS_PAD);
	if (t.oom) {
		ot_sb_free(&t);
		w->oom = true;
		return;
	}
	w->nsq = t.buf;
	w->nns = p->nns;
}

static int write_plan(struct jw *wp, const struct ot_plan *p);

int ot_plan_json_write(const struct ot_plan *p, int pretty, int depth, struct ot_strbuf *sb)
{
	struct jw *w;
	bool oom;
	size_t k;
	int rc;

	if (depth < 0 || depth > 4)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->sb = sb;
	w->pretty = pretty != 0;
	w->depth = depth;
	w->esc = (struct ot_strbuf)OT_STRBUF_INIT;
	for (k = 0; k < OT_OP__COUNT; k++) {
		const char *name = ot_op_kind_name((enum ot_op_kind)k);
		size_t n = strlen(name);

		w->opq[k][0] = '"';
		memcpy(w->opq[k] + 1, name, n); /* names are short and plain */
		w->opq[k][n + 1] = '"';
		w->opqlen[k] = (uint8_t)(n + 2);
	}
	w->o = ot_sb_reserve(sb, JW_GROW);
	if (w->o) {
		w->lim = sb->buf + sb->cap - 1;
	} else {
		w->oom = true;
		w->o = w->scratch;
		w->lim = w->scratch + sizeof(w->scratch);
	}
	ns_table(w, p);
	rc = write_plan(w, p);
	if (!w->oom) {
		sb->len = (size_t)(w->o - sb->buf);
		sb->buf[sb->len] = '\0';
	}
	oom = w->oom || w->esc.oom;
	ot_sb_free(&w->esc);
	free(w->nsq);
	free(w->nsoff);
	free(w);
	if (rc < 0)
		return rc;
	return oom ? -ENOMEM : 0;
}

static int write_plan(struct jw *wp, const struct ot_plan *p)
{
#define w (*wp)
	size_t i;
	int depth = w.depth;

	w.first[depth] = true;
	open_(&w, '{');
	m_str(&w, K("instance"), p->instance);
	key(&w, K("namespaces"));
	open_(&w, '[');
	for (i = 1; i < p->nns; i++) {
		item(&w);
		w_ns(&w, &p->ns[i]);
	}
	close_(&w, ']');
	m_str(&w, K("node"), p->node);
	m_int(&w, K("node_index"), p->node_index);
	key(&w, K("nodes"));
	open_(&w, '[');
	for (i = 0; i < p->nnodes; i++)
		w_node(&w, &p->nodes[i]);
	close_(&w, ']');
	key(&w, K("ops"));
	open_(&w, '[');
	for (i = 0; i < p->nops; i++) {
		item(&w);
		w_op(&w, &p->ops[i]);
	}
	close_(&w, ']');
	m_str(&w, K("prefix"), p->prefix);
	key(&w, K("probes"));
	open_(&w, '[');
	for (i = 0; i < p->nprobes; i++) {
		const struct ot_probe *pr = &p->probes[i];

		item(&w);
		open_(&w, '{');
		m_addr(&w, K("address"), &pr->to_addr);
		m_enum(&w, K("expect"), ot_expect_names, pr->expect);
		m_str(&w, K("from"), p->ns[pr->from_ns].container);
		m_str(&w, K("to"), pr->to_container);
		m_memo(&w, K("to_node"), pr->to_node);
		m_memo(&w, K("why"), pr->why);
		close_(&w, '}');
	}
	close_(&w, ']');
	m_str(&w, K("schema"), OT_PLAN_SCHEMA);
	m_str(&w, K("source_digest"), p->source_digest);
	m_str(&w, K("state_dir"), p->state_dir);
	w_teardown(&w, p);
	m_str(&w, K("topology"), p->topology);
	if (p->underlay.family || p->underlay_mtu) {
		key(&w, K("underlay"));
		open_(&w, '{');
		m_addr(&w, K("address"), &p->underlay);
		m_int(&w, K("mtu"), p->underlay_mtu);
		close_(&w, '}');
	}
	close_(&w, '}');
	return w.bad ? -EINVAL : 0;
#undef w
}
