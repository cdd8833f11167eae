# src/model: the resolved topology: expansion of the syntax tree, semantic
# checks, lookups, the loader entry points and the hosts file.
MODEL_SRCS := src/model/model.c src/model/expand.c src/model/eval.c \
	src/model/container.c src/model/check.c src/model/load.c src/model/hosts.c \
	src/model/shape.c src/model/autoaddr.c src/model/template.c \
	src/model/storage.c
MODEL_OBJS := $(call obj,$(MODEL_SRCS))
LIBOTC_OBJS += $(MODEL_OBJS)
