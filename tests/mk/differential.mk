# tests/mk/differential.mk - differential testing: random topologies
# (tests/differential/gen) deployed on a simulated cluster, `otc reach`
# compared with live probes of every pair and class (diffprobe).
DIFFPROBE := $(BUILD)/tests/differential/diffprobe
TEST_PROGRAMS += $(DIFFPROBE)

$(DIFFPROBE): $(BUILD)/obj/tests/differential/diffprobe.o $(LIBOTEXEC) $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_EXEC) $(LIBS_JANSSON)

# DIFF_SEEDS=N seeds (default 25) starting at DIFF_SEED0 (default 1),
# plus the kept regression seeds; about 2 minutes for 25.
check-differential: $(OTC) $(OTNODE) $(DIFFPROBE)
	@$(call run_suite,check-differential,900) tests/differential/run $(BUILD)
CHECK_TARGETS += check-differential
.PHONY: check-differential
