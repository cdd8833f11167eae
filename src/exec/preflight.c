/*
 * preflight.c - the checks before create (contract and protocol in
 * preflight.h).
 */
#include "exec/preflight.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <linux/filter.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "exec/exec_int.h"
#include "exec/nft.h"
#include "exec/exec_int.h"
#include "exec/nl.h"
#include "exec/qdisc.h"
#include "util/clock.h"
#include "vocab/schema.h"

#define MAX_CHECKS  24
#define PROBE_FIRST 50	/* ms before the first retransmission to a peer */
#define PROBE_MAX   400 /* the backoff doubles up to this */
#define LINGER_MS   150 /* keep answering after we are done: our last ack may be lost */
#define PKT_MAGIC   "OTPF2"
/* A VXLAN network of at most this many nodes is checked all-pairs; in a
 * larger one each node checks the members at ring distance 1, 4, 16, ...
 * (powers of SAMPLE_BASE, see pick_sample). */
#define ALL_PAIRS_UPTO 16
#define SAMPLE_BASE    4

struct check {
	char name[48];
	bool ok;
	bool warning;
	char detail[256];
};

struct peer {
	const char *node;
	struct ot_addr addr;
	bool sampled;	/* this pair is checked (pick_sample) */
	bool reached;	/* our probe was acked: UDP from us to it works */
	bool heard;	/* a packet of its arrived at our port: UDP from it to us works */
	bool done;	/* it has our ack: it needs nothing more from us */
	bool skipped;	/* its port is busy: cannot be checked */
	int send_errno; /* the last failed sendto to it (0: none) */
	long next_send; /* monotonic ms of its next probe */
	unsigned every; /* ms between its probes, doubling (backoff) */
};

struct ot_preflight {
	const struct ot_plan *p;
	struct check checks[MAX_CHECKS];
	size_t nchecks;
	struct peer *peers;
	size_t npeers;
	uint16_t port;
	int fd;	 /* UDP, on <underlay>:<ephemeral>: sends probes and acks */
	int rfd; /* raw UDP on <underlay>: sees what arrives for the port */
	bool exchanged;
};

static struct check *add_check(struct ot_preflight *pf, const char *name, bool ok, const char *fmt,
			       ...) __attribute__((format(printf, 4, 5)));
static struct check *add_check(struct ot_preflight *pf, const char *name, bool ok, const char *fmt,
			       ...)
{
	struct check *c;
	va_list ap;

	if (pf->nchecks == MAX_CHECKS)
		return NULL;
	c = &pf->checks[pf->nchecks++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->ok = ok;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
		va_end(ap);
	}
	return c;
}

/* ---- kernel features, in a throwaway namespace ---- */

enum {
	NEED_VETH = 1u << 0,
	NEED_BRIDGE = 1u << 1,
	NEED_VXLAN = 1u << 2,
	NEED_MACVLAN = 1u << 3,
	NEED_NFT = 1u << 4,
	NEED_NFT_NAT = 1u << 5,
	NEED_TBF = 1u << 6,
	NEED_NETEM = 1u << 7,
};

static const struct {
	unsigned bit;
	const char *name;
	const char *hint;
} features[] = {
    {NEED_VETH, "kernel: veth", "CONFIG_VETH (modprobe veth)"},
    {NEED_BRIDGE, "kernel: bridge", "CONFIG_BRIDGE (modprobe bridge)"},
    {NEED_VXLAN, "kernel: vxlan", "CONFIG_VXLAN (modprobe vxlan)"},
    {NEED_MACVLAN, "kernel: macvlan", "CONFIG_MACVLAN (modprobe macvlan)"},
    {NEED_NFT, "kernel: nftables", "CONFIG_NF_TABLES_INET (modprobe nf_tables)"},
    {NEED_NFT_NAT, "kernel: nftables nat", "CONFIG_NFT_NAT/NFT_MASQ (modprobe nft_chain_nat)"},
    {NEED_TBF, "kernel: tbf qdisc", "CONFIG_NET_SCH_TBF (modprobe sch_tbf)"},
    {NEED_NETEM, "kernel: netem qdisc", "CONFIG_NET_SCH_NETEM (modprobe sch_netem)"},
};

struct ktest {
	unsigned need;
	uint16_t port;
	unsigned failed; /* bits of features that failed */
	struct ot_error why[sizeof(features) / sizeof(features[0])];
	struct ot_error setup; /* the test itself could not run */
};

static int try_link(struct ot_nl *nl, const char *kind, const char *name, const char *peer,
		    const struct ot_nl_vxlan *vx, const struct ot_nl_macvlan *mv,
		    struct ot_error *err)
{
	char buf[OT_NL_MSGSIZE] __attribute__((aligned(8))); /* holds a struct nlmsghdr */
	struct ot_nl_dev dev = {.name = name, .ns_fd = -1};
	struct ot_nl_dev pdev = {.name = peer, .ns_fd = -1};
	struct nlmsghdr *nlh;

	nlh = ot_nlmsg_newlink(buf, sizeof(buf), kind, &dev, peer ? &pdev : NULL, vx, mv);
	if (!nlh)
		return ot_error_set(err, -ENOBUFS, "message too large");
	return ot_nl_request(nl, nlh, NULL, NULL, err);
}

static void ktest_nft(struct ktest *k, size_t idx_nft, size_t idx_nat)
{
	struct ot_nft_chain chains[2] = {
	    {.name = "otpf-filter", .type = OT_NFT_FILTER, .hook = OT_NFT_INPUT},
	    {.name = "otpf-nat", .type = OT_NFT_NAT, .hook = OT_NFT_POSTROUTING, .priority = 100},
	};
	struct ot_op_nft t = {.table = "otpf", .chains = chains, .nchains = 1};
	struct ot_nft_batch b;
	struct ot_nl nl = {0};
	int rc;

	rc = ot_nl_open(&nl, NETLINK_NETFILTER, &k->why[idx_nft]);
	if (rc < 0) {
		k->failed |= NEED_NFT | (k->need & NEED_NFT_NAT);
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		size_t idx = pass ? idx_nat : idx_nft;

		if (pass && !(k->need & NEED_NFT_NAT))
			break;
		if (pass) {
			snprintf(t.table, sizeof(t.table), "otpf-nat");
			t.chains = &chains[1];
		}
		ot_nft_batch_init(&b, 1);
		rc = ot_nft_batch_begin(&b);
		if (rc == 0)
			rc = ot_nft_add_table(&b, &t, "opentop preflight", &k->why[idx]);
		if (rc == 0)
			rc = ot_nft_batch_end(&b);
		if (rc == 0)
			rc = ot_nl_send_nfbatch(&nl, b.buf, b.len, &k->why[idx]);
		else if (!k->why[idx].code)
			ot_error_set(&k->why[idx], rc, "cannot build the test batch");
		ot_nft_batch_free(&b);
		if (rc < 0)
			k->failed |= features[idx].bit;
	}
	ot_nl_close(&nl);
}

/* The shaping qdiscs, tried as the root of the throwaway namespace's "lo"
 * (every namespace has one; the qdiscs die with the namespace). */
static void ktest_qdiscs(struct ktest *k, struct ot_nl *nl)
{
	static const size_t idx_tbf = 6, idx_netem = 7;
	const struct ot_op_qdisc tbf = {.rate = 125000, .burst = 16384, .limit = 32768};
	const struct ot_op_qdisc netem = {.delay_us = 1000};
	char buf[OT_NL_MSGSIZE] __attribute__((aligned(8)));
	uint32_t lo = if_nametoindex("lo");
	struct nlmsghdr *nlh;
	int rc;

	if (k->need & NEED_NETEM) {
		nlh = ot_nlmsg_newqdisc_netem(buf, sizeof(buf), lo, &netem);
		rc = nlh ? ot_nl_request(nl, nlh, NULL, NULL, &k->why[idx_netem])
			 : ot_error_set(&k->why[idx_netem], -ENOBUFS, "message too large");
		if (rc < 0)
			k->failed |= NEED_NETEM;
	}
	if (k->need & NEED_TBF) {
		/* below the netem when there is one, as the plan does */
		bool below = (k->need & NEED_NETEM) && !(k->failed & NEED_NETEM);

		nlh = ot_nlmsg_newqdisc_tbf(
		    buf, sizeof(buf), lo, below ? OT_QDISC_CHILD_PARENT : TC_H_ROOT,
		    below ? OT_QDISC_CHILD_HANDLE : OT_QDISC_ROOT_HANDLE, &tbf);
		rc = nlh ? ot_nl_request(nl, nlh, NULL, NULL, &k->why[idx_tbf])
			 : ot_error_set(&k->why[idx_tbf], -ENOBUFS, "message too large");
		if (rc < 0)
			k->failed |= NEED_TBF;
	}
}

static void *ktest_thread(void *arg)
{
	struct ktest *k = arg;
	struct ot_nl nl = {0};
	size_t i;
	int rc;

	/* Only this thread moves; the namespace dies with our sockets. */
	if (unshare(CLONE_NEWNET) < 0) {
		ot_error_sys(&k->setup, -errno, "unshare(CLONE_NEWNET)");
		return NULL;
	}
	if (ot_nl_open(&nl, NETLINK_ROUTE, &k->setup) < 0)
		return NULL;
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		unsigned bit = features[i].bit;
		struct ot_nl_vxlan vx = {.vni = 1, .port = k->port ? k->port : 4789};
		struct ot_nl_macvlan mv = {.mode = MACVLAN_MODE_BRIDGE};

		if (!(k->need & bit) || bit == NEED_NFT || bit == NEED_NFT_NAT || bit == NEED_TBF ||
		    bit == NEED_NETEM)
			continue;
		switch (bit) {
		case NEED_VETH:
			rc = try_link(&nl, "veth", "otpf0", "otpf1", NULL, NULL, &k->why[i]);
			break;
		case NEED_BRIDGE:
			rc = try_link(&nl, "bridge", "otpf-br", NULL, NULL, NULL, &k->why[i]);
			break;
		case NEED_VXLAN:
			rc = try_link(&nl, "vxlan", "otpf-vx", NULL, &vx, NULL, &k->why[i]);
			break;
		default: /* NEED_MACVLAN: needs an Ethernet lower device */
			rc = try_link(&nl, "veth", "otpf2", "otpf3", NULL, NULL, &k->why[i]);
			mv.lower = if_nametoindex("otpf2");
			if (rc == 0)
				rc = try_link(&nl, "macvlan", "otpf-mv", NULL, NULL, &mv,
					      &k->why[i]);
			break;
		}
		if (rc < 0)
			k->failed |= bit;
	}
	ktest_qdiscs(k, &nl);
	ot_nl_close(&nl);
	if (k->need & NEED_NFT)
		ktest_nft(k, 4, 5);
	return NULL;
}

static void check_kernel(struct ot_preflight *pf)
{
	const struct ot_plan *p = pf->p;
	struct ktest k = {.port = pf->port};
	const struct ot_op *netem_op = NULL;
	pthread_t th;
	size_t i, j;
	int rc;

	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];

		if (op->kind == OT_OP_LINK) {
			static const unsigned bits[OT_LINK__COUNT] = {
			    [OT_LINK_VETH] = NEED_VETH,
			    [OT_LINK_BRIDGE] = NEED_BRIDGE,
			    [OT_LINK_VXLAN] = NEED_VXLAN,
			    [OT_LINK_MACVLAN] = NEED_MACVLAN};

			k.need |= bits[op->link.kind];
		} else if (op->kind == OT_OP_QDISC) {
			if (op->qdisc.rate)
				k.need |= NEED_TBF;
			if ((op->qdisc.delay_us || op->qdisc.loss_ppm) && !(k.need & NEED_NETEM)) {
				k.need |= NEED_NETEM;
				netem_op = op;
			}
		} else if (op->kind == OT_OP_NFT) {
			k.need |= NEED_NFT;
			for (j = 0; j < op->nft.nchains; j++)
				if (op->nft.chains[j].type == OT_NFT_NAT)
					k.need |= NEED_NFT_NAT;
		}
	}
	if (!k.need)
		return;
	rc = pthread_create(&th, NULL, ktest_thread, &k);
	if (rc) {
		add_check(pf, "kernel", false, "cannot start the test thread: %s", strerror(rc));
		return;
	}
	pthread_join(th, NULL);
	if (k.setup.code) {
		add_check(pf, "kernel", false, "cannot test kernel features: %s", k.setup.msg);
		return;
	}
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		if (!(k.need & features[i].bit))
			continue;
		if ((k.failed & features[i].bit) && features[i].bit == NEED_NETEM && netem_op)
			add_check(pf, features[i].name, false,
				  "kernel has no netem qdisc (needed for %s on %s/%s): %s; %s",
				  netem_op->qdisc.delay_us ? "delay" : "loss",
				  p->ns[netem_op->ns].container ? p->ns[netem_op->ns].container
								: p->ns[netem_op->ns].name,
				  netem_op->qdisc.dev, k.why[i].msg, features[i].hint);
		else if (k.failed & features[i].bit)
			add_check(pf, features[i].name, false, "%s; the plan needs it: %s",
				  k.why[i].msg, features[i].hint);
		else
			add_check(pf, features[i].name, true, NULL);
	}
}

/* ---- host-side facts ---- */

static void check_underlay(struct ot_preflight *pf)
{
	const struct ot_plan *p = pf->p;
	uint32_t want = p->underlay_mtu ? p->underlay_mtu : 1500;
	char abuf[OT_ADDR_STRLEN], ifname[IF_NAMESIZE] = "";
	struct ifaddrs *ifa, *it;
	struct ifreq ifr;
	int fd, mtu;

	if (!p->underlay.family)
		return;
	ot_addr_format(&p->underlay, abuf, sizeof(abuf));
	if (getifaddrs(&ifa) < 0) {
		add_check(pf, "underlay address", false, "getifaddrs: %s", strerror(errno));
		return;
	}
	for (it = ifa; it; it = it->ifa_next) {
		const struct sockaddr *sa = it->ifa_addr;

		if (!sa || sa->sa_family != p->underlay.family)
			continue;
		if ((sa->sa_family == AF_INET &&
		     !memcmp(&((const struct sockaddr_in *)sa)->sin_addr, p->underlay.bytes, 4)) ||
		    (sa->sa_family == AF_INET6 &&
		     !memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, p->underlay.bytes,
			     16))) {
			snprintf(ifname, sizeof(ifname), "%s", it->ifa_name);
			break;
		}
	}
	freeifaddrs(ifa);
	if (!ifname[0]) {
		add_check(pf, "underlay address", false,
			  "underlay address %s (hosts file) is not on any interface of this host",
			  abuf);
		return;
	}
	add_check(pf, "underlay address", true, "%s on %s", abuf, ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd < 0 || ioctl(fd, SIOCGIFMTU, &ifr) < 0) {
		add_check(pf, "underlay MTU", false, "cannot read the MTU of %s: %s", ifname,
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	mtu = ifr.ifr_mtu;
	if ((uint32_t)mtu < want) {
		add_check(pf, "underlay MTU", false,
			  "%s has MTU %d, the hosts file says %u: overlay packets would be dropped "
			  "(fix mtu= in the hosts file)",
			  ifname, mtu, want);
	} else if ((uint32_t)mtu > want) {
		struct check *c = add_check(pf, "underlay MTU", true,
					    "%s has MTU %d, the hosts file says %u: the overlay "
					    "uses the smaller one",
					    ifname, mtu, want);
		if (c)
			c->warning = true;
	} else {
		add_check(pf, "underlay MTU", true, "%s MTU %d", ifname, mtu);
	}
}

static void check_host_devices(struct ot_preflight *pf)
{
	const struct ot_plan *p = pf->p;
	size_t i;

	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];

		if (op->kind != OT_OP_LINK || op->link.kind != OT_LINK_MACVLAN)
			continue;
		if (if_nametoindex(op->link.lower))
			add_check(pf, "macvlan lower device", true, "%s", op->link.lower);
		else
			add_check(pf, "macvlan lower device", false,
				  "host interface '%s' (macvlan lower device) does not exist",
				  op->link.lower);
	}
}

/* The block devices of io limits exist here, and a controller to limit them. */
static void check_io_devices(struct ot_preflight *pf)
{
	const struct ot_plan *p = pf->p;
	struct ot_cgroups cg;
	struct ot_error e = {0};
	bool any = false, ctrl;
	char have[512] = "";
	size_t i, j;

	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];

		if (op->kind != OT_OP_CGROUP)
			continue;
		for (j = 0; j < op->cgroup.nio; j++) {
			unsigned maj, min;

			any = true;
			memset(&e, 0, sizeof(e));
			if (ot_cg_io_devnum(op->cgroup.io[j].dev, &maj, &min, &e) < 0)
				add_check(pf, "io device", false, "%s (limit of container %s)",
					  e.msg,
					  p->ns[op->ns].container ? p->ns[op->ns].container : "?");
			else
				add_check(pf, "io device", true, "%s is %u:%u",
					  op->cgroup.io[j].dev, maj, min);
		}
	}
	if (!any)
		return;
	memset(&e, 0, sizeof(e));
	if (ot_cg_detect(&cg, &e) < 0) {
		add_check(pf, "io controller", false, "%s", e.msg);
		return;
	}
	if (cg.mode == OT_CG_V2) {
		char path[300];
		FILE *f;

		snprintf(path, sizeof(path), "%s/cgroup.controllers", cg.v2);
		f = fopen(path, "re");
		if (f) {
			if (!fgets(have, sizeof(have), f))
				have[0] = '\0';
			fclose(f);
		}
		have[strcspn(have, "\n")] = '\0';
		ctrl = false;
		for (char *tok = strtok(have, " "); tok && !ctrl; tok = strtok(NULL, " "))
			ctrl = strcmp(tok, "io") == 0;
	} else {
		ctrl = cg.blkio[0] != '\0';
	}
	if (ctrl)
		add_check(pf, "io controller", true, "%s", cg.mode == OT_CG_V2 ? "io" : "blkio");
	else
		add_check(pf, "io controller", false,
			  "io limits need the io controller (cgroup v2) or blkio (v1): "
			  "CONFIG_BLK_CGROUP, CONFIG_BLK_DEV_THROTTLING");
}

/* storage: what only this node can tell (mount.c); one line per failure */
static void check_storage(struct ot_preflight *pf)
{
	const struct ot_plan *p = pf->p;
	size_t i, n = 0, bad = 0;

	for (i = 0; i < p->nops; i++) {
		struct ot_error e = {0};

		if (p->ops[i].kind != OT_OP_MOUNT)
			continue;
		n++;
		if (ot_mount_check(p, &p->ops[i], &e) < 0) {
			add_check(pf, "storage", false, "%s", e.msg);
			bad++;
		}
	}
	if (n && !bad)
		add_check(pf, "storage", true, "%zu mount%s", n, n == 1 ? "" : "s");
}

/* ---- UDP ---- */

static int addr_cmp(const void *a, const void *b)
{
	const struct ot_addr *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->bytes, y->bytes, sizeof(x->bytes));
}

static struct peer *peer_by_ot_addr(struct ot_preflight *pf, const struct ot_addr *a)
{
	size_t i;

	for (i = 0; i < pf->npeers; i++)
		if (ot_addr_equal(&pf->peers[i].addr, a))
			return &pf->peers[i];
	return NULL;
}

/*
 * Which pairs of one VXLAN network (device `dev` in namespace `ns`: a
 * container alone on its node holds the network's VXLAN device itself, so
 * one name - eth0 - may stand for several networks) are checked. Every
 * member sees the same member set (itself and the destinations of its FDB
 * entries on that device) and sorts it by underlay address, so both ends of a pair
 * agree without talking. Up to ALL_PAIRS_UPTO members: every pair. Beyond:
 * the members at ring distance 1, 4, 16, 64, ... in both directions, at
 * most 2 log4(M) peers per node (10 of 999 at 1,000 nodes). Every node is
 * still checked by at least two peers, in both directions (a node-local
 * fault - a firewall, a wrong address, a dead host - shows), every
 * contiguous address range has checked pairs leaving it at both ends (a
 * cut-off subnet or rack shows), any member reaches any other in O(log M)
 * checked hops, and the underlay neighbour (ARP/ND) entries the check
 * creates per node are O(log M), not O(M). A filter between two particular
 * ranges that both reach the rest may go unseen: the price of not testing
 * M^2 pairs.
 */
static bool power_of(size_t d, size_t base)
{
	while (d > 1 && d % base == 0)
		d /= base;
	return d == 1;
}

static int pick_sample(struct ot_preflight *pf, int ns, const char *dev)
{
	const struct ot_plan *p = pf->p;
	struct ot_addr *m;
	size_t i, n = 0, self, d;

	m = calloc(pf->npeers + 1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m[n++] = p->underlay;
	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];
		size_t j;

		if (op->kind != OT_OP_FDB || op->ns != ns || strcmp(op->fdb.dev, dev) ||
		    !peer_by_ot_addr(pf, &op->fdb.dst))
			continue;
		for (j = 0; j < n; j++)
			if (ot_addr_equal(&m[j], &op->fdb.dst))
				break;
		if (j == n && n < pf->npeers + 1)
			m[n++] = op->fdb.dst;
	}
	qsort(m, n, sizeof(*m), addr_cmp);
	for (self = 0; self < n && !ot_addr_equal(&m[self], &p->underlay); self++)
		;
	for (i = 0; i < n; i++) {
		struct peer *x = peer_by_ot_addr(pf, &m[i]);

		if (!x)
			continue;
		if (n <= ALL_PAIRS_UPTO) {
			x->sampled = true;
			continue;
		}
		/* ring distance from us, either way round: a power of 4? */
		d = (i + n - self) % n;
		if (power_of(d, SAMPLE_BASE) || power_of(n - d, SAMPLE_BASE))
			x->sampled = true;
	}
	free(m);
	return 0;
}

static int find_peers(struct ot_preflight *pf)
{
	const struct ot_plan *p = pf->p;
	size_t i;

	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];

		if (op->kind == OT_OP_LINK && op->link.kind == OT_LINK_VXLAN && !pf->port)
			pf->port = op->link.port ? op->link.port : OT_DEFAULT_VXLAN_PORT;
	}
	pf->peers = calloc(p->nnodes ? p->nnodes : 1, sizeof(*pf->peers));
	if (!pf->peers)
		return -ENOMEM;
	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];

		if (op->kind != OT_OP_FDB || !op->fdb.dst.family ||
		    ot_addr_equal(&op->fdb.dst, &p->underlay))
			continue;
		if (peer_by_ot_addr(pf, &op->fdb.dst) || pf->npeers == p->nnodes)
			continue;
		pf->peers[pf->npeers].node = op->fdb.dst_node ? op->fdb.dst_node : "?";
		pf->peers[pf->npeers].addr = op->fdb.dst;
		pf->npeers++;
	}
	/* the sample, network by network (each VXLAN device once) */
	for (i = 0; i < p->nops; i++) {
		const struct ot_op *op = &p->ops[i];

		if (op->kind != OT_OP_LINK || op->link.kind != OT_LINK_VXLAN)
			continue;
		if (pick_sample(pf, op->ns, op->link.name) < 0)
			return -ENOMEM;
	}
	return 0;
}

static socklen_t to_sockaddr(const struct ot_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	return (socklen_t)ot_addr_sockaddr(a, port, ss);
}

/*
 * Only packets for the VXLAN port reach the raw socket (a classic BPF
 * filter): an IPv4 raw socket sees the IP header first (its length in the
 * low nibble of byte 0), an IPv6 one starts at the UDP header (raw(7),
 * ipv6(7)).
 */
static void filter_port(int fd, int family, uint16_t port)
{
	struct sock_filter v4[] = {
	    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
	    BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0xffff),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter v6[] = {
	    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 2),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0xffff),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {
	    .len = family == AF_INET6 ? sizeof(v6) / sizeof(v6[0]) : sizeof(v4) / sizeof(v4[0]),
	    .filter = family == AF_INET6 ? v6 : v4,
	};

	/* Without the filter receive() still checks every packet: only
	 * slower on a busy host. */
	(void)setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

/*
 * The exchange never binds the VXLAN port: a VXLAN device of another
 * topology (or of another deployment running its create right now) may
 * hold it, and a socket of ours on it would make that create fail with
 * EADDRINUSE. Probes are sent from an ephemeral port to <peer>:<port>, and
 * a raw UDP socket bound to the underlay address sees what arrives for
 * <port> - raw sockets get a copy of every datagram the host accepts
 * (after the input firewall, like VXLAN traffic), whoever owns the port or
 * if nobody does. So the check tests exactly the path VXLAN packets take,
 * and holds nothing another deployment needs.
 */
static void open_udp(struct ot_preflight *pf)
{
	const struct ot_plan *p = pf->p;
	struct sockaddr_storage ss;
	char abuf[OT_ADDR_STRLEN];
	socklen_t len;

	if (!pf->npeers || !p->underlay.family)
		return;
	ot_addr_format(&p->underlay, abuf, sizeof(abuf));
	pf->fd = socket(p->underlay.family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	pf->rfd = socket(p->underlay.family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	if (pf->fd < 0 || pf->rfd < 0) {
		add_check(pf, "udp", false, "%s socket: %s", pf->fd < 0 ? "UDP" : "raw UDP",
			  strerror(errno));
		goto fail;
	}
	filter_port(pf->rfd, p->underlay.family, pf->port);
	len = to_sockaddr(&p->underlay, 0, &ss);
	if (bind(pf->fd, (struct sockaddr *)&ss, len) < 0 ||
	    bind(pf->rfd, (struct sockaddr *)&ss, len) < 0) {
		add_check(pf, "udp", false, "bind to %s: %s", abuf, strerror(errno));
		goto fail;
	}
	return;
fail:
	if (pf->fd >= 0)
		close(pf->fd);
	if (pf->rfd >= 0)
		close(pf->rfd);
	pf->fd = pf->rfd = -1;
}

int ot_preflight_prepare(const struct ot_plan *p, struct ot_preflight **ret, struct ot_error *err)
{
	struct ot_preflight *pf;

	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return ot_error_set(err, -ENOMEM, "out of memory");
	pf->p = p;
	pf->fd = pf->rfd = -1;
	if (find_peers(pf) < 0) {
		ot_preflight_free(pf);
		return ot_error_set(err, -ENOMEM, "out of memory");
	}
	check_kernel(pf);
	check_underlay(pf);
	check_host_devices(pf);
	check_io_devices(pf);
	check_storage(pf);
	open_udp(pf);
	*ret = pf;
	return 0;
}

uint16_t ot_preflight_port(const struct ot_preflight *pf)
{
	return pf->fd >= 0 ? pf->port : 0;
}

bool ot_preflight_busy(const struct ot_preflight *pf)
{
	(void)pf;
	return false; /* the exchange holds no port (open_udp) */
}

/*
 * One datagram to x's VXLAN port: "OTPF2 <nonce> probe|ack <our node>
 * <got>", got = 1 once x's ack reached us (x then needs nothing more from
 * us). Best effort, but a failed sendto is kept for the report (no route,
 * for one). A datagram the kernel drops after sendto returned - ENOBUFS
 * from a full neighbour table, which UDP does not report - shows in
 * UdpSndbufErrors instead (sndbuf_errors).
 */
static void send_pkt(struct ot_preflight *pf, struct peer *x, const char *nonce, const char *kind)
{
	struct sockaddr_storage to;
	socklen_t len = to_sockaddr(&x->addr, pf->port, &to);
	char pkt[160];
	int n = snprintf(pkt, sizeof(pkt), PKT_MAGIC " %s %s %s %d", nonce, kind, pf->p->node,
			 x->reached);

	if (sendto(pf->fd, pkt, (size_t)n, MSG_DONTWAIT, (const struct sockaddr *)&to, len) < 0)
		x->send_errno = errno;
	else
		x->send_errno = 0;
}

static struct peer *peer_by_addr(struct ot_preflight *pf, const struct sockaddr_storage *ss)
{
	struct ot_addr a = {.family = (uint8_t)ss->ss_family};

	if (ss->ss_family == AF_INET)
		memcpy(a.bytes, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		memcpy(a.bytes, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	return peer_by_ot_addr(pf, &a);
}

/* The payload of a datagram for our port seen by the raw socket, or NULL. */
static const char *udp_payload(const struct ot_preflight *pf, char *pkt, size_t len)
{
	size_t off = 0;
	uint16_t dport;

	if (pf->p->underlay.family == AF_INET) {
		off = (size_t)(pkt[0] & 0x0f) * 4; /* the IP header comes first */
		if (off < 20 || len < off)
			return NULL;
	}
	if (len < off + 8)
		return NULL;
	memcpy(&dport, pkt + off + 2, 2);
	if (ntohs(dport) != pf->port)
		return NULL;
	return pkt + off + 8;
}

/*
 * Everything queued on the raw socket. Any packet of a sampled peer with
 * our nonce proves the path from it to us (heard); an ack proves ours to
 * it (reached); got = 1 says it has our ack (done). A probe is answered at
 * once, from anyone in the sample: a peer that started late still gets its
 * ack while we are here.
 */
static void receive(struct ot_preflight *pf, const char *nonce)
{
	struct sockaddr_storage from;
	char pkt[512], magic[8], n[OT_PREFLIGHT_NONCE_MAX + 1], kind[8], node[80];
	const char *payload;
	socklen_t flen;
	ssize_t len;
	struct peer *peer;
	int got;

	for (;;) {
		flen = sizeof(from);
		len = recvfrom(pf->rfd, pkt, sizeof(pkt) - 1, MSG_DONTWAIT,
			       (struct sockaddr *)&from, &flen);
		if (len < 0)
			return;
		pkt[len] = '\0';
		payload = udp_payload(pf, pkt, (size_t)len);
		if (!payload ||
		    sscanf(payload, "%7s %64s %7s %79s %d", magic, n, kind, node, &got) != 5 ||
		    strcmp(magic, PKT_MAGIC) || strcmp(n, nonce))
			continue;
		peer = peer_by_addr(pf, &from);
		if (!peer || peer->skipped || strcmp(peer->node, node))
			continue;
		if (!peer->sampled && !strcmp(kind, "probe")) {
			/* It counts us in its sample and we did not: both
			 * ends see the same member sets, so this is not
			 * expected, but a pair one end checks is checked
			 * by both rather than left waiting for an answer. */
			peer->sampled = true;
			peer->next_send = ot_mono_ms();
			peer->every = PROBE_FIRST;
		}
		if (!peer->sampled)
			continue;
		peer->heard = true;
		if (got)
			peer->done = true;
		if (!strcmp(kind, "ack"))
			peer->reached = true;
		else if (!strcmp(kind, "probe"))
			send_pkt(pf, peer, nonce, "ack"); /* to its VXLAN port, like VXLAN */
	}
}

/*
 * This namespace's count of UDP datagrams dropped on output for want of
 * buffer space (/proc/net/snmp "SndbufErrors", snmp6 "Udp6SndbufErrors"),
 * -1 if unknown. It rises when the neighbour (ARP/ND) table is full: the
 * kernel then cannot resolve the next hop, and udp_sendmsg hides that
 * ENOBUFS from the caller.
 */
static long sndbuf_errors(int family)
{
	FILE *f = fopen(family == AF_INET6 ? "/proc/net/snmp6" : "/proc/net/snmp", "re");
	char line[1024], names[1024] = "";
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (family == AF_INET6) {
			if (sscanf(line, "Udp6SndbufErrors %ld", &v) == 1)
				break;
		} else if (!strncmp(line, "Udp: ", 5)) {
			if (!names[0]) {
				snprintf(names, sizeof(names), "%s", line);
				continue;
			}
			/* the column of SndbufErrors in the header line */
			char *np = NULL, *vp = NULL, *n = strtok_r(names, " \n", &np);
			char *val = strtok_r(line, " \n", &vp);

			while (n && val && strcmp(n, "SndbufErrors")) {
				n = strtok_r(NULL, " \n", &np);
				val = strtok_r(NULL, " \n", &vp);
			}
			if (n && val)
				v = strtol(val, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static bool in_exchange(const struct peer *x)
{
	return x->sampled && !x->skipped;
}

/* Nobody needs us any more: every peer reached, heard, and has our ack. */
static bool all_done(const struct ot_preflight *pf)
{
	size_t i;

	for (i = 0; i < pf->npeers; i++) {
		const struct peer *x = &pf->peers[i];

		if (in_exchange(x) && (!x->reached || !x->heard || !x->done))
			return false;
	}
	return true;
}

int ot_preflight_exchange(struct ot_preflight *pf, const char *nonce, unsigned ms,
			  struct ot_error *err)
{
	long deadline, done_at = 0, t, wake, dropped;
	size_t i;

	if (!nonce[0] || strlen(nonce) > OT_PREFLIGHT_NONCE_MAX ||
	    strspn(nonce, "0123456789abcdef") != strlen(nonce))
		return ot_error_set(err, -EINVAL, "bad preflight nonce");
	if (pf->fd < 0)
		return 0;
	pf->exchanged = true;
	dropped = sndbuf_errors(pf->p->underlay.family);
	t = ot_mono_ms();
	deadline = t + (ms ? ms : 5000);
	for (i = 0; i < pf->npeers; i++) {
		pf->peers[i].next_send = t;
		pf->peers[i].every = PROBE_FIRST;
	}
	for (;;) {
		t = ot_mono_ms();
		if (t >= deadline || (done_at && t >= done_at))
			break;
		wake = done_at ? done_at : deadline;
		/* Probe until the peer has acked us and we know it has our ack,
		 * each peer on its own clock, the gap doubling up to PROBE_MAX:
		 * a loaded host or a late start costs a few packets, not a flood. */
		for (i = 0; i < pf->npeers; i++) {
			struct peer *x = &pf->peers[i];

			if (!in_exchange(x) || (x->reached && x->done))
				continue;
			if (t >= x->next_send) {
				send_pkt(pf, x, nonce, "probe");
				x->next_send = t + x->every;
				if (x->every < PROBE_MAX)
					x->every *= 2;
			}
			if (x->next_send < wake)
				wake = x->next_send;
		}
		struct pollfd pfd = {.fd = pf->rfd, .events = POLLIN};

		if (poll(&pfd, 1, (int)(wake > t ? wake - t : 0)) > 0)
			receive(pf, nonce);
		if (!done_at && all_done(pf))
			done_at = ot_mono_ms() + LINGER_MS;
	}
	t = sndbuf_errors(pf->p->underlay.family);
	if (dropped >= 0 && t > dropped) {
		struct check *c = add_check(
		    pf, "udp send", true,
		    "the kernel dropped %ld of our datagrams after sending (UdpSndbufErrors): "
		    "the neighbour (ARP/ND) table may be full (net.ipv4.neigh.default.gc_thresh3, "
		    "one table for all network namespaces of the host)",
		    t - dropped);
		if (c)
			c->warning = true;
	}
	return 0;
}

void ot_preflight_skip_peer(struct ot_preflight *pf, const char *node)
{
	size_t i;

	for (i = 0; i < pf->npeers; i++)
		if (!strcmp(pf->peers[i].node, node))
			pf->peers[i].skipped = true;
}

static bool peer_ok(const struct ot_preflight *pf, const struct peer *x)
{
	return !in_exchange(x) || !pf->exchanged || (x->reached && x->heard);
}

bool ot_preflight_ok(const struct ot_preflight *pf)
{
	size_t i;

	for (i = 0; i < pf->nchecks; i++)
		if (!pf->checks[i].ok)
			return false;
	for (i = 0; i < pf->npeers; i++)
		if (!peer_ok(pf, &pf->peers[i]))
			return false;
	return true;
}

void ot_preflight_report(const struct ot_preflight *pf, struct ot_strbuf *out)
{
	char abuf[OT_ADDR_STRLEN], mine[OT_ADDR_STRLEN];
	size_t i;

	for (i = 0; i < pf->nchecks; i++) {
		const struct check *c = &pf->checks[i];

		if (!c->ok || c->warning)
			ot_sb_printf(out, "%s: preflight%s: %s: %s\n", pf->p->node,
				     c->ok ? " warning" : "", c->name, c->detail);
	}
	ot_addr_format(&pf->p->underlay, mine, sizeof(mine));
	for (i = 0; i < pf->npeers; i++) {
		const struct peer *x = &pf->peers[i];

		if (peer_ok(pf, x))
			continue;
		ot_addr_format(&x->addr, abuf, sizeof(abuf));
		if (!x->reached && x->send_errno)
			ot_sb_printf(out,
				     "%s: preflight: UDP port %u from %s (%s) to %s (%s) could not "
				     "be sent: %s\n",
				     pf->p->node, pf->port, pf->p->node, mine, x->node, abuf,
				     strerror(x->send_errno));
		else if (!x->reached)
			ot_sb_printf(
			    out,
			    "%s: preflight: UDP port %u from %s (%s) to %s (%s) got no "
			    "answer: a firewall, a wrong underlay address, or %s is down\n",
			    pf->p->node, pf->port, pf->p->node, mine, x->node, abuf, x->node);
		if (!x->heard)
			ot_sb_printf(out,
				     "%s: preflight: UDP port %u from %s (%s) to %s (%s) never "
				     "arrived\n",
				     pf->p->node, pf->port, x->node, abuf, pf->p->node, mine);
	}
}

json_t *ot_preflight_to_json(const struct ot_preflight *pf)
{
	json_t *root = json_object(), *checks = json_array(), *peers = json_array(), *udp;
	char abuf[OT_ADDR_STRLEN];
	size_t i;

	if (!root || !checks || !peers)
		goto oom;
	json_object_set_new(root, "schema", json_string(OT_SCHEMA_PREFLIGHT));
	json_object_set_new(root, "node", json_string(pf->p->node));
	json_object_set_new(root, "ok", json_boolean(ot_preflight_ok(pf)));
	for (i = 0; i < pf->nchecks; i++) {
		const struct check *c = &pf->checks[i];
		json_t *o = json_pack("{s:s, s:b, s:b, s:s}", "check", c->name, "ok", c->ok,
				      "warning", c->warning, "detail", c->detail);

		if (!o || json_array_append_new(checks, o) < 0)
			goto oom;
	}
	json_object_set_new(root, "checks", checks);
	checks = NULL;
	/* the sampled pairs only: at 1,000 nodes the rest would be 999 lines of
	 * "not checked" per node, shipped back to otdeploy by every node */
	for (i = 0; i < pf->npeers; i++) {
		const struct peer *x = &pf->peers[i];
		json_t *o;

		if (!x->sampled)
			continue;
		ot_addr_format(&x->addr, abuf, sizeof(abuf));
		o = json_pack("{s:s, s:s, s:b, s:b, s:b}", "node", x->node, "addr", abuf, "reached",
			      x->reached, "heard", x->heard, "checked",
			      in_exchange(x) && pf->exchanged);
		if (!o ||
		    (x->send_errno &&
		     json_object_set_new(o, "send_error", json_string(strerror(x->send_errno))) <
			 0) ||
		    json_array_append_new(peers, o) < 0)
			goto oom;
	}
	udp = json_pack("{s:i, s:I, s:o}", "port", (int)pf->port, "vxlan_peers",
			(json_int_t)pf->npeers, "peers", peers);
	peers = NULL;
	if (!udp)
		goto oom;
	json_object_set_new(root, "udp", udp);
	return root;
oom:
	json_decref(root);
	json_decref(checks);
	json_decref(peers);
	return NULL;
}

void ot_preflight_free(struct ot_preflight *pf)
{
	if (!pf)
		return;
	if (pf->fd >= 0)
		close(pf->fd);
	if (pf->rfd >= 0)
		close(pf->rfd);
	free(pf->peers);
	free(pf);
}
