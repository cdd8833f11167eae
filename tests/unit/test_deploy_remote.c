/*
 * test_deploy_remote.c - the remote directory text rules and the checksum
 * helpers of otdeploy (no network: the SFTP walk is tested against real
 * sshd in tests/deploy/).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy/remote.h"
#include "model/load.h"
#include "util/path.h"

Test(remote_dir, accepts_plain_absolute_paths)
{
	const char *good[] = {"/var/lib/opentop", "/tmp/otd-1234", "/a", "/opt/open_top-1.0+x"};
	struct ot_error err = {0};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(ot_remote_dir_valid(good[i], &err), 0, "%s: %s", good[i], err.msg);
}

Test(remote_dir, refuses_escapes_and_odd_text)
{
	const char *bad[] = {"",	   "relative/dir", "/",		"/var/../etc",
			     "/var/./lib", "/var//lib",	   "/var/lib/", "/var/lib/..",
			     "/a b",	   "/a;rm -rf",	   "/a$(id)",	"/a`id`",
			     "/a\nb",	   "/ä",	   "/a'b"};
	struct ot_error err = {0};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(ot_remote_dir_valid(bad[i], &err), -EINVAL, "accepted '%s'", bad[i]);
		cr_assert(err.msg[0], "no reason for '%s'", bad[i]);
	}
}

Test(remote_dir, refuses_overlong)
{
	char buf[400];
	struct ot_error err = {0};

	memset(buf, 'a', sizeof(buf) - 1);
	buf[0] = '/';
	buf[sizeof(buf) - 1] = '\0';
	cr_assert_eq(ot_remote_dir_valid(buf, &err), -EINVAL);
	cr_assert(strstr(err.msg, "longer"));
}

/*
 * One rule: the hosts file check (otc check) refuses a dir= exactly when
 * otdeploy would refuse it, for every value either test above uses.
 */
Test(remote_dir, hosts_check_agrees_with_otdeploy)
{
	const char *dirs[] = {"/var/lib/opentop",
			      "/a",
			      "/opt/open_top-1.0+x",
			      "/",
			      "/var/../etc",
			      "/var/./lib",
			      "/var//lib",
			      "/var/lib/",
			      "/var/lib/..",
			      "/a;rm",
			      "/a$(id)",
			      "/a`id`",
			      "/a'b",
			      "/\xc3\xa4",
			      "relative/dir"};
	struct ot_error err = {0};
	struct ot_hosts *h;
	struct ot_diags d;
	char line[128];
	size_t i;
	int deploy, check;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(line, sizeof(line), "n1 local 192.0.2.1 dir=%s\n", dirs[i]);
		ot_diags_init(&d);
		h = NULL;
		check = ot_hosts_load_mem("h.hosts", line, strlen(line), &d, &h);
		deploy = ot_remote_dir_valid(dirs[i], &err);
		cr_assert_eq(check < 0, deploy < 0, "'%s': otc check %s, otdeploy %s", dirs[i],
			     check < 0 ? "refuses" : "accepts", deploy < 0 ? "refuses" : "accepts");
		if (check < 0)
			cr_assert(d.n == 1 && strstr(d.v[0].msg, "invalid directory"), "'%s'",
				  dirs[i]);
		ot_hosts_free(h);
		ot_diags_free(&d);
	}
}

Test(dir_problem, names_the_reason)
{
	char buf[96];

	cr_assert_null(ot_dir_problem("/var/lib/opentop", buf, sizeof(buf)));
	cr_assert_str_eq(ot_dir_problem("/", buf, sizeof(buf)), "is '/' itself");
	cr_assert_str_eq(ot_dir_problem("x", buf, sizeof(buf)), "is not an absolute path");
	cr_assert_str_eq(ot_dir_problem("/a/../b", buf, sizeof(buf)),
			 "has a '.' or '..' component");
	cr_assert_str_eq(ot_dir_problem("/a\tb", buf, sizeof(buf)),
			 "contains '?' (use letters, digits and ._+- in components)");
	cr_assert_eq(ot_dir_problem("/a b", buf, sizeof(buf)), buf);
}

Test(sha256, known_vectors)
{
	char hex[OT_SHA256_HEX];

	cr_assert_eq(ot_sha256_hex("", 0, hex), 0);
	cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	cr_assert_eq(ot_sha256_hex("abc", 3, hex), 0);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* The same bytes through the system's sha256sum (what the hosts run). */
Test(sha256, agrees_with_sha256sum)
{
	char tmpl[] = "/tmp/otd-unit-XXXXXX", cmd[128], line[256], mine[OT_SHA256_HEX],
	     theirs[OT_SHA256_HEX];
	unsigned char data[70000];
	size_t i;
	FILE *f, *p;
	int fd;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 131 + 7);
	fd = mkstemp(tmpl);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_eq(fwrite(data, 1, sizeof(data), f), sizeof(data));
	fclose(f);
	snprintf(cmd, sizeof(cmd), "sha256sum %s", tmpl);
	p = popen(cmd, "r");
	cr_assert(p);
	cr_assert(fgets(line, sizeof(line), p));
	pclose(p);
	unlink(tmpl);
	cr_assert_eq(ot_sha256_parse(line, theirs), 0);
	cr_assert_eq(ot_sha256_hex(data, sizeof(data), mine), 0);
	cr_assert_str_eq(mine, theirs);
}

Test(sha256, parse_refuses_junk)
{
	char out[OT_SHA256_HEX];

	cr_assert_eq(ot_sha256_parse("sha256sum: x: No such file or directory", out), -EINVAL);
	cr_assert_eq(
	    ot_sha256_parse("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8", out),
	    -EINVAL);
	cr_assert_eq(
	    ot_sha256_parse("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855  f",
			    out),
	    0);
	cr_assert_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
