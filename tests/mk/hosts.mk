# tests/mk/hosts.mk - the example hosts files (hosts/*.hosts): the otc
# commands of their headers pass, their ssh_config blocks resolve (no root,
# no network).
check-hosts-examples: $(OTC)
	tests/hosts/check-examples $(BUILD)
CHECK_TARGETS += check-hosts-examples
.PHONY: check-hosts-examples
