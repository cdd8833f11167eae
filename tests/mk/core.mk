# Core unit tests: util (the error contract, addresses, ...), diagnostics, plan JSON.
UNIT_TESTS += tests/unit/test_error.c tests/unit/test_addr.c tests/unit/test_plan_json.c \
	tests/unit/test_plan_schema.c tests/unit/test_plan_diff.c tests/unit/test_hashset.c tests/unit/test_vec.c \
	tests/unit/test_clock.c tests/unit/test_diag.c tests/unit/test_plan_mount.c
