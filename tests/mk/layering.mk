# The layers of docs/layers.md: every #include of src/ and spank/ points
# down (tests/lib/check-layering; no build, no root).
check-layering:
	@$(call run_suite,check-layering,120) tests/lib/check-layering .
CHECK_TARGETS += check-layering
CHECK_OFFLINE_TARGETS += check-layering
.PHONY: check-layering
