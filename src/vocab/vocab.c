/*
 * vocab.c - the tables of the shared vocabulary (contract in vocab.h).
 */
#include "vocab/vocab.h"

#include <sched.h>
#include <string.h>

const struct ot_isolate_kind ot_isolate_kinds[OT_ISOLATE_NKINDS] = {
    {OT_ISO_NET, "net", "net", CLONE_NEWNET, false},
    {OT_ISO_UTS, "uts", "uts", CLONE_NEWUTS, true},
    {OT_ISO_IPC, "ipc", "ipc", CLONE_NEWIPC, true},
    {OT_ISO_PID, "pid", "pid", CLONE_NEWPID, false},
    {OT_ISO_MNT, "mount", "mnt", CLONE_NEWNS, true},
    {OT_ISO_CGROUP, "cgroup", "cgroup", CLONE_NEWCGROUP, false},
};

const struct ot_isolate_kind *ot_isolate_kind_by_name(const char *name, size_t len)
{
	size_t k;

	for (k = 0; k < OT_ISOLATE_NKINDS; k++)
		if (strlen(ot_isolate_kinds[k].name) == len &&
		    memcmp(ot_isolate_kinds[k].name, name, len) == 0)
			return &ot_isolate_kinds[k];
	return NULL;
}

const char *ot_isolate_name(enum ot_isolate bit)
{
	size_t k;

	for (k = 0; k < OT_ISOLATE_NKINDS; k++)
		if (ot_isolate_kinds[k].bit == bit)
			return ot_isolate_kinds[k].name;
	return "?";
}

bool ot_abspath_valid(const char *s)
{
	const char *c, *seg;

	if (!s || s[0] != '/' || strlen(s) > OT_PATH_MAX)
		return false;
	if (!s[1])
		return true;
	for (c = s + 1;;) {
		seg = c;
		while (*c && *c != '/') {
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				return false;
			c++;
		}
		if (c == seg || (c - seg == 1 && seg[0] == '.') ||
		    (c - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		if (!*c)
			return true;
		c++;
	}
}

bool ot_path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}
