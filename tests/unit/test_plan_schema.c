/*
 * test_plan_schema.c - the plan's vocabulary (plan_schema.c): every enum
 * value has exactly one name and reads back from it, and each operation
 * kind's JSON keys are in the order the canonical form writes them.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "plan/plan_schema.h"

static void round_trip(const struct ot_enum_name *t, size_t n)
{
	const struct ot_enum_name *a, *b;
	size_t count = 0;
	int v;

	for (a = t; a->name; a++, count++) {
		cr_assert_str_eq(ot_enum_name(t, a->val), a->name);
		cr_assert_eq(ot_enum_value(t, a->name, &v), 0);
		cr_assert_eq(v, a->val);
		cr_assert_eq(ot_enum_value_n(t, a->name, strlen(a->name), &v), 0);
		for (b = a + 1; b->name; b++) {
			cr_assert_str_neq(a->name, b->name);
			cr_assert_neq(a->val, b->val);
		}
	}
	cr_assert_eq(count, n);
	cr_assert_eq(ot_enum_value(t, "no-such-name", &v), -EINVAL);
	cr_assert_eq(ot_enum_value_n(t, t->name, strlen(t->name) - 1, &v), -EINVAL);
}

Test(plan_schema, every_enum_has_one_name_each)
{
	round_trip(ot_op_kind_names, OT_OP__COUNT);
	round_trip(ot_link_kind_names, OT_LINK__COUNT);
	round_trip(ot_ns_role_names, 3);
	round_trip(ot_nft_hook_names, 5);
	round_trip(ot_nft_chain_type_names, 2);
	round_trip(ot_nft_verdict_names, 6);
	round_trip(ot_nft_family_names, 2);
	round_trip(ot_l4proto_names, 4);
	round_trip(ot_ct_state_names, 4);
	round_trip(ot_macvlan_mode_names, 4);
	round_trip(ot_expect_names, 2);
	cr_assert_str_eq(ot_enum_name(ot_l4proto_names, 255), "?");
	cr_assert_str_eq(ot_op_kind_name(OT_OP__COUNT), "?");
	cr_assert_str_eq(ot_isolate_name(OT_ISO_MNT), "mount");
	cr_assert_str_eq(ot_enum_name(ot_nft_family_names, AF_INET6), "ip6");
}

/* Bit tables list their bits in order, one bit each (writers rely on it). */
Test(plan_schema, bit_tables_in_bit_order)
{
	const struct ot_enum_name *tabs[] = {ot_ct_state_names};
	size_t i;

	for (i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		const struct ot_enum_name *t;
		unsigned prev = 0;

		for (t = tabs[i]; t->name; t++) {
			unsigned b = (unsigned)t->val;

			cr_assert_eq(b & (b - 1), 0, "%s is not one bit", t->name);
			cr_assert_gt(b, prev);
			prev = b;
		}
	}
}

static void keys_sorted(const struct ot_plan_field *f, const char *what)
{
	char q[64];

	cr_assert_not_null(f, "%s has no key table", what);
	for (; f->key; f++) {
		snprintf(q, sizeof(q), "\"%s\":", f->key);
		cr_assert_str_eq(f->qkey, q, "%s", what);
		cr_assert_eq(f->qlen, strlen(q), "%s.%s", what, f->key);
		cr_assert_leq(f->off + 1, sizeof(struct ot_op), "%s.%s", what, f->key);
		if (f[1].key)
			cr_assert_lt(strcmp(f->key, f[1].key), 0, "%s: '%s' before '%s'", what,
				     f->key, f[1].key);
	}
}

Test(plan_schema, op_keys_in_canonical_order)
{
	size_t k, n;
	const struct ot_plan_field *f;

	for (k = 0; k < OT_OP__COUNT; k++) {
		keys_sorted(ot_plan_op_fields[k], ot_op_kind_name((enum ot_op_kind)k));
		/* every operation says what it is, where, and where it came from */
		for (n = 0, f = ot_plan_op_fields[k]; f->key; f++)
			n += !strcmp(f->key, "op") + !strcmp(f->key, "ns") +
			     !strcmp(f->key, "origin");
		cr_assert_eq(n, 3, "%s", ot_op_kind_name((enum ot_op_kind)k));
	}
	keys_sorted(ot_plan_peer_fields, "peer");
}
