# src/embed: the plan payload inside otnode, and the static otnode runtime.
#
# The static runtime ($(BUILD)/otnode-rt) is otnode linked with -static from
# objects compiled for it alone ($(BUILD)/static/obj: size-optimised, never
# sanitized - static and ASan do not mix), against Debian's libnftnl.a and
# libjansson.a and our libmnl-compatible src/mnl (Debian has no libmnl.a).
# runtime.S carries it (.incbin) into the programs that build otnode images
# (otc build, otdeploy); docs/static-otnode.md explains the whole scheme.
EMBED_SRCS := src/embed/embed.c
LIBOTC_OBJS += $(call obj,$(EMBED_SRCS))

OTNODE_RT := $(BUILD)/otnode-rt
STATIC_CFLAGS := -std=gnu11 -Os -g0 $(WARN) -D_GNU_SOURCE -Isrc -fno-strict-aliasing \
	-ffunction-sections -fdata-sections -fstack-protector-strong -MMD -MP $(PKG_CFLAGS) \
	-DOT_STATIC=1
# Everything otnode links, by source (exec includes what other helpers added).
OTNODE_STATIC_SRCS := src/cli/otnode.c src/cli/otnode_apply.c src/cli/cliopt.c $(UTIL_SRCS) $(VOCAB_SRCS) $(PLAN_SRCS) $(REACH_SRCS) \
	$(patsubst $(BUILD)/obj/%.o,%.c,$(LIBOTEXEC_OBJS)) $(MNL_SRCS) $(EMBED_SRCS)
OTNODE_STATIC_OBJS := $(patsubst %.c,$(BUILD)/static/obj/%.o,$(OTNODE_STATIC_SRCS))

$(BUILD)/static/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC [static] $<")
	$(Q)$(CC) $(STATIC_CFLAGS) -c -o $@ $<

$(OTNODE_RT): $(OTNODE_STATIC_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD [static] $@")
	$(Q)$(CC) -static -Wl,--gc-sections -s -o $@ $^ -lnftnl -ljansson

# The runtime inside otc/otdeploy: runtime.c (ot_embed_runtime, ot_embed_image)
# pulls runtime_blob.o only into programs that build images.
EMBED_RT_OBJS := $(call obj,src/embed/runtime.c) $(BUILD)/obj/src/embed/runtime_blob.o
LIBOTC_OBJS += $(EMBED_RT_OBJS)

$(BUILD)/obj/src/embed/runtime_blob.o: src/embed/runtime.S $(OTNODE_RT)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) -c -DOT_RUNTIME_PATH='"$(OTNODE_RT)"' -o $@ $<

PROGRAMS += $(OTNODE_RT)
-include $(shell find $(BUILD)/static/obj -name '*.d' 2>/dev/null)
