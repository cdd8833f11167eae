# tests/mk/deploy.mk - otdeploy: unit tests (no network) and the deploy
# suites against the simulated cluster (real sshd per host) and the VMs.
UNIT_TESTS += tests/unit/test_deploy_remote.c tests/unit/test_deploy_progress.c

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

# Deploy time vs a plain ssh/scp loop, 2/8/16 hosts.
bench-deploy: $(OTDEPLOY) $(OTC)
	bench/deploy $(BUILD)
BENCH_TARGETS += bench-deploy
.PHONY: check-deploy check-deploy-concurrent check-deploy-vm bench-deploy
