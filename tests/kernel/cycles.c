/*
 * cycles.c - the executor library used the way a long-lived caller (the
 * SPANK plugin inside slurmstepd, otdeploy's local mode) uses it: one
 * process, PLAN created and destroyed N times, with status and verify in
 * between. Fails when, from one cycle to the next, open descriptors or heap
 * bytes grow, or when a cycle leaves a namespace name or a mount of the
 * plan's prefix behind. Leaks at exit are LeakSanitizer's to report (the
 * suite runs the ASan build).
 *
 * usage: cycles PLAN.json N   (root, inside the namespace to build in)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef __SANITIZE_ADDRESS__
/* from libasan (sanitizer/allocator_interface.h, not always installed) */
size_t __sanitizer_get_current_allocated_bytes(void);
#else
#include <malloc.h>
#endif

#include <jansson.h>

#include "exec/exec.h"
#include "plan/plan_json.h"
#include "util/clock.h"

static size_t heap_bytes(void)
{
#ifdef __SANITIZE_ADDRESS__
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the one opendir holds */
}

/* Names under /run/netns and mounts that carry the prefix. */
static int traces(const char *prefix)
{
	char line[4096];
	struct dirent *e;
	FILE *f;
	DIR *d;
	int n = 0;

	d = opendir("/run/netns");
	if (d) {
		while ((e = readdir(d)))
			if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
				n++;
		closedir(d);
	}
	f = fopen("/proc/self/mountinfo", "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (strstr(line, prefix))
				n++;
		fclose(f);
	}
	return n;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
	    !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

int main(int argc, char **argv)
{
	struct ot_error err = {0};
	struct ot_plan *p = NULL;
	struct ot_exec_opts o = {0};
	size_t len, heap0 = 0, heap_max = 0;
	int n, i, fds0 = -1;
	char *text;
	double t0, t1; /* CLOCK_MONOTONIC, seconds */

	if (argc != 3 || (n = atoi(argv[2])) < 2) {
		fprintf(stderr, "usage: cycles PLAN.json N (N >= 2)\n");
		return 2;
	}
	text = slurp(argv[1], &len);
	if (!text || ot_plan_load(text, len, &p, &err) < 0) {
		fprintf(stderr, "cycles: %s: %s\n", argv[1], text ? err.msg : strerror(errno));
		free(text);
		return 2;
	}
	free(text);
	t0 = ot_clock_s(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++) {
		struct ot_exec_result res;
		int fds, r;
		size_t heap;

		if ((r = ot_exec_create(p, &o, &res, &err)) < 0) {
			fprintf(stderr, "cycles: cycle %d: create: %s\n", i, err.msg);
			goto fail;
		}
		if (i % (getenv("CYCLES_EVERY") ? atoi(getenv("CYCLES_EVERY")) : 50) ==
		    0) { /* the read-only paths too */
			struct ot_status *s = NULL;
			struct ot_verify *v = NULL;

			if (ot_exec_status(p, &o, &s, &err) < 0 || s->nmissing || s->ndrift) {
				fprintf(stderr, "cycles: cycle %d: status: %s\n", i,
					s ? "drift" : err.msg);
				ot_status_free(s);
				goto fail;
			}
			ot_status_free(s);
			if (ot_exec_verify(p, &o, 0, 1000, &v, &err) < 0 || v->nfail) {
				fprintf(stderr, "cycles: cycle %d: verify: %s\n", i,
					v ? "probes fail" : err.msg);
				if (v) {
					json_t *j = ot_verify_to_json(p, v);
					char *dump = j ? json_dumps(j, JSON_INDENT(2)) : NULL;

					fprintf(stderr, "%s\n", dump ? dump : "(out of memory)");
					free(dump);
					json_decref(j);
				}
				ot_verify_free(v);
				goto fail;
			}
			ot_verify_free(v);
		}
		if ((r = ot_exec_destroy(p->state_dir, &o, &res, &err)) < 0) {
			fprintf(stderr, "cycles: cycle %d: destroy: %s\n", i, err.msg);
			goto fail;
		}
		if (traces(p->prefix)) {
			fprintf(stderr, "cycles: cycle %d left namespaces or mounts of '%s'\n", i,
				p->prefix);
			goto fail;
		}
		fds = count_fds();
		heap = heap_bytes();
		if (i == 1) { /* after one warm-up cycle (lazy library state) */
			fds0 = fds;
			heap0 = heap;
		}
		if (i >= 1 && fds != fds0) {
			fprintf(stderr, "cycles: cycle %d: %d open descriptors, %d after cycle 1\n",
				i, fds, fds0);
			goto fail;
		}
		if (heap > heap_max)
			heap_max = heap;
		if (getenv("CYCLES_TRACE"))
			fprintf(stderr, "cycle %d: %d fds, %zu heap bytes\n", i, fds, heap);
	}
	t1 = ot_clock_s(CLOCK_MONOTONIC);
	/* the heap may wobble by a buffer, never grow with the cycles */
	if (heap_max > heap0 + 4096) {
		fprintf(stderr, "cycles: heap grew from %zu to %zu bytes over %d cycles\n", heap0,
			heap_max, n);
		goto fail;
	}
	printf("cycles: %d create/destroy cycles of %s in %.1f s: %d descriptors and %zu heap "
	       "bytes throughout, nothing left behind\n",
	       n, p->prefix, t1 - t0, fds0, heap0);
	ot_plan_free(p);
	return 0;
fail:
	ot_exec_destroy(p->state_dir, &o, NULL, NULL);
	ot_plan_free(p);
	return 1;
}
