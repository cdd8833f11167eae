# src/vocab: the words the language, the plan and the executor share
# (isolation kinds, macvlan modes...). Depends on nothing.
VOCAB_SRCS := src/vocab/vocab.c src/vocab/caps.c
VOCAB_OBJS := $(call obj,$(VOCAB_SRCS))
LIBOTC_OBJS += $(VOCAB_OBJS)
