# spank: the SPANK plugin $(BUILD)/spank/opentop.so.
#
# The plugin is loaded by srun, sbatch, salloc and slurmstepd, so it is
# built position-independent from its own copies of the compiler and
# executor objects ($(BUILD)/pic/...), never with the sanitizers (an ASan
# object cannot be loaded into an uninstrumented slurmstepd; the
# sanitizer build tests the same sources through the unit tests instead),
# and linked with a version script that exports only the plugin's symbols.
# jansson, libmnl and libnftnl are linked dynamically; Slurm's own symbols
# (spank_*, slurm_*) come from the loading process, so no -lslurm.

SPANK_CORE_SRCS := spank/config.c spank/step.c spank/shape.c spank/readas.c spank/relay.c spank/owner.c
SPANK_SRCS := spank/opentop.c spank/srun.c spank/slurmstepd.c spank/node.c $(SPANK_CORE_SRCS)
SPANK_SO := $(BUILD)/spank/opentop.so
# Non-PIC objects of the pure parts, for the (sanitized) unit tests.
SPANK_CORE_OBJS := $(call obj,$(SPANK_CORE_SRCS))

PROGRAMS += $(SPANK_SO)
INSTALL_LIB += $(SPANK_SO)

pic = $(patsubst $(BUILD)/obj/%.o,$(BUILD)/pic/%.o,$(1))
SPANK_PIC_OBJS := $(patsubst %.c,$(BUILD)/pic/%.o,$(SPANK_SRCS))
SPANK_PIC_LIB := $(BUILD)/pic/libot_pic.a
CFLAGS_PIC := $(filter-out $(SANFLAGS),$(CFLAGS_ALL)) -fPIC
# spank/ headers are included as "spank/x.h", from the top of the tree.
EXTRA_CFLAGS_spank_ := -I.

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC PIC  $<")
	$(Q)$(CC) $(CFLAGS_PIC) $(EXTRA_CFLAGS_$(subst /,_,$(dir $<))) -c -o $@ $<

# The compiler and the executor, from their C sources (generated objects,
# such as an embedded otnode runtime, are not the plugin's business).
SPANK_LIB_OBJS := $(foreach o,$(LIBOTEXEC_OBJS) $(LIBOTC_OBJS),\
	$(if $(wildcard $(patsubst $(BUILD)/obj/%.o,%.c,$(o))),$(o)))

$(SPANK_PIC_LIB): $(call pic,$(SPANK_LIB_OBJS))
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(SPANK_SO): $(SPANK_PIC_OBJS) $(SPANK_PIC_LIB) spank/opentop.lds
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -fPIC -Wl,--version-script=spank/opentop.lds -Wl,-z,relro,-z,now \
		-o $@ $(SPANK_PIC_OBJS) $(SPANK_PIC_LIB) $(LIBS_EXEC) $(LIBS_JANSSON) -lpthread

-include $(shell find $(BUILD)/pic -name '*.d' 2>/dev/null)
