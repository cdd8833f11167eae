# src/lang: diagnostics, lexer, parser, AST (the .otp language).
LANG_SRCS := src/lang/diag.c
LANG_OBJS := $(call obj,$(LANG_SRCS))
