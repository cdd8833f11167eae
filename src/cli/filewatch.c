/*
 * filewatch.c - see filewatch.h.
 */
#include "cli/filewatch.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

/* written in place (closed after writing) or renamed into place; a bare
 * creation is not a save: its bytes come with the close that follows */
#define EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO)

int ot_filewatch_open(struct ot_filewatch *w, const char *const *paths, size_t n,
		      struct ot_error *err)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (n > OT_FILEWATCH_MAX)
		return ot_error_set(err, -EINVAL, "too many files to watch");
	w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->fd < 0)
		return ot_error_sys(err, -errno, "inotify");
	for (i = 0; i < n; i++) {
		const char *slash = strrchr(paths[i], '/');
		char dir[PATH_MAX];

		if (slash)
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - paths[i] + 1), paths[i]);
		else
			snprintf(dir, sizeof(dir), ".");
		snprintf(w->name[i], sizeof(w->name[i]), "%s", slash ? slash + 1 : paths[i]);
		/* the same directory twice gives the same descriptor */
		w->wd[i] = inotify_add_watch(w->fd, dir, EVENTS | IN_ONLYDIR);
		if (w->wd[i] < 0) {
			int e = -errno;

			ot_filewatch_close(w);
			return ot_error_sys(err, e, "watch '%s'", dir);
		}
	}
	w->n = n;
	return 0;
}

/* Read what is queued: 1 when an event names one of ours, 0 when none
 * does, -EAGAIN when nothing is queued, -errno. */
static int drain(struct ot_filewatch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int hit = 0;
	ssize_t len;
	char *p;
	size_t i;

	len = read(w->fd, buf, sizeof(buf));
	if (len < 0)
		return -errno;
	for (p = buf; p < buf + len;
	     p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len) {
		const struct inotify_event *ev = (const struct inotify_event *)p;

		for (i = 0; i < w->n && ev->len; i++)
			if (ev->wd == w->wd[i] && !strcmp(ev->name, w->name[i]))
				hit = 1;
	}
	return hit;
}

int ot_filewatch_wait(struct ot_filewatch *w, const sigset_t *mask, struct ot_error *err)
{
	struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
	int rc;

	for (;;) {
		rc = ppoll(&pfd, 1, NULL, mask);
		if (rc < 0 && errno == EINTR)
			return 0;
		if (rc < 0)
			return ot_error_sys(err, -errno, "poll");
		rc = drain(w);
		if (rc == -EAGAIN || rc == 0)
			continue;
		if (rc < 0)
			return ot_error_sys(err, rc, "read inotify");
		/* what else is queued belongs to the same save */
		while (drain(w) >= 0)
			;
		return 1;
	}
}

void ot_filewatch_close(struct ot_filewatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->n = 0;
}
