/*
 * lex.c - the .otp lexer (contract in lex.h).
 *
 * Hand-written: the language's words carry templates whose extent depends
 * on brace matching and on what the parser expects, which a generated
 * scanner would not make simpler. It never allocates: tokens are spans of
 * the source.
 */
#include "lang/lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ot_lex_init(struct ot_lexer *lx, const char *file, const char *text, size_t len,
		 struct ot_diags *d)
{
	memset(lx, 0, sizeof(*lx));
	lx->src = text;
	lx->end = text + len;
	lx->p = text;
	lx->line_start = text;
	lx->line = 1;
	lx->file = file;
	lx->d = d;
	lx->err_upto = text;
	/* A UTF-8 byte order mark (some editors write one) is not text: skip it;
	 * columns of the first line count from after it, as an editor shows. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		lx->p = lx->line_start = lx->err_upto = text + 3;
}

void ot_lex_sub_init(struct ot_lexer *lx, const struct ot_lexer *outer, const struct ot_loc *loc,
		     const char *tok_text, const char *start, const char *end)
{
	memset(lx, 0, sizeof(*lx));
	lx->src = start;
	lx->end = end;
	lx->p = start;
	lx->line_start = tok_text - (loc->col - 1);
	lx->line = loc->line;
	lx->file = outer->file;
	lx->d = outer->d;
	lx->err_upto = start;
}

static struct ot_loc loc_at(const struct ot_lexer *lx, const char *at, size_t len)
{
	struct ot_loc l;

	l.file = lx->file;
	l.line = lx->line;
	l.col = (uint32_t)(at - lx->line_start) + 1;
	l.len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	return l;
}

struct ot_loc ot_lex_here(const struct ot_lexer *lx)
{
	return lx->have_la ? lx->la.loc : loc_at(lx, lx->p, 1);
}

__attribute__((format(printf, 4, 5))) static void lex_err(struct ot_lexer *lx, const char *at,
							  size_t len, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (at < lx->err_upto)
		return;
	lx->err_upto = at + (len ? len : 1);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ot_diag_error(lx->d, loc_at(lx, at, len), "%s", msg);
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_ctrl(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') ||
	       c == 0x7f;
}

static bool is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_char(unsigned char c)
{
	return is_ident_start(c) || is_digit(c);
}

static bool is_hex_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Skip blanks, comments and stray bytes (reporting the latter). Stops at a
 * newline, EOF or the start of a token. */
static void skip_blanks(struct ot_lexer *lx)
{
	while (lx->p < lx->end) {
		unsigned char c = (unsigned char)*lx->p;

		if (is_space(c)) {
			lx->p++;
		} else if (c == '#') {
			while (lx->p < lx->end && *lx->p != '\n') {
				if (*lx->p == '\0')
					lex_err(lx, lx->p, 1, "NUL byte in source");
				lx->p++;
			}
		} else if (c == '\0') {
			const char *s = lx->p;

			while (lx->p < lx->end && *lx->p == '\0')
				lx->p++;
			lex_err(lx, s, (size_t)(lx->p - s), "NUL byte in source");
		} else if (is_ctrl(c)) {
			lex_err(lx, lx->p, 1, "invalid control character 0x%02x", c);
			lx->p++;
		} else {
			break;
		}
	}
}

/* Bytes that end a word (outside templates). */
static bool ends_word(unsigned char c)
{
	return is_space(c) || c == '\n' || c == '#' || c == ';' || c == ',' || c == '"' ||
	       c == '}' || c == '=' || c == '(' || c == ')' || c == '\0' || is_ctrl(c);
}

/* Scan a {...} or [...] part of a word starting at lx->p (the opener).
 * Returns false (after reporting) when the closer is missing on this line. */
static bool scan_group(struct ot_lexer *lx, char open, char close)
{
	const char *s = lx->p, *q = lx->p + 1;

	while (q < lx->end && *q != close && *q != '\n') {
		if (*q == open) {
			lex_err(lx, q, 1, "'%c' inside a template", *q);
			break;
		}
		if (*q == '\0' || is_ctrl((unsigned char)*q)) {
			q = lx->end; /* reported by the caller's scan as unterminated */
			break;
		}
		if (*q == '#' && open == '{')
			break;
		q++;
	}
	if (q < lx->end && *q == close) {
		lx->p = q + 1;
		return true;
	}
	lex_err(lx, s, 1, "unterminated %s: missing '%c'", open == '{' ? "template" : "'['", close);
	/* Resume at the end of the line: the rest of it is part of the damage. */
	while (lx->p < lx->end && *lx->p != '\n')
		lx->p++;
	return false;
}

/* Bytes that continue a word without a second look, the common case of the
 * lexer's inner loop (letters, digits, '.', ':', '/', '-', ...): every byte
 * above ' ' but DEL that neither ends a word (ends_word(): # ; , " } = ( ))
 * nor opens a template ({ [). A table: this runs for every source byte. */
static const bool word_plain[256] = {
    ['!'] = true, ['$' ... '\''] = true, ['*' ... '+'] = true,	 ['-' ... ':'] = true,
    ['<'] = true, ['>' ... 'Z'] = true,	 ['\\'] = true,		 [']' ... 'z'] = true,
    ['|'] = true, ['~'] = true,		 [0x80 ... 0xff] = true,
};

static void lex_word(struct ot_lexer *lx, struct ot_token *t)
{
	const char *s = lx->p;

	t->kind = OT_T_WORD;
	while (lx->p < lx->end) {
		unsigned char c;

		/* the common case: a run of letters, digits, dots, slashes... */
		while (lx->p < lx->end && word_plain[(unsigned char)*lx->p])
			lx->p++;
		if (lx->p >= lx->end)
			break;
		c = (unsigned char)*lx->p;
		if (c == '{') {
			t->templated = true;
			if (!scan_group(lx, '{', '}')) {
				t->bad = true;
				break;
			}
		} else if (c == '[') {
			t->templated = true;
			if (!scan_group(lx, '[', ']')) {
				t->bad = true;
				break;
			}
		} else if ((c == '\0' || is_ctrl(c)) && lx->p > s) {
			/* inside a word: the word is damaged, not split in two */
			const char *b = lx->p;

			while (lx->p < lx->end &&
			       (*lx->p == '\0' || is_ctrl((unsigned char)*lx->p)))
				lx->p++;
			if (c == '\0')
				lex_err(lx, b, (size_t)(lx->p - b), "NUL byte in source");
			else
				lex_err(lx, b, 1, "invalid control character 0x%02x", c);
			t->bad = true;
		} else if (ends_word(c)) {
			break;
		} else {
			lx->p++;
		}
	}
	t->text = s;
	t->len = (size_t)(lx->p - s);
}

static void lex_string(struct ot_lexer *lx, struct ot_token *t)
{
	const char *s = lx->p++;

	t->kind = OT_T_STRING;
	while (lx->p < lx->end && *lx->p != '"' && *lx->p != '\n') {
		if (*lx->p == '\\' && lx->p + 1 < lx->end && lx->p[1] != '\n')
			lx->p++;
		else if (*lx->p == '\0' || is_ctrl((unsigned char)*lx->p)) {
			lex_err(lx, lx->p, 1, "invalid byte 0x%02x in string",
				(unsigned char)*lx->p);
			t->bad = true;
		}
		lx->p++;
	}
	if (lx->p < lx->end && *lx->p == '"') {
		lx->p++;
		t->text = s + 1;
		t->len = (size_t)(lx->p - s - 2);
	} else {
		lex_err(lx, s, 1, "unterminated string: missing '\"'");
		t->bad = true;
		t->text = s + 1;
		t->len = (size_t)(lx->p - s - 1);
	}
}

static void lex_number(struct ot_lexer *lx, struct ot_token *t)
{
	const char *s = lx->p, *q;
	bool hex = false, overflow = false, junk;
	uint64_t v = 0;

	t->kind = OT_T_NUM;
	if (lx->p + 1 < lx->end && lx->p[0] == '0' && (lx->p[1] == 'x' || lx->p[1] == 'X')) {
		hex = true;
		lx->p += 2;
	}
	while (lx->p < lx->end) {
		unsigned char c = (unsigned char)*lx->p;
		unsigned dv;

		if (is_digit(c))
			dv = c - '0';
		else if (hex && is_hex_letter(c))
			dv = (c | 0x20) - 'a' + 10;
		else
			break;
		if (v > ((uint64_t)INT64_MAX - dv) / (hex ? 16 : 10))
			overflow = true;
		else
			v = v * (hex ? 16 : 10) + dv;
		lx->p++;
	}
	while (lx->p < lx->end && is_ident_char((unsigned char)*lx->p))
		lx->p++;
	t->text = s;
	t->len = (size_t)(lx->p - s);
	/* "12ab", "0x", "0xfg": one bad token, not a number and a name. */
	junk = lx->p == s + (hex ? 2 : 0);
	for (q = s + (hex ? 2 : 0); q < lx->p && !junk; q++)
		junk = !(is_digit((unsigned char)*q) || (hex && is_hex_letter((unsigned char)*q)));
	if (junk) {
		lex_err(lx, s, t->len, "invalid number '%.*s'", (int)t->len, s);
		t->bad = true;
		v = 0;
	} else if (overflow) {
		lex_err(lx, s, t->len, "number '%.*s' is too large (the limit is %lld)",
			(int)t->len, s, (long long)INT64_MAX);
		t->bad = true;
		v = 0;
	}
	t->num = (int64_t)v;
}

static const struct {
	char c;
	enum ot_tok_kind kind;
} expr_punct[] = {
    {'+', OT_T_PLUS},	 {'-', OT_T_MINUS},  {'*', OT_T_STAR},	 {'/', OT_T_SLASH},
    {'%', OT_T_PERCENT}, {'(', OT_T_LPAREN}, {')', OT_T_RPAREN}, {':', OT_T_COLON},
    {',', OT_T_COMMA},	 {'=', OT_T_EQ},     {'{', OT_T_LBRACE}, {'}', OT_T_RBRACE},
};

static struct ot_token lex_one(struct ot_lexer *lx, enum ot_lex_mode mode)
{
	struct ot_token t;
	unsigned char c;
	size_t i;

	memset(&t, 0, sizeof(t));
	skip_blanks(lx);
	t.text = lx->p;
	if (lx->p >= lx->end) {
		t.kind = OT_T_EOF;
		t.loc = loc_at(lx, lx->p, 0);
		return t;
	}
	c = (unsigned char)*lx->p;
	t.loc = loc_at(lx, lx->p, 1);
	if (c == '\n' || c == ';') {
		t.kind = OT_T_NL;
		t.len = 1;
		lx->p++;
		if (c == '\n') {
			lx->line++;
			lx->line_start = lx->p;
		}
		return t;
	}
	if (mode == OT_LEX_EXPR) {
		if (is_digit(c)) {
			lex_number(lx, &t);
		} else if (is_ident_start(c)) {
			t.kind = OT_T_IDENT;
			while (lx->p < lx->end && is_ident_char((unsigned char)*lx->p))
				lx->p++;
			t.len = (size_t)(lx->p - t.text);
		} else if (c == '.' && lx->p + 1 < lx->end && lx->p[1] == '.') {
			t.kind = OT_T_DOTDOT;
			t.len = 2;
			lx->p += 2;
		} else {
			t.kind = OT_T_OTHER;
			for (i = 0; i < sizeof(expr_punct) / sizeof(expr_punct[0]); i++)
				if (expr_punct[i].c == (char)c)
					t.kind = expr_punct[i].kind;
			/* one whole UTF-8 sequence, so messages quote a character */
			t.len = 1;
			lx->p++;
			if (t.kind == OT_T_OTHER && c >= 0x80)
				while (lx->p < lx->end && ((unsigned char)*lx->p & 0xc0) == 0x80 &&
				       t.len < 4) {
					lx->p++;
					t.len++;
				}
		}
		t.loc.len = (uint32_t)t.len;
		return t;
	}
	switch (c) {
	case '{':
		if (mode == OT_LEX_STMT) {
			t.kind = OT_T_LBRACE;
			t.len = 1;
			lx->p++;
			return t;
		}
		break;
	case '}':
		t.kind = OT_T_RBRACE;
		t.len = 1;
		lx->p++;
		return t;
	case ',':
		t.kind = OT_T_COMMA;
		t.len = 1;
		lx->p++;
		return t;
	case '=':
		t.kind = OT_T_EQ;
		t.len = 1;
		lx->p++;
		return t;
	case '"':
		lex_string(lx, &t);
		t.loc.len = (uint32_t)(lx->p - t.loc.col - lx->line_start + 1);
		return t;
	case '(':
	case ')':
		/* only a template call (`use NAME(ARGS)`) gives them a meaning
		 * outside expressions */
		t.kind = c == '(' ? OT_T_LPAREN : OT_T_RPAREN;
		t.len = 1;
		lx->p++;
		return t;
	default:
		break;
	}
	lex_word(lx, &t);
	t.loc.len = t.len > UINT32_MAX ? UINT32_MAX : (uint32_t)t.len;
	return t;
}

const struct ot_token *ot_lex_peek(struct ot_lexer *lx, enum ot_lex_mode mode)
{
	const char *p, *ls;
	uint32_t line;

	if (lx->have_la && lx->la_mode == mode)
		return &lx->la;
	/* STMT and WORD differ only for a token starting with '{': the parser
	 * switches between them at every value, so do not lex twice. */
	if (lx->have_la && lx->la_mode != OT_LEX_EXPR && mode != OT_LEX_EXPR &&
	    lx->la.kind != OT_T_LBRACE && !(lx->la.len && lx->la.text[0] == '{')) {
		lx->la_mode = mode;
		return &lx->la;
	}
	if (lx->have_la) {
		lx->p = lx->la_p;
		lx->line = lx->la_line;
		lx->line_start = lx->la_line_start;
		lx->have_la = false;
	}
	p = lx->p;
	line = lx->line;
	ls = lx->line_start;
	lx->la = lex_one(lx, mode);
	lx->after_p = lx->p;
	lx->after_line = lx->line;
	lx->after_line_start = lx->line_start;
	lx->la_p = p;
	lx->la_line = line;
	lx->la_line_start = ls;
	lx->p = p;
	lx->line = line;
	lx->line_start = ls;
	lx->have_la = true;
	lx->la_mode = mode;
	return &lx->la;
}

struct ot_token ot_lex_next(struct ot_lexer *lx, enum ot_lex_mode mode)
{
	ot_lex_peek(lx, mode);
	lx->p = lx->after_p;
	lx->line = lx->after_line;
	lx->line_start = lx->after_line_start;
	lx->have_la = false;
	return lx->la;
}

static const char *const tok_names[] = {
    [OT_T_EOF] = "end of file", [OT_T_NL] = "end of line", [OT_T_LBRACE] = "'{'",
    [OT_T_RBRACE] = "'}'",	[OT_T_WORD] = NULL,	   [OT_T_STRING] = "a string",
    [OT_T_COMMA] = "','",	[OT_T_EQ] = "'='",	   [OT_T_NUM] = NULL,
    [OT_T_IDENT] = NULL,	[OT_T_PLUS] = "'+'",	   [OT_T_MINUS] = "'-'",
    [OT_T_STAR] = "'*'",	[OT_T_SLASH] = "'/'",	   [OT_T_PERCENT] = "'%'",
    [OT_T_LPAREN] = "'('",	[OT_T_RPAREN] = "')'",	   [OT_T_DOTDOT] = "'..'",
    [OT_T_COLON] = "':'",	[OT_T_OTHER] = NULL,
};

const char *ot_tok_describe(const struct ot_token *t, char *buf, size_t size)
{
	size_t i, n = 0, max = 40;

	if (t->kind == OT_T_NL && t->len == 1 && t->text[0] == ';')
		return "';'";
	if (tok_names[t->kind])
		return tok_names[t->kind];
	/* Quote the token, with non-printable bytes escaped and long ones cut. */
	if (size < 8)
		return "?";
	buf[n++] = '\'';
	for (i = 0; i < t->len && i < max && n + 6 < size; i++) {
		unsigned char c = (unsigned char)t->text[i];

		if (c < 0x20 || c == 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	if (i < t->len && n + 5 < size) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n++] = '\'';
	buf[n] = '\0';
	return buf;
}
