# pkg/install.mk: make install, make uninstall, make deb (included by the
# top-level Makefile after every module.mk, so INSTALL_* are complete).
#
# One list says what is installed where; install, uninstall and the two
# Debian packages (pkg/deb/build) all read it, so they cannot disagree.
# Each entry is SOURCE:DEST:MODE, DEST relative to $(DESTDIR). Two groups:
#   OT_FILES_opentop        otc, otdeploy, otnode, man pages, examples,
#                           bash completion
#   OT_FILES_opentop-slurm  the SPANK plugin, its plugstack snippet, its docs
#
# otnode is installed as the static runtime ($(OTNODE_RT)): the program
# otdeploy ships, with no shared library to depend on. The dynamic
# $(OTNODE) is the test flavour (ASan in build-san/).

BINDIR		?= $(PREFIX)/bin
LIBDIR		?= $(PREFIX)/lib
MANDIR		?= $(PREFIX)/share/man
DOCDIR		?= $(PREFIX)/share/doc
BASHCOMPDIR	?= $(PREFIX)/share/bash-completion/completions
# /etc for PREFIX=/usr (Debian's slurm includes /etc/slurm/plugstack.conf.d/*.conf),
# PREFIX/etc otherwise.
SYSCONFDIR	?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
SPANK_DIR	?= $(LIBDIR)/opentop

OT_EXAMPLES := $(sort $(wildcard topologies/*.otp) $(wildcard hosts/*.hosts))
OT_BIN := $(filter-out $(OTNODE),$(INSTALL_BIN))

OT_FILES_opentop := \
	$(foreach p,$(OT_BIN),$(p):$(BINDIR)/$(notdir $(p)):0755) \
	$(OTNODE_RT):$(BINDIR)/otnode:0755 \
	$(foreach m,$(INSTALL_MAN1),$(m):$(MANDIR)/man1/$(notdir $(m)):0644) \
	$(foreach e,$(OT_EXAMPLES),$(e):$(DOCDIR)/opentop/examples/$(notdir $(e)):0644) \
	$(foreach c,otc otdeploy otnode,pkg/completion/opentop.bash:$(BASHCOMPDIR)/$(c):0644)
OT_FILES_opentop-slurm := \
	$(foreach p,$(INSTALL_LIB),$(p):$(SPANK_DIR)/$(notdir $(p)):0644) \
	$(BUILD)/pkg/opentop.conf:$(SYSCONFDIR)/slurm/plugstack.conf.d/opentop.conf:0644 \
	docs/slurm.md:$(DOCDIR)/opentop-slurm/slurm.md:0644 \
	spank/plugstack.conf.example:$(DOCDIR)/opentop-slurm/plugstack.conf.example:0644
# Directories that are OpenTop's alone: uninstall removes them when empty.
OT_DIRS_opentop := $(DOCDIR)/opentop/examples $(DOCDIR)/opentop
OT_DIRS_opentop-slurm := $(SPANK_DIR) $(DOCDIR)/opentop-slurm

# The snippet names the plugin where this install puts it.
$(BUILD)/pkg/opentop.conf: pkg/slurm/opentop.conf.in FORCE
	@mkdir -p $(dir $@)
	$(Q)sed 's|@SPANK_SO@|$(SPANK_DIR)/opentop.so|' $< >$@.tmp && \
		if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

ot_srcs = $(foreach f,$(OT_FILES_$(1)),$(word 1,$(subst :, ,$(f))))

# install-PKG: copy PKG's files; uninstall-PKG: remove exactly them.
define ot_install_rules
install-$(1): $(call ot_srcs,$(1))
	$(Q)set -e; for f in $(OT_FILES_$(1)); do \
		src=$$$${f%%:*}; rest=$$$${f#*:}; dst=$$$${rest%:*}; mode=$$$${rest##*:}; \
		echo "  INSTALL $$$$src -> $(DESTDIR)$$$$dst"; \
		install -D -m $$$$mode $$$$src $(DESTDIR)$$$$dst; \
	done
uninstall-$(1):
	$(Q)set -e; for f in $(OT_FILES_$(1)); do \
		rest=$$$${f#*:}; dst=$$$${rest%:*}; \
		if [ -e $(DESTDIR)$$$$dst ]; then echo "  RM      $(DESTDIR)$$$$dst"; rm -f $(DESTDIR)$$$$dst; fi; \
	done; \
	for d in $(OT_DIRS_$(1)); do [ ! -d $(DESTDIR)$$$$d ] || rmdir --ignore-fail-on-non-empty $(DESTDIR)$$$$d; done
.PHONY: install-$(1) uninstall-$(1)
endef
$(eval $(call ot_install_rules,opentop))
$(eval $(call ot_install_rules,opentop-slurm))

install: install-opentop install-opentop-slurm
uninstall: uninstall-opentop uninstall-opentop-slurm

# The manifest of one package, one DEST per line (pkg/deb/build, tests).
print-files-%:
	@for f in $(OT_FILES_$*); do rest=$${f#*:}; echo "$${rest%:*}"; done

# make deb: $(BUILD)/deb/opentop_V_ARCH.deb and opentop-slurm_V_ARCH.deb,
# staged with the install rules above (PREFIX=/usr) and packed by dpkg-deb.
deb: all
	$(if $(filter 1,$(SAN)),$(error make deb: packages are never built with SAN=1))
	+$(Q)MAKE="$(MAKE)" pkg/deb/build $(BUILD)

FORCE:
.PHONY: install uninstall deb FORCE
