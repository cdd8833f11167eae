/*
 * test_addr.c - address, prefix and MAC parsing and arithmetic.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
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
	const char *bad[] = {"",	  "10.0.0",  "10.0.0.256", "10.0.0.1 ",	 " 10.0.0.1",
			     "010.0.0.1", "1::2::3", "x",	   "10.0.0.1/24"};
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

/* The reference for IPv4 prefixes: inet_pton for the address, a strict
 * decimal length (what ot_prefix_parse did before its hand-written IPv4
 * fast path). */
static int prefix4_reference(const char *s, bool need_len, struct ot_prefix *ret)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned len = 32, i;

	memset(ret, 0, sizeof(*ret));
	if (n >= sizeof(buf) || strchr(s, ':'))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, ret->addr.bytes) != 1)
		return -EINVAL;
	ret->addr.family = AF_INET;
	if (slash) {
		if (!slash[1] || (slash[1] == '0' && slash[2]))
			return -EINVAL;
		for (len = 0, i = 1; slash[i]; i++) {
			if (slash[i] < '0' || slash[i] > '9' || i > 3)
				return -EINVAL;
			len = len * 10 + (unsigned)(slash[i] - '0');
		}
		if (len > 32)
			return -EINVAL;
	} else if (need_len) {
		return -EINVAL;
	}
	ret->len = (uint8_t)len;
	return 0;
}

static unsigned rnd(unsigned *seed, unsigned k)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) % k;
}

Test(addr, prefix_parse_ipv4_as_reference)
{
	static const char *const edge[] = {
	    "0.0.0.0/0",   "255.255.255.255/32", "1.2.3.4",	"1.2.3.4/",
	    "1.2.3.4/00",  "1.2.3.4/01",	 "1.2.3.4/33",	"1.2.3.4/320",
	    "01.2.3.4/8",  "1.2.3.04/8",	 "1.2.3.256/8", "1.2.3/8",
	    "1.2.3.4.5/8", "1.2.3.4/8/8",	 "1..3.4/8",	".1.2.3/8",
	    "1.2.3.4 /8",  "1.2.3.4/ 8",	 "1000.2.3.4",	"1.2.3.4/8x",
	    "0.0.0.00",	   "9.99.199.255/9",	 "1.2.3.-4/8",	"/8",
	};
	static const char alphabet[] = "0123456789./";
	struct ot_prefix got, want;
	char s[64];
	unsigned seed = 12345, i, j, n, valid = 0;
	int need;

	for (need = 0; need < 2; need++) {
		for (i = 0; i < sizeof(edge) / sizeof(edge[0]) + 200000; i++) {
			const char *t = s;

			if (i < sizeof(edge) / sizeof(edge[0])) {
				t = edge[i];
			} else {
				/* near-valid: four numbers 0..299 (some with a leading
				 * zero), mostly dots between, mostly a length 0..39,
				 * now and then a stray byte */
				unsigned parts = 4 + (rnd(&seed, 20) == 0);

				n = 0;
				for (j = 0; j < parts; j++) {
					if (j)
						s[n++] =
						    rnd(&seed, 30) ? '.' : alphabet[rnd(&seed, 12)];
					if (rnd(&seed, 10) == 0)
						s[n++] = '0';
					n += (unsigned)sprintf(s + n, "%u", rnd(&seed, 300));
				}
				if (rnd(&seed, 10) < 7) {
					s[n++] = '/';
					if (rnd(&seed, 10) == 0)
						s[n++] = '0';
					n += (unsigned)sprintf(s + n, "%u", rnd(&seed, 40));
				}
				if (rnd(&seed, 20) == 0)
					s[n++] = alphabet[rnd(&seed, 12)];
				s[n] = '\0';
			}
			memset(&got, 0x55, sizeof(got));
			cr_assert_eq(ot_prefix_parse(t, need, &got) == 0,
				     prefix4_reference(t, need, &want) == 0, "'%s' (need_len %d)",
				     t, need);
			if (prefix4_reference(t, need, &want) == 0) {
				cr_assert(memcmp(&got, &want, sizeof(got)) == 0, "'%s'", t);
				valid++;
			}
		}
	}
	cr_assert_gt(valid, 2000, "only %u valid inputs: the generator tests too little", valid);
}

/* Underlay addresses must be unicast: every class ot_addr_not_unicast()
 * refuses, and its unicast neighbours accepted. */
Test(addr, underlay_unicast)
{
	static const char *const refused[] = {
	    "0.0.0.0",
	    "0.1.2.3",
	    "255.255.255.255",
	    "224.0.0.1",
	    "239.255.255.250",
	    "127.0.0.1",
	    "127.255.0.9",
	    "::",
	    "::1",
	    "ff02::1",
	    "ff0e::1234",
	    "fe80::1",
	    "febf::1",
	    "::ffff:192.0.2.1",
	    "::ffff:0.0.0.0",
	};
	static const char *const accepted[] = {
	    "192.0.2.1",       "10.0.0.1",	    "1.0.0.0",
	    "223.255.255.255", "240.0.0.1",	    "128.0.0.1",
	    "169.254.1.1",     "2001:db8::1",	    "::2",
	    "fec0::1",	       "fe7f::1",	    "fd00::1",
	    "::fffe:c000:201", "64:ff9b::c000:201", "255.255.255.254",
	};
	struct ot_addr a;
	size_t i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		cr_assert_eq(ot_addr_parse(refused[i], &a), 0, "%s", refused[i]);
		cr_assert_not_null(ot_addr_not_unicast(&a), "%s accepted", refused[i]);
	}
	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		cr_assert_eq(ot_addr_parse(accepted[i], &a), 0, "%s", accepted[i]);
		cr_assert_null(ot_addr_not_unicast(&a), "%s refused: %s", accepted[i],
			       ot_addr_not_unicast(&a));
	}
	ot_addr_parse("ff02::1", &a);
	cr_assert_str_eq(ot_addr_not_unicast(&a), "a multicast address");
	ot_addr_parse("fe80::1", &a);
	cr_assert(strstr(ot_addr_not_unicast(&a), "link-local"));
	memset(&a, 0, sizeof(a));
	cr_assert_not_null(ot_addr_not_unicast(&a), "family 0");
}
