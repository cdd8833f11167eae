/*
 * replay.c - main() for a libFuzzer target built without libFuzzer: every
 * file named on the command line (a directory: every file below it, in
 * name order, dot files skipped) goes once through LLVMFuzzerTestOneInput.
 * `make check` replays the seed corpora this way under ASan/UBSan, so an
 * input that once crashed a target keeps being tried by every compiler.
 * Exit status 1 when a path cannot be read; a crash is the target's own.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Larger than any input a target accepts (sources: 16 MiB), so the target's
 * own size limit is what gets exercised. */
#define REPLAY_MAX_BYTES ((size_t)17 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rbe");
	uint8_t *buf;
	size_t len;

	if (!f) {
		perror(path);
		return 1;
	}
	buf = malloc(REPLAY_MAX_BYTES);
	if (!buf) {
		fclose(f);
		return 1;
	}
	len = fread(buf, 1, REPLAY_MAX_BYTES, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int run_path(const char *path, size_t *n)
{
	struct dirent **ents;
	struct stat st;
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
