/*
 * classprobe.c - live probes by traffic class (see classprobe.h).
 *
 * Every socket is made inside its namespace (setns there and back): a socket
 * stays in the namespace it was created in, so one process holds the
 * listeners of every target and the requests of every source at once, and
 * nothing is left when it closes them. Hand-written over plain sockets: no
 * library offers raw ICMP/TCP observation.
 */
#include "exec/classprobe.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x4f544350u /* "OTCP" */

enum lkind { L_TCP, L_UDP, L_RAWTCP, L_RAWICMP };

struct lsock {
	int fd;
	enum lkind kind;
	int ns;
	uint8_t fam;
	uint16_t port;
};

struct run {
	struct lsock *ls;
	size_t nls, capls;
	struct ot_cprobe *pr; /* this batch */
	int *fd;	      /* per probe of the batch */
	bool *done;
	size_t n;
	uint32_t nonce;
	uint16_t idbase;
	uint16_t sport0; /* probe i's source port: sport0 + i */
};

/*
 * The first source port of a run: moved by the nonce, so two runs in quick
 * succession never reuse a 5-tuple whose conntrack entry may still live
 * (an "established" leftover let a request through a policy drop: found
 * by tests/deploy xclass-drift). Within OT_CPROBE_SPORT_LO..HI.
 */
static uint16_t sport_base(uint32_t nonce)
{
	return (uint16_t)(OT_CPROBE_SPORT_LO +
			  nonce % (OT_CPROBE_SPORT_HI - OT_CPROBE_SPORT_LO + 1 - OT_CPROBE_BATCH));
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static socklen_t mk_sa(const struct ot_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	return (socklen_t)ot_addr_sockaddr(a, port, ss);
}

static int add_ls(struct run *r, int fd, enum lkind k, int ns, uint8_t fam, uint16_t port)
{
	if (r->nls == r->capls) {
		size_t cap = r->capls ? 2 * r->capls : 64;
		struct lsock *n = realloc(r->ls, cap * sizeof(*n));

		if (!n) {
			close(fd);
			return -ENOMEM;
		}
		r->ls = n;
		r->capls = cap;
	}
	r->ls[r->nls++] = (struct lsock){fd, k, ns, fam, port};
	return 0;
}

/* A listener socket, or -1 when the namespace refuses it (no IPv6, port taken). */
static int listen_sock(uint8_t fam, int type, int proto, uint16_t port)
{
	int one = 1, fd = socket(fam, type | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
	struct sockaddr_storage ss;
	struct ot_addr any = {.family = fam};

	if (fd < 0)
		return -1;
	if (type == SOCK_RAW)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_DGRAM) {
		if (fam == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&ss, mk_sa(&any, port, &ss)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 4096) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int setup_listeners(struct run *r, const int *fds, size_t nfds, const uint16_t *ports,
			   size_t nports, int home, struct ot_error *err)
{
	static const uint8_t fams[] = {AF_INET, AF_INET6};
	size_t i, k, f;
	int fd;

	for (i = 0; i < nfds; i++) {
		if (setns(fds[i], CLONE_NEWNET) < 0)
			return ot_error_sys(err, -errno, "enter a listener namespace");
		for (f = 0; f < 2; f++) {
			uint8_t fam = fams[f];

			for (k = 0; k < nports; k++) {
				if ((fd = listen_sock(fam, SOCK_STREAM, 0, ports[k])) >= 0 &&
				    add_ls(r, fd, L_TCP, (int)i, fam, ports[k]) < 0)
					goto oom;
				if ((fd = listen_sock(fam, SOCK_DGRAM, 0, ports[k])) >= 0 &&
				    add_ls(r, fd, L_UDP, (int)i, fam, ports[k]) < 0)
					goto oom;
			}
			if ((fd = listen_sock(fam, SOCK_RAW, IPPROTO_TCP, 0)) >= 0 &&
			    add_ls(r, fd, L_RAWTCP, (int)i, fam, 0) < 0)
				goto oom;
			fd = listen_sock(fam, SOCK_RAW,
					 fam == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6, 0);
			if (fd >= 0 && add_ls(r, fd, L_RAWICMP, (int)i, fam, 0) < 0)
				goto oom;
		}
	}
	if (setns(home, CLONE_NEWNET) < 0)
		return ot_error_sys(err, -errno, "return to the namespace of origin");
	return 0;
oom:
	setns(home, CLONE_NEWNET);
	return ot_error_set(err, -ENOMEM, "out of memory");
}

static void icmp_send(struct run *r, size_t i)
{
	uint8_t pkt[8 + 16] = {0};
	uint16_t id = (uint16_t)(r->idbase + i);
	uint32_t sum = 0;
	size_t k;

	pkt[0] = r->pr[i].to.family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	pkt[4] = (uint8_t)(id >> 8);
	pkt[5] = (uint8_t)id;
	pkt[7] = 1;
	memcpy(pkt + 8, "opentop-classes.", 16);
	if (r->pr[i].to.family == AF_INET) {
		for (k = 0; k < sizeof(pkt); k += 2)
			sum += (uint32_t)(pkt[k] << 8 | pkt[k + 1]);
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		sum = ~sum & 0xffff;
		pkt[2] = (uint8_t)(sum >> 8);
		pkt[3] = (uint8_t)sum;
	}
	if (send(r->fd[i], pkt, sizeof(pkt), 0) < 0 && errno != EAGAIN)
		r->done[i] = true;
}

static void udp_payload(const struct run *r, size_t i, uint32_t out[3])
{
	out[0] = htonl(MAGIC);
	out[1] = htonl(r->nonce);
	out[2] = htonl((uint32_t)i);
}

static void udp_send(struct run *r, size_t i)
{
	uint32_t pl[3];

	udp_payload(r, i, pl);
	if (send(r->fd[i], pl, sizeof(pl), 0) < 0 && errno != EAGAIN) {
		snprintf(r->pr[i].detail, sizeof(r->pr[i].detail), "send: %s", strerror(errno));
		r->done[i] = true;
	}
}

/* Open probe i's socket in its source namespace and send its request. */
static int start(struct run *r, size_t i, int home, struct ot_error *err)
{
	struct ot_cprobe *p = &r->pr[i];
	struct sockaddr_storage ss, src;
	struct ot_addr any = {.family = p->to.family};
	struct linger lg = {1, 0};
	int one = 1, fd, e;

	if (setns(p->src_fd, CLONE_NEWNET) < 0)
		return ot_error_sys(err, -errno, "enter a source namespace");
	if (!p->proto)
		fd = socket(p->to.family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    p->to.family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	else
		fd = socket(p->to.family,
			    (p->proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC |
				SOCK_NONBLOCK,
			    0);
	e = errno;
	if (setns(home, CLONE_NEWNET) < 0) {
		if (fd >= 0)
			close(fd);
		return ot_error_sys(err, -errno, "return to the namespace of origin");
	}
	if (fd < 0)
		return ot_error_sys(err, -e, "probe socket");
	r->fd[i] = fd;
	if (p->proto) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (bind(fd, (struct sockaddr *)&src,
			 mk_sa(&any, (uint16_t)(r->sport0 + i), &src)) < 0) {
			snprintf(p->detail, sizeof(p->detail), "bind: %s", strerror(errno));
			r->done[i] = true;
			return 0;
		}
	}
	if (connect(fd, (struct sockaddr *)&ss, mk_sa(&p->to, p->port, &ss)) < 0 &&
	    errno != EINPROGRESS) {
		snprintf(p->detail, sizeof(p->detail), "%s",
			 errno == ENETUNREACH || errno == EHOSTUNREACH ? "no route"
								       : strerror(errno));
		r->done[i] = true;
		return 0;
	}
	if (!p->proto)
		icmp_send(r, i);
	else if (p->proto == IPPROTO_UDP)
		udp_send(r, i);
	return 0;
}

static void arrived(struct run *r, size_t i, const struct lsock *l, uint16_t port)
{
	if (i >= r->n || r->pr[i].arrived)
		return;
	r->pr[i].arrived = true;
	r->pr[i].arrived_at = l->ns;
	r->pr[i].arrived_port = port;
}

/* A UDP listener: note the arrival, echo the datagram from the address it came to. */
static void on_udp(struct run *r, const struct lsock *l)
{
	uint32_t pl[3], want[3];
	struct sockaddr_storage from;
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cb;
	struct iovec iov = {pl, sizeof(pl)};
	struct msghdr m = {&from, sizeof(from), &iov, 1, cb.buf, sizeof(cb.buf), 0};
	struct cmsghdr *c;
	ssize_t n;

	while ((n = recvmsg(l->fd, &m, 0)) >= 0) {
		size_t i = ntohl(pl[2]);

		if (n == sizeof(pl) && i < r->n) {
			udp_payload(r, i, want);
			if (pl[0] == want[0] && pl[1] == want[1]) {
				arrived(r, i, l, l->port);
				/* answer from the address the datagram reached */
				for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
					if (c->cmsg_level == IPPROTO_IP &&
					    c->cmsg_type == IP_PKTINFO) {
						struct in_pktinfo *pi = (void *)CMSG_DATA(c);

						pi->ipi_ifindex = 0;
						pi->ipi_spec_dst = pi->ipi_addr;
					} else if (c->cmsg_level == IPPROTO_IPV6 &&
						   c->cmsg_type == IPV6_PKTINFO) {
						((struct in6_pktinfo *)(void *)CMSG_DATA(c))
						    ->ipi6_ifindex = 0;
					}
				}
				m.msg_flags = 0;
				sendmsg(l->fd, &m, MSG_DONTWAIT);
			}
		}
		m.msg_namelen = sizeof(from);
		m.msg_controllen = sizeof(cb.buf);
	}
}

/* Raw TCP / ICMP listeners: what passed the input hook. */
static void on_raw(struct run *r, const struct lsock *l)
{
	uint8_t buf[1600];
	ssize_t n;

	while ((n = recv(l->fd, buf, sizeof(buf), 0)) >= 0) {
		const uint8_t *h = buf;
		size_t len = (size_t)n;

		if (l->fam == AF_INET) { /* IPv4 raw sockets see the IP header */
			size_t ihl = (size_t)(buf[0] & 0x0f) * 4;

			if (len < ihl + 8)
				continue;
			h += ihl;
			len -= ihl;
		}
		if (l->kind == L_RAWTCP) {
			uint16_t sport, dport;

			if (len < 14 || !(h[13] & 0x02) || (h[13] & 0x10)) /* SYN, not ACK */
				continue;
			sport = (uint16_t)(h[0] << 8 | h[1]);
			dport = (uint16_t)(h[2] << 8 | h[3]);
			if (sport >= r->sport0 && (size_t)(sport - r->sport0) < r->n &&
			    r->pr[sport - r->sport0].proto == IPPROTO_TCP)
				arrived(r, (size_t)(sport - r->sport0), l, dport);
		} else if (len >= 8 &&
			   h[0] == (l->fam == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST)) {
			size_t i = (uint16_t)((uint16_t)(h[4] << 8 | h[5]) - r->idbase);

			if (i < r->n && !r->pr[i].proto &&
			    memcmp(h + 8, "opentop-classes.", 16) == 0)
				arrived(r, i, l, 0);
		}
	}
}

static void on_tcp_listen(const struct lsock *l)
{
	struct linger lg = {1, 0};
	int fd;

	while ((fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
}

/* The probe's own socket is readable / writable: its answer, or an error. */
static void on_probe(struct run *r, size_t i, short rev)
{
	struct ot_cprobe *p = &r->pr[i];
	uint8_t buf[1600];
	socklen_t sl = sizeof(int);
	int e = 0;
	ssize_t n;

	if (p->proto == IPPROTO_TCP) {
		if (!(rev & (POLLOUT | POLLERR | POLLHUP)))
			return;
		getsockopt(r->fd[i], SOL_SOCKET, SO_ERROR, &e, &sl);
		/* reset after the handshake: the listener (another process,
		 * across nodes) accepted and closed before we looked */
		p->answered = e == 0 || e == ECONNRESET;
		if (e && !p->answered)
			snprintf(p->detail, sizeof(p->detail), "%s", strerror(e));
		r->done[i] = true;
		return;
	}
	while ((n = recv(r->fd[i], buf, sizeof(buf), 0)) >= 0 || errno != EAGAIN) {
		const uint8_t *h = buf;
		size_t len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(p->detail, sizeof(p->detail), "%s", strerror(errno));
			r->done[i] = true;
			return;
		}
		len = (size_t)n;
		if (p->proto == IPPROTO_UDP) {
			uint32_t want[3];

			udp_payload(r, i, want);
			if (len == sizeof(want) && memcmp(buf, want, sizeof(want)) == 0) {
				p->answered = true;
				r->done[i] = true;
				return;
			}
			continue;
		}
		if (p->to.family == AF_INET) {
			size_t ihl = (size_t)(buf[0] & 0x0f) * 4;

			if (len < ihl + 8)
				continue;
			h += ihl;
			len -= ihl;
		}
		if (len >= 8 &&
		    h[0] == (p->to.family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY) &&
		    (uint16_t)(h[4] << 8 | h[5]) == (uint16_t)(r->idbase + i)) {
			p->answered = true;
			r->done[i] = true;
			return;
		}
	}
}

/*
 * One batch: start the probes that have a source here (src_fd >= 0; the
 * others are sent elsewhere, their arrivals may be seen here), then poll
 * them and the listeners for timeout_ms or until every probe started here
 * is done; with stop_fd >= 0, poll until stop_fd is readable instead (a
 * listener of a round that spans nodes).
 */
static int run_batch(struct run *r, unsigned timeout_ms, int home, int stop_fd,
		     struct ot_error *err)
{
	struct pollfd *pf = calloc(r->n + r->nls + 2, sizeof(*pf));
	size_t *who = calloc(r->n + r->nls + 2, sizeof(*who));
	double t0, t;
	unsigned resent = 0;
	size_t i, np;
	int rc = 0;

	if (!pf || !who) {
		rc = ot_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < r->n; i++) {
		r->fd[i] = -1;
		r->pr[i].arrived_at = -1;
	}
	for (i = 0; i < r->n && rc == 0; i++)
		if (r->pr[i].src_fd >= 0)
			rc = start(r, i, home, err);
		else
			r->done[i] = true;
	if (rc)
		goto out;
	t0 = now_ms();
	while ((t = now_ms()) < t0 + timeout_ms || stop_fd >= 0) {
		bool all = stop_fd < 0;

		/* resend unanswered ICMP and UDP twice, at 1/3 and 2/3 */
		if (resent < 2 && t > t0 + (resent + 1) * timeout_ms / 3.0) {
			resent++;
			for (i = 0; i < r->n; i++)
				if (!r->done[i] && r->fd[i] >= 0 && r->pr[i].proto != IPPROTO_TCP)
					(r->pr[i].proto ? udp_send : icmp_send)(r, i);
		}
		np = 0;
		for (i = 0; i < r->n; i++) {
			if (r->done[i] || r->fd[i] < 0)
				continue;
			all = false;
			pf[np] = (struct pollfd){
			    r->fd[i], r->pr[i].proto == IPPROTO_TCP ? POLLOUT : POLLIN, 0};
			who[np++] = i;
		}
		if (all)
			break;
		for (i = 0; i < r->nls; i++) {
			pf[np] = (struct pollfd){r->ls[i].fd, POLLIN, 0};
			who[np++] = r->n + i;
		}
		if (stop_fd >= 0) {
			pf[np] = (struct pollfd){stop_fd, POLLIN, 0};
			who[np++] = SIZE_MAX;
		}
		if (poll(pf, np, 20) < 0 && errno != EINTR) {
			rc = ot_error_sys(err, -errno, "poll");
			goto out;
		}
		for (i = 0; i < np; i++) {
			if (!pf[i].revents)
				continue;
			if (who[i] == SIZE_MAX) {
				stop_fd = -1; /* told to stop: one last look below */
				timeout_ms = 0;
				continue;
			}
			if (who[i] < r->n) {
				on_probe(r, who[i], pf[i].revents);
				continue;
			}
			const struct lsock *l = &r->ls[who[i] - r->n];

			if (l->kind == L_TCP)
				on_tcp_listen(l);
			else if (l->kind == L_UDP)
				on_udp(r, l);
			else
				on_raw(r, l);
		}
	}
	/* what arrived late (after the last answer) still counts */
	for (i = 0; i < r->nls; i++)
		if (r->ls[i].kind == L_RAWTCP || r->ls[i].kind == L_RAWICMP)
			on_raw(r, &r->ls[i]);
		else if (r->ls[i].kind == L_UDP)
			on_udp(r, &r->ls[i]);
	for (i = 0; i < r->n; i++)
		if (r->pr[i].src_fd >= 0 && !r->pr[i].answered && !r->pr[i].detail[0])
			snprintf(r->pr[i].detail, sizeof(r->pr[i].detail), "no answer in %u ms",
				 timeout_ms);
out:
	for (i = 0; i < r->n; i++)
		if (r->fd[i] >= 0)
			close(r->fd[i]);
	free(pf);
	free(who);
	return rc;
}

/* A run for batches of up to cap probes: *home = this thread's netns. */
static int run_init(struct run *r, size_t cap, int *home, struct ot_error *err)
{
	memset(r, 0, sizeof(*r));
	*home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*home < 0)
		return ot_error_sys(err, -errno, "open /proc/self/ns/net");
	r->fd = calloc(cap + 1, sizeof(*r->fd));
	r->done = calloc(cap + 1, sizeof(*r->done));
	if (!r->fd || !r->done)
		return ot_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static void run_fini(struct run *r, int home)
{
	size_t i;

	for (i = 0; i < r->nls; i++)
		close(r->ls[i].fd);
	free(r->ls);
	free(r->fd);
	free(r->done);
	if (home >= 0)
		close(home);
}

/* The batch r->pr[0..r->n) with its results cleared, its source ports from
 * r->nonce: run it. */
static int run_one(struct run *r, unsigned timeout_ms, int home, int stop_fd, struct ot_error *err)
{
	size_t i;

	memset(r->done, 0, r->n * sizeof(*r->done));
	for (i = 0; i < r->n; i++)
		memset(&r->pr[i].arrived, 0, sizeof(*r->pr) - offsetof(struct ot_cprobe, arrived));
	r->sport0 = sport_base(r->nonce);
	return run_batch(r, timeout_ms, home, stop_fd, err);
}

int ot_cprobe_run(const int *listen_fds, size_t nlisten, const uint16_t *ports, size_t nports,
		  struct ot_cprobe *probes, size_t n, unsigned timeout_ms, struct ot_error *err)
{
	struct run r;
	size_t b;
	int home, rc;

	rc = run_init(&r, OT_CPROBE_BATCH, &home, err);
	if (rc == 0) {
		r.nonce = (uint32_t)getpid() ^ (uint32_t)now_ms() * 2654435761u;
		r.idbase = (uint16_t)(r.nonce >> 16);
		rc = setup_listeners(&r, listen_fds, nlisten, ports, nports, home, err);
	}
	for (b = 0; b < n && rc == 0; b += OT_CPROBE_BATCH) {
		r.pr = probes + b;
		r.n = n - b < OT_CPROBE_BATCH ? n - b : OT_CPROBE_BATCH;
		rc = run_one(&r, timeout_ms, home, -1, err);
		r.nonce++;
		r.idbase = (uint16_t)(r.idbase + OT_CPROBE_BATCH);
	}
	run_fini(&r, home);
	return rc;
}

/* One side of a round that spans nodes (classprobe.h). */
static int round_side(const int *listen_fds, size_t nlisten, const uint16_t *ports, size_t nports,
		      struct ot_cprobe *probes, size_t n, const struct ot_cprobe_round *rd,
		      unsigned timeout_ms, int stop_fd, void (*ready)(void *), void *arg,
		      struct ot_error *err)
{
	struct run r;
	int home, rc;

	if (n > OT_CPROBE_BATCH)
		return ot_error_set(err, -E2BIG, "more than %d probes in one round",
				    OT_CPROBE_BATCH);
	rc = run_init(&r, n, &home, err);
	if (rc == 0) {
		r.nonce = rd->nonce;
		r.idbase = rd->idbase;
		r.pr = probes;
		r.n = n;
		rc = setup_listeners(&r, listen_fds, nlisten, ports, nports, home, err);
	}
	if (rc == 0 && ready)
		ready(arg);
	if (rc == 0)
		rc = run_one(&r, timeout_ms, home, stop_fd, err);
	run_fini(&r, home);
	return rc;
}

int ot_cprobe_listen(const int *listen_fds, size_t nlisten, const uint16_t *ports, size_t nports,
		     struct ot_cprobe *probes, size_t n, const struct ot_cprobe_round *rd,
		     int stop_fd, void (*ready)(void *), void *arg, struct ot_error *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		probes[i].src_fd = -1;
	return round_side(listen_fds, nlisten, ports, nports, probes, n, rd, 0, stop_fd, ready, arg,
			  err);
}

int ot_cprobe_send(struct ot_cprobe *probes, size_t n, const struct ot_cprobe_round *rd,
		   unsigned timeout_ms, struct ot_error *err)
{
	return round_side(NULL, 0, NULL, 0, probes, n, rd, timeout_ms, -1, NULL, NULL, err);
}

bool ot_cprobe_agrees(const struct ot_cprobe *p, bool want_arrive, bool want_answer, int want_at,
		      uint16_t want_port)
{
	if (p->arrived != want_arrive || p->answered != want_answer)
		return false;
	return !want_arrive || (p->arrived_at == want_at && p->arrived_port == want_port);
}
