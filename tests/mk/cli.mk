# tests/mk/cli.mk - the three programs as one command-line family
# (docs/cli.md): one version, "did you mean", conflicting actions refused,
# every JSON output with its schema key, otc check --json, otdeploy
# --dry-run --json, docs/cli.md naming every option. Needs no root.
check-cli: $(OTC) $(OTDEPLOY) $(OTNODE)
	@$(call run_suite,check-cli,300) tests/cli/run $(BUILD)
CHECK_TARGETS += check-cli
CHECK_OFFLINE_TARGETS += check-cli
.PHONY: check-cli

# The shared conventions from inside (durations, actions, getopt messages).
UNIT_TESTS += tests/unit/test_cliopt.c
# (its own link line: cliopt.o must come before the archives it uses)
$(BUILD)/tests/unit/test_cliopt: $(BUILD)/obj/tests/unit/test_cliopt.o $(call obj,$(CLIOPT_SRCS)) \
		$(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_JANSSON) -lcriterion
