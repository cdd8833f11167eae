# tests/mk/pkg.mk - the Debian packages (make deb) built, inspected,
# installed into a clean debootstrap root and the demo run from them
# (tests/pkg/run-deb). The packages are built from their own unsanitized
# build (build-deb/: what a site would install), whatever BUILD says.
DEB_BUILD ?= build-deb
check-deb:
	+$(MAKE) --no-print-directory BUILD=$(DEB_BUILD) SAN= deb
	@$(call run_suite,check-deb,1200) tests/pkg/run-deb $(DEB_BUILD)
CHECK_TARGETS += check-deb
.PHONY: check-deb
