/*
 * names.c - name rules and helpers (contract in names.h).
 */
#include "lang/names.h"

#include <string.h>

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

const char *ot_name_problem(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0)
		return "is empty";
	if (len > max)
		return max == 63 ? "is longer than 63 bytes" : "is too long";
	if (is_digit((unsigned char)s[0]))
		return "starts with a digit";
	if (s[0] == '-')
		return "starts with '-'";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_alpha(c) || is_digit(c) || (c == '-' && i > 0))
			continue;
		if (c == '.')
			return "contains '.' (names become file names: use letters, digits, '_' "
			       "and '-')";
		if (c == '/')
			return "contains '/' (names become file names: use letters, digits, '_' "
			       "and '-')";
		if (c >= 0x80)
			return "contains a non-ASCII byte (use letters, digits, '_' and '-')";
		return "contains a character other than letters, digits, '_' and '-'";
	}
	return NULL;
}

bool ot_name_is_var(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !is_alpha((unsigned char)s[0]))
		return false;
	for (i = 1; i < len; i++)
		if (!is_alpha((unsigned char)s[i]) && !is_digit((unsigned char)s[i]))
			return false;
	return true;
}

const char *ot_ifname_problem(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0)
		return "is empty";
	if (len > 15)
		return "is longer than 15 bytes (the kernel's IFNAMSIZ)";
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return "is not a valid interface name";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
			return "contains a character the kernel refuses in interface names";
	}
	return NULL;
}

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

int ot_natural_cmp(const char *a, const char *b)
{
	const char *pa = a, *pb = b;

	while (*pa && *pb) {
		if (is_digit((unsigned char)*pa) && is_digit((unsigned char)*pb)) {
			const char *ea, *eb;
			size_t na, nb;
			int c;

			while (*pa == '0' && is_digit((unsigned char)pa[1]))
				pa++;
			while (*pb == '0' && is_digit((unsigned char)pb[1]))
				pb++;
			for (ea = pa; is_digit((unsigned char)*ea); ea++)
				;
			for (eb = pb; is_digit((unsigned char)*eb); eb++)
				;
			na = (size_t)(ea - pa);
			nb = (size_t)(eb - pb);
			if (na != nb)
				return na < nb ? -1 : 1;
			c = memcmp(pa, pb, na);
			if (c)
				return c < 0 ? -1 : 1;
			pa = ea;
			pb = eb;
			continue;
		}
		if (*pa != *pb)
			return (unsigned char)*pa < (unsigned char)*pb ? -1 : 1;
		pa++;
		pb++;
	}
	if (*pa || *pb)
		return *pa ? 1 : -1;
	/* equal under the natural order ("n01" vs "n1"): fall back to bytes */
	return strcmp(a, b) < 0 ? -1 : strcmp(a, b) > 0;
}
