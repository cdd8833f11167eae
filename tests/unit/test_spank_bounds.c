/*
 * test_spank_bounds.c - one meaning for every administrator bound: the
 * same cases go through both front ends of compile/bounds.c, the plugin's
 * plugstack.conf parser (in this process) and `otc check --bounds` (the
 * otc built beside this test, on a small topology that every accepted
 * bound lets through). Each case is accepted by both, with the canonical
 * form the plugin's audit line shows, or refused by both with the same
 * reason.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spank/config.h"

/* want: "key=canonical" when accepted, "!piece of the reason" when not. */
static const struct {
	const char *arg;
	const char *want;
} cases[] = {
    {"addrs=any", "addrs=any"},
    {"addrs=", "!expected CIDR[,CIDR...] or 'any'"},
    {"addrs=10.1.2.3/8,fc00::1/7", "addrs=10.0.0.0/8,fc00::/7"},
    {"addrs=10.0.0.0/8,", "!expected CIDR[,CIDR...] or 'any'"},
    {"addrs=,10.0.0.0/8", "!expected CIDR[,CIDR...] or 'any'"},
    {"addrs=10.0.0.0", "!'10.0.0.0' is not an address prefix"},
    {"addrs=ANY", "!'ANY' is not an address prefix"},
    {"vni=100-200", "vni=100-200"},
    {"vni=0-5", "!must be a number in 1..16777215"},
    {"vni=5-16777216", "!must be a number in 1..16777215"},
    {"vni=5-4", "!VNI range is empty (5 > 4)"},
    {"vni=5", "!expected MIN-MAX"},
    {"max_containers=4", "max_containers=4"},
    {"max_containers=100000", "max_containers=100000"},
    {"max_containers=0", "!must be a number in 1..100000"},
    {"max_containers=100001", "!must be a number in 1..100000"},
    {"max_containers=-1", "!expected a number"},
    {"max_containers=", "!expected a number"},
    {"max_ifaces=1000000", "max_ifaces=1000000"},
    {"max_ifaces=1000001", "!must be a number in 1..1000000"},
    {"host_objects=yes", "host_objects=yes"},
    {"host_objects=no", "host_objects=no"},
    {"host_objects=maybe", "!expected 'yes' or 'no'"},
    {"limits=yes", "limits=yes"},
    {"limits=", "!expected 'yes' or 'no'"},
    {"isolate=uts,mount", "isolate=net,uts,mount"},
    {"isolate=net", "isolate=net"},
    {"isolate=pid", "!'pid' cannot be allowed"},
    {"isolate=uts,cgroup", "!'cgroup' cannot be allowed"},
    {"isolate=foo", "!unknown isolation kind 'foo'"},
    {"isolate=", "!unknown isolation kind ''"},
    /* storage */
    {"binds=none", "binds=none"},
    {"binds=any", "binds=any"},
    {"binds=/scratch,/data/shared", "binds=/scratch,/data/shared"},
    {"binds=", "!expected PATH[,PATH...], 'none' or 'any'"},
    {"binds=/scratch,", "!expected PATH[,PATH...], 'none' or 'any'"},
    {"binds=scratch", "!'scratch' is not an absolute path"},
    {"binds=/data/../etc", "!'/data/../etc' is not an absolute path"},
    {"binds=/data/", "!'/data/' is not an absolute path"},
    {"root=yes", "root=yes"},
    {"root=no", "root=no"},
    {"root=maybe", "!expected 'yes' or 'no'"},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* 33 prefixes: one more than either front end keeps. */
static char too_many[64 + 33 * 16];

static void make_too_many(void)
{
	size_t off = (size_t)snprintf(too_many, sizeof(too_many), "addrs=");
	int i;

	for (i = 0; i < 33; i++)
		off += (size_t)snprintf(too_many + off, sizeof(too_many) - off, "%s10.%d.0.0/16",
					i ? "," : "", i);
}

/* The plugin: accepted with this audit form, or refused with this reason. */
static void plugin_case(const char *arg, const char *want)
{
	struct ot_spank_config c;
	struct ot_error err = {0};
	char *av[1] = {(char *)arg}, line[2048], padded[2100], key[64];
	int r = ot_spank_config_parse(1, av, &c, &err);

	if (want[0] == '!') {
		cr_assert_eq(r, -EINVAL, "plugin accepted '%s'", arg);
		cr_assert(strstr(err.msg, want + 1), "plugin on '%s': '%s' lacks '%s'", arg,
			  err.msg, want + 1);
		return;
	}
	cr_assert_eq(r, 0, "plugin refused '%s': %s", arg, err.msg);
	ot_spank_config_format(&c, line, sizeof(line));
	snprintf(padded, sizeof(padded), " %s ", line);
	snprintf(key, sizeof(key), " %s ", want);
	cr_assert(strstr(padded, key), "plugin on '%s': audit line '%s' lacks '%s'", arg, line,
		  want);
}

/* otc beside this program: $(BUILD)/tests/unit/X -> $(BUILD)/otc. */
static void otc_path(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	cr_assert_gt(n, 0);
	self[n] = '\0';
	snprintf(buf, size, "%s/../../otc", dirname(self));
	cr_assert_eq(access(buf, X_OK), 0, "%s not built", buf);
}

/* Run `otc check --bounds ARG FILE`: exit status, stderr into out. */
static int run_otc(const char *otc, const char *arg, const char *file, char *out, size_t size)
{
	char errname[] = "/tmp/ot-bounds-err-XXXXXX";
	int fd = mkstemp(errname), st = 0;
	pid_t pid;
	ssize_t n;

	cr_assert_geq(fd, 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);

		dup2(nul, 1);
		dup2(fd, 2);
		execl(otc, "otc", "check", "--bounds", arg, file, (char *)NULL);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	n = pread(fd, out, size - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(errname);
	cr_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* A topology every accepted case lets through: one container, an address
 * in 10/8, no VXLAN, no isolation besides net, no limits. */
static void write_topology(char *name)
{
	static const char text[] = "topology t\n"
				   "network lan { subnet 10.9.0.0/24 }\n"
				   "container c on n1 {\n"
				   "    iface eth0 on lan address 10.9.0.1/24\n"
				   "}\n";
	int fd = mkstemps(name, 4);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
}

static void otc_case(const char *otc, const char *file, const char *arg, const char *want)
{
	char out[4096];
	int st = run_otc(otc, arg, file, out, sizeof(out));

	if (want[0] == '!') {
		cr_assert_eq(st, 2, "otc on '%s': exit %d (%s)", arg, st, out);
		cr_assert(strstr(out, want + 1), "otc on '%s': '%s' lacks '%s'", arg, out,
			  want + 1);
	} else {
		cr_assert_eq(st, 0, "otc refused '%s': exit %d (%s)", arg, st, out);
	}
}

Test(bounds, plugin_front_end)
{
	size_t i;

	for (i = 0; i < NCASES; i++)
		plugin_case(cases[i].arg, cases[i].want);
	make_too_many();
	plugin_case(too_many, "!more than 32 prefixes");
}

Test(bounds, otc_front_end)
{
	char otc[PATH_MAX], file[] = "/tmp/ot-bounds-XXXXXX.otp";
	size_t i;

	otc_path(otc, sizeof(otc));
	write_topology(file);
	for (i = 0; i < NCASES; i++)
		otc_case(otc, file, cases[i].arg, cases[i].want);
	make_too_many();
	otc_case(otc, file, too_many, "!more than 32 prefixes");
	otc_case(otc, file, "max_container=4", "!unknown bound 'max_container'");
	unlink(file);
}

/* The accepted values act: the address bound refuses, 'any' lifts it, in
 * otc as in the plugin's compile (the same struct ot_bounds). */
Test(bounds, addrs_any_lifts_the_bound)
{
	char otc[PATH_MAX], file[] = "/tmp/ot-bounds-XXXXXX.otp", out[4096];

	otc_path(otc, sizeof(otc));
	write_topology(file);
	cr_assert_eq(run_otc(otc, "addrs=192.168.0.0/16", file, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "outside the allowed address ranges"), "%s", out);
	cr_assert_eq(run_otc(otc, "addrs=any", file, out, sizeof(out)), 0, "%s", out);
	cr_assert_eq(run_otc(otc, "addrs=10.9.0.0/16", file, out, sizeof(out)), 0, "%s", out);
	unlink(file);
}
