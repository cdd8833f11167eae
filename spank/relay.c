/*
 * relay.c - the PMIx loopback relay (contract and rationale in relay.h).
 *
 * One thread, one epoll set: the control socket (listening sockets arrive
 * here with SCM_RIGHTS), an eventfd that stops the thread, the listeners,
 * and two sockets per relayed connection. Every socket is non-blocking;
 * each direction of a connection has one buffer, and a side is read only
 * while its buffer is empty, so a slow peer applies back-pressure instead
 * of growing memory. Half-closes are forwarded (shutdown(SHUT_WR)), so
 * request/response protocols that rely on EOF work.
 */
#include "spank/relay.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ	      32768
#define MAX_LISTENERS 1024

enum kind {
	K_STOP,
	K_CTL,
	K_LISTEN,
	K_CONN,
};

/* What an epoll event points at. */
struct tag {
	enum kind kind;
	int side; /* K_CONN: 0 = container side, 1 = server side */
	void *obj;
};

struct listener {
	struct tag tag;
	int fd;
	struct ot_addr addr;
	uint16_t port;
};

struct conn {
	struct tag tag[2];
	int fd[2];
	char buf[2][BUFSZ]; /* buf[d]: read from fd[d], to be written to fd[!d] */
	size_t off[2], len[2];
	bool eof[2];	 /* fd[d] returned EOF */
	bool shut[2];	 /* fd[d] was shut down for writing */
	bool connecting; /* fd[1] still connecting */
	struct conn *next, *prev;
};

/* The control message: where the listener listens (for the upstream). */
struct offer {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
};

struct ot_relay {
	pthread_t thread;
	int ep, stopfd, ctl[2];
	struct tag stop_tag, ctl_tag;
	struct listener *listeners[MAX_LISTENERS];
	size_t nlisteners;
	struct conn *conns;
	size_t nconns;
	atomic_ulong count;
	atomic_ulong refused; /* offers not pointing at one of our listeners */
};

static int sockaddr_of(const struct ot_addr *a, uint16_t port, struct sockaddr_storage *ss,
		       socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, a->bytes, 4);
		*len = sizeof(*s);
		return 0;
	}
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, a->bytes, 16);
		*len = sizeof(*s);
		return 0;
	}
	return -EAFNOSUPPORT;
}

static void conn_close(struct ot_relay *r, struct conn *c)
{
	int d;

	for (d = 0; d < 2; d++) {
		epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd[d], NULL);
		close(c->fd[d]);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		r->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	r->nconns--;
	free(c);
}

/* Interest of side d: read while its buffer is empty and no EOF yet;
 * write while the other side's buffer holds data. */
static int conn_update(struct ot_relay *r, struct conn *c)
{
	int d;

	for (d = 0; d < 2; d++) {
		struct epoll_event ev = {.events = 0, .data.ptr = &c->tag[d]};

		if (!c->eof[d] && c->len[d] == 0)
			ev.events |= EPOLLIN;
		if ((c->len[!d] > c->off[!d] && !(d == 1 && c->connecting)) ||
		    (d == 1 && c->connecting))
			ev.events |= EPOLLOUT;
		if (epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd[d], &ev) < 0)
			return -errno;
	}
	return 0;
}

/* Flush buf[d] into fd[!d]. Returns 0, or -errno on a hard error. */
static int conn_flush(struct conn *c, int d)
{
	int o = !d;

	if (o == 1 && c->connecting)
		return 0;
	while (c->off[d] < c->len[d]) {
		ssize_t n =
		    send(c->fd[o], c->buf[d] + c->off[d], c->len[d] - c->off[d], MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		c->off[d] += (size_t)n;
	}
	c->off[d] = c->len[d] = 0;
	if (c->eof[d] && !c->shut[o]) {
		shutdown(c->fd[o], SHUT_WR);
		c->shut[o] = true;
	}
	return 0;
}

static void conn_event(struct ot_relay *r, struct conn *c, int d, uint32_t events)
{
	int e;

	if (d == 1 && c->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		socklen_t l = sizeof(e);

		if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &e, &l) < 0 || e) {
			conn_close(r, c);
			return;
		}
		c->connecting = false;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->eof[d] && c->len[d] == 0) {
		ssize_t n = recv(c->fd[d], c->buf[d], BUFSZ, 0);

		if (n > 0) {
			c->len[d] = (size_t)n;
		} else if (n == 0) {
			c->eof[d] = true;
		} else if (errno != EAGAIN && errno != EINTR) {
			conn_close(r, c);
			return;
		}
	}
	if (conn_flush(c, d) < 0 || conn_flush(c, !d) < 0) {
		conn_close(r, c);
		return;
	}
	if (c->eof[0] && c->eof[1] && c->len[0] == 0 && c->len[1] == 0) {
		conn_close(r, c);
		return;
	}
	if (conn_update(r, c) < 0)
		conn_close(r, c);
}

static void listener_accept(struct ot_relay *r, struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct conn *c;
	int d, cfd, sfd;

	cfd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (r->nconns >= OT_RELAY_MAX_CONNS || sockaddr_of(&l->addr, l->port, &ss, &sl) < 0) {
		close(cfd);
		return;
	}
	/* This thread lives in the node's namespace: the upstream socket
	 * reaches the real server. */
	sfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sfd < 0) {
		close(cfd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(cfd);
		close(sfd);
		return;
	}
	c->fd[0] = cfd;
	c->fd[1] = sfd;
	if (connect(sfd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno != EINPROGRESS) {
			close(cfd);
			close(sfd);
			free(c);
			return;
		}
		c->connecting = true;
	}
	for (d = 0; d < 2; d++) {
		struct epoll_event ev = {.events = 0, .data.ptr = &c->tag[d]};

		c->tag[d] = (struct tag){.kind = K_CONN, .side = d, .obj = c};
		if (epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd[d], &ev) < 0) {
			if (d == 1)
				epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd[0], NULL);
			close(cfd);
			close(sfd);
			free(c);
			return;
		}
	}
	c->next = r->conns;
	if (c->next)
		c->next->prev = c;
	r->conns = c;
	r->nconns++;
	atomic_fetch_add(&r->count, 1);
	if (conn_update(r, c) < 0)
		conn_close(r, c);
}

/*
 * Is addr:port a TCP socket listening in this process, in this network
 * namespace? The relay connects only to slurmstepd's own listeners (the
 * PMIx server), whatever address a task claims (the task environment is
 * the user's): /proc/self/net/tcp{,6} lists the listening sockets with
 * their inodes, /proc/self/fd which inodes are ours.
 */
static bool own_listener(const struct ot_addr *a, uint16_t port)
{
	char want[64], line[512], path[64], link[64];
	unsigned long long inode = 0;
	uint32_t w[4];
	size_t n = a->family == AF_INET ? 1 : 4, i, off = 0;
	bool found = false;
	struct dirent *de;
	DIR *d;
	FILE *f;

	memcpy(w, a->bytes, n * 4);
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(want + off, sizeof(want) - off, "%08X", w[i]);
	snprintf(want + off, sizeof(want) - off, ":%04X", port);
	f = fopen(a->family == AF_INET ? "/proc/self/net/tcp" : "/proc/self/net/tcp6", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char local[64], state[8];
		unsigned long long ino;

		if (sscanf(line, " %*s %63s %*s %7s %*s %*s %*s %*s %*s %llu", local, state,
			   &ino) == 3 &&
		    !strcmp(local, want) && !strcmp(state, "0A")) {
			inode = ino;
			break;
		}
	}
	fclose(f);
	if (!inode)
		return false;
	snprintf(want, sizeof(want), "socket:[%llu]", inode);
	d = opendir("/proc/self/fd");
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%.20s", de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		found = !strcmp(link, want);
	}
	closedir(d);
	return found;
}

/* A task handed us a listener. */
static void ctl_receive(struct ot_relay *r)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct offer o;
	struct iovec iov = {.iov_base = &o, .iov_len = sizeof(o)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	struct listener *l;
	struct epoll_event ev;
	struct ot_addr a;
	ssize_t n;
	int fd = -1;

	n = recvmsg(r->ctl[0], &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (fd < 0)
		return;
	if ((size_t)n != sizeof(o) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (o.family != AF_INET && o.family != AF_INET6) || r->nlisteners == MAX_LISTENERS) {
		close(fd);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.family = o.family;
	memcpy(a.bytes, o.addr, sizeof(o.addr));
	if (!own_listener(&a, o.port) || !(l = calloc(1, sizeof(*l)))) {
		atomic_fetch_add(&r->refused, 1);
		close(fd);
		return;
	}
	l->fd = fd;
	l->addr = a;
	l->port = o.port;
	l->tag = (struct tag){.kind = K_LISTEN, .obj = l};
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = &l->tag};
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(l);
		return;
	}
	r->listeners[r->nlisteners++] = l;
}

static void *relay_main(void *arg)
{
	struct ot_relay *r = arg;
	struct epoll_event evs[64];

	for (;;) {
		int i, n = epoll_wait(r->ep, evs, 64, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		for (i = 0; i < n; i++) {
			struct tag *t = evs[i].data.ptr;

			switch (t->kind) {
			case K_STOP:
				return NULL;
			case K_CTL:
				ctl_receive(r);
				break;
			case K_LISTEN:
				listener_accept(r, t->obj);
				break;
			case K_CONN:
				conn_event(r, t->obj, t->side, evs[i].events);
				/* The connection may be gone: a later event in this
				 * batch may point at it. Stop the batch. */
				i = n;
				break;
			}
		}
	}
}

static void relay_free(struct ot_relay *r)
{
	size_t i;

	while (r->conns)
		conn_close(r, r->conns);
	for (i = 0; i < r->nlisteners; i++) {
		close(r->listeners[i]->fd);
		free(r->listeners[i]);
	}
	if (r->ep >= 0)
		close(r->ep);
	if (r->stopfd >= 0)
		close(r->stopfd);
	if (r->ctl[0] >= 0)
		close(r->ctl[0]);
	if (r->ctl[1] >= 0)
		close(r->ctl[1]);
	free(r);
}

int ot_relay_start(struct ot_relay **ret, int *task_fd, struct ot_error *err)
{
	struct ot_relay *r = calloc(1, sizeof(*r));
	struct epoll_event ev;
	sigset_t all, old;
	int e;

	if (!r)
		return ot_error_set(err, -ENOMEM, "PMIx relay: out of memory");
	r->ep = r->stopfd = r->ctl[0] = r->ctl[1] = -1;
	r->ep = epoll_create1(EPOLL_CLOEXEC);
	r->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->ep < 0 || r->stopfd < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->ctl) < 0) {
		e = -errno;
		relay_free(r);
		return ot_error_sys(err, e, "PMIx relay: cannot create its sockets");
	}
	r->stop_tag.kind = K_STOP;
	r->ctl_tag.kind = K_CTL;
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = &r->stop_tag};
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, r->stopfd, &ev) < 0)
		goto fail;
	ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = &r->ctl_tag};
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, r->ctl[0], &ev) < 0)
		goto fail;
	/* Signals stay with slurmstepd's own threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&r->thread, NULL, relay_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		relay_free(r);
		return ot_error_sys(err, -e, "PMIx relay: cannot start its thread");
	}
	*ret = r;
	*task_fd = r->ctl[1];
	return 0;
fail:
	e = -errno;
	relay_free(r);
	return ot_error_sys(err, e, "PMIx relay: epoll");
}

int ot_relay_offer(int task_fd, const struct ot_addr *addr, uint16_t port, struct ot_error *err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct offer o;
	struct iovec iov = {.iov_base = &o, .iov_len = sizeof(o)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct sockaddr_storage ss;
	struct cmsghdr *cm;
	socklen_t sl;
	int fd, e, one = 1;

	if (sockaddr_of(addr, port, &ss, &sl) < 0)
		return ot_error_set(err, -EAFNOSUPPORT, "PMIx relay: bad address family");
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ot_error_sys(err, -errno, "PMIx relay: socket");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		e = -errno;
		close(fd);
		if (e == -EADDRINUSE)
			return 0; /* another task of this container already offered it */
		return ot_error_sys(err, e,
				    "PMIx relay: cannot listen on the server's port %u "
				    "in the container",
				    (unsigned)port);
	}
	if (listen(fd, 128) < 0) {
		e = -errno;
		close(fd);
		return ot_error_sys(err, e, "PMIx relay: listen");
	}
	memset(&o, 0, sizeof(o));
	o.family = addr->family;
	memcpy(o.addr, addr->bytes, sizeof(o.addr));
	o.port = port;
	memset(u.buf, 0, sizeof(u.buf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	while (sendmsg(task_fd, &mh, MSG_NOSIGNAL) < 0) {
		if (errno == EINTR)
			continue;
		e = -errno;
		close(fd);
		return ot_error_sys(err, e, "PMIx relay: cannot hand the listener to slurmstepd");
	}
	/* The relay holds its own reference now. */
	close(fd);
	return 0;
}

void ot_relay_stop(struct ot_relay *r)
{
	uint64_t one = 1;

	if (!r)
		return;
	while (write(r->stopfd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(r->thread, NULL);
	relay_free(r);
}

unsigned long ot_relay_count(const struct ot_relay *r)
{
	return r ? atomic_load(&((struct ot_relay *)r)->count) : 0;
}

unsigned long ot_relay_refused(const struct ot_relay *r)
{
	return r ? atomic_load(&((struct ot_relay *)r)->refused) : 0;
}
