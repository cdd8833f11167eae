/*
 * test_spank_config.c - the plugin's plugstack.conf arguments: defaults,
 * every key, and the strictness that keeps a typo in a security bound from
 * being ignored (unknown, repeated, malformed and out-of-range values).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "spank/config.h"

static int parse(struct ot_spank_config *c, struct ot_error *err, int ac, ...)
{
	char *av[32];
	va_list ap;
	int i;

	va_start(ap, ac);
	for (i = 0; i < ac; i++)
		av[i] = va_arg(ap, char *);
	va_end(ap);
	ot_error_clear(err);
	return ot_spank_config_parse(ac, av, c, err);
}

Test(spank_config, defaults_are_restrictive)
{
	struct ot_spank_config c;
	struct ot_error err;
	char line[1024];

	cr_assert_eq(parse(&c, &err, 0), 0);
	cr_assert_eq(c.bounds.vni_min, 0x100000);
	cr_assert_eq(c.bounds.vni_max, 0xffffff);
	cr_assert(c.bounds.forbid_host_objects);
	cr_assert(c.bounds.forbid_limits);
	cr_assert_eq(c.bounds.allowed_isolate, OT_ISO_NET | OT_ISO_UTS | OT_ISO_IPC);
	cr_assert(c.bounds.binds_bound); /* storage: no bind mounts, no root */
	cr_assert_eq(c.bounds.nbinds, 0);
	cr_assert(c.bounds.forbid_root);
	cr_assert_eq(c.bounds.max_containers_per_node, 64);
	cr_assert_eq(c.bounds.nallowed_addrs, 4);
	cr_assert_eq(c.bounds.allowed_addrs, c.addrs);
	cr_assert_eq(c.underlay_family, AF_INET);
	ot_spank_config_format(&c, line, sizeof(line));
	cr_assert_str_eq(line, "vni=1048576-16777215 vni_block=64 explicit_vni=yes "
			       "addrs=10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7 "
			       "max_containers=64 max_ifaces=256 host_objects=no "
			       "isolate=net,uts,ipc limits=no binds=none root=no "
			       "sysctls=yes underlay_dev=auto "
			       "underlay_mtu=1500 underlay_family=inet max_file=65536 "
			       "read_timeout=10 pmix_relay=yes state_root=/run/opentop");
}

Test(spank_config, every_key)
{
	struct ot_spank_config c;
	struct ot_error err;
	char line[1024];

	cr_assert_eq(parse(&c, &err, 19, "vni=5000-5999", "vni_block=10", "explicit_vni=no",
			   "addrs=198.51.100.0/24,2001:db8::/32", "max_containers=4",
			   "max_ifaces=8", "host_objects=yes", "isolate=net,mount", "limits=yes",
			   "binds=/scratch,/data", "root=yes", "sysctls=no", "underlay_dev=eth0",
			   "underlay_mtu=9000", "underlay_family=inet6", "max_file=64K",
			   "read_timeout=3", "pmix_relay=no", "state_root=/run/otsl-x"),
		     0, "%s", err.msg);
	ot_spank_config_format(&c, line, sizeof(line));
	cr_assert_str_eq(line, "vni=5000-5999 vni_block=10 explicit_vni=no "
			       "addrs=198.51.100.0/24,2001:db8::/32 max_containers=4 "
			       "max_ifaces=8 host_objects=yes isolate=net,mount limits=yes "
			       "binds=/scratch,/data root=yes "
			       "sysctls=no underlay_dev=eth0 underlay_mtu=9000 "
			       "underlay_family=inet6 max_file=65536 read_timeout=3 "
			       "pmix_relay=no state_root=/run/otsl-x");
	cr_assert_eq(c.bounds.allowed_addrs, c.addrs);
	cr_assert_eq(c.read_timeout_ms, 3000);
	cr_assert_eq(parse(&c, &err, 1, "addrs=any"), 0);
	cr_assert_eq(c.bounds.nallowed_addrs, 0);
}

Test(spank_config, prefixes_are_normalised)
{
	struct ot_spank_config c;
	struct ot_error err;
	char line[1024];

	cr_assert_eq(parse(&c, &err, 1, "addrs=10.1.2.3/16"), 0);
	ot_spank_config_format(&c, line, sizeof(line));
	cr_assert(strstr(line, "addrs=10.1.0.0/16 "), "%s", line);
}

Test(spank_config, unknown_key_is_an_error_with_a_hint)
{
	struct ot_spank_config c;
	struct ot_error err;

	cr_assert_eq(parse(&c, &err, 2, "vni=10-20", "max_container=4"), -EINVAL);
	cr_assert(strstr(err.msg, "plugstack.conf argument 2 'max_container=4': unknown option "
				  "'max_container' (did you mean 'max_containers'?)"),
		  "%s", err.msg);
	cr_assert(strstr(err.msg, "known: vni, vni_block,"), "%s", err.msg);
	cr_assert_eq(parse(&c, &err, 1, "zzzzzzzzzz=1"), -EINVAL);
	cr_assert_null(strstr(err.msg, "did you mean"), "%s", err.msg);
}

/* Each bad argument and a piece of the message it must produce. */
static const struct {
	const char *arg;
	const char *msg;
} bad[] = {
    {"vni", "expected key=value"},
    {"vni=", "expected MIN-MAX"},
    {"vni=100", "expected MIN-MAX"},
    {"vni=0-10", "VNI range: must be a number in 1..16777215"},
    {"vni=10-16777216", "must be a number in 1..16777215"},
    {"vni=20-10", "VNI range is empty (20 > 10)"},
    {"vni=-5-10", "expected a number"},
    {"vni_block=0", "must be a number in 1..65536"},
    {"explicit_vni=true", "expected 'yes' or 'no'"},
    {"addrs=", "expected CIDR"},
    {"addrs=10.0.0.0", "'10.0.0.0' is not an address prefix"},
    {"addrs=10.0.0.0/8,,", "expected CIDR"},
    {"addrs=10.0.0.0/33", "is not an address prefix"},
    {"max_containers=0", "must be a number in 1..100000"},
    {"max_containers=12x", "must be a number"},
    {"max_containers=99999999999999999999999", "must be a number"},
    {"max_ifaces=-1", "expected a number"},
    {"host_objects=1", "expected 'yes' or 'no'"},
    {"isolate=net,pid", "'pid' cannot be allowed: a task cannot enter a new PID namespace"},
    {"isolate=cgroup", "would take them out of Slurm's job cgroup"},
    {"isolate=net,,uts", "unknown isolation kind ''"},
    {"isolate=user", "unknown isolation kind 'user'"},
    {"underlay_dev=../eth0", "not a valid interface name"},
    {"underlay_dev=a-very-long-interface", "not a valid interface name"},
    {"underlay_mtu=100", "must be a number in 576..65535"},
    {"underlay_family=ipv4", "expected 'inet' or 'inet6'"},
    {"max_file=0", "must be 1..262144 bytes"},
    {"max_file=257K", "must be 1..262144 bytes"},
    {"max_file=1M", "must be 1..262144 bytes"},
    {"max_file=1G", "must be 1..262144 bytes"},
    {"read_timeout=0", "must be a number in 1..600"},
    {"pmix_relay=", "expected 'yes' or 'no'"},
    {"state_root=run/x", "expected an absolute path"},
    {"state_root=/run/../etc", "expected an absolute path"},
};

Test(spank_config, bad_values_name_the_argument)
{
	struct ot_spank_config c;
	struct ot_error err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[128];

		cr_assert_eq(parse(&c, &err, 1, bad[i].arg), -EINVAL, "accepted '%s'", bad[i].arg);
		snprintf(want, sizeof(want), "plugstack.conf argument 1 '%s'", bad[i].arg);
		cr_assert(strstr(err.msg, want), "'%s': %s", bad[i].arg, err.msg);
		cr_assert(strstr(err.msg, bad[i].msg), "'%s': %s", bad[i].arg, err.msg);
	}
}

Test(spank_config, repeated_key_and_block_larger_than_range)
{
	struct ot_spank_config c;
	struct ot_error err;

	cr_assert_eq(parse(&c, &err, 2, "max_ifaces=4", "max_ifaces=5"), -EINVAL);
	cr_assert(strstr(err.msg, "'max_ifaces' given twice"), "%s", err.msg);
	cr_assert_eq(parse(&c, &err, 2, "vni=100-109", "vni_block=11"), -EINVAL);
	cr_assert(strstr(err.msg, "vni_block=11 is larger than the VNI range 100-109"), "%s",
		  err.msg);
	cr_assert_eq(parse(&c, &err, 2, "vni=100-109", "vni_block=10"), 0);
}

Test(spank_config, failure_leaves_the_output_alone)
{
	struct ot_spank_config c;
	struct ot_error err;

	memset(&c, 0x5a, sizeof(c));
	cr_assert_eq(parse(&c, &err, 2, "max_containers=3", "bogus=1"), -EINVAL);
	cr_assert_eq(c.bounds.max_containers_per_node, 0x5a5a5a5a);
}
