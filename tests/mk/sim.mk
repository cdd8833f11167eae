# Simulated-cluster tooling: hosts/simcluster (netns hosts with real sshd)
# and tests/slurm/cluster (a real Slurm cluster on them). Root, real kernel.
# A test that cannot run exits 77 with the reason; that fails the target
# (a skip is not a pass) unless OPENTOP_ALLOW_SKIP=1.
SIM_TESTS := tests/sim/test-simcluster.sh tests/sim/test-slurm-cluster.sh

CHECK_TARGETS += check-sim

check-sim:
	@set -e; for t in $(SIM_TESTS); do \
		echo "== $$t"; rc=0; OTC=$(BUILD)/otc $$t || rc=$$?; \
		if [ $$rc = 77 ]; then echo "== $$t: SKIPPED (not a pass)"; \
			[ "$${OPENTOP_ALLOW_SKIP:-0}" = 1 ] || exit 1; \
		elif [ $$rc != 0 ]; then exit $$rc; fi; \
	done
