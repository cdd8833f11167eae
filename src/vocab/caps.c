/*
 * caps.c - the capability names table (contract in caps.h).
 */
#include "vocab/caps.h"

#include <linux/capability.h>
#include <string.h>
#include <strings.h>

static const char *const names[OT_CAP_COUNT] = {
    [CAP_CHOWN] = "chown",
    [CAP_DAC_OVERRIDE] = "dac_override",
    [CAP_DAC_READ_SEARCH] = "dac_read_search",
    [CAP_FOWNER] = "fowner",
    [CAP_FSETID] = "fsetid",
    [CAP_KILL] = "kill",
    [CAP_SETGID] = "setgid",
    [CAP_SETUID] = "setuid",
    [CAP_SETPCAP] = "setpcap",
    [CAP_LINUX_IMMUTABLE] = "linux_immutable",
    [CAP_NET_BIND_SERVICE] = "net_bind_service",
    [CAP_NET_BROADCAST] = "net_broadcast",
    [CAP_NET_ADMIN] = "net_admin",
    [CAP_NET_RAW] = "net_raw",
    [CAP_IPC_LOCK] = "ipc_lock",
    [CAP_IPC_OWNER] = "ipc_owner",
    [CAP_SYS_MODULE] = "sys_module",
    [CAP_SYS_RAWIO] = "sys_rawio",
    [CAP_SYS_CHROOT] = "sys_chroot",
    [CAP_SYS_PTRACE] = "sys_ptrace",
    [CAP_SYS_PACCT] = "sys_pacct",
    [CAP_SYS_ADMIN] = "sys_admin",
    [CAP_SYS_BOOT] = "sys_boot",
    [CAP_SYS_NICE] = "sys_nice",
    [CAP_SYS_RESOURCE] = "sys_resource",
    [CAP_SYS_TIME] = "sys_time",
    [CAP_SYS_TTY_CONFIG] = "sys_tty_config",
    [CAP_MKNOD] = "mknod",
    [CAP_LEASE] = "lease",
    [CAP_AUDIT_WRITE] = "audit_write",
    [CAP_AUDIT_CONTROL] = "audit_control",
    [CAP_SETFCAP] = "setfcap",
    [CAP_MAC_OVERRIDE] = "mac_override",
    [CAP_MAC_ADMIN] = "mac_admin",
    [CAP_SYSLOG] = "syslog",
    [CAP_WAKE_ALARM] = "wake_alarm",
    [CAP_BLOCK_SUSPEND] = "block_suspend",
    [CAP_AUDIT_READ] = "audit_read",
    [38 /* CAP_PERFMON */] = "perfmon",
    [39 /* CAP_BPF */] = "bpf",
    [40 /* CAP_CHECKPOINT_RESTORE */] = "checkpoint_restore",
};

_Static_assert(CAP_AUDIT_READ + 4 == OT_CAP_COUNT, "the table ends at checkpoint_restore (40)");

const char *ot_cap_name(unsigned n)
{
	return n < OT_CAP_COUNT ? names[n] : NULL;
}

int ot_cap_by_name(const char *s, size_t len)
{
	unsigned i;

	if (len > 4 && strncasecmp(s, "cap_", 4) == 0) {
		s += 4;
		len -= 4;
	}
	for (i = 0; i < OT_CAP_COUNT; i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], s, len) == 0)
			return (int)i;
	return -1;
}
