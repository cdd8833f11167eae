/*
 * fuzz_parser.c - libFuzzer targets for the front end: the whole topology
 * loader (lexer, parser, expansion, checks) over ot_topology_load_mem(),
 * or, built with -DFUZZ_HOSTS, the hosts file parser. Every input also
 * goes through diagnostics sorting and rendering, which quote the source.
 *
 * Built two ways (tests/mk/lang.mk):
 *   - with clang -fsanitize=fuzzer,address,undefined: `make fuzz-parser`
 *     runs both targets for a bounded time over the seed corpus
 *     (topologies/, tests/bad/, tests/golden/, tests/fuzz/corpus/);
 *   - with -DOT_FUZZ_REPLAY: a plain program whose main() runs every file
 *     named on the command line (directories: every file below them)
 *     through the same target, so a crash found by the fuzzer replays under
 *     any compiler, and `make check` replays the whole corpus with the
 *     sanitizers.
 * Includes are refused (ot_load_opts.no_includes): a fuzzer must not open
 * files named by its input.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lang/load.h"
#include "util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_diags d;

	ot_diags_init(&d);
#ifdef FUZZ_HOSTS
	{
		struct ot_hosts *h = NULL;

		ot_hosts_load_mem("fuzz.hosts", (const char *)data, size, &d, &h);
		if (h)
			ot_hosts_find(h, "n1");
		ot_hosts_free(h);
	}
#else
	{
		static const char *const defines[] = {"N=3"};
		struct ot_load_opts o = {.no_includes = true};
		struct ot_model *m = NULL;

		/* an input starting with '#D' also gets a -D override */
		if (size >= 2 && data[0] == '#' && data[1] == 'D') {
			o.defines = defines;
			o.ndefines = 1;
		}
		ot_topology_load_mem("fuzz.otp", (const char *)data, size, &o, &d, &m);
		if (m && m->ncontainers)
			ot_model_container(m, m->containers[m->ncontainers - 1]->name);
		ot_model_free(m);
	}
#endif
	ot_diags_sort(&d);
	ot_diags_render(&d, &sb, true);
	ot_sb_free(&sb);
	ot_diags_free(&d);
	return 0;
}

#ifdef OT_FUZZ_REPLAY
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t len;

	if (!f) {
		perror(path);
		return 1;
	}
	buf = malloc(OT_MAX_SOURCE_BYTES + 1);
	if (!buf) {
		fclose(f);
		return 1;
	}
	len = fread(buf, 1, OT_MAX_SOURCE_BYTES + 1, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int run_path(const char *path, size_t *n)
{
	struct stat st;
	struct dirent **ents;
	int i, k, r = 0;

	if (stat(path, &st) < 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*n)++;
		return run_file(path);
	}
	k = scandir(path, &ents, NULL, alphasort);
	if (k < 0) {
		perror(path);
		return 1;
	}
	for (i = 0; i < k; i++) {
		if (ents[i]->d_name[0] != '.') {
			char sub[4096];

			snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
			r |= run_path(sub, n);
		}
		free(ents[i]);
	}
	free(ents);
	return r;
}

int main(int argc, char **argv)
{
	size_t n = 0;
	int i, r = 0;

	for (i = 1; i < argc; i++)
		r |= run_path(argv[i], &n);
	fprintf(stderr, "%s: replayed %zu inputs\n", argv[0], n);
	return r;
}
#endif
