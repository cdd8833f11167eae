/*
 * plan_text.h - the human form of a node plan (`otc plan`, `otnode show`):
 * every decision visible, aligned columns, operations in order, nft rules
 * in nft syntax, probes and the teardown order. Also the nft-syntax
 * rendering of a table, shared with the shell writer (plan_sh.h).
 */
#ifndef OT_PLAN_PLAN_TEXT_H
#define OT_PLAN_PLAN_TEXT_H

#include "plan/plan.h"
#include "util/strbuf.h"

/* Append the whole plan as text. Never fails (OOM is sticky in out). */
void ot_plan_text(const struct ot_plan *p, struct ot_strbuf *out);

/*
 * Append a one-line description of op (no namespace, no newline):
 * "veth eth0 mtu 1450 mac 02:.. <-> demo.n1:web-eth0 master br-lan".
 * For progress and error messages of the executor.
 */
void ot_plan_op_text(const struct ot_plan *p, const struct ot_op *op, struct ot_strbuf *out);

/*
 * Append an nftables table in `nft -f` syntax ("table inet NAME { ... }"),
 * each line prefixed with indent. The output is what `nft -f -` accepts.
 */
void ot_nft_table_text(const struct ot_op_nft *n, const char *indent, struct ot_strbuf *out);

/* Append a container's capabilities and no_new_privs, each item after sep:
 * "<sep>capabilities drop net_raw sys_admin<sep>no_new_privs"; nothing when
 * it asks for neither. */
void ot_plan_caps_text(const struct ot_plan_ns *ns, const char *sep, struct ot_strbuf *out);

/* Append one rule's statement in nft syntax (without chain or newline). */
void ot_nft_rule_text(const struct ot_nft_rule *r, struct ot_strbuf *out);

#endif
