# Front end tests (src/lang, src/model): lexer, parser, expansion and
# semantic checks, hosts file; the parser fuzzer (FUZZ_TARGETS) and its
# replay over the seed corpus under the sanitizers (CHECK_TARGETS).
UNIT_TESTS += tests/unit/test_lex.c tests/unit/test_lex_names.c tests/unit/test_parse.c tests/unit/test_model.c tests/unit/test_hosts.c

# --- the parser fuzzer -------------------------------------------------
# make fuzz-parser [FUZZ_TIME=60]: both libFuzzer targets (topology loader,
# hosts file) for FUZZ_TIME seconds each, with ASan+UBSan, seeded from every
# .otp and hosts file in the tree. New inputs go to $(FUZZ_DIR)/corpus-*;
# a crash leaves crash-* there: copy it to tests/fuzz/corpus/ once fixed.
# The front end is compiled from source here (coverage instrumentation),
# with lower loop/container limits so one input cannot take seconds.
FUZZ_TIME ?= 60
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_CC ?= clang
FUZZ_LANG_SRCS := $(UTIL_SRCS) $(VOCAB_SRCS) $(LANG_SRCS) $(MODEL_SRCS)
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -DOT_MAX_LOOP_ITERATIONS=200000 -DOT_MAX_CONTAINERS=20000
FUZZ_SEEDS := topologies tests/bad tests/golden tests/fuzz/corpus
FUZZ_TARGETS += fuzz-parser

$(FUZZ_DIR)/fuzz_parser: tests/fuzz/fuzz_parser.c $(FUZZ_LANG_SRCS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^
$(FUZZ_DIR)/fuzz_hosts: tests/fuzz/fuzz_parser.c $(FUZZ_LANG_SRCS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -DFUZZ_HOSTS -o $@ $^

fuzz-parser: $(FUZZ_DIR)/fuzz_parser $(FUZZ_DIR)/fuzz_hosts
	@mkdir -p $(FUZZ_DIR)/corpus-parser $(FUZZ_DIR)/corpus-hosts
	cd $(FUZZ_DIR) && ./fuzz_parser -max_total_time=$(FUZZ_TIME) -timeout=10 \
		-rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 corpus-parser \
		$(addprefix $(CURDIR)/,$(FUZZ_SEEDS))
	cd $(FUZZ_DIR) && ./fuzz_hosts -max_total_time=$(FUZZ_TIME) -timeout=10 \
		-rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 corpus-hosts \
		$(addprefix $(CURDIR)/,$(FUZZ_SEEDS))

# --- the plan JSON reader fuzzer ----------------------------------------
# make fuzz-plan-json [FUZZ_TIME=60]: ot_plan_load / ot_plan_from_json and a
# write-read-write round trip on every plan accepted, seeded from the golden
# plans (cluster documents) and the executor's hand-written plans.
FUZZ_PLAN_SRCS := $(UTIL_SRCS) $(VOCAB_SRCS) $(PLAN_SRCS)
FUZZ_PLAN_SEEDS := tests/golden tests/kernel/plans tests/fuzz/corpus-plan
FUZZ_TARGETS += fuzz-plan-json

$(FUZZ_DIR)/fuzz_plan_json: tests/fuzz/fuzz_plan_json.c $(FUZZ_PLAN_SRCS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $^ -ljansson

fuzz-plan-json: $(FUZZ_DIR)/fuzz_plan_json
	@mkdir -p $(FUZZ_DIR)/corpus-plan
	cd $(FUZZ_DIR) && ./fuzz_plan_json -max_total_time=$(FUZZ_TIME) -timeout=10 \
		-max_len=65536 corpus-plan $(addprefix $(CURDIR)/,$(FUZZ_PLAN_SEEDS))
.PHONY: fuzz-plan-json

# --- replay of the corpus, in make check (no libFuzzer needed) ------------
FUZZ_REPLAY := $(BUILD)/tests/fuzz/fuzz_parser_replay $(BUILD)/tests/fuzz/fuzz_hosts_replay \
	$(BUILD)/tests/fuzz/fuzz_plan_json_replay
TEST_PROGRAMS += $(FUZZ_REPLAY)
CHECK_TARGETS += check-fuzz-replay
CHECK_OFFLINE_TARGETS += check-fuzz-replay

$(BUILD)/tests/fuzz/fuzz_parser_replay: tests/fuzz/fuzz_parser.c tests/fuzz/replay.c $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^
$(BUILD)/tests/fuzz/fuzz_hosts_replay: tests/fuzz/fuzz_parser.c tests/fuzz/replay.c $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) -DFUZZ_HOSTS $(LDFLAGS_ALL) -o $@ $^
$(BUILD)/tests/fuzz/fuzz_plan_json_replay: tests/fuzz/fuzz_plan_json.c tests/fuzz/replay.c $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_JANSSON)

# Every seed and every saved crash through every target, under the
# sanitizers of the build (make check: ASan+UBSan): no report, no crash.
check-fuzz-replay: $(FUZZ_REPLAY)
	@$(call run_suite,check-fuzz-replay,600) tests/fuzz/run-replay \
		"$(FUZZ_SEEDS) $(FUZZ_PLAN_SEEDS)" $(FUZZ_REPLAY)
