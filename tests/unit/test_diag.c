/*
 * test_diag.c - diagnostics: recording, sorting, rendering with carets.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "lang/diag.h"

Test(diag, render_caret_hint_note)
{
	struct ot_diags d;
	struct ot_strbuf sb = OT_STRBUF_INIT;
	const char *src = "network lan {\n    subnet 10.0.0.0/24\n}\ncontainer a on n1 {\n"
			  "    iface eth0 on lan address 10.1.0.5/24\n}\n";
	const char *f;
	struct ot_diag *g;
	struct ot_loc loc, note;

	ot_diags_init(&d);
	f = ot_diags_add_source(&d, "t.otp", src, strlen(src));
	loc = (struct ot_loc){f, 5, 31, 11};
	note = (struct ot_loc){f, 1, 9, 3};
	g = ot_diag_error(&d, loc, "address %s is outside subnet %s", "10.1.0.5/24", "10.0.0.0/24");
	ot_diag_hint(g, "use an address in 10.0.0.0/24");
	ot_diag_note(g, note, "network 'lan' is defined here");
	ot_diag_warning(&d, (struct ot_loc){f, 2, 5, 6}, "unused");
	ot_diags_sort(&d);
	cr_assert_eq(d.errors, 1);
	cr_assert_eq(d.warnings, 1);
	cr_assert_eq(d.v[0].level, OT_DIAG_WARNING, "sorted by line");
	ot_diags_render(&d, &sb, false);
	cr_assert(strstr(ot_sb_str(&sb), "t.otp:5:31: error: address 10.1.0.5/24 is outside"));
	cr_assert(strstr(ot_sb_str(&sb), "     5 |     iface eth0 on lan address 10.1.0.5/24\n"
					 "       |                               ^~~~~~~~~~~\n"));
	cr_assert(strstr(ot_sb_str(&sb), "hint: use an address in 10.0.0.0/24\n"));
	cr_assert(strstr(ot_sb_str(&sb), "t.otp:1:9: note: network 'lan' is defined here\n"));
	cr_assert(strstr(ot_sb_str(&sb), "1 error, 1 warning\n"));
	ot_sb_free(&sb);
	ot_diags_free(&d);
}

Test(diag, limit_drops_but_counts)
{
	struct ot_diags d;
	struct ot_loc loc = {NULL, 1, 1, 1};
	int i;

	ot_diags_init(&d);
	d.max_errors = 3;
	for (i = 0; i < 10; i++)
		ot_diag_error(&d, loc, "e%d", i);
	cr_assert_eq(d.errors, 10);
	cr_assert_eq(d.n, 3);
	cr_assert_eq(d.dropped, 7);
	ot_diags_free(&d);
}

Test(diag, stable_sort)
{
	struct ot_diags d;
	const char *f;
	int i;

	ot_diags_init(&d);
	f = ot_diags_add_source(&d, "x", "a\nb\n", 4);
	for (i = 0; i < 20; i++)
		ot_diag_error(&d, (struct ot_loc){f, (uint32_t)(i % 2 + 1), 1, 1}, "%d", i);
	ot_diags_sort(&d);
	for (i = 0; i < 10; i++)
		cr_assert_eq(atoi(d.v[i].msg), i * 2);
	for (i = 0; i < 10; i++)
		cr_assert_eq(atoi(d.v[10 + i].msg), i * 2 + 1);
	ot_diags_free(&d);
}

/* A 1 MB line: the excerpt is cut around the caret (bounded output per
 * diagnostic), marked "...", with the caret under the culprit. */
Test(diag, long_line_cut_around_caret)
{
	struct ot_diags d;
	struct ot_strbuf sb = OT_STRBUF_INIT;
	size_t n = 1u << 20, at = 500000;
	char *src = malloc(n + 1);
	const char *f, *s, *l1, *l2;
	struct ot_loc loc;

	cr_assert_not_null(src);
	memset(src, 'a', n);
	memcpy(src + at, "BAD", 3);
	src[n] = '\0';
	ot_diags_init(&d);
	f = ot_diags_add_source(&d, "t.otp", src, n);
	loc = (struct ot_loc){f, 1, (uint32_t)at + 1, 3};
	ot_diag_error(&d, loc, "bad word");
	ot_diags_render(&d, &sb, false);
	s = ot_sb_str(&sb);
	cr_assert_lt(strlen(s), 600, "printed %zu bytes", strlen(s));
	l1 = strstr(s, "     1 | ...");
	cr_assert_not_null(l1, "%s", s);
	cr_assert_not_null(strstr(l1, "aaa..."), "%s", s);
	l2 = strstr(l1, "\n       | ");
	cr_assert_not_null(l2);
	/* the caret under 'B': same column in the excerpt line and the caret line */
	cr_assert_eq(strchr(l1, 'B') - l1, strchr(l2 + 1, '^') - (l2 + 1), "%s", s);
	cr_assert_not_null(strstr(l2, "^~~\n"), "%s", s);
	ot_sb_free(&sb);
	ot_diags_free(&d);
	free(src);
}
