/*
 * plan_schema.h - the plan's vocabulary, in one place: the name of every
 * enum value (one table per enum) and, for each operation kind, the keys of
 * its JSON object in the order they are written (one table per kind).
 *
 * Every writer and reader of plans spells names from here: the JSON writer
 * (plan_jsonw.c) and reader (plan_json.c), the text and shell forms, the
 * executor's messages, otc's and the plugin's option parsers.
 */
#ifndef OT_PLAN_PLAN_SCHEMA_H
#define OT_PLAN_PLAN_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "plan/plan.h"

/* One enum value and its name; tables end with name == NULL. */
struct ot_enum_name {
	const char *name;
	int val;
};

extern const struct ot_enum_name ot_op_kind_names[];	    /* enum ot_op_kind */
extern const struct ot_enum_name ot_link_kind_names[];	    /* enum ot_link_kind (= kernel kinds) */
extern const struct ot_enum_name ot_ns_role_names[];	    /* enum ot_ns_role */
extern const struct ot_enum_name ot_nft_hook_names[];	    /* enum ot_nft_hook */
extern const struct ot_enum_name ot_nft_chain_type_names[]; /* enum ot_nft_chain_type */
extern const struct ot_enum_name ot_nft_verdict_names[];    /* enum ot_nft_verdict */
extern const struct ot_enum_name ot_nft_family_names[];	    /* AF_INET "ip", AF_INET6 "ip6" */
extern const struct ot_enum_name ot_l4proto_names[];	    /* IPPROTO_TCP "tcp", ... */
extern const struct ot_enum_name ot_ct_state_names[];	    /* OT_CT_* bits, in bit order */
extern const struct ot_enum_name ot_macvlan_mode_names[];   /* enum ot_macvlan_mode */
extern const struct ot_enum_name ot_expect_names[];	    /* enum ot_expect */
extern const struct ot_enum_name ot_mount_kind_names[];	    /* enum ot_mount_kind */

/* The name of v in t, or "?" when t has none. Never NULL. */
const char *ot_enum_name(const struct ot_enum_name *t, int v);

/* The value named s (NUL-terminated) in t: 0 and *ret, or -EINVAL. */
int ot_enum_value(const struct ot_enum_name *t, const char *s, int *ret);

/* The same for s of n bytes (not NUL-terminated), for list parsers. */
int ot_enum_value_n(const struct ot_enum_name *t, const char *s, size_t n, int *ret);

/* The keys of a container namespace's capability set: the set dropped or
 * the set kept (exec/caps.c), an array of names (vocab/caps.h); and its
 * no_new_privs flag. */
#define OT_PLAN_KEY_CAPS_DROP	 "caps_drop"
#define OT_PLAN_KEY_CAPS_KEEP	 "caps_keep"
#define OT_PLAN_KEY_NO_NEW_PRIVS "no_new_privs"

/* ---- JSON keys of the operations ---- */

/* What a key holds, and how the writer spells it. */
enum ot_plan_ftype {
	OT_F_NS,	   /* int: a namespace index, written as its name ("host" for 0) */
	OT_F_OP,	   /* the operation kind's name (no field) */
	OT_F_MEMO,	   /* const char *, recurring (origins, node names) */
	OT_F_STR,	   /* const char *, omitted when NULL or "" */
	OT_F_STR_ALWAYS,   /* const char *, written even when empty */
	OT_F_NAME,	   /* char[OT_IFNAMSIZ], omitted when "" */
	OT_F_U16,	   /* uint16_t, omitted when 0 */
	OT_F_U32,	   /* uint32_t, omitted when 0 */
	OT_F_U64,	   /* uint64_t, omitted when 0 */
	OT_F_BOOL,	   /* bool, written as true, omitted when false */
	OT_F_ADDR,	   /* struct ot_addr, omitted when family 0 */
	OT_F_PREFIX,	   /* struct ot_prefix, omitted when family 0 */
	OT_F_MAC,	   /* struct ot_mac, omitted when all zero */
	OT_F_MAC_ALWAYS,   /* struct ot_mac, written even when all zero */
	OT_F_LINK_KIND,	   /* enum ot_link_kind : 8 of struct ot_op_link */
	OT_F_MACVLAN_MODE, /* enum ot_macvlan_mode : 8 of struct ot_op_link */
	OT_F_ROUTE_DST,	   /* struct ot_prefix, length 0 written "default" or "default6" */
	OT_F_PEER,	   /* the veth peer: an object of ot_plan_peer_fields */
	OT_F_NFT,	   /* struct ot_op_nft: an object (chains, rules, table) */
	OT_F_MOUNT_KIND,   /* enum ot_mount_kind : 8 of struct ot_op_mount */
};

/*
 * One key of an operation's JSON object. off is the field's offset in
 * struct ot_op; links, for OT_OP_LINK, is the set of link kinds
 * (1 << OT_LINK_*) that have the key, 0 = every kind. qkey is the key as
 * the writer writes it, quoted and with its colon ("\"name\":"), qlen bytes.
 */
struct ot_plan_field {
	const char *key;
	const char *qkey;
	uint8_t qlen;
	uint8_t type; /* enum ot_plan_ftype */
	uint8_t links;
	uint16_t off;
};

/*
 * The keys of each operation kind's object, in strcmp order (the order the
 * writer writes them: the canonical form sorts keys), ending with key ==
 * NULL. The reader accepts exactly these keys.
 */
extern const struct ot_plan_field *const ot_plan_op_fields[OT_OP__COUNT];
/* The keys of a veth's "peer" object (offsets in struct ot_op too). */
extern const struct ot_plan_field ot_plan_peer_fields[];

#endif
