# src/cli: (empty so far)
# otdeploy (deploy helper): deploy over SSH.
OTDEPLOY := $(BUILD)/otdeploy
# Joins PROGRAMS/INSTALL_BIN once the loader and executor it links against
# are in the tree (until then `make build/otdeploy` builds it by name).
$(OTDEPLOY): $(call obj,src/cli/otdeploy.c) $(LIBOTDEPLOY) $(LIBOTEXEC) $(LIBOTC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_SSH) $(LIBS_EXEC) $(LIBS_JANSSON) -lpthread
