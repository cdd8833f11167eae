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
 *   - linked with replay.c: a plain program that runs every file named on
 *     the command line (directories: every file below them) through the
 *     same target, so a crash found by the fuzzer replays under any
 *     compiler, and `make check` replays the whole corpus with the
 *     sanitizers.
 * Includes are refused (ot_load_opts.no_includes): a fuzzer must not open
 * files named by its input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/load.h"
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
