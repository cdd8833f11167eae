# tests/mk/exec.mk - the executor, otnode, the static runtime: unit tests
# (no root: message builders, nftables batches, journal, embed format, the
# libmnl-compatible module byte for byte) and the kernel suites (root, real
# kernel, simulated hosts: tests/kernel/).
UNIT_TESTS += tests/unit/test_nl_msg.c tests/unit/test_nft.c tests/unit/test_journal.c \
	tests/unit/test_preflight_sample.c \
	tests/unit/test_embed.c tests/unit/test_qdisc.c

# The libmnl-compatible module next to the real libmnl: its objects are
# built with every symbol renamed (src/mnl/mnl_rename.h) and linked into
# test_mnl_compat with a shim that sees them under their libmnl names.
UNIT_TESTS += tests/unit/test_mnl_compat.c
MNL_RENAMED_OBJS := $(patsubst src/mnl/%.c,$(BUILD)/obj/tests/mnl-renamed/%.o,$(MNL_SRCS))
$(BUILD)/obj/tests/mnl-renamed/%.o: src/mnl/%.c src/mnl/mnl_rename.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC [renamed] $<")
	$(Q)$(CC) $(CFLAGS_ALL) -include src/mnl/mnl_rename.h -c -o $@ $<
$(BUILD)/obj/tests/unit/mnl_compat_shim.o: tests/unit/mnl_compat_shim.c src/mnl/mnl_rename.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -include src/mnl/mnl_rename.h -c -o $@ $<
$(BUILD)/tests/unit/test_mnl_compat: $(MNL_RENAMED_OBJS) $(BUILD)/obj/tests/unit/mnl_compat_shim.o

# The kernel suites (root, real kernel): every example on simulated hosts,
# fault injection at every step, SIGKILL at every system call, 200
# create/destroy cycles in one process.
# Exit 77 = could not run here: that fails the target (a skip is not a
# pass) unless OT_ALLOW_SKIP allows it (tests/lib/run-suite).
EXEC_KERNEL_BINS := $(BUILD)/tests/kernel/cycles
TEST_PROGRAMS += $(EXEC_KERNEL_BINS)
$(BUILD)/tests/kernel/%: $(BUILD)/obj/tests/kernel/%.o $(LIBOTEXEC) $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_EXEC) $(LIBS_JANSSON)

EXEC_KERNEL_DEPS := $(OTC) $(OTNODE) $(OTNODE_RT) $(EXEC_KERNEL_BINS)
# The leak checker itself, shown failing: tests/lib/hoststate must catch a
# namespace, link, address, route, rule, neighbour, FDB entry, MAC, nft
# table, sysctl, mount, file, cgroup and process left on purpose.
check-hoststate:
	@$(call run_suite,check-hoststate,300) tests/lib/test-hoststate
CHECK_TARGETS += check-hoststate

check-exec-examples: $(EXEC_KERNEL_DEPS)
	@$(call run_suite,check-exec-examples,1200) tests/kernel/run-examples $(BUILD)
check-exec-faults: $(EXEC_KERNEL_DEPS)
	@$(call run_suite,check-exec-faults,1200) tests/kernel/run-faults $(BUILD)
check-exec-cycles: $(EXEC_KERNEL_DEPS)
	@$(call run_suite,check-exec-cycles,900) tests/kernel/run-cycles $(BUILD) 200
# otnode status and verify shown failing: drift made on purpose (a route,
# the firewall's rules, an address, an FDB entry) and a broken path.
check-exec-drift: $(EXEC_KERNEL_DEPS)
	@$(call run_suite,check-exec-drift,600) tests/kernel/run-drift $(BUILD)
# port lists with real traffic: one nft set, 8001 in it reached, 8003 not.
check-exec-ports: $(EXEC_KERNEL_DEPS)
	@$(call run_suite,check-exec-ports,300) tests/kernel/run-ports $(BUILD)
# otnode verify on a network that answers late (echo requests dropped for
# 1.5 s): no false mismatch; a rule deleted or added by hand: exactly that pair.
check-exec-verify-late: $(EXEC_KERNEL_DEPS)
	@$(call run_suite,check-exec-verify-late,300) tests/kernel/run-verify-late $(BUILD)
# IPv6 behind policy in drop: ping works with the compiler's ND accept rule
# and fails without it (the plan edited); the oracle says the same.
check-exec-nd: $(EXEC_KERNEL_DEPS)
	@$(call run_suite,check-exec-nd,300) tests/kernel/run-nd $(BUILD)
# SIGKILL at every system call of otnode create and destroy (strace)
check-exec-kills: $(EXEC_KERNEL_DEPS)
	@$(call run_suite,check-exec-kills,1200) tests/kernel/run-kills $(BUILD)
# otnode apply: a ping between untouched containers through it (no loss), a
# failure and a SIGKILL at every step (rollback; destroy or a second apply
# recovers), bad plans refused with nothing changed.
check-exec-apply: $(EXEC_KERNEL_DEPS)
	@$(call run_suite,check-exec-apply,600) tests/kernel/run-apply $(BUILD)
# capabilities and no_new_privs: /proc/self/status of a process entered
# with otnode exec, and a veth refused without net_admin.
check-exec-caps: $(EXEC_KERNEL_DEPS)
	@$(call run_suite,check-exec-caps,300) tests/kernel/run-caps $(BUILD)
CHECK_TARGETS += check-exec-verify-late check-exec-examples check-exec-faults check-exec-cycles check-exec-drift \
	check-exec-ports check-exec-nd check-exec-kills check-exec-caps check-exec-apply
# storage (root, bind, tmpfs, private /tmp) seen from inside a container
# built on a busybox-static tree; kill/fail at every create step
check-exec-storage: $(EXEC_KERNEL_DEPS)
	@$(call run_suite,check-exec-storage,600) tests/kernel/run-storage $(BUILD)
CHECK_TARGETS += check-exec-storage

# Shaping and io limits with real traffic and reads (tests/kernel/run-shaping):
# iperf3 through `rate 40mbit` within a band, `read_bps 4M` on a loop device,
# a `delay` refused where the kernel has no netem, a missing io device.
check-exec-shaping: $(EXEC_KERNEL_DEPS)
	@$(call run_suite,check-exec-shaping,300) tests/kernel/run-shaping $(BUILD)
CHECK_TARGETS += check-exec-shaping
