/*
 * suggest.c - edit distance and the closest-candidate collector behind
 * every "did you mean" (contract in suggest.h). Hand-written: a few lines
 * of dynamic programming on short words, no library offers it.
 */
#include "util/suggest.h"

#include <string.h>

unsigned ot_edit_distance(const char *a, const char *b, unsigned max)
{
	/* Optimal string alignment: insertions, deletions, substitutions and
	 * transpositions of neighbours ("lna" -> "lan") each cost one. */
	size_t la = strlen(a), lb = strlen(b), i, j;
	unsigned rows[3][64], *pp, *p, *c, best;

	if (la > 63 || lb > 63)
		return max + 1;
	if ((la > lb ? la - lb : lb - la) > max)
		return max + 1;
	pp = rows[0];
	p = rows[1];
	c = rows[2];
	for (j = 0; j <= lb; j++)
		p[j] = (unsigned)j;
	for (i = 1; i <= la; i++) {
		c[0] = (unsigned)i;
		best = c[0];
		for (j = 1; j <= lb; j++) {
			unsigned v = p[j - 1] + (a[i - 1] != b[j - 1]);

			if (p[j] + 1 < v)
				v = p[j] + 1;
			if (c[j - 1] + 1 < v)
				v = c[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			c[j] = v;
			if (v < best)
				best = v;
		}
		if (best > max)
			return max + 1;
		/* rotate: the current row becomes the previous one */
		{
			unsigned *t = pp;

			pp = p;
			p = c;
			c = t;
		}
	}
	return p[lb] > max ? max + 1 : p[lb];
}

void ot_suggest_init(struct ot_suggest *s, const char *word)
{
	size_t len = strlen(word);

	s->word = word;
	s->best = NULL;
	/* one typo per three letters, at least one, never a whole word */
	s->max = len < 3 ? 1 : (unsigned)(len / 3 > 3 ? 3 : len / 3);
	if (len <= 1)
		s->max = 0;
	s->dist = s->max + 1;
}

void ot_suggest_add(struct ot_suggest *s, const char *candidate)
{
	unsigned d;

	if (!candidate || s->max == 0 || strcmp(candidate, s->word) == 0)
		return;
	d = ot_edit_distance(s->word, candidate, s->max);
	if (d < s->dist || (d == s->dist && s->best && strcmp(candidate, s->best) < 0)) {
		s->dist = d;
		s->best = candidate;
	}
}

const char *ot_suggest_best(const struct ot_suggest *s)
{
	return s->dist <= s->max ? s->best : NULL;
}
