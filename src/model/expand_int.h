/*
 * expand_int.h - internal to the expansion (expand.c, eval.c,
 * container.c, check.c): the expansion context, its scratch structures
 * and the helpers the four files share (prefix xp_). No other file
 * includes it.
 */
#ifndef OT_MODEL_EXPAND_INT_H
#define OT_MODEL_EXPAND_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/expand.h"
#include "model/shape.h"
#include "util/hash.h"
/* ------------------------------------------------------------------ */
/* small containers                                                     */

#define VEC(T)                                                                                     \
	struct {                                                                                   \
		T *v;                                                                              \
		size_t n, cap;                                                                     \
	}

struct xnode {
	struct ot_m_node n; /* first: the model points here */
	bool declared;
	struct ot_loc decl_loc;
	uint32_t ncontainers, nifaces; /* for the administrator bounds */
};

struct xnet {
	struct ot_m_network n; /* first */
	size_t fill;
	bool vni_set, mtu_set, bridge_set;
	struct ot_loc subnet4_loc, subnet6_loc, bridge_loc;
	VEC(struct ot_m_uplink) uplinks;
	VEC(bool) uplink_nolen;
	VEC(struct ot_loc) uplink_addr_loc;
	VEC(struct ot_m_iface *) mv; /* members bound while their container was built */
	bool late;		     /* a member was bound after the pass (forward reference) */
};

struct nref {
	const char *name; /* NULL = none */
	struct ot_loc loc;
};

/* The template use an object was made through (template.c), for errors
 * found after the use: its loc.line is 0 when there is none. */
struct xvia {
	struct ot_loc loc;
	const char *tmpl;
};

struct ifx {
	const char *net;
	struct ot_loc net_loc;
	uint16_t nolen; /* bit i: address i had no prefix length */
	struct xvia via;
};

struct pend_if {
	struct ot_m_iface *ifc;
	const char *net;
	struct ot_loc net_loc;
	uint16_t nolen;
	struct xvia via;
};

struct pend_link {
	struct ot_loc loc;
	const char *ca, *ia, *cb, *ib;
	struct ot_loc la, lb;
	uint32_t mtu;
	struct ot_loc mtu_loc;
	bool broken; /* an error was reported: claim the ends, make no network */
};

/* A rank range and its container, for the topology-wide overlap check. */
struct rank_use {
	uint32_t first, last;
	const struct ot_m_container *c;
};

/* A template argument's value (template.c): int arguments have i, the
 * others their text in s (NUL-terminated; NULL for an int). */
struct xval {
	int64_t i;
	const char *s;
};

/* A template use being expanded: the caller's frame, restored after it. */
struct xcall {
	const struct ot_ast_stmt *use;
	struct xval *args;
	int64_t vars[OT_MAX_LOOP_DEPTH];
	const char *varnames[OT_MAX_LOOP_DEPTH];
	unsigned nvars;
};

/* The container being built. */
struct cscratch {
	struct ot_m_container *c;
	bool dup;
	VEC(struct ot_m_iface) ifaces;
	VEC(struct ifx) ifx;
	VEC(struct ot_m_route) routes;
	VEC(struct nref) route_dev;
	VEC(struct ot_m_rule) rules;
	VEC(struct nref) rule_iif;
	VEC(struct nref) rule_oif;
	VEC(struct ot_m_nat) nats;
	VEC(struct nref) nat_if;
	VEC(struct ot_m_sysctl) sysctls;
	VEC(struct ot_rank_range) ranks;
	bool isolate_set, hostname_set, forward_set, policy_set[3];
	struct ot_loc hostname_loc, policy_loc[3], cpu_loc, mem_loc, pids_loc;
	bool cpu_set, mem_set, pids_set, ranks_set;
	/* storage (storage.c) */
	VEC(struct ot_m_mount) mounts;
	bool tmp_set;
	struct ot_loc storage_loc; /* the first storage statement, line 0 = none */
};

/* The totals of the whole topology (limits.h), counted as loops unroll. */
enum xp_total {
	XP_TOTAL_IFACES,
	XP_TOTAL_ADDRS,
	XP_TOTAL_ROUTES,
	XP_TOTAL_RULES,
	XP_TOTAL_SYSCTLS,
	XP_TOTAL_RANKS,
	XP_NTOTALS,
};

struct xctx {
	struct ot_model *m;
	struct ot_arena *ma;
	struct ot_diags *d;
	struct ot_ast *ast;
	bool oom, fatal;

	int64_t *params;
	int64_t vars[OT_MAX_LOOP_DEPTH];
	const char *varnames[OT_MAX_LOOP_DEPTH];
	unsigned nvars;
	uint64_t iterations;
	struct ot_kmap seen_errors; /* (location, kind) reported inside loops */

	char wbuf[1024]; /* word evaluation scratch */
	const char *last_dfile, *last_mfile;
	struct ot_strmap files;	  /* diagnostics file name -> model copy */
	VEC(const char *) fpairs; /* (diagnostics name, model copy) pairs */

	struct ot_strmap nodes, networks, containers;
	struct xnode *last_node; /* the node of the last lookup */
	VEC(struct xnode *) nodev;
	VEC(struct xnet *) netv;
	VEC(struct ot_m_container *) ctrv;
	VEC(struct pend_if) pifs; /* interfaces on networks not yet declared */
	VEC(struct pend_link) links;
	VEC(struct ot_m_iface *) linkends;
	VEC(struct ot_m_container *) late_overlaps; /* containers waiting for pifs */
	VEC(struct rank_use) ranks;
	struct ot_kmap addrs, macs, vnis; /* what must be unique in the topology */
	bool any_late;

	struct cscratch cs;
	struct xnet *net; /* network block being expanded */

	bool vxlan_set;
	struct ot_loc vxlan_loc;

	uint32_t max_containers, max_ifaces; /* per node (ot_load_opts); 0 = none */

	/* the allocation's shape (shape.c) and the automatic addresses (autoaddr.c) */
	struct ot_shape shape;
	uint32_t *shape_first;	     /* [nodes + 1]: each node's slice of shape_ranks */
	uint32_t *shape_ranks;	     /* [tasks]: ranks by node, increasing within a node */
	uint32_t *shape_own;	     /* the layout, when built here (no caller's shape) */
	bool shape_bound;	     /* the allocation's node count binds the topology */
	bool any_auto;		     /* an interface asked for `address auto` or `mac auto` */
	uint64_t totals[XP_NTOTALS]; /* counted as loops unroll (xp_total_add) */

	/* templates (template.c) */
	struct xval *args; /* the arguments of the template being expanded */
	struct xcall calls[OT_MAX_TEMPLATE_DEPTH];
	unsigned ncalls;
	struct xvia via; /* outside a use: the use the object being checked came from */
};

#define VPUSH(x, vec)                                                                              \
	(xp_vreserve((x), (void **)&(vec).v, &(vec).cap, (vec).n, sizeof(*(vec).v))                \
	     ? memset(&(vec).v[(vec).n++], 0, sizeof(*(vec).v))                                    \
	     : NULL)
#define VFREE(vec) (free((vec).v), (vec).v = NULL, (vec).n = (vec).cap = 0)

/* eval.c: vectors and the key set, diagnostics, expressions and words */
void *xp_xalloc(struct xctx *x, size_t n);
bool xp_vreserve(struct xctx *x, void **v, size_t *cap, size_t n, size_t sz);
int xp_kset_put2(struct xctx *x, struct ot_kmap *s, uint64_t h, const void *key, void *val,
		 void **old, const void **old_key);
bool xp_kset_has(const struct ot_kmap *s, uint64_t h, const void *key);
int xp_kset_put(struct xctx *x, struct ot_kmap *s, uint64_t h, const void *key, void *val,
		void **old);
void xp_kset_free(struct ot_kmap *s);
struct ot_loc xp_mloc(struct xctx *x, struct ot_loc l);
bool xp_errkey_eq(const void *a, const void *b);
/*
 * Count n more of a total of the whole topology. Past its limit: an error
 * at loc, the expansion stops (x->fatal), returns false.
 */
bool xp_total_add(struct xctx *x, struct ot_loc loc, enum xp_total t, uint64_t n);

__attribute__((format(printf, 3, 4))) struct ot_diag *xp_xerr(struct xctx *x, struct ot_loc loc,
							      const char *fmt, ...);
__attribute__((format(printf, 3, 4))) struct ot_diag *xp_gerr(struct xctx *x, struct ot_loc loc,
							      const char *fmt, ...);
__attribute__((format(printf, 3, 4))) void xp_xhint(struct xctx *x, struct ot_diag *g,
						    const char *fmt, ...);
const char *xp_shown(const char *s, char *buf, size_t size);
void xp_hint_similar(struct xctx *x, struct ot_diag *g, const char *name,
		     const struct ot_strmap *m);
bool xp_eval(struct xctx *x, const struct ot_ast_expr *e, int64_t *ret);
const char *xp_word_text(struct xctx *x, const struct ot_ast_word *w);
const char *xp_word_name(struct xctx *x, struct ot_ast_word *w, const char *what);
bool xp_parse_u64(const char *t, uint64_t *ret);
bool xp_parse_u64_range(const char *t, const char *sep, uint64_t *a, uint64_t *b);
bool xp_word_u32(struct xctx *x, struct ot_ast_word *w, const char *what, uint32_t lo, uint32_t hi,
		 uint32_t *ret);
bool xp_word_prefix(struct xctx *x, struct ot_ast_word *w, bool need_len, const char *what,
		    const char *example, struct ot_prefix *ret, bool *nolen);
bool xp_word_addr(struct xctx *x, struct ot_ast_word *w, const char *what, struct ot_addr *ret);
bool xp_word_ports(struct xctx *x, struct ot_ast_word **w, uint32_t n, struct ot_ports *ret);

/* shape.c: the allocation's shape and the built-in names */
bool xp_define_is_shape(const char *def);
void xp_shape_init(struct xctx *x, const struct ot_shape *given, uint32_t hosts,
		   const char *const *defines, size_t ndefines);
void xp_shape_free(struct xctx *x);
bool xp_eval_builtin(struct xctx *x, const struct ot_ast_expr *e, int64_t *ret);
void xp_shape_fit(struct xctx *x);

/* autoaddr.c: `address auto` and `mac auto` */
bool xp_auto_request(struct xctx *x, struct ot_ast_stmt *st, struct ot_m_iface *ifc);
void xp_auto_assign(struct xctx *x);

/* expand.c: top-level statements, networks, links, dispatch */
struct xnode *xp_node_get(struct xctx *x, struct ot_ast_word *w);
struct ot_diag *xp_duplicate(struct xctx *x, struct ot_loc at, struct ot_loc first,
			     const char *what);
bool xp_host_ifname(struct xctx *x, struct ot_ast_word *w, char out[OT_IFNAMSIZ]);
bool xp_check_unicast(struct xctx *x, struct ot_ast_word *w, const struct ot_prefix *p);
void xp_expand_list(struct xctx *x, struct ot_ast_stmt *st);

/* container.c: container statements (xp_<keyword>: the statement's handler) */
void xp_cs_free(struct cscratch *cs);
struct ot_m_iface *xp_find_iface(struct ot_m_iface *v, size_t n, const char *name);
void xp_container(struct xctx *x, struct ot_ast_stmt *st);
void xp_isolate(struct xctx *x, struct ot_ast_stmt *st);
void xp_hostname(struct xctx *x, struct ot_ast_stmt *st);
void xp_iface(struct xctx *x, struct ot_ast_stmt *st);
void xp_route(struct xctx *x, struct ot_ast_stmt *st);
void xp_sysctl(struct xctx *x, struct ot_ast_stmt *st);
void xp_forward(struct xctx *x, struct ot_ast_stmt *st);
void xp_block(struct xctx *x, struct ot_ast_stmt *st);
void xp_limit(struct xctx *x, struct ot_ast_stmt *st);
void xp_ranks(struct xctx *x, struct ot_ast_stmt *st);
const char *xp_family_name(uint8_t f);
void xp_rule(struct xctx *x, struct ot_ast_stmt *st);
void xp_policy(struct xctx *x, struct ot_ast_stmt *st);
void xp_nat(struct xctx *x, struct ot_ast_stmt *st);
bool xp_parse_size(const char *t, uint64_t *ret);

/* storage.c: root, mount, tmp; xp_storage_finish() at the container's end */
void xp_root(struct xctx *x, struct ot_ast_stmt *st);
void xp_mount(struct xctx *x, struct ot_ast_stmt *st);
void xp_storage_finish(struct xctx *x);

/* template.c: template uses; capability statements */
void xp_use(struct xctx *x, struct ot_ast_stmt *st);
/* Add to g where an error inside a template's body came from: the use
 * being expanded, else x->via. */
void xp_template_via(struct xctx *x, struct ot_diag *g);
/* The use being expanded now (the outermost), or none. */
struct xvia xp_via_now(const struct xctx *x);
/* w is `auto`, or a template argument ({addr}) whose text is `auto`. */
bool xp_word_is_auto(const struct xctx *x, const struct ot_ast_word *w);
void xp_caps(struct xctx *x, struct ot_ast_stmt *st);
void xp_nnp(struct xctx *x, struct ot_ast_stmt *st);

/* check.c: semantic checks and the model's final form */
void xp_bind_iface(struct xctx *x, struct ot_m_iface *ifc, struct xnet *n, bool late);
void xp_iface_subnet_checks(struct xctx *x, struct ot_m_iface *ifc, uint16_t nolen);
bool xp_prefix_eq(const void *a, const void *b);
uint64_t xp_prefix_hash(const struct ot_prefix *p);
bool xp_mac_eq(const void *a, const void *b);
bool xp_u32_eq(const void *a, const void *b);
void xp_iface_register(struct xctx *x, struct ot_m_iface *ifc);
void xp_container_overlaps(struct xctx *x, struct ot_m_container *c);
void xp_uplink_checks(struct xctx *x, struct xnet *xn);
void xp_resolve_late(struct xctx *x);
void xp_resolve_links(struct xctx *x);
void xp_check_gateways(struct xctx *x);
void xp_fill_members(struct xctx *x);
void xp_check_mtus(struct xctx *x);
void xp_check_ranks(struct xctx *x);
void xp_finish_model(struct xctx *x);
void xp_warnings(struct xctx *x);

#endif
