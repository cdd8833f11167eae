# tests/mk/compile.mk - the compiler back end and otc: unit tests, golden
# tests (every example topology included), the bad-input corpus.
UNIT_TESTS += tests/unit/test_compile.c tests/unit/test_compile_fdb.c tests/unit/test_compile_fw.c tests/unit/test_compile_stream.c tests/unit/test_plan_text.c tests/unit/test_plan_text_json.c tests/unit/test_graph.c

# The streamed JSON writer's reference: a jansson tree writer, test code only.
$(BUILD)/tests/unit/test_plan_text_json: $(call obj,tests/unit/plan_json_oracle.c)

# Golden plans and diagnostics of tests/golden/*.otp and topologies/*.otp,
# plus check/plan/graph (dot)/emit-sh (sh -n) of every example topology.
# tests/golden/sizes: every topology using the allocation's shape at several
# shapes up to 1,000 nodes x 128 tasks.
check-golden: $(OTC)
	@$(call run_suite,check-golden,600) tests/golden/run $(OTC)
	@$(call run_suite,check-golden-sizes,600) tests/golden/sizes $(OTC)

# The bad-input corpus (tests/bad/**/*.otp, *.hosts): exact errors, exit 1,
# no sanitizer report, 10 s per file.
check-bad: $(OTC)
	@$(call run_suite,check-bad,600) tests/bad/run $(OTC)

# Regenerate the golden files on purpose (never part of `make check`);
# review the result with `git diff tests/golden`.
golden-update: $(OTC)
	tests/golden/run --update $(OTC)

CHECK_TARGETS += check-golden check-bad
CHECK_OFFLINE_TARGETS += check-golden check-bad
.PHONY: check-golden check-bad golden-update

# emit-sh against the real kernel (root): every example topology built by
# its generated scripts in simulated hosts, probes checked with ping, zero
# leftovers after the destroy scripts. A skip (no root, a missing tool:
# said why) fails unless OT_ALLOW_SKIP allows it.
check-emit-sh: $(OTC)
	@$(call run_suite,check-emit-sh,900) tests/golden/kernel-sh $(OTC)
CHECK_TARGETS += check-emit-sh
.PHONY: check-emit-sh

# The reachability oracle (src/reach) on small compiled topologies.
UNIT_TESTS += tests/unit/test_reach.c
