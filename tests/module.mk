# tests: the generic rules; each test area has its own fragment in
# tests/mk/<area>.mk that appends to UNIT_TESTS, TEST_PROGRAMS and
# CHECK_TARGETS (areas: core, lang, compile, exec, deploy, slurm, vm).
#
# A unit test is one Criterion program per file: tests/unit/test_X.c ->
# $(BUILD)/tests/unit/test_X, linked against every OpenTop archive (the
# linker pulls only what the test uses) and the system libraries.
UNIT_TESTS :=

include $(sort $(wildcard tests/mk/*.mk))

UNIT_TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_TESTS))
TEST_PROGRAMS += $(UNIT_TEST_BINS)

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(LIBOTDEPLOY) $(LIBOTEXEC) $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_SSH) $(LIBS_EXEC) $(LIBS_JANSSON) -lcriterion

tests: $(TEST_PROGRAMS)

# Run every unit test program (CHECK_TARGETS starts with this).
# A test that skips (cr_skip_test, with its reason) fails the target unless
# OT_ALLOW_SKIP allows it.
check-unit: $(UNIT_TEST_BINS)
	@$(call run_suite,check-unit,900) tests/lib/run-unit $(UNIT_TEST_BINS)
CHECK_TARGETS := check-unit $(CHECK_TARGETS)
CHECK_OFFLINE_TARGETS := check-unit $(CHECK_OFFLINE_TARGETS)
