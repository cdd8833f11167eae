# tests/mk/hosts.mk - the example hosts files (hosts/*.hosts): the otc
# commands of their headers pass, their ssh_config blocks resolve (no root,
# no network).
check-hosts-examples: $(OTC)
	@$(call run_suite,check-hosts-examples,300) tests/hosts/check-examples $(BUILD)
CHECK_TARGETS += check-hosts-examples
CHECK_OFFLINE_TARGETS += check-hosts-examples
.PHONY: check-hosts-examples
