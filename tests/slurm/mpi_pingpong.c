/*
 * mpi_pingpong.c - the MPI program of the Slurm tests and benchmarks,
 * built against both Open MPI and MPICH.
 *
 *   mpi_pingpong [--iters N] [--size BYTES] [--bulk BYTES]
 *
 * 1. A ring: every rank passes a token to the next, and rank 0 checks the
 *    sum (every rank took part).
 * 2. A ping-pong of --size bytes (default 8) between rank 0 and the last
 *    rank, --iters times (default 2000, after 200 warm-up rounds): the
 *    median and minimum round trip in microseconds.
 * 3. A bulk transfer of --bulk bytes (default 4 MiB) from rank 0 to the
 *    last rank, so interface counters show where the data went.
 *
 * Each rank then reports, through rank 0, one line:
 *
 *   rank R host H container C iface NAME ADDR tx=BYTES rx=BYTES ...
 *
 * with the byte counters of every non-loopback interface it can see,
 * measured as the difference over steps 1-3 (getifaddrs(AF_PACKET) gives
 * the kernel's per-device statistics without /sys). The tests read these
 * lines to prove the messages crossed the container's overlay interface,
 * and the benchmarks read "rtt_us median=... min=...".
 */
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <mpi.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_IFS	  16
#define LINE_MAX_ 1024

struct ifstat {
	char name[32];
	unsigned long long tx, rx;
};

static int ifstats(struct ifstat *v)
{
	struct ifaddrs *ifs, *i;
	int n = 0;

	if (getifaddrs(&ifs) < 0)
		return 0;
	for (i = ifs; i && n < MAX_IFS; i = i->ifa_next) {
		const struct rtnl_link_stats *s = i->ifa_data;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_PACKET || !s ||
		    !strcmp(i->ifa_name, "lo"))
			continue;
		snprintf(v[n].name, sizeof(v[n].name), "%s", i->ifa_name);
		v[n].tx = s->tx_bytes;
		v[n].rx = s->rx_bytes;
		n++;
	}
	freeifaddrs(ifs);
	return n;
}

/* The first IPv4 (else IPv6) address of interface name, or "-". */
static void if_addr(const char *name, char *buf, size_t size)
{
	struct ifaddrs *ifs, *i;

	snprintf(buf, size, "-");
	if (getifaddrs(&ifs) < 0)
		return;
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, name))
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf,
				  (socklen_t)size);
			break;
		}
		if (i->ifa_addr->sa_family == AF_INET6 && !strcmp(buf, "-"))
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, buf,
				  (socklen_t)size);
	}
	freeifaddrs(ifs);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long iters = 2000, size = 8, bulk = 4 << 20;
	struct ifstat before[MAX_IFS], after[MAX_IFS];
	int rank, nranks, i, j, nb, na, peer;
	char line[LINE_MAX_], host[256], *buf;
	const char *ctr = getenv("OPENTOP_CONTAINER");
	double *rtt = NULL;
	size_t off;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--iters"))
			iters = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--size"))
			size = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--bulk"))
			bulk = atol(argv[i + 1]);
	}
	if (iters < 1 || size < 1 || size > (64 << 20) || bulk < 0 || bulk > (1 << 30)) {
		fprintf(stderr, "mpi_pingpong: bad arguments\n");
		return 2;
	}
	nb = ifstats(before);
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &nranks);
	peer = nranks - 1;

	/* 1. The ring. */
	{
		long token = 0, want = (long)nranks * (nranks - 1) / 2;

		if (nranks > 1) {
			if (rank == 0) {
				MPI_Send(&token, 1, MPI_LONG, 1, 1, MPI_COMM_WORLD);
				MPI_Recv(&token, 1, MPI_LONG, nranks - 1, 1, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
			} else {
				MPI_Recv(&token, 1, MPI_LONG, rank - 1, 1, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
				token += rank;
				MPI_Send(&token, 1, MPI_LONG, (rank + 1) % nranks, 1,
					 MPI_COMM_WORLD);
			}
		}
		if (rank == 0)
			printf("ring ranks=%d sum=%ld %s\n", nranks, token,
			       token == want ? "ok" : "WRONG");
	}

	/* 2. Ping-pong between rank 0 and the last rank. */
	buf = calloc(1, (size_t)(bulk > size ? bulk : size));
	if (!buf)
		MPI_Abort(MPI_COMM_WORLD, 3);
	if (rank == 0)
		rtt = calloc((size_t)iters, sizeof(*rtt));
	if (nranks > 1 && (rank == 0 || rank == peer)) {
		for (i = -200; i < iters; i++) {
			double t0 = MPI_Wtime();

			if (rank == 0) {
				MPI_Send(buf, (int)size, MPI_BYTE, peer, 2, MPI_COMM_WORLD);
				MPI_Recv(buf, (int)size, MPI_BYTE, peer, 2, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
				if (i >= 0)
					rtt[i] = (MPI_Wtime() - t0) * 1e6;
			} else {
				MPI_Recv(buf, (int)size, MPI_BYTE, 0, 2, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
				MPI_Send(buf, (int)size, MPI_BYTE, 0, 2, MPI_COMM_WORLD);
			}
		}
		/* 3. Bulk. */
		if (bulk > 0) {
			if (rank == 0)
				MPI_Send(buf, (int)bulk, MPI_BYTE, peer, 3, MPI_COMM_WORLD);
			else
				MPI_Recv(buf, (int)bulk, MPI_BYTE, 0, 3, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
		}
	}
	MPI_Barrier(MPI_COMM_WORLD);
	na = ifstats(after);

	/* Report, one line per rank, gathered at rank 0. */
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	off = (size_t)snprintf(line, sizeof(line), "rank %d host %s container %s", rank, host,
			       ctr ? ctr : "-");
	for (i = 0; i < na && off < sizeof(line); i++) {
		unsigned long long tx0 = 0, rx0 = 0;
		char addr[64];

		for (j = 0; j < nb; j++)
			if (!strcmp(before[j].name, after[i].name)) {
				tx0 = before[j].tx;
				rx0 = before[j].rx;
			}
		if_addr(after[i].name, addr, sizeof(addr));
		off +=
		    (size_t)snprintf(line + off, sizeof(line) - off, " iface %s %s tx=%llu rx=%llu",
				     after[i].name, addr, after[i].tx - tx0, after[i].rx - rx0);
	}
	if (rank == 0) {
		char *all = malloc((size_t)nranks * sizeof(line));

		MPI_Gather(line, sizeof(line), MPI_CHAR, all, sizeof(line), MPI_CHAR, 0,
			   MPI_COMM_WORLD);
		for (i = 0; i < nranks; i++)
			printf("%s\n", all + (size_t)i * sizeof(line));
		if (nranks > 1) {
			qsort(rtt, (size_t)iters, sizeof(*rtt), cmp_double);
			printf("rtt_us size=%ld iters=%ld median=%.2f min=%.2f\n", size, iters,
			       rtt[iters / 2], rtt[0]);
		}
		free(all);
	} else {
		MPI_Gather(line, sizeof(line), MPI_CHAR, NULL, 0, MPI_CHAR, 0, MPI_COMM_WORLD);
	}
	fflush(stdout);
	free(buf);
	free(rtt);
	MPI_Finalize();
	return 0;
}
