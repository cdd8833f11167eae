/*
 * caps.c - what a process entering a container gives up (contract in
 * exec.h): capabilities, as LXC's lxc.cap.drop / lxc.cap.keep do, and
 * no_new_privs. Hand-written with prctl(2) and the capget/capset system
 * calls rather than libcap: a few calls, and the static otnode and the
 * plugin need no extra library (capabilities(7) and prctl(2) describe
 * every step).
 */
#include "exec/exec_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vocab/caps.h"

/* The highest capability this kernel knows: /proc/sys/kernel/cap_last_cap,
 * else the first number PR_CAPBSET_READ refuses, minus one. */
static unsigned last_cap(void)
{
	char buf[16];
	unsigned n;
	ssize_t len;
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len > 0) {
			buf[len] = '\0';
			n = (unsigned)strtoul(buf, NULL, 10);
			if (n > 0 && n < 64)
				return n;
		}
	}
	for (n = 0; n < 63 && prctl(PR_CAPBSET_READ, n + 1, 0, 0, 0) >= 0; n++)
		;
	return n;
}

int ot_exec_caps_apply(const struct ot_plan *p, int ns, unsigned flags, struct ot_error *err)
{
	const struct ot_plan_ns *pn;
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uint64_t drop = 0;
	unsigned n, last;

	if (ns <= 0 || (size_t)ns >= p->nns || p->ns[ns].role != OT_NS_CONTAINER)
		return ot_error_set(err, -EINVAL, "%s: namespace %d is not a container", p->node,
				    ns);
	pn = &p->ns[ns];
	if (pn->caps_set) {
		last = last_cap();
		for (n = 0; n <= last; n++)
			if (!!(pn->caps & (1ull << n)) != pn->caps_keep)
				drop |= 1ull << n;
		/* the bounding set first: dropping needs CAP_SETPCAP, which
		 * capset below may take away */
		for (n = 0; n <= last; n++) {
			if (!(drop & (1ull << n)) || prctl(PR_CAPBSET_READ, n, 0, 0, 0) != 1)
				continue;
			if (prctl(PR_CAPBSET_DROP, n, 0, 0, 0) < 0)
				return ot_error_sys(err, -errno,
						    "%s: enter '%s': drop capability %s from the "
						    "bounding set",
						    p->node, pn->container,
						    ot_cap_name(n) ? ot_cap_name(n) : "?");
			/* EINVAL: not raised (or ambient capabilities unsupported) */
			if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, n, 0, 0) < 0 &&
			    errno != EINVAL)
				return ot_error_sys(err, -errno,
						    "%s: enter '%s': lower ambient capability %u",
						    p->node, pn->container, n);
		}
		if (syscall(SYS_capget, &hdr, data) < 0)
			return ot_error_sys(err, -errno, "%s: enter '%s': capget", p->node,
					    pn->container);
		for (n = 0; n < 2; n++) {
			uint32_t m = (uint32_t)(drop >> (32 * n));

			data[n].inheritable &= ~m;
			if (!(flags & OT_CAPS_KEEP_EFFECTIVE)) {
				data[n].effective &= ~m;
				data[n].permitted &= ~m;
			}
		}
		if (syscall(SYS_capset, &hdr, data) < 0)
			return ot_error_sys(err, -errno, "%s: enter '%s': capset", p->node,
					    pn->container);
	}
	if (pn->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return ot_error_sys(err, -errno, "%s: enter '%s': set no_new_privs", p->node,
				    pn->container);
	return 0;
}
