# tests/mk/compile.mk - the compiler back end and otc: unit tests, golden
# tests, the bad-input corpus, and every example topology.
UNIT_TESTS += tests/unit/test_compile.c tests/unit/test_compile_fw.c tests/unit/test_plan_text.c
