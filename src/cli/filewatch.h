/*
 * filewatch.h - wait until one of a few files is written or replaced
 * (otdeploy --watch). inotify on each file's directory, so an editor that
 * saves by renaming a new file over the old one is seen as well as one
 * that writes in place; the caller compares contents to tell a real change.
 */
#ifndef OT_CLI_FILEWATCH_H
#define OT_CLI_FILEWATCH_H

#include <signal.h>
#include <stddef.h>

#include "util/error.h"

#define OT_FILEWATCH_MAX 4

struct ot_filewatch {
	int fd;
	size_t n;
	int wd[OT_FILEWATCH_MAX];
	char name[OT_FILEWATCH_MAX][256]; /* the file's name in its directory */
};

/* Watch paths[0..n) (n <= OT_FILEWATCH_MAX). 0 or -errno with err. */
int ot_filewatch_open(struct ot_filewatch *w, const char *const *paths, size_t n,
		      struct ot_error *err);

/* Block until one of the files was closed after writing or renamed into
 * place: 1. 0 when a signal interrupted the wait; -errno with err. The
 * wait runs with the signal mask mask (ppoll), so a caller that blocks a
 * signal before testing its flag and passes the mask without it misses
 * none. */
int ot_filewatch_wait(struct ot_filewatch *w, const sigset_t *mask, struct ot_error *err);

void ot_filewatch_close(struct ot_filewatch *w);

#endif
