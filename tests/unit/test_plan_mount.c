/*
 * test_plan_mount.c - the storage part of the plan contract (OT_OP_MOUNT):
 * a plan with a root, bind and tmpfs mounts is written, read back and
 * written again byte for byte; the validator refuses mounts outside a
 * container with its own mount namespace, paths that are not absolute and
 * normal, a root after another mount; the shared path helpers of vocab.h.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "plan/plan_json.h"

static struct ot_plan *sample(unsigned isolate)
{
	struct ot_plan *p = ot_plan_new();
	int box, i;

	cr_assert_not_null(p);
	p->topology = p->instance = "st";
	p->node = "n1";
	p->prefix = "st.n1";
	p->state_dir = "/run/opentop/st.n1";
	ot_plan_add_node(p, "n1", NULL);
	box = ot_plan_add_ns(p, OT_NS_CONTAINER, "st.n1.box");
	p->ns[box].container = "box";
	p->ns[box].isolate = OT_ISO_NET | isolate;
	ot_plan_add_op(p, OT_OP_NETNS, box);
	i = ot_plan_add_op(p, OT_OP_MOUNT, box);
	p->ops[i].mount.kind = OT_MOUNT_ROOT;
	p->ops[i].mount.src = "/srv/roots/base";
	p->ops[i].mount.ro = true;
	i = ot_plan_add_op(p, OT_OP_MOUNT, box);
	p->ops[i].mount.kind = OT_MOUNT_BIND;
	p->ops[i].mount.src = "/data";
	p->ops[i].mount.dst = "/data";
	p->ops[i].mount.nofollow = true;
	i = ot_plan_add_op(p, OT_OP_MOUNT, box);
	p->ops[i].mount.kind = OT_MOUNT_TMPFS;
	p->ops[i].mount.dst = "/scratch";
	p->ops[i].mount.size = 64u << 20;
	p->ops[i].mount.mode = 01777;
	p->ops[i].origin = "st.otp:7";
	return p;
}

Test(plan_mount, round_trip_is_byte_exact)
{
	struct ot_plan *p = sample(OT_ISO_MNT), *q = NULL;
	struct ot_error err = {0};
	size_t *td, n;
	char *a, *b;

	cr_assert_eq(ot_plan_validate(p, &err), 0, "%s", err.msg);
	a = ot_plan_dump(p, 1);
	cr_assert_not_null(a);
	cr_assert(strstr(a, "\"kind\": \"tmpfs\""), "%s", a);
	cr_assert_eq(ot_plan_load(a, strlen(a), &q, &err), 0, "%s", err.msg);
	b = ot_plan_dump(q, 1);
	cr_assert_str_eq(a, b);
	cr_assert_eq(q->ops[1].mount.kind, OT_MOUNT_ROOT);
	cr_assert(q->ops[1].mount.ro);
	cr_assert(q->ops[2].mount.nofollow);
	cr_assert_eq(q->ops[3].mount.size, 64u << 20);
	cr_assert_eq(q->ops[3].mount.mode, 01777);
	/* held by the container's mount namespace: only the netns is undone */
	cr_assert_eq(ot_plan_teardown(q, &td, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(td[0], 0);
	free(td);
	free(a);
	free(b);
	ot_plan_free(p);
	ot_plan_free(q);
}

static void expect_invalid(struct ot_plan *p, const char *needle)
{
	struct ot_error err = {0};

	cr_assert_lt(ot_plan_validate(p, &err), 0, "accepted");
	cr_assert(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
	ot_plan_free(p);
}

Test(plan_mount, validator_refuses)
{
	struct ot_plan *p;

	expect_invalid(sample(0), "mount outside a container with its own mount namespace");
	p = sample(OT_ISO_MNT);
	p->ops[1].ns = 0;
	expect_invalid(p, "mount outside");
	p = sample(OT_ISO_MNT);
	p->ops[1].mount.src = "/";
	expect_invalid(p, "bad root directory");
	p = sample(OT_ISO_MNT);
	p->ops[2].mount.src = "data";
	expect_invalid(p, "bad bind mount");
	p = sample(OT_ISO_MNT);
	p->ops[2].mount.dst = "/data/../etc";
	expect_invalid(p, "bad bind mount");
	p = sample(OT_ISO_MNT);
	p->ops[3].mount.dst = "/scratch/";
	expect_invalid(p, "bad tmpfs");
	p = sample(OT_ISO_MNT);
	p->ops[3].mount.src = "/x";
	expect_invalid(p, "bad tmpfs");
	p = sample(OT_ISO_MNT); /* a root after a mount of the same container */
	p->ops[3].mount = p->ops[1].mount;
	expect_invalid(p, "root after another mount");
}

Test(plan_mount, reader_refuses)
{
	static const char head[] =
	    "{\"schema\":\"opentop-plan/1\",\"topology\":\"t\",\"instance\":\"t\",\"node\":\"n\","
	    "\"prefix\":\"t.n\",\"state_dir\":\"/run/opentop/t.n\","
	    "\"namespaces\":[{\"name\":\"c\",\"role\":\"container\",\"container\":\"c\","
	    "\"isolate\":[\"net\",\"mount\"]}],\"ops\":[{\"op\":\"netns\",\"ns\":\"c\"},";
	static const struct {
		const char *op, *needle;
	} bad[] = {
	    {"{\"op\":\"mount\",\"ns\":\"c\",\"kind\":\"nfs\",\"dst\":\"/x\"}",
	     "unknown value 'nfs'"},
	    {"{\"op\":\"mount\",\"ns\":\"c\",\"dst\":\"/x\"}", "kind"},
	    {"{\"op\":\"mount\",\"ns\":\"c\",\"kind\":\"tmpfs\",\"dst\":\"/x\",\"bogus\":1}",
	     "bogus"},
	    {"{\"op\":\"mount\",\"ns\":\"c\",\"kind\":\"bind\",\"src\":\"/a\",\"dst\":\"x\"}",
	     "bad bind mount"},
	};
	char json[1024];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ot_plan *q = NULL;
		struct ot_error err = {0};

		snprintf(json, sizeof(json), "%s%s]}", head, bad[i].op);
		cr_assert_lt(ot_plan_load(json, strlen(json), &q, &err), 0, "accepted: %s", json);
		cr_assert(strstr(err.msg, bad[i].needle), "'%s' lacks '%s'", err.msg,
			  bad[i].needle);
	}
	snprintf(json, sizeof(json), "%s%s]}", head,
		 "{\"op\":\"mount\",\"ns\":\"c\",\"kind\":\"tmpfs\",\"dst\":\"/x\",\"size\":4096,"
		 "\"mode\":1023}");
	{
		struct ot_plan *q = NULL;
		struct ot_error err = {0};

		cr_assert_eq(ot_plan_load(json, strlen(json), &q, &err), 0, "%s", err.msg);
		ot_plan_free(q);
	}
}

Test(plan_mount, paths)
{
	cr_assert(ot_abspath_valid("/"));
	cr_assert(ot_abspath_valid("/a/b.c/..d"));
	cr_assert(!ot_abspath_valid(""));
	cr_assert(!ot_abspath_valid("a"));
	cr_assert(!ot_abspath_valid("/a/"));
	cr_assert(!ot_abspath_valid("/a//b"));
	cr_assert(!ot_abspath_valid("/a/./b"));
	cr_assert(!ot_abspath_valid("/a/.."));
	cr_assert(!ot_abspath_valid("/a\nb"));
	cr_assert(ot_path_under("/data", "/data"));
	cr_assert(ot_path_under("/data/x/y", "/data"));
	cr_assert(!ot_path_under("/database", "/data"));
	cr_assert(!ot_path_under("/dat", "/data"));
	cr_assert(ot_path_under("/anything", "/"));
}
