/*
 * test_ssh.c - otdeploy's SSH transport and remote directory policy against
 * a real OpenSSH sshd (a simulated host of hosts/simcluster). Run by
 * tests/deploy/run-ssh inside the cluster's ctl netns with:
 *
 *   OTD_HOST         the host's address      OTD_KEY   the client key
 *   OTD_KNOWN_HOSTS  the cluster's known_hosts
 *   OTD_SCRATCH      a directory of ours, visible to the host (shared fs)
 *   OTD_WRONG_KH     a known_hosts naming OTD_HOST with another key
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deploy/remote.h"
#include "deploy/ssh.h"
#include "util/clock.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);

	cr_assert(v && *v, "%s is not set (run through tests/deploy/run-ssh)", name);
	return v;
}

static struct ot_ssh_opts opts(void)
{
	struct ot_ssh_opts o = {0};

	o.host = env("OTD_HOST");
	o.user = "root";
	o.identity = env("OTD_KEY");
	o.known_hosts = env("OTD_KNOWN_HOSTS");
	o.connect_timeout_ms = 5000;
	return o;
}

static struct ot_ssh *connect_ok(void)
{
	struct ot_ssh_opts o = opts();
	struct ot_error err = {0};
	struct ot_ssh *s = NULL;

	cr_assert_eq(ot_ssh_global_init(&err), 0);
	cr_assert_eq(ot_ssh_connect(&o, &s, &err), 0, "%s", err.msg);
	return s;
}

Test(ssh, runs_a_command_with_status_stdout_stderr_and_stdin)
{
	struct ot_ssh *s = connect_ok();
	struct ot_ssh_result r;
	struct ot_error err = {0};

	cr_assert_eq(ot_ssh_run(s, "echo out; echo err >&2; exit 7", NULL, 0, 5000, &r, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(r.status, 7);
	cr_assert_str_eq(r.out, "out\n");
	cr_assert_str_eq(r.errout, "err\n");
	ot_ssh_result_free(&r);

	cr_assert_eq(ot_ssh_run(s, "wc -c", "hello", 5, 5000, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(r.status, 0);
	cr_assert_eq(atoi(r.out), 5);
	ot_ssh_result_free(&r);
	ot_ssh_close(s);
}

Test(ssh, large_output_is_captured_whole)
{
	struct ot_ssh *s = connect_ok();
	struct ot_ssh_result r;
	struct ot_error err = {0};

	cr_assert_eq(ot_ssh_run(s, "head -c 3000000 /dev/zero; head -c 200000 /dev/zero >&2", NULL,
				0, 20000, &r, &err),
		     0, "%s", err.msg);
	cr_assert_eq(r.status, 0);
	cr_assert_eq(r.out_len, 3000000);
	cr_assert_eq(r.err_len, 200000);
	ot_ssh_result_free(&r);
	ot_ssh_close(s);
}

Test(ssh, command_deadline_kills_and_reports)
{
	struct ot_ssh *s = connect_ok();
	struct ot_ssh_result r;
	struct ot_error err = {0};
	int64_t t0;
	long ms;

	/* The remote side must limit itself too (servers may ignore the
	 * signal request): otdeploy wraps remote commands in timeout(1). */
	t0 = ot_mono_ms();
	cr_assert_eq(ot_ssh_run(s, "exec timeout 2 sleep 29.5", NULL, 0, 300, &r, &err),
		     -ETIMEDOUT);
	ms = (long)(ot_mono_ms() - t0);
	cr_assert_lt(ms, 5000, "took %ld ms", ms);
	cr_assert(strstr(err.msg, "did not finish within 300 ms"), "%s", err.msg);
	ot_ssh_result_free(&r);
	/* The connection is still usable afterwards. */
	cr_assert_eq(ot_ssh_run(s, "true", NULL, 0, 5000, &r, &err), 0, "%s", err.msg);
	cr_assert_eq(r.status, 0);
	ot_ssh_result_free(&r);
	/* Nothing is left behind (within the remote limit). */
	for (ms = 0; ms < 50; ms++) {
		cr_assert_eq(ot_ssh_run(s, "pgrep -xf 'sleep 29.5'", NULL, 0, 5000, &r, &err), 0);
		ot_ssh_result_free(&r);
		if (r.status == 1)
			break;
		usleep(100000);
	}
	cr_assert_lt(ms, 50, "the timed-out command is still running");
	ot_ssh_close(s);
}

Test(ssh, interactive_lines)
{
	struct ot_ssh *s = connect_ok();
	struct ot_ssh_cmd *c;
	struct ot_ssh_result r;
	struct ot_error err = {0};
	char line[64];

	cr_assert_eq(ot_ssh_cmd_start(s, "echo ready; read x; echo got-$x; echo tail", &c, &err), 0,
		     "%s", err.msg);
	cr_assert_eq(ot_ssh_cmd_read_line(c, line, sizeof(line), 5000, &err), 0, "%s", err.msg);
	cr_assert_str_eq(line, "ready");
	cr_assert_eq(ot_ssh_cmd_write(c, "go\n", 3, &err), 0);
	cr_assert_eq(ot_ssh_cmd_read_line(c, line, sizeof(line), 5000, &err), 0, "%s", err.msg);
	cr_assert_str_eq(line, "got-go");
	cr_assert_eq(ot_ssh_cmd_finish(c, 5000, &r, &err), 0, "%s", err.msg);
	cr_assert_str_eq(r.out, "tail\n");
	cr_assert_eq(r.status, 0);
	ot_ssh_result_free(&r);
	ot_ssh_close(s);
}

Test(ssh, unknown_host_key_is_refused)
{
	struct ot_ssh_opts o = opts();
	struct ot_error err = {0};
	struct ot_ssh *s = NULL;
	char kh[512];
	FILE *f;

	snprintf(kh, sizeof(kh), "%s/empty_known_hosts", env("OTD_SCRATCH"));
	f = fopen(kh, "w");
	cr_assert(f);
	fclose(f);
	o.known_hosts = kh;
	cr_assert_eq(ot_ssh_global_init(&err), 0);
	cr_assert_eq(ot_ssh_connect(&o, &s, &err), -EKEYREJECTED);
	cr_assert(strstr(err.msg, "unknown host key"), "%s", err.msg);
	cr_assert(strstr(err.msg, "SHA256:"), "no fingerprint: %s", err.msg);
	cr_assert_null(s);

	/* Accepting new keys records it; the next connection needs no flag. */
	o.accept_new = true;
	cr_assert_eq(ot_ssh_connect(&o, &s, &err), 0, "%s", err.msg);
	cr_assert(ot_ssh_key_was_added(s));
	ot_ssh_close(s);
	o.accept_new = false;
	cr_assert_eq(ot_ssh_connect(&o, &s, &err), 0, "%s", err.msg);
	cr_assert_not(ot_ssh_key_was_added(s));
	ot_ssh_close(s);
	unlink(kh);
}

Test(ssh, changed_host_key_is_refused_even_when_accepting_new)
{
	struct ot_ssh_opts o = opts();
	struct ot_error err = {0};
	struct ot_ssh *s = NULL;

	o.known_hosts = env("OTD_WRONG_KH");
	o.accept_new = true;
	cr_assert_eq(ot_ssh_global_init(&err), 0);
	cr_assert_eq(ot_ssh_connect(&o, &s, &err), -EKEYREJECTED);
	cr_assert(strstr(err.msg, "CHANGED"), "%s", err.msg);
	cr_assert_null(s);
}

Test(ssh, wrong_key_is_refused_and_open_key_file_too)
{
	struct ot_ssh_opts o = opts();
	struct ot_error err = {0};
	struct ot_ssh *s = NULL;
	char key[256], cmd[1200];

	snprintf(key, sizeof(key), "%s/other_key", env("OTD_SCRATCH"));
	snprintf(cmd, sizeof(cmd), "rm -f %s %s.pub; ssh-keygen -q -t ed25519 -N '' -f %s", key,
		 key, key);
	cr_assert_eq(system(cmd), 0);
	o.identity = key;
	cr_assert_eq(ot_ssh_global_init(&err), 0);
	cr_assert_eq(ot_ssh_connect(&o, &s, &err), -EACCES, "%s", err.msg);
	cr_assert(strstr(err.msg, "authentication refused"), "%s", err.msg);
	chmod(key, 0644);
	cr_assert_eq(ot_ssh_connect(&o, &s, &err), -EPERM, "%s", err.msg);
	cr_assert(strstr(err.msg, "accessible by others"), "%s", err.msg);
}

Test(ssh, unreachable_port_is_reported)
{
	struct ot_ssh_opts o = opts();
	struct ot_error err = {0};
	struct ot_ssh *s = NULL;

	o.port = 2; /* nothing listens there */
	cr_assert_eq(ot_ssh_global_init(&err), 0);
	cr_assert_eq(ot_ssh_connect(&o, &s, &err), -ECONNREFUSED, "%s", err.msg);
	cr_assert(strstr(err.msg, "cannot connect"), "%s", err.msg);
}

Test(sftp, put_is_exclusive_and_checksummed_remotely)
{
	struct ot_ssh *s = connect_ok();
	struct ot_ssh_result r;
	struct ot_error err = {0};
	struct ot_ssh_stat st;
	char path[512], cmd[1100], mine[OT_SHA256_HEX], theirs[OT_SHA256_HEX];
	static unsigned char data[1500000];
	size_t i;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	snprintf(path, sizeof(path), "%s/put-test", env("OTD_SCRATCH"));
	unlink(path);
	cr_assert_eq(ot_ssh_put(s, path, data, sizeof(data), 0700, &err), 0, "%s", err.msg);
	cr_assert_eq(ot_ssh_lstat(s, path, &st, &err), 0);
	cr_assert_eq(st.type, OT_SSH_FT_REG);
	cr_assert_eq(st.size, sizeof(data));
	cr_assert_eq(st.mode & 0777, 0700);
	cr_assert_eq(ot_ssh_put(s, path, data, 10, 0700, &err), -EEXIST, "%s", err.msg);

	snprintf(cmd, sizeof(cmd), "sha256sum -- '%s'", path);
	cr_assert_eq(ot_ssh_run(s, cmd, NULL, 0, 5000, &r, &err), 0);
	cr_assert_eq(ot_sha256_parse(r.out, theirs), 0, "%s", r.out);
	ot_sha256_hex(data, sizeof(data), mine);
	cr_assert_str_eq(mine, theirs);
	ot_ssh_result_free(&r);
	cr_assert_eq(ot_ssh_unlink(s, path, &err), 0);
	cr_assert_eq(ot_ssh_unlink(s, path, &err), 0, "a missing file is fine");

	/* in pieces (otdeploy's runtime, plan, trailer), cut across the 64 KiB
	 * writes and with an empty one: the host has the joined bytes */
	{
		struct iovec v[5] = {{data, 70000},
				     {data + 70000, 0},
				     {data + 70000, 5},
				     {data + 70005, 65531},
				     {data + 135536, sizeof(data) - 135536}};

		cr_assert_eq(ot_ssh_putv(s, path, v, 5, 0700, &err), 0, "%s", err.msg);
		cr_assert_eq(ot_ssh_run(s, cmd, NULL, 0, 5000, &r, &err), 0);
		cr_assert_eq(ot_sha256_parse(r.out, theirs), 0, "%s", r.out);
		cr_assert_str_eq(mine, theirs);
		ot_ssh_result_free(&r);
		cr_assert_eq(ot_ssh_unlink(s, path, &err), 0);
	}

	/* rmdir: empty only; a missing directory is fine */
	snprintf(path, sizeof(path), "%s/rm-test", env("OTD_SCRATCH"));
	cr_assert_eq(ot_ssh_mkdir(s, path, 0700, &err), 0, "%s", err.msg);
	cr_assert_eq(ot_ssh_mkdir(s, path, 0700, &err), -EEXIST);
	snprintf(cmd, sizeof(cmd), "%s/f", path);
	cr_assert_eq(ot_ssh_put(s, cmd, "x", 1, 0600, &err), 0, "%s", err.msg);
	cr_assert_eq(ot_ssh_rmdir(s, path, &err), -ENOTEMPTY, "%s", err.msg);
	cr_assert_eq(ot_ssh_unlink(s, cmd, &err), 0);
	cr_assert_eq(ot_ssh_rmdir(s, path, &err), 0, "%s", err.msg);
	cr_assert_eq(ot_ssh_rmdir(s, path, &err), 0, "a missing directory is fine");
	ot_ssh_close(s);
}

Test(remote_dir, created_checked_and_traps_refused)
{
	struct ot_ssh *s = connect_ok();
	struct ot_error err = {0};
	char base[256], dir[512], link[512], cmd[1400];
	struct stat st;

	snprintf(base, sizeof(base), "%s/rdir", env("OTD_SCRATCH"));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	cr_assert_eq(system(cmd), 0);

	/* Created from nothing, 0700. */
	snprintf(dir, sizeof(dir), "%s/a/b", base);
	cr_assert_eq(ot_remote_dir_prepare(s, dir, "topo.n1", 0, &err), 0, "%s", err.msg);
	snprintf(link, sizeof(link), "%s/a/b/topo.n1", base);
	cr_assert_eq(stat(link, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0700);
	/* Twice is fine. */
	cr_assert_eq(ot_remote_dir_prepare(s, dir, "topo.n1", 0, &err), 0, "%s", err.msg);

	/* A symbolic link anywhere on the way is refused. */
	snprintf(link, sizeof(link), "%s/ln", base);
	cr_assert_eq(symlink("/tmp", link), 0);
	snprintf(dir, sizeof(dir), "%s/ln/x", base);
	cr_assert_eq(ot_remote_dir_prepare(s, dir, NULL, 0, &err), -EPERM);
	cr_assert(strstr(err.msg, "symbolic link"), "%s", err.msg);
	snprintf(dir, sizeof(dir), "%s/a/b", base);
	snprintf(link, sizeof(link), "%s/a/b/evil", base);
	cr_assert_eq(symlink("/etc", link), 0);
	cr_assert_eq(ot_remote_dir_prepare(s, dir, "evil", 0, &err), -EPERM);
	cr_assert(strstr(err.msg, "symbolic link"), "%s", err.msg);

	/* The configured directory writable by others: refused. */
	snprintf(dir, sizeof(dir), "%s/a", base);
	chmod(dir, 0777);
	snprintf(dir, sizeof(dir), "%s/a/b", base);
	cr_assert_eq(ot_remote_dir_prepare(s, dir, NULL, 0, &err), -EPERM);
	cr_assert(strstr(err.msg, "without the sticky bit"), "%s", err.msg);
	/* ... but a sticky world-writable parent (like /tmp) is fine. */
	snprintf(dir, sizeof(dir), "%s/a", base);
	chmod(dir, 01777);
	snprintf(dir, sizeof(dir), "%s/a/b", base);
	cr_assert_eq(ot_remote_dir_prepare(s, dir, NULL, 0, &err), 0, "%s", err.msg);
	/* ... not for the configured directory itself. */
	snprintf(dir, sizeof(dir), "%s/a", base);
	cr_assert_eq(ot_remote_dir_prepare(s, dir, NULL, 0, &err), -EPERM);
	cr_assert(strstr(err.msg, "writable by group or others"), "%s", err.msg);

	/* Owned by somebody else: refused. */
	snprintf(dir, sizeof(dir), "%s/a/b", base);
	cr_assert_eq(chown(dir, 4242, 4242), 0);
	cr_assert_eq(ot_remote_dir_prepare(s, dir, NULL, 0, &err), -EPERM);
	cr_assert(strstr(err.msg, "uid 4242"), "%s", err.msg);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	cr_assert_eq(system(cmd), 0);
	ot_ssh_close(s);
}
