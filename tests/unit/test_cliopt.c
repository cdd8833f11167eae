/*
 * test_cliopt.c - the command-line conventions of src/cli/cliopt.c that
 * tests/cli/run cannot reach from outside: every duration form and bound,
 * one action per run, and the messages of getopt errors (stderr captured).
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cliopt.h"

Test(cliopt, durations_with_and_without_units)
{
	unsigned ms = 0;

	cr_assert_eq(ot_cli_duration_ms("120", 1000, 1000, 86400000, &ms), 0);
	cr_assert_eq(ms, 120000, "a bare number is in the option's own unit");
	cr_assert_eq(ot_cli_duration_ms("500", 1, 1, 60000, &ms), 0);
	cr_assert_eq(ms, 500);
	cr_assert_eq(ot_cli_duration_ms("500ms", 1000, 1, 60000, &ms), 0);
	cr_assert_eq(ms, 500);
	cr_assert_eq(ot_cli_duration_ms("2s", 1, 1, 60000, &ms), 0);
	cr_assert_eq(ms, 2000);
	cr_assert_eq(ot_cli_duration_ms("5m", 1000, 1000, 86400000, &ms), 0);
	cr_assert_eq(ms, 300000);
	cr_assert_eq(ot_cli_duration_ms("24h", 1000, 1000, 86400000, &ms), 0);
	cr_assert_eq(ms, 86400000);
}

Test(cliopt, durations_refused)
{
	static const char *const bad[] = {"",	       "s",   "-1",  "+1",
					  " 1",	       "1 s", "1x",  "1.5s",
					  "1sec",      "0",   "25h", "99999999999999999999",
					  "4294967296"};
	unsigned ms = 7;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(ot_cli_duration_ms(bad[i], 1000, 1000, 86400000, &ms), -EINVAL, "'%s'",
			     bad[i]);
	cr_assert_eq(ot_cli_duration_ms("999ms", 1000, 1000, 86400000, &ms), -EINVAL,
		     "under the minimum");
	cr_assert_eq(ot_cli_duration_ms(NULL, 1000, 1000, 86400000, &ms), -EINVAL);
	cr_assert_eq(ms, 7, "the output is untouched on failure");
}

Test(cliopt, one_action_per_run, .init = cr_redirect_stderr)
{
	const char *cur = NULL;

	cr_assert_eq(ot_cli_action("otdeploy", &cur, "--destroy"), 0);
	cr_assert_eq(ot_cli_action("otdeploy", &cur, "--destroy"), 0, "the same one twice");
	cr_assert_eq(ot_cli_action("otdeploy", &cur, "--status"), -EINVAL);
	cr_assert_str_eq(cur, "--destroy");
	fflush(stderr);
	cr_assert_stderr_eq_str("otdeploy: --destroy and --status are two actions; give one\n");
}

static const struct option opts[] = {
    {"json", no_argument, NULL, 'J'},
    {"verify", no_argument, NULL, 'y'},
    {"verbose", no_argument, NULL, 'v'},
    {"node", required_argument, NULL, 'N'},
    {NULL, 0, NULL, 0},
};

/* getopt_long over argv until an error; its report on stderr. */
static void parse(int argc, char **argv)
{
	int r;

	opterr = 0;
	optind = 0; /* a full reset of GNU getopt between runs */
	while ((r = getopt_long(argc, argv, ":vN:", opts, NULL)) != -1)
		if (r == '?' || r == ':') {
			ot_cli_getopt_error("prog", r, argv, opts);
			break;
		}
	fflush(stderr);
}

Test(cliopt, unknown_long_option_suggests, .init = cr_redirect_stderr)
{
	char *argv[] = {"prog", "--jsno", "x", NULL};

	parse(3, argv);
	cr_assert_stderr_eq_str("prog: unknown option '--jsno' (did you mean '--json'?)\n");
}

Test(cliopt, unknown_long_option_far_from_all, .init = cr_redirect_stderr)
{
	char *argv[] = {"prog", "--zzzzzz=1", NULL};

	parse(2, argv);
	cr_assert_stderr_eq_str("prog: unknown option '--zzzzzz'\n");
}

Test(cliopt, ambiguous_abbreviation_lists_all, .init = cr_redirect_stderr)
{
	char *argv[] = {"prog", "--ver", NULL};

	parse(2, argv);
	cr_assert_stderr_eq_str("prog: option '--ver' is ambiguous: --verify, --verbose\n");
}

Test(cliopt, value_given_and_value_missing, .init = cr_redirect_stderr)
{
	char *a1[] = {"prog", "--json=yes", NULL};
	char *a2[] = {"prog", "--node", NULL};
	char *a3[] = {"prog", "-N", NULL};

	parse(2, a1);
	parse(2, a2);
	parse(2, a3);
	cr_assert_stderr_eq_str("prog: option '--json' takes no value ('--json=yes')\n"
				"prog: option '--node' needs a value\n"
				"prog: option '-N' needs a value\n");
}

Test(cliopt, unknown_letter_and_one_dash_long, .init = cr_redirect_stderr)
{
	char *a1[] = {"prog", "-x", NULL};
	char *a2[] = {"prog", "-json", NULL};

	parse(2, a1);
	parse(2, a2);
	cr_assert_stderr_eq_str("prog: unknown option '-x'\n"
				"prog: unknown option '-j' (did you mean '--json'?)\n");
}

Test(cliopt, single_dash_scan, .init = cr_redirect_stderr)
{
	char *a1[] = {"prog", "-N", "n1", "-verify", NULL};
	char *a2[] = {"prog", "-N", "n1", "--", "-verify", NULL};
	char *a3[] = {"prog", "-vN", "n1", NULL};

	cr_assert_eq(ot_cli_single_dash("prog", 4, a1, opts), -EINVAL);
	cr_assert_eq(ot_cli_single_dash("prog", 5, a2, opts), 0, "after --: an operand");
	cr_assert_eq(ot_cli_single_dash("prog", 3, a3, opts), 0, "a cluster of letters");
	fflush(stderr);
	cr_assert_stderr_eq_str("prog: unknown option '-verify' (did you mean '--verify'?)\n");
}

Test(cliopt, unknown_command_suggests, .init = cr_redirect_stderr)
{
	static const char *const names[] = {"check", "plan", "graph"};

	ot_cli_unknown_command("otc", "plna", names, 3, " (try `otc help`)");
	ot_cli_unknown_command("otc", "zzzz", names, 3, "");
	fflush(stderr);
	cr_assert_stderr_eq_str(
	    "otc: unknown command 'plna' (did you mean 'plan'?) (try `otc help`)\n"
	    "otc: unknown command 'zzzz'\n");
}
