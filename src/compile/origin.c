/*
 * origin.c - the "file.otp:12" strings the plans carry (operation origins,
 * nft rule comments), shared by the lowering of links (compile.c) and of
 * firewalls (firewall.c). A leaf of the back end: it calls nothing else of
 * it, so compile.c -> firewall.c -> origin.c has no way back (contract in
 * cc.h).
 */
#include "compile/cc.h"

#include <string.h>

/* Decimal digits of v into buf (no NUL); their count. */
static size_t utoa(uint32_t v, char *buf)
{
	char t[10];
	size_t n = 0, i;

	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (i = 0; i < n; i++)
		buf[i] = t[n - 1 - i];
	return n;
}

const char *cc_origin(struct cc *c, struct ot_plan *p, const struct ot_loc *loc)
{
	struct cc_origin_slot *slot;
	const char *f, *slash;
	size_t fl, n;
	char *s;

	if (!loc->file || !loc->line)
		return NULL;
	/* one string per source line and plan: a loop's body lines are shared by
	 * every container it makes. lower_node() empties the cache for each new
	 * plan: comparing plan pointers alone is not enough, a streamed plan is
	 * freed by the sink and the next one is often allocated at the same
	 * address (the cache then handed out strings of the freed arena). */
	if (c->origin_plan != p) {
		memset(c->origin_cache, 0, sizeof(c->origin_cache));
		c->origin_plan = p;
	}
	slot = &c->origin_cache[(loc->line ^ ((uintptr_t)loc->file >> 4)) % CC_ORIGIN_CACHE];
	if (slot->file == loc->file && slot->line == loc->line)
		return slot->text;
	slash = strrchr(loc->file, '/');
	f = slash ? slash + 1 : loc->file;
	fl = strlen(f);
	s = ot_arena_alloc(&p->arena, fl + 12);
	if (!s)
		return NULL;
	memcpy(s, f, fl);
	s[fl] = ':';
	n = utoa(loc->line, s + fl + 1);
	s[fl + 1 + n] = '\0';
	*slot = (struct cc_origin_slot){loc->file, loc->line, s};
	return s;
}
