/*
 * test_spank_shape.c - the step's shape from what Slurm publishes on every
 * node: tasks per node ("4,2,1", "4,1(x2)"), block / cyclic / plane
 * layouts as Slurm 22.05 places ranks (srun -l, recorded in
 * docs/slurm.md), the check of a node's own tasks, the override lists.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spank/shape.h"
#include "spank/step.h"

static void layout(const char *tpn, uint32_t nnodes, uint32_t ntasks, const char *dist,
		   uint32_t plane, const uint32_t *want)
{
	uint32_t counts[16], node_of[64], r;
	struct ot_error err = {0};

	cr_assert_eq(ot_spank_tasks_per_node(tpn, nnodes, ntasks, counts, &err), 0, "%s", err.msg);
	cr_assert_eq(ot_spank_layout(counts, nnodes, ntasks, dist, plane, node_of, &err), 0, "%s",
		     err.msg);
	for (r = 0; r < ntasks; r++)
		cr_assert_eq(node_of[r], want[r], "%s %s: rank %u on node %u, want %u", tpn, dist,
			     r, node_of[r], want[r]);
}

Test(spank_shape, slurm_layouts)
{
	/* srun -N3 -n7 on 4-CPU nodes: 4,2,1 */
	layout("4,2,1", 3, 7, "", 0, (const uint32_t[]){0, 0, 0, 0, 1, 1, 2});
	layout("4,2,1", 3, 7, "block", 0, (const uint32_t[]){0, 0, 0, 0, 1, 1, 2});
	layout("4,2,1", 3, 7, "cyclic", 0, (const uint32_t[]){0, 1, 2, 0, 1, 0, 0});
	layout("4,2,1", 3, 7, "cyclic:block,Pack", 0, (const uint32_t[]){0, 1, 2, 0, 1, 0, 0});
	layout("2(x3)", 3, 6, "cyclic", 0, (const uint32_t[]){0, 1, 2, 0, 1, 2});
	/* srun -N3 -n6 --distribution=plane=2: 4,1(x2) */
	layout("4,1(x2)", 3, 6, "plane", 2, (const uint32_t[]){0, 0, 1, 2, 0, 0});
	layout("1", 1, 1, "", 0, (const uint32_t[]){0});
}

Test(spank_shape, bad_inputs)
{
	uint32_t counts[4], node_of[8];
	struct ot_error err = {0};

	cr_assert_eq(ot_spank_tasks_per_node("2,1", 3, 3, counts, &err), -EINVAL);
	cr_assert(strstr(err.msg, "describe 2 nodes and 3 tasks, not 3 and 3"), "%s", err.msg);
	cr_assert_eq(ot_spank_tasks_per_node("2(x4)", 3, 8, counts, &err), -EINVAL);
	cr_assert_eq(ot_spank_tasks_per_node("2,x", 2, 3, counts, &err), -EINVAL);
	cr_assert_eq(ot_spank_tasks_per_node("0,3", 2, 3, counts, &err), -EINVAL);
	counts[0] = 2;
	counts[1] = 1;
	cr_assert_eq(ot_spank_layout(counts, 2, 3, "arbitrary", 0, node_of, &err), -ENOTSUP);
	cr_assert(strstr(err.msg, "'arbitrary' is not supported"), "%s", err.msg);
	cr_assert_eq(ot_spank_layout(counts, 2, 3, "plane", 0, node_of, &err), -ENOTSUP);
}

Test(spank_shape, node_checks_its_own_tasks)
{
	static const uint32_t node_of[] = {0, 1, 2, 0, 1, 0, 0};
	struct ot_shape s = {3, 7, node_of};
	struct ot_error err = {0};

	cr_assert_eq(ot_spank_layout_check(&s, 0, (const uint32_t[]){6, 0, 3, 5}, 4, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(ot_spank_layout_check(&s, 2, (const uint32_t[]){2}, 1, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(ot_spank_layout_check(&s, 1, (const uint32_t[]){1, 2}, 2, &err), -EINVAL);
	cr_assert(strstr(err.msg, "runs rank 2 where the step's layout puts rank 4"), "%s",
		  err.msg);
	cr_assert_eq(ot_spank_layout_check(&s, 1, (const uint32_t[]){1}, 1, &err), -EINVAL);
	cr_assert(strstr(err.msg, "runs 1 tasks, but the step's layout puts 2"), "%s", err.msg);
}

Test(spank_shape, defines)
{
	struct ot_spank_defines d = {0};
	struct ot_error err = {0};

	cr_assert_eq(ot_spank_defines_add(&d, "A=1,,B=2", &err), 0);
	cr_assert_eq(ot_spank_defines_add(&d, "C=-3", &err), 0);
	cr_assert_eq(d.n, 3);
	cr_assert_str_eq(d.v[1], "B=2");
	cr_assert_eq(ot_spank_defines_join(&d), 0);
	cr_assert_str_eq(d.joined, "A=1,B=2,C=-3");
	ot_spank_defines_free(&d);
}

Test(spank_shape, topology_text_in_the_environment)
{
	const char src[] = "topology t # 100%\n\tnode n\r\n";
	char *enc = NULL;
	size_t len;

	cr_assert_eq(ot_spank_text_encode(src, sizeof(src) - 1, &enc), 0);
	cr_assert_str_eq(enc, "topology t # 100%25%0A\tnode n%0D%0A", "no newline left");
	cr_assert_eq(ot_spank_text_decode(enc, &len), 0);
	cr_assert_eq(len, sizeof(src) - 1);
	cr_assert_str_eq(enc, src);
	free(enc);
	enc = strdup("a%00b");
	cr_assert_eq(ot_spank_text_decode(enc, &len), -EINVAL, "no NUL byte");
	free(enc);
	enc = strdup("a%4");
	cr_assert_eq(ot_spank_text_decode(enc, &len), -EINVAL);
	free(enc);
}
