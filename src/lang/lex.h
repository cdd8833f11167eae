/*
 * lex.h - the .otp lexer: source bytes -> tokens with exact locations.
 *
 * The language is line-oriented and its values are "words" (names,
 * addresses, numbers with units) that may carry templates ("rank{i}",
 * "10.0.{i / 256}.{i % 256}/16", "node[i / 16]"), so the lexer has three
 * modes and the parser, which always knows what it expects, picks one per
 * token:
 *
 *   OT_LEX_STMT  statement structure: keywords and words, '{' as a block
 *                opener, '}', newline/';' as statement ends;
 *   OT_LEX_WORD  a value: like STMT, but a '{' starts a templated word;
 *   OT_LEX_EXPR  integer expressions (param values, loop ranges).
 *
 * A template inside a word ({...} or [...]) is kept in the word token
 * verbatim; the parser splits it (ot_lex_sub_init() lexes a template's
 * expression in place, with correct columns).
 *
 * Lexical errors (NUL bytes, control characters, unterminated strings or
 * templates, malformed numbers) go to the diagnostics list once each, even
 * when the parser re-lexes the same bytes in another mode.
 */
#ifndef OT_LANG_LEX_H
#define OT_LANG_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/diag.h"

enum ot_lex_mode {
	OT_LEX_STMT,
	OT_LEX_WORD,
	OT_LEX_EXPR,
};

enum ot_tok_kind {
	OT_T_EOF,
	OT_T_NL, /* newline or ';' */
	OT_T_LBRACE,
	OT_T_RBRACE,
	OT_T_WORD,   /* STMT/WORD modes */
	OT_T_STRING, /* "..." (text excludes the quotes; escapes kept raw) */
	OT_T_COMMA,
	OT_T_EQ,
	OT_T_NUM,   /* EXPR mode */
	OT_T_IDENT, /* EXPR mode: [A-Za-z_][A-Za-z0-9_]* */
	OT_T_PLUS,
	OT_T_MINUS,
	OT_T_STAR,
	OT_T_SLASH,
	OT_T_PERCENT,
	OT_T_LPAREN,
	OT_T_RPAREN,
	OT_T_DOTDOT,
	OT_T_COLON,
	OT_T_OTHER, /* a byte that starts no token in this mode */
};

struct ot_token {
	enum ot_tok_kind kind;
	const char *text; /* span in the source (not NUL-terminated) */
	size_t len;
	struct ot_loc loc; /* loc.len = span length */
	int64_t num;	   /* OT_T_NUM */
	bool templated;	   /* OT_T_WORD containing {...} or [...] */
	bool bad;	   /* a lexical error inside was already reported */
};

struct ot_lexer {
	const char *src, *end; /* the whole text */
	const char *p;	       /* next byte */
	const char *line_start;
	uint32_t line;
	const char *file; /* registered diagnostics name */
	struct ot_diags *d;
	const char *err_upto; /* errors are reported only at or past this point */

	/* one token of lookahead, lexed in `la_mode` from `la_p` */
	bool have_la;
	enum ot_lex_mode la_mode;
	struct ot_token la;
	const char *la_p, *la_line_start;
	uint32_t la_line;
	/* position after the lookahead token */
	const char *after_p, *after_line_start;
	uint32_t after_line;
};

/* Start lexing text[0..len) (need not be NUL-terminated) of `file`. */
void ot_lex_init(struct ot_lexer *lx, const char *file, const char *text, size_t len,
		 struct ot_diags *d);

/*
 * A lexer over a template's inside: bytes [start, end) of a word token at
 * `loc` (same line), so columns stay exact. It reports no error already
 * reported by the outer lexer.
 */
void ot_lex_sub_init(struct ot_lexer *lx, const struct ot_lexer *outer, const struct ot_loc *loc,
		     const char *tok_text, const char *start, const char *end);

/* The next token in `mode`, without consuming it. */
const struct ot_token *ot_lex_peek(struct ot_lexer *lx, enum ot_lex_mode mode);

/* Consume and return the next token in `mode` (a copy: valid indefinitely). */
struct ot_token ot_lex_next(struct ot_lexer *lx, enum ot_lex_mode mode);

/* Location of the next byte (for "expected ... at end of line" errors). */
struct ot_loc ot_lex_here(const struct ot_lexer *lx);

/* Printable description of a token for messages: "'foo'", "end of line", "'{'". */
const char *ot_tok_describe(const struct ot_token *t, char *buf, size_t size);

#endif
