# src/cli: the command-line front ends. cliopt.c is what the three share
# (version line, did-you-mean, conflicting actions, JSON schema key:
# docs/cli.md); every program links it (the static otnode too:
# src/embed/module.mk).
CLIOPT_SRCS := src/cli/cliopt.c
# otc (compiler helper): check, plan, emit-sh, graph; `build` joins via
# OTC_SRCS (one line: OTC_SRCS += src/cli/otc_build.c, and a row in otc.c).
OTC := $(BUILD)/otc
OTC_SRCS := src/cli/otc.c
OTC_SRCS += src/cli/otc_build.c
OTC_SRCS += src/cli/otc_reach.c
OTC_SRCS += src/cli/otc_diag_json.c
OTC_SRCS += src/cli/otc_diff.c
OTC_SRCS += $(CLIOPT_SRCS)
$(OTC): $(call obj,$(OTC_SRCS)) $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o %.a,$^) $(OTC_LIBS) $(LIBS_JANSSON)
OTC_LIBS :=
PROGRAMS += $(OTC)
INSTALL_BIN += $(OTC)
INSTALL_MAN1 += docs/otc.1
# otdeploy (deploy helper): deploy over SSH.
OTDEPLOY := $(BUILD)/otdeploy
PROGRAMS += $(OTDEPLOY)
INSTALL_BIN += $(OTDEPLOY)
INSTALL_MAN1 += docs/otdeploy.1
$(OTDEPLOY): $(call obj,src/cli/otdeploy.c src/cli/otdeploy_dry.c src/cli/filewatch.c $(CLIOPT_SRCS)) $(LIBOTDEPLOY) $(LIBOTEXEC) $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_SSH) $(LIBS_EXEC) $(LIBS_JANSSON) -lpthread
# otnode (executor helper): the node executable, dynamic flavour (what
# `make check` runs, with ASan in build-san/); the static one is
# $(BUILD)/otnode-rt (src/embed/module.mk).
OTNODE := $(BUILD)/otnode
$(OTNODE): $(call obj,src/cli/otnode.c src/cli/otnode_apply.c $(CLIOPT_SRCS)) $(LIBOTEXEC) $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_EXEC) $(LIBS_JANSSON)
PROGRAMS += $(OTNODE)
INSTALL_BIN += $(OTNODE)
INSTALL_MAN1 += docs/otnode.1
