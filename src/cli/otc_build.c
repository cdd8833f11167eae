/*
 * otc_build.c - `otc build FILE HOSTS -o DIR`: one otnode executable per node,
 * DIR/<node>/otnode = the static otnode runtime carried inside otc
 * (src/embed/runtime.S) + that node's plan (compact JSON) + a trailer
 * (src/embed/embed.h). Each file is written next to its final name and
 * renamed into place, so a reader never sees half an executable.
 *
 * --runtime FILE replaces the built-in runtime (any otnode build, e.g. the
 * ASan-instrumented dynamic one the test suite uses; an old payload in it
 * is dropped).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/otc.h"
#include "embed/embed.h"
#include "plan/plan_json.h"

#define RUNTIME_MAX (256u << 20)

static const char build_usage[] =
    "usage: otc build FILE HOSTS -o DIR [--node NAME] [--runtime FILE]\n"
    "  -o, --output DIR    write DIR/<node>/otnode for every node (DIR is created)\n"
    "  -N, --node NAME     only this node (repeatable; -n: the old spelling)\n"
    "  --runtime FILE      use FILE as the otnode runtime instead of the built-in one\n";

static int read_file(const char *path, void **ret, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t done = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		otc_error("cannot read '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return OTC_EXIT_SYSTEM;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (size_t)st.st_size > RUNTIME_MAX) {
		otc_error("'%s' is not a plausible otnode runtime", path);
		close(fd);
		return OTC_EXIT_SYSTEM;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		close(fd);
		otc_error("out of memory");
		return OTC_EXIT_SYSTEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			otc_error("cannot read '%s': %s", path,
				  n < 0 ? strerror(errno) : "short read");
			free(buf);
			close(fd);
			return OTC_EXIT_SYSTEM;
		}
		done += (size_t)n;
	}
	close(fd);
	*ret = buf;
	*len = done;
	return OTC_EXIT_OK;
}

static int mkdir_one(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		otc_error("cannot create '%s': %s", dir, strerror(errno));
		return OTC_EXIT_SYSTEM;
	}
	return OTC_EXIT_OK;
}

/* Write data to dir/otnode through a temporary file and a rename. */
static int write_exe(const char *dir, const void *data, size_t len)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	size_t done = 0;
	int fd;

	if (snprintf(dst, sizeof(dst), "%s/otnode", dir) >= (int)sizeof(dst) ||
	    snprintf(tmp, sizeof(tmp), "%s/.otnode.XXXXXX", dir) >= (int)sizeof(tmp)) {
		otc_error("path too long: '%s'", dir);
		return OTC_EXIT_SYSTEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		otc_error("cannot create a file in '%s': %s", dir, strerror(errno));
		return OTC_EXIT_SYSTEM;
	}
	while (done < len) {
		ssize_t n = write(fd, (const char *)data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		done += (size_t)n;
	}
	if (done != len || fchmod(fd, 0755) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		otc_error("cannot write '%s': %s", tmp, strerror(errno));
		unlink(tmp);
		return OTC_EXIT_SYSTEM;
	}
	if (rename(tmp, dst) < 0) {
		otc_error("cannot rename '%s' to '%s': %s", tmp, dst, strerror(errno));
		unlink(tmp);
		return OTC_EXIT_SYSTEM;
	}
	return OTC_EXIT_OK;
}

static bool wanted(const char *node, const char **only, size_t nonly)
{
	size_t i;

	if (!nonly)
		return true;
	for (i = 0; i < nonly; i++)
		if (strcmp(only[i], node) == 0)
			return true;
	return false;
}

int otc_run_build(struct otc_common *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"node", required_argument, NULL, 'N'},
	    {"runtime", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	const char *out = NULL, *runtime = NULL, *only[64];
	size_t nonly = 0, i, written = 0;
	struct otc_compiled x;
	void *rt = NULL;
	size_t rtlen = 0;
	int opt, rc;

	while ((opt = otc_getopt(c, argc, argv, "o:N:", longopts)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'N':
			if (nonly == sizeof(only) / sizeof(only[0])) {
				otc_error("build: at most 64 --node options");
				return OTC_EXIT_USAGE;
			}
			only[nonly++] = optarg;
			break;
		case 'r':
			runtime = optarg;
			break;
		case 'h':
			fputs(build_usage, stdout);
			return OTC_EXIT_OK;
		default:
			fputs(build_usage, stderr);
			return OTC_EXIT_USAGE;
		}
	}
	if (argc - optind != 2 || !out) {
		otc_error("build: expected FILE HOSTS -o DIR");
		fputs(build_usage, stderr);
		return OTC_EXIT_USAGE;
	}
	if (runtime) {
		if ((rc = read_file(runtime, &rt, &rtlen)))
			return rc;
	} else {
		const void *builtin = ot_embed_runtime(&rtlen);

		if (!builtin || !rtlen) {
			otc_error("build: this otc carries no otnode runtime (use --runtime FILE)");
			return OTC_EXIT_SYSTEM;
		}
		rt = (void *)builtin;
	}
	if ((rc = otc_compile_files(c, argv[optind], argv[optind + 1], true, &x)))
		goto out_rt;
	for (i = 0; i < nonly; i++)
		if (!ot_compiled_plan(x.out, only[i])) {
			otc_error("build: no node '%s' in topology '%s'", only[i], x.model->name);
			rc = OTC_EXIT_USAGE;
			goto out;
		}
	if ((rc = mkdir_one(out)))
		goto out;
	for (i = 0; i < x.out->nplans && !rc; i++) {
		const struct ot_plan *p = x.out->plans[i];
		struct ot_error err = {0};
		char dir[PATH_MAX], *json;
		void *img = NULL;
		size_t len = 0;

		if (!wanted(p->node, only, nonly))
			continue;
		if (!ot_plan_bound(p)) {
			otc_error("build: node %s: the plan is not bound (check HOSTS)", p->node);
			rc = OTC_EXIT_TOPOLOGY;
			break;
		}
		json = ot_plan_dump(p, 0);
		if (!json) {
			otc_error("out of memory");
			rc = OTC_EXIT_SYSTEM;
			break;
		}
		if (ot_embed_build(rt, rtlen, json, strlen(json), &img, &len, &err) < 0) {
			otc_error("build: node %s: %s", p->node, err.msg);
			free(json);
			rc = OTC_EXIT_SYSTEM;
			break;
		}
		if (snprintf(dir, sizeof(dir), "%s/%s", out, p->node) >= (int)sizeof(dir)) {
			otc_error("path too long: '%s'", out);
			rc = OTC_EXIT_SYSTEM;
		} else {
			rc = mkdir_one(dir);
		}
		if (!rc)
			rc = write_exe(dir, img, len);
		if (!rc) {
			printf("%s/otnode  %zu bytes (plan %zu bytes, %zu operations)\n", dir, len,
			       strlen(json), p->nops);
			written++;
		}
		free(json);
		free(img);
	}
	if (!rc)
		fprintf(stderr, "otc: built %zu otnode executable%s in %s\n", written,
			written == 1 ? "" : "s", out);
out:
	otc_compiled_free(&x);
out_rt:
	if (runtime)
		free(rt);
	return rc;
}
