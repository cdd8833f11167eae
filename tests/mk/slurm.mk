# tests/mk/slurm.mk - the Slurm plugin: unit tests of its pure parts and
# system helpers (sanitized, in check-unit), and the end-to-end suites
# against a real Slurm cluster on simulated hosts (tests/slurm/).
UNIT_TESTS += tests/unit/test_spank_config.c tests/unit/test_spank_step.c tests/unit/test_spank_shape.c \
	      tests/unit/test_spank_sys.c tests/unit/test_spank_bounds.c
# The bounds test runs otc too (the same cases through both front ends).
$(BUILD)/tests/unit/test_spank_bounds: | $(OTC)

$(BUILD)/obj/tests/unit/test_spank_%.o: EXTRA_CFLAGS_tests_unit_ += -I.

# The plugin's pure parts are not in an archive of their own: link them in.
$(BUILD)/tests/unit/test_spank_%: $(BUILD)/obj/tests/unit/test_spank_%.o $(SPANK_CORE_OBJS) \
		$(LIBOTDEPLOY) $(LIBOTEXEC) $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_SSH) $(LIBS_EXEC) $(LIBS_JANSSON) -lcriterion -lpthread

# The MPI test program, built against both MPI stacks (never sanitized:
# the MPI libraries are not).
SLURM_MPI_BINS := $(BUILD)/tests/slurm/mpi_pingpong.ompi $(BUILD)/tests/slurm/mpi_pingpong.mpich
TEST_PROGRAMS += $(SLURM_MPI_BINS)

$(BUILD)/tests/slurm/mpi_pingpong.ompi: tests/slurm/mpi_pingpong.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MPICC   $@")
	$(Q)mpicc.openmpi -O2 -Wall -Wextra -o $@ $<

$(BUILD)/tests/slurm/mpi_pingpong.mpich: tests/slurm/mpi_pingpong.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MPICC   $@")
	$(Q)mpicc.mpich -O2 -Wall -Wextra -o $@ $<

# End to end, on a real Slurm cluster (tests/slurm/run). Exit 77 = could not
# run here: that fails the target (a skip is not a pass) unless
# OT_ALLOW_SKIP allows it (tests/lib/run-suite).
check-slurm: $(SPANK_SO) $(SLURM_MPI_BINS)
	@$(call run_suite,check-slurm,2400) tests/slurm/run $(BUILD)
CHECK_TARGETS += check-slurm

# The plugin and MPI across 3 QEMU VMs with their own kernels (Debian 12's
# 6.1, TCG; tests/slurm/run-vm): srun --opentop, Open MPI and MPICH over
# the overlay, two jobs isolated, a cancelled job leaving every guest as it
# booted. About 4-5 minutes on 2 busy cores. Exit 77 as for check-slurm.
check-slurm-vm: $(SPANK_SO) $(SLURM_MPI_BINS)
	@OTV_CACHE=$(VM_CACHE) $(call run_suite,check-slurm-vm,1200) tests/slurm/run-vm $(BUILD)
CHECK_TARGETS += check-slurm-vm

# make bench: launch overhead of --opentop (1/4/16/64 containers per node)
# and the MPI round trip over the overlay, against plain srun, same run.
bench-slurm: $(SPANK_SO) $(SLURM_MPI_BINS)
	bench/slurm $(BUILD)
BENCH_TARGETS += bench-slurm
