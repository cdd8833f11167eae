# src/util: errors, arena, strings, hashing, addresses. Depends on nothing.
UTIL_SRCS := src/util/error.c src/util/arena.c src/util/strbuf.c src/util/hash.c src/util/hashset.c \
	src/util/vec.c src/util/clock.c src/util/addr.c src/util/suggest.c src/util/path.c
UTIL_OBJS := $(call obj,$(UTIL_SRCS))
LIBOTC_OBJS += $(UTIL_OBJS)
