/*
 * test_error.c - the error contract of src/util/error.h: every function
 * returns the failure it records, with or without an error object, so a
 * failure never reads as success.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "util/error.h"

/* The idiom of the executor's undo steps (src/exec/undo.c). */
static int delete_thing(int e, struct ot_error *err)
{
	if (e < 0)
		ot_error_set(err, e, "kernel said no");
	return e < 0 ? ot_error_prefix(err, e, "delete '%s'", "thing") : 0;
}

Test(error, set_and_sys_return_code_without_err)
{
	cr_assert_eq(ot_error_set(NULL, -ENOENT, "x %d", 1), -ENOENT);
	cr_assert_eq(ot_error_sys(NULL, -EPERM, "x"), -EPERM);
}

Test(error, prefix_without_err_returns_the_failure)
{
	cr_assert_eq(ot_error_prefix(NULL, -ENOENT, "ctx"), -ENOENT);
	cr_assert_eq(ot_error_prefix(NULL, -EEXIST, "ctx %s", "a"), -EEXIST);
	/* the undo idiom: a failure with err == NULL stays a failure */
	cr_assert_eq(delete_thing(-EBUSY, NULL), -EBUSY);
	cr_assert_eq(delete_thing(0, NULL), 0);
}

Test(error, prefix_with_err_prepends_and_records_code)
{
	struct ot_error e = {0};

	cr_assert_eq(ot_error_sys(&e, -ENOENT, "open '%s'", "f"), -ENOENT);
	cr_assert_str_eq(e.msg, "open 'f': No such file or directory");
	cr_assert_eq(ot_error_prefix(&e, -ENOENT, "n1"), -ENOENT);
	cr_assert_str_eq(e.msg, "n1: open 'f': No such file or directory");
	cr_assert_eq(e.code, -ENOENT);
	/* the caller may refine the code while it adds context */
	cr_assert_eq(ot_error_prefix(&e, -EADDRINUSE, "vni"), -EADDRINUSE);
	cr_assert_eq(e.code, -EADDRINUSE);
	cr_assert_str_eq(e.msg, "vni: n1: open 'f': No such file or directory");
	cr_assert_eq(delete_thing(-EBUSY, &e), -EBUSY);
	cr_assert_str_eq(e.msg, "delete 'thing': kernel said no");
	cr_assert_eq(e.code, -EBUSY);
}

Test(error, prefix_of_no_failure_is_a_failure)
{
	struct ot_error e = {0};

	/* nothing recorded and code 0: still never success */
	cr_assert_eq(ot_error_prefix(NULL, 0, "ctx"), -EIO);
	cr_assert_eq(ot_error_prefix(&e, 0, "ctx"), -EIO);
	cr_assert_eq(e.code, -EIO);
	cr_assert_eq(ot_error_prefix(&e, 5, "ctx"), -EIO);
}

Test(error, prefix_truncates_and_terminates)
{
	struct ot_error e = {0};
	char big[3 * OT_ERROR_MAX];
	int i;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ot_error_set(&e, -EINVAL, "%s", big);
	cr_assert_eq(strlen(e.msg), OT_ERROR_MAX - 1);
	for (i = 0; i < 10; i++)
		cr_assert_eq(ot_error_prefix(&e, -EINVAL, "level%d", i), -EINVAL);
	cr_assert_lt(strlen(e.msg), OT_ERROR_MAX);
	cr_assert_eq(strncmp(e.msg, "level9: level8: ", 16), 0, "%.40s", e.msg);
}

Test(error, clear_forgets_and_accepts_null)
{
	struct ot_error e = {0};

	ot_error_set(&e, -EINVAL, "bad");
	ot_error_clear(&e);
	cr_assert_eq(e.code, 0);
	cr_assert_str_eq(e.msg, "");
	ot_error_clear(NULL);
}
