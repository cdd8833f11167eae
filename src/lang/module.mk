# src/lang: diagnostics, lexer, parser, AST, hosts file (the front end).
LANG_SRCS := src/lang/diag.c
LANG_OBJS := $(call obj,$(LANG_SRCS))
LIBOTC_OBJS += $(LANG_OBJS)
