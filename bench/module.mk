# bench/module.mk - `make bench`: every performance target as a ratio to a baseline measured in the same run.
# Compiler scale (bench/compile_bench.c): 1,000 nodes x 100 containers
# loaded, compiled and serialised; time, peak RSS, ratios to reading the input.
COMPILE_BENCH := $(BUILD)/bench/compile_bench
BENCH_PROGRAMS += $(COMPILE_BENCH)
$(COMPILE_BENCH): $(call obj,bench/compile_bench.c) $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_JANSSON)
bench-compile: $(COMPILE_BENCH)
	$(COMPILE_BENCH)
BENCH_TARGETS += bench-compile
.PHONY: bench-compile
# Executor (executor helper): create/destroy of N containers against
# `ip` per step and `ip -batch` (bench/exec-setup), and the dataplane over
# VXLAN against the raw underlay (bench/exec-dataplane); ratios, same run.
EXEC_GONE := $(BUILD)/bench/exec_gone
BENCH_PROGRAMS += $(EXEC_GONE)
$(EXEC_GONE): $(call obj,bench/exec_gone.c) $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_EXEC)
bench-exec-setup: $(OTC) $(OTNODE_RT) $(EXEC_GONE)
	bench/exec-setup $(BUILD) 10 100 1000
bench-exec-dataplane: $(OTC) $(OTNODE_RT)
	bench/exec-dataplane $(BUILD)
BENCH_TARGETS += bench-exec-setup bench-exec-dataplane
.PHONY: bench-exec-setup bench-exec-dataplane
# otdeploy --apply (one container added to NxC) against destroy + create of
# the same topology, same run, on simulated hosts; a ping between untouched
# containers through each apply (bench/deploy-apply). SIZES="4x16 16x64".
bench-deploy-apply: $(OTDEPLOY) $(OTC)
	bench/deploy-apply $(BUILD)
BENCH_TARGETS += bench-deploy-apply
.PHONY: bench-deploy-apply
