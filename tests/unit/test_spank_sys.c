/*
 * test_spank_sys.c - the plugin's system-facing helpers against the real
 * kernel, as root: reading the topology with the job user's credentials
 * (and refusing what root could read but the user could not, FIFOs and
 * oversized files), the PMIx relay across network namespaces, and the
 * owner records that let a later step reclaim an orphaned instance.
 *
 * Everything made here is prefixed "otsl" + the PID, lives in a private
 * temporary directory or an anonymous namespace of a child process, and is
 * removed by the test itself.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spank/owner.h"
#include "spank/readas.h"
#include "spank/relay.h"

#define NOBODY 65534

static char dir[256];

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (reads as another uid, creates namespaces)");
}

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/otsl%d-XXXXXX", (int)getpid());
	cr_assert_not_null(mkdtemp(dir));
	chmod(dir, 0755);
}

static void rm_tmp(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

TestSuite(spank_read, .init = mkdir_tmp, .fini = rm_tmp);

Test(spank_read, as_the_job_user)
{
	struct ot_spank_cred nobody = {.uid = NOBODY, .gid = NOBODY};
	struct ot_error err;
	char path[512], *text = NULL;
	size_t len;

	need_root();
	write_file("ok.otp", "topology ok\n", 0644);
	write_file("secret.otp", "topology secret\n", 0600);
	snprintf(path, sizeof(path), "%s/ok.otp", dir);
	cr_assert_eq(ot_spank_read_file(path, NULL, &nobody, 1024, &text, &len, &err), 0, "%s",
		     err.msg);
	cr_assert_str_eq(text, "topology ok\n");
	cr_assert_eq(len, 12);
	free(text);

	/* Root could read it; the job user cannot, so neither may the plugin. */
	snprintf(path, sizeof(path), "%s/secret.otp", dir);
	cr_assert_eq(ot_spank_read_file(path, NULL, &nobody, 1024, &text, &len, &err), -EACCES);
	cr_assert(strstr(err.msg, "as uid 65534: Permission denied"), "%s", err.msg);
	/* The reader dropped its own credentials only: this process is still
	 * root and still reads the file. */
	cr_assert_eq(geteuid(), 0);
	cr_assert_eq(getegid(), 0);
	cr_assert_eq(ot_spank_read_file(path, NULL, NULL, 1024, &text, &len, &err), 0);
	free(text);
	/* Root's own job reads it. */
	struct ot_spank_cred root = {.uid = 0, .gid = 0};
	cr_assert_eq(ot_spank_read_file(path, NULL, &root, 1024, &text, &len, &err), 0);
	free(text);
}

Test(spank_read, relative_to_the_submit_directory)
{
	struct ot_spank_cred nobody = {.uid = NOBODY, .gid = NOBODY};
	struct ot_error err;
	char *text = NULL;
	size_t len;

	need_root();
	write_file("rel.otp", "topology rel\n", 0644);
	cr_assert_eq(ot_spank_read_file("rel.otp", dir, &nobody, 1024, &text, &len, &err), 0, "%s",
		     err.msg);
	cr_assert_str_eq(text, "topology rel\n");
	free(text);
}

Test(spank_read, refuses_fifos_devices_and_big_files)
{
	struct ot_spank_cred nobody = {.uid = NOBODY, .gid = NOBODY};
	struct ot_error err;
	char path[512], *text = NULL, big[4096];
	size_t len;

	need_root();
	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0666), 0);
	chmod(path, 0666);
	/* A FIFO nobody writes to must neither block nor be read. */
	cr_assert_eq(ot_spank_read_file(path, NULL, &nobody, 1024, &text, &len, &err), -EINVAL);
	cr_assert(strstr(err.msg, "is not a regular file"), "%s", err.msg);
	cr_assert_eq(ot_spank_read_file("/dev/zero", NULL, &nobody, 1024, &text, &len, &err),
		     -EINVAL);
	cr_assert_eq(ot_spank_read_file(path, NULL, NULL, 1024, &text, &len, &err), -EINVAL);

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_file("big.otp", big, 0644);
	snprintf(path, sizeof(path), "%s/big.otp", dir);
	cr_assert_eq(ot_spank_read_file(path, NULL, &nobody, 1000, &text, &len, &err), -EFBIG);
	cr_assert(
	    strstr(err.msg,
		   "is 4095 bytes, larger than the bound of 1000 bytes (plugstack.conf: max_file)"),
	    "%s", err.msg);
	cr_assert_eq(ot_spank_read_file(path, NULL, NULL, 1000, &text, &len, &err), -EFBIG);
	cr_assert_eq(ot_spank_read_file(path, NULL, &nobody, 4095, &text, &len, &err), 0);
	cr_assert_eq(len, 4095);
	free(text);
	cr_assert_eq(
	    ot_spank_read_file("/nonexistent/otsl.otp", NULL, &nobody, 10, &text, &len, &err),
	    -ENOENT);
	cr_assert(strstr(err.msg, "cannot read topology '/nonexistent/otsl.otp' as uid 65534: No "
				  "such file"),
		  "%s", err.msg);
}

/* ---- the PMIx relay ---- */

struct echo {
	int lfd;
	int conns;
};

/* A one-connection-at-a-time echo server that closes after EOF. */
static void *echo_main(void *arg)
{
	struct echo *e = arg;
	char buf[65536];

	for (;;) {
		int c = accept(e->lfd, NULL, NULL);
		ssize_t n;

		if (c < 0)
			return NULL;
		e->conns++;
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)n) != n)
				break;
		close(c);
	}
}

static int lo_up(void)
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

	strcpy(ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	r = ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return r;
}

static int connect_lo(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The child: a "task" in a container of its own. Exit code = step that failed. */
static int task(int task_fd, uint16_t port)
{
	static char out[1 << 20], in[1 << 20];
	struct ot_addr lo;
	struct ot_error err;
	size_t got = 0, i;
	int fd;

	if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0)
		return 10;
	/* Without the relay the server is unreachable from here. */
	if (connect_lo(port) >= 0 || errno != ECONNREFUSED)
		return 11;
	ot_addr_parse("127.0.0.1", &lo);
	if (ot_relay_offer(task_fd, &lo, port, &err) < 0)
		return 12;
	/* A second task of the same container: already offered, fine. */
	if (ot_relay_offer(task_fd, &lo, port, &err) < 0)
		return 13;
	fd = connect_lo(port);
	if (fd < 0)
		return 14;
	/* 1 MiB through the relay and back, then a half-close. */
	for (i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7);
	if (fork() == 0) {
		if (write(fd, out, sizeof(out)) != (ssize_t)sizeof(out))
			_exit(1);
		shutdown(fd, SHUT_WR);
		_exit(0);
	}
	for (;;) {
		ssize_t n = read(fd, in + got, sizeof(in) - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	wait(NULL);
	if (got != sizeof(out) || memcmp(in, out, sizeof(out)))
		return 15;
	close(fd);
	return 0;
}

Test(spank_relay, reaches_the_node_loopback_from_a_container)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	struct ot_relay *r;
	struct ot_error err;
	struct echo e = {0};
	pthread_t th;
	int task_fd, st, k;
	pid_t pid;

	need_root();
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	e.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(bind(e.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(e.lfd, 16), 0);
	cr_assert_eq(getsockname(e.lfd, (struct sockaddr *)&sa, &sl), 0);
	cr_assert_eq(pthread_create(&th, NULL, echo_main, &e), 0);
	cr_assert_eq(ot_relay_start(&r, &task_fd, &err), 0, "%s", err.msg);
	/* Two containers (two tasks), one after the other. */
	for (k = 0; k < 2; k++) {
		pid = fork();
		cr_assert_geq(pid, 0);
		if (pid == 0)
			_exit(task(task_fd, ntohs(sa.sin_port)));
		cr_assert_eq(waitpid(pid, &st, 0), pid);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "task %d failed at step %d", k,
			  WEXITSTATUS(st));
	}
	cr_assert_eq(ot_relay_count(r), 2);
	ot_relay_stop(r);
	shutdown(e.lfd, SHUT_RDWR);
	close(e.lfd);
	pthread_join(th, NULL);
	cr_assert_eq(e.conns, 2);
}

/* A task claiming a port where slurmstepd does not listen (another
 * process's server, here a child's) gets nothing relayed. */
static int rogue_task(int task_fd, uint16_t port)
{
	struct ot_addr lo;
	struct ot_error err;

	if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0)
		return 10;
	ot_addr_parse("127.0.0.1", &lo);
	if (ot_relay_offer(task_fd, &lo, port, &err) < 0)
		return 12;
	usleep(200000); /* the relay drops the listener */
	if (connect_lo(port) >= 0)
		return 14;
	return 0;
}

Test(spank_relay, only_to_our_own_listeners)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	struct ot_relay *r;
	struct ot_error err;
	int task_fd, st, pfd[2];
	uint16_t port;
	pid_t srv, pid;

	need_root();
	cr_assert_eq(pipe(pfd), 0);
	srv = fork();
	if (srv == 0) {
		/* another process's listener, on the node's loopback */
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4) ||
		    getsockname(fd, (struct sockaddr *)&sa, &sl))
			_exit(1);
		port = ntohs(sa.sin_port);
		if (write(pfd[1], &port, sizeof(port)) != sizeof(port))
			_exit(1);
		pause();
		_exit(0);
	}
	cr_assert_eq(read(pfd[0], &port, sizeof(port)), (ssize_t)sizeof(port));
	cr_assert_eq(ot_relay_start(&r, &task_fd, &err), 0, "%s", err.msg);
	pid = fork();
	if (pid == 0)
		_exit(rogue_task(task_fd, port));
	waitpid(pid, &st, 0);
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "rogue task: step %d", WEXITSTATUS(st));
	cr_assert_eq(ot_relay_refused(r), 1);
	cr_assert_eq(ot_relay_count(r), 0);
	ot_relay_stop(r);
	close(pfd[0]);
	close(pfd[1]);
}

Test(spank_relay, start_stop_leaks_nothing)
{
	struct ot_relay *r;
	struct ot_error err;
	int i, fd, before, after;

	before = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(before);
	for (i = 0; i < 50; i++) {
		cr_assert_eq(ot_relay_start(&r, &fd, &err), 0);
		ot_relay_stop(r);
	}
	after = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(after);
	cr_assert_eq(before, after, "fd leak: %d -> %d", before, after);
	ot_relay_stop(NULL);
}

/* ---- owner records ---- */

static int destroyed;

static int fake_destroy(const char *state_dir, void *arg, struct ot_error *err)
{
	(void)arg;
	(void)err;
	destroyed++;
	return strstr(state_dir, "fail") ? -EIO : 0;
}

TestSuite(spank_owner, .init = mkdir_tmp, .fini = rm_tmp);

Test(spank_owner, live_owners_are_kept_dead_ones_reaped)
{
	struct ot_error err;
	unsigned failed;
	char path[600];
	pid_t pid;
	int st;

	need_root();
	destroyed = 0;
	cr_assert_eq(
	    ot_owner_claim(dir, "t.j1s0.node0", "/run/opentop/t.j1s0.node0", getpid(), &err), 0,
	    "%s", err.msg);
	/* Alive (this process): kept. */
	cr_assert_eq(ot_owner_reap(dir, fake_destroy, NULL, &failed, &err), 0);
	cr_assert_eq(destroyed, 0);
	/* A helper child claims for its (living) parent: kept after the child
	 * is gone - the plugin's build process does exactly this. */
	pid = fork();
	if (pid == 0)
		_exit(ot_owner_claim(dir, "t.j5s0.node0", "/run/opentop/t.j5s0.node0", getppid(),
				     NULL)
			  ? 1
			  : 0);
	waitpid(pid, &st, 0);
	cr_assert_eq(WEXITSTATUS(st), 0);
	cr_assert_eq(ot_owner_reap(dir, fake_destroy, NULL, &failed, &err), 0);
	cr_assert_eq(destroyed, 0);
	cr_assert_eq(ot_owner_release(dir, "t.j5s0.node0", &err), 0);
	/* A record made by a process that is gone: reaped. */
	pid = fork();
	if (pid == 0)
		_exit(
		    ot_owner_claim(dir, "t.j2s0.node0", "/run/opentop/t.j2s0.node0", getpid(), NULL)
			? 1
			: 0);
	waitpid(pid, &st, 0);
	cr_assert_eq(WEXITSTATUS(st), 0);
	pid = fork();
	if (pid == 0)
		_exit(ot_owner_claim(dir, "t.j3s0.node0", "/run/opentop/fail", getpid(), NULL) ? 1
											       : 0);
	waitpid(pid, &st, 0);
	cr_assert_eq(ot_owner_reap(dir, fake_destroy, NULL, &failed, &err), 1);
	cr_assert_eq(destroyed, 2);
	cr_assert_eq(failed, 1);
	snprintf(path, sizeof(path), "%s/slurm/t.j2s0.node0", dir);
	cr_assert_eq(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/slurm/t.j3s0.node0", dir);
	cr_assert_eq(access(path, F_OK), 0, "a failed reclaim keeps its record");
	/* A record of another network namespace is not ours to reclaim. */
	pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) == 0 &&
			      ot_owner_claim(dir, "t.j4s0.node1", "/run/opentop/x", getpid(),
					     NULL) == 0
			  ? 0
			  : 1);
	waitpid(pid, &st, 0);
	cr_assert_eq(WEXITSTATUS(st), 0);
	destroyed = 0;
	cr_assert_eq(ot_owner_reap(dir, fake_destroy, NULL, &failed, &err), 0);
	cr_assert_eq(destroyed, 1); /* only the failing one again */
	cr_assert_eq(ot_owner_release(dir, "t.j1s0.node0", &err), 0);
	cr_assert_eq(ot_owner_release(dir, "t.j1s0.node0", &err), 0);
	cr_assert_lt(ot_owner_release(dir, "../etc", &err), 0);
}
