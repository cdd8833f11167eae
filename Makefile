# OpenTop - top-level Makefile.
#
#   make                  build everything into build/
#   make check            every test (unit, golden, bad corpus, kernel, deploy,
#                         Slurm, QEMU), with the ASan/UBSan build in build-san/
#   make bench            benchmarks; each prints ratios against a baseline
#                         measured in the same run
#   make fuzz             the libFuzzer targets, for a bounded time
#   make install PREFIX=DIR   (and make uninstall with the same PREFIX/DESTDIR)
#   make deb              Debian packages opentop and opentop-slurm (pkg/deb/)
#
# Variables: CC, PREFIX, DESTDIR, BUILD (output dir), SAN=1 (ASan+UBSan),
# WERROR=1 (warnings are errors; CI sets it), V=1 (show commands).
#
# Source lists are explicit and live next to the sources: src/*/module.mk,
# spank/module.mk, tests/module.mk, bench/module.mk.

PREFIX	?= /usr/local
DESTDIR	?=
BUILD	?= build
CC	?= cc
SAN	?=
WERROR	?=

WARN	:= -Wall -Wextra -Wshadow -Wmissing-prototypes -Wformat=2 -Wstrict-prototypes \
	   -Wno-unused-parameter -Wvla -Wpointer-arith -Wundef
ifeq ($(WERROR),1)
WARN	+= -Werror
endif
OPT	?= -O2 -g
CFLAGS_BASE := -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -Isrc -fno-strict-aliasing \
	   -fstack-protector-strong -MMD -MP
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
SANFLAGS :=
endif
CFLAGS	?=
CFLAGS_ALL := $(CFLAGS_BASE) $(SANFLAGS) $(CFLAGS)
LDFLAGS_ALL := $(SANFLAGS) $(LDFLAGS)

PKGS	:= libmnl libnftnl jansson libssh
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS_ALL += $(PKG_CFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Everything a module.mk adds to: programs and test programs.
PROGRAMS :=
TEST_PROGRAMS :=
BENCH_PROGRAMS :=
FUZZ_PROGRAMS :=
ALL_OBJS :=

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# Link sets, lowest layer last. Archives, so each program pulls only the
# objects it uses. Module files append their objects to these lists.
LIBOTC_OBJS :=		# util, vocab, lang, model, compile, plan: the compiler
LIBOTEXEC_OBJS :=	# exec: the executor (netlink, nftables, journal)
LIBOTDEPLOY_OBJS :=	# deploy: SSH transport and the parallel runner
LIBOTC := $(BUILD)/libotc.a
LIBOTEXEC := $(BUILD)/libotexec.a
LIBOTDEPLOY := $(BUILD)/libotdeploy.a
# Dynamic link flags of the system libraries (static otnode: see src/embed).
LIBS_JANSSON := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
LIBS_EXEC := $(shell pkg-config --libs libnftnl libmnl 2>/dev/null || echo -lnftnl -lmnl)
LIBS_SSH := $(shell pkg-config --libs libssh 2>/dev/null || echo -lssh)

# Targets `make check` runs, in order; test fragments append to it.
# CHECK_OFFLINE_TARGETS: the part that needs no root and no network
# namespaces (make check-offline, for contributors without root).
CHECK_TARGETS :=
CHECK_OFFLINE_TARGETS :=

# Every suite runs as $(call run_suite,NAME,SECONDS) CMD...: an overall
# timeout, and the one skip policy (a skip fails unless OT_ALLOW_SKIP=1 or
# OT_ALLOW_SKIP="NAME ..." asks for it). See tests/lib/run-suite.
run_suite = tests/lib/run-suite $(1) $(2)
BENCH_TARGETS :=
FUZZ_TARGETS :=
INSTALL_BIN :=
INSTALL_LIB :=
INSTALL_MAN1 :=

include src/util/module.mk
include src/vocab/module.mk
include src/lang/module.mk
include src/model/module.mk
include src/compile/module.mk
include src/plan/module.mk
include src/reach/module.mk
include src/mnl/module.mk
include src/exec/module.mk
include src/embed/module.mk
include src/deploy/module.mk
include src/cli/module.mk
include spank/module.mk
include tests/module.mk
include bench/module.mk

$(LIBOTC): $(LIBOTC_OBJS)
$(LIBOTEXEC): $(LIBOTEXEC_OBJS)
$(LIBOTDEPLOY): $(LIBOTDEPLOY_OBJS)

.DEFAULT_GOAL := all
.SECONDARY:
all: $(PROGRAMS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) $(EXTRA_CFLAGS_$(subst /,_,$(dir $<))) -c -o $@ $<

$(BUILD)/%.a:
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

.PHONY: all tests check check-offline bench fuzz install clean format check-format \
	$(CHECK_TARGETS) $(BENCH_TARGETS) $(FUZZ_TARGETS)

# make check: build the sanitizer flavour and run every suite with it.
# (CHECK_TARGETS run in the recursive make, so BUILD/SAN apply to them, and
# one after the other: suites that build networks must not share the CPU
# with each other's timeouts; -k: a failed suite does not hide the
# ones after it, and make check still fails.)
check:
	$(MAKE) BUILD=build-san SAN=1 all tests
	$(MAKE) -k -j1 BUILD=build-san SAN=1 $(CHECK_TARGETS)

# make check-offline: the suites that need neither root nor network
# namespaces (unit tests, golden files, the bad corpus, the fuzz replay),
# with the sanitizer build like make check; each target builds what it runs.
check-offline:
	$(MAKE) BUILD=build-san SAN=1 $(CHECK_OFFLINE_TARGETS)

bench:
	$(MAKE) OPT="-O2 -g" all tests
	$(MAKE) -j1 $(BENCH_TARGETS)

fuzz:
	$(MAKE) $(FUZZ_TARGETS)
include pkg/install.mk

clean:
	rm -rf build build-*

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# Every tracked C file formatted as .clang-format says (nothing is changed;
# `make format` rewrites). Lists the files that differ and fails on any.
check-format:
	@bad=0; for f in $$(git ls-files '*.c' '*.h'); do \
		clang-format --style=file --dry-run -Werror "$$f" >/dev/null 2>&1 || \
			{ echo "check-format: $$f"; bad=$$((bad + 1)); }; \
	done; \
	echo "check-format: $$bad of $$(git ls-files '*.c' '*.h' | wc -l) files differ from .clang-format"; \
	[ $$bad = 0 ]
CHECK_TARGETS += check-format
CHECK_OFFLINE_TARGETS += check-format

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
