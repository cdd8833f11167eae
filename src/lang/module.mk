# src/lang: diagnostics, lexer, parser, AST (the front end's syntax half).
LANG_SRCS := src/lang/diag.c src/lang/lex.c src/lang/names.c src/lang/parse.c src/lang/parse_word.c \
	src/lang/parse_stmt.c src/lang/builtin.c src/lang/parse_tmpl.c \
	src/lang/parse_storage.c
LANG_OBJS := $(call obj,$(LANG_SRCS))
LIBOTC_OBJS += $(LANG_OBJS)
