/*
 * cliopt.c - the command-line conventions otc, otdeploy and otnode share
 * (contract in cliopt.h, the option table in docs/cli.md): the version
 * line, unknown commands and options with "did you mean", conflicting
 * actions, durations with units, and JSON documents with a schema key.
 * getopt_long() is used with opterr = 0 so that every message is worded
 * here, once, instead of glibc's "unrecognized option" plus ours.
 */
#include "cli/cliopt.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "util/strbuf.h"
#include "util/suggest.h"
#include "util/version.h"

void ot_cli_version(const char *prog)
{
	printf("%s (OpenTop) %s, plan schema %s\n", prog, OT_VERSION, OT_PLAN_SCHEMA);
}

/* " (did you mean 'X'?)" or "" into buf. */
static const char *did_you_mean(char *buf, size_t size, const char *prefix, const char *best)
{
	if (!best)
		return "";
	snprintf(buf, size, " (did you mean '%s%s'?)", prefix, best);
	return buf;
}

void ot_cli_unknown_command(const char *prog, const char *word, const char *const *names, size_t n,
			    const char *tail)
{
	struct ot_suggest sg;
	char hint[128];
	size_t i;

	ot_suggest_init(&sg, word);
	for (i = 0; i < n; i++)
		ot_suggest_add(&sg, names[i]);
	fprintf(stderr, "%s: unknown command '%s'%s%s\n", prog, word,
		did_you_mean(hint, sizeof(hint), "", ot_suggest_best(&sg)), tail ? tail : "");
}

/* The long option named exactly name[0..len), or NULL. */
static const struct option *long_find(const struct option *lo, const char *name, size_t len)
{
	for (; lo && lo->name; lo++)
		if (strlen(lo->name) == len && strncmp(lo->name, name, len) == 0)
			return lo;
	return NULL;
}

/* An unknown or ambiguous --NAME[=VALUE] (e is the word as written). */
static void long_error(const char *prog, const char *e, const struct option *longopts)
{
	const char *name = e + 2;
	size_t len = strcspn(name, "="), nmatch = 0;
	const struct option *lo, *exact = long_find(longopts, name, len);
	struct ot_strbuf sb = OT_STRBUF_INIT;
	struct ot_suggest sg;
	char word[64], hint[128];

	if (exact) { /* known: it was given a value it does not take */
		fprintf(stderr, "%s: option '--%s' takes no value ('%s')\n", prog, exact->name, e);
		return;
	}
	for (lo = longopts; lo && lo->name; lo++)
		if (len && strncmp(lo->name, name, len) == 0)
			ot_sb_printf(&sb, "%s--%s", nmatch++ ? ", " : "", lo->name);
	if (nmatch > 1) {
		fprintf(stderr, "%s: option '%.*s' is ambiguous: %s\n", prog, (int)(len + 2), e,
			sb.oom ? "several options" : ot_sb_str(&sb));
		ot_sb_free(&sb);
		return;
	}
	ot_sb_free(&sb);
	snprintf(word, sizeof(word), "%.*s", (int)(len < sizeof(word) ? len : 0), name);
	ot_suggest_init(&sg, word);
	for (lo = longopts; lo && lo->name; lo++)
		ot_suggest_add(&sg, lo->name);
	fprintf(stderr, "%s: unknown option '--%.*s'%s\n", prog, (int)len, name,
		did_you_mean(hint, sizeof(hint), "--", ot_suggest_best(&sg)));
}

void ot_cli_getopt_error(const char *prog, int ret, char **argv, const struct option *longopts)
{
	const char *e = optind > 0 ? argv[optind - 1] : "";
	const char *cluster = e;
	char hint[128];

	if (ret == ':') {
		fprintf(stderr, "%s: option '%s' needs a value\n", prog, e);
		return;
	}
	if (strncmp(e, "--", 2) == 0 && e[2]) {
		long_error(prog, e, longopts);
		return;
	}
	/* A short letter. In the middle of a cluster ("-json"), getopt has
	 * not moved past the word yet: it is argv[optind]. */
	if (argv[optind] && argv[optind][0] == '-' && argv[optind][1] != '-' &&
	    strchr(argv[optind] + 1, optopt))
		cluster = argv[optind];
	hint[0] = '\0';
	if (cluster[0] == '-' && cluster[1] && cluster[1] != '-' && cluster[2] &&
	    long_find(longopts, cluster + 1, strlen(cluster + 1)))
		snprintf(hint, sizeof(hint), " (did you mean '-%s'?)", cluster);
	if (optopt > 0 && optopt < 0x80)
		fprintf(stderr, "%s: unknown option '-%c'%s\n", prog, optopt, hint);
	else
		fprintf(stderr, "%s: unknown option '%s'%s\n", prog, e, hint);
}

int ot_cli_single_dash(const char *prog, int argc, char **argv, const struct option *longopts)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *w = argv[i];

		if (w[0] == '-' && w[1] && w[1] != '-' && w[2] &&
		    long_find(longopts, w + 1, strcspn(w + 1, "="))) {
			fprintf(stderr, "%s: unknown option '%s' (did you mean '-%s'?)\n", prog, w,
				w);
			return -EINVAL;
		}
	}
	return 0;
}

int ot_cli_conflict(const char *prog, const char *a, const char *b, const char *why)
{
	fprintf(stderr, "%s: %s and %s %s; give one\n", prog, a, b,
		why ? why : "cannot be used together");
	return -EINVAL;
}

int ot_cli_action(const char *prog, const char **cur, const char *name)
{
	if (*cur && strcmp(*cur, name) != 0)
		return ot_cli_conflict(prog, *cur, name, "are two actions");
	*cur = name;
	return 0;
}

int ot_cli_duration_ms(const char *s, unsigned unit_ms, unsigned min_ms, unsigned max_ms,
		       unsigned *ret_ms)
{
	static const struct {
		const char *suffix;
		unsigned ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	unsigned long long v, mul = unit_ms;
	char *end;
	size_t i;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end) {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(end, units[i].suffix) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		mul = units[i].ms;
	}
	if (v > max_ms || v * mul > max_ms || v * mul < min_ms)
		return -EINVAL;
	*ret_ms = (unsigned)(v * mul);
	return 0;
}

int ot_cli_json_print(const char *prog, struct json_t *doc, const char *schema, size_t flags)
{
	char *s = NULL;

	if (doc && (!schema || json_object_set_new(doc, "schema", json_string(schema)) == 0))
		s = json_dumps(doc, flags);
	json_decref(doc);
	if (!s) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return OT_CLI_EXIT_SYSTEM;
	}
	if (puts(s) == EOF || fflush(stdout) != 0) {
		fprintf(stderr, "%s: writing the output: %s\n", prog, strerror(errno));
		free(s);
		return OT_CLI_EXIT_SYSTEM;
	}
	free(s);
	return OT_CLI_EXIT_OK;
}
