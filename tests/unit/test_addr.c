/*
 * test_addr.c - address, prefix and MAC parsing and arithmetic.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/socket.h>

#include "util/addr.h"

Test(addr, parse_v4_and_format)
{
	struct ot_addr a;
	char buf[OT_ADDR_STRLEN];

	cr_assert_eq(ot_addr_parse("10.10.10.23", &a), 0);
	cr_assert_eq(a.family, AF_INET);
	ot_addr_format(&a, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.10.10.23");
}

Test(addr, reject_junk)
{
	struct ot_addr a;
	const char *bad[] = {"", "10.0.0", "10.0.0.256", "10.0.0.1 ", " 10.0.0.1", "010.0.0.1",
			     "1::2::3", "x", "10.0.0.1/24"};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_lt(ot_addr_parse(bad[i], &a), 0, "accepted '%s'", bad[i]);
}

Test(addr, prefix_parse)
{
	struct ot_prefix p;
	char buf[OT_PREFIX_STRLEN];

	cr_assert_eq(ot_prefix_parse("10.10.10.23/24", true, &p), 0);
	cr_assert_eq(p.len, 24);
	ot_prefix_format(&p, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.10.10.23/24");
	cr_assert_lt(ot_prefix_parse("10.10.10.23", true, &p), 0);
	cr_assert_eq(ot_prefix_parse("10.10.10.23", false, &p), 0);
	cr_assert_eq(p.len, 32);
	cr_assert_lt(ot_prefix_parse("10.0.0.0/33", true, &p), 0);
	cr_assert_lt(ot_prefix_parse("10.0.0.0/024", true, &p), 0);
	cr_assert_lt(ot_prefix_parse("10.0.0.0/", true, &p), 0);
	cr_assert_eq(ot_prefix_parse("2001:db8::1/64", true, &p), 0);
	cr_assert_eq(p.addr.family, AF_INET6);
	cr_assert_lt(ot_prefix_parse("2001:db8::1/129", true, &p), 0);
}

Test(addr, contains_overlap)
{
	struct ot_prefix a, b;
	struct ot_addr x;

	ot_prefix_parse("10.10.0.0/16", true, &a);
	ot_prefix_parse("10.10.5.0/24", true, &b);
	ot_addr_parse("10.10.200.1", &x);
	cr_assert(ot_prefix_contains(&a, &x));
	cr_assert_not(ot_prefix_contains(&b, &x));
	cr_assert(ot_prefix_overlap(&a, &b));
	ot_prefix_parse("10.11.0.0/16", true, &b);
	cr_assert_not(ot_prefix_overlap(&a, &b));
}

Test(addr, network_broadcast_host)
{
	struct ot_prefix p;
	struct ot_addr x;
	char buf[OT_ADDR_STRLEN];

	ot_prefix_parse("10.0.0.0/24", true, &p);
	cr_assert(ot_prefix_is_network_addr(&p));
	ot_prefix_parse("10.0.0.255/24", true, &p);
	cr_assert(ot_prefix_is_broadcast_addr(&p));
	ot_prefix_parse("10.0.1.7/31", true, &p);
	cr_assert_not(ot_prefix_is_network_addr(&p));
	ot_prefix_parse("10.0.0.0/16", true, &p);
	cr_assert_eq(ot_prefix_host(&p, 300, &x), 0);
	ot_addr_format(&x, buf, sizeof(buf));
	cr_assert_str_eq(buf, "10.0.1.44");
	cr_assert_eq(ot_prefix_host(&p, 65536, &x), -ERANGE);
}

Test(addr, mac)
{
	struct ot_mac m;
	char buf[OT_MAC_STRLEN];

	cr_assert_eq(ot_mac_parse("00:80:41:00:00:01", &m), 0);
	ot_mac_format(&m, buf, sizeof(buf));
	cr_assert_str_eq(buf, "00:80:41:00:00:01");
	cr_assert(ot_mac_is_unicast(&m));
	cr_assert_eq(ot_mac_parse("01:00:5E:00:00:01", &m), 0);
	cr_assert_not(ot_mac_is_unicast(&m));
	cr_assert_lt(ot_mac_parse("00:80:41:00:00", &m), 0);
	cr_assert_lt(ot_mac_parse("00:80:41:00:00:0g", &m), 0);
	cr_assert_lt(ot_mac_parse("00-80-41-00-00-01", &m), 0);
}
