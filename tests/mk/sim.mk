# Simulated-cluster tooling: hosts/simcluster (netns hosts with real sshd)
# and tests/slurm/cluster (a real Slurm cluster on them). Root, real kernel.
# A test that cannot run exits 77 with the reason; that fails the target
# (a skip is not a pass) unless OT_ALLOW_SKIP allows it (tests/lib/run-suite).
SIM_TESTS := tests/sim/test-simcluster.sh tests/sim/test-slurm-cluster.sh

CHECK_TARGETS += check-sim

check-sim:
	@set -e; for t in $(SIM_TESTS); do \
		echo "== $$t"; OTC=$(BUILD)/otc $(call run_suite,check-sim,900) $$t; \
	done
