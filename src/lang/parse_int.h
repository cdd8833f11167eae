/*
 * parse_int.h - internal to the parser (parse.c, parse_word.c,
 * parse_stmt.c): the parser state, block contexts, option lists and the
 * helpers the three files share (prefix ps_; ps_<keyword> parses that
 * statement).
 */
#ifndef OT_LANG_PARSE_INT_H
#define OT_LANG_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/lex.h"
#include "lang/parse.h"
#include "lang/limits.h"
#include "vocab/vocab.h" /* OT_ISO_*, OT_MACVLAN_* */
#include "util/hash.h"

#define EXPR_MAX_DEPTH	  64
#define MAX_INCLUDE_FILES 1024
#define MAX_LIST_WORDS	  4096 /* values in one statement (addresses, ranks...) */
#define FMT_MAX_WIDTH	  32

enum ctx { CTX_TOP, CTX_NETWORK, CTX_CONTAINER, CTX_FIREWALL, CTX_NAT, CTX__COUNT };

/* A name in an expression waiting for the params of every file. */
struct pending {
	struct ot_ast_expr *e;
	int owner;	      /* index of the param whose default holds it, or -1 */
	const char *var_hint; /* closest loop variable in scope, for the hint */
};

struct loopvar {
	const char *name;
	struct ot_loc loc;
};

struct parser {
	struct ot_lexer lx;
	struct ot_ast *ast;
	struct ot_arena *a;
	struct ot_diags *d;
	const struct ot_parse_opts *o;

	unsigned include_depth;
	struct {
		unsigned long long dev, ino;
		bool known;
	} stack[OT_MAX_INCLUDE_DEPTH + 1];
	bool main_file;
	bool eof_reported;
	bool first_seen; /* main file: a statement was seen */

	struct loopvar vars[OT_MAX_LOOP_DEPTH];
	unsigned nvars;
	struct loopvar *allvars; /* every loop variable of every file */
	size_t nallvars, capallvars;

	struct pending *pend;
	size_t npend, cappend;
	int param_owner;

	struct ot_ast_param *params;
	size_t nparams, capparams;
	struct ot_strmap param_map;
	bool oom;

	/* templates (parse_tmpl.c) */
	struct ot_ast_stmt *tmpl;  /* the template whose body is being parsed, or NULL */
	struct ot_strmap tmpl_map; /* name -> definition (struct ot_ast_stmt *) */
};

typedef struct ot_ast_stmt *(*stmt_fn)(struct parser *p, const struct ot_token *kw, enum ctx ctx);

struct kw {
	const char *name;
	stmt_fn fn;
};

/* A growing list of words, copied into the arena at the end. */
struct wordvec {
	struct ot_ast_word **v;
	size_t n, cap;
};

enum optkind {
	OPT_WORD,   /* kw WORD */
	OPT_WORDS,  /* kw WORD... (until the next option or the end) */
	OPT_LIST,   /* kw WORD[,WORD...] (at most OT_PORTS_MAX: a port list) */
	OPT_CHOICE, /* a bare keyword setting *u8 = val */
	OPT_FLAG,   /* a bare keyword setting *flag */
};

struct optdef {
	const char *kw;
	enum optkind kind;
	const char *what; /* OPT_WORD(S): "an address"; OPT_CHOICE: "protocol" */
	struct ot_ast_word **w;
	struct wordvec *wv;
	uint8_t *u8;
	uint8_t val;
	struct ot_loc *loc;
	bool *flag;
};

#define NOPTS(a) (sizeof(a) / sizeof((a)[0]))

/* parse.c: helpers, top-level statements, blocks */
const struct ot_token *ps_peek(struct parser *p, enum ot_lex_mode m);
struct ot_token ps_next(struct parser *p, enum ot_lex_mode m);
bool ps_tok_is(const struct ot_token *t, const char *kw);
bool ps_at_end(const struct ot_token *t);
struct ot_ast_stmt *ps_new_stmt(struct parser *p, enum ot_ast_kind kind, const struct ot_token *kw);
struct ot_diag *ps_expected(struct parser *p, const struct ot_token *t, const char *what);
bool ps_expect_kw(struct parser *p, const char *kw, const char *where);
void *ps_vec_grow(struct parser *p, void *v, size_t *cap, size_t n, size_t sz);
bool ps_opt_block(struct parser *p, struct ot_ast_stmt *st, enum ctx ctx, bool required,
		  const char *what);

/* parse_word.c: expressions and words */
struct ot_ast_expr *ps_expr(struct parser *p, struct ot_lexer *lx, unsigned depth);
struct ot_ast_word *ps_build_word(struct parser *p, const struct ot_token *t, bool index_ok);
struct ot_ast_word *ps_read_word(struct parser *p, const char *what);
struct ot_ast_word *ps_read_node_word(struct parser *p);
struct ot_ast_word *ps_string_word(struct parser *p, const struct ot_token *t);
bool ps_wordvec_push(struct parser *p, struct wordvec *wv, struct ot_ast_word *w);
struct ot_ast_word **ps_wordvec_finish(struct parser *p, struct wordvec *wv, uint32_t *ret_n);

/* parse_stmt.c: options, network, container, firewall and nat statements */
bool ps_parse_opts(struct parser *p, const char *stmt, const struct optdef *defs, size_t n);
struct ot_ast_stmt *ps_subnet(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_vni(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_mtu(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_bridge(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_uplink(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_isolate(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_hostname(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_iface(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_route(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_sysctl(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_flag(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_firewall(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_nat(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_limit(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_ranks(struct parser *p, const struct ot_token *kw, enum ctx ctx);
/* parse_storage.c */
struct ot_ast_stmt *ps_root(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_mount(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_tmp(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_rule(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_policy(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_natrule(struct parser *p, const struct ot_token *kw, enum ctx ctx);

/* parse_tmpl.c: templates (definition, use, names in their bodies) and
 * capability statements */
struct ot_ast_stmt *ps_template(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_use(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_caps(struct parser *p, const struct ot_token *kw, enum ctx ctx);
struct ot_ast_stmt *ps_nnp(struct parser *p, const struct ot_token *kw, enum ctx ctx);
/* Bind e (a name) to an argument of the template being parsed: true when it is one. */
bool ps_bind_template_arg(struct parser *p, struct ot_ast_expr *e);
/* A loop variable of a template's body named like one of its arguments: an error. */
void ps_template_var_clash(struct parser *p, const char *var, struct ot_loc loc);
/* False (reported) when e uses a non-int argument in arithmetic; alone_ok:
 * e may be just such an argument (a word's {net}). */
bool ps_check_text_args(struct parser *p, const struct ot_ast_expr *e, bool alone_ok);
/* parse_word.c: an expression in which a non-int argument may stand alone */
struct ot_ast_expr *ps_expr_any(struct parser *p, struct ot_lexer *lx, unsigned depth);

#endif
