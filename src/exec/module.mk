# src/exec: the node executor (netlink, nftables, journal, namespaces,
# cgroups, sysctls, status, verify). One library for otnode, otdeploy's local
# mode and the SPANK plugin.
EXEC_SRCS := src/exec/nl.c src/exec/nl_msg.c src/exec/journal.c
EXEC_OBJS := $(call obj,$(EXEC_SRCS))
LIBOTEXEC_OBJS += $(EXEC_OBJS)
