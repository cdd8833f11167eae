# tests/mk/slurm.mk - the Slurm plugin: unit tests of its pure parts and
# system helpers (sanitized, in check-unit), and the end-to-end suites
# against a real Slurm cluster on simulated hosts (tests/slurm/).
UNIT_TESTS += tests/unit/test_spank_config.c tests/unit/test_spank_step.c \
	      tests/unit/test_spank_sys.c

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
