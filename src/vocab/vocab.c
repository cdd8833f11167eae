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
