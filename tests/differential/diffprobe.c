/*
 * diffprobe.c - compare `otc reach --json` with live traffic.
 *
 * usage: diffprobe REACH.json [--host NODE=NETNS]... [--timeout MS] [--verbose]
 *
 * Every endpoint of the JSON (containers: /run/netns/<netns>; hosts: the
 * namespace given by --host, e.g. a simulated host) gets listeners on every
 * class port for the run (src/exec/classprobe.c); every result row whose
 * verdict is not "unknown" becomes one live probe. A row disagrees when the
 * live answer differs from the oracle's in whether the request arrived,
 * where (endpoint and port), or whether its answer came back. Prints each
 * disagreement as
 *   DISAGREE a -> b (addr) tcp/80: reach says answered [at b:80], live: arrives at c:80 (...)
 * and a last line "N probes, M disagreements". Exit 0 when none, 1 when
 * some, 2 on usage or system errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "exec/classprobe.h"

#define MAX_HOSTS 64

struct row {
	const char *from, *to, *addr, *cls, *verdict, *dto;
	int dport, dto_idx;
};

static int ep_index(json_t *eps, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach(eps, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
			return (int)i;
	}
	return -1;
}

static const char *live_text(const struct ot_cprobe *p, json_t *eps, char *buf, size_t size)
{
	const char *at = p->arrived_at >= 0
			     ? json_string_value(json_object_get(
				   json_array_get(eps, (size_t)p->arrived_at), "name"))
			     : "";

	if (p->answered)
		snprintf(buf, size, "answered at %s:%u", at, p->arrived_port);
	else if (p->arrived)
		snprintf(buf, size, "arrives at %s:%u, no answer (%s)", at, p->arrived_port,
			 p->detail);
	else
		snprintf(buf, size, "lost (%s)", p->detail);
	return buf;
}

int main(int argc, char **argv)
{
	const char *hosts[MAX_HOSTS];
	size_t nhosts = 0, i, n = 0, nports = 0, bad = 0;
	unsigned timeout = 600;
	bool verbose = false;
	json_error_t je;
	json_t *root, *eps, *results, *classes, *e;
	struct ot_cprobe *pr;
	struct row *rows;
	uint16_t ports[512];
	int *fds, a;
	struct ot_error err = {0};
	struct rlimit rl;

	if (argc < 2) {
		fprintf(stderr,
			"usage: diffprobe REACH.json [--host NODE=NETNS]... [--timeout MS]\n");
		return 2;
	}
	for (a = 2; a < argc; a++) {
		if (strcmp(argv[a], "--host") == 0 && a + 1 < argc && nhosts < MAX_HOSTS)
			hosts[nhosts++] = argv[++a];
		else if (strcmp(argv[a], "--timeout") == 0 && a + 1 < argc)
			timeout = (unsigned)atoi(argv[++a]);
		else if (strcmp(argv[a], "--verbose") == 0)
			verbose = true;
		else {
			fprintf(stderr, "diffprobe: unknown argument '%s'\n", argv[a]);
			return 2;
		}
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	root = json_load_file(argv[1], 0, &je);
	if (!root) {
		fprintf(stderr, "diffprobe: %s: %s\n", argv[1], je.text);
		return 2;
	}
	eps = json_object_get(root, "endpoints");
	results = json_object_get(root, "results");
	classes = json_object_get(root, "classes");
	fds = calloc(json_array_size(eps) + 1, sizeof(*fds));
	pr = calloc(json_array_size(results) + 1, sizeof(*pr));
	rows = calloc(json_array_size(results) + 1, sizeof(*rows));
	if (!fds || !pr || !rows)
		return 2;
	json_array_foreach(eps, i, e)
	{
		const char *netns = json_string_value(json_object_get(e, "netns"));
		const char *node = json_string_value(json_object_get(e, "node"));
		char path[512];
		size_t h;

		snprintf(path, sizeof(path), "/run/netns/%s", netns);
		if (json_is_true(json_object_get(e, "host"))) {
			path[0] = '\0';
			for (h = 0; h < nhosts; h++)
				if (strncmp(hosts[h], node, strlen(node)) == 0 &&
				    hosts[h][strlen(node)] == '=')
					snprintf(path, sizeof(path), "/run/netns/%s",
						 hosts[h] + strlen(node) + 1);
			if (!path[0]) {
				fprintf(stderr, "diffprobe: no --host for node %s\n", node);
				return 2;
			}
		}
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			fprintf(stderr, "diffprobe: %s: %s\n", path, strerror(errno));
			return 2;
		}
	}
	json_array_foreach(classes, i, e)
	{
		const char *c = json_string_value(e);

		if (strchr(c, '/') && nports < 512) {
			uint16_t p = (uint16_t)atoi(strchr(c, '/') + 1);
			size_t k;

			for (k = 0; k < nports && ports[k] != p; k++)
				;
			if (k == nports)
				ports[nports++] = p;
		}
	}
	json_array_foreach(results, i, e)
	{
		struct row *r = &rows[n];
		struct ot_cprobe *p = &pr[n];

		r->from = json_string_value(json_object_get(e, "from"));
		r->to = json_string_value(json_object_get(e, "to"));
		r->addr = json_string_value(json_object_get(e, "addr"));
		r->cls = json_string_value(json_object_get(e, "class"));
		r->verdict = json_string_value(json_object_get(e, "verdict"));
		r->dto = json_string_value(json_object_get(e, "delivered_to"));
		r->dport = (int)json_integer_value(json_object_get(e, "delivered_port"));
		r->dto_idx = r->dto ? ep_index(eps, r->dto) : -1;
		if (strcmp(r->verdict, "unknown") == 0)
			continue;
		p->src_fd = fds[ep_index(eps, r->from)];
		if (ot_addr_parse(r->addr, &p->to) < 0)
			return 2;
		if (strncmp(r->cls, "tcp/", 4) == 0 || strncmp(r->cls, "udp/", 4) == 0) {
			p->proto = r->cls[0] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
			p->port = (uint16_t)atoi(r->cls + 4);
		}
		n++;
	}
	if (ot_cprobe_run(fds, json_array_size(eps), ports, nports, pr, n, timeout, &err) < 0) {
		fprintf(stderr, "diffprobe: %s\n", err.msg);
		return 2;
	}
	for (i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const struct ot_cprobe *p = &pr[i];
		bool want_arr = strcmp(r->verdict, "lost") != 0;
		bool want_ans = strcmp(r->verdict, "answered") == 0;
		bool ok = ot_cprobe_agrees(p, want_arr, want_ans, r->dto_idx, (uint16_t)r->dport);
		char live[160];

		live_text(p, eps, live, sizeof(live));
		if (!ok || verbose)
			printf("%s %s -> %s (%s) %s: reach says %s%s%s%s%.0d, live: %s\n",
			       ok ? "AGREE" : "DISAGREE", r->from, r->to, r->addr, r->cls,
			       r->verdict, r->dto ? " at " : "", r->dto ? r->dto : "",
			       r->dto ? ":" : "", r->dport, live);
		bad += !ok;
	}
	printf("%zu probes, %zu disagreements\n", n, bad);
	for (i = 0; i < json_array_size(eps); i++)
		close(fds[i]);
	free(fds);
	free(pr);
	free(rows);
	json_decref(root);
	return bad ? 1 : 0;
}
