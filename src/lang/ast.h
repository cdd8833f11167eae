/*
 * ast.h - the syntax tree of a .otp file, as parsed: statements in source
 * order with their blocks, values as unevaluated words (text with
 * templates), expressions as trees. Includes are kept as statements whose
 * body is the included file. Everything lives in the tree's arena.
 *
 * The tree is checked for syntax only (and every name in an expression is
 * bound to a loop variable or a parameter); values are parsed, ranges
 * checked and names resolved when the tree is expanded into a model
 * (src/model/expand.c), because a template's value is known only then.
 */
#ifndef OT_LANG_AST_H
#define OT_LANG_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/diag.h"
#include "util/arena.h"

enum ot_ast_expr_kind {
	OT_E_NUM,
	OT_E_VAR,   /* loop variable: slot = loop depth (0 = outermost) */
	OT_E_PARAM, /* parameter: slot = index in ot_ast.params */
	OT_E_NEG,
	OT_E_ADD,
	OT_E_SUB,
	OT_E_MUL,
	OT_E_DIV,
	OT_E_MOD,
	OT_E_BUILTIN, /* a built-in name or call (lang/builtin.h): slot = enum ot_builtin,
		       * arguments in l, r */
	OT_E_ARG,     /* a template's argument: slot = its index; num = enum ot_ast_ttype */
};

struct ot_ast_expr {
	enum ot_ast_expr_kind kind;
	struct ot_loc loc; /* the whole (sub)expression */
	int64_t num;	   /* OT_E_NUM */
	const char *name;  /* OT_E_VAR, OT_E_PARAM, OT_E_BUILTIN */
	uint32_t slot;
	struct ot_ast_expr *l, *r; /* operands (NEG: l) */
};

/* A word is a sequence of segments: literal text, each optionally followed
 * by a template ({EXPR[:FMT]}, or [EXPR] in node names). */
struct ot_ast_seg {
	const char *text; /* literal part (not NUL-terminated) */
	uint32_t len;
	struct ot_ast_expr *e; /* the template after the text, or NULL */
	uint8_t width;	       /* zero-padded width, 0 = none */
	char conv;	       /* 'd', 'x' or 'X' */
	bool index;	       /* NAME[EXPR] */
};

struct ot_ast_word {
	struct ot_loc loc;
	const char *lit; /* the text when the word has no template, else NULL */
	struct ot_ast_seg *segs;
	uint32_t nsegs;
	const void *cache; /* expansion's memo for literal words (owned by its user) */
};

enum ot_ast_kind {
	/* top level */
	OT_A_TOPOLOGY,
	OT_A_PARAM,
	OT_A_INCLUDE,
	OT_A_VXLAN_PORT,
	OT_A_NODE,
	OT_A_NETWORK,
	OT_A_LINK,
	OT_A_CONTAINER,
	OT_A_FOR, /* in every block; its body has the block's kind of statements */
	/* network block */
	OT_A_SUBNET,
	OT_A_VNI,
	OT_A_MTU,
	OT_A_BRIDGE,
	OT_A_UPLINK,
	/* container block */
	OT_A_ISOLATE,
	OT_A_HOSTNAME,
	OT_A_IFACE,
	OT_A_ROUTE,
	OT_A_SYSCTL,
	OT_A_FORWARD,
	OT_A_FIREWALL,
	OT_A_NAT,
	OT_A_LIMIT,
	OT_A_RANKS,
	OT_A_USE,      /* use TEMPLATE(ARGS): the template's body, expanded here */
	OT_A_CAPS,     /* capabilities drop|keep CAP... */
	OT_A_NNP,      /* no_new_privs */
	OT_A_TEMPLATE, /* top level: template NAME(PARAMS) { container statements } */
	OT_A_ROOT,     /* storage (parse_storage.c): u.storage */
	OT_A_MOUNT,    /* mount bind|tmpfs */
	OT_A_TMP,      /* tmp private */
	/* firewall block */
	OT_A_RULE,
	OT_A_POLICY,
	/* nat block */
	OT_A_MASQUERADE,
	OT_A_SNAT,
	OT_A_DNAT,
	OT_A__COUNT
};

enum ot_ast_iface_kind {
	OT_AI_NET,     /* iface X on NET */
	OT_AI_MACVLAN, /* iface X macvlan HOSTIF */
	OT_AI_LINK,    /* iface X (an endpoint of a `link`) */
};

/* The types of a template's parameters: what the argument's text must be. */
enum ot_ast_ttype {
	OT_TT_INT,    /* a decimal integer: usable in expressions */
	OT_TT_NAME,   /* a name of the language (network, interface, node...) */
	OT_TT_ADDR,   /* an address, with or without a prefix length */
	OT_TT_PREFIX, /* an address with a prefix length */
	OT_TT_WORD,   /* any word */
	OT_TT__COUNT
};

/* "int", "name", "address", "prefix", "word" (lang/parse_tmpl.c) */
extern const char *const ot_ast_ttype_names[OT_TT__COUNT];

struct ot_ast_tparam {
	const char *name;
	struct ot_loc loc; /* the declaration ("int port") */
	enum ot_ast_ttype type;
	struct ot_ast_word *def; /* the default, or NULL: required */
};
/* Storage statements (u.storage). */
enum ot_ast_mount_kind { OT_AM_ROOT, OT_AM_BIND, OT_AM_TMPFS, OT_AM_TMP };

/* Firewall/NAT keywords, in the order of the model's enums. */
enum ot_ast_dir { OT_AD_IN, OT_AD_OUT, OT_AD_FORWARD };
enum ot_ast_action { OT_AA_ALLOW, OT_AA_DROP, OT_AA_REJECT };

struct ot_ast_stmt {
	enum ot_ast_kind kind;
	struct ot_loc loc; /* the keyword */
	struct ot_ast_stmt *next;
	struct ot_ast_stmt
	    *body; /* block (network, container, for, firewall, nat) or included file */
	union {
		struct {
			const char *name;
			struct ot_loc name_loc;
			struct ot_ast_expr *value;
			uint32_t index;
		} param;
		struct {
			const char *path; /* as written */
			const char *file; /* registered name of the included file, NULL if unread */
		} include;
		struct ot_ast_word *w; /* topology, vxlan port, node, vni, mtu, hostname */
		struct {
			struct ot_ast_word *name, *node; /* node: containers only */
		} named;				 /* network, container */
		struct {
			struct ot_ast_word *a, *b, *mtu;
		} link;
		struct {
			const char *var;
			struct ot_loc var_loc;
			struct ot_ast_expr *lo, *hi;
			uint32_t depth;
		} loop;
		struct {
			struct ot_ast_word **v;
			uint32_t n;
		} list; /* subnet, ranks */
		struct {
			struct ot_ast_word *node, *addr, *out;
			bool masquerade;
		} uplink;
		struct {
			unsigned mask; /* OT_ISO_* values (plan.h) */
		} isolate;
		struct {
			enum ot_ast_iface_kind kind;
			struct ot_ast_word *name, *net, *lower, *mac, *mtu;
			struct ot_ast_word **addrs;
			uint32_t naddrs;
			int mode; /* enum ot_macvlan_mode (plan.h) */
		} iface;
		struct {
			struct ot_ast_word *dst; /* NULL = default */
			struct ot_ast_word *via, *dev, *metric;
		} route;
		struct {
			struct ot_ast_word *key;
			struct ot_ast_word **vals; /* joined with one space */
			uint32_t nvals;
		} sysctl;
		struct {
			struct ot_ast_word *cpu, *memory, *pids;
		} limit;
		struct {
			/* root: src; bind: src, dst; tmpfs: dst, size; tmp: size */
			struct ot_ast_word *src, *dst, *size;
			struct ot_loc mode_loc; /* "ro"/"rw", line 0 = not given */
			uint8_t kind;		/* enum ot_ast_mount_kind */
			bool ro;
		} storage;
		struct {
			enum ot_ast_action action;
			enum ot_ast_dir dir;
			uint8_t family; /* 0, AF_INET, AF_INET6 */
			uint8_t proto;	/* 0, IPPROTO_* */
			struct ot_loc family_loc, proto_loc;
			struct ot_ast_word *from, *to, *iif, *oif;
			struct ot_ast_word **sports, **dports; /* "80,443,8000-8100" */
			uint32_t nsports, ndports;
		} rule;
		struct {
			enum ot_ast_dir dir;
			bool drop;
		} policy;
		struct {
			const char *name;
			struct ot_loc name_loc;
			struct ot_ast_tparam *params;
			uint32_t nparams;
			bool broken; /* its definition has an error: uses are not checked */
		} tmpl;		     /* template (body: container statements) */
		struct {
			const struct ot_ast_stmt *tmpl; /* the template's definition */
			struct ot_loc name_loc;		/* the template's name at the call */
			struct ot_ast_word **args;	/* [tmpl nparams]: NULL = the default */
		} use;
		struct {
			bool keep;		/* keep only these (drop all others) */
			struct ot_ast_word **v; /* capability names */
			uint32_t n;
		} caps;
		struct {
			struct ot_ast_word *ifname; /* masquerade/snat: out; dnat: in */
			struct ot_ast_word *from, *to;
			struct ot_ast_word **dports;
			uint32_t ndports;
			uint8_t proto;
			struct ot_loc proto_loc;
		} nat;
	} u;
};

struct ot_ast_param {
	const char *name;
	struct ot_loc loc; /* the name */
	struct ot_ast_expr *value;
};

struct ot_ast {
	struct ot_arena arena;
	struct ot_ast_stmt *stmts;    /* the main file (topology statement included) */
	struct ot_ast_word *topology; /* NULL when missing */
	struct ot_loc topology_loc;
	const char *file;	     /* registered name of the main file */
	struct ot_ast_param *params; /* in declaration order */
	size_t nparams;
	uint64_t digest; /* FNV-1a 64 over every byte read */
	size_t bytes;	 /* total source bytes read */
	size_t nfiles;
};

#endif
