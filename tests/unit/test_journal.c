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

	cr_assert_eq(ot_journal_create(dir, "demo.n1", "demo", "n1", "abc", NULL, &j, &err), 0,
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
	cr_assert_eq(ot_journal_create(dir, "demo.n1", "demo", "n1", "abc", NULL, &j2, &err),
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

/* text as the journal of state dir sd, read back */
static int parse_in(const char *sd, const char *text, struct ot_journal_image **im,
		    struct ot_error *err)
{
	char path[300];
	FILE *f;

	mkdir(sd, 0700);
	snprintf(path, sizeof(path), "%s/journal", sd);
	f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	return ot_journal_read(sd, false, im, err);
}

static int parse(const char *text, struct ot_journal_image **im, struct ot_error *err)
{
	return parse_in(dir, text, im, err);
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

/* apply's continuation: a complete journal reopened (its torn tail cut),
 * records appended after "C", one marked undone ("U") */
Test(journal, reopen_appends_and_undone)
{
	struct ot_journal_image *im = NULL, *im2 = NULL;
	struct ot_journal *j = NULL;
	struct ot_error err = {0};
	struct ot_jrec r = {.kind = OT_J_NETNS, .a = "c", .b = "container"};

	cr_assert_eq(parse(HDR "B 1 netns a container\nD 1\nC\nB 2 netns b cont", &im, &err), 0);
	cr_assert_eq(ot_journal_reopen(dir, im, &j, &err), -EINVAL); /* needs its lock */
	ot_journal_image_free(im);
	im = NULL;
	cr_assert_eq(ot_journal_read(dir, true, &im, &err), 0, "%s", err.msg);
	cr_assert(im->torn && im->complete);
	cr_assert_eq(ot_journal_reopen(dir, im, &j, &err), 0, "%s", err.msg);
	cr_assert_eq(ot_journal_begin(j, &r, &err), 0);
	cr_assert_eq(r.id, 2);
	cr_assert_eq(ot_journal_done(j, r.id, &err), 0);
	cr_assert_eq(ot_journal_undone(j, 1, &err), 0);
	ot_journal_close(j);
	cr_assert_eq(ot_journal_read(dir, false, &im2, &err), 0, "%s", err.msg);
	cr_assert_not(im2->torn);
	cr_assert_eq(im2->nrecs, 2);
	cr_assert_eq(im2->recs[0].state, OT_J_UNDONE);
	cr_assert_eq(im2->recs[1].state, OT_J_DONE);
	cr_assert_str_eq(im2->recs[1].a, "c");
	ot_journal_image_free(im2);
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
	bad("opentop-journal 3\nH p i n ~\n", "version 1 or 2");
	bad("opentop-journal 2\nH p i n ~\n", "bad header"); /* a v1 header in v2 */
	bad("opentop-journal 1\nH p i n ~ t 1 u 0 0\n", "bad header");
	bad("opentop-journal 2\nH p i n ~ t -1 u 0 0\n", "bad header numbers");
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

/* version 2 carries who and when; version 1 journals are still read */
Test(journal, header_meta_v2_and_v1)
{
	struct ot_journal_meta m = {"lab", 1765000000, "alice", 1000, 4026531840ull};
	struct ot_journal_image *im = NULL, **list = NULL;
	struct ot_journal *j = NULL;
	struct ot_error err = {0};
	char root[] = "/tmp/otj-list-XXXXXX", sd[256];
	size_t n = 0, i;

	cr_assert(mkdtemp(root));
	snprintf(sd, sizeof(sd), "%s/lab.n2", root);
	cr_assert_eq(ot_journal_create(sd, "lab.n2", "lab", "n2", "d", &m, &j, &err), 0, "%s",
		     err.msg);
	ot_journal_close(j);
	cr_assert_eq(ot_journal_read(sd, false, &im, &err), 0, "%s", err.msg);
	cr_assert_eq(im->version, 2);
	cr_assert_str_eq(im->meta.topology, "lab");
	cr_assert_eq(im->meta.created, 1765000000);
	cr_assert_str_eq(im->meta.by, "alice");
	cr_assert_eq(im->meta.uid, 1000);
	cr_assert_eq(im->meta.netns, 4026531840ull);
	ot_journal_image_free(im);
	/* a version 1 journal beside it: listed, without meta */
	snprintf(sd, sizeof(sd), "%s/old.n1", root);
	cr_assert_eq(mkdir(sd, 0700), 0);
	cr_assert_eq(parse_in(sd, HDR "B 1 netns a container\nD 1\nC\n", &im, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(im->version, 1);
	cr_assert_null(im->meta.by);
	ot_journal_image_free(im);
	cr_assert_eq(ot_journal_list(root, &list, &n, &err), 0, "%s", err.msg);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(list[0]->prefix, "lab.n2");
	cr_assert_str_eq(list[1]->prefix, "p");
	cr_assert(list[1]->complete);
	for (i = 0; i < n; i++)
		ot_journal_image_free(list[i]);
	free(list);
	/* no root: nothing */
	cr_assert_eq(ot_journal_list("/tmp/otj-list-none/x", &list, &n, &err), 0);
	cr_assert_eq(n, 0);
	free(list);
	snprintf(sd, sizeof(sd), "rm -rf %s", root);
	cr_assert_eq(system(sd), 0);
}

Test(journal, create_makes_private_state_dir)
{
	struct ot_journal *j = NULL;
	struct ot_error err = {0};
	struct stat st;

	cr_assert_eq(ot_journal_create(dir, "p", "i", "n", NULL, NULL, &j, &err), 0, "%s", err.msg);
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	ot_journal_close(j);
}

/* The state root: removed by the destroy of the create that made it, once
 * empty; never when it existed before. */
Test(journal, state_root_ours_only)
{
	char root[96], sd1[128], sd2[128];
	struct ot_journal *j1 = NULL, *j2 = NULL;
	struct ot_journal_image *im = NULL;
	struct ot_error err = {0};

	snprintf(root, sizeof(root), "/tmp/otx-jroot-%d", (int)getpid());
	snprintf(sd1, sizeof(sd1), "%s/a.n1", root);
	snprintf(sd2, sizeof(sd2), "%s/b.n1", root);
	cr_assert_eq(access(root, F_OK), -1);

	/* j1 makes the root and says so in record 1; j2 finds it */
	cr_assert_eq(ot_journal_create(sd1, "a.n1", "a", "n1", "x", NULL, &j1, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(ot_journal_create(sd2, "b.n1", "b", "n1", "x", NULL, &j2, &err), 0, "%s",
		     err.msg);
	ot_journal_close(j1);
	ot_journal_close(j2);
	cr_assert_eq(ot_journal_read(sd1, false, &im, &err), 0, "%s", err.msg);
	cr_assert_eq(im->nrecs, 1);
	cr_assert_eq(im->recs[0].kind, OT_J_DIR);
	cr_assert_eq(im->recs[0].state, OT_J_DONE);
	cr_assert_str_eq(im->recs[0].a, root);
	ot_journal_image_free(im);
	cr_assert_eq(ot_journal_read(sd2, false, &im, &err), 0, "%s", err.msg);
	cr_assert_eq(im->nrecs, 0, "the root was not made by j2");
	ot_journal_image_free(im);

	/* the maker goes first: the root is not empty, it stays */
	cr_assert_eq(ot_journal_remove(sd1, &err), 0, "%s", err.msg);
	cr_assert_eq(access(sd1, F_OK), -1);
	cr_assert_eq(access(root, F_OK), 0, "another instance is in the root");
	/* j2 did not make it: an empty root it did not make stays */
	cr_assert_eq(ot_journal_remove(sd2, &err), 0, "%s", err.msg);
	cr_assert_eq(access(root, F_OK), 0, "not ours: left alone");

	/* a create into the existing root records nothing and leaves it */
	cr_assert_eq(ot_journal_create(sd1, "a.n1", "a", "n1", "x", NULL, &j1, &err), 0, "%s",
		     err.msg);
	ot_journal_close(j1);
	cr_assert_eq(ot_journal_remove(sd1, &err), 0, "%s", err.msg);
	cr_assert_eq(access(root, F_OK), 0);
	cr_assert_eq(rmdir(root), 0);

	/* alone: made and removed */
	cr_assert_eq(ot_journal_create(sd1, "a.n1", "a", "n1", "x", NULL, &j1, &err), 0, "%s",
		     err.msg);
	ot_journal_close(j1);
	cr_assert_eq(ot_journal_remove(sd1, &err), 0, "%s", err.msg);
	cr_assert_eq(access(root, F_OK), -1, "the root we made is gone");
}

static void mkfile(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

/* What a process killed at any point of a create or destroy leaves outside
 * a journal is swept by the next destroy (ot_journal_sweep) or create. */
Test(journal, leftovers_swept)
{
	char root[96], sd[128], stage[160], gone[160], path[256];
	struct ot_journal *j = NULL;
	struct ot_error err = {0};
	int pid = (int)getpid();

	snprintf(root, sizeof(root), "/tmp/otx-jsweep-%d", pid);
	snprintf(sd, sizeof(sd), "%s/a.n1", root);
	snprintf(stage, sizeof(stage), "/tmp/.otx-jsweep-%d.a.n1.new", pid);

	/* killed after mkdir, before the journal: an empty state dir */
	cr_assert_eq(mkdir(root, 0755), 0);
	cr_assert_eq(mkdir(sd, 0700), 0);
	cr_assert_eq(ot_journal_sweep(sd, &err), 0, "%s", err.msg);
	cr_assert_eq(access(sd, F_OK), -1);
	cr_assert_eq(access(root, F_OK), 0, "the root existed: not ours");
	/* ... with a state dir holding something else: left alone */
	cr_assert_eq(mkdir(sd, 0700), 0);
	snprintf(path, sizeof(path), "%s/other", sd);
	mkfile(path, "x");
	cr_assert_eq(ot_journal_sweep(sd, &err), 0, "%s", err.msg);
	cr_assert_eq(access(path, F_OK), 0);
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(rmdir(sd), 0);
	cr_assert_eq(rmdir(root), 0);

	/* killed while the missing root was staged: the stage goes, and a
	 * create after it works and makes the root */
	cr_assert_eq(mkdir(stage, 0755), 0);
	snprintf(path, sizeof(path), "%s/a.n1", stage);
	cr_assert_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/a.n1/journal", stage);
	mkfile(path, HDR);
	cr_assert_eq(ot_journal_create(sd, "a.n1", "a", "n1", "x", NULL, &j, &err), 0, "%s",
		     err.msg);
	ot_journal_close(j);
	cr_assert_eq(access(stage, F_OK), -1, "stale stage swept by create");
	cr_assert_eq(access(root, F_OK), 0);

	/* killed in the death, after the state dir left the root: the next
	 * destroy (no journal in the state dir) finishes it, the root with it */
	snprintf(gone, sizeof(gone), "/tmp/.otx-jsweep-%d.a.n1.gone", pid);
	cr_assert_eq(rename(sd, gone), 0);
	cr_assert_eq(ot_journal_sweep(sd, &err), 0, "%s", err.msg);
	cr_assert_eq(access(gone, F_OK), -1);
	cr_assert_eq(access(root, F_OK), -1, "the root its journal claims");

	/* the same inside a root that is not ours: the gone dir is in it */
	cr_assert_eq(mkdir(root, 0755), 0);
	cr_assert_eq(ot_journal_create(sd, "a.n1", "a", "n1", "x", NULL, &j, &err), 0, "%s",
		     err.msg);
	ot_journal_close(j);
	snprintf(gone, sizeof(gone), "%s/.a.n1.gone", root);
	cr_assert_eq(rename(sd, gone), 0);
	cr_assert_eq(ot_journal_sweep(sd, &err), 0, "%s", err.msg);
	cr_assert_eq(access(gone, F_OK), -1);
	cr_assert_eq(rmdir(root), 0, "kept, and empty");
}

/* A journal is never seen without its header: a create sees "already
 * created" or nothing, never an empty file (birth is one link). */
Test(journal, born_whole)
{
	struct ot_journal *j = NULL;
	struct ot_journal_image *im = NULL;
	struct ot_error err = {0};
	struct stat st;
	char path[128];

	cr_assert_eq(ot_journal_create(dir, "p", "i", "n", "d", NULL, &j, &err), 0, "%s", err.msg);
	snprintf(path, sizeof(path), "%s/journal", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_gt(st.st_size, 0);
	cr_assert_eq(ot_journal_read(dir, false, &im, &err), 0, "%s", err.msg);
	cr_assert_str_eq(im->digest, "d");
	ot_journal_image_free(im);
	ot_journal_close(j);
	snprintf(path, sizeof(path), "%s/journal.new", dir);
	cr_assert_eq(access(path, F_OK), -1, "no temporary left");
}
