# tests: Criterion unit tests (tests/unit), golden and bad-input corpora,
# kernel, deploy, Slurm and QEMU suites. Each unit test file is its own
# program: build/tests/unit/<name>.
CRITERION_LIBS := -lcriterion

UNIT_TESTS := tests/unit/test_addr.c tests/unit/test_plan_json.c tests/unit/test_diag.c
UNIT_TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_TESTS))
TEST_PROGRAMS += $(UNIT_TEST_BINS)

# Every unit test links the whole library set it may need; the linker keeps
# only what is used.
UNIT_LIBOBJS = $(LANG_OBJS) $(PLAN_OBJS) $(UTIL_OBJS)
UNIT_LIBS = $(shell pkg-config --libs jansson)

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_LIBOBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(UNIT_LIBS) $(CRITERION_LIBS)

tests: $(TEST_PROGRAMS)

check-unit: $(UNIT_TEST_BINS)
	@set -e; for t in $(UNIT_TEST_BINS); do echo "== $$t"; $$t --jobs=2 --short-filename; done
