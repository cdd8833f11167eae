# src/cli: (empty so far)
# otdeploy (deploy helper): deploy over SSH.
OTDEPLOY := $(BUILD)/otdeploy
PROGRAMS += $(OTDEPLOY)
INSTALL_BIN += $(OTDEPLOY)
$(OTDEPLOY): $(call obj,src/cli/otdeploy.c) $(LIBOTDEPLOY) $(LIBOTEXEC) $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_SSH) $(LIBS_EXEC) $(LIBS_JANSSON) -lpthread
