# tests/mk/deploy.mk - otdeploy: unit tests (no network) and the deploy
# suites against the simulated cluster (real sshd per host) and the VMs.
UNIT_TESTS += tests/unit/test_deploy_remote.c tests/unit/test_deploy_progress.c \
	tests/unit/test_deploy_image.c

# Integration test programs (Criterion, need a simulated cluster: run by
# the scripts in tests/deploy/, not by check-unit).
DEPLOY_ITEST_BINS := $(BUILD)/tests/deploy/test_ssh
TEST_PROGRAMS += $(DEPLOY_ITEST_BINS)

$(BUILD)/tests/deploy/%: $(BUILD)/obj/tests/deploy/%.o $(LIBOTDEPLOY) $(LIBOTEXEC) $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_SSH) $(LIBS_EXEC) $(LIBS_JANSSON) -lcriterion -lpthread

# The SSH transport and remote directory policy against real sshd.
check-deploy-ssh: $(BUILD)/tests/deploy/test_ssh
	@$(call run_suite,check-deploy-ssh,600) tests/deploy/run-ssh $(BUILD)
CHECK_TARGETS += check-deploy-ssh

# otdeploy end to end against simulated clusters (see the script's header).
check-deploy: $(OTDEPLOY) $(OTC)
	@$(call run_suite,check-deploy,1800) tests/deploy/run-deploy $(BUILD)
CHECK_TARGETS += check-deploy

# otdeploy --apply on a 3-host simulated cluster: a flow across nodes keeps
# every packet through it; a bad topology, a check refused on one node, an
# apply failing on one node (the others reverted) - see the script's header.
check-deploy-apply: $(OTDEPLOY) $(OTC)
	@$(call run_suite,check-deploy-apply,600) tests/deploy/run-apply $(BUILD)
CHECK_TARGETS += check-deploy-apply

# otdeploy --watch on a 3-host simulated cluster: round after round on
# saves of the watched file, one serving otnode per host in its SSH
# session, traffic proving each change (and no packet lost between
# untouched containers), a syntax error and a failed round changing
# nothing, Ctrl-C leaving the topology running - see the script's header.
check-deploy-watch: $(OTDEPLOY) $(OTC)
	@$(call run_suite,check-deploy-watch,300) tests/deploy/run-watch $(BUILD)
CHECK_TARGETS += check-deploy-watch

# Only the two-deployments-at-once case (part of check-deploy too), for a
# quick or repeated look: make check-deploy-concurrent CONCURRENT_REPS=20.
check-deploy-concurrent: $(OTDEPLOY) $(OTC)
	CONCURRENT_REPS=$(or $(CONCURRENT_REPS),5) tests/deploy/run-deploy $(BUILD) concurrent

# otdeploy into 3 QEMU VMs (tests/vagrant/vmcluster, Debian 12's 6.1
# kernel) with topologies/demo.otp and tests/deploy/vm.otp on one cluster:
# create, verify across the VMs (VXLAN; blocked pairs blocked), destroy,
# and each guest equal to its snapshot from before. vm.otp names every
# interface like a device of the requesting namespace (6.1 checks names
# there). About a minute under TCG.
check-deploy-vm: $(OTDEPLOY) $(OTC)
	@VM_CACHE=$(VM_CACHE) $(call run_suite,check-deploy-vm,1800) tests/deploy/run-vm $(BUILD)
CHECK_TARGETS += check-deploy-vm

# Shaping on Debian's kernel (netem and tbf are modules there): otdeploy
# tests/deploy/vm-shaping.otp into 2 QEMU VMs, tc shows the qdiscs, a
# 20 ms delay shows in ping's minimum RTT against an unshaped path of the
# same run (15..40 ms added), io.max on cgroup v2 slows O_DIRECT reads of a
# RAM disk, verify, destroy, each VM as before. About 45 s.
check-deploy-vm-shaping: $(OTDEPLOY) $(OTC)
	@VM_CACHE=$(VM_CACHE) $(call run_suite,check-deploy-vm-shaping,900) tests/deploy/run-vm-shaping $(BUILD)
CHECK_TARGETS += check-deploy-vm-shaping

# Deploy time vs a plain ssh/scp loop and an all-at-once ssh loop (pssh),
# 8/16/32/64 hosts, median of 3 (about 17 minutes here; SIZES, REPS).
bench-deploy: $(OTDEPLOY) $(OTC)
	bench/deploy $(BUILD)
BENCH_TARGETS += bench-deploy
.PHONY: check-deploy check-deploy-watch check-deploy-concurrent check-deploy-vm check-deploy-vm-shaping bench-deploy

# Only the scale case (part of check-deploy too): SCALE_HOSTS simulated
# hosts (default 32) on one VXLAN LAN, preflight refusal naming the one
# host with a firewall and nothing else, then create/destroy, zero diff.
check-deploy-scale: $(OTDEPLOY) $(OTC)
	@SCALE_HOSTS=$(or $(SCALE_HOSTS),32) $(call run_suite,check-deploy-scale,300) tests/deploy/run-deploy $(BUILD) scale
.PHONY: check-deploy-scale
