/*
 * test_lex.c - the .otp lexer: token kinds per mode, templated words,
 * exact locations, and lexical errors reported once each.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lang/lex.h"

static struct ot_diags d;
static struct ot_lexer lx;

static void start(const char *text)
{
	ot_diags_init(&d);
	ot_lex_init(&lx, ot_diags_add_source(&d, "t.otp", text, strlen(text)), text, strlen(text),
		    &d);
}

static void stop(void)
{
	ot_diags_free(&d);
}

static void expect_word(enum ot_lex_mode m, const char *text, uint32_t line, uint32_t col)
{
	struct ot_token t = ot_lex_next(&lx, m);

	cr_assert_eq(t.kind, OT_T_WORD, "expected word '%s', got kind %d", text, t.kind);
	cr_assert_eq(t.len, strlen(text), "'%.*s' vs '%s'", (int)t.len, t.text, text);
	cr_assert(memcmp(t.text, text, t.len) == 0, "'%.*s' vs '%s'", (int)t.len, t.text, text);
	cr_assert_eq(t.loc.line, line, "line of '%s': %u", text, t.loc.line);
	cr_assert_eq(t.loc.col, col, "col of '%s': %u", text, t.loc.col);
	cr_assert_eq(t.loc.len, strlen(text));
}

static void expect_kind(enum ot_lex_mode m, enum ot_tok_kind k)
{
	struct ot_token t = ot_lex_next(&lx, m);

	cr_assert_eq(t.kind, k, "expected kind %d, got %d ('%.*s')", k, t.kind, (int)t.len, t.text);
}

Test(lex, statement_tokens_and_locations)
{
	start("network lan {\n\tsubnet 10.0.0.0/24 # comment\n}\nsysctl net.x=1, 2; \"a b\"\n");
	expect_word(OT_LEX_STMT, "network", 1, 1);
	expect_word(OT_LEX_WORD, "lan", 1, 9);
	expect_kind(OT_LEX_STMT, OT_T_LBRACE);
	expect_kind(OT_LEX_STMT, OT_T_NL);
	expect_word(OT_LEX_STMT, "subnet", 2, 2);
	expect_word(OT_LEX_WORD, "10.0.0.0/24", 2, 9);
	expect_kind(OT_LEX_STMT, OT_T_NL); /* the comment is skipped */
	expect_kind(OT_LEX_STMT, OT_T_RBRACE);
	expect_kind(OT_LEX_STMT, OT_T_NL);
	expect_word(OT_LEX_STMT, "sysctl", 4, 1);
	expect_word(OT_LEX_WORD, "net.x", 4, 8);
	expect_kind(OT_LEX_STMT, OT_T_EQ);
	expect_word(OT_LEX_WORD, "1", 4, 14);
	expect_kind(OT_LEX_STMT, OT_T_COMMA);
	expect_word(OT_LEX_WORD, "2", 4, 17);
	expect_kind(OT_LEX_STMT, OT_T_NL); /* ';' ends a statement */
	{
		struct ot_token t = ot_lex_next(&lx, OT_LEX_WORD);

		cr_assert_eq(t.kind, OT_T_STRING);
		cr_assert_eq(t.len, 3);
		cr_assert(memcmp(t.text, "a b", 3) == 0);
		cr_assert_eq(t.loc.col, 20);
	}
	expect_kind(OT_LEX_STMT, OT_T_NL);
	expect_kind(OT_LEX_STMT, OT_T_EOF);
	expect_kind(OT_LEX_STMT, OT_T_EOF);
	cr_assert_eq(d.errors, 0);
	stop();
}

Test(lex, templated_words_keep_their_extent)
{
	struct ot_token t;

	start("container rank{i} on node[i / 16] {\n"
	      "  iface e on n address 10.{i / 256}.{i % 256}.1/16 mac 02:00:00:00:00:{i:02x}\n");
	expect_word(OT_LEX_STMT, "container", 1, 1);
	t = ot_lex_next(&lx, OT_LEX_WORD);
	cr_assert_eq(t.kind, OT_T_WORD);
	cr_assert(t.templated);
	cr_assert_eq(t.len, strlen("rank{i}"));
	expect_word(OT_LEX_STMT, "on", 1, 19);
	t = ot_lex_next(&lx, OT_LEX_WORD);
	cr_assert(t.templated);
	cr_assert_eq(t.len, strlen("node[i / 16]"), "spaces inside [] belong to the word");
	expect_kind(OT_LEX_STMT, OT_T_LBRACE); /* a '{' after a blank opens a block */
	expect_kind(OT_LEX_STMT, OT_T_NL);
	expect_word(OT_LEX_STMT, "iface", 2, 3);
	expect_word(OT_LEX_WORD, "e", 2, 9);
	expect_word(OT_LEX_STMT, "on", 2, 11);
	expect_word(OT_LEX_WORD, "n", 2, 14);
	expect_word(OT_LEX_STMT, "address", 2, 16);
	t = ot_lex_next(&lx, OT_LEX_WORD);
	cr_assert_eq(t.len, strlen("10.{i / 256}.{i % 256}.1/16"));
	expect_word(OT_LEX_STMT, "mac", 2, 52);
	t = ot_lex_next(&lx, OT_LEX_WORD);
	cr_assert_eq(t.len, strlen("02:00:00:00:00:{i:02x}"));
	cr_assert_eq(d.errors, 0);
	stop();
}

Test(lex, word_mode_template_at_start)
{
	struct ot_token t;

	start("{base + 1}-{base + 9}");
	t = ot_lex_next(&lx, OT_LEX_WORD);
	cr_assert_eq(t.kind, OT_T_WORD);
	cr_assert(t.templated);
	cr_assert_eq(t.len, strlen("{base + 1}-{base + 9}"));
	stop();
	start("{ x }");
	cr_assert_eq(ot_lex_peek(&lx, OT_LEX_STMT)->kind, OT_T_LBRACE, "STMT mode: a block");
	cr_assert_eq(ot_lex_peek(&lx, OT_LEX_WORD)->kind, OT_T_WORD, "WORD mode: a template");
	cr_assert_eq(ot_lex_peek(&lx, OT_LEX_STMT)->kind, OT_T_LBRACE, "re-lexed in STMT mode");
	stop();
}

Test(lex, expression_tokens)
{
	struct ot_token t;

	start("0..N-1 (a_1*0x1F) / 3 % 2 + x");
	t = ot_lex_next(&lx, OT_LEX_EXPR);
	cr_assert_eq(t.kind, OT_T_NUM);
	cr_assert_eq(t.num, 0);
	expect_kind(OT_LEX_EXPR, OT_T_DOTDOT);
	t = ot_lex_next(&lx, OT_LEX_EXPR);
	cr_assert_eq(t.kind, OT_T_IDENT);
	cr_assert_eq(t.len, 1);
	expect_kind(OT_LEX_EXPR, OT_T_MINUS);
	t = ot_lex_next(&lx, OT_LEX_EXPR);
	cr_assert_eq(t.num, 1);
	expect_kind(OT_LEX_EXPR, OT_T_LPAREN);
	t = ot_lex_next(&lx, OT_LEX_EXPR);
	cr_assert_eq(t.kind, OT_T_IDENT);
	cr_assert_eq(t.len, 3);
	expect_kind(OT_LEX_EXPR, OT_T_STAR);
	t = ot_lex_next(&lx, OT_LEX_EXPR);
	cr_assert_eq(t.num, 31);
	expect_kind(OT_LEX_EXPR, OT_T_RPAREN);
	expect_kind(OT_LEX_EXPR, OT_T_SLASH);
	expect_kind(OT_LEX_EXPR, OT_T_NUM);
	expect_kind(OT_LEX_EXPR, OT_T_PERCENT);
	expect_kind(OT_LEX_EXPR, OT_T_NUM);
	expect_kind(OT_LEX_EXPR, OT_T_PLUS);
	expect_kind(OT_LEX_EXPR, OT_T_IDENT);
	expect_kind(OT_LEX_EXPR, OT_T_EOF);
	cr_assert_eq(d.errors, 0);
	stop();
}

Test(lex, bad_numbers)
{
	struct ot_token t;

	start("12ab 0x 99999999999999999999 9223372036854775807");
	t = ot_lex_next(&lx, OT_LEX_EXPR);
	cr_assert(t.bad);
	cr_assert_eq(t.len, 4);
	t = ot_lex_next(&lx, OT_LEX_EXPR);
	cr_assert(t.bad);
	t = ot_lex_next(&lx, OT_LEX_EXPR);
	cr_assert(t.bad);
	t = ot_lex_next(&lx, OT_LEX_EXPR);
	cr_assert(!t.bad);
	cr_assert_eq(t.num, INT64_MAX);
	cr_assert_eq(d.errors, 3);
	cr_assert_str_eq(d.v[0].msg, "invalid number '12ab'");
	cr_assert_str_eq(d.v[1].msg, "invalid number '0x'");
	cr_assert(strstr(d.v[2].msg, "is too large"));
	stop();
}

Test(lex, errors_reported_once_across_modes)
{
	static const char text[] = "a\0\0b \x01 \"open\n";

	ot_diags_init(&d);
	ot_lex_init(&lx, ot_diags_add_source(&d, "t.otp", text, sizeof(text) - 1), text,
		    sizeof(text) - 1, &d);
	/* peek in three modes, then consume: each error once */
	ot_lex_peek(&lx, OT_LEX_STMT);
	ot_lex_peek(&lx, OT_LEX_WORD);
	ot_lex_peek(&lx, OT_LEX_EXPR);
	while (ot_lex_next(&lx, OT_LEX_STMT).kind != OT_T_EOF) {
		ot_lex_peek(&lx, OT_LEX_EXPR);
		ot_lex_peek(&lx, OT_LEX_WORD);
	}
	cr_assert_eq(d.errors, 3, "NUL run, control byte, open string: %zu", d.errors);
	cr_assert_str_eq(d.v[0].msg, "NUL byte in source");
	cr_assert_eq(d.v[0].loc.col, 2);
	cr_assert_eq(d.v[0].loc.len, 2, "one error for the whole run of NULs");
	cr_assert_str_eq(d.v[1].msg, "invalid control character 0x01");
	cr_assert_eq(d.v[1].loc.col, 6);
	cr_assert_str_eq(d.v[2].msg, "unterminated string: missing '\"'");
	cr_assert_eq(d.v[2].loc.col, 8);
	stop();
}

Test(lex, unterminated_template)
{
	struct ot_token t;

	start("rank{i on n1\nnext");
	t = ot_lex_next(&lx, OT_LEX_WORD);
	cr_assert(t.bad);
	cr_assert_eq(d.errors, 1);
	cr_assert_str_eq(d.v[0].msg, "unterminated template: missing '}'");
	cr_assert_eq(d.v[0].loc.col, 5);
	expect_kind(OT_LEX_STMT, OT_T_NL);
	expect_word(OT_LEX_STMT, "next", 2, 1);
	stop();
}

Test(lex, describe)
{
	char buf[64];
	struct ot_token t;

	start("averyveryveryveryverylongwordthatgoesonandonandon ;");
	t = ot_lex_next(&lx, OT_LEX_STMT);
	cr_assert_str_eq(ot_tok_describe(&t, buf, sizeof(buf)),
			 "'averyveryveryveryverylongwordthatgoesona...'");
	t = ot_lex_next(&lx, OT_LEX_STMT);
	cr_assert_str_eq(ot_tok_describe(&t, buf, sizeof(buf)), "';'");
	t = ot_lex_next(&lx, OT_LEX_STMT);
	cr_assert_str_eq(ot_tok_describe(&t, buf, sizeof(buf)), "end of file");
	stop();
}
