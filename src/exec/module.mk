# src/exec: the node executor (netlink, nftables, journal, namespaces,
# cgroups, sysctls, status, verify). One library for otnode, otdeploy's local
# mode and the SPANK plugin.
EXEC_SRCS := src/exec/nl.c src/exec/nl_msg.c src/exec/journal.c src/exec/nft.c src/exec/ctx.c src/exec/ns.c src/exec/cgroup.c src/exec/create.c src/exec/apply.c src/exec/undo.c src/exec/status.c src/exec/verify.c src/exec/enter.c
# otnode list: the journals of this machine
EXEC_SRCS += src/exec/list.c
# storage: mounts inside a container's mount namespace
EXEC_SRCS += src/exec/mount.c
EXEC_OBJS := $(call obj,$(EXEC_SRCS))
LIBOTEXEC_OBJS += $(EXEC_OBJS)
# otnode preflight (otdeploy stage 2), owned by the deploy helper.
LIBOTEXEC_OBJS += $(call obj,src/exec/preflight.c)
# live probes by traffic class (verify, tests/differential).
LIBOTEXEC_OBJS += $(call obj,src/exec/classprobe.c src/exec/verify_classes.c)
# what a process entering a container gives up (capabilities, no_new_privs).
LIBOTEXEC_OBJS += $(call obj,src/exec/caps.c)
