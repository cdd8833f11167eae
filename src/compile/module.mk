# src/compile: the compiler back end (model + hosts -> one plan per node)
# and the DOT writer.
COMPILE_SRCS := src/compile/compile.c src/compile/origin.c src/compile/decide.c src/compile/ptrmap.c \
	src/compile/firewall.c src/compile/probes.c src/compile/bounds.c src/compile/graph.c \
	src/compile/storage.c
COMPILE_OBJS := $(call obj,$(COMPILE_SRCS))
LIBOTC_OBJS += $(COMPILE_OBJS)
