/*
 * test_journal.c - the node journal: written records read back with their
 * outcomes, encoding of awkward values, a record torn by a crash ignored,
 * a second create refused, the lock, and malformed journals refused with the
 * line named.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/journal.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/otx-journal-%d", (int)getpid());
}

static void teardown(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/journal", dir);
	unlink(path);
	rmdir(dir);
}

TestSuite(journal, .init = setup, .fini = teardown);

Test(journal, write_read_outcomes)
{
	struct ot_journal *j = NULL, *j2 = NULL;
	struct ot_journal_image *im = NULL;
	struct ot_error err = {0};
	struct ot_jrec a = {.kind = OT_J_NETNS, .a = "demo.n1.web", .b = "container"};
	struct ot_jrec b = {
	    .kind = OT_J_LINK, .a = "", .b = "up0", .c = "web uplink %x~", .d = "268435457"};
	struct ot_jrec c = {.kind = OT_J_SYSCTL, .a = "", .b = "net/ipv4/ip_forward", .c = ""};
	struct ot_jrec d = {.kind = OT_J_NFT, .a = "", .b = "opentop", .c = "opentop demo.n1"};

	cr_assert_eq(ot_journal_create(dir, "demo.n1", "demo", "n1", "abc", false, &j, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(ot_journal_begin(j, &a, &err), 0);
	cr_assert_eq(a.id, 1);
	cr_assert_eq(ot_journal_done(j, a.id, &err), 0);
	cr_assert_eq(ot_journal_begin(j, &b, &err), 0);
	cr_assert_eq(ot_journal_fail(j, b.id, -EEXIST, &err), 0);
	cr_assert_eq(ot_journal_begin(j, &c, &err), 0);
	cr_assert_eq(ot_journal_begin(j, &d, &err), 0);
	cr_assert_eq(ot_journal_done(j, d.id, &err), 0);

	/* a second create sees the journal: "already created" */
	cr_assert_eq(ot_journal_create(dir, "demo.n1", "demo", "n1", "abc", false, &j2, &err),
		     -EEXIST);
	cr_assert(strstr(err.msg, "already created"));
	/* the writer holds the lock */
	cr_assert_eq(ot_journal_read(dir, true, &im, &err), -EBUSY);
	cr_assert_eq(ot_journal_read(dir, false, &im, &err), 0, "%s", err.msg);
	cr_assert_str_eq(im->prefix, "demo.n1");
	cr_assert_str_eq(im->instance, "demo");
	cr_assert_str_eq(im->node, "n1");
	cr_assert_str_eq(im->digest, "abc");
	cr_assert_not(im->complete);
	cr_assert_eq(im->nrecs, 4);
	cr_assert_eq(im->recs[0].state, OT_J_DONE);
	cr_assert_str_eq(im->recs[0].a, "demo.n1.web");
	cr_assert_str_eq(im->recs[0].b, "container");
	cr_assert_eq(im->recs[1].state, OT_J_FAILED);
	cr_assert_eq(im->recs[1].code, -EEXIST);
	cr_assert_str_eq(im->recs[1].c, "web uplink %x~", "spaces, %% and ~ survive");
	cr_assert_str_eq(im->recs[1].d, "268435457");
	cr_assert_eq(im->recs[2].state, OT_J_BEGUN, "no outcome: may exist");
	cr_assert_str_eq(im->recs[2].c, "", "empty old value");
	cr_assert_eq(im->recs[3].kind, OT_J_NFT);
	ot_journal_image_free(im);

	cr_assert_eq(ot_journal_complete(j, &err), 0);
	ot_journal_close(j);
	cr_assert_eq(ot_journal_read(dir, true, &im, &err), 0, "%s", err.msg);
	cr_assert(im->complete);
	cr_assert_geq(im->lock_fd, 0);
	ot_journal_image_free(im);
	cr_assert_eq(ot_journal_remove(dir, &err), 0);
	cr_assert_eq(access(dir, F_OK), -1, "state dir removed");
	cr_assert_eq(ot_journal_read(dir, false, &im, &err), -ENOENT);
}

static int parse(const char *text, struct ot_journal_image **im, struct ot_error *err)
{
	return ot_journal_parse(text, strlen(text), im, err);
}

#define HDR "opentop-journal 1\nH p i n ~\n"

Test(journal, torn_last_record_is_ignored)
{
	struct ot_journal_image *im = NULL;
	struct ot_error err = {0};

	cr_assert_eq(parse(HDR "B 1 netns a container\nD 1\nB 2 netns b cont", &im, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(im->nrecs, 1);
	cr_assert(im->torn);
	ot_journal_image_free(im);
}

static void bad(const char *text, const char *needle)
{
	struct ot_journal_image *im = NULL;
	struct ot_error err = {0};

	cr_assert_eq(parse(text, &im, &err), -EINVAL, "accepted: %s", text);
	cr_assert_null(im);
	cr_assert(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
}

Test(journal, malformed_refused)
{
	bad("opentop-journal 2\nH p i n ~\n", "version 1");
	bad("something else\n", "line 1");
	bad("opentop-journal 1\nB 1 netns a container\n", "before the header");
	bad(HDR "B 1 netns a\n", "line 3: wrong number of fields");
	bad(HDR "B 1 bogus a\n", "unknown record kind");
	bad(HDR "B 2 netns a container\n", "out of order");
	bad(HDR "D 1\n", "unknown record");
	bad(HDR "B 1 netns a%zz container\n", "bad encoding");
	bad(HDR "B 1 netns a%00b container\n", "bad encoding");
	bad(HDR "B 1 netns a container\nX 1 0\n", "bad error code");
	bad(HDR "B 1 netns a b\tc\n", "bad encoding");
	bad(HDR "Q\n", "bad record");
}

Test(journal, create_makes_private_state_dir)
{
	struct ot_journal *j = NULL;
	struct ot_error err = {0};
	struct stat st;

	cr_assert_eq(ot_journal_create(dir, "p", "i", "n", NULL, true, &j, &err), 0, "%s", err.msg);
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	ot_journal_close(j);
}
