# bench: (empty so far)
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
