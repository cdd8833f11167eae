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

/* Hashed piece by piece (otdeploy's image: runtime, plan, trailer), the
 * digest is the one of the joined bytes, wherever the pieces are cut. */
Test(sha256, pieces_equal_joined)
{
	unsigned char data[3000];
	char whole[OT_SHA256_HEX], parts[OT_SHA256_HEX];
	size_t i, a, b;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 131 + 7);
	cr_assert_eq(ot_sha256_hex(data, sizeof(data), whole), 0);
	for (a = 0; a <= sizeof(data); a += 250) {
		for (b = a; b <= sizeof(data); b += 333) {
			struct iovec v[4] = {{data, a},
					     {data + a, 0},
					     {data + a, b - a},
					     {data + b, sizeof(data) - b}};

			cr_assert_eq(ot_sha256_hexv(v, 4, parts), 0);
			cr_assert_str_eq(parts, whole, "cut at %zu and %zu", a, b);
		}
	}
	/* and a change in any piece changes it */
	data[2999] ^= 1;
	{
		struct iovec v[2] = {{data, 1000}, {data + 1000, 2000}};

		cr_assert_eq(ot_sha256_hexv(v, 2, parts), 0);
		cr_assert_str_neq(parts, whole);
	}
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

/* apply's probe: `stat -c '%f %u %s'` lines (stat's own output, from a real
 * directory, link and file here) and the rules applied to them */
Test(remote_stat, parses_what_stat_prints)
{
	char dir[] = "/tmp/otrs-XXXXXX", cmd[256], line[128], path[64];
	struct ot_ssh_stat st;
	struct ot_error err = {0};
	FILE *f;

	cr_assert(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -m 0700 d && mkdir -m 1777 t && ln -s d l && printf abc >f && "
		 "chmod 0600 f && stat -c '%%f %%u %%s' d t l f",
		 dir);
	f = popen(cmd, "r");
	cr_assert(f);
	cr_assert(fgets(line, sizeof(line), f));
	line[strcspn(line, "\n")] = '\0';
	cr_assert_eq(ot_remote_stat_parse(line, &st), 0, "%s", line);
	cr_assert_eq(st.type, OT_SSH_FT_DIR);
	cr_assert_eq(st.mode, 0700);
	cr_assert_eq(st.uid, (uint32_t)getuid());
	snprintf(path, sizeof(path), "%s/d", dir);
	cr_assert_eq(ot_remote_component_check(path, &st, getuid(), true, &err), 0, "%s", err.msg);
	/* sticky and world-writable: above the configured dir only */
	cr_assert(fgets(line, sizeof(line), f));
	line[strcspn(line, "\n")] = '\0';
	cr_assert_eq(ot_remote_stat_parse(line, &st), 0, "%s", line);
	cr_assert_eq(st.mode, 01777);
	cr_assert_eq(ot_remote_component_check(path, &st, getuid(), false, &err), 0);
	cr_assert_eq(ot_remote_component_check(path, &st, getuid(), true, &err), -EPERM);
	/* a link is a link (stat without -L), and refused */
	cr_assert(fgets(line, sizeof(line), f));
	line[strcspn(line, "\n")] = '\0';
	cr_assert_eq(ot_remote_stat_parse(line, &st), 0, "%s", line);
	cr_assert_eq(st.type, OT_SSH_FT_LINK);
	cr_assert_eq(ot_remote_component_check(path, &st, getuid(), false, &err), -EPERM);
	cr_assert(strstr(err.msg, "symbolic link"), "%s", err.msg);
	cr_assert(fgets(line, sizeof(line), f));
	line[strcspn(line, "\n")] = '\0';
	cr_assert_eq(ot_remote_stat_parse(line, &st), 0, "%s", line);
	cr_assert_eq(st.type, OT_SSH_FT_REG);
	cr_assert_eq(st.size, 3);
	cr_assert_eq(st.mode, 0600);
	/* someone else's directory */
	st.type = OT_SSH_FT_DIR;
	st.uid = 4242;
	st.mode = 0755;
	cr_assert_eq(ot_remote_component_check(path, &st, 1000, false, &err), -EPERM);
	pclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(remote_stat, refuses_junk)
{
	const char *bad[] = {"",
			     "41c0 0",
			     "41c0 0 4096 x",
			     "zz 0 1",
			     "41c0 -1 4096",
			     "41c0 99999999999 4096",
			     "sha256sum: no such file"};
	struct ot_ssh_stat st;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(ot_remote_stat_parse(bad[i], &st), -EINVAL, "'%s'", bad[i]);
}
