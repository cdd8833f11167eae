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
