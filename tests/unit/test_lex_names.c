/*
 * test_lex_names.c - name rules and helpers of the front end: identifier
 * and kernel-name checks, edit distance and suggestions, natural order.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "lang/names.h"

static const char *problem(const char *s)
{
	return ot_name_problem(s, strlen(s), 63);
}

Test(names, language_names)
{
	cr_assert_null(problem("web"));
	cr_assert_null(problem("_x-1_y"));
	cr_assert_null(problem("a12345678901234567890123456789012345678901234567890123456789012"),
		       "63 bytes fit");
	cr_assert_str_eq(problem(""), "is empty");
	cr_assert_str_eq(problem("1a"), "starts with a digit");
	cr_assert_str_eq(problem("-a"), "starts with '-'");
	cr_assert(strstr(problem("a.b"), "contains '.'"));
	cr_assert(strstr(problem("a/b"), "contains '/'"));
	cr_assert(strstr(problem("caf\xc3\xa9"), "non-ASCII"));
	cr_assert(strstr(problem("a b"), "other than"));
	cr_assert_str_eq(
	    problem("a123456789012345678901234567890123456789012345678901234567890123"),
	    "is longer than 63 bytes");
	cr_assert(ot_name_is_var("i_2", 3));
	cr_assert(!ot_name_is_var("i-2", 3), "'-' would make i-1 a name");
	cr_assert(!ot_name_is_var("2i", 2));
	cr_assert(!ot_name_is_var("", 0));
}

Test(names, kernel_interface_names)
{
	cr_assert_null(ot_ifname_problem("eth0"));
	cr_assert_null(ot_ifname_problem("enp0s31f6.100"));
	cr_assert_null(ot_ifname_problem("a23456789012345"), "15 bytes fit");
	cr_assert_not_null(ot_ifname_problem("a234567890123456"));
	cr_assert_not_null(ot_ifname_problem(""));
	cr_assert_not_null(ot_ifname_problem("."));
	cr_assert_not_null(ot_ifname_problem(".."));
	cr_assert_not_null(ot_ifname_problem("a/b"));
	cr_assert_not_null(ot_ifname_problem("a:b"));
	cr_assert_not_null(ot_ifname_problem("a b"));
}

Test(names, edit_distance)
{
	cr_assert_eq(ot_edit_distance("network", "network", 3), 0);
	cr_assert_eq(ot_edit_distance("netwrok", "network", 3), 1, "a transposition is one edit");
	cr_assert_eq(ot_edit_distance("lna", "lan", 3), 1);
	cr_assert_eq(ot_edit_distance("mut", "mtu", 3), 1);
	cr_assert_eq(ot_edit_distance("contianer", "container", 3), 1);
	cr_assert_eq(ot_edit_distance("eth0", "eth10", 3), 1);
	cr_assert_eq(ot_edit_distance("kitten", "sitting", 3), 3);
	cr_assert_eq(ot_edit_distance("kitten", "sitting", 2), 3, "max + 1 past the bound");
	cr_assert_eq(ot_edit_distance("a", "abcdef", 2), 3, "length difference alone");
}

Test(names, suggestions)
{
	struct ot_suggest sg;

	ot_suggest_init(&sg, "lna");
	ot_suggest_add(&sg, "wan");
	ot_suggest_add(&sg, "lan");
	ot_suggest_add(&sg, "lna"); /* the word itself is never suggested */
	cr_assert_str_eq(ot_suggest_best(&sg), "lan");
	ot_suggest_init(&sg, "xyz");
	ot_suggest_add(&sg, "lan");
	cr_assert_null(ot_suggest_best(&sg), "not a plausible typo");
	ot_suggest_init(&sg, "q");
	ot_suggest_add(&sg, "a");
	cr_assert_null(ot_suggest_best(&sg), "one-letter words get no suggestion");
	ot_suggest_init(&sg, "netwrk");
	ot_suggest_add(&sg, "network");
	ot_suggest_add(&sg, "nat");
	cr_assert_str_eq(ot_suggest_best(&sg), "network");
}

static int cmp(const void *a, const void *b)
{
	return ot_natural_cmp(*(const char *const *)a, *(const char *const *)b);
}

Test(names, natural_order)
{
	const char *v[] = {"node10",
			   "node2",
			   "n01",
			   "node1",
			   "n1",
			   "a",
			   "node",
			   "node02",
			   "b2c10",
			   "b2c9",
			   "node100000000000000000000"};
	const char *want[] = {"a",
			      "b2c9",
			      "b2c10",
			      "n01",
			      "n1",
			      "node",
			      "node1",
			      "node02",
			      "node2",
			      "node10",
			      "node100000000000000000000"};
	size_t i;

	qsort(v, sizeof(v) / sizeof(v[0]), sizeof(v[0]), cmp);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		cr_assert_str_eq(v[i], want[i], "position %zu", i);
	cr_assert_eq(ot_natural_cmp("n1", "n1"), 0);
	cr_assert_lt(ot_natural_cmp("n01", "n1"), 0, "equal numbers: bytewise, so total");
	cr_assert_gt(ot_natural_cmp("n1", "n01"), 0);
}
