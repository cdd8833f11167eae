/*
 * ctx.c - the executor's run context: namespace descriptors, switching the
 * calling thread between namespaces, one netlink socket per namespace and
 * bus (opened inside it, once), ifindex lookups, sysctls, steps and the
 * fault hook (contracts in exec_int.h).
 */
#include "exec/exec_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include "util/hash.h"
#include "util/vec.h"

int ot_x_init(struct ot_xctx *x, const struct ot_plan *p, const struct ot_exec_opts *o,
	      struct ot_error *err)
{
	size_t i;

	memset(x, 0, sizeof(*x));
	pthread_mutex_init(&x->lock, NULL);
	x->p = p;
	if (o)
		x->o = *o;
	x->host_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (x->host_fd < 0)
		return ot_error_sys(err, -errno, "open /proc/thread-self/ns/net");
	x->nns = p ? p->nns : 1;
	x->ns = calloc(x->nns, sizeof(*x->ns));
	if (!x->ns) {
		close(x->host_fd);
		x->host_fd = -1;
		return ot_error_set(err, -ENOMEM, "out of memory");
	}
	for (i = 0; i < x->nns; i++)
		x->ns[i].fd = -1;
	return 0;
}

void ot_x_free(struct ot_xctx *x)
{
	size_t i;

	if (!x->ns)
		return;
	pthread_mutex_destroy(&x->lock);
	for (i = 0; i < x->nns; i++) {
		ot_nl_close(&x->ns[i].rt);
		ot_nl_close(&x->ns[i].nf);
		if (x->ns[i].fd >= 0)
			close(x->ns[i].fd);
	}
	free(x->ns);
	x->ns = NULL;
	free(x->ifx);
	x->ifx = NULL;
	ot_journal_close(x->j);
	x->j = NULL;
	if (x->host_fd >= 0) {
		/* never leave the caller in one of our namespaces */
		setns(x->host_fd, CLONE_NEWNET);
		close(x->host_fd);
	}
	x->host_fd = -1;
}

const char *ot_x_nsname(const struct ot_xctx *x, int i)
{
	if (!x->p || i == OT_NS_HOST_INDEX || i < 0 || (size_t)i >= x->p->nns)
		return "host";
	return x->p->ns[i].name;
}

int ot_x_nsfd(struct ot_xctx *x, int i, struct ot_error *err)
{
	char path[PATH_MAX];

	if (i < 0 || (size_t)i >= x->nns)
		return ot_error_set(err, -EINVAL, "namespace index %d out of range", i);
	if (x->ns[i].fd >= 0)
		return x->ns[i].fd;
	if (i == OT_NS_HOST_INDEX)
		return x->host_fd;
	snprintf(path, sizeof(path), "%s/%s", OT_NETNS_DIR, x->p->ns[i].name);
	x->ns[i].fd = open(path, O_RDONLY | O_CLOEXEC);
	if (x->ns[i].fd < 0)
		return ot_error_sys(err, -errno, "open namespace '%s'", path);
	return x->ns[i].fd;
}

int ot_x_enter(struct ot_xctx *x, int i, struct ot_error *err)
{
	int fd = ot_x_nsfd(x, i, err);

	if (fd < 0)
		return fd;
	if (setns(fd, CLONE_NEWNET) < 0)
		return ot_error_sys(err, -errno, "enter namespace %s", ot_x_nsname(x, i));
	return 0;
}

int ot_x_leave(struct ot_xctx *x, struct ot_error *err)
{
	if (setns(x->host_fd, CLONE_NEWNET) < 0)
		return ot_error_sys(err, -errno, "return to the host namespace");
	return 0;
}

struct ot_nl *ot_x_nl(struct ot_xctx *x, int i, int bus, struct ot_error *err)
{
	struct ot_nl *nl;
	int r;

	if (i < 0 || (size_t)i >= x->nns) {
		ot_error_set(err, -EINVAL, "namespace index %d out of range", i);
		return NULL;
	}
	nl = bus == NETLINK_NETFILTER ? &x->ns[i].nf : &x->ns[i].rt;
	if (nl->sock)
		return nl;
	if (i != OT_NS_HOST_INDEX && ot_x_enter(x, i, err) < 0)
		return NULL;
	r = ot_nl_open(nl, bus, err);
	if (i != OT_NS_HOST_INDEX && ot_x_leave(x, r < 0 ? NULL : err) < 0 && r == 0) {
		ot_nl_close(nl);
		return NULL;
	}
	if (r < 0) {
		ot_error_prefix(err, r, "in %s", ot_x_nsname(x, i));
		return NULL;
	}
	return nl;
}

static int on_link_index(const struct nlmsghdr *nlh, void *data)
{
	struct ot_nl_link l;

	if (ot_nl_parse_link(nlh, &l) == 0)
		*(uint32_t *)data = l.ifindex;
	return MNL_CB_OK;
}

int ot_x_ifindex(struct ot_xctx *x, int i, const char *name, uint32_t *ret, struct ot_error *err)
{
	struct ot_nl *nl;
	struct nlmsghdr *nlh;
	uint32_t idx = 0;
	size_t k;
	int r;

	for (k = 0; k < x->nifx; k++)
		if (x->ifx[k].ns == i && strcmp(x->ifx[k].name, name) == 0) {
			*ret = x->ifx[k].ifindex;
			return 0;
		}
	nl = ot_x_nl(x, i, NETLINK_ROUTE, err);
	if (!nl)
		return err ? err->code : -EIO;
	nlh = ot_nlmsg_getlink(x->msg, sizeof(x->msg), name);
	if (!nlh)
		return ot_error_set(err, -EMSGSIZE, "netlink message too large");
	r = ot_nl_request(nl, nlh, on_link_index, &idx, err);
	if (r == -ENODEV || (r == 0 && !idx))
		return ot_error_set(err, -ENODEV, "no device '%s' in %s", name, ot_x_nsname(x, i));
	if (r < 0)
		return ot_error_prefix(err, r, "look up device '%s' in %s", name,
				       ot_x_nsname(x, i));
	if (OT_VEC_RESERVE(x->ifx, x->capifx, x->nifx + 1) < 0)
		return ot_error_set(err, -ENOMEM, "out of memory");
	x->ifx[x->nifx].ns = i;
	snprintf(x->ifx[x->nifx].name, sizeof(x->ifx[x->nifx].name), "%s", name);
	x->ifx[x->nifx].ifindex = idx;
	x->nifx++;
	*ret = idx;
	return 0;
}

int ot_x_step(struct ot_xctx *x, int phase, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	unsigned n = __atomic_add_fetch(&x->hooks, 1, __ATOMIC_RELAXED);

	if (phase == 0)
		__atomic_add_fetch(&x->step, 1, __ATOMIC_RELAXED);
	if (!x->o.step_hook)
		return 0;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return x->o.step_hook(x->o.ctx, n, phase, what);
}

const char *ot_x_node_name(const struct ot_plan *p)
{
	return p && p->node ? p->node : "?";
}

void ot_x_made(struct ot_xctx *x)
{
	__atomic_add_fetch(&x->objects, 1, __ATOMIC_RELAXED);
}

void ot_x_progress(struct ot_xctx *x, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!x->o.progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	x->o.progress(x->o.ctx, line);
}

/* Open /proc/sys/<key> inside the namespace whose fd is given. */
static int sysctl_open(struct ot_xctx *x, int fd, const char *key, int flags, struct ot_error *err)
{
	char path[PATH_MAX];
	int f, e;

	if (!ot_relpath_valid(key) || strncmp(key, "net/", 4) != 0)
		return ot_error_set(err, -EINVAL, "sysctl '%s': not a net/ key", key);
	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	if (fd != x->host_fd && setns(fd, CLONE_NEWNET) < 0)
		return ot_error_sys(err, -errno, "sysctl '%s': enter namespace", key);
	/* /proc/sys/net resolves against the opener's network namespace */
	f = open(path, flags | O_CLOEXEC | O_NOFOLLOW);
	e = errno;
	if (fd != x->host_fd && ot_x_leave(x, err) < 0) {
		if (f >= 0)
			close(f);
		return err ? err->code : -EIO;
	}
	if (f < 0)
		return ot_error_sys(err, -e, "sysctl '%s'", key);
	return f;
}

int ot_x_sysctl_read(struct ot_xctx *x, int i, const char *key, char *buf, size_t size,
		     struct ot_error *err)
{
	int fd = ot_x_nsfd(x, i, err), f;
	ssize_t n;

	if (fd < 0)
		return fd;
	f = sysctl_open(x, fd, key, O_RDONLY, err);
	if (f < 0)
		return f;
	n = read(f, buf, size - 1);
	if (n < 0) {
		int e = -errno;

		close(f);
		return ot_error_sys(err, e, "sysctl '%s': read", key);
	}
	close(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int ot_x_sysctl_write_fd(struct ot_xctx *x, int fd, const char *key, const char *value,
			 struct ot_error *err)
{
	int f = sysctl_open(x, fd, key, O_WRONLY, err);
	size_t len = strlen(value);
	ssize_t n;

	if (f < 0)
		return f;
	n = write(f, value, len);
	if (n < 0 || (size_t)n != len) {
		int e = n < 0 ? -errno : -EIO;

		close(f);
		if (e == -EPERM && strcmp(key, "net/ipv4/tcp_congestion_control") == 0)
			return ot_error_set(
			    err, e,
			    "sysctl '%s': write '%s': %s (outside the initial network "
			    "namespace only algorithms listed in "
			    "net.ipv4.tcp_allowed_congestion_control may be set)",
			    key, value, strerror(-e));
		return ot_error_sys(err, e, "sysctl '%s': write '%s'", key, value);
	}
	close(f);
	return 0;
}

int ot_x_sysctl_write(struct ot_xctx *x, int i, const char *key, const char *value,
		      struct ot_error *err)
{
	int fd = ot_x_nsfd(x, i, err);

	if (fd < 0)
		return fd;
	return ot_x_sysctl_write_fd(x, fd, key, value, err);
}

void ot_x_tag(const char *prefix, char *buf, size_t size)
{
	/* nft comments hold 128 bytes: long prefixes are named by their hash */
	if (strlen(prefix) + 8 <= 120)
		snprintf(buf, size, "opentop %s", prefix);
	else
		snprintf(buf, size, "opentop #%016llx", (unsigned long long)ot_hash64_str(prefix));
}
