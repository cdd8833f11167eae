/*
 * path.c - the text rules for a directory OpenTop creates on a host
 * (contract in path.h). Hand-written: a dozen lines of character classes,
 * no library states this policy.
 */
#include "util/path.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool component_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' || c == '+';
}

const char *ot_dir_problem(const char *dir, char *buf, size_t size)
{
	const char *p, *start;
	size_t n = strlen(dir);

	if (n == 0 || dir[0] != '/')
		return "is not an absolute path";
	if (n > OT_DIR_TEXT_MAX)
		return "is longer than 256 bytes";
	if (n == 1)
		return "is '/' itself";
	for (p = dir + 1;;) {
		start = p;
		while (*p && *p != '/') {
			if (!component_char(*p)) {
				snprintf(
				    buf, size,
				    "contains '%c' (use letters, digits and ._+- in components)",
				    isprint((unsigned char)*p) ? *p : '?');
				return buf;
			}
			p++;
		}
		if (p == start)
			return "has an empty component ('//' or a trailing '/')";
		if ((p - start == 1 && start[0] == '.') ||
		    (p - start == 2 && start[0] == '.' && start[1] == '.'))
			return "has a '.' or '..' component";
		if (!*p)
			return NULL;
		p++;
	}
}
